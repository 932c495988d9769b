// stats.js: counts of the filtered list, the k-anonymous public statistics,
// and the CSV export. The counts are computed by the server over the
// caller's embassy only, but for a search the sealed reports it cannot
// read are opened, searched and counted in this browser and added; the
// export is built in this browser (export.js), where sealed reports open.

import { request } from './api.js';
import { build, record } from './export.js';
import { sealedMatches } from './sealedsearch.js';
import { reportClear } from '/js/seal.js';
import * as htcds from './htcds.js';
import { h, replace, announce } from './dom.js';
import { label, nationality, say } from './labels.js';

/** DIMENSIONS are what the counts are by, with their words. */
const DIMENSIONS = [['status', 'col.status'], ['needs', 'col.needs'], ['nationality', 'col.nationality'], ['week', 'stats.week']];

// COUNTED are the fields counting a sealed report reads: what it is counted
// by, its envelope, and the clear fields the envelope is bound to, as
// seal.js's reportClear names them.
const COUNTED = [...new Set(['id', 'created', 'status', 'sealed', ...Object.keys(reportClear({}))])].join(',');

/**
 * isoWeek is the ISO 8601 week of a stored date ("2026-11-30 09:56:35.732Z"),
 * as the server's strftime('%G-W%V') writes it.
 */
export function isoWeek(stored) {
  const d = new Date(String(stored || '').replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) return 'unknown';
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7)); // the Thursday of its week
  const year = t.getUTCFullYear();
  const week = Math.floor((t - Date.UTC(year, 0, 1)) / 86400000 / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** addCounts adds reports to counts c as the server counts them. */
export function addCounts(c, reports) {
  const add = (m, k) => { m[k] = (m[k] || 0) + 1; };
  for (const r of reports) {
    c.total++;
    add(c.status, r.status);
    for (const n of Array.isArray(r.needs) ? r.needs : []) add(c.needs, n);
    add(c.nationality, String(r.nationality || '').trim() || 'unknown');
    add(c.week, isoWeek(r.created));
  }
  return c;
}

function table(dim, cells, format = (v) => String(v)) {
  const title = say(DIMENSIONS.find(([d]) => d === dim)[1]);
  const keys = Object.keys(cells).sort((a, b) => (dim === 'week' ? b.localeCompare(a) : (cells[b] ?? -1) - (cells[a] ?? -1)));
  return h('section', { class: 'card' },
    h('h3', {}, title),
    keys.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, title), h('th', { scope: 'col', class: 'num' }, say('stats.count')))),
        h('tbody', {}, keys.map((k) => h('tr', {},
          h('th', { scope: 'row' }, dim === 'nationality' ? nationality(k) : dim === 'week' ? k : label(k)),
          h('td', { class: 'num' }, format(cells[k]))))))
      : h('p', { class: 'muted' }, say('stats.nothing')));
}

export class StatsView {
  /**
   * @param {HTMLElement} root
   * @param {import('./vault.js').Vault} vault opens sealed reports for the export
   */
  constructor(root, vault) {
    this.root = root;
    this.vault = vault;
  }

  /** open shows the counts and export of query ({filter, q}). */
  async open(query, description) {
    replace(this.root,
      h('p', {}, h('a', { href: '#/', class: 'back' }, say('report.back'))),
      h('h2', {}, say('stats.title')),
      h('p', { class: 'muted' }, description ? say('stats.filtered', { filters: description }) : say('stats.all')),
      this.exportForm(query),
      this.htcdsForm(),
      h('h3', {}, say('stats.list')),
      h('div', { class: 'grid', 'data-counts': '' }, say('stats.counting')),
      h('h3', {}, say('stats.public')),
      h('p', { class: 'muted' }, say('stats.publicHelp')),
      h('div', { class: 'grid', 'data-public': '' }, say('stats.counting')));
    const counts = this.root.querySelector('[data-counts]');
    const pub = this.root.querySelector('[data-public]');
    try {
      // The server counts what it can read: with a search, the sealed
      // reports are searched and counted here, and added.
      const [c, sealed] = await Promise.all([
        request('/api/staff/counts', { query }),
        query.q ? sealedMatches(query, this.vault, COUNTED, (done, total) => {
          counts.dataset.searchProgress = `${done}/${total}`;
        }) : null,
      ]);
      const notes = [];
      if (sealed) {
        addCounts(c, sealed.items);
        notes.push(say('search.sealed', { n: sealed.sealed }));
        if (sealed.capped) notes.push(say('search.capped', { n: sealed.sealed }));
        if (sealed.locked) notes.push(say('search.locked', { n: sealed.locked }));
      }
      replace(counts, h('p', { class: 'total' }, say('stats.reports', { n: c.total })),
        notes.length ? h('p', { class: 'muted small' }, notes.join(' ')) : null,
        DIMENSIONS.map(([k]) => table(k, c[k])));
      counts.dataset.total = String(c.total);
    } catch (err) {
      replace(counts, h('p', { class: 'error' }, say('stats.failed', { error: err.message })));
    }
    try {
      const s = await request('/api/staff/stats');
      // A hidden cell is shown as hidden, never as a number or a bound: the
      // one hidden to protect another can be any size.
      const hidden = say('stats.hidden');
      const fmt = (v) => (v === null ? hidden : String(v));
      replace(pub, h('p', { class: 'total' }, s.total === null ? say('stats.fewer', { k: s.k }) : say('list.people', { n: s.total })),
        h('p', { class: 'muted small' }, say('stats.hiddenHelp', { hidden, k: s.k })),
        table('nationality', s.nationality, fmt), table('needs', s.needs, fmt), table('week', s.week, fmt));
    } catch (err) {
      replace(pub, h('p', { class: 'error' }, say('stats.failed', { error: err.message })));
    }
  }

  exportForm(query) {
    const form = h('form', { class: 'card stack', 'data-export': '' },
      h('h3', {}, say('export.title')),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'contact' }),
        ' ', say('export.contact')),
      h('p', { class: 'muted small' }, say('export.help')),
      h('button', { type: 'submit', class: 'primary' }, say('export.download')));
    return this.onExport(form, 'homeward-reports', async (onProgress) => {
      const contact = form.elements.contact.checked;
      const file = await build(query, this.vault, { contact, say, onProgress });
      // Logged before the file is handed over, as the server's export is;
      // a file of no reports (the header alone) has nothing to log.
      if (file.ids.length) await record(file.ids, { contact, filter: query.filter });
      return file;
    });
  }

  /**
   * htcdsForm makes the HTCDS case file of the embassy's reports whose
   * reporter agreed to sharing (htcds.js), sealed reports opened here.
   */
  htcdsForm() {
    const form = h('form', { class: 'card stack', 'data-htcds': '' },
      h('h3', {}, say('htcds.title')),
      h('p', { class: 'muted small' }, say('htcds.help')),
      h('button', { type: 'submit' }, say('htcds.download')));
    return this.onExport(form, 'homeward-htcds', async (onProgress) => {
      const file = await htcds.build(this.vault, { say, onProgress });
      if (file.ids.length) await htcds.record(file.ids);
      return file;
    });
  }

  /**
   * onExport makes form's submit build a file with make(onProgress), which
   * opens the sealed reports and logs the ids it exports, and hand it to
   * the browser as name; the form says how far it got, and why it failed.
   */
  onExport(form, name, make) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const button = form.querySelector('button');
      const state = form.querySelector('[data-export-state]') || form.appendChild(h('p', { class: 'muted small', 'data-export-state': '', 'aria-live': 'polite' }));
      for (const el of form.querySelectorAll('.error')) el.remove();
      button.disabled = true;
      try {
        const file = await make((done, total) => { state.textContent = say('export.opening', { done, total }); });
        state.textContent = file.capped ? say('export.capped', { n: file.ids.length }) : '';
        download(file.csv, name);
        form.dataset.exported = String(file.ids.length);
        announce(say('export.done'));
      } catch (err) {
        form.append(h('p', { class: 'error', role: 'alert' }, say('export.failed', { error: err.message })));
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }
}

/** download hands the browser a CSV file, named for today. */
function download(csv, name) {
  const blob = new Blob([csv], { type: 'text/csv;charset=utf-8' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `${name}-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
