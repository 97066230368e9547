/*
 * aedemo: Iterate on the compression page. From the noisy input, each code's round trip
 * x ← clip(decode(encode(x)), 0, 1) is repeated STEPS times, for the 2-D and the 30-D
 * autoencoder; each row shows the images after every step with its error against the
 * clean image, so one sees which code keeps the input and which drifts to another.
 *
 * Owns: the rows shown, whether an iteration runs. May touch: the rows' elements
 * (data-drift="ae2" / "ae30", their canvases, captions and data-steps), the button's
 * disabled state.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).drift = (() => {
  const STEPS = 8;

  /**
   * `rows`: { ae2, ae30 } elements; `roundTrip(name, image)` resolves with one round
   * trip's reconstruction (raw, not clipped).
   */
  function create({ rows, side, roundTrip }) {
    const { greyImage } = window.AEDEMO_LIB.marks;
    const { mse } = window.AEDEMO_LIB.panels;
    let running = false;
    const shown = { ae2: [], ae30: [] };

    function cell(row, k, image, error) {
      const figure = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = side;
      canvas.getContext('2d').putImageData(greyImage(image, side), 0, 0);
      const caption = document.createElement('figcaption');
      caption.textContent = k === 0 ? 'start' : `${k}: ${error.toFixed(3)}`;
      figure.append(canvas, caption);
      row.append(figure);
    }

    /** Run both codes from `start` (the noisy input) against `clean`; resolves when shown. */
    async function run(start, clean) {
      if (running) return false;
      running = true;
      try {
        for (const name of ['ae2', 'ae30']) {
          const row = rows[name].querySelector('.drift-cells');
          row.replaceChildren();
          shown[name] = [];
          cell(row, 0, start, 0);
          let x = Float32Array.from(start);
          for (let k = 1; k <= STEPS; k++) {
            const y = await roundTrip(name, x);
            const error = mse(y, clean);
            shown[name].push(error);
            cell(row, k, y, error);
            x = Float32Array.from(y, (v) => Math.min(1, Math.max(0, v)));
          }
          rows[name].dataset.steps = String(STEPS);
        }
      } finally {
        running = false;
      }
      return true;
    }

    function clear() {
      for (const name of ['ae2', 'ae30']) {
        rows[name].querySelector('.drift-cells').replaceChildren();
        rows[name].dataset.steps = '0';
        shown[name] = [];
      }
    }

    return { run, clear, running: () => running, errors: () => ({ ae2: [...shown.ae2], ae30: [...shown.ae30] }), STEPS };
  }

  return { create };
})();
