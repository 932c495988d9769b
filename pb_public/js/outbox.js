// outbox.js: the queue of operations waiting for the server. An operation
// is keyed by an id made on the phone and is deleted only after the server
// has acknowledged it, so closing the tab or a dead network loses nothing.
//
// A classic script shared with the service worker (see db.js): found at
// self.homeward.outbox; needs db.js and ids.js loaded first.

(function (homeward) {
  'use strict';

  const db = homeward.db;
  const BASE_DELAY = 2000;          // first retry after about 2 s
  const MAX_DELAY = 5 * 60 * 1000;  // never wait more than 5 min between tries

  let counter = 0;

  // entry builds an operation in the sync contract's shape (the receipt
  // travels beside the data) plus local bookkeeping (auth: "self" or
  // "volunteer"; at: queue order).
  function entry(kind, collection, id, data, receipt, auth) {
    return { op: homeward.ids.newId(), kind, collection, id, data, receipt, auth, at: Date.now() * 1000 + (counter++ % 1000), attempts: 0, nextAt: 0 };
  }

  // list returns every queued operation in the order it was made.
  async function list() {
    const ops = await db.all('outbox');
    return ops.sort((a, b) => a.at - b.at);
  }

  // due returns the operations whose backoff has passed.
  async function due(now) {
    return (await list()).filter((o) => o.nextAt <= now);
  }

  function ack(op) {
    return db.del('outbox', op);
  }

  // backoff returns how long to wait after the n-th failure: doubling, capped,
  // with jitter so that many phones coming back online do not retry in step.
  function backoff(n) {
    const d = Math.min(MAX_DELAY, BASE_DELAY * Math.pow(2, Math.max(0, n - 1)));
    return Math.round(d / 2 + Math.random() * d / 2);
  }

  // failed records a failed try of ops and schedules the next one, not
  // before notBefore (ms since the epoch; 0 for none) when the server said
  // when to come back (Retry-After).
  async function failed(ops, now, notBefore) {
    for (const o of ops) {
      const cur = await db.get('outbox', o.op);
      if (!cur) continue; // acknowledged meanwhile
      cur.attempts++;
      cur.notBefore = notBefore || 0;
      cur.nextAt = Math.max(now + backoff(cur.attempts), cur.notBefore);
      await db.put('outbox', cur);
    }
  }

  // retryNow clears the backoff of every operation, for a "Send now" tap or
  // when the network comes back; a time the server asked for still holds.
  async function retryNow() {
    const now = Date.now();
    for (const o of await list()) {
      const hold = o.notBefore > now ? o.notBefore : 0;
      if (o.nextAt !== hold) {
        o.nextAt = hold;
        await db.put('outbox', o);
      }
    }
  }

  // nextDelay returns ms until the earliest queued operation is due, or -1.
  async function nextDelay(now) {
    const ops = await list();
    if (!ops.length) return -1;
    return Math.max(0, Math.min.apply(null, ops.map((o) => o.nextAt)) - now);
  }

  homeward.outbox = { entry, list, due, ack, backoff, failed, retryNow, nextDelay };
})(self.homeward = self.homeward || {});
