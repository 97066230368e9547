/*
 * aedemo: the preview, the decoded image of the point under the pointer (or the
 * keyboard cursor) with its coordinates, the NEAREST_K real digits whose codes lie
 * nearest to it, and the decoder's layers there (lib.layers, created here on #layers,
 * from the same decoder run as the image). One decode in flight; the newest wanted
 * point wins. Before the decoder can draw anything, the wanted point's coordinates, its
 * nearest real digits and the class most of them belong to show at once (they need only
 * the real digits): the page answers the pointer while the runtime still loads.
 *
 * Owns: the point wanted, the point shown with its image and layers, what was last
 * drawn, the layers part. May touch: the preview's figure (#preview: data-u1, data-u2),
 * its canvas, the two coordinate outputs, the region line (#region), the nearest digits'
 * box (data-indices) and canvases, and through lib.layers the layers box.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).preview = (() => {
  const NEAREST_K = 8;
  const REST_MS = 250;           // a pointer that stays this long at a point rests there

  /**
   * `digits()`: the real digits with their search index, or null before they are
   * there; `done()`: after every decode (and to ask for a frame); `mark(name)`: records
   * a timing; `covered(u)`: whether the plane point u lies under the preview on screen.
   */
  function create({ rt, side, classes, plurals, words, theme, elements, digits, done, fail, mark, covered }) {
    const { f32, number } = window.AEDEMO_LIB.format;
    const { greyImage } = window.AEDEMO_LIB.marks;
    const PIXELS = side * side;
    const { figure, canvas, out1, out2, nearestBox, region } = elements;
    const digit = canvas.getContext('2d');
    const nearestCanvases = [...nearestBox.querySelectorAll('canvas')];
    const layers = window.AEDEMO_LIB.layers.create({ rt, side, root: elements.layers, theme, fail, inspect });
    let shown = null;            // {u, values, layers}
    let rest = null;             // {u, at}: the point wanted last, since when, if it is clear of the preview
    let rested = null;           // the newest point clear of the preview that the pointer rested at
    let drawn = null;            // the `shown` last drawn
    let pointed = null;          // the newest point wanted, shown as coordinates before any image
    let sketched = null;         // the `pointed` last drawn so
    let nearestShown = '';

    const job = window.AEDEMO_LIB.latest((u) => rt.decodeLayers(u[0], u[1]).then((out) => {
      shown = { u, values: out.image, layers: out.layers };
    }), { fail, done });

    /** Decode u (rounded to float32) at the next start(); a newer want replaces it. */
    function want(u) {
      restedNow();
      rest = covered(u) ? null : { u: f32(u), at: performance.now() };
      pointed = f32(u);
      job.want(pointed);
    }

    function restedNow() {
      if (rest && performance.now() - rest.at >= REST_MS) rested = rest.u;
    }

    /**
     * A unit of the layers is hovered: the pointer crossed the preview to get there, and
     * the plane decoded what lies under it on the way; go back to the point it rested at.
     */
    function inspect() {
      restedNow();
      rest = null;
      if (!rested) return;
      job.want(rested);
      done();
    }

    /** Show an image decoded elsewhere (a new stamp's): the layers stay when they are of the same point. */
    function show(u, values) {
      const same = shown && shown.layers && shown.u[0] === u[0] && shown.u[1] === u[1];
      shown = { u, values, layers: same ? shown.layers : null };
    }

    function draw() {
      if (!shown && pointed && pointed !== sketched) {   // no image yet: the point and its neighbours
        sketched = pointed;
        out1.value = number(pointed[0], 3);
        out2.value = number(pointed[1], 3);
        drawNearest(pointed[0], pointed[1]);
      }
      if (!shown || shown === drawn) return;
      drawn = shown;
      const [u1, u2] = shown.u;
      digit.putImageData(greyImage(shown.values, side), 0, 0);
      layers.show(shown.u, shown.layers);
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
      if (found.length) mark('pointer');   // the first answer to the pointer: coordinates and real digits
      if (key === nearestShown) return;
      nearestShown = key;
      nearestBox.dataset.indices = key;
      showRegion(found);
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

    /** The class most of the nearest real digits belong to, and how many of them do. */
    function showRegion(found) {
      const count = new Map();
      for (const f of found) count.set(f.label, (count.get(f.label) || 0) + 1);
      let label = null;
      for (const [l, n] of count) if (label === null || n > count.get(label)) label = l;
      region.textContent = label === null ? '' : `mostly ${plurals[label]}: ${count.get(label)} of ${found.length}`;
      region.title = label === null ? '' : `${count.get(label)} of the ${found.length} real test ${words.nouns} nearest to this point are ${plurals[label]}`;
    }

    /** Draw everything again at the next draw() (the real digits have come). */
    function redraw() {
      nearestShown = null;
      drawn = null;
      sketched = null;
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
      layers: layers.shown,
      unit: layers.hovered,
    };
  }

  return { create };
})();
