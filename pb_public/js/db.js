// db.js: a tiny promise wrapper over IndexedDB with a versioned schema.
// Every record the app keeps lives here, keyed by ids made on the phone.
//
// A classic script, not a module: the service worker loads it with
// importScripts (Chrome 80 has no module service workers) and the pages
// with a <script> tag; both find it at self.homeward.db.

(function (homeward) {
  'use strict';

  const NAME = 'homeward';
  const VERSION = 1;

  // Each schema step upgrades from the previous version; never edit a step
  // that has shipped, add the next one.
  const upgrades = [
    (db) => {
      db.createObjectStore('reports', { keyPath: 'id' });   // local copy and state of each report
      db.createObjectStore('outbox', { keyPath: 'op' });    // operations not yet acknowledged
      db.createObjectStore('files', { keyPath: 'id' });     // photos and voice notes waiting to upload
      db.createObjectStore('messages', { keyPath: 'id' });  // replies both ways
      db.createObjectStore('embassies', { keyPath: 'id' }); // the directory, for offline use
      db.createObjectStore('meta');                         // small settings: device id, cursors, credential
    },
  ];

  let opening = null;
  // gone is set once the database is being erased, here or by another
  // context (a page erasing while the service worker syncs): nothing in
  // this context may open it again, or a write still in flight would
  // bring an erased report back.
  let gone = false;

  function req(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  function open() {
    if (gone) return Promise.reject(new Error('the database was erased'));
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const r = indexedDB.open(NAME, VERSION);
        r.onupgradeneeded = (e) => {
          for (let v = e.oldVersion; v < VERSION; v++) upgrades[v](r.result);
        };
        r.onsuccess = () => {
          const db = r.result;
          // Another tab (or the service worker) upgrading or erasing: let go
          // so it is not blocked.
          db.onversionchange = (e) => {
            db.close();
            opening = null;
            if (e.newVersion === null) gone = true;
          };
          resolve(db);
        };
        r.onerror = () => { opening = null; reject(r.error); };
        r.onblocked = () => reject(new Error('database blocked'));
      });
    }
    return opening;
  }

  async function store(name, mode) {
    const db = await open();
    return db.transaction(name, mode).objectStore(name);
  }

  async function get(name, key) {
    return req((await store(name, 'readonly')).get(key));
  }

  async function all(name) {
    return req((await store(name, 'readonly')).getAll());
  }

  // put writes value and resolves once the transaction is durable, so the
  // caller may tell the person "saved on this phone" truthfully.
  async function put(name, value, key) {
    const db = await open();
    const tx = db.transaction(name, 'readwrite');
    tx.objectStore(name).put(value, key);
    return done(tx);
  }

  async function del(name, key) {
    const db = await open();
    const tx = db.transaction(name, 'readwrite');
    tx.objectStore(name).delete(key);
    return done(tx);
  }

  // putMany writes several stores in one transaction: all or nothing.
  // Each entry is [store, value], or [store, value, key] for a store keyed
  // out of line (meta).
  async function putMany(entries) {
    const db = await open();
    const names = [...new Set(entries.map((e) => e[0]))];
    const tx = db.transaction(names, 'readwrite');
    for (const [name, value, key] of entries) {
      if (key === undefined) tx.objectStore(name).put(value);
      else tx.objectStore(name).put(value, key);
    }
    return done(tx);
  }

  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    });
  }

  // erase deletes the whole database; afterwards this context cannot
  // open it again (a reload starts afresh).
  async function erase() {
    gone = true;
    if (opening) {
      try { (await opening).close(); } catch (e) { /* already closed */ }
      opening = null;
    }
    return req(indexedDB.deleteDatabase(NAME));
  }

  // revive lets a new piece of work in a long-lived context (the service
  // worker, at the start of each sync event) open the database again after
  // an erase elsewhere: it reads what is there now, which holds nothing
  // erased. Work begun before the erase still fails.
  function revive() {
    gone = false;
  }

  homeward.db = { open, get, all, put, del, putMany, erase, revive };
})(self.homeward = self.homeward || {});
