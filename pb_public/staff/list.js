// list.js: the report list. Newest first, 50 a page, never counted, so a
// flooded embassy never waits for a count of the whole table; a page is
// "full" when it has perPage rows, and only then is there a next page.

import { request } from './api.js';
import { h, replace, when, announce } from './dom.js';
import { label, nationality, urgencyReasons } from './labels.js';

const PER_PAGE = 50;
const FIELDS = [
  'id', 'created', 'status', 'urgent', 'safety_risk_now', 'minors_present', 'needs',
  'people_count', 'nationality', 'language', 'channel', 'duplicate_of',
  'compound_location', 'current_location', 'message:excerpt(140,true)',
].join(',');

export class ReportList {
  /** @param {HTMLElement} root the element holding the list and pager */
  constructor(root) {
    this.root = root;
    this.query = {}; // filter, need, q: see toListQuery
    this.page = 1;
    this.items = [];
    this.fresh = new Set(); // ids that arrived live, highlighted once
    this.unread = new Set(); // report ids with a reporter message since loading
    this.rows = root.querySelector('[data-rows]');
    this.state = root.querySelector('[data-state]');
    this.prev = root.querySelector('[data-prev]');
    this.next = root.querySelector('[data-next]');
    this.pageLabel = root.querySelector('[data-page]');
    this.prev.addEventListener('click', () => this.load(this.page - 1));
    this.next.addEventListener('click', () => this.load(this.page + 1));
    this.loading = null;
  }

  setQuery(query) {
    this.query = query;
    return this.load(1);
  }

  async load(page = this.page) {
    this.page = Math.max(1, page);
    this.state.textContent = 'Loading…';
    // The server's list route scopes to the caller's embassy, applies
    // the collection's rules, and answers the need and the search from
    // their own indexes; the answer has the records API's shape, uncounted.
    const run = request('/api/staff/reports', {
      query: { ...this.query, page: this.page, perPage: PER_PAGE, fields: FIELDS },
    });
    this.loading = run;
    try {
      const res = await run;
      if (this.loading !== run) return; // a newer load won
      this.items = res.items;
      this.render();
    } catch (err) {
      if (this.loading !== run) return;
      this.state.textContent = `Could not load reports: ${err.message}`;
    }
  }

  render() {
    replace(this.rows, this.items.map((r) => this.row(r)));
    const n = this.items.length;
    this.state.textContent = n === 0
      ? (this.page === 1 ? 'No reports match these filters.' : 'No more reports.')
      : `Showing ${(this.page - 1) * PER_PAGE + 1}–${(this.page - 1) * PER_PAGE + n}`;
    this.pageLabel.textContent = `Page ${this.page}`;
    this.prev.disabled = this.page === 1;
    this.next.disabled = n < PER_PAGE;
    this.root.dataset.loaded = String(Date.now());
  }

  row(r) {
    const reasons = urgencyReasons(r);
    const classes = ['report'];
    if (r.urgent) classes.push('urgent');
    if (this.fresh.has(r.id)) classes.push('fresh');
    return h('li', { class: classes.join(' '), dataset: { id: r.id, status: r.status } },
      h('a', { href: `#/report/${r.id}`, class: 'report-link' },
        h('span', { class: 'report-top' },
          h('span', { class: `status status-${r.status}` }, label(r.status)),
          reasons.map((why) => h('span', { class: 'flag' }, why)),
          this.unread.has(r.id) ? h('span', { class: 'new-message' }, 'New message') : null,
          this.fresh.has(r.id) ? h('span', { class: 'arrived' }, 'Just arrived') : null,
          h('time', { datetime: r.created }, when(r.created))),
        h('span', { class: 'report-who' },
          `${r.people_count || '?'} ${r.people_count === 1 ? 'person' : 'people'}`,
          r.nationality ? ` · ${nationality(r.nationality)}` : '',
          r.language ? ` · ${label(r.language)}` : '',
          ` · via ${label(r.channel)}`),
        (r.needs || []).length
          ? h('span', { class: 'needs' }, r.needs.map((n) => h('span', { class: 'need' }, label(n))))
          : null,
        h('span', { class: 'excerpt' }, r.message || '(no message)'),
        r.compound_location || r.current_location
          ? h('span', { class: 'where' },
            [r.compound_location && `Compound: ${r.compound_location}`,
              r.current_location && `Now: ${r.current_location}`].filter(Boolean).join(' · '))
          : null));
  }

  /** onMessage flags a report whose reporter just wrote. */
  onMessage({ action, record }) {
    if (action !== 'create' || record.direction !== 'reporter') return;
    this.unread.add(record.report);
    if (this.items.some((r) => r.id === record.report)) {
      announce('A reporter sent a new message.');
      this.render();
    }
  }

  /** onRealtime keeps the list true without a reload. */
  onRealtime({ action, record }) {
    if (action === 'create') {
      this.fresh.add(record.id);
      announce(record.urgent ? 'A new urgent report arrived.' : 'A new report arrived.');
      // Page 1 is re-read so the server applies the filters and the order.
      if (this.page === 1) this.load(1);
      else this.state.textContent = 'New reports arrived: go to page 1 to see them.';
      return;
    }
    const i = this.items.findIndex((r) => r.id === record.id);
    if (i < 0) return;
    if (action === 'delete') this.items.splice(i, 1);
    else this.items[i] = { ...this.items[i], status: record.status, duplicate_of: record.duplicate_of };
    this.render();
  }
}
