/*
 * aedemo: the 30-D code as a bar chart. One bar per code unit, on one vertical scale
 * (the largest |value| any unit takes on the test images, from the build: config.codeLo,
 * config.codeHi), from a zero line; behind each bar a faint band from the unit's low to
 * its high value over the test images. Pressing or dragging on the chart sets the unit
 * under the pointer to the value at the pointer's height (within the scale) and reports
 * it through onEdit(unit, value); the caller decodes the edited code. The canvas is one
 * focusable slider (role="slider" in the page): Left and Right pick the unit (outlined
 * while focused), Up and Down change it by KEY_STEP of the scale (PageUp/PageDown: five
 * steps), Home and End set it to the scale's ends; aria-valuenow is the picked unit's value.
 *
 * Owns: the code shown, which units were edited, the unit being dragged, the unit picked
 * by the keys. May touch: the canvas it is handed (its size, pixels, pointer and key
 * events, data-edited, aria-valuenow/min/max and aria-valuetext).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).codeBars = (() => {
  const HEIGHT = 160;   // CSS pixels
  const PAD = 6;        // CSS pixels above and below the bars
  const KEY_STEP = 0.05; // of the scale, per Up or Down

  /** `lo`, `hi`: each unit's range; `theme`: config.theme; `onEdit(unit, value)`. */
  function create({ canvas, lo, hi, theme, onEdit }) {
    const n = lo.length;
    const scale = Math.max(1e-6, ...lo.map(Math.abs), ...hi.map(Math.abs));
    let code = null;              // Float32Array(n) shown, or null
    const edited = new Set();
    let dragging = null;          // pointer id while a bar is dragged
    let picked = 0;               // the unit the keys change
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
      if (document.activeElement === canvas) {
        g.strokeStyle = theme.mark;
        g.lineWidth = 2;
        g.strokeRect(picked * w + 1, 1, w - 2, HEIGHT - 2);
        g.lineWidth = 1;
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

    /** The slider's values: the picked unit's value on the scale. */
    function announce(text) {
      canvas.setAttribute('aria-valuemin', (-scale).toFixed(2));
      canvas.setAttribute('aria-valuemax', scale.toFixed(2));
      if (code) canvas.setAttribute('aria-valuenow', code[picked].toFixed(2));
      if (text) canvas.setAttribute('aria-valuetext', text);
    }

    function setUnit(unit, value) {
      code[unit] = Math.fround(Math.max(-scale, Math.min(scale, value)));
      edited.add(unit);
      picked = unit;
      announce(`unit ${unit + 1} of ${n} set to ${code[unit].toFixed(2)}`);
      draw();
      onEdit(unit, code[unit]);
    }

    function edit(event) {
      if (!code) return;
      const [unit, value] = at(event);
      setUnit(unit, value);
    }

    canvas.addEventListener('keydown', (event) => {
      if (!code) return;
      const step = KEY_STEP * scale;
      const change = { ArrowUp: step, ArrowDown: -step, PageUp: 5 * step, PageDown: -5 * step }[event.key];
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
        picked = Math.max(0, Math.min(n - 1, picked + (event.key === 'ArrowRight' ? 1 : -1)));
        announce(`unit ${picked + 1} of ${n}: ${code[picked].toFixed(2)}`);
        draw();
      } else if (change !== undefined) {
        setUnit(picked, code[picked] + change);
      } else if (event.key === 'Home' || event.key === 'End') {
        setUnit(picked, event.key === 'End' ? scale : -scale);
      } else {
        return;
      }
      event.preventDefault();
    });
    canvas.addEventListener('focus', draw);
    canvas.addEventListener('blur', draw);

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
      announce(null);
      draw();
    }

    return {
      set,
      code: () => (code ? Float32Array.from(code) : null),
      edited: () => [...edited].sort((a, b) => a - b),
      dragging: () => dragging !== null,
      picked: () => picked,
      scale,
    };
  }

  return { create };
})();
