/*
 * aedemo offline: registers the site's service worker (`sw.js` at the site's root,
 * templates/shared/_worker.js) once the page's first work is done, so its precaching never
 * competes with the first image. Over http(s) only: from file:// the page works as it
 * always has, with no worker.
 *
 * Owns: nothing. May touch: navigator.serviceWorker (one registration).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).offline = (() => {
  /**
   * Register `workerUrl` (relative to the page) after `after` (a promise) settles and the
   * page has loaded. Resolves with the registration, or null where there is none.
   */
  function register(workerUrl, after) {
    const http = location.protocol === 'http:' || location.protocol === 'https:';
    if (!http || !workerUrl || !('serviceWorker' in navigator)) return Promise.resolve(null);
    const loaded = document.readyState === 'complete' ? null
      : new Promise((done) => { window.addEventListener('load', done, { once: true }); });
    return Promise.all([Promise.resolve(after).catch(() => {}), loaded])
      .then(() => navigator.serviceWorker.register(workerUrl))
      .catch((error) => {
        console.warn('aedemo: the page will not work offline:', error && error.message ? error.message : error);
        return null;
      });
  }

  return { register };
})();
