/*
 * aedemo: the decoder's layers at the preview's point, 2 → 25 → 50 → 100 → 784: each
 * hidden layer a block of cells, one per unit, 25 to a line (the 100-unit layer in four
 * lines, so every cell is as wide as the 25-unit layer's), shaded from the card colour (0)
 * to the ink (the layer's largest activation), with how many units are on; the activations come
 * from the same decoder run as the preview's image (rt.decodeLayers: extra outputs of
 * decoder.onnx, so nothing of the model lives in JavaScript). Hovering or touching a
 * cell of the first two hidden layers shows what that unit draws alone (rt.units(),
 * computed in the build and loaded on the first hover); of the others, its value.
 *
 * Owns: the activations shown and the unit hovered. May touch: the layers box
 * (#layers: data-u1/u2, its rows' canvases and counts, data-unit) and its unit figure
 * (#unit-image, #unit-caption).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).layers = (() => {
  /**
   * `root`: the #layers element (a [data-layer] row with a canvas as wide as its units,
   * per hidden layer); `theme`: config.theme; `inspect()`: a unit is hovered now, after
   * none was (the caller may show the layers of another point).
   */
  function create({ rt, side, root, theme, fail, inspect }) {
    const { rgb, number } = window.AEDEMO_LIB.format;
    const rows = [...root.querySelectorAll('[data-layer]')];
    const unitView = root.querySelector('#unit-image').getContext('2d');
    const caption = root.querySelector('#unit-caption');
    const idle = caption.textContent;
    const ink = rgb(theme.ink);
    const card = rgb(theme.card);
    let shown = null;            // {u, layers: [Float32Array, ...]} or null
    let hovered = null;          // {layer, index}
    let units = null;            // rt.units(), once asked for

    const unitCount = (canvas) => Number(canvas.dataset.units);

    function drawRow(row, values) {
      const canvas = row.querySelector('canvas');
      const g = canvas.getContext('2d');
      const image = new ImageData(canvas.width, canvas.height);   // unit j at (j % width, j / width)
      const line = rgb(theme.line);
      let top = 0;
      let on = 0;
      for (const v of values || []) {
        top = Math.max(top, Math.abs(v));
        if (v > 0) on += 1;
      }
      for (let j = 0; j < canvas.width * canvas.height; j++) {
        if (j >= unitCount(canvas)) {   // the last line's cells past the layer's units
          image.data.set([...line, 255], 4 * j);
          continue;
        }
        const t = values && top > 0 ? Math.abs(values[j]) / top : 0;
        image.data.set([0, 1, 2].map((c) => Math.round(card[c] + t * (ink[c] - card[c]))).concat(255), 4 * j);
      }
      g.putImageData(image, 0, 0);
      row.querySelector('[data-on]').textContent = values ? `${on} on` : '';
      row.classList.toggle('stale', !values);
    }

    /** The layers of the point u (null: not known for the image shown). */
    function show(u, layers) {
      shown = layers ? { u, layers } : null;
      root.dataset.u1 = u ? String(u[0]) : '';
      root.dataset.u2 = u ? String(u[1]) : '';
      rows.forEach((row, k) => drawRow(row, layers && layers[k]));
      if (hovered) describe();
    }

    function describe() {
      const { layer, index } = hovered;
      const n = unitCount(rows[layer].querySelector('canvas'));
      const here = shown ? `, here ${number(shown.layers[layer][index], 2)}` : '';
      caption.textContent = `unit ${index + 1} of ${n}${here}`;
      root.dataset.unit = `${layer}:${index}`;
      if (!units) return;
      units.then((list) => {
        if (!hovered || hovered.layer !== layer || hovered.index !== index) return;
        const grey = list[layer] ? list[layer].image(index) : null;
        if (grey) {
          const image = new ImageData(side, side);
          for (let p = 0; p < side * side; p++) image.data.set([grey[p], grey[p], grey[p], 255], 4 * p);
          unitView.putImageData(image, 0, 0);
          caption.textContent = `unit ${index + 1} of ${n}${here}; alone it draws this`;
        } else {
          unitView.clearRect(0, 0, side, side);
        }
        root.dataset.unitShown = `${layer}:${index}`;
      }).catch(fail);
    }

    /** The unit under the pointer in row `layer`, or none. */
    function hover(layer, event) {
      const canvas = rows[layer].querySelector('canvas');
      const rect = canvas.getBoundingClientRect();
      const col = Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width);
      const line = Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height);
      if (col < 0 || col >= canvas.width || line < 0 || line >= canvas.height) return;
      const index = line * canvas.width + col;
      if (index >= unitCount(canvas)) return;
      if (hovered && hovered.layer === layer && hovered.index === index) return;
      if (!units) units = rt.units();
      if (!hovered) inspect();
      hovered = { layer, index };
      describe();
    }

    function leave() {
      hovered = null;
      caption.textContent = idle;
      unitView.clearRect(0, 0, side, side);
      delete root.dataset.unit;
      delete root.dataset.unitShown;
    }

    rows.forEach((row, k) => {
      const canvas = row.querySelector('canvas');   // the cells take the pointer; the rest of the preview lets it through
      canvas.addEventListener('pointermove', (event) => hover(k, event));
      canvas.addEventListener('pointerdown', (event) => hover(k, event));
      canvas.addEventListener('pointerleave', (event) => { if (event.pointerType !== 'touch') leave(); });
    });

    return {
      show,
      /** For tests: the point and activations shown ({u, layers: [[...], ...]}), or null. */
      shown: () => (shown ? { u: [...shown.u], layers: shown.layers.map((l) => Array.from(l)) } : null),
      /** For tests: the unit hovered ({layer, index}) or null. */
      hovered: () => (hovered ? { ...hovered } : null),
    };
  }

  return { create };
})();
