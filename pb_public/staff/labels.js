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
  created: 'Created', export: 'Export',
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
