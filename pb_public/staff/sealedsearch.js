// sealedsearch.js: what the console reads of reports sealed to the
// embassy's key when it searches or exports. Their message, places and
// contact details open only here, so the server cannot search or export
// them: the console asks the server for the sealed reports the other
// filters keep (clear fields only), opens them with the vault in batches,
// and searches their text folded as the server folds (fold.js).

import { request } from './api.js';
import { unseal } from './vault.js';
import { fold } from './fold.js';

/**
 * SEALED_CAP is the most sealed reports one search or export reads and
 * opens, newest first; the console says so when it stops there.
 */
export const SEALED_CAP = 5000;
/** PAGE is how many reports one request reads (the list route allows 500). */
const PAGE = 500;
/** BATCH is how many reports are opened before the page may draw again. */
const BATCH = 50;

/** SEARCHED are the fields a search looks in, as the server's index. */
const SEARCHED = ['message', 'compound_location', 'current_location'];

/** onlySealed narrows a list filter to sealed reports. */
export function onlySealed(filter) {
  return filter ? `(${filter}) && sealed != null` : 'sealed != null';
}

/**
 * readAll reads up to cap reports of the list route for query, page by
 * page, and says whether there were more.
 */
export async function readAll(query, fields, cap) {
  const items = [];
  for (let page = 1; items.length < cap; page++) {
    const res = await request('/api/staff/reports', { query: { ...query, page, perPage: PAGE, fields } });
    items.push(...res.items);
    if (res.items.length < PAGE) return { items: items.slice(0, cap), capped: false };
  }
  return { items: items.slice(0, cap), capped: true };
}

/**
 * openAll opens the sealed reports of items with the vault, BATCH at a
 * time, giving the page a turn between batches; each gets its seal state
 * (vault.js unseal). onProgress(done, total) follows.
 */
export async function openAll(vault, items, onProgress = () => {}) {
  const sealed = items.filter((r) => r.sealed);
  for (let i = 0; i < sealed.length; i += BATCH) {
    onProgress(i, sealed.length);
    await Promise.all(sealed.slice(i, i + BATCH).map(async (r) => { r.seal = await unseal(vault, r); }));
    await new Promise((ok) => setTimeout(ok));
  }
  onProgress(sealed.length, sealed.length);
}

/** contains reports whether a report's text holds needle, folded. */
export function contains(r, needle) {
  return SEARCHED.some((k) => r[k] && fold(r[k]).includes(needle));
}

/** ORDERS compare two reports as the list's sorts order them. */
const ORDERS = {
  '-created': (a, b) => cmp(b.created, a.created),
  created: (a, b) => cmp(a.created, b.created),
  '-last_activity': (a, b) => cmp(b.last_activity, a.last_activity),
  last_activity: (a, b) => cmp(a.last_activity, b.last_activity),
  '-urgent': (a, b) => (Number(!!b.urgent) - Number(!!a.urgent)) || cmp(b.created, a.created),
};

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * sealedMatches reads the sealed reports the filters of query keep
 * (newest first, up to cap), opens them here and returns those whose
 * folded text holds query.q folded: {items, sealed: how many were read,
 * capped: whether there were more, locked: how many did not open}.
 */
export async function sealedMatches(query, vault, fields, onProgress, cap = SEALED_CAP) {
  const needle = fold(query.q);
  const rest = { ...query, q: '' };
  const sealed = await readAll({ ...rest, filter: onlySealed(rest.filter) }, fields, cap);
  await openAll(vault, sealed.items, onProgress);
  return {
    items: sealed.items.filter((r) => r.seal === 'open' && contains(r, needle)),
    sealed: sealed.items.length,
    capped: sealed.capped,
    locked: sealed.items.filter((r) => r.seal !== 'open').length,
  };
}

/**
 * search is the list's search over both kinds of report: the server's
 * answer for the reports in clear, and the sealed reports the other
 * filters keep, opened here and kept when their folded text holds the
 * folded term (sealedMatches); together, in the list's order. It answers
 * {items, sealed, capped, locked (as sealedMatches), clearCapped: whether
 * the server had more matches than cap (SEALED_CAP unless given)}.
 */
export async function search(query, vault, fields, onProgress, cap = SEALED_CAP) {
  const [clear, sealed] = await Promise.all([
    readAll(query, fields, cap),
    sealedMatches(query, vault, fields, onProgress, cap),
  ]);
  const ids = new Set();
  const items = [];
  for (const r of clear.items) if (!r.sealed && !ids.has(r.id)) { ids.add(r.id); items.push(r); }
  for (const r of sealed.items) if (!ids.has(r.id)) { ids.add(r.id); items.push(r); }
  items.sort(ORDERS[query.sort] || ORDERS['-created']);
  return { items, sealed: sealed.sealed, capped: sealed.capped, clearCapped: clear.capped, locked: sealed.locked };
}
