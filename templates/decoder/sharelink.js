/*
 * aedemo: sharing. The link to the current point and stamps (copied, and put into the
 * address bar), restoring from a link (at load and when the hash changes) or from the
 * stamps kept in this browser, the PNG of the plane, and the toast that carries short
 * notices (also for other modules: notice(text)). The formats, the stamp cap and the
 * range live in statecodec.js; a restore that left anything out says so in a notice.
 *
 * Owns: the hash this page wrote last, the toast's timer. May touch: location.hash and
 * history (replaceState), the clipboard, the toast element, a temporary download link,
 * localStorage through statecodec.js.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).sharing = (() => {
  const TOAST_MS = 3200;         // at least; longer notices stay longer
  const TOAST_MS_PER_CHAR = 60;

  /**
   * `point()`: the point the link carries; `stampPoints()`: [[u1, u2], ...];
   * `range()`: share.range of the points; `moveTo(u)`: put the cursor at u and decode
   * it; `restore(list)`: replace the stamps (not kept) → Promise; `drawStill(g)`: the
   * plane without the live marks, into a context of the canvas's size; `ready()`:
   * whether the plane can take a link now; `extra` (optional): the rest of the view in the
   * link (app.js through viewlink.js), {write() → 'k=v&...' or '', read(hash) → whether it
   * held any}.
   */
  function create({ canvas, toast, modelHash, point, stampPoints, range, moveTo, restore, drawStill, ready, fail, extra }) {
    const { share } = window.AEDEMO_LIB;
    let writtenHash = null;
    let toastTimer = 0;

    function notice(text) {
      toast.textContent = text;
      toast.hidden = false;
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => { toast.hidden = true; }, Math.max(TOAST_MS, TOAST_MS_PER_CHAR * text.length));
    }

    /** Put the toast away now. */
    function quiet() {
      clearTimeout(toastTimer);
      toast.hidden = true;
    }

    function noticeIfAny(text) {
      if (text) notice(text);
    }

    function link() {
      const here = location.href.replace(/#.*$/, '');
      const hash = share.toHash(point(), stampPoints());
      const more = extra ? extra.write() : '';
      return here + (more ? `${hash || '#'}${hash ? '&' : ''}${more}` : hash);
    }

    async function copyLink() {
      const url = link();
      writtenHash = url.slice(url.indexOf('#'));
      history.replaceState(null, '', url);
      try {
        await navigator.clipboard.writeText(url);
        notice('Link copied: it opens this view (zoom, overlays, open tools) with these stamps.');
      } catch {
        notice('The link is in the address bar: copy it from there.');
      }
    }

    /** Restore the cursor and stamps that the page's link carries; false when it carries none. */
    function restoreFromHash() {
      const more = extra ? extra.read(location.hash) : false;
      const state = share.fromHash(location.hash, range());
      if (!state) return more;
      if (state.cursor) moveTo(state.cursor);
      restore(state.stamps).catch(fail);
      noticeIfAny(share.notice(state, 'link'));
      return true;
    }

    /** Restore the stamps kept in this browser for this model, if any. */
    function restoreKept() {
      const kept = share.loadStamps(modelHash, range());
      if (!kept) return;
      if (kept.stamps.length) restore(kept.stamps).catch(fail);
      noticeIfAny(share.notice(kept, 'kept'));
    }

    /** Keep the stamps in this browser (none: forget them). */
    const keep = (list) => share.saveStamps(modelHash, list);

    function onHashChange() {
      if (location.hash === writtenHash || !ready()) return;
      restoreFromHash();
    }

    function downloadPng() {
      const image = document.createElement('canvas');
      image.width = canvas.width;
      image.height = canvas.height;
      drawStill(image.getContext('2d', { alpha: false }));
      image.toBlob((blob) => {
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = 'aedemo-plane.png';
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 30000);
      }, 'image/png');
    }

    window.addEventListener('hashchange', onHashChange);

    return { link, copyLink, restoreFromHash, restoreKept, keep, downloadPng, notice, quiet };
  }

  return { create };
})();
