// sw.js: keeps the app shell on the phone so the app opens with no network.
// Navigations go to the network first and fall back to the cached shell;
// shell files come from the cache and are refreshed behind; /api/* is never
// cached (reports and replies live in IndexedDB instead). Bump VERSION when
// the list of shell files changes.

const VERSION = 'homeward-v2';
const SHELL = [
  '/',
  '/css/app.css',
  '/js/app.js', '/js/db.js', '/js/outbox.js', '/js/sync.js', '/js/i18n.js', '/js/ids.js', '/js/media.js', '/js/volunteer.js',
  '/i18n/en.json', '/i18n/id.json', '/i18n/zh.json', '/i18n/vi.json', '/i18n/th.json', '/i18n/my.json', '/i18n/km.json', '/i18n/fil.json',
  '/verify', '/js/qrverify.js', '/js/verify-page.js', '/css/contact.css',
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

// Background Sync: the network is back. The sync code is an ES module,
// which a service worker cannot load in Chrome 80, so wake the open pages
// and let them send; with no page open the browser retries the tag later.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((list) => {
    for (const c of list) c.postMessage('sync');
    if (!list.length) throw new Error('no page open to send from');
  }));
});
