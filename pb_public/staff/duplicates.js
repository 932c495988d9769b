// duplicates.js: a report's likely duplicates, ranked here in the browser.
// A sealed report's message, places and contact details open only in a
// staff browser, so the server cannot compare them: it narrows the
// candidates with clear fields only (GET /api/staff/reports/{id}/
// duplicate-candidates: the embassy's reports of the fortnight around,
// those sharing the most clear fields first), and this page opens them
// with the vault and scores them on their text. The scoring is Go's
// (hooks/staff/duplicates.go, which ranks reports in clear for API
// clients); both are held to hooks/staff/testdata/duplicates.json.

import { request } from './api.js';
import { openAll } from './sealedsearch.js';
import { fold } from './fold.js';

/** MAX_RESULTS is what a person can review at once (Go's dupMaxResults). */
const MAX_RESULTS = 10;
/** MIN_SCORE keeps out matches with a single weak signal (dupMinScore). */
const MIN_SCORE = 0.3;
/** SIMILAR_TEXT is the trigram similarity from which texts count as alike. */
const SIMILAR_TEXT = 0.5;

/** REASONS are the words of each reason, which both scorings name in English. */
const REASONS = {
  'same contact': 'dup.sameContact',
  'similar name': 'dup.similarName',
  'same people count and compound': 'dup.sameGroup',
  'similar message': 'dup.similarMessage',
  'same nationality, gender and age band': 'dup.sameProfile',
};

/** reasonKey is the language key of a reason. */
export function reasonKey(reason) {
  return REASONS[reason] || reason;
}

// NOT_WORD splits text into words as Go's unicode.IsLetter, IsMark and
// IsDigit (Nd) do: Khmer, Thai and Burmese vowel signs are marks.
const NOT_WORD = /[^\p{L}\p{M}\p{Nd}]+/u;

function words(s) {
  return fold(s).split(NOT_WORD).filter(Boolean);
}

function normalize(s) {
  return words(s).join('');
}

const runes = (s) => Array.from(s).length;

function trigrams(s) {
  const out = new Set();
  for (const w of words(s)) {
    const rs = Array.from(`  ${w} `);
    for (let i = 0; i + 3 <= rs.length; i++) out.add(rs.slice(i, i + 3).join(''));
  }
  return out;
}

/** similarity is the Jaccard similarity of two texts' trigrams (pg_trgm's). */
export function similarity(a, b) {
  const ta = trigrams(a || '');
  const tb = trigrams(b || '');
  if (!ta.size || !tb.size) return 0;
  let inter = 0;
  for (const g of ta) if (tb.has(g)) inter++;
  return inter / (ta.size + tb.size - inter);
}

function samePhone(a, b) {
  const da = fold(a || '').replace(/[^0-9]/g, '');
  const db = fold(b || '').replace(/[^0-9]/g, '');
  if (da.length < 7 || db.length < 7) return false;
  const n = Math.min(8, da.length, db.length);
  return da.slice(-n) === db.slice(-n);
}

function sameHandle(a, b) {
  const na = normalize(a || '');
  return runes(na) >= 4 && na === normalize(b || '');
}

function similarName(a, b) {
  return runes(normalize(a || '')) >= 3 && runes(normalize(b || '')) >= 3 && similarity(a, b) >= SIMILAR_TEXT;
}

const known = (v) => !!v && v !== 'unknown';

/**
 * score weighs two reports as Go's duplicateScore does, in the same order
 * (so the sums are the same numbers): {score, reasons}.
 */
export function score(a, b) {
  let total = 0;
  const reasons = [];
  if (samePhone(a.contact_phone, b.contact_phone) || sameHandle(a.contact_app, b.contact_app)) {
    total += 0.5;
    reasons.push('same contact');
  }
  if (similarName(a.contact_name, b.contact_name)) {
    total += 0.2;
    reasons.push('similar name');
  }
  if (a.people_count > 0 && a.people_count === b.people_count && similarity(a.compound_location, b.compound_location) >= SIMILAR_TEXT) {
    total += 0.3;
    reasons.push('same people count and compound');
  }
  const s = similarity(a.message, b.message);
  if (s >= SIMILAR_TEXT) {
    total += 0.4 * s;
    reasons.push('similar message');
  }
  if (known(a.nationality) && known(a.gender) && known(a.age_band) &&
      a.nationality === b.nationality && a.gender === b.gender && a.age_band === b.age_band) {
    total += 0.1;
    reasons.push('same nationality, gender and age band');
  }
  return { score: total, reasons };
}

/**
 * suggest returns the likely duplicates of report, which this page has
 * opened if it is sealed: the server's candidates opened with vault and
 * scored here, the likeliest first. It answers {items, unopened: how many
 * sealed candidates this browser could not open (not scored), capped:
 * whether the server had more candidates than it sent}.
 */
export async function suggest(vault, report) {
  const res = await request(`/api/staff/reports/${encodeURIComponent(report.id)}/duplicate-candidates`);
  await openAll(vault, res.items);
  const items = [];
  let unopened = 0;
  for (const c of res.items) {
    if (c.sealed && c.seal !== 'open') {
      unopened++;
      continue;
    }
    const s = score(report, c);
    if (s.score >= MIN_SCORE) items.push({ ...c, score: s.score, reasons: s.reasons });
  }
  items.sort((x, y) => y.score - x.score); // stable: among equals, the server's order
  return { items: items.slice(0, MAX_RESULTS), unopened, capped: !!res.capped };
}
