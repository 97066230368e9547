/*
 * aedemo (loaded with the time-lapse, see lazy.js): "with and without pretraining", the
 * final maps of the pretrained net and of its no-pretraining twin side by side, framed
 * alike (the box of both), under one linked cursor: the point under the pointer on
 * either map is marked on both and decoded by both decoders, at most once a frame, the
 * newest point winning.
 *
 * Owns: the cursor (a plane point or null) and the two images decoded there. May touch:
 * the two map canvases, the two image canvases and the caption it is handed.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).compare = (() => {
  /**
   * `maps`: [{ canvas, digit, u (2n codes), decode(u1, u2) }] the pretrained net first;
   * `labels` (n) the classes of the dots.
   */
  function create({ maps, labels, side, palette, theme, caption, fail, format }) {
    const { dotmap, latest, marks } = window.AEDEMO_LIB;
    const boxes = maps.map((mp) => dotmap.bounds(mp.u));
    const box = [Math.min(boxes[0][0], boxes[1][0]), Math.min(boxes[0][1], boxes[1][1]),
      Math.max(boxes[0][2], boxes[1][2]), Math.max(boxes[0][3], boxes[1][3])];
    let cursor = null;
    let decoded = null;      // { u, images: [Float32Array, Float32Array] }
    let views = [];
    let frameAsked = false;

    const job = latest((u) => Promise.all(maps.map((mp) => mp.decode(u[0], u[1]))).then((images) => {
      decoded = { u, images };
      maps.forEach((mp, i) => mp.digit.getContext('2d').putImageData(marks.greyImage(images[i], side), 0, 0));
      caption.textContent = `Both decoders at ${format.point(u)}`;
    }), { fail, done: ask });

    function frame() {
      frameAsked = false;
      views = maps.map((mp) => {
        const [w, h] = dotmap.size(mp.canvas);
        const view = dotmap.fit(box, w, h);
        dotmap.draw(mp.canvas, view, mp.u, labels, palette, theme, cursor);
        return view;
      });
      job.start();
    }

    function ask() {
      if (frameAsked) return;
      frameAsked = true;
      requestAnimationFrame(frame);
    }

    function point(u) {
      cursor = [...u];
      job.want(cursor);
      ask();
    }

    maps.forEach((mp, i) => {
      mp.canvas.addEventListener('pointermove', (event) => {
        if (views[i]) point(views[i].toPlane(...dotmap.pointer(mp.canvas, event)));
      });
      new ResizeObserver(ask).observe(mp.canvas);
    });
    ask();

    return {
      point,
      /** A copy of the cursor and of the two images decoded there (pretrained first). */
      shown: () => ({
        cursor: cursor && [...cursor],
        decoded: decoded && { u: [...decoded.u], images: decoded.images.map((im) => Array.from(im)) },
        box: [...box],
      }),
    };
  }

  return { create };
})();
