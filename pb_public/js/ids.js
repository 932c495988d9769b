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

  // newReceipt returns a receipt code: 20 digits (about 66 bits) in five
  // groups of four, easy to write down and read out over a phone.
  function newReceipt() {
    return groupReceipt(pick('0123456789', 20));
  }

  function groupReceipt(digits) {
    return digits.match(/.{1,4}/g).join(' ');
  }

  // normalizeReceipt keeps only the digits of a code as a person typed it,
  // turning Thai, Khmer, Burmese and other digits into ASCII.
  function normalizeReceipt(s) {
    let out = '';
    for (const ch of String(s)) {
      const c = ch.codePointAt(0);
      if (c >= 48 && c <= 57) out += ch;
      else {
        const d = localDigit(c);
        if (d >= 0) out += String(d);
      }
    }
    return out.length === 20 ? out : '';
  }

  // Zero of each decimal digit block the app's languages may use.
  const ZEROS = [0x0e50 /* Thai */, 0x17e0 /* Khmer */, 0x1040 /* Myanmar */, 0x0660, 0x06f0, 0x0966, 0xff10];

  function localDigit(c) {
    for (const z of ZEROS) if (c >= z && c <= z + 9) return c - z;
    return -1;
  }

  homeward.ids = { newId, newReceipt, groupReceipt, normalizeReceipt };
})(self.homeward = self.homeward || {});
