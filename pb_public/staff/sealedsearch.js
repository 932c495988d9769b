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
  // sealed=1 reads them from their own index, however many are in clear.
  const sealed = await readAll({ ...rest, sealed: 1 }, fields, cap);
  await openAll(vault, sealed.items, onProgress);
  return {
    items: sealed.items.filter((r) => r.seal === 'open' && contains(r, needle)),
    sealed: sealed.items.length,
    capped: sealed.capped,
    locked: sealed.items.filter((r) => r.seal !== 'open').length,
  };
}

/**
 * SearchPages pages the list's search over both kinds of report: the
 * server's matches in clear, read a page at a time as the pages shown
 * need them, with their total from the first; and the sealed reports the
 * other filters keep, all opened here first (sealedMatches). Page p of
 * the two in the list's order holds at most p pages of the clear ones, so
 * reading those is enough: at 100,000 reports, reading the first 5,000
 * clear matches before the first page showed took seconds
 * (docs/BENCHMARKS.md).
 */
export class SearchPages {
  constructor(query, vault, fields, perPage, onProgress) {
    Object.assign(this, { query, vault, fields, perPage, onProgress });
    this.clear = []; // the server's matches read so far, in its order
    this.read = 0; // the server's pages read
    this.more = true; // whether the server has more
    this.clearTotal = 0;
    this.clearCapped = false;
    this.done = Promise.resolve(); // the last page asked for, read in turn
  }

  /** next reads the server's next page of matches in clear. */
  async next() {
    const page = this.read + 1;
    const res = await request('/api/staff/reports', {
      query: { ...this.query, page, perPage: this.perPage, fields: this.fields, total: page === 1 ? 1 : 0 },
    });
    this.read = page;
    // A sealed report's text is not the server's to search; it is found below.
    this.clear.push(...res.items.filter((r) => !r.sealed));
    this.more = res.items.length === this.perPage;
    if (this.read === 1) {
      this.clearTotal = res.totalItems - (res.items.length - this.clear.length);
      this.clearCapped = !!res.totalCapped;
    }
  }

  /**
   * page answers page p (from 1): {items, total: how many match in all,
   * capped: whether the server stopped counting ("10,000+"), sealed,
   * sealedCapped and locked as sealedMatches answers them}. Pages asked
   * for at once are read in turn, so the server's pages stay in order.
   */
  page(p) {
    const run = this.done.then(() => this.readPage(p));
    this.done = run.catch(() => {});
    return run;
  }

  async readPage(p) {
    if (!this.sealed) {
      [, this.sealed] = await Promise.all([
        this.next(),
        sealedMatches(this.query, this.vault, this.fields, this.onProgress),
      ]);
    }
    while (this.more && this.read < p) await this.next();
    const ids = new Set(this.clear.map((r) => r.id));
    const items = [...this.clear, ...this.sealed.items.filter((r) => !ids.has(r.id))];
    items.sort(ORDERS[this.query.sort] || ORDERS['-created']);
    return {
      items: items.slice((p - 1) * this.perPage, p * this.perPage),
      total: this.clearTotal + this.sealed.items.length,
      capped: this.clearCapped,
      sealed: this.sealed.sealed,
      sealedCapped: this.sealed.capped,
      locked: this.sealed.locked,
    };
  }
}

/**
 * search is the export's search over both kinds of report: the server's
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
