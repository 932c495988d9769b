// seal.js: seals a report's private fields to its embassy's public key on
// the phone, and opens them in the staff's browser: HPKE (RFC 9180) base
// mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, through the
// vendored @hpke/core (./vendor/hpke.js), compressed with the vendored
// fflate (./vendor/fflate.js). The envelope, info, associated
// data, clear hash and padding are those of Go's internal/seal, which opens
// what this seals and the other way round.

import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from './vendor/hpke.js';
import { Unzlib, unzlibSync, zlibSync } from './vendor/fflate.js';

export const VERSION = 1;
export const SUITE_NAME = 'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-128-GCM';
const CONTEXT = 'homeward sealed report v1';

export const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

const utf8 = new TextEncoder();

/** info is HPKE's info for an embassy key. */
export function info(embassy, kid) {
  return utf8.encode(`${CONTEXT}\0embassy\0${embassy}\0kid\0${kid}`);
}

/** aad is the associated data for a record with the given clear hash (hex). */
export function aad(record, clearHex) {
  return utf8.encode(`${CONTEXT}\0record\0${record}\0clear\0${clearHex}`);
}

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * clearHash is the SHA-256 (hex) of the clear fields ({name: value}; a
 * value is a string, a boolean, an integer or a list of strings), written
 * as Go's seal.ClearHash writes them: sorted by name, each name and value
 * as <byte length>:<bytes>, a list as [ items ].
 */
export async function clearHash(fields) {
  const parts = [];
  const str = (s) => { const b = utf8.encode(s); parts.push(utf8.encode(`${b.length}:`), b); };
  for (const name of Object.keys(fields).sort()) {
    const v = fields[name];
    str(name);
    if (typeof v === 'string') str(v);
    else if (typeof v === 'boolean') str(String(v));
    else if (Number.isInteger(v)) str(String(v));
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      parts.push(utf8.encode('['));
      v.forEach(str);
      parts.push(utf8.encode(']'));
    } else throw new TypeError(`clear field ${name} cannot be hashed`);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return hex(await crypto.subtle.digest('SHA-256', all));
}

const MIN_PADDED = 64;
/** MAX_PLAINTEXT bounds what open inflates, as Go's seal.MaxPlaintext. */
export const MAX_PLAINTEXT = 4 << 20;

/** padme is the Padmé length for n bytes, as Go's seal.padme. */
function padme(n) {
  const e = 31 - Math.clz32(n);
  const s = 32 - Math.clz32(e);
  const mask = 2 ** Math.max(e - s, 0) - 1;
  return Math.ceil(n / (mask + 1)) * (mask + 1);
}

/** pad pads bytes with 0x80 then zeros to their Padmé length, as Go's seal.Pad. */
export function pad(bytes) {
  const out = new Uint8Array(padme(Math.max(bytes.length + 1, MIN_PADDED)));
  out.set(bytes);
  out[bytes.length] = 0x80;
  return out;
}

/** unpad undoes pad. */
export function unpad(bytes) {
  let i = bytes.length - 1;
  while (i >= 0 && bytes[i] === 0) i--;
  if (i < 0 || bytes[i] !== 0x80) throw new Error('bad padding');
  return bytes.slice(0, i);
}

/** compress writes bytes in zlib's format (fflate), as Go's seal.compress. */
function compress(bytes) {
  return zlibSync(bytes);
}

// inflated is the buffer bodies are inflated into, then copied out of.
// Given no buffer, fflate makes one of at least 128 KiB for each body (its
// bound on one deflate block's output), which cost 1.7 ms a report in a
// page of 1,000; into a buffer it is given, it never writes past the end.
const inflated = new Uint8Array(64 << 10);

/**
 * decompress undoes compress, refusing more than MAX_PLAINTEXT bytes. A
 * body shorter than the reused buffer is inflated into it in one call; one
 * that fills it or overflows it (a larger body, or a bomb) is inflated
 * again in pieces, counted as they come.
 */
function decompress(bytes) {
  let out = null;
  try {
    out = unzlibSync(bytes, { out: inflated });
  } catch (e) {
    // A stored block past the buffer's end throws (RangeError); a body
    // fflate cannot read throws again, with its own reason, below.
  }
  if (out && out.length < inflated.length) return out.slice();
  return inflatePieces(bytes);
}

function inflatePieces(bytes) {
  const parts = [];
  let n = 0;
  const inflate = new Unzlib((chunk) => {
    n += chunk.length;
    if (n > MAX_PLAINTEXT) throw new Error('the sealed body is too large');
    parts.push(chunk);
  });
  inflate.push(bytes, true);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function b64(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * seal compresses, pads and seals plaintext (bytes) to the embassy public key
 * (publicKey: 65 bytes, uncompressed P-256) for binding {embassy, kid,
 * record, clear (hex)}, and returns the envelope.
 */
export async function seal(publicKey, binding, plaintext) {
  const recipientPublicKey = await suite.kem.deserializePublicKey(publicKey);
  const sender = await suite.createSenderContext({ recipientPublicKey, info: info(binding.embassy, binding.kid) });
  const ct = await sender.seal(pad(compress(plaintext)), aad(binding.record, binding.clear));
  return { v: VERSION, suite: SUITE_NAME, kid: binding.kid, enc: b64(sender.enc), ct: b64(ct) };
}

/**
 * open opens an envelope with the embassy's private key (a CryptoKey, or a
 * key pair) for binding, and returns the plaintext bytes, inflated. It throws when
 * the envelope is of another format or key, or does not open.
 */
export async function open(privateKey, binding, envelope) {
  if (envelope.v !== VERSION || envelope.suite !== SUITE_NAME) throw new Error('not an envelope of this version and suite');
  if (envelope.kid !== binding.kid) throw new Error('sealed to another embassy key');
  const recipient = await suite.createRecipientContext({
    recipientKey: privateKey, enc: unb64(envelope.enc), info: info(binding.embassy, binding.kid),
  });
  return decompress(unpad(new Uint8Array(await recipient.open(unb64(envelope.ct), aad(binding.record, binding.clear)))));
}

/** The report fields a sealed report keeps only in its envelope (Go's seal.SealedReportFields). */
export const SEALED_REPORT_FIELDS = ['message', 'contact_name', 'contact_phone', 'contact_app', 'compound_location', 'compound_point', 'current_location'];

/**
 * reportClear returns the clear fields a report's envelope is bound to, from
 * a report as the phone writes it or as the API returns it: Go's
 * seal.ReportClear, with needs sorted and left_on as its date alone.
 */
export function reportClear(r) {
  const s = (v) => (v == null ? '' : String(v));
  return {
    embassy: s(r.embassy), channel: s(r.channel), volunteer: s(r.volunteer), language: s(r.language),
    nationality: s(r.nationality), people_count: Number.isInteger(r.people_count) ? r.people_count : 0,
    minors_present: !!r.minors_present, gender: s(r.gender), age_band: s(r.age_band),
    left_on: s(r.left_on).slice(0, 10), passport_held: s(r.passport_held),
    needs: (Array.isArray(r.needs) ? r.needs.map(String) : []).sort(),
    safety_risk_now: !!r.safety_risk_now, consent_contact: !!r.consent_contact,
    consent_share: !!r.consent_share, consent_version: s(r.consent_version),
  };
}

/** keyId is Go's seal.KeyID: the first 16 base64url characters of the SHA-256 of the public key. */
export async function keyId(publicKey) {
  return b64(await crypto.subtle.digest('SHA-256', publicKey)).slice(0, 16);
}

/** chainStatement is Go's seal.ChainStatement, as bytes, for an epoch's predecessor to sign. */
export function chainStatement(embassy, epoch, kid, publicKey, verifyKey) {
  return utf8.encode(`homeward key chain v1\0embassy\0${embassy}\0epoch\0${epoch}\0kid\0${kid}\0public\0${publicKey}\0verify\0${verifyKey}`);
}

export { b64 as base64url, unb64 as unbase64url };

/** The message fields a sealed message keeps only in its envelope (Go's seal.SealedMessageFields). */
export const SEALED_MESSAGE_FIELDS = ['body'];

/** messageClear returns the clear fields a message's envelope is bound to: Go's seal.MessageClear. */
export function messageClear(m) {
  const s = (v) => (v == null ? '' : String(v));
  return { report: s(m.report), direction: s(m.direction) };
}

// ----- replies to the reporter (Go's seal.ReplyKey, SealReply, OpenReply) -----

/** REPLY_SUITE_NAME names the reply envelope's suite (Go's seal.ReplySuiteName). */
export const REPLY_SUITE_NAME = 'reply-pbkdf2-aes128gcm';
/** REPLY_KEY_ITERATIONS is PBKDF2's count for the reply key (Go's seal.ReplyKeyIterations). */
export const REPLY_KEY_ITERATIONS = 600000;
const REPLY_SALT = 'homeward reply key v1\0';

/**
 * replyKeyBytes derives the 16-byte key replies to a report are sealed
 * with, from its receipt as normalized digits and the report's id:
 * PBKDF2-HMAC-SHA256, 600,000 iterations, salt "homeward reply key v1\0" +
 * report id (Go's seal.ReplyKey). It takes a cheap phone about a tenth of
 * a second: derive it once per report.
 */
export async function replyKeyBytes(receipt, reportId) {
  const base = await crypto.subtle.importKey('raw', utf8.encode(receipt), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8.encode(REPLY_SALT + reportId), iterations: REPLY_KEY_ITERATIONS }, base, 128));
}

/** replyCryptoKey imports a reply key's bytes (or its base64url) as a non-extractable AES-GCM key. */
export function replyCryptoKey(key) {
  const raw = typeof key === 'string' ? unb64(key) : key;
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** replyAad is a reply's associated data for binding {message, report, direction} (Go's seal.ReplyAAD). */
export function replyAad(b) {
  return utf8.encode(`homeward reply v1\0message\0${b.message}\0report\0${b.report}\0direction\0${b.direction}`);
}

async function asReplyKey(key) {
  return key instanceof CryptoKey ? key : replyCryptoKey(key);
}

/**
 * sealReply compresses, pads and seals plaintext (bytes) with a reply key
 * (a CryptoKey from replyCryptoKey, its bytes or its base64url) for binding
 * {message, report, direction}, and returns the reply envelope.
 */
export async function sealReply(key, binding, plaintext) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: replyAad(binding) },
    await asReplyKey(key), pad(compress(plaintext)));
  return { v: VERSION, suite: REPLY_SUITE_NAME, nonce: b64(nonce), ct: b64(ct) };
}

/** isReplyEnvelope reports whether an envelope is a reply's (else it is HPKE's, to an embassy key). */
export function isReplyEnvelope(envelope) {
  return !!envelope && envelope.suite === REPLY_SUITE_NAME;
}

/** openReply opens a reply envelope with its reply key for binding; it throws when it does not open. */
export async function openReply(key, binding, envelope) {
  if (envelope.v !== VERSION || envelope.suite !== REPLY_SUITE_NAME) throw new Error('not a reply envelope of this version');
  const nonce = unb64(envelope.nonce);
  if (nonce.length !== 12) throw new Error('not a reply envelope of this version');
  const padded = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: replyAad(binding) },
    await asReplyKey(key), unb64(envelope.ct));
  return decompress(unpad(new Uint8Array(padded)));
}

/** The report_events fields a sealed note keeps only in its envelope (Go's seal.SealedNoteFields). */
export const SEALED_NOTE_FIELDS = ['note'];

/** noteClear returns the clear fields a staff note's envelope is bound to: Go's seal.NoteClear. */
export function noteClear(ev) {
  const s = (v) => (v == null ? '' : String(v));
  return { report: s(ev.report), kind: s(ev.kind), actor: s(ev.actor) };
}

// Sealed files: Go's internal/seal/file.go, byte for byte. A header (magic,
// version, the suite's RFC 9180 ids, the chunk size, the key id, enc), then
// the padded plaintext (the media type's length, the media type, the
// file's bytes) in chunks of FILE_CHUNK bytes, each sealed in turn by one
// HPKE context, with associated data naming the report, the chunk's index
// and whether it is the last.

export const FILE_MAGIC = 'HWSF';
export const FILE_CHUNK = 64 * 1024;
export const FILE_HEADER_SIZE = 4 + 1 + 6 + 4 + 16 + 65;
export const FILE_MIME = 'application/octet-stream';
const FILE_CONTEXT = 'homeward file v1';
const TAG = 16;
const SUITE_IDS = [0x0010, 0x0001, 0x0001];

/** fileInfo is HPKE's info for a file sealed to an embassy key. */
export function fileInfo(embassy, kid) {
  return utf8.encode(`${FILE_CONTEXT}\0embassy\0${embassy}\0kid\0${kid}`);
}

/** fileAad is the associated data of chunk index of a file of report record. */
export function fileAad(record, index, last) {
  return utf8.encode(`${FILE_CONTEXT}\0record\0${record}\0chunk\0${index}\0last\0${last ? 1 : 0}`);
}

/**
 * sealFile seals bytes, a file of media type mime, to the embassy public
 * key (65 bytes) for {embassy, kid, record}, and returns the sealed file.
 */
export async function sealFile(publicKey, binding, mime, bytes) {
  const kid = utf8.encode(binding.kid);
  const type = utf8.encode(mime);
  if (kid.length !== 16 || type.length > 255) throw new Error('bad key id or media type');
  const recipientPublicKey = await suite.kem.deserializePublicKey(publicKey);
  const sender = await suite.createSenderContext({ recipientPublicKey, info: fileInfo(binding.embassy, binding.kid) });
  const plain = new Uint8Array(1 + type.length + bytes.length);
  plain[0] = type.length;
  plain.set(type, 1);
  plain.set(bytes, 1 + type.length);
  const padded = pad(plain);
  const n = Math.ceil(padded.length / FILE_CHUNK);
  const out = new Uint8Array(FILE_HEADER_SIZE + padded.length + n * TAG);
  const head = new DataView(out.buffer);
  out.set(utf8.encode(FILE_MAGIC), 0);
  out[4] = 1;
  SUITE_IDS.forEach((id, i) => head.setUint16(5 + 2 * i, id));
  head.setUint32(11, FILE_CHUNK);
  out.set(kid, 15);
  out.set(new Uint8Array(sender.enc), 31);
  let at = FILE_HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    const ct = new Uint8Array(await sender.seal(padded.subarray(i * FILE_CHUNK, (i + 1) * FILE_CHUNK), fileAad(binding.record, i, i === n - 1)));
    out.set(ct, at);
    at += ct.length;
  }
  return out;
}

/** fileKid is the key id a sealed file's header names, or '' for bytes that are no sealed file. */
export function fileKid(bytes) {
  if (bytes.length < FILE_HEADER_SIZE || String.fromCharCode(...bytes.subarray(0, 4)) !== FILE_MAGIC) return '';
  return String.fromCharCode(...bytes.subarray(15, 31));
}

/**
 * openFile opens a sealed file of report record with the embassy's
 * private key (a CryptoKey, or a key pair), chunk by chunk, and returns
 * {mime, data}. It throws when the file is of another format, or a chunk
 * does not open (wrong key; changed, reordered, dropped or cut off; moved
 * to another report).
 */
export async function openFile(privateKey, binding, bytes) {
  const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kid = fileKid(bytes);
  if (!kid || bytes[4] !== 1 || SUITE_IDS.some((id, i) => head.getUint16(5 + 2 * i) !== id) || head.getUint32(11) !== FILE_CHUNK) {
    throw new Error('not a sealed file of this version and suite');
  }
  const recipient = await suite.createRecipientContext({
    recipientKey: privateKey, enc: bytes.slice(31, FILE_HEADER_SIZE), info: fileInfo(binding.embassy, kid),
  });
  const body = bytes.subarray(FILE_HEADER_SIZE);
  const full = FILE_CHUNK + TAG;
  const n = Math.ceil(body.length / full);
  if (n < 1 || body.length - (n - 1) * full <= TAG) throw new Error('the sealed file is cut off');
  const plain = new Uint8Array(body.length - n * TAG);
  for (let i = 0; i < n; i++) {
    const chunk = body.slice(i * full, (i + 1) * full);
    plain.set(new Uint8Array(await recipient.open(chunk, fileAad(binding.record, i, i === n - 1))), i * FILE_CHUNK);
  }
  const all = unpad(plain);
  if (!all.length || all.length < 1 + all[0]) throw new Error('not a sealed file of this version and suite');
  return { mime: new TextDecoder().decode(all.subarray(1, 1 + all[0])), data: all.subarray(1 + all[0]) };
}
