// ids.js: identifiers made on the phone. Rejection sampling keeps every
// digit and letter equally likely (a plain "byte % 10" would favour 0-5).
//
// A classic script shared with the service worker, like db.js: found at
// self.homeward.ids.

(function (homeward) {
  'use strict';

  const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

  function pick(alphabet, n) {
    const limit = 256 - (256 % alphabet.length);
    let out = '';
    while (out.length < n) {
      const bytes = crypto.getRandomValues(new Uint8Array(n * 2));
      for (let i = 0; i < bytes.length && out.length < n; i++) {
        if (bytes[i] < limit) out += alphabet[bytes[i] % alphabet.length];
      }
    }
    return out;
  }

  // newId returns a record or operation id of n characters [a-z0-9] (20 by
  // default, about 103 bits; messages use PocketBase's usual 15), carrying
  // no time or device information.
  function newId(n) {
    return pick(ALNUM, n || 20);
  }

  // newReceipt returns a receipt code: 19 random digits (about 63 bits) and
  // a Damm check digit, in five groups of four, easy to write down and read
  // out over a phone. The check digit lets the phone catch every single
  // wrong digit and every swap of two neighbours before asking the server
  // (receiptChecks).
  function newReceipt() {
    const body = pick('0123456789', 19);
    return groupReceipt(body + dammDigit(body));
  }

  // DAMM is the operation table of Damm's check digit (H. M. Damm, "Total
  // anti-symmetrische Quasigruppen", 2004): a weakly totally
  // anti-symmetric quasigroup of order 10, the same in
  // internal/receipts/check.go.
  const DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
  ];

  function dammDigit(digits) {
    let interim = 0;
    for (const c of digits) interim = DAMM[interim][c.charCodeAt(0) - 48];
    return String(interim);
  }

  // receiptChecks reports whether 20 ASCII digits (as normalizeReceipt
  // returns them) end in their Damm check digit. Receipts made before the
  // check digit fail it nine times in ten, so a failed check is a warning
  // the person may override, not a refusal; the server accepts any 20
  // digits.
  function receiptChecks(digits) {
    return digits.length === 20 && dammDigit(digits) === '0';
  }

  function groupReceipt(digits) {
    return digits.match(/.{1,4}/g).join(' ');
  }

  // normalizeReceipt returns the 20 ASCII digits of a receipt as a person
  // typed it, or '' when it is malformed. The rule is the server's
  // (internal/receipts/receipts.go, NormalizeReceipt): any script's decimal
  // digits (full-width, Thai, Khmer, Burmese, ...) count as digits; spaces,
  // dashes, the minus sign, tabs and line breaks, invisible format
  // characters and dots are dropped wherever they stand; anything else, a
  // count other than 20 digits, or more than 64 characters is malformed.
  const DIGIT = /^[\p{Nd}]$/u;
  const SEPARATOR = /^[\p{Zs}\p{Pd}\p{Cf}\t\n\r\v\f\u2212.\u00b7\uff0e\u3002\u30fb\uff65]$/u;
  const MAX_RECEIPT_CHARS = 64;

  function normalizeReceipt(s) {
    const chars = Array.from(String(s));
    if (chars.length > MAX_RECEIPT_CHARS) return '';
    let out = '';
    for (const ch of chars) {
      if (DIGIT.test(ch)) out += String(digitValue(ch.codePointAt(0)));
      else if (!SEPARATOR.test(ch)) return '';
    }
    return out.length === 20 ? out : '';
  }

  // digitValue is the value of a decimal digit: Unicode lays out decimal
  // digits in runs of whole blocks of ten, each starting at zero.
  function digitValue(c) {
    let start = c;
    while (start > 0 && DIGIT.test(String.fromCodePoint(start - 1))) start--;
    return (c - start) % 10;
  }

  homeward.ids = { newId, newReceipt, groupReceipt, normalizeReceipt, receiptChecks };
})(self.homeward = self.homeward || {});
