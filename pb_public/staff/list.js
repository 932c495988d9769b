// list.js: the report list, as a dense table (one line a report) or as
// cards (small screens). The server applies filters, sort and page
// (25 to 200 a page) and counts the matches; each report comes with its
// number of reporter messages no one has read yet. Rows can be selected for
// a bulk change, and moved through with the keyboard (app.js binds keys).
// A sealed report's clear fields show at once; its message and places are
// filled in as this browser opens the page's envelopes (vault.js).
// A search is run here too (sealedsearch.js): the server can search only
// the reports in clear, so the sealed ones are opened and searched in this
// browser, and the list is the two together, paged here.

import { request } from './api.js';
import { unseal } from './vault.js';
import { SearchPages } from './sealedsearch.js';
import { h, replace, when, announce } from './dom.js';
import { label, nationality, urgencyReasons, say, age, needMark } from './labels.js';

// FIELDS are what the list shows, and the clear fields a sealed report's
// envelope is bound to (seal.js's reportClear), so it can be opened.
const FIELDS = [
  'id', 'created', 'status', 'urgent', 'safety_risk_now', 'minors_present', 'needs',
  'people_count', 'nationality', 'language', 'channel', 'duplicate_of', 'assignee', 'last_activity', 'unread',
  'compound_location', 'current_location', 'message:excerpt(140,true)',
  'embassy', 'volunteer', 'gender', 'age_band', 'left_on', 'passport_held', 'consent_contact', 'consent_share', 'consent_version', 'sealed',
].join(',');

// EXCERPT is as much of an opened message as the list shows, as the
// server's excerpt(140) of a clear one.
const EXCERPT = 140;

// SEAL_WORDS say why a sealed report's message is not shown.
const SEAL_WORDS = { opening: 'sealed.opening', locked: 'sealed.locked', broken: 'sealed.broken' };

export class ReportList {
  /**
   * @param {HTMLElement} root the element holding the list and pager
   * @param {{colleague: (id: string) => string}} names names staff ids
   * @param {import('./vault.js').Vault} vault opens sealed reports
   */
  constructor(root, names, vault) {
    this.root = root;
    this.names = names;
    this.vault = vault;
    // Keys read or opened since a search may open reports it could not.
    vault.onChange(() => {
      if (this.query.q && this.found && this.found.locked) return this.load();
      // An empty list says whether the embassy has a key yet (render).
      if (this.total === 0) this.render();
      return this.unsealPage();
    });
    this.query = {}; // see toListQuery
    this.page = 1;
    this.perPage = 50;
    this.layout = 'table';
    this.items = [];
    this.total = -1;
    this.cursor = -1; // the row the keyboard is on
    this.selected = new Set(); // ids chosen for a bulk change
    this.fresh = new Set(); // ids that arrived live, highlighted once
    this.rows = root.querySelector('[data-rows]');
    this.state = root.querySelector('[data-state]');
    this.loading = null;
    this.onSelect = () => {};
    this.onPage = () => {};
  }

  /**
   * load shows a page of the list. A search's matches are found once and
   * paged here; load() without a page finds them again (a report changed).
   */
  async load(page) {
    if (page === undefined) this.found = null;
    if (this.query.q) return this.loadSearch(page === undefined ? this.page : page);
    this.page = Math.max(1, page === undefined ? this.page : page);
    this.state.textContent = say('list.loading');
    const run = request('/api/staff/reports', {
      query: { ...this.query, page: this.page, perPage: this.perPage, total: 1, fields: FIELDS },
    });
    this.loading = run;
    try {
      const res = await run;
      if (this.loading !== run) return; // a newer load won
      this.items = res.items;
      this.total = res.totalItems;
      this.capped = !!res.totalCapped;
      const ids = new Set(this.items.map((r) => r.id));
      for (const id of [...this.selected]) if (!ids.has(id)) this.selected.delete(id);
      this.cursor = Math.min(this.cursor, this.items.length - 1);
      for (const r of this.items) if (r.sealed) r.seal = 'opening';
      this.render();
      this.unsealPage();
    } catch (err) {
      if (this.loading !== run) return;
      this.state.textContent = say('list.failed', { error: err.message });
    }
  }

  /**
   * loadSearch shows a page of a search's matches, the reports in clear
   * the server found and the sealed ones this browser opened and found.
   */
  async loadSearch(page) {
    this.page = Math.max(1, page);
    const key = JSON.stringify([this.query, this.perPage]);
    const run = {};
    this.loading = run;
    this.state.textContent = say('list.loading');
    try {
      if (!this.found || this.found.key !== key) {
        const progress = (done, total) => {
          if (this.loading !== run) return;
          this.state.textContent = say('search.opening', { done, total });
          this.root.dataset.searchProgress = `${done}/${total}`;
        };
        this.found = { key, pages: new SearchPages(this.query, this.vault, FIELDS, this.perPage, progress) };
      }
      const found = await this.found.pages.page(this.page);
      if (this.loading !== run) return; // a newer load won
      this.found.locked = found.locked;
      this.items = found.items
        .map((r) => ({ ...r, message: r.seal === 'open' && (r.message || '').length > EXCERPT ? `${r.message.slice(0, EXCERPT - 3)}...` : r.message }));
      this.total = found.total;
      this.capped = found.capped;
      const ids = new Set(this.items.map((r) => r.id));
      for (const id of [...this.selected]) if (!ids.has(id)) this.selected.delete(id);
      this.cursor = Math.min(this.cursor, this.items.length - 1);
      this.render();
      const notes = [say('search.sealed', { n: found.sealed })];
      if (found.sealedCapped) notes.push(say('search.capped', { n: found.sealed }));
      if (found.locked) notes.push(say('search.locked', { n: found.locked }));
      this.state.textContent += ` · ${notes.join(' ')}`;
      this.root.dataset.searched = String(found.sealed);
      this.root.dataset.searchCapped = String(found.sealedCapped);
    } catch (err) {
      if (this.loading !== run) return;
      this.state.textContent = say('list.failed', { error: err.message });
    }
  }

  /**
   * unsealPage opens the sealed reports the page shows, all at once, and
   * draws the page again with their messages and places.
   */
  async unsealPage() {
    const items = this.items.filter((r) => r.sealed);
    if (!items.length) return;
    const started = performance.now();
    await Promise.all(items.map(async (r) => {
      r.seal = await unseal(this.vault, r);
      if (r.seal === 'open' && (r.message || '').length > EXCERPT) r.message = `${r.message.slice(0, EXCERPT - 3)}...`;
    }));
    if (items.some((r) => !this.items.includes(r))) return; // a newer page is shown
    this.root.dataset.unsealMs = String(Math.round(performance.now() - started));
    this.render();
  }

  /** excerpt is a report's message as the list shows it. */
  excerpt(r) {
    if (SEAL_WORDS[r.seal]) return h('span', { class: `sealed sealed-${r.seal}`, 'data-seal': r.seal }, say(SEAL_WORDS[r.seal]));
    return r.message || say('report.noMessage');
  }

  /** clear empties the list on sign-out; a load still under way is dropped. */
  clear() {
    this.loading = null;
    this.found = null;
    this.items = [];
    this.total = -1;
    this.trail = null;
    this.cursor = -1;
    this.selected.clear();
    this.fresh.clear();
    replace(this.rows);
    this.state.textContent = '';
    this.onSelect(this.selected);
  }

  render() {
    const n = this.items.length;
    const from = (this.page - 1) * this.perPage + 1;
    const pages = this.total >= 0 ? Math.max(1, Math.ceil(this.total / this.perPage)) : 0;
    this.state.textContent = n === 0
      ? (this.page === 1 ? say('list.none') : say('list.noMore'))
      : this.total >= 0
        ? say('list.showingOf', { from, to: from + n - 1, total: this.capped ? say('list.more', { n: this.total }) : this.total })
        : say('list.showing', { from, to: from + n - 1 });
    if (n === 0 && this.page === 1 && this.vault.keyless) {
      // A new embassy's empty list: no report can come before its key.
      this.state.append(' ', h('a', { href: '#/keys', 'data-no-embassy-key': '' }, say('vault.embassy.none')));
    }
    replace(this.rows,
      this.layout === 'table' ? this.table() : h('ol', { class: 'reports' }, this.items.map((r, i) => this.card(r, i))),
      h('nav', { class: 'pager', 'aria-label': say('list.pages') },
        h('button', { type: 'button', 'data-prev': '', disabled: this.page === 1, onclick: () => this.onPage(this.page - 1) }, say('list.newer')),
        h('span', { 'data-page': '' }, pages ? say('list.pageOf', { page: this.page, pages }) : say('list.page', { page: this.page })),
        h('button', { type: 'button', 'data-next': '', disabled: pages ? this.page >= pages : n < this.perPage, onclick: () => this.onPage(this.page + 1) }, say('list.older'))));
    this.root.dataset.total = String(this.total);
    this.root.dataset.loaded = String(Date.now());
    this.onSelect(this.selected);
  }

  table() {
    const now = Date.now();
    return h('table', { class: 'report-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, say('col.select'))),
        ['col.marks', 'col.status', 'col.needs', 'col.people', 'col.nationality', 'col.arrived', 'col.activity', 'col.assignee', 'col.message']
          .map((k) => h('th', { scope: 'col' }, say(k))))),
      h('tbody', {}, this.items.map((r, i) => {
        const classes = ['report-row'];
        if (r.urgent) classes.push('urgent');
        if (this.fresh.has(r.id)) classes.push('fresh');
        if (i === this.cursor) classes.push('cursor');
        return h('tr', { class: classes.join(' '), dataset: { id: r.id, status: r.status, unread: String(r.unread || 0) } },
          h('td', {}, this.checkbox(r)),
          h('td', { class: 'marks' },
            r.urgent ? h('span', { class: 'mark mark-urgent', title: urgencyReasons(r).join(', ') }, '!') : null,
            r.unread ? h('span', { class: 'mark mark-unread new-message', title: say('mark.unread', { n: r.unread }) }, String(r.unread)) : null),
          h('td', {}, h('span', { class: `status status-${r.status}` }, label(r.status))),
          h('td', { class: 'need-marks' }, (r.needs || []).map((n) => h('abbr', { class: 'need-mark', title: label(n) }, needMark(n)))),
          h('td', { class: 'num' }, r.people_count ? String(r.people_count) : '?'),
          h('td', {}, r.nationality ? nationality(r.nationality) : say('nobody')),
          h('td', { class: 'num' }, h('time', { datetime: r.created, title: when(r.created) }, age(r.created, now))),
          h('td', { class: 'num' }, h('time', { datetime: r.last_activity, title: when(r.last_activity) }, age(r.last_activity, now))),
          h('td', { 'data-assignee-cell': r.assignee || '' }, r.assignee ? this.names.colleague(r.assignee) : say('nobody')),
          h('td', { class: 'excerpt-cell' }, h('a', { href: `#/report/${r.id}`, class: 'report-link' }, this.excerpt(r))));
      })));
  }

  checkbox(r) {
    return h('input', {
      type: 'checkbox',
      'aria-label': say('col.select'),
      'data-select': r.id,
      checked: this.selected.has(r.id),
      onchange: (e) => this.select(r.id, e.target.checked),
    });
  }

  select(id, on) {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    const box = this.rows.querySelector(`[data-select="${id}"]`);
    if (box) box.checked = on;
    this.onSelect(this.selected);
  }

  card(r, i) {
    const reasons = urgencyReasons(r);
    const classes = ['report'];
    if (r.urgent) classes.push('urgent');
    if (this.fresh.has(r.id)) classes.push('fresh');
    if (i === this.cursor) classes.push('cursor');
    return h('li', { class: classes.join(' '), dataset: { id: r.id, status: r.status, unread: String(r.unread || 0) } },
      h('a', { href: `#/report/${r.id}`, class: 'report-link' },
        h('span', { class: 'report-top' },
          h('span', { class: `status status-${r.status}` }, label(r.status)),
          reasons.map((why) => h('span', { class: 'flag' }, why)),
          r.unread ? h('span', { class: 'new-message' }, say('mark.new')) : null,
          this.fresh.has(r.id) ? h('span', { class: 'arrived' }, say('list.arrived')) : null,
          r.assignee ? h('span', { class: 'assignee' }, this.names.colleague(r.assignee)) : null,
          h('time', { datetime: r.created }, when(r.created))),
        h('span', { class: 'report-who' },
          say(r.people_count === 1 ? 'list.person' : 'list.people', { n: r.people_count || '?' }),
          r.nationality ? ` · ${nationality(r.nationality)}` : '',
          r.language ? ` · ${label(r.language)}` : '',
          ` · ${say('list.via', { channel: label(r.channel) })}`),
        (r.needs || []).length
          ? h('span', { class: 'needs' }, r.needs.map((n) => h('span', { class: 'need' }, label(n))))
          : null,
        h('span', { class: 'excerpt' }, this.excerpt(r)),
        r.compound_location || r.current_location
          ? h('span', { class: 'where' },
            [r.compound_location && say('list.compound', { place: r.compound_location }),
              r.current_location && say('list.now', { place: r.current_location })].filter(Boolean).join(' · '))
          : null));
  }

  /** move puts the keyboard's cursor on the next (1) or previous (-1) row. */
  move(delta) {
    if (!this.items.length) return;
    this.cursor = Math.max(0, Math.min(this.items.length - 1, this.cursor + delta));
    for (const el of this.rows.querySelectorAll('[data-id]')) {
      el.classList.toggle('cursor', el.dataset.id === this.items[this.cursor].id);
    }
    const row = this.rows.querySelector(`[data-id="${this.items[this.cursor].id}"]`);
    const link = row && row.querySelector('a.report-link');
    if (link) link.focus();
  }

  /** current is the id under the keyboard's cursor, if any. */
  current() {
    return this.cursor >= 0 && this.items[this.cursor] ? this.items[this.cursor].id : null;
  }

  /**
   * follow remembers the list's order when one of its reports is opened,
   * so the next and previous reports stay the same while the list itself
   * changes (a report worked on may leave the waiting queue).
   */
  follow(id) {
    const ids = this.items.map((r) => r.id);
    if (ids.indexOf(id) >= 0) this.trail = ids;
  }

  /** neighbour is the id of the report after (1) or before (-1) id. */
  neighbour(id, delta) {
    const ids = this.trail || this.items.map((r) => r.id);
    const i = ids.indexOf(id);
    return i >= 0 && ids[i + delta] ? ids[i + delta] : null;
  }

  /** onMessage re-reads the list when a reporter writes. */
  onMessage({ action, record }) {
    if (record.direction !== 'reporter') return;
    if (action === 'create' && this.items.some((r) => r.id === record.report)) announce(say('list.newMessage'));
    this.load();
  }

  /** onRealtime keeps the list true without a reload. */
  onRealtime({ action, record }) {
    if (action === 'create') {
      this.fresh.add(record.id);
      announce(say(record.urgent ? 'list.newUrgent' : 'list.newReport'));
      // Page 1 is re-read so the server applies the filters and the order.
      if (this.page === 1) this.load();
      else this.state.textContent = say('list.newOnFirst');
      return;
    }
    const i = this.items.findIndex((r) => r.id === record.id);
    if (i < 0) return;
    if (action === 'delete') this.items.splice(i, 1);
    else {
      this.items[i] = {
        ...this.items[i], status: record.status, duplicate_of: record.duplicate_of,
        assignee: record.assignee, last_activity: record.last_activity,
      };
    }
    this.render();
  }
}
