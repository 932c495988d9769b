// export.js: the CSV export, built in this browser. A sealed report's
// private fields open only here, so the whole file is made here, from the
// list route's clear fields and the opened envelopes, with the columns,
// order and cell rules of the server's export (hooks/staff/export.go).
// Before the file is handed over, the server is told which reports it
// holds (POST /api/staff/exports), checks each is the caller's to see and
// logs them; no report content goes to the server.

import { request } from './api.js';
import { readAll, openAll, search } from './sealedsearch.js';

/** MAX_ROWS is the server export's maxExportRows. */
export const MAX_ROWS = 10000;

/** COLUMNS are export.go's exportColumns, in order. */
export const COLUMNS = [
  'id', 'created', 'status', 'urgent', 'safety_risk_now', 'minors_present', 'needs',
  'people_count', 'nationality', 'nationality_original', 'language', 'gender', 'age_band',
  'compound_location', 'current_location', 'left_on', 'passport_held',
  'channel', 'duplicate_of', 'consent_contact', 'consent_share', 'message',
];
/** CONTACT are export.go's contactColumns, added only when asked for. */
export const CONTACT = ['contact_name', 'contact_phone', 'contact_app'];
/** BINDING are the clear fields a sealed report's envelope is bound to (seal.js reportClear). */
const BINDING = ['embassy', 'volunteer', 'consent_version', 'sealed'];

/** FORMULA are the characters a spreadsheet may start a formula with (export.go isFormulaStart). */
const FORMULA = /[=+\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212]/u;
/** SKIPPED are what a spreadsheet skips before a formula (export.go safeCell). */
const SKIPPED = /[\s\p{Zs}\p{Cc}\p{Cf}]/u;

/** safeCell is export.go's safeCell: a leading apostrophe where a cell could run as a formula. */
export function safeCell(s) {
  if (s === '') return s;
  if (s[0] === '\t' || s[0] === '\r' || s[0] === '\n') return `'${s}`;
  for (const c of s) {
    if (FORMULA.test(c)) return `'${s}`;
    if (!SKIPPED.test(c)) return s;
  }
  return s;
}

/** cell is a value as export.go's exportRow writes it. */
function cell(v) {
  if (v == null) return '';
  if (Array.isArray(v)) return v.join(';');
  return String(v);
}

/** quoted is a field as Go's encoding/csv writes it. */
function quoted(s) {
  const needs = s !== '' && (s === '\\.' || /[",\r\n]/.test(s) || /^\s/u.test(s));
  return needs ? `"${s.replace(/"/g, '""')}"` : s;
}

/** toCSV is the file: a byte-order mark, the header and a row a report. */
export function toCSV(cols, items) {
  return csvText([cols, ...items.map((r) => cols.map((c) => safeCell(cell(r[c]))))]);
}

/** csvText writes rows of cells as the server's exports do: a byte-order mark, then Go's encoding/csv. */
export function csvText(rows) {
  return `\ufeff${rows.map((row) => row.map(quoted).join(',')).join('\n')}\n`;
}

/**
 * build reads the reports of query ({filter, q}) newest first, up to
 * MAX_ROWS, opens the sealed ones, and answers {csv, ids, capped}. It
 * throws when a sealed report cannot be opened here: a file missing its
 * text would look complete.
 */
export async function build(query, vault, { contact = false, onProgress, say }) {
  const cols = contact ? [...COLUMNS, ...CONTACT] : COLUMNS;
  const fields = [...new Set([...cols, ...BINDING])].join(',');
  let items;
  let capped;
  if (query.q) {
    const found = await search({ filter: query.filter, q: query.q, sort: '-created' }, vault, fields, onProgress, MAX_ROWS);
    items = found.items;
    capped = found.capped || found.clearCapped || items.length > MAX_ROWS;
    if (found.locked) throw new Error(say('export.locked', { n: found.locked }));
    items = items.slice(0, MAX_ROWS);
  } else {
    const all = await readAll({ filter: query.filter, sort: '-created' }, fields, MAX_ROWS);
    items = all.items;
    capped = all.capped;
    await openAll(vault, items, onProgress);
    const locked = items.filter((r) => r.sealed && r.seal !== 'open').length;
    if (locked) throw new Error(say('export.locked', { n: locked }));
  }
  return { csv: toCSV(cols, items), ids: items.map((r) => r.id), capped };
}

/** record tells the server which reports the file holds; it logs them. */
export function record(ids, { contact, filter }) {
  return request('/api/staff/exports', { method: 'POST', body: { ids, format: 'csv', contact, filter } });
}
