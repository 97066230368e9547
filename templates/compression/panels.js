/*
 * aedemo: the compression page's side-by-side panels: the clean input, the noisy input
 * and the four reconstructions (2-D and 30-D autoencoders, PCA-2, PCA-30), each a
 * 28×28 image with its error against the clean image. Each panel is an element with
 * data-panel="NAME", holding a canvas and a [data-error] element; the code sizes are
 * the template's (from compress.json).
 *
 * Owns: what each panel shows (image and error). May touch: the panels' canvases,
 * their [data-error] text and their data-error attribute.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).panels = (() => {
  /** Mean squared error per pixel of `a` against `b`, in float64. */
  function mse(a, b) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    return s / a.length;
  }

  /** `root`: the element holding the panels; `side`: the images' side. */
  function create(root, side) {
    const { greyImage } = window.AEDEMO_LIB.marks;
    const panels = {};
    for (const el of root.querySelectorAll('[data-panel]')) {
      panels[el.dataset.panel] = { el, canvas: el.querySelector('canvas'), text: el.querySelector('[data-error]') };
    }
    const shown = {};

    /** Show `image` in panel `name`, with its error against `clean` (none for the clean one). */
    function show(name, image, clean) {
      const p = panels[name];
      p.canvas.getContext('2d').putImageData(greyImage(image, side), 0, 0);
      const error = clean ? mse(image, clean) : null;
      shown[name] = { image: Float32Array.from(image), error };
      if (p.text) p.text.textContent = error === null ? 'the reference' : `error ${error.toFixed(4)}`;
      p.el.dataset.error = error === null ? '' : String(error);
      return error;
    }

    function clear() {
      for (const [name, p] of Object.entries(panels)) {
        p.canvas.getContext('2d').clearRect(0, 0, side, side);
        if (p.text) p.text.textContent = '\u2014';
        p.el.dataset.error = '';
        delete shown[name];
      }
    }

    /** A copy of what panel `name` shows: { image (array), error }, or null. */
    function get(name) {
      const s = shown[name];
      return s ? { image: Array.from(s.image), error: s.error } : null;
    }

    return { show, clear, get, names: Object.keys(panels) };
  }

  return { create, mse };
})();
