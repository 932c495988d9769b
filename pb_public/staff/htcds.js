// htcds.js: the HTCDS case export (docs/API.md, "HTCDS export") built in
// this browser. The server fills every column it can
// (GET /api/staff/htcds-rows); a sealed report's columns that come from
// its private fields (contact name and phone, the compound and its point)
// are filled here from the opened envelope, by the table the server sends
// with the rows (internal/htcds SealedCells): the mapping is written once,
// in Go. Before the file is handed over, the server is told which reports
// it holds (POST /api/staff/exports, format "htcds"), checks each is the
// caller's and shared, and logs them; no report content goes to it.

import { request } from './api.js';
import { openAll } from './sealedsearch.js';
import { safeCell, csvText } from './export.js';

/** readRows reads every page of the rows route. */
async function readRows() {
  const items = [];
  let res;
  for (let page = 1; ; page++) {
    res = await request('/api/staff/htcds-rows', { query: { page } });
    items.push(...res.items);
    if (res.items.length < res.perPage || items.length >= res.maxRows) break;
  }
  return { columns: res.columns, cells: res.sealed_cells, items, capped: items.length >= res.maxRows };
}

/**
 * formatFloat writes a number as Go's strconv.FormatFloat(x, 'f', -1, 64):
 * the shortest digits, never an exponent.
 */
export function formatFloat(x) {
  const s = String(Number(x));
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', e] = m;
  const exp = Number(e);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${lead}${frac}`;
  return sign + lead + frac + '0'.repeat(exp - frac.length);
}

/** privateValue is a private field of an opened report r as SealedCell.from names it. */
function privateValue(r, from) {
  const [field, coord] = from.split('.');
  if (field === 'compound_point') {
    const p = r.compound_point;
    if (!p || (!p.lat && !p.lon)) return '';
    return coord ? formatFloat(p[coord]) : 'set';
  }
  return r[field] == null ? '' : String(r[field]);
}

/** fill is a sealed column's value for an opened report r (Go's SealedCell.Fill). */
export function fill(cell, r) {
  if (cell.needs && !r[cell.needs]) return '';
  if (cell.from) return privateValue(r, cell.from);
  return (cell.if_any || []).some((f) => privateValue(r, f) !== '') ? cell.value : '';
}

/**
 * build reads the HTCDS rows, opens the sealed reports and fills their
 * private columns, and answers {csv, ids, capped}. A sealed report that
 * does not open here stops it: a file missing its cells would look whole.
 */
export async function build(vault, { onProgress, say }) {
  const { columns, cells, items, capped } = await readRows();
  const reports = items.map((it) => it.report);
  await openAll(vault, reports, onProgress);
  const locked = reports.filter((r) => r.sealed && r.seal !== 'open').length;
  if (locked) throw new Error(say('export.locked', { n: locked }));
  const rows = items.map(({ row, report }) => {
    const out = row.slice();
    if (report.sealed) for (const c of cells) out[columns.indexOf(c.column)] = safeCell(fill(c, report));
    return out;
  });
  return { csv: csvText([columns, ...rows]), ids: reports.map((r) => r.id), capped };
}

/** record tells the server which reports the HTCDS file holds; it logs them. */
export function record(ids) {
  return request('/api/staff/exports', { method: 'POST', body: { ids, format: 'htcds' } });
}
