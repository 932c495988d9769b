// qrverify.js checks a Homeward QR link in the browser, offline too: it
// keeps the deployment's public signing keys (JWKS) in localStorage and
// verifies the link's ES256 signature with WebCrypto. Revocation can only
// be known online, so when the server answers its verdict wins.
//
//   import { verifyLink } from '/js/qrverify.js';
//   const r = await verifyLink('https://example.org/q/eyJ...');
//   r.verdict: 'valid' | 'expired' | 'revoked' | 'unknown' | 'invalid' | 'unchecked'
//   r.offline: true when the answer came from the cached keys only

const STORE_KEY = 'homeward.qr.jwks';
// Keys are refetched after an hour when online; a stale copy still
// verifies offline (old keys keep verifying until retired anyway).
const FRESH_MS = 60 * 60 * 1000;
// Tolerated clock skew on "issued at", for phones with a wrong clock.
const SKEW_S = 5 * 60;
const MAX_TOKEN = 2048;

const base = new URL(import.meta.url);
const JWKS_URL = new URL('/.well-known/jwks.json', base).href;
const VERIFY_URL = new URL('/api/qr/verify', base).href;

/** The keys kept from the last successful fetch, or null. */
export function cachedKeys() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
    return v && Array.isArray(v.keys) ? v : null;
  } catch {
    return null;
  }
}

/** Fetches the key set and keeps it; returns the kept copy, or the old one when offline. */
export async function refreshKeys() {
  try {
    const res = await fetch(JWKS_URL, { cache: 'no-cache', credentials: 'omit' });
    if (!res.ok) throw new Error('jwks ' + res.status);
    const set = await res.json();
    const keys = (set.keys || []).filter(
      (k) => k && k.kty === 'EC' && k.crv === 'P-256' && typeof k.kid === 'string' && k.x && k.y,
    );
    const kept = { fetched: Date.now(), keys };
    localStorage.setItem(STORE_KEY, JSON.stringify(kept));
    return kept;
  } catch {
    return cachedKeys();
  }
}

async function keyFor(kid) {
  let set = cachedKeys();
  if (!set || Date.now() - set.fetched > FRESH_MS) set = (await refreshKeys()) || set;
  let jwk = set && set.keys.find((k) => k.kid === kid);
  if (!jwk && set && Date.now() - set.fetched > 1000) {
    // A key made since the last fetch: look once more.
    set = (await refreshKeys()) || set;
    jwk = set && set.keys.find((k) => k.kid === kid);
  }
  return { set, jwk };
}

function b64urlBytes(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function b64urlJSON(s) {
  return JSON.parse(new TextDecoder().decode(b64urlBytes(s)));
}

/** Takes the token out of a link; a link to another address is refused. */
function tokenOf(input, origin) {
  const text = String(input || '').trim();
  const at = text.lastIndexOf('/q/');
  if (at < 0) return { token: text };
  let url;
  try {
    url = new URL(text);
  } catch {
    return { token: text.slice(at + 3) };
  }
  if (url.origin !== origin) return { error: 'This link does not point at the official address, so it is not a genuine code.' };
  return { token: url.pathname.slice(url.pathname.lastIndexOf('/q/') + 3) };
}

function result(verdict, reason, extra = {}) {
  return { verdict, reason, offline: true, revocationChecked: false, ...extra };
}

/** Checks the signature and times of a link with the cached keys only. */
export async function verifyOffline(urlOrToken, { origin = base.origin, now = Date.now() } = {}) {
  const { token, error } = tokenOf(urlOrToken, origin);
  if (error) return result('invalid', error);
  const parts = token.split('.');
  if (token.length > MAX_TOKEN || parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    return result('invalid', 'This is not a Homeward code.');
  }
  let header, claims;
  try {
    header = b64urlJSON(parts[0]);
    claims = b64urlJSON(parts[1]);
  } catch {
    return result('invalid', 'This is not a Homeward code.');
  }
  // Pinned: "none" and HMAC tokens are refused before any key is used.
  if (header.alg !== 'ES256' || typeof header.kid !== 'string') {
    return result('invalid', "This code's signature does not check out: it was changed or made by someone else.");
  }
  const { set, jwk } = await keyFor(header.kid);
  if (!set) return result('unchecked', 'The signing keys are not on this phone yet: open this page once with a connection.');
  if (!jwk) return result('unknown', 'This code was not signed with a key this service knows.', { kid: header.kid });
  let ok = false;
  try {
    const sig = b64urlBytes(parts[2]);
    if (sig.length === 64) {
      const key = await crypto.subtle.importKey(
        'jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
        { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'],
      );
      // JOSE ES256 signatures are raw r||s, the form WebCrypto expects.
      ok = await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' }, key, sig, new TextEncoder().encode(parts[0] + '.' + parts[1]),
      );
    }
  } catch {
    ok = false; // undecodable signature or unusable key: not verified
  }
  if (!ok) return result('invalid', "This code's signature does not check out: it was changed or made by someone else.", { kid: header.kid });
  const extra = { kid: header.kid, claims };
  const secs = now / 1000;
  if (typeof claims.jti !== 'string' || typeof claims.emb !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    return result('invalid', 'This code lacks the link or embassy it should name.', extra);
  }
  if (claims.iat > secs + SKEW_S) return result('invalid', 'This code claims to be issued in the future.', extra);
  if (claims.exp <= secs) return result('expired', 'This code has expired.', extra);
  return result('valid', 'The signature is genuine. Whether the embassy withdrew this code can only be checked online.', extra);
}

/**
 * Verifies a link or bare token. The signature is checked with the cached
 * keys; then, when the server can be reached, its verdict (which knows
 * about revoked codes) is taken. Pass { online: false } to skip the server.
 */
export async function verifyLink(urlOrToken, { origin = base.origin, now = Date.now(), online = true } = {}) {
  const local = await verifyOffline(urlOrToken, { origin, now });
  if (!online || local.verdict === 'invalid') return local;
  try {
    const res = await fetch(VERIFY_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: String(urlOrToken).trim() }),
      credentials: 'omit',
    });
    if (!res.ok) return local;
    const server = await res.json();
    return {
      ...local,
      verdict: server.verdict,
      reason: server.message,
      embassy: server.embassy || null,
      offline: false,
      revocationChecked: true,
    };
  } catch {
    return local;
  }
}
