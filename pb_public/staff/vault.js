// vault.js: the embassy's keys in this browser, and sealed reports opened
// with them (docs/SECURITY.md, "Embassy keys").
//
// Each member of staff has a personal HPKE P-256 key pair made here. Its
// private key is kept in this origin's IndexedDB as a non-extractable
// CryptoKey; it was extractable only for the moment its backup was made:
// PKCS #8, sealed with AES-256-GCM under a key stretched from a passphrase
// of the member's own (PBKDF2-SHA256, 600,000 iterations, random salt),
// stored on the server with the public key, so another browser of the same
// person restores it with the passphrase.
//
// An embassy key epoch is two P-256 key pairs made in a browser: the HPKE
// key phones seal reports to, and the ECDSA key that signs the next
// epoch. Their private halves are sealed (HPKE, seal.js's suite) to each
// holder's personal public key as grants; the server keeps the grants and
// the public rows, never a private key. An epoch's private keys are opened
// from this browser's own grant when needed and imported non-extractable.

import {
  suite, seal as sealEnvelope, open as openEnvelope, SEALED_REPORT_FIELDS, reportClear, messageClear, noteClear, clearHash,
  chainStatement, keyId, base64url as b64, unbase64url as unb64, sealReply as sealReplyEnvelope, openReply as openReplyEnvelope,
  replyCryptoKey, isReplyEnvelope,
} from '/js/seal.js';
import { split, combine } from '/js/vendor/shamir.js';
import { request } from './api.js';

/** ITERATIONS is the passphrase's PBKDF2-SHA256 work (OWASP's 2023 figure). */
export const ITERATIONS = 600000;
/** MIN_PASSPHRASE is the shortest passphrase accepted, in characters. */
export const MIN_PASSPHRASE = 12;

const ECDH = { name: 'ECDH', namedCurve: 'P-256' };
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' };
const utf8 = new TextEncoder();
const DB_NAME = 'homeward-staff-keys';
const STORE = 'personal';

/** WrongPassphrase is thrown when a backup does not open. */
export class WrongPassphrase extends Error {}

/** BadShare is thrown for a recovery share with a typo: which is its place (1 or 2). */
export class BadShare extends Error {
  constructor(which) {
    super(`recovery share ${which} is mistyped`);
    this.which = which;
  }
}

/** WrongShares is thrown when shares are well typed but do not rebuild the recovery key. */
export class WrongShares extends Error {}

// SHARE_BYTES is a share's length: a 32-byte scalar and its x coordinate.
const SHARE_BYTES = 33;

async function shareCheck(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)).slice(0, 2);
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * shareText writes a recovery share for paper: its bytes and a 2-byte
 * check, in hex, in groups of four.
 */
async function shareText(share) {
  return (toHex(share) + toHex(await shareCheck(share))).match(/.{1,4}/g).join(' ');
}

/** readShare reads a share as typed back from paper, or throws BadShare. */
async function readShare(text, which) {
  const hexDigits = String(text).toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hexDigits.length !== (SHARE_BYTES + 2) * 2) throw new BadShare(which);
  const all = Uint8Array.from(hexDigits.match(/../g), (x) => parseInt(x, 16));
  const share = all.slice(0, SHARE_BYTES);
  const check = await shareCheck(share);
  if (check[0] !== all[SHARE_BYTES] || check[1] !== all[SHARE_BYTES + 1]) throw new BadShare(which);
  return share;
}

function recoveryInfo(embassy, epoch, kid, recoveryKid) {
  return utf8.encode(`homeward recovery copy v1\0embassy\0${embassy}\0epoch\0${epoch}\0kid\0${kid}\0recovery\0${recoveryKid}`);
}

/** escrowInfo is hooks/sealkeys.EscrowInfo: HPKE's info for an epoch's copy sealed to the escrow key. */
function escrowInfo(embassy, epoch, kid, escrowKid) {
  return utf8.encode(`homeward escrow copy v1\0embassy\0${embassy}\0epoch\0${epoch}\0kid\0${kid}\0escrow\0${escrowKid}`);
}

/**
 * escrowStatement is hooks/sealkeys.EscrowStatement: what a new epoch's own
 * signing key signs here, naming the escrow key and holder it was sealed
 * to, so every colleague's browser can check it.
 */
function escrowStatement(embassy, epoch, kid, escrowKid, label) {
  return utf8.encode(`homeward escrow v1\0embassy\0${embassy}\0epoch\0${epoch}\0kid\0${kid}\0escrow\0${escrowKid}\0label\0${label}`);
}

/** grantStatement is hooks/sealkeys.GrantStatement, which a rebuilt epoch signs. */
function grantStatement(embassy, epoch, staff, holderKid) {
  return utf8.encode(`homeward key recovery v1\0embassy\0${embassy}\0epoch\0${epoch}\0staff\0${staff}\0holder\0${holderKid}`);
}

// A tiny promise wrapper over IndexedDB: one store, records by staff id,
// one connection per page, let go when the database is deleted or
// upgraded elsewhere. (A page left while its first open was still
// creating the store, and kept in the back-forward cache, would hold up
// every later open: the console's page is served no-store, which keeps it
// out of that cache; TestConsoleReloadsWhileItsKeyStoreOpens.)
let connection = null;

function db() {
  if (connection) return connection;
  connection = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      const d = req.result;
      d.onversionchange = () => {
        d.close();
        connection = null;
      };
      resolve(d);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('the key store is held open elsewhere'));
  });
  connection.catch(() => { connection = null; });
  return connection;
}

async function stored(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const idbGet = (key) => stored('readonly', (s) => s.get(key));
const idbPut = (key, value) => stored('readwrite', (s) => s.put(value, key));
const idbDelete = (key) => stored('readwrite', (s) => s.delete(key));

/** fingerprint writes a key id in groups of four, to read aloud and compare. */
export function fingerprint(kid) {
  return (kid || '').match(/.{1,4}/g)?.join(' ') || '';
}

function backupAad(staff, kid) {
  return utf8.encode(`homeward personal key backup v1\0staff\0${staff}\0kid\0${kid}`);
}

async function passphraseKey(passphrase, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', utf8.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** wrapBackup seals a PKCS #8 private key under passphrase. */
async function wrapBackup(pkcs8, passphrase, staff, kid) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await passphraseKey(passphrase, salt, ITERATIONS);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: backupAad(staff, kid) }, key, pkcs8);
  return { v: 1, kdf: 'PBKDF2-SHA256', iterations: ITERATIONS, salt: b64(salt), iv: b64(iv), ct: b64(ct) };
}

/** unwrapBackup opens a backup with passphrase, or throws WrongPassphrase. */
async function unwrapBackup(backup, passphrase, staff, kid) {
  if (!backup || backup.v !== 1 || backup.kdf !== 'PBKDF2-SHA256') throw new Error('unknown backup format');
  const key = await passphraseKey(passphrase, unb64(backup.salt), backup.iterations);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(backup.iv), additionalData: backupAad(staff, kid) }, key, unb64(backup.ct)));
  } catch {
    throw new WrongPassphrase('the passphrase does not open the backup');
  }
}

/** importPersonal makes the stored, non-extractable personal key pair. */
async function importPersonal(pkcs8, publicRaw) {
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ECDH, false, ['deriveBits']);
  const publicKey = await crypto.subtle.importKey('raw', publicRaw, ECDH, true, []);
  return { privateKey, publicKey };
}

function grantInfo(embassy, epoch, kid, staff, holderKid) {
  return utf8.encode(`homeward key grant v1\0embassy\0${embassy}\0epoch\0${epoch}\0kid\0${kid}\0staff\0${staff}\0holder\0${holderKid}`);
}

/** jwk is a P-256 private key as a JWK, from d and its 65-byte public point. */
function jwk(d, point) {
  const raw = unb64(point);
  return { kty: 'EC', crv: 'P-256', d, x: b64(raw.slice(1, 33)), y: b64(raw.slice(33, 65)), ext: false };
}

/**
 * Vault holds the signed-in member's keys in this browser: state is the
 * server's view (GET /api/sealkeys), personal the stored key pair, keys
 * the opened epochs' HPKE key pairs by kid.
 */
export class Vault {
  constructor() {
    this.me = '';
    this.state = null;
    this.personal = null; // {kid, pair}
    this.keys = new Map(); // kid → {privateKey, publicKey}
    this.replyKeys = new Map(); // a report's reply key (base64url) → its CryptoKey
    this.opened = new Map(); // report id + binding → body
    this.listeners = new Set();
    this.problem = '';
  }

  /** forget drops every key this page opened (the stored personal key stays). */
  forget() {
    this.me = '';
    this.state = null;
    this.personal = null;
    this.keys = new Map();
    this.replyKeys = new Map(); // reports' reply keys opened on this page
    this.changed();
  }

  /** onChange calls fn whenever the keys in this browser change. */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    this.opened.clear();
    for (const fn of this.listeners) fn();
  }

  /**
   * status is where this browser stands: 'loading'; 'none' (no personal
   * key yet); 'restore' (the server has one this browser has not);
   * 'waiting' (a personal key, no embassy key granted); 'unlocked'.
   */
  get status() {
    if (!this.state) return 'loading';
    if (!this.state.me) return 'none';
    if (!this.personal) return 'restore';
    return this.keys.size ? 'unlocked' : 'waiting';
  }

  /**
   * load reads the server's state and opens what this browser can; a load
   * asked for while one runs is that one.
   */
  load(me) {
    if (this.loading && this.loadingFor === me) return this.loading;
    this.loadingFor = me;
    this.loadFailed = false;
    this.loading = this.read(me).catch((err) => {
      // Nothing opens now: say so, rather than "opening" for ever.
      this.loadFailed = true;
      this.changed();
      throw err;
    }).finally(() => { this.loading = null; });
    return this.loading;
  }

  async read(me) {
    this.me = me;
    this.state = await request('/api/sealkeys');
    const local = await idbGet(me).catch(() => null);
    const mine = this.state.me;
    // A personal key replaced from another browser makes this one's stale.
    if (local && (!mine || local.kid !== mine.kid)) {
      await idbDelete(me).catch(() => {});
      this.personal = null;
    } else {
      this.personal = local || null;
    }
    await this.unlock();
  }

  /** reload reads the state again, after any read already under way. */
  async reload() {
    if (this.loading) await this.loading.catch(() => {});
    await this.load(this.me);
  }

  /** unlock opens this member's grants into usable epoch keys. */
  async unlock() {
    this.keys = new Map();
    this.problem = '';
    if (this.personal) {
      for (const g of this.state.grants) {
        try {
          const secret = await this.openGrant(g);
          const epoch = this.epoch(g.epoch);
          const privateKey = await crypto.subtle.importKey('jwk', jwk(secret.hpke, epoch.public_key), ECDH, false, ['deriveBits']);
          const publicKey = await crypto.subtle.importKey('raw', unb64(epoch.public_key), ECDH, true, []);
          this.keys.set(epoch.kid, { privateKey, publicKey });
        } catch (err) {
          this.problem = err.message; // shown on the keys screen
        }
      }
    }
    this.changed();
  }

  epoch(n) {
    const e = this.state.epochs.find((x) => x.epoch === n);
    if (!e) throw new Error(`no epoch ${n}`);
    return e;
  }

  get newest() {
    const all = this.state ? this.state.epochs : [];
    return all.length ? all[all.length - 1] : null;
  }

  /** keyless is true once the server's state is read and the embassy has no key yet. */
  get keyless() {
    return !!this.state && !this.newest;
  }

  /** holds reports whether this browser holds epoch n. */
  holds(n) {
    return !!this.state && this.state.grants.some((g) => g.epoch === n) && this.keys.has(this.epoch(n).kid);
  }

  /** openGrant opens one of this member's grants: {hpke, sign} private scalars. */
  async openGrant(g) {
    const epoch = this.epoch(g.epoch);
    const recipient = await suite.createRecipientContext({
      recipientKey: this.personal.pair, enc: unb64(g.wrapped.enc),
      info: grantInfo(this.state.embassy, epoch.epoch, epoch.kid, this.me, g.holder_kid),
    });
    const secret = JSON.parse(new TextDecoder().decode(await recipient.open(unb64(g.wrapped.ct))));
    if (secret.kid !== epoch.kid || secret.epoch !== epoch.epoch) throw new Error('a grant names another epoch');
    return secret;
  }

  /** wrapFor seals an epoch's private scalars to a member's personal key. */
  async wrapFor(member, epoch, secret) {
    const recipientPublicKey = await suite.kem.deserializePublicKey(unb64(member.public_key));
    const sender = await suite.createSenderContext({
      recipientPublicKey, info: grantInfo(this.state.embassy, epoch.epoch, epoch.kid, member.id, member.kid),
    });
    const ct = await sender.seal(utf8.encode(JSON.stringify({ v: 1, epoch: epoch.epoch, kid: epoch.kid, hpke: secret.hpke, sign: secret.sign })));
    return { staff: member.id, epoch: epoch.epoch, holder_kid: member.kid, wrapped: { enc: b64(sender.enc), ct: b64(ct) } };
  }

  /** makePersonal makes this member's personal key pair and its backup. */
  async makePersonal(passphrase) {
    const pair = await crypto.subtle.generateKey(ECDH, true, ['deriveBits']);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const kid = await keyId(publicRaw);
    const backup = await wrapBackup(pkcs8, passphrase, this.me, kid);
    // Only a non-extractable copy is kept.
    const kept = await importPersonal(pkcs8, publicRaw);
    pkcs8.fill(0);
    await request('/api/sealkeys/me', { method: 'PUT', body: { public_key: b64(publicRaw), backup } });
    await this.keep(kid, kept);
    await this.reload();
  }

  async keep(kid, pair) {
    const record = { kid, pair };
    await idbPut(this.me, record);
    this.personal = record;
  }

  /** restore brings the personal key into this browser from its backup. */
  async restore(passphrase) {
    const mine = this.state.me;
    const pkcs8 = await unwrapBackup(mine.backup, passphrase, this.me, mine.kid);
    const pair = await importPersonal(pkcs8, unb64(mine.public_key));
    pkcs8.fill(0);
    await this.keep(mine.kid, pair);
    await this.unlock();
  }

  /** changePassphrase wraps the personal key's backup under a new passphrase. */
  async changePassphrase(current, next) {
    const mine = this.state.me;
    const pkcs8 = await unwrapBackup(mine.backup, current, this.me, mine.kid);
    const backup = await wrapBackup(pkcs8, next, this.me, mine.kid);
    pkcs8.fill(0);
    await request('/api/sealkeys/me', { method: 'PUT', body: { public_key: mine.public_key, backup } });
    await this.reload();
  }

  /** newEpochKeys makes an epoch's two key pairs; secret holds the private scalars. */
  async newEpochKeys(n) {
    const kem = await crypto.subtle.generateKey(ECDH, true, ['deriveBits']);
    const sign = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
    const publicKey = b64(await crypto.subtle.exportKey('raw', kem.publicKey));
    const verifyKey = b64(await crypto.subtle.exportKey('raw', sign.publicKey));
    const secret = {
      hpke: (await crypto.subtle.exportKey('jwk', kem.privateKey)).d,
      sign: (await crypto.subtle.exportKey('jwk', sign.privateKey)).d,
    };
    const kid = await keyId(unb64(publicKey));
    return { epoch: n, kid, public_key: publicKey, verify_key: verifyKey, secret };
  }

  /** createEmbassyKey makes epoch 1, granted to this member. */
  async createEmbassyKey() {
    const next = await this.newEpochKeys(1);
    const me = this.state.members.find((m) => m.id === this.me);
    const grant = await this.wrapFor(me, next, next.secret);
    const escrow = await this.escrowCopy(next);
    await request('/api/sealkeys/epochs', {
      method: 'POST',
      body: { epoch: 1, kid: next.kid, public_key: next.public_key, verify_key: next.verify_key, signature: '', grants: [grant], escrow },
    });
    await this.reload();
  }

  /**
   * nextEpoch starts the epoch after the newest, signed by it in this
   * browser, granted to every holder of the newest but those removed.
   */
  async nextEpoch(remove = []) {
    const last = this.newest;
    const lastSecret = await this.openGrant(this.state.grants.find((g) => g.epoch === last.epoch));
    const next = await this.newEpochKeys(last.epoch + 1);
    const signer = await crypto.subtle.importKey('jwk', jwk(lastSecret.sign, last.verify_key), ECDSA, false, ['sign']);
    const statement = chainStatement(this.state.embassy, next.epoch, next.kid, next.public_key, next.verify_key);
    const signature = b64(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer, statement));
    const holders = this.state.members.filter((m) => m.holds.includes(last.epoch) && !remove.includes(m.id));
    const grants = await Promise.all(holders.map((m) => this.wrapFor(m, next, next.secret)));
    const rec = this.state.recovery;
    const recovery = rec ? await this.sealSecret(rec.public_key, recoveryInfo(this.state.embassy, next.epoch, next.kid, rec.kid), next, next.secret) : undefined;
    const escrow = await this.escrowCopy(next);
    await request('/api/sealkeys/epochs', {
      method: 'POST',
      body: { epoch: next.epoch, kid: next.kid, public_key: next.public_key, verify_key: next.verify_key, signature, grants: grants.map(({ epoch, ...g }) => g), remove, recovery, escrow },
    });
    await this.reload();
  }

  /**
   * escrowCopy seals a new epoch's private scalars to the embassy's escrow
   * key, when one is set, and signs, with the epoch's own signing key, the
   * escrow's key id (computed here from its key, not taken from the
   * server) and holder, as the server requires; undefined when none.
   */
  async escrowCopy(next) {
    const x = this.state.escrow;
    if (!x) return undefined;
    const kid = await keyId(unb64(x.public_key));
    if (kid !== x.kid) throw new Error('the escrow key id is not its key\'s');
    const wrapped = await this.sealSecret(x.public_key, escrowInfo(this.state.embassy, next.epoch, next.kid, kid), next, next.secret);
    const signer = await crypto.subtle.importKey('jwk', jwk(next.secret.sign, next.verify_key), ECDSA, false, ['sign']);
    const signature = b64(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer,
      escrowStatement(this.state.embassy, next.epoch, next.kid, kid, x.label)));
    return { kid, label: x.label, signature, wrapped };
  }

  /**
   * escrowChange says how the escrow set on the server differs from the
   * one the newest epoch was sealed to: 'new' (an escrow key, or another
   * one, that the next epoch made here will be sealed to), 'cleared' (none
   * is set, the newest epoch had one), or ''.
   */
  escrowChange() {
    const x = this.state && this.state.escrow;
    const last = this.newest;
    if (x) return !last || last.escrow_kid !== x.kid || last.escrow_label !== x.label ? 'new' : '';
    return last && last.escrow_kid ? 'cleared' : '';
  }

  /**
   * verifyEscrow checks, here, that every epoch naming an escrow was
   * signed for it by the epoch's own key, in the browser that made it: the
   * server cannot add or change an epoch's escrow unnoticed. It returns
   * the first epoch whose escrow does not verify, or 0.
   */
  async verifyEscrow() {
    for (const e of this.state ? this.state.epochs : []) {
      if (!e.escrow_kid && !e.escrow_label && !e.escrow_signature) continue;
      const ok = e.escrow_signature && await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' },
        await crypto.subtle.importKey('raw', unb64(e.verify_key), ECDSA, false, ['verify']),
        unb64(e.escrow_signature), escrowStatement(this.state.embassy, e.epoch, e.kid, e.escrow_kid, e.escrow_label));
      if (!ok) return e.epoch;
    }
    return 0;
  }

  /** grant gives a colleague every epoch this member holds that they lack. */
  async grant(member) {
    const grants = [];
    for (const g of this.state.grants) {
      if (member.holds.includes(g.epoch)) continue;
      grants.push(await this.wrapFor(member, this.epoch(g.epoch), await this.openGrant(g)));
    }
    if (!grants.length) return;
    await request('/api/sealkeys/grants', { method: 'POST', body: { staff: member.id, grants } });
    await this.reload();
  }

  /** sealSecret seals an epoch's private scalars to a public key for info. */
  async sealSecret(publicKey, info, epoch, secret) {
    const recipientPublicKey = await suite.kem.deserializePublicKey(unb64(publicKey));
    const sender = await suite.createSenderContext({ recipientPublicKey, info });
    const ct = await sender.seal(utf8.encode(JSON.stringify({ v: 1, epoch: epoch.epoch, kid: epoch.kid, hpke: secret.hpke, sign: secret.sign })));
    return { enc: b64(sender.enc), ct: b64(ct) };
  }

  /**
   * makeRecovery makes the embassy's paper recovery key: every epoch this
   * member holds is sealed to it, and its private key is split into three
   * shares, any two of which rebuild it. The shares are returned for
   * printing and kept nowhere.
   */
  async makeRecovery() {
    const pair = await crypto.subtle.generateKey(ECDH, true, ['deriveBits']);
    const publicKey = b64(await crypto.subtle.exportKey('raw', pair.publicKey));
    const d = unb64((await crypto.subtle.exportKey('jwk', pair.privateKey)).d);
    const kid = await keyId(unb64(publicKey));
    const wrapped = {};
    for (const g of this.state.grants) {
      const epoch = this.epoch(g.epoch);
      wrapped[String(epoch.epoch)] = await this.sealSecret(publicKey, recoveryInfo(this.state.embassy, epoch.epoch, epoch.kid, kid), epoch, await this.openGrant(g));
    }
    const shares = await split(d, 3, 2);
    d.fill(0);
    await request('/api/sealkeys/recovery', { method: 'PUT', body: { public_key: publicKey, wrapped } });
    await this.reload();
    return Promise.all(shares.map(shareText));
  }

  /**
   * recover rebuilds the recovery key from two shares typed back from
   * paper, opens every epoch sealed to it, and grants them to this
   * member's personal key, each with its epoch's signature as proof.
   */
  async recover(texts) {
    const rec = this.state.recovery;
    const shares = await Promise.all(texts.map((t, i) => readShare(t, i + 1)));
    let pair;
    try {
      const d = await combine(shares);
      pair = {
        privateKey: await crypto.subtle.importKey('jwk', jwk(b64(d), rec.public_key), ECDH, false, ['deriveBits']),
        publicKey: await crypto.subtle.importKey('raw', unb64(rec.public_key), ECDH, true, []),
      };
      d.fill(0);
    } catch {
      throw new WrongShares('the shares do not rebuild the recovery key');
    }
    const mine = this.state.me;
    const grants = [];
    for (const [n, w] of Object.entries(rec.wrapped)) {
      const epoch = this.epoch(Number(n));
      let secret;
      try {
        const r = await suite.createRecipientContext({ recipientKey: pair, enc: unb64(w.enc), info: recoveryInfo(this.state.embassy, epoch.epoch, epoch.kid, rec.kid) });
        secret = JSON.parse(new TextDecoder().decode(await r.open(unb64(w.ct))));
      } catch {
        throw new WrongShares('the shares do not rebuild the recovery key');
      }
      if (secret.kid !== epoch.kid) throw new Error('a recovered key names another epoch');
      const grant = await this.wrapFor({ id: this.me, kid: mine.kid, public_key: mine.public_key }, epoch, secret);
      const signer = await crypto.subtle.importKey('jwk', jwk(secret.sign, epoch.verify_key), ECDSA, false, ['sign']);
      const proof = b64(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer, grantStatement(this.state.embassy, epoch.epoch, this.me, mine.kid)));
      grants.push({ epoch: epoch.epoch, holder_kid: mine.kid, wrapped: grant.wrapped, proof });
    }
    await request('/api/sealkeys/recover', { method: 'POST', body: { grants } });
    await this.reload();
  }

  /**
   * verifyChain checks every epoch after the first is signed by the one
   * before, here in the browser: the server's word is not taken for it.
   * It returns the first epoch that does not verify, or 0.
   */
  async verifyChain() {
    return chainBreak(this.state ? this.state.embassy : '', this.state ? this.state.epochs : []);
  }

  /**
   * kidOf computes a public key's id here, from the key itself: a
   * fingerprint to compare is never the server's word.
   */
  async kidOf(publicKey) {
    return keyId(unb64(publicKey));
  }

  /** ownKid is the id of the personal key this browser holds, computed here. */
  async ownKid() {
    if (!this.personal) return '';
    return keyId(new Uint8Array(await crypto.subtle.exportKey('raw', this.personal.pair.publicKey)));
  }

  /**
   * openReport opens a sealed report's private fields: it returns them
   * (seal.ReportBody), or throws an Error whose reason is 'locked' (no key
   * for it in this browser) or 'broken' (the envelope does not open for
   * this report: changed, moved or damaged).
   */
  async openReport(r) {
    const env = r.sealed;
    const pair = env && this.keys.get(env.kid);
    if (!pair) throw Object.assign(new Error('no key in this browser for this report'), { reason: 'locked' });
    const clear = await clearHash(reportClear(r));
    const cacheKey = `${r.id}\0${clear}\0${env.enc}`;
    if (this.opened.has(cacheKey)) return this.opened.get(cacheKey);
    let body;
    try {
      body = JSON.parse(new TextDecoder().decode(await openEnvelope(pair, { embassy: r.embassy, kid: env.kid, record: r.id, clear }, env)));
    } catch (err) {
      throw Object.assign(new Error(err.message), { reason: 'broken' });
    }
    this.opened.set(cacheKey, body);
    return body;
  }

  /**
   * openMessage opens a message of a sealed report's conversation and
   * returns its text: a reporter's message with the embassy key it is
   * sealed to, a staff reply with the report's reply key (replyKey,
   * base64url, from the opened report). It throws like openReport.
   */
  async openMessage(m, report, replyKey) {
    const env = m.sealed;
    if (isReplyEnvelope(env)) {
      if (!replyKey) throw Object.assign(new Error('no reply key for this report'), { reason: 'locked' });
      try {
        const key = await this.replyKey(replyKey);
        const plain = await openReplyEnvelope(key, { message: m.id, report: m.report, direction: m.direction }, env);
        return JSON.parse(new TextDecoder().decode(plain)).body;
      } catch (err) {
        throw Object.assign(new Error(err.message), { reason: 'broken' });
      }
    }
    const body = await this.openSealed(env, report.embassy, m.id, messageClear(m));
    return body.body;
  }

  /** openNote opens a sealed staff note and returns its text; it throws like openReport. */
  async openNote(ev) {
    return (await this.openSealed(ev.sealed, ev.embassy, ev.id, noteClear(ev))).note;
  }

  // openSealed opens an envelope to an embassy key of this browser, bound
  // to record and its clear fields, and returns its JSON body.
  async openSealed(env, embassy, record, fields) {
    const pair = env && this.keys.get(env.kid);
    if (!pair) throw Object.assign(new Error('no key in this browser for this record'), { reason: 'locked' });
    try {
      const clear = await clearHash(fields);
      return JSON.parse(new TextDecoder().decode(await openEnvelope(pair, { embassy, kid: env.kid, record, clear }, env)));
    } catch (err) {
      throw Object.assign(new Error(err.message), { reason: 'broken' });
    }
  }

  // replyKey imports a report's reply key once per page.
  replyKey(b64key) {
    if (!this.replyKeys.has(b64key)) this.replyKeys.set(b64key, replyCryptoKey(b64key));
    return this.replyKeys.get(b64key);
  }

  /**
   * sealReply seals a staff reply's text (message id, report, direction
   * "staff") with the report's reply key, for the reporter's phone to open
   * with the receipt.
   */
  async sealReply(replyKey, message, report, text) {
    return sealReplyEnvelope(await this.replyKey(replyKey), { message, report, direction: 'staff' },
      utf8.encode(JSON.stringify({ body: text })));
  }

  /**
   * sealNote seals a staff note's text to the embassy's newest key, bound
   * to the event (id, embassy, report, kind, actor), once this browser has
   * checked the key chain: a note is never sealed to a key the server
   * slipped in.
   */
  async sealNote(ev, text) {
    const epoch = this.newest;
    if (!epoch || (await this.verifyChain()) !== 0) throw new Error('the embassy key chain does not verify');
    const clear = await clearHash(noteClear(ev));
    return sealEnvelope(unb64(epoch.public_key), { embassy: ev.embassy, kid: epoch.kid, record: ev.id, clear },
      utf8.encode(JSON.stringify({ note: text })));
  }
}

/**
 * chainBreak checks an embassy's key epochs (embassy_keys rows, in epoch
 * order) here in the browser: epoch 1 first, each kid the id of its own
 * public key, each later epoch signed by the verify_key of the one before
 * (seal.chainStatement), as phones check them. It returns the first epoch
 * that does not verify, or 0.
 */
export async function chainBreak(embassy, epochs) {
  for (let i = 0; i < epochs.length; i++) {
    const e = epochs[i];
    if (e.epoch !== i + 1 || e.kid !== await keyId(unb64(e.public_key))) return e.epoch;
    if (i === 0) continue;
    const prev = epochs[i - 1];
    let ok = false;
    try {
      ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' },
        await crypto.subtle.importKey('raw', unb64(prev.verify_key), ECDSA, false, ['verify']),
        unb64(e.signature || ''), chainStatement(embassy, e.epoch, e.kid, e.public_key, e.verify_key));
    } catch {
      ok = false;
    }
    if (!ok) return e.epoch;
  }
  return 0;
}

/** newId is a record id as PocketBase makes them: 15 of [a-z0-9]. */
export function newId() {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const out = [];
  // 252 is the largest multiple of 36 below 256: no bias.
  while (out.length < 15) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) if (b < 252 && out.length < 15) out.push(abc[b % 36]);
  }
  return out.join('');
}

/**
 * unseal fills a report's sealed fields from its envelope and says how it
 * went: '' (not sealed), 'open', 'opening' (the keys are still being
 * read), 'locked' or 'broken'. A report whose envelope is not the right
 * shape is broken too.
 */
export async function unseal(vault, r) {
  if (!r.sealed) return '';
  if (!vault.state && !vault.loadFailed) return 'opening'; // the keys are being read
  if (typeof r.sealed !== 'object' || !r.sealed.kid) return 'broken';
  try {
    const body = await vault.openReport(r);
    for (const k of SEALED_REPORT_FIELDS) {
      r[k] = body[k] == null ? r[k] : body[k];
    }
    if (body.nationality_original) r.nationality_original = body.nationality_original;
    // The key replies are sealed with: none when the reporter kept no
    // receipt (no follow-up wanted) or a volunteer filed the report.
    r.reply_key = body.reply_key || '';
    return 'open';
  } catch (err) {
    return err.reason === 'locked' ? 'locked' : 'broken';
  }
}

/**
 * messageText is a conversation message's text as staff see it, and how
 * it was got: {state: '', text} for a message in clear; {state: 'open',
 * text} for a sealed one opened here (a reporter's with the embassy key, a
 * staff reply with the reply key of report, opened by unseal); or {state:
 * 'opening' | 'locked' | 'broken'} when it cannot be shown.
 */
export async function messageText(vault, report, m) {
  if (!m.sealed) return { state: '', text: m.body };
  if (!vault.state && !vault.loadFailed) return { state: 'opening' };
  try {
    return { state: 'open', text: await vault.openMessage(m, report, report.reply_key) };
  } catch (err) {
    return { state: err.reason === 'locked' ? 'locked' : 'broken' };
  }
}

/** noteText is messageText for a staff note (report_events, kind note). */
export async function noteText(vault, ev) {
  if (!ev.sealed) return { state: '', text: ev.note };
  if (!vault.state && !vault.loadFailed) return { state: 'opening' };
  try {
    return { state: 'open', text: await vault.openNote(ev) };
  } catch (err) {
    return { state: err.reason === 'locked' ? 'locked' : 'broken' };
  }
}
