/*
 * aedemo: the pad panel. The drawing (or an image loaded into the pad: a real test
 * image, or one the story shows) is turned into the MNIST-like input (mnist.js),
 * encoded, and its code decoded again: the input, the round trip and a note are shown
 * beside the pad, and the code is the marker on the plane. One encode in flight; the
 * newest drawing wins. The note speaks the data set's words (config.words).
 *
 * The probe kit (lib.probe, created here on the panel's #probe) changes the drawing:
 * its settings adjust every input before it is encoded, its changes of the ink go
 * through the pad, and it keeps the trail of the marker's codes.
 *
 * Owns: the pad (lib.pad) and its probe kit, the newest input and raster, the marker
 * ({u, input, recon, reason}), the versions that tell when the pad has settled and
 * what made the newest one. May touch: the pad panel's elements (#pad data-digit,
 * #pad-input, #pad-output, #pad-note, and the probe's). Reports the marker through
 * `markerChanged(marker)`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).padPanel = (() => {
  /**
   * `theme`: config.theme (the pad's ink); `words`: config.words; `digits()`: the real
   * test images or null; `wake()`: asks for a frame, in which start() runs.
   */
  function create({ rt, side, classes, words, theme, elements, digits, wake, markerChanged, fail }) {
    const EMPTY_NOTE = `Draw ${words.a_noun}, or load a real one.`;
    const { greyImage } = window.AEDEMO_LIB.marks;
    const { point } = window.AEDEMO_LIB.format;
    const { canvas, note } = elements;
    const inputView = elements.input.getContext('2d');
    const outputView = elements.output.getContext('2d');
    let input = null;            // the image encoded last (Float32Array), or null
    let raster = null;           // the pad's ink when that image was a drawing
    let marker = null;           // {u, input, recon}: the drawing's code and round trip
    let version = 0;             // of the pad's content
    let reason = null;           // what made that version: see lib.pad's onChange, or 'probe'
    let done = 0;                // the version whose code is shown

    const job = window.AEDEMO_LIB.latest(encode, { fail, done: wake });
    const pad = window.AEDEMO_LIB.pad.create(canvas, theme, (why) => {
      const source = pad.source();
      if (!source || source.digit === undefined) delete canvas.dataset.digit;
      if (why === 'clear' || why === 'load' || why === 'strokes') probe.replaced();
      else probe.update();
      changed(why);
    });
    const probe = window.AEDEMO_LIB.probe.create({
      root: elements.probe, padCanvas: canvas, side, padSize: pad.size, pad, refresh: () => changed('probe'),
    });

    /** A new version of the pad's content, made by `why`: encode it at the next start(). */
    function changed(why) {
      version += 1;
      reason = why;
      job.want(version);
      wake();
    }

    /** Encode the pad as it is now (for `v`, its version); undefined when it is empty. */
    function encode(v) {
      const source = pad.source();
      const why = reason;
      raster = null;
      input = null;
      if (source && source.kind === 'image') {
        input = source.pixels;
      } else if (source) {
        raster = pad.raster();
        const result = window.AEDEMO_LIB.mnist.preprocess(raster, pad.size, pad.size);
        input = result ? result.image : null;
      }
      const unadjusted = input;
      if (input) input = probe.adjust(input);
      if (!input) {
        marker = null;
        inputView.clearRect(0, 0, side, side);
        outputView.clearRect(0, 0, side, side);
        note.textContent = EMPTY_NOTE;
        done = v;
        probe.moved(null);
        markerChanged(null);
        return undefined;
      }
      const image = input;
      inputView.putImageData(greyImage(image, side), 0, 0);
      return rt.encode(image).then(async (u) => {
        const recon = await rt.decode(u[0], u[1]);
        marker = { u, input: image, recon, reason: why };
        outputView.putImageData(greyImage(recon, side), 0, 0);
        done = v;
        describe(source, u, image !== unadjusted);
        probe.moved(marker);
        markerChanged(marker);
      });
    }

    /** The note: what the pad holds (`adjusted`: the probe's settings changed it) and its code. */
    function describe(source, u, adjusted) {
      const base = source.from || source;
      const changes = source.from || adjusted ? ', changed,' : '';
      if (base.digit !== undefined) {
        const label = classes[digits().labels[base.digit]];
        note.textContent = `A real ${label} (test image ${base.digit})${changes} encodes to ${point(u)}.`;
      } else if (base.text) {
        note.textContent = `${base.text}${changes} encodes to ${point(u)}, the diamond on the plane.`;
      } else {
        note.textContent = `${base.name || 'Your drawing'}${changes} encodes to ${point(u)}, the diamond on the plane.`;
      }
    }

    /** Load real test image `index` into the pad. */
    function loadDigit(index) {
      const d = digits();
      if (!d || !(index >= 0 && index < d.n)) throw new RangeError(`no real ${words.noun} ${index}`);
      canvas.dataset.digit = String(index);
      pad.loadDigit(index, d.grey(index), d.pixels(index));
    }

    /** Load a side×side image (values in [0, 1]) into the pad; the note calls it `text`. */
    function loadImage(pixels, text) {
      const image = Float32Array.from(pixels);
      pad.loadImage(Uint8ClampedArray.from(image, (v) => Math.round(255 * v)), image, { text });
    }

    function randomDigit() {
      const d = digits();
      if (d) loadDigit(Math.floor(Math.random() * d.n));
    }

    /** Once the encoder and the digits are there: drawing is on. */
    function enable() {
      pad.enable();
      probe.enable();
      note.textContent = EMPTY_NOTE;
    }

    /** The encoder or the digits could not be loaded: say so where the pad's note goes. */
    function unavailable(error) {
      note.textContent = `The encoder could not be loaded (${error.message}).`;
    }

    return {
      start: job.start,
      enable,
      unavailable,
      loadDigit,
      loadImage,
      drawStrokes: (strokes, name) => pad.drawStrokes(strokes, name),
      randomDigit,
      clear: () => pad.clear(),
      size: pad.size,
      marker: () => marker,
      raster: () => (raster ? Array.from(raster) : null),
      input: () => (input ? Array.from(input) : null),
      settled: () => !job.waiting() && !job.busy() && done === version,
      trail: probe.trail,
      probe: { act: probe.act, state: probe.state },
    };
  }

  return { create };
})();
