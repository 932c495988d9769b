// labels.js: the words the console shows for stored values. The stored
// values are the vocabularies of the reports collection.

export const STATUSES = ['new', 'in_review', 'contacted', 'assisted', 'repatriated', 'closed', 'duplicate', 'spam'];
/** WORKFLOW is the usual path; duplicate and spam are side exits. */
export const WORKFLOW = ['new', 'in_review', 'contacted', 'assisted', 'repatriated', 'closed'];
export const NEEDS = ['safety', 'medical', 'shelter', 'food_money', 'documents', 'legal', 'repatriation', 'family_contact', 'other'];
export const LANGUAGES = ['en', 'id', 'zh', 'vi', 'th', 'my', 'km', 'fil'];
export const CHANNELS = ['self', 'volunteer'];

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
  if (code === 'other') return 'Another country';
  return countryNames[code] ? `${countryNames[code]} (${code})` : code;
}

/** urgencyReasons says why a report is urgent, as the server decides it. */
export function urgencyReasons(r) {
  const out = [];
  if (r.safety_risk_now) out.push('Safety risk now');
  if (r.minors_present) out.push('Minors');
  if ((r.needs || []).includes('medical')) out.push('Medical');
  return out;
}
