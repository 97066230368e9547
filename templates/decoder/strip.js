/*
 * aedemo: the strip, STRIP_N images decoded at even steps along a line of the plane
 * (one batched decode; at most one in flight, the newest line wins).
 *
 * Owns: the line wanted and the line shown with its images. May touch: the strip's
 * figure (#strip: hidden, data-version), its canvases and caption. Reports through
 * `changed()` (what the buttons show depends on it), `redraw()` and `fail(error)`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).strip = (() => {
  const STRIP_N = 10;

  /** STRIP_N points from a to b, ends included: Float32Array [u1, u2, ...]. */
  function points(a, b) {
    const u = new Float32Array(2 * STRIP_N);
    for (let i = 0; i < STRIP_N; i++) {
      const t = i / (STRIP_N - 1);
      u[2 * i] = a[0] + t * (b[0] - a[0]);
      u[2 * i + 1] = a[1] + t * (b[1] - a[1]);
    }
    return u;
  }

  /** The same as a list [[u1, u2], ...], for drawing the line's dots. */
  function dots(a, b) {
    const u = points(a, b);
    return Array.from({ length: STRIP_N }, (_, i) => [u[2 * i], u[2 * i + 1]]);
  }

  /** `box`: the strip's figure; `caption`: its caption element; `done()`: after every decode. */
  function create({ rt, side, box, caption, changed, redraw, done, fail }) {
    const { f32, point } = window.AEDEMO_LIB.format;
    const { greyImage } = window.AEDEMO_LIB.marks;
    const PIXELS = side * side;
    const canvases = [...box.querySelectorAll('canvas')];
    let shown = null;            // {a, b, u, values, text}

    const job = window.AEDEMO_LIB.latest(([a, b, text]) => {
      const u = points(a, b);
      return rt.decodeBatch(u).then((values) => {
        shown = { a, b, u, values, text };
        draw();
      });
    }, { fail, done });

    function draw() {
      const { a, b, values, text } = shown;
      canvases.forEach((c, i) => c.getContext('2d').putImageData(
        greyImage(values.subarray(i * PIXELS, (i + 1) * PIXELS), side), 0, 0));
      caption.textContent = text || `Decoded along the line from ${point(a)} to ${point(b)}`;
      box.hidden = false;
      box.dataset.version = String(Number(box.dataset.version || 0) + 1);
      changed();
    }

    /** Ask for the strip from a to b; it is decoded at the next start(). `text`: its caption, if not the line's. */
    const set = (a, b, text) => job.want([f32(a), f32(b), text]);

    function close() {
      job.drop();
      shown = null;
      box.hidden = true;
      changed();
      redraw();
    }

    return {
      set,
      start: job.start,
      close,
      isShown: () => shown !== null,
      /** For tests and tools: the line and its points once decoded and nothing newer waits; else null. */
      snapshot: () => (shown && !job.busy() && !job.waiting()
        ? { a: [...shown.a], b: [...shown.b], u: Array.from(shown.u) } : null),
    };
  }

  return { create, dots };
})();
