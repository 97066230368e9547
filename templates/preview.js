/*
 * aedemo: the preview, the decoded image of the point under the pointer (or the
 * keyboard cursor) with its coordinates, and the NEAREST_K real digits whose codes lie
 * nearest to it. One decode in flight; the newest wanted point wins.
 *
 * Owns: the point wanted, the point shown with its image, what was last drawn.
 * May touch: the preview's figure (#preview: data-u1, data-u2), its canvas, the two
 * coordinate outputs, the nearest digits' box (data-indices) and canvases.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).preview = (() => {
  const NEAREST_K = 8;

  /**
   * `digits()`: the real digits with their search index, or null before they are
   * there; `done()`: after every decode; `mark(name)`: records a timing.
   */
  function create({ rt, side, classes, elements, digits, done, fail, mark }) {
    const { f32, number } = window.AEDEMO_LIB.format;
    const { greyImage } = window.AEDEMO_LIB.marks;
    const PIXELS = side * side;
    const { figure, canvas, out1, out2, nearestBox } = elements;
    const digit = canvas.getContext('2d');
    const nearestCanvases = [...nearestBox.querySelectorAll('canvas')];
    let shown = null;            // {u, values}
    let drawn = null;            // the `shown` last drawn
    let nearestShown = '';

    const job = window.AEDEMO_LIB.latest((u) => rt.decode(u[0], u[1]).then((values) => { shown = { u, values }; }),
      { fail, done });

    /** Decode u (rounded to float32) at the next start(); a newer want replaces it. */
    const want = (u) => job.want(f32(u));

    /** Show an image decoded elsewhere (a new stamp's). */
    function show(u, values) {
      shown = { u, values };
    }

    function draw() {
      if (!shown || shown === drawn) return;
      drawn = shown;
      const [u1, u2] = shown.u;
      digit.putImageData(greyImage(shown.values, side), 0, 0);
      out1.value = number(u1, 3);
      out2.value = number(u2, 3);
      figure.dataset.u1 = String(u1);
      figure.dataset.u2 = String(u2);
      drawNearest(u1, u2);
      mark('firstImage');
    }

    /** The k real digits whose codes lie nearest: [{index, label, u1, u2, d2}]. */
    function nearest(u1, u2, k = NEAREST_K) {
      const d = digits();
      if (!d) return [];
      return window.AEDEMO_LIB.nearest.query(d.index, u1, u2, k).map(({ index, d2 }) => ({
        index,
        label: d.labels[index],
        u1: d.codes[2 * index],
        u2: d.codes[2 * index + 1],
        d2,
      }));
    }

    function drawNearest(u1, u2) {
      const found = nearest(u1, u2);
      const key = found.map((f) => f.index).join(',');
      if (key === nearestShown) return;
      nearestShown = key;
      nearestBox.dataset.indices = key;
      nearestCanvases.forEach((c, i) => {
        const f = found[i];
        c.hidden = !f;
        if (!f) return;
        const grey = digits().grey(f.index);
        const image = new ImageData(side, side);
        for (let p = 0; p < PIXELS; p++) {
          image.data[4 * p] = image.data[4 * p + 1] = image.data[4 * p + 2] = grey[p];
          image.data[4 * p + 3] = 255;
        }
        c.getContext('2d').putImageData(image, 0, 0);
        c.className = `c${f.label}`;
        c.title = `a real ${classes[f.label]}, test image ${f.index}`;
      });
    }

    /** Draw everything again at the next draw() (the real digits have come). */
    function redraw() {
      nearestShown = null;
      drawn = null;
    }

    return {
      want,
      start: job.start,
      show,
      draw,
      nearest,
      redraw,
      /** The point shown, or null. */
      point: () => (shown ? shown.u : null),
      /** Whether it shows or waits for anything. */
      idle: () => !shown && !job.waiting(),
    };
  }

  return { create };
})();
