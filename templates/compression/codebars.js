/*
 * aedemo: the 30-D code as a bar chart. One bar per code unit, on one vertical scale
 * (the largest |value| any unit takes on the test images, from the build: config.codeLo,
 * config.codeHi), from a zero line; behind each bar a faint band from the unit's low to
 * its high value over the test images. Pressing or dragging on the chart sets the unit
 * under the pointer to the value at the pointer's height (within the scale) and reports
 * it through onEdit(unit, value); the caller decodes the edited code.
 *
 * Owns: the code shown, which units were edited, the unit being dragged. May touch: the
 * canvas it is handed (its size, pixels, pointer events, data-edited and aria-valuetext).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).codeBars = (() => {
  const HEIGHT = 160;   // CSS pixels
  const PAD = 6;        // CSS pixels above and below the bars

  /** `lo`, `hi`: each unit's range; `theme`: config.theme; `onEdit(unit, value)`. */
  function create({ canvas, lo, hi, theme, onEdit }) {
    const n = lo.length;
    const scale = Math.max(1e-6, ...lo.map(Math.abs), ...hi.map(Math.abs));
    let code = null;              // Float32Array(n) shown, or null
    const edited = new Set();
    let dragging = null;          // pointer id while a bar is dragged
    const g = canvas.getContext('2d');

    function size() {
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth || 480;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(HEIGHT * ratio);
      return { width, ratio };
    }

    const y = (v) => PAD + (HEIGHT - 2 * PAD) * (0.5 - 0.5 * Math.max(-1, Math.min(1, v / scale)));

    function draw() {
      const { width, ratio } = size();
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, HEIGHT);
      const w = width / n;
      for (let j = 0; j < n; j++) {
        g.fillStyle = theme.gridLine;
        g.fillRect(j * w + 1, y(hi[j]), w - 2, y(lo[j]) - y(hi[j]));
        if (!code) continue;
        g.fillStyle = edited.has(j) ? theme.mark : theme.ink;
        const top = Math.min(y(code[j]), y(0));
        g.fillRect(j * w + 2, top, w - 4, Math.max(1, Math.abs(y(code[j]) - y(0))));
      }
      g.strokeStyle = theme.axisLine;
      g.beginPath();
      g.moveTo(0, y(0) + 0.5);
      g.lineTo(width, y(0) + 0.5);
      g.stroke();
      canvas.dataset.edited = String(edited.size);
    }

    /** The unit and the value under a pointer event. */
    function at(event) {
      const rect = canvas.getBoundingClientRect();
      const unit = Math.max(0, Math.min(n - 1, Math.floor((event.clientX - rect.left) / rect.width * n)));
      const t = ((event.clientY - rect.top) / rect.height * HEIGHT - PAD) / (HEIGHT - 2 * PAD);
      return [unit, Math.fround(scale * Math.max(-1, Math.min(1, 1 - 2 * t)))];
    }

    function edit(event) {
      if (!code) return;
      const [unit, value] = at(event);
      code[unit] = value;
      edited.add(unit);
      canvas.setAttribute('aria-valuetext', `unit ${unit + 1} set to ${value.toFixed(2)}`);
      draw();
      onEdit(unit, value);
    }

    canvas.addEventListener('pointerdown', (event) => {
      if (!code || dragging !== null) return;
      event.preventDefault();
      dragging = event.pointerId;
      canvas.setPointerCapture(event.pointerId);
      edit(event);
    });
    canvas.addEventListener('pointermove', (event) => { if (event.pointerId === dragging) edit(event); });
    const up = (event) => { if (event.pointerId === dragging) dragging = null; };
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
    new ResizeObserver(draw).observe(canvas);

    /** Show `values` (a new input's code): the edits are forgotten. */
    function set(values) {
      code = values ? Float32Array.from(values) : null;
      edited.clear();
      draw();
    }

    return {
      set,
      code: () => (code ? Float32Array.from(code) : null),
      edited: () => [...edited].sort((a, b) => a - b),
      dragging: () => dragging !== null,
      scale,
    };
  }

  return { create };
})();
