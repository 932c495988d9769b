// sw.js: keeps the app shell on the phone so the app opens with no network.
// Navigations go to the network first and fall back to the cached shell;
// shell files come from the cache and are refreshed behind; /api/* is never
// cached (reports and replies live in IndexedDB instead). Bump VERSION when
// the list of shell files changes, or when scripts change that only work
// together (v10: seal.js inflates with vendor/fflate.js's unzlibSync; the
// reply sealed to the embassy's key, in app.js and the languages; v11:
// app.js imports inview.js).
//
// It also sends the outbox when Background Sync says the network is back
// and no page is open, with the very code the pages use: db.js, ids.js,
// outbox.js and sync.js are classic scripts for that reason.

importScripts('/js/db.js', '/js/ids.js', '/js/outbox.js', '/js/sync.js');

const VERSION = 'homeward-v17';
const SHELL = [
  '/',
  '/css/app.css',
  '/js/app.js', '/js/zawgyi-check.js', '/js/vendor/myanmar-tools/zawgyi.js', '/js/db.js', '/js/outbox.js', '/js/sync.js', '/js/i18n.js', '/js/ids.js', '/js/media.js', '/js/volunteer.js', '/js/vocabulary.js', '/js/inview.js', '/js/draft.js',
  // Sealing, loaded after the first screen (app.js imports keys.js).
  '/js/keys.js', '/js/seal.js', '/js/vendor/hpke.js', '/js/vendor/fflate.js',
  '/i18n/en.json', '/i18n/id.json', '/i18n/zh.json', '/i18n/vi.json', '/i18n/th.json', '/i18n/my.json', '/i18n/km.json', '/i18n/fil.json', '/i18n/countries.json',
  '/verify', '/js/qrverify.js', '/js/verify-page.js', '/js/lines.js', '/js/exit.js', '/css/contact.css',
  // A scanned code with no signal: the page that checks it, and the keys.
  '/qr/offline', '/js/scan-page.js', '/.well-known/jwks.json',
  '/manifest.webmanifest', '/icons/icon.svg', '/icons/neutral.svg', '/icons/icon-192.png', '/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await cache.addAll(SHELL);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== VERSION) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.indexOf('/api/') === 0) return;
  if (req.mode === 'navigate') {
    // Only the reporter and volunteer pages fall back to the shell; the
    // staff console and the dashboard are online tools.
    if (url.pathname === '/verify') {
      // The poster check page works offline with the cached keys.
      event.respondWith(fetch(req).catch(async () => (await caches.match('/verify', { cacheName: VERSION })) || Response.error()));
      return;
    }
    if (url.pathname.indexOf('/q/') === 0) {
      // A scanned code with no signal: never the browser's error page, but
      // the page that checks the code against the saved keys.
      event.respondWith(fetch(req).catch(async () => (await caches.match('/qr/offline', { cacheName: VERSION })) || Response.error()));
      return;
    }
    if (!/^\/($|volunteer|e\/)/.test(url.pathname)) return;
    event.respondWith(fetch(req).then((res) => {
      // A fresh shell replaces the cached one (/e/{slug} is another page).
      if (res.ok && url.pathname.indexOf('/e/') !== 0) {
        const copy = res.clone();
        event.waitUntil(caches.open(VERSION).then((c) => c.put('/', copy)));
      }
      return res;
    }).catch(async () => (await caches.match('/', { cacheName: VERSION })) || Response.error()));
    return;
  }
  if (SHELL.indexOf(url.pathname) < 0) return;
  // Shell files: from the cache at once, refreshed in the background, so a
  // new release arrives on the next start even without a VERSION bump.
  event.respondWith((async () => {
    const cache = await caches.open(VERSION);
    const hit = await cache.match(url.pathname);
    const fresh = fetch(req).then((res) => {
      if (res.ok) cache.put(url.pathname, res.clone());
      return res;
    });
    if (hit) {
      event.waitUntil(fresh.catch(() => {}));
      return hit;
    }
    return fresh;
  })());
});

// Background Sync: the network is back. A visible page sends itself, so
// the person sees the progress; otherwise (no page open, or only hidden
// ones the browser may have frozen) this worker sends. sync.js holds a lock
// over each pass, so a page opened meanwhile waits instead of racing it.
// A failed pass rejects, and the browser tries the tag again later.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  self.homeward.db.revive();
  event.waitUntil(sendQueued());
});

// Periodic sync (installed apps, Chrome 80+): another chance for reports a
// failed one-shot sync gave up on. With nothing left to send it is dropped.
self.addEventListener('periodicsync', (event) => {
  if (event.tag !== 'outbox') return;
  self.homeward.db.revive();
  event.waitUntil(self.homeward.sync.pending().then((any) => {
    if (any) return sendQueued();
    return self.registration.periodicSync.unregister('outbox');
  }));
});

async function sendQueued() {
  const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const visible = pages.filter((c) => c.visibilityState === 'visible');
  if (visible.length) {
    for (const c of visible) c.postMessage('sync');
    return;
  }
  const { outbox, sync } = self.homeward;
  try {
    await outbox.retryNow();
    await sync.run();
  } catch (e) {
    // A refused device credential waits for the volunteer to log in again
    // (the outbox stays); retrying before that would be refused again.
    if (!(e instanceof sync.AuthError)) throw e;
  } finally {
    for (const c of pages) c.postMessage('changed');
  }
}
