// fold.js: text in the form search compares it, the twin of Go's
// internal/fold (read its Fold for the why of each step), so a search the
// browser runs over opened sealed reports means what the server's search
// means over reports in clear. internal/fold/testdata/fold.json holds the
// cases both are tested on.

// SPACE is Unicode's White_Space, as Go's unicode.IsSpace (JS's \s leaves
// out U+0085 and takes in U+FEFF, a format character here).
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const FORMAT = /[\p{Cf}]/u; // in a class: esbuild would rewrite a bare \p{Cf} for Chrome 80
const DASH = /[\p{Pd}\u2212]/u;

/**
 * caseFold is Unicode full case folding as Go's cases.Fold gives it, for
 * the text search meets: upper then lower case maps "ß" to "ss" as
 * folding does, and final sigma, which lower-casing keeps apart, is the
 * plain one.
 */
function caseFold(s) {
  return s.toUpperCase().toLowerCase().replace(/ς/g, 'σ');
}

/** fold returns s as search compares it. */
export function fold(s) {
  s = caseFold(String(s || '').normalize('NFKC')).normalize('NFKC');
  let out = '';
  let space = false;
  for (let c of s) {
    if (SPACE.test(c)) { space = true; continue; }
    if (FORMAT.test(c)) continue;
    if (space) {
      if (out) out += ' ';
      space = false;
    }
    if (DASH.test(c)) c = '-';
    else if (c === '\u2018' || c === '\u2019' || c === '\u02bc' || c === '\u2032') c = "'";
    else if (c === '\u201c' || c === '\u201d' || c === '\u2033') c = '"';
    out += c;
  }
  return out;
}
