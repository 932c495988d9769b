// filters.js: turns the filter form into a PocketBase filter expression.
// The same expression goes to the counts and to the CSV export; the list
// sends the need and the search as their own parameters, which the server
// answers from their indexes with the same meaning. The server adds the
// embassy scope itself; nothing here can widen what a member of staff sees.

import { quote } from './api.js';

/** readFilters returns the form's values as a plain object. */
export function readFilters(form) {
  const f = new FormData(form);
  return {
    status: f.get('status') || '',
    need: f.get('need') || '',
    urgent: f.get('urgent') === 'on',
    safety: f.get('safety') === 'on',
    minors: f.get('minors') === 'on',
    language: f.get('language') || '',
    channel: f.get('channel') || '',
    from: f.get('from') || '',
    to: f.get('to') || '',
    q: (f.get('q') || '').trim(),
  };
}

/** dayStart turns a yyyy-mm-dd from a date input into the server's UTC form. */
function dayStart(day, plusDays = 0) {
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString().replace('T', ' ');
}

/**
 * likeLiteral escapes LIKE's wildcards, so "~" finds the text as typed, as
 * the list's q does: PocketBase would take an unescaped % as a pattern.
 */
function likeLiteral(text) {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** toFilter builds the expression; an empty object gives "". */
export function toFilter(v) {
  const parts = [];
  if (v.status) parts.push(`status = ${quote(v.status)}`);
  if (v.need) parts.push(`needs:each ?= ${quote(v.need)}`);
  if (v.urgent) parts.push('urgent = true');
  if (v.safety) parts.push('safety_risk_now = true');
  if (v.minors) parts.push('minors_present = true');
  if (v.language) parts.push(`language = ${quote(v.language)}`);
  if (v.channel) parts.push(`channel = ${quote(v.channel)}`);
  if (v.from) parts.push(`created >= ${quote(dayStart(v.from))}`);
  if (v.to) parts.push(`created < ${quote(dayStart(v.to, 1))}`);
  if (v.q) {
    const q = quote(likeLiteral(v.q));
    parts.push(`(message ~ ${q} || compound_location ~ ${q} || current_location ~ ${q})`);
  }
  return parts.join(' && ');
}

/**
 * toListQuery is the query of the list route /api/staff/reports: the need
 * and the search apart, so the server can use their indexes, and the other
 * filters as an expression.
 */
export function toListQuery(v) {
  return { filter: toFilter({ ...v, need: '', q: '' }), need: v.need, q: v.q };
}
