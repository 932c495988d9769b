// keys.js: the embassies' sealing keys on the phone, and sealing a report
// with them before it goes in the outbox (seal.js). Loaded with a dynamic
// import after the first screen: never part of the first visit on 2G.
//
// Pinning. The first time the phone sees an embassy's keys (embassy_keys,
// public) it checks the whole chain from epoch 1, whose fingerprint is on
// the embassy's poster, and keeps the newest key it verified in IndexedDB
// (meta "keys:<embassy>"). Afterwards it takes a newer epoch only when the
// key it holds signed it: the previous epoch's verify_key over
// seal.chainStatement, ECDSA P-256 with SHA-256, through WebCrypto. A
// server that serves another key for an epoch the phone holds, an epoch
// out of order, a signature that does not verify, or no keys at all for an
// embassy the phone has a key of, breaks the chain: the phone stops sending
// that embassy's reports (sync.js holds them, even from the service worker)
// and says why; the reports wait on the phone.

import * as s from './seal.js';

const { db, outbox } = self.homeward;
const PREFIX = 'keys:';
const LOCK = 'homeward-sync'; // sync.js's: no report is rewritten while it is being sent
const PER_PAGE = 500;
const KEYS = '/api/collections/embassy_keys/records?skipTotal=1&perPage=' + PER_PAGE + '&sort=embassy,epoch,id&fields=embassy,epoch,kid,public_key,verify_key,signature&page=';
const MAX_PAGES = 20; // 10,000 key epochs: far more than embassies will ever have

// Why a chain is broken (meta "keys:<embassy>".broken).
export const BROKEN_CHAIN = 'chain';
export const BROKEN_GONE = 'gone';

/** held returns what the phone holds of an embassy's key, or undefined. */
export function held(embassy) {
  return db.get('meta', PREFIX + embassy);
}

/**
 * refresh fetches every active embassy's keys and walks each embassy's
 * chain from the key the phone holds. Offline, the held keys stay.
 */
export async function refresh() {
  const rows = [];
  try {
    for (let page = 1; ; page++) {
      const res = await fetch(KEYS + page, { credentials: 'omit', cache: 'no-store' });
      if (!res.ok) return;
      const items = (await res.json()).items || [];
      rows.push(...items);
      if (items.length < PER_PAGE) break;
      if (page === MAX_PAGES) return; // not the whole list: judge nothing on part of it
    }
  } catch (e) {
    return;
  }
  const byEmbassy = new Map();
  for (const r of rows) {
    if (!byEmbassy.has(r.embassy)) byEmbassy.set(r.embassy, []);
    byEmbassy.get(r.embassy).push(r);
  }
  for (const [embassy, list] of byEmbassy) await walk(embassy, list.sort((a, b) => a.epoch - b.epoch));
  // The whole list was read: an embassy with no key here has none yet.
  await db.put('meta', Date.now(), 'keys:checked');
  // An embassy the phone holds a key of and the server lists no key for.
  const embassies = new Set((await db.all('embassies')).map((e) => e.id));
  for (const id of embassies) {
    const h = await held(id);
    if (h && !h.broken && !byEmbassy.has(id)) await db.put('meta', Object.assign({}, h, { broken: BROKEN_GONE }), PREFIX + id);
  }
}

// walk checks an embassy's served epochs against the key the phone holds
// and keeps the newest that chains to it.
async function walk(embassy, list) {
  const h = await held(embassy);
  if (h && h.broken) return; // stays broken: only a person can judge a new start
  let cur = h;
  let next = 0;
  if (!cur) {
    const first = list[0];
    if (first.epoch !== 1 || first.signature || !(await ownId(first))) return broken(embassy, null);
    cur = pin(embassy, first, first.kid);
    next = 1;
  } else {
    const same = list.findIndex((r) => r.epoch === cur.epoch);
    const r = list[same];
    if (!r || r.kid !== cur.kid || r.public_key !== cur.public_key || r.verify_key !== cur.verify_key) return broken(embassy, cur);
    next = same + 1;
  }
  for (; next < list.length; next++) {
    const r = list[next];
    if (r.epoch !== cur.epoch + 1 || !(await ownId(r)) || !(await signedBy(cur.verify_key, embassy, r))) return broken(embassy, cur);
    cur = pin(embassy, r, cur.first);
  }
  if (!h || h.epoch !== cur.epoch) await db.put('meta', cur, PREFIX + embassy);
}

function pin(embassy, r, first) {
  return { embassy, epoch: r.epoch, kid: r.kid, public_key: r.public_key, verify_key: r.verify_key, first };
}

function broken(embassy, cur) {
  return db.put('meta', Object.assign({ embassy }, cur || {}, { broken: BROKEN_CHAIN }), PREFIX + embassy);
}

// ownId: a row's kid is the id of its public key.
async function ownId(r) {
  try {
    return (await s.keyId(s.unbase64url(r.public_key))) === r.kid;
  } catch (e) {
    return false;
  }
}

// signedBy: the epoch r is signed by verifyKey (its predecessor's).
async function signedBy(verifyKey, embassy, r) {
  try {
    const key = await crypto.subtle.importKey('raw', s.unbase64url(verifyKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, s.unbase64url(r.signature || ''),
      s.chainStatement(embassy, r.epoch, r.kid, r.public_key, r.verify_key));
  } catch (e) {
    return false;
  }
}

let codes = null; // the nationality codes the server keeps as they are

async function nationalityCodes() {
  if (!codes) {
    try {
      codes = (await (await fetch('/i18n/countries.json')).json()).codes || [];
    } catch (e) {
      return [];
    }
  }
  return codes;
}

/**
 * sealReport returns a report's data with its private fields sealed to its
 * embassy's key, bound to the report's id and to its clear fields as the
 * server will store them (channel and volunteer are the server's, from
 * who sends), or null when the phone holds no usable key for the embassy.
 * A nationality typed by hand goes in the envelope; the report says
 * "another country" in clear. With the report's receipt (normalized
 * digits), the envelope carries the reply key derived from it
 * (seal.replyKeyBytes), with which staff seal their replies for whoever
 * holds the receipt.
 */
export async function sealReport(id, data, channel, volunteer, receipt) {
  const h = await held(data.embassy);
  if (!h || h.broken || (channel === 'volunteer' && !volunteer)) return null;
  const out = Object.assign({}, data);
  const body = {};
  for (const f of s.SEALED_REPORT_FIELDS) {
    body[f] = f === 'compound_point' ? data[f] || null : data[f] || '';
    delete out[f];
  }
  const nat = out.nationality || '';
  if (nat && nat !== 'other' && (await nationalityCodes()).indexOf(nat) < 0) {
    body.nationality_original = nat;
    out.nationality = 'other';
  }
  if (receipt) {
    const key = await s.replyKeyBytes(receipt, id);
    body.reply_key = s.base64url(key);
    replyKeys.set(receipt + '\0' + id, s.replyCryptoKey(key));
  }
  const clear = await s.clearHash(s.reportClear(Object.assign({}, out, { channel, volunteer: channel === 'volunteer' ? volunteer : '' })));
  out.sealed = await s.seal(s.unbase64url(h.public_key), { embassy: data.embassy, kid: h.kid, record: id, clear },
    new TextEncoder().encode(JSON.stringify(body)));
  return out;
}

/**
 * sealMessage returns a reporter's message's data with its body sealed to
 * the key of its report's embassy, bound to the message's id, its report
 * and its direction, or null when the phone holds no usable key.
 */
export async function sealMessage(id, data, embassy) {
  const h = embassy && (await held(embassy));
  if (!h || h.broken) return null;
  const out = Object.assign({}, data);
  delete out.body;
  const clear = await s.clearHash(s.messageClear({ report: data.report, direction: 'reporter' }));
  out.sealed = await s.seal(s.unbase64url(h.public_key), { embassy, kid: h.kid, record: id, clear },
    new TextEncoder().encode(JSON.stringify({ body: data.body || '' })));
  return out;
}

/**
 * sealFile returns a photo or voice note (a blob of media type mime, after
 * the canvas re-encode) sealed to the key of its report's embassy, bound
 * to the report, as a blob of the sealed bytes that are stored and
 * uploaded, or null when the phone holds no usable key.
 */
export async function sealFile(report, embassy, blob, mime) {
  const h = embassy && (await held(embassy));
  if (!h || h.broken) return null;
  const bytes = new Uint8Array(await new Response(blob).arrayBuffer());
  const out = await s.sealFile(s.unbase64url(h.public_key), { embassy, kid: h.kid, record: report }, mime, bytes);
  return new Blob([out], { type: s.FILE_MIME });
}

async function sha256(blob) {
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', await new Response(blob).arrayBuffer()));
  return Array.from(sum, (b) => b.toString(16).padStart(2, '0')).join('');
}

function withLock(fn) {
  const locks = self.navigator && self.navigator.locks;
  return locks ? locks.request(LOCK, fn) : fn();
}

/**
 * sealOutbox seals the reports and messages waiting in the outbox in
 * plaintext, written before the phone knew their embassy's key (offline on
 * a first visit), and their photos and voice notes. Only operations and
 * files never tried: one the server may have stored already, or part of,
 * is sent again as it was, so it stays the same operation or the same
 * bytes (the server seals it on arrival).
 */
export function sealOutbox(volunteer) {
  return withLock(async () => {
    let n = 0;
    for (const o of await outbox.list()) {
      if (o.kind !== 'create' || !o.data || o.data.sealed || o.attempts) continue;
      let sealed = null;
      if (o.collection === 'reports') {
        sealed = await sealReport(o.id, o.data, o.auth === 'volunteer' ? 'volunteer' : 'self', volunteer, o.receipt);
      } else if (o.collection === 'messages') {
        const r = await db.get('reports', o.data.report);
        sealed = await sealMessage(o.id, o.data, r && r.embassy);
      }
      if (!sealed) continue;
      o.data = sealed;
      o.nextAt = 0; // held by sync.js until now: due at once
      await db.put('outbox', o);
      n++;
    }
    for (const f of await db.all('files')) {
      if (f.sealed || f.url || f.state !== 'waiting' || !f.blob) continue;
      const r = await db.get('reports', f.report);
      const blob = await sealFile(f.report, r && r.embassy, f.blob, f.mime);
      if (!blob) continue;
      Object.assign(f, { blob, sealed: true, sha256: await sha256(blob), size: blob.size });
      await db.put('files', f);
      n++;
    }
    return n;
  });
}

// replyKeys holds each report's reply key (a promise of a CryptoKey) for
// this page's life, by receipt and report id: PBKDF2 runs once per report.
const replyKeys = new Map();

/** replyKey is the reply key of a report, from its receipt (normalized digits). */
export function replyKey(receipt, reportId) {
  const k = receipt + '\0' + reportId;
  if (!replyKeys.has(k)) {
    const p = s.replyKeyBytes(receipt, reportId).then(s.replyCryptoKey);
    p.catch(() => replyKeys.delete(k));
    replyKeys.set(k, p);
  }
  return replyKeys.get(k);
}

/**
 * openReply opens a staff reply (a message with a reply envelope) with the
 * reply key from the receipt, and returns its text; it throws when the
 * reply does not open.
 */
export async function openReply(receipt, m) {
  const key = await replyKey(receipt, m.report);
  const plain = await s.openReply(key, { message: m.id, report: m.report, direction: m.direction }, m.sealed);
  return JSON.parse(new TextDecoder().decode(plain)).body;
}

// ----- the follow-up screen's sealed replies -----

// What was opened stays in this page's memory only, never in IndexedDB, by
// the reply as sealed: a reply changed since is opened again.
const openedReplies = new Map(); // replyId(m) → {text} or {failed: true}
const openingReplies = new Set();

function replyId(m) {
  return m.id + '\0' + (m.sealed && m.sealed.nonce) + '\0' + (m.sealed && m.sealed.ct);
}

/** opened reports whether a sealed reply is open on this page. */
export function opened(m) {
  return !!(openedReplies.get(replyId(m)) || {}).text;
}

/**
 * sealedText is what a message with no body shows on the follow-up
 * screen: a staff reply opened, "opening", or why it cannot be shown; the
 * reporter's own message, sealed for the embassy, as such.
 */
export function sealedText(m, t) {
  const span = document.createElement('span');
  const o = openedReplies.get(replyId(m));
  if (m.direction !== 'staff') {
    span.className = 'hint';
    span.textContent = t('fu.mine_sealed');
  } else if (m.sealed && !s.isReplyEnvelope(m.sealed)) {
    // A reply stored in clear before the report was sealed, sealed since
    // to the embassy's key (seal-existing): no receipt opens it.
    span.className = 'hint reply-embassy-only';
    span.textContent = t('fu.embassy_only');
  } else if (!o) {
    span.className = 'hint';
    span.textContent = t('fu.opening');
  } else if (o.failed) {
    span.className = 'hint state-rejected reply-unreadable';
    span.textContent = t('fu.unreadable');
  } else {
    span.className = 'reply-opened';
    span.textContent = o.text;
  }
  return span;
}

/**
 * openReplies opens, with the reply key of the receipt (normalized
 * digits), the sealed staff replies of list not opened yet, then calls
 * redraw.
 */
export async function openReplies(list, receipt, redraw) {
  const todo = list.filter((m) => m.direction === 'staff' && !m.body && m.sealed && s.isReplyEnvelope(m.sealed) && !openedReplies.has(replyId(m)) && !openingReplies.has(replyId(m)));
  if (!todo.length || !receipt) return;
  todo.forEach((m) => openingReplies.add(replyId(m)));
  for (const m of todo) {
    try {
      if (!s.isReplyEnvelope(m.sealed)) throw new Error('not a reply envelope');
      openedReplies.set(replyId(m), { text: await openReply(receipt, m) });
    } catch (e) {
      openedReplies.set(replyId(m), { failed: true });
    }
    openingReplies.delete(replyId(m));
  }
  redraw();
}
