// labels.js: the words the console shows for stored values. The stored
// values, and the urgency rule, are the server's vocabulary
// (/js/vocabulary.js, generated from internal/vocab).

import { NATIONALITY_OTHER, URGENT_ANSWERS, URGENT_NEEDS } from '/js/vocabulary.js';

export { STATUSES, WORKFLOW, NEEDS, LANGUAGES, CHANNELS } from '/js/vocabulary.js';

const words = {
  new: 'New', in_review: 'In review', contacted: 'Contacted', assisted: 'Assisted',
  repatriated: 'Repatriated', closed: 'Closed', duplicate: 'Duplicate', spam: 'Spam',
  safety: 'Safety', medical: 'Medical', shelter: 'Shelter', food_money: 'Food / money',
  documents: 'Documents', legal: 'Legal', repatriation: 'Repatriation',
  family_contact: 'Family contact', other: 'Other',
  en: 'English', id: 'Indonesian', zh: 'Chinese', vi: 'Vietnamese', th: 'Thai',
  my: 'Burmese', km: 'Khmer', fil: 'Filipino',
  self: 'Reporter', volunteer: 'Volunteer',
  under_18: 'Under 18', '18_25': '18–25', '26_35': '26–35', '36_50': '36–50', over_50: 'Over 50',
  unknown: 'Unknown', female: 'Female', male: 'Male', yes: 'Yes', no: 'No',
  note: 'Internal note', status: 'Status', reply: 'Reply sent', route: 'Routed',
  created: 'Created', export: 'Export', assign: 'Assigned',
  safety_risk_now: 'Safety risk now', minors_present: 'Minors',
};

/** label returns the display word for a stored value. */
export function label(value) {
  if (value === true) return 'Yes';
  if (value === false) return 'No';
  return words[value] || value || '—';
}

let countryNames = {};

/** loadCountries reads the English names of the nationality codes. */
export async function loadCountries() {
  try {
    countryNames = (await (await fetch('/i18n/countries.json')).json()).names.en || {};
  } catch {
    countryNames = {}; // the codes alone are still shown
  }
}

/**
 * nationality names a report's nationality: a code of the list as
 * "Indonesia (ID)", "other" and empty (unknown) in words.
 */
export function nationality(code) {
  if (!code || code === 'unknown') return 'Unknown';
  if (code === NATIONALITY_OTHER) return 'Another country';
  return countryNames[code] ? `${countryNames[code]} (${code})` : code;
}

/**
 * urgencyReasons says why a report is urgent, by the server's rule: each
 * urgent answer given yes, then each urgent need asked for. None means the
 * report is not urgent.
 */
export function urgencyReasons(r) {
  const needs = r.needs || [];
  return URGENT_ANSWERS.filter((a) => r[a]).concat(URGENT_NEEDS.filter((n) => needs.indexOf(n) >= 0)).map(label);
}

/**
 * TEXT holds the console's sentences, by key, so that they can be
 * translated in one place. {name} marks a value put in by say().
 */
const TEXT = {
  'queue.waiting': 'Waiting for us',
  'queue.all': 'All reports',
  'queue.mine': 'Assigned to me',
  'queue.unassigned': 'Unassigned',
  'queue.nav': 'Queues',
  'title': 'Homeward staff console',
  'title.waiting': '({n}) Homeward staff console',
  'waiting.badge': '{n} waiting',
  'waiting.none': 'Nothing is waiting for you.',
  'filter.assigned': 'Assigned to',
  'filter.assigned.any': 'Anyone',
  'filter.assigned.me': 'Me',
  'filter.assigned.none': 'No one',
  'filter.unread': 'Unread messages',
  'sort.label': 'Sort by',
  'sort.-created': 'Newest arrival',
  'sort.created': 'Oldest arrival',
  'sort.-last_activity': 'Latest activity',
  'sort.last_activity': 'Longest quiet',
  'sort.-urgent': 'Urgent first',
  'per.label': 'Per page',
  'layout.table': 'Table',
  'layout.cards': 'Cards',
  'layout.label': 'Show as',
  'list.showing': 'Showing {from}–{to}',
  'list.showingOf': 'Showing {from}–{to} of {total}',
  'list.loading': 'Loading…',
  'list.more': '{n}+',
  'list.none': 'No reports match these filters.',
  'list.noMore': 'No more reports.',
  'list.failed': 'Could not load reports: {error}',
  'list.page': 'Page {page}',
  'list.pageOf': 'Page {page} of {pages}',
  'col.select': 'Select',
  'col.marks': 'Marks',
  'col.status': 'Status',
  'col.needs': 'Needs',
  'col.people': 'People',
  'col.nationality': 'Nationality',
  'col.arrived': 'Arrived',
  'col.activity': 'Last activity',
  'col.assignee': 'Assigned to',
  'col.message': 'Message',
  'mark.urgent': 'Urgent',
  'mark.unread': '{n} unread',
  'mark.new': 'New message',
  'age.minutes': '{n} min',
  'age.hours': '{n} h',
  'age.days': '{n} d',
  'age.now': 'now',
  'nobody': '—',
  'bulk.selected': '{n} selected',
  'bulk.status': 'Set status',
  'bulk.assign': 'Assign to',
  'bulk.keep': 'Keep as is',
  'bulk.unassign': 'No one',
  'bulk.apply': 'Apply to selected',
  'bulk.clear': 'Clear selection',
  'bulk.done': '{n} reports changed.',
  'bulk.failed': 'Nothing was changed: {error}',
  'assign.label': 'Assigned to',
  'assign.me': 'Assign to me',
  'assign.nobody': 'No one',
  'assign.done': 'Assigned to {name}.',
  'assign.cleared': 'No one is assigned now.',
  'assign.failed': 'Could not assign the report: {error}',
  'event.assign': 'assigned the report to {to}',
  'event.unassign': 'took the assignment off {from}',
  'views.label': 'Saved views',
  'views.none': 'Choose a saved view',
  'views.name': 'Name of this view',
  'views.save': 'Save this view',
  'views.delete': 'Delete saved view',
  'views.saved': 'View “{name}” saved.',
  'views.deleted': 'View deleted.',
  'views.failed': 'Could not save the view: {error}',
  'keys.title': 'Keyboard shortcuts',
  'keys.open': 'Press ? for keyboard shortcuts',
  'keys.close': 'Close',
  'keys.next': 'Next report',
  'keys.prev': 'Previous report',
  'keys.enter': 'Open the report',
  'keys.select': 'Select the report for a bulk change',
  'keys.search': 'Search',
  'keys.status': 'Change the status (next step)',
  'keys.assign': 'Choose who is assigned',
  'keys.me': 'Assign to me',
  'keys.reply': 'Write a reply (Ctrl+Enter sends)',
  'keys.back': 'Back to the list',
  'keys.help': 'Show or hide this list',
  'keys.waiting': 'Go to the waiting queue',
  'report.next': 'Next report',
  'report.prev': 'Previous report',
  'signedOut.idle': 'You were signed out because the console was not used for a while. Sign in again to go on.',
  'signedOut.elsewhere': 'You signed out in another tab of this browser.',
  'signedOut.expired': 'Your session has ended. Sign in again to go on.',
};

/** say returns the sentence for key with {name} marks filled from vars. */
export function say(key, vars = {}) {
  const text = TEXT[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** age says how long ago a date was, shortly: "5 min", "3 h", "2 d". */
export function age(value, now = Date.now()) {
  if (!value) return say('nobody');
  const t = new Date(value.replace(' ', 'T')).getTime();
  if (Number.isNaN(t)) return value;
  const minutes = Math.max(0, Math.floor((now - t) / 60000));
  if (minutes < 1) return say('age.now');
  if (minutes < 60) return say('age.minutes', { n: minutes });
  if (minutes < 48 * 60) return say('age.hours', { n: Math.floor(minutes / 60) });
  return say('age.days', { n: Math.floor(minutes / 1440) });
}

/** NEED_MARKS are the needs as short marks for the table. */
export const NEED_MARKS = {
  safety: 'SAF', medical: 'MED', shelter: 'SHE', food_money: 'FOO', documents: 'DOC',
  legal: 'LEG', repatriation: 'REP', family_contact: 'FAM', other: 'OTH',
};
