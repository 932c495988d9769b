// labels.js: every word the console shows, in the staff member's language:
// sentences by key through say(), stored values through label(), from
// /i18n/staff/<lang>.json (hooks/staff checks every key the console uses is
// in every language). The stored values, and the urgency rule, are the
// server's vocabulary (/js/vocabulary.js, generated from internal/vocab).

import * as i18n from '/js/i18n.js';
import { NATIONALITY_OTHER, URGENT_ANSWERS, URGENT_NEEDS } from '/js/vocabulary.js';

export { STATUSES, WORKFLOW, NEEDS, LANGUAGES, CHANNELS } from '/js/vocabulary.js';

/**
 * loadLanguage reads the console's strings in language l (a code of
 * LANGUAGES) from /i18n/staff/<l>.json, with /js/i18n.js as the reporter
 * app does, applies them to the page's data-i18n elements, and reads the
 * nationality names in l.
 */
export async function loadLanguage(l) {
  try {
    await i18n.load(l, '/i18n/staff/');
  } catch {
    await i18n.load('en', '/i18n/staff/');
  }
  applyTo(document);
  try {
    const names = (await (await fetch('/i18n/countries.json')).json()).names;
    countryNames = names[i18n.lang()] || names.en || {};
  } catch {
    countryNames = {}; // the codes alone are still shown
  }
}

/** pickLanguage is the staff member's language, else the browser's. */
export function pickLanguage(record) {
  return i18n.pick(record && record.language, { saved: false });
}

/** lang is the language the console shows. */
export const lang = () => i18n.lang();

/**
 * applyTo fills what /js/i18n.js does not: data-i18n-title and
 * data-i18n-aria (aria-label).
 */
export function applyTo(root) {
  i18n.apply(root);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = say(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', say(el.dataset.i18nAria));
}

/**
 * say returns the sentence for key with {name} marks filled from vars. A
 * key missing from the language file is a fault the browser tests catch:
 * it is logged as an error and shown as the key.
 */
export function say(key, vars = {}) {
  const text = i18n.t(key, vars);
  if (text === key) console.error(`console string missing: ${key}`);
  return text;
}

/** label returns the display word for a stored value ("value." + value). */
export function label(value) {
  if (value === true) return say('value.yes');
  if (value === false) return say('value.no');
  if (value === undefined || value === null || value === '') return '—';
  const key = `value.${value}`;
  const text = i18n.t(key);
  return text === key ? String(value) : text;
}

let countryNames = {};

/**
 * nationality names a report's nationality: a code of the list as
 * "Indonesia (ID)", "other" and empty (unknown) in words.
 */
export function nationality(code) {
  if (!code || code === 'unknown') return say('value.unknown');
  if (code === NATIONALITY_OTHER) return say('nationality.other');
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

/** needMark is a need as a short mark for the table. */
export function needMark(need) {
  return say(NEED_MARKS[need] || 'needMark.other');
}

const NEED_MARKS = {
  safety: 'needMark.safety', medical: 'needMark.medical', shelter: 'needMark.shelter', food_money: 'needMark.food_money',
  documents: 'needMark.documents', legal: 'needMark.legal', repatriation: 'needMark.repatriation',
  family_contact: 'needMark.family_contact', other: 'needMark.other',
};
