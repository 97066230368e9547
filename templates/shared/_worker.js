/*
 * aedemo's service worker (rendered into the site as `sw.js`, at its root, so its scope
 * is the site's own path: `/REPOSITORY/` on GitHub Pages). After one visit over http(s)
 * both pages work with the network off. Over file:// there is no worker (offline.js
 * registers it only over http(s)).
 *
 * `render` writes two constants above this text (builder/site/offline.py): PRECACHE,
 * the site's files relative to the scope (every page, script, style sheet, data file and
 * the runtime; not the files only file:// loads), and VERSION, a hash of them all. The
 * files other than the pages have content-hashed names (or a versioned folder, the
 * runtime's), so a name never changes its bytes:
 *   - pages (navigations, *.html, the scope's folder): network first, the cached copy
 *     when the network fails, so a new build shows at the next online visit;
 *   - everything else under the scope: cache first, fetched and kept when missing.
 * A new build brings a new VERSION, hence a new worker: it precaches into its own cache
 * and, once active, deletes every older aedemo cache.
 *
 * Owns: the caches named `aedemo-…` of its origin. May touch: nothing else.
 */
'use strict';

/* global PRECACHE, VERSION */
const CACHE = `aedemo-${VERSION}`;
const SCOPE = self.registration.scope;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((rel) => new Request(new URL(rel, SCOPE), { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('aedemo-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function isPage(request, url) {
  return request.mode === 'navigate' || url.pathname.endsWith('/') || url.pathname.endsWith('.html');
}

async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = (await cache.match(request, { ignoreSearch: true }))
      || (url.pathname.endsWith('/') && (await cache.match(new URL('index.html', url))));
    if (hit) return hit;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || !url.href.startsWith(SCOPE)) return;
  event.respondWith(isPage(request, url) ? networkFirst(request, url) : cacheFirst(request));
});
