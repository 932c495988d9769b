// sync.js: talks to the sync API (see docs/API.md). Push sends queued
// operations in batches and halves a batch the server finds too large;
// photos follow their report through resumable tus uploads; pull brings
// statuses and staff replies, proved by the receipt or the volunteer's
// device credential. The page is told about every step through `events`.
//
// A classic script shared with the service worker (see db.js), so the same
// code sends from an open page and, through Background Sync, with no page
// open: found at self.homeward.sync; needs db.js, ids.js and outbox.js.
// One sender at a time across tabs and the worker (Web Locks, Chrome 69).

(function (homeward) {
  'use strict';

  const db = homeward.db;
  const outbox = homeward.outbox;
  const { newId, normalizeReceipt } = homeward.ids;

  const PUSH = '/api/sync/push';
  const PULL = '/api/sync/pull';
  const FILES = '/api/sync/files/';
  const ATTACHMENT = 'Homeward-Attachment';
  // Upload answers that refuse a file for good: sending it again cannot help.
  const FINAL = ['unsupported_file', 'bad_sealed_file', 'file_too_large', 'too_many_attachments'];
  // A push of 25 reports is about 25 KB: under a minute on 2G, so a cut link
  // loses little work and "sending 26 of 40" moves often enough to trust.
  const MAX_BATCH = 25;
  const CHUNK = 64 * 1024;     // photos go in pieces a 2G link finishes
  const PULL_LIMIT = 100;
  const LOCK = 'homeward-sync';
  const HOLD = 60 * 1000; // a report held on the phone is looked at again after this

  const events = new EventTarget();

  // AuthError means the volunteer's device credential was refused: the
  // outbox stays, and the page asks for a new login.
  class AuthError extends Error {}

  function emit(type, detail) {
    events.dispatchEvent(new CustomEvent(type, { detail }));
  }

  let batch = MAX_BATCH;
  let running = null;
  let again = false;

  // deviceId returns this phone's sync device id, made once.
  async function deviceId() {
    let id = await db.get('meta', 'device');
    if (!id) {
      id = newId();
      await db.put('meta', id, 'device');
    }
    return id;
  }

  // credential returns the volunteer's device credential, if any.
  function credential() {
    return db.get('meta', 'credential');
  }

  async function headers(auth, receipt) {
    const h = {};
    if (auth === 'volunteer') {
      const c = await credential();
      if (!c || !c.token) throw new AuthError('no credential');
      h.Authorization = 'Device ' + c.token;
    }
    if (receipt) h['X-Receipt'] = normalizeReceipt(receipt);
    return h;
  }

  // recover marks reports and replies left "sending" by a sender that
  // stopped (a closed tab, a service worker the browser ended) as saved again:
  // no answer came, so the honest state is that they wait on the phone. A
  // sender holding the lock is still at work, so its states are left alone.
  function recover() {
    return withLock(resetSending, true);
  }

  async function resetSending() {
    for (const name of ['reports', 'messages']) {
      for (const r of await db.all(name)) {
        if (r.state === 'sending') {
          r.state = 'saved';
          await db.put(name, r);
        }
      }
    }
  }

  // withLock runs fn holding the sync lock, waiting for it, or with
  // ifAvailable only when no other tab or worker holds it (else it resolves
  // null without running fn). Without Web Locks fn just runs: those browsers
  // lack Background Sync too, so only pages send there.
  function withLock(fn, ifAvailable) {
    const locks = self.navigator && self.navigator.locks;
    if (!locks) return fn();
    return locks.request(LOCK, { ifAvailable: !!ifAvailable }, (lock) => (lock ? fn() : null));
  }

  // pending reports whether anything waits to leave the phone: a queued
  // operation or a file not yet uploaded.
  async function pending() {
    if ((await db.all('outbox')).length) return true;
    return (await db.all('files')).some((f) => f.state !== 'sent' && f.state !== 'rejected');
  }

  // run pushes, uploads and pulls; overlapping calls fold into one more pass.
  function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await withLock(pass);
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  // pass runs each stage even when an earlier one failed: a photo stuck on a
  // bad link must not hide the embassy's replies.
  async function pass() {
    await resetSending(); // this sender holds the lock: any "sending" is stale
    let err = null;
    for (const stage of [pushAll, uploadAll, pullAll]) {
      try {
        await stage();
      } catch (e) {
        if (e instanceof AuthError) err = e;
        else err = err || e;
      }
    }
    emit('change');
    if (err) throw err;
  }

  // pushAll sends every due operation, one auth group at a time, so reporter
  // operations never travel with a volunteer's credential.
  async function pushAll() {
    const start = Date.now();
    const due = await releasable(await outbox.due(start), start);
    const total = due.length;
    let done = 0;
    if (!total) return;
    emit('progress', { done, total });
    for (const auth of ['self', 'volunteer']) {
      let ops = due.filter((o) => (o.auth || 'self') === auth);
      while (ops.length) {
        const part = ops.slice(0, batch);
        const n = await pushBatch(part, auth);
        if (n === 0) continue; // the batch was halved; try again smaller
        done += n;
        ops = ops.slice(n);
        emit('progress', { done, total });
      }
    }
  }

  // releasable leaves out the reports and messages that must wait on the
  // phone (keys.js keeps the embassies' keys in meta "keys:<embassy>"):
  // every one for an embassy whose key chain broke, and one in plaintext,
  // never tried, for an embassy whose key the phone holds, which a page
  // seals first (the service worker, which shares this script, cannot). A
  // held one is looked at again after HOLD, or at "Send now".
  async function releasable(ops, now) {
    const out = [];
    for (const o of ops) {
      const embassy = await embassyOf(o);
      const k = embassy && await db.get('meta', 'keys:' + embassy);
      if (k && (k.broken || (!o.data.sealed && !o.attempts))) {
        if (k.broken) await markReports([o], 'key_broken');
        o.nextAt = now + HOLD;
        await db.put('outbox', o);
        continue;
      }
      out.push(o);
    }
    return out;
  }

  // embassyOf is the embassy a created report or message goes to, when
  // the phone knows it (a message: from its report's local copy).
  async function embassyOf(o) {
    if (o.kind !== 'create' || !o.data) return '';
    if (o.collection === 'reports') return o.data.embassy || '';
    if (o.collection !== 'messages') return '';
    const r = await db.get('reports', o.data.report);
    return (r && r.embassy) || '';
  }

  // pushBatch sends ops and returns how many were settled (0 when the batch
  // was halved after a 413 or a 400).
  async function pushBatch(ops, auth) {
    await markReports(ops, 'sending');
    emit('change'); // "Sending…" while the push is in flight
    let res;
    try {
      const hdrs = Object.assign({ 'Content-Type': 'application/json' }, await headers(auth));
      const body = await compress(JSON.stringify({ device: await deviceId(), ops: ops.map(wire) }), hdrs);
      res = await fetch(PUSH, { method: 'POST', headers: hdrs, body, credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      await retryLater(ops);
      throw e;
    }
    if (res.status === 413) {
      if (ops.length > 1) {
        batch = Math.max(1, Math.floor(ops.length / 2));
        return 0;
      }
      await settle(ops[0], { status: 'rejected', error: { message: 'too large' } });
      return 1;
    }
    if (res.status === 400) {
      // The server could not read the push: an op the phone made is bad.
      // Halve until it is alone, then set it aside so it cannot block the rest.
      if (ops.length > 1) {
        batch = Math.max(1, Math.floor(ops.length / 2));
        return 0;
      }
      let info = {};
      try { info = await res.json(); } catch (e) { /* no details */ }
      await settle(ops[0], { status: 'rejected', error: info });
      return 1;
    }
    if (auth === 'volunteer' && (res.status === 401 || res.status === 403)) {
      await markReports(ops, 'saved');
      await db.put('meta', true, 'relogin');
      emit('relogin');
      throw new AuthError('credential refused');
    }
    if (!res.ok) {
      // 429 (many reports from this network) and 503 say when to come back.
      await retryLater(ops, retryAfter(res));
      throw new Error('push failed: ' + res.status);
    }
    const body = await res.json();
    const results = body.results || [];
    for (let i = 0; i < ops.length; i++) {
      const r = results.find((x) => x.op === ops[i].op) || results[i];
      if (r) await settle(ops[i], r);
    }
    emit('change'); // "Sent to the embassy" now, before any photo goes
    if (batch < MAX_BATCH) batch = Math.min(MAX_BATCH, batch * 2);
    return ops.length;
  }

  // compress gzips a push body where the browser can (CompressionStream,
  // Chrome 80): report JSON shrinks to about a third, which is minutes on 2G.
  async function compress(json, hdrs) {
    if (json.length < 1024 || typeof CompressionStream === 'undefined') return json;
    const gz = new Blob([json]).stream().pipeThrough(new CompressionStream('gzip'));
    hdrs['Content-Encoding'] = 'gzip';
    return new Response(gz).blob();
  }

  // wire strips local bookkeeping from an operation.
  function wire(o) {
    const w = { op: o.op, kind: o.kind, collection: o.collection, id: o.id, data: o.data };
    if (o.base) w.base = o.base;
    if (o.receipt) w.receipt = o.receipt;
    return w;
  }

  async function retryLater(ops, notBefore) {
    await outbox.failed(ops, Date.now(), notBefore || 0);
    await markReports(ops, 'failed');
  }

  // retryAfter is the time an answer's Retry-After (in seconds) names, or 0.
  function retryAfter(res) {
    const s = parseInt(res.headers.get('Retry-After') || '', 10);
    return s > 0 ? Date.now() + s * 1000 : 0;
  }

  async function markReports(ops, state) {
    for (const o of ops) {
      const name = o.collection === 'reports' ? 'reports' : o.collection === 'messages' ? 'messages' : '';
      if (!name) continue;
      const rec = await db.get(name, o.id);
      if (rec && rec.state !== 'sent') {
        rec.state = state;
        await db.put(name, rec);
      }
    }
  }

  // settle applies the server's answer for one operation, then drops it from
  // the outbox: every answer is final for that operation, but one. An
  // embassy with no sealing key yet refuses what is sent to it in clear
  // (hooks/sealing): that report waits on the phone, and is looked at again
  // after HOLD. It was not stored, so a page may seal it meanwhile once the
  // key appears (keys.js sealOutbox seals only operations never tried).
  async function settle(o, r) {
    const name = o.collection === 'messages' ? 'messages' : 'reports';
    if (r.status === 'rejected' && noKeyYet(r.error)) {
      await markReports([o], 'key_waiting');
      const cur = await db.get('outbox', o.op);
      if (cur) {
        cur.attempts = 0;
        cur.nextAt = Date.now() + HOLD;
        await db.put('outbox', cur);
      }
      return;
    }
    const rec = await db.get(name, o.id);
    if (rec) {
      if (r.status === 'applied' || r.status === 'duplicate') {
        rec.state = 'sent';
        if (r.version) rec.version = r.version;
        rec.error = '';
        // The embassy has it: what the person wrote leaves the phone, which
        // may be inspected. The receipt and the state stay for follow-up.
        if (name === 'reports') rec.data = null;
      } else if (r.status === 'conflict') {
        rec.state = 'conflict';
        if (r.server) rec.server = r.server;
      } else {
        rec.state = 'rejected';
        rec.error = errorText(r.error);
      }
      await db.put(name, rec);
    }
    await outbox.ack(o.op);
  }

  // noKeyYet reports whether a refusal is the one of an embassy with no
  // sealing key yet (sealing.CodeNoKey, on the report's embassy or a
  // message's report).
  function noKeyYet(e) {
    const d = (e && e.data) || {};
    return Object.keys(d).some((k) => d[k] && d[k].code === 'validation_embassy_no_key');
  }

  // errorText is the first field error of a PocketBase-style error, else
  // its message.
  function errorText(e) {
    if (!e) return '';
    const d = e.data || {};
    for (const k of Object.keys(d)) {
      if (d[k] && typeof d[k] === 'object' && d[k].message) return k + ': ' + d[k].message;
    }
    return e.message || '';
  }

  // uploadAll sends every waiting file whose report the server has; a file
  // the server refused for good stays refused and is not sent again. As
  // for reports (releasable), a file waits on the phone while its
  // embassy's key chain is broken, and a file in plaintext, never tried,
  // for an embassy whose key the phone holds waits for a page to seal it
  // (keys.js's sealOutbox).
  async function uploadAll() {
    const files = (await db.all('files')).filter((f) => f.state !== 'sent' && f.state !== 'rejected');
    for (const f of files) {
      const rep = await db.get('reports', f.report);
      if (!rep || rep.state !== 'sent') continue;
      const k = rep.embassy && await db.get('meta', 'keys:' + rep.embassy);
      if (k && (k.broken || (!f.sealed && !f.url))) continue;
      await upload(f, rep);
      emit('change');
    }
  }

  function b64(s) {
    return btoa(unescape(encodeURIComponent(s)));
  }

  // upload sends one file with tus 1.0: create once, then PATCH from the
  // server's offset, so a cut connection resumes instead of starting over.
  // A sealed file is declared so ("sealed"), with neither its name nor its
  // media type, which only its embassy learns.
  // The file counts as sent only when the server names the attachment it
  // stored (Homeward-Attachment); an offset at the end alone is no proof.
  async function upload(f, rep) {
    const auth = await headers(rep.channel === 'volunteer' ? 'volunteer' : 'self', rep.channel === 'volunteer' ? '' : rep.receipt);
    const tus = Object.assign({ 'Tus-Resumable': '1.0.0' }, auth);
    const size = f.blob.size;
    let offset = 0;
    let stored = '';
    if (f.url) {
      const h = await fetch(f.url, { method: 'HEAD', headers: tus, cache: 'no-store' });
      if (h.ok) {
        offset = parseInt(h.headers.get('Upload-Offset') || '0', 10);
        stored = h.headers.get(ATTACHMENT) || '';
      } else if (h.status === 404 || h.status === 410) f.url = '';
      else throw new Error('upload check failed: ' + h.status);
    }
    if (!f.url) {
      const meta = (f.sealed ? ['report ' + b64(f.report), 'sealed ' + b64('1'), 'sha256 ' + b64(f.sha256)] : [
        'report ' + b64(f.report),
        'filename ' + b64(f.name),
        'filetype ' + b64(f.mime),
        'sha256 ' + b64(f.sha256),
      ]).join(',');
      const c = await fetch(FILES, {
        method: 'POST',
        headers: Object.assign({ 'Upload-Length': String(size), 'Upload-Metadata': meta }, tus),
        cache: 'no-store',
      });
      if (c.status === 413 || c.status === 415 || c.status === 400) return rejectFile(f, await refusal(c) || String(c.status));
      if (!c.ok) throw new Error('upload create failed: ' + c.status);
      f.url = new URL(c.headers.get('Location'), self.location.href).href;
      offset = parseInt(c.headers.get('Upload-Offset') || '0', 10);
      stored = c.headers.get(ATTACHMENT) || '';
      f.state = 'uploading';
      await db.put('files', f);
    }
    while (!stored) {
      if (offset >= size) {
        // Every byte, but no stored file named: start over next pass (the
        // server stores one file once, so nothing is duplicated).
        await restart(f);
        throw new Error('upload not confirmed');
      }
      const p = await fetch(f.url, {
        method: 'PATCH',
        headers: Object.assign({ 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) }, tus),
        body: f.blob.slice(offset, offset + CHUNK),
        cache: 'no-store',
      });
      if (p.status === 409) { // our offset was stale: ask again next pass
        throw new Error('upload offset mismatch');
      }
      if (p.status === 404 || p.status === 410) {
        await restart(f);
        throw new Error('upload gone: ' + p.status);
      }
      if (!p.ok) {
        const code = await refusal(p);
        if (code) return rejectFile(f, code);
        throw new Error('upload failed: ' + p.status); // kept; resumed next pass
      }
      offset = parseInt(p.headers.get('Upload-Offset') || String(offset), 10);
      stored = p.headers.get(ATTACHMENT) || '';
      f.sent = offset;
      await db.put('files', f);
      emit('change');
    }
    // The server has stored the file: only now drop the local copy.
    f.state = 'sent';
    f.attachment = stored;
    f.blob = null;
    await db.put('files', f);
  }

  // restart forgets a file's upload URL, so the next pass creates it anew.
  async function restart(f) {
    f.url = '';
    f.sent = 0;
    await db.put('files', f);
  }

  // refusal returns the code of an answer that refuses a file for good
  // (see docs/API.md), or '' for one worth retrying.
  async function refusal(res) {
    let code = '';
    try { code = ((await res.json()).data || {}).code || ''; } catch (e) { /* no details */ }
    return FINAL.indexOf(code) >= 0 ? code : '';
  }

  async function rejectFile(f, code) {
    f.state = 'rejected';
    f.error = code;
    await db.put('files', f);
  }

  // pullAll brings changes for every report this phone follows.
  async function pullAll() {
    const reps = await db.all('reports');
    const receipts = new Set();
    let volunteer = false;
    for (const r of reps) {
      if (r.channel === 'volunteer') volunteer = true;
      // Only receipts the server knows: a wrong one counts as a guess.
      else if (r.receipt && (r.state === 'sent' || r.state === 'conflict') && !r.gone) receipts.add(r.receipt);
    }
    // Each receipt on its own: one that fails must not keep the replies of
    // the others (or the volunteer's) from the phone.
    let err = null;
    for (const code of receipts) {
      try {
        await pull('r:' + normalizeReceipt(code), await headers('self', code));
      } catch (e) {
        // Only the server's own answer: a proxy's or a portal's 404 says
        // nothing of the report.
        if (e.status === 404 && e.code === 'receipt_unknown') await receiptGone(code);
        else err = err || e;
      }
    }
    if (volunteer && (await credential())) await pull('volunteer', await headers('volunteer'));
    if (err) throw err;
  }

  // receiptGone marks closed, as a tombstone would, the sent reports of a
  // receipt the server no longer knows (404 receipt_unknown): their report
  // was deleted. Their receipt is asked no more, since the server counts
  // each ask as a wrong guess from the phone's network.
  async function receiptGone(code) {
    const scope = 'r:' + normalizeReceipt(code);
    for (const rec of await db.all('reports')) {
      if (isForgotten(scope)) return;
      if (inScope(rec, scope) && (rec.state === 'sent' || rec.state === 'conflict')) {
        rec.status = 'closed';
        rec.gone = true;
        await db.put('reports', rec);
      }
    }
  }

  // followReceipt pulls one receipt's report and replies, for a code typed in
  // by hand (a report made on another phone, or after erasing this one).
  async function followReceipt(code) {
    forgotten.delete(normalizeReceipt(code));
    await pull('r:' + normalizeReceipt(code), await headers('self', code));
    emit('change');
  }

  // forgotten are the codes this page was asked to forget: a pull of one
  // already under way stores nothing more of it, so the report and replies
  // the page removed do not come back. Kept in memory only: the point is
  // that the phone no longer holds the code. Following it again undoes it.
  const forgotten = new Set();

  function forget(code) {
    forgotten.add(normalizeReceipt(code));
  }

  function isForgotten(scope) {
    return scope.indexOf('r:') === 0 && forgotten.has(scope.slice(2));
  }

  // pull reads scope's changes from its pull position on. The position
  // (meta "cursor:<scope>") is the server's cursor, or, while a fresh start
  // after a 410 is under way, { cursor, seen } with the ids of the records
  // it has named so far: a fresh start cut short by a lost signal goes on
  // where it stopped at the next sync, and still closes at its end what the
  // server deleted. The ids are written with the cursor, in one write.
  async function pull(scope, hdrs) {
    const key = 'cursor:' + scope;
    const pos = await db.get('meta', key);
    const resumed = pos && typeof pos === 'object';
    let cursor = (resumed ? pos.cursor : pos) || '';
    let seen = resumed ? new Set(pos.seen) : null; // records a fresh start has named
    for (let i = 0; i < 1000; i++) {
      const res = await fetch(PULL + '?cursor=' + encodeURIComponent(cursor) + '&limit=' + PULL_LIMIT, {
        headers: hdrs, credentials: 'omit', cache: 'no-store',
      });
      if (res.status === 410 && cursor) {
        // cursor_expired: away longer than the server keeps deletions. Pull
        // everything again; what the fresh pull does not name was deleted.
        // (A fresh start's own cursor may expire too, if retention ran
        // while it was cut short: it starts again.)
        cursor = '';
        seen = new Set();
        continue;
      }
      if (res.status === 401 && scope === 'volunteer') {
        await db.put('meta', true, 'relogin');
        emit('relogin');
        throw new AuthError('credential refused');
      }
      if (!res.ok) {
        const err = new Error('pull failed: ' + res.status);
        err.status = res.status; // 404: no report has this receipt (yet)
        try {
          err.code = ((await res.json()).data || {}).code || ''; // receipt_unknown, …
        } catch (e) {
          err.code = ''; // not the server's answer (a proxy's, a portal's)
        }
        throw err;
      }
      const body = await res.json();
      for (const c of body.changes || []) {
        if (isForgotten(scope)) return;
        if (seen) seen.add(c.id);
        await apply(c, scope);
      }
      if (isForgotten(scope)) return;
      cursor = body.cursor || cursor;
      if (!body.has_more) {
        // Closed before the plain cursor is written: cut short in between,
        // the next sync pulls the last page again and closes the same.
        if (seen) await closeUnseen(scope, seen);
        if (isForgotten(scope)) return; // forgotten while it was closing
        await db.put('meta', cursor, key);
        return;
      }
      await db.put('meta', seen ? { cursor, seen: [...seen] } : cursor, key);
    }
  }

  // closeUnseen does what the tombstones would have done for the records
  // of scope that a fresh pull did not name, which the server deleted
  // while this phone was away: it marks such sent reports closed, and
  // removes such sent messages of the scope's reports.
  async function closeUnseen(scope, seen) {
    const mine = new Set();
    for (const rec of await db.all('reports')) {
      if (!inScope(rec, scope)) continue;
      mine.add(rec.id);
      if (isForgotten(scope)) return;
      if (rec.state === 'sent' && !seen.has(rec.id)) {
        rec.status = 'closed';
        await db.put('reports', rec);
      }
    }
    for (const m of await db.all('messages')) {
      if (m.state === 'sent' && mine.has(m.report) && !seen.has(m.id)) await db.del('messages', m.id);
    }
  }

  // inScope reports whether the local report rec is one of scope's: a
  // volunteer's, or the one of a receipt ("r:<code>").
  function inScope(rec, scope) {
    if (scope === 'volunteer') return rec.channel === 'volunteer';
    return !!rec.receipt && normalizeReceipt(rec.receipt) === scope.slice(2);
  }

  async function apply(c, scope) {
    if (isForgotten(scope)) return;
    const d = c.data || {};
    if (c.collection === 'reports') {
      let rec = await db.get('reports', c.id);
      if (c.kind === 'delete') {
        if (rec) { rec.status = 'closed'; await db.put('reports', rec); }
        return;
      }
      if (!rec) {
        rec = { id: c.id, channel: d.channel || 'self', data: {}, state: 'sent', createdAt: Date.parse(d.device_created || d.created) || Date.now() };
        if (scope.indexOf('r:') === 0) rec.receipt = scope.slice(2).match(/.{4}/g).join(' ');
      }
      if (!rec.embassyName && d.embassy) {
        const emb = await db.get('embassies', d.embassy);
        if (emb) rec.embassyName = emb.name;
      }
      if (!rec.embassy && d.embassy) rec.embassy = d.embassy;
      rec.status = d.status || rec.status;
      rec.version = c.version || d.version || rec.version;
      rec.gone = false; // the server has it (again)
      if (rec.state !== 'sent' && rec.state !== 'conflict') rec.state = 'sent';
      if (isForgotten(scope)) return; // forgotten while this was read
      await db.put('reports', rec);
    } else if (c.collection === 'messages') {
      if (c.kind === 'delete') return db.del('messages', c.id);
      const prev = await db.get('messages', c.id);
      if (isForgotten(scope)) return;
      await db.put('messages', Object.assign({}, prev, {
        // A sealed message comes back with no body: the phone keeps the
        // words it wrote; a staff reply sealed with the report's reply key
        // keeps its envelope, which the follow-up screen opens with the
        // receipt (keys.js).
        id: c.id, report: d.report, direction: d.direction, body: d.body || (prev && prev.body) || '', read_by_reporter: !!d.read_by_reporter,
        sealed: d.sealed || null,
        created: d.created || (prev && prev.created) || new Date().toISOString(), state: 'sent',
      }));
    }
  }

  homeward.sync = { events, AuthError, deviceId, credential, recover, pending, run, followReceipt, forget };
})(self.homeward = self.homeward || {});
