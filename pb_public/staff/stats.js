// stats.js: counts of the filtered list, the k-anonymous public statistics,
// and the CSV export. All three are computed by the server over the
// caller's embassy only.

import { request, auth } from './api.js';
import { h, replace, announce } from './dom.js';
import { label, nationality } from './labels.js';

// HIDDEN stands in a public table for a suppressed number.
const HIDDEN = 'hidden';

const DIMENSIONS = [['status', 'Status'], ['needs', 'Needs'], ['nationality', 'Nationality'], ['week', 'Week']];

function table(title, cells, format = (v) => String(v)) {
  const keys = Object.keys(cells).sort((a, b) => (title === 'Week' ? b.localeCompare(a) : (cells[b] ?? -1) - (cells[a] ?? -1)));
  return h('section', { class: 'card' },
    h('h3', {}, title),
    keys.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, title), h('th', { scope: 'col', class: 'num' }, 'Count'))),
        h('tbody', {}, keys.map((k) => h('tr', {},
          h('th', { scope: 'row' }, title === 'Nationality' ? nationality(k) : title === 'Week' ? k : label(k)),
          h('td', { class: 'num' }, format(cells[k]))))))
      : h('p', { class: 'muted' }, 'Nothing to count.'));
}

export class StatsView {
  constructor(root) {
    this.root = root;
  }

  /** open shows the counts and export of query ({filter, q}). */
  async open(query, description) {
    replace(this.root,
      h('p', {}, h('a', { href: '#/', class: 'back' }, '← All reports')),
      h('h2', {}, 'Counts and exports'),
      h('p', { class: 'muted' }, description ? `Filtered: ${description}` : 'All reports of your embassy.'),
      this.exportForm(query),
      h('h3', {}, 'Reports in this list'),
      h('div', { class: 'grid', 'data-counts': '' }, 'Counting…'),
      h('h3', {}, 'Public statistics'),
      h('p', { class: 'muted' }, 'People (not reports), without duplicates and spam. Any number under 11 is hidden, and so is one more, of any size, where a hidden number could be worked out from the total, so no one can be singled out. Safe to publish.'),
      h('div', { class: 'grid', 'data-public': '' }, 'Counting…'));
    const counts = this.root.querySelector('[data-counts]');
    const pub = this.root.querySelector('[data-public]');
    try {
      const c = await request('/api/staff/counts', { query });
      replace(counts, h('p', { class: 'total' }, `${c.total} reports`), DIMENSIONS.map(([k, t]) => table(t, c[k])));
    } catch (err) {
      replace(counts, h('p', { class: 'error' }, `Could not count: ${err.message}`));
    }
    try {
      const s = await request('/api/staff/stats');
      // A hidden cell is shown as hidden, never as a number or a bound: the
      // one hidden to protect another can be any size.
      const fmt = (v) => (v === null ? HIDDEN : String(v));
      replace(pub, h('p', { class: 'total' }, s.total === null ? `Fewer than ${s.k} people (the total is hidden)` : `${s.total} people`),
        h('p', { class: 'muted small' }, `“${HIDDEN}” marks a number that is not published: under ${s.k}, or hidden with one that is.`),
        table('Nationality', s.nationality, fmt), table('Needs', s.needs, fmt), table('Week', s.week, fmt));
    } catch (err) {
      replace(pub, h('p', { class: 'error' }, `Could not count: ${err.message}`));
    }
  }

  exportForm(query) {
    const form = h('form', { class: 'card stack', 'data-export': '' },
      h('h3', {}, 'Export this list as CSV'),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'contact' }),
        ' Include contact details (name, phone, messaging app)'),
      h('p', { class: 'muted small' }, 'Every export is logged with your name. Keep files with contact details encrypted and delete them when done.'),
      h('button', { type: 'submit', class: 'primary' }, 'Download CSV'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const contact = form.elements.contact.checked;
      try {
        // fetch, not a link: the token goes in a header, never in a URL.
        const url = new URL('/api/staff/export.csv', location.origin);
        if (query.filter) url.searchParams.set('filter', query.filter);
        if (query.q) url.searchParams.set('q', query.q);
        if (contact) url.searchParams.set('contact', '1');
        const res = await fetch(url, { headers: { Authorization: auth.token }, cache: 'no-store' });
        if (!res.ok) throw new Error((await res.json().catch(() => ({}))).message || res.statusText);
        const blob = await res.blob();
        const a = h('a', { href: URL.createObjectURL(blob), download: `homeward-reports-${new Date().toISOString().slice(0, 10)}.csv` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        announce('Export downloaded.');
      } catch (err) {
        form.append(h('p', { class: 'error', role: 'alert' }, `Could not export: ${err.message}`));
      }
    });
    return form;
  }
}
