/*
 * aedemo (loaded with the time-lapse, see lazy.js): a small map of dots on a canvas of its
 * own, for the time-lapse and the side-by-side maps. `fit(box, w, h)` frames a box of the
 * plane [x0, y0, x1, y1] in a CSS-pixel canvas (one scale for both axes, y up, a margin);
 * `draw(...)` paints n dots coloured by class and, optionally, a cursor.
 *
 * Owns: nothing. May touch: the canvas it is handed (its size, its pixels).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).dotmap = (() => {
  const MARGIN = 14;   // CSS pixels around the framed box

  /** The view that frames `box` in a w × h canvas: { scale, ox, oy, toScreen, toPlane }. */
  function fit(box, w, h) {
    const [x0, y0, x1, y1] = box;
    const sx = (w - 2 * MARGIN) / Math.max(x1 - x0, 1e-9);
    const sy = (h - 2 * MARGIN) / Math.max(y1 - y0, 1e-9);
    const scale = Math.min(sx, sy);
    const ox = w / 2 - scale * (x0 + x1) / 2;
    const oy = h / 2 + scale * (y0 + y1) / 2;
    return {
      scale, ox, oy,
      toScreen: (u1, u2) => [ox + scale * u1, oy - scale * u2],
      toPlane: (x, y) => [(x - ox) / scale, (oy - y) / scale],
    };
  }

  /** The bounding box [x0, y0, x1, y1] of n points packed as [u1, u2, u1, u2, ...]. */
  function bounds(u) {
    let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
    for (let i = 0; i < u.length; i += 2) {
      x0 = Math.min(x0, u[i]); x1 = Math.max(x1, u[i]);
      y0 = Math.min(y0, u[i + 1]); y1 = Math.max(y1, u[i + 1]);
    }
    return [x0, y0, x1, y1];
  }

  /** The canvas at its CSS size times the device-pixel ratio; returns [w, h] in CSS pixels. */
  function size(canvas) {
    const w = canvas.clientWidth || 320;
    const h = canvas.clientHeight || w;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(w * dpr);
    const height = Math.round(h * dpr);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    return [w, h];
  }

  /**
   * Paint the dots `u` (2n numbers) of classes `labels` (n) with `palette` over `theme.card`,
   * framed by `view` (from fit, CSS pixels); `cursor` [u1, u2] or null.
   */
  function draw(canvas, view, u, labels, palette, theme, cursor) {
    const g = canvas.getContext('2d');
    const dpr = canvas.width / (canvas.clientWidth || canvas.width);
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = theme.card;
    g.fillRect(0, 0, canvas.width, canvas.height);
    const r = 1.6 * dpr;
    for (let c = 0; c < palette.length; c++) {
      g.fillStyle = palette[c];
      g.beginPath();
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] !== c) continue;
        const [x, y] = view.toScreen(u[2 * i], u[2 * i + 1]);
        g.moveTo(x * dpr + r, y * dpr);
        g.arc(x * dpr, y * dpr, r, 0, 2 * Math.PI);
      }
      g.fill();
    }
    if (cursor) {
      const [x, y] = view.toScreen(cursor[0], cursor[1]);
      g.strokeStyle = theme.ink;
      g.lineWidth = 1.5 * dpr;
      g.beginPath();
      g.moveTo((x - 9) * dpr, y * dpr); g.lineTo((x + 9) * dpr, y * dpr);
      g.moveTo(x * dpr, (y - 9) * dpr); g.lineTo(x * dpr, (y + 9) * dpr);
      g.stroke();
    }
  }

  /** The pointer's place on `canvas` in CSS pixels. */
  function pointer(canvas, event) {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  return { fit, bounds, size, draw, pointer };
})();
