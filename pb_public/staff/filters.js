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
    assigned: f.get('assigned') || '',
    unread: f.get('unread') === 'on',
    sort: f.get('sort') || DEFAULT_SORT,
    per: Number(f.get('per')) || DEFAULT_PER,
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

/**
 * toFilter builds the expression; an empty object gives "". me is the
 * signed-in staff member's id, for "assigned to me".
 */
export function toFilter(v, me = '') {
  const parts = [];
  if (v.assigned === 'me' && me) parts.push(`assignee = ${quote(me)}`);
  if (v.assigned === 'none') parts.push('assignee = ""');
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
export function toListQuery(v, me = '') {
  return {
    filter: toFilter({ ...v, need: '', q: '' }, me),
    need: v.need,
    q: v.q,
    unread: v.unread ? 1 : '',
    waiting: v.queue === 'waiting' ? 1 : '',
    sort: v.sort || DEFAULT_SORT,
  };
}

export const DEFAULT_SORT = '-created';
export const DEFAULT_PER = 50;
export const PAGE_SIZES = [25, 50, 100, 200];
export const SORTS = ['-created', 'created', '-last_activity', 'last_activity', '-urgent'];

/** FORM_FIELDS are the form's fields a list address carries. */
const FORM_FIELDS = ['status', 'need', 'language', 'channel', 'from', 'to', 'q', 'assigned', 'sort', 'per'];
const FORM_CHECKS = ['urgent', 'safety', 'minors', 'unread'];

/**
 * toAddress is the list's address (#/?…) for a state: the form's values,
 * the queue, the layout and the page, each left out at its default, so
 * Back, a reload and a shared link restore the same list.
 */
export function toAddress(v) {
  const p = new URLSearchParams();
  if (v.queue && v.queue !== 'waiting') p.set('queue', v.queue);
  for (const k of FORM_FIELDS) {
    if (!v[k]) continue;
    if (k === 'sort' && v[k] === DEFAULT_SORT) continue;
    if (k === 'per' && Number(v[k]) === DEFAULT_PER) continue;
    p.set(k, v[k]);
  }
  for (const k of FORM_CHECKS) if (v[k]) p.set(k, '1');
  if (v.layout) p.set('layout', v.layout);
  if (v.page && v.page > 1) p.set('page', String(v.page));
  const qs = p.toString();
  return qs ? `#/?${qs}` : '#/';
}

/** fromAddress reads a list address (#/ or #/?…) back into a state. */
export function fromAddress(hash) {
  const at = hash.indexOf('?');
  const p = new URLSearchParams(at >= 0 ? hash.slice(at + 1) : '');
  const v = { queue: p.get('queue') === 'all' ? 'all' : 'waiting', layout: p.get('layout') || '', page: Math.max(1, Number(p.get('page')) || 1) };
  for (const k of FORM_FIELDS) v[k] = p.get(k) || '';
  for (const k of FORM_CHECKS) v[k] = p.get(k) === '1';
  if (SORTS.indexOf(v.sort) < 0) v.sort = DEFAULT_SORT;
  v.per = PAGE_SIZES.indexOf(Number(v.per)) >= 0 ? Number(v.per) : DEFAULT_PER;
  return v;
}

/** writeFilters puts a state's values into the form. */
export function writeFilters(form, v) {
  for (const k of FORM_FIELDS) {
    const el = form.elements[k];
    if (el) el.value = v[k] === undefined || v[k] === '' ? (k === 'sort' ? DEFAULT_SORT : k === 'per' ? String(DEFAULT_PER) : '') : String(v[k]);
  }
  for (const k of FORM_CHECKS) {
    const el = form.elements[k];
    if (el) el.checked = !!v[k];
  }
}
