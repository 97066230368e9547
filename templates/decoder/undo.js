/*
 * aedemo: what Reset view gives back after the story's stops. When a stop starts (story.js
 * calls `starting()`), the state before it is noted, once until the next reset: the
 * stamps, how many paths, whether the pad was empty, the preview's point. `restore()`
 * (Reset view) puts it back: the stamps as they were (the stop's stamp and path go; when
 * a path was added, every path goes, as Clear does), the pad cleared when it was empty
 * before, the pointer and preview back at the point they showed, the toast put away.
 * The story's own marks, the dimming, the strip it opened and the view are story.js's and
 * view.js's to reset.
 *
 * Owns: the state noted before the first stop since the last reset. May touch: the
 * stamps, pad, preview and toast only through the functions it is handed.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).undo = (() => {
  const same = (a, b) => a.length === b.length && a.every((p, i) => p[0] === b[i][0] && p[1] === b[i][1]);

  /**
   * `stamps`: lib.stamps's part; `padEmpty()`, `clearPad()`; `point()`: the preview's
   * point (or null); `moveTo(u)`: the pointer and preview to u; `quiet()`: put the toast away.
   */
  function create({ stamps, padEmpty, clearPad, point, moveTo, quiet, fail }) {
    let before = null;

    function starting() {
      if (before) return;
      const u = point();
      before = { stamps: stamps.points(), paths: stamps.pathCount(), padEmpty: padEmpty(), point: u && [u[0], u[1]] };
    }

    function restore() {
      if (!before) return;
      const b = before;
      before = null;
      if (!same(stamps.points(), b.stamps) || stamps.pathCount() > b.paths) {
        stamps.clear();
        if (b.stamps.length) stamps.restore(b.stamps, true).catch(fail);
      }
      if (b.padEmpty && !padEmpty()) clearPad();
      if (b.point) moveTo(b.point);
      quiet();
    }

    return { starting, restore, pending: () => before !== null };
  }

  return { create };
})();
