// i18n.js: every visible string comes from i18n/<lang>.json. Elements carry
// data-i18n="key" (text) or data-i18n-ph="key" (placeholder); code calls t().

import { LANGUAGES } from './vocabulary.js';

let dict = {};
let current = 'en';

// pick returns the best supported language: the link's, the saved choice
// (unless saved is false: the staff console keeps its choice on the
// server), then the phone's own list.
export function pick(fromLink, { saved = true } = {}) {
  const wanted = [fromLink, saved ? localStorage.getItem('hw-lang') : null].concat(navigator.languages || [navigator.language]);
  for (const w of wanted) {
    if (!w) continue;
    const l = String(w).toLowerCase();
    const base = l.split('-')[0];
    if (LANGUAGES.indexOf(l) >= 0) return l;
    if (base === 'tl') return 'fil';
    if (base === 'in') return 'id';
    if (LANGUAGES.indexOf(base) >= 0) return base;
  }
  return 'en';
}

export function lang() {
  return current;
}

// load reads the strings of language l from dir (the reporter app's by
// default; the staff console's are in /i18n/staff/) and applies them.
export async function load(l, dir = '/i18n/') {
  const res = await fetch(dir + l + '.json');
  if (!res.ok) throw new Error('language ' + l + ' missing');
  dict = await res.json();
  current = l;
  document.documentElement.lang = l;
  apply(document);
}

export function apply(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    const v = dict[el.getAttribute('data-i18n')];
    if (v) el.textContent = v;
  });
  root.querySelectorAll('[data-i18n-ph]').forEach((el) => {
    const v = dict[el.getAttribute('data-i18n-ph')];
    if (v) el.placeholder = v;
  });
}

// t returns the string for key with {name} placeholders filled from vars.
export function t(key, vars) {
  let s = dict[key] || key;
  if (vars) for (const k of Object.keys(vars)) s = s.split('{' + k + '}').join(String(vars[k]));
  return s;
}
