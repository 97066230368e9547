/*
 * aedemo: the drawing pad. A square canvas of a fixed SIZE (the same raster on every
 * screen, so a stroke always gives the same image) on which the pointer or a finger
 * draws with a round pen of MNIST-like width. Its ink is the canvas's alpha channel.
 *
 * A real digit can be loaded into the pad: it is drawn as ink, and until the next
 * stroke the pad's image is that digit's own 784 pixels, not a redrawn copy.
 *
 * Owns: the pad canvas's pixels, its stroke and its source. May touch: only that
 * canvas (its pointer events, its data-empty and aria-disabled attributes). The ink
 * colour comes from the caller's theme.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).pad = (() => {
  const SIZE = 224;            // raster side in pad pixels: 8 per MNIST pixel
  const PEN = 17;              // pen width in pad pixels: ~2.5 MNIST pixels on a full-height digit

  /**
   * Make `canvas` a drawing pad inked in `theme.ink`. `onChange()` is called after every
   * change (stroke segment, clear, loaded digit). Returns {size, clear, loadDigit,
   * raster, source, enable}.
   */
  function create(canvas, theme, onChange) {
    const INK = theme.ink;
    canvas.width = SIZE;
    canvas.height = SIZE;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.lineWidth = PEN;
    g.strokeStyle = INK;
    g.fillStyle = INK;
    let stroke = null;         // {id, x, y}: the pointer drawing and its last point
    let source = null;         // null (empty), {kind: 'drawing'} or {kind: 'digit', index, pixels}
    let enabled = false;

    function local(event) {
      const rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) * SIZE / rect.width, (event.clientY - rect.top) * SIZE / rect.height];
    }

    function changed() {
      canvas.dataset.empty = String(source === null);
      onChange();
    }

    function onDown(event) {
      if (!enabled || stroke || (event.pointerType === 'mouse' && event.button !== 0)) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = local(event);
      stroke = { id: event.pointerId, x, y };
      g.beginPath();
      g.arc(x, y, PEN / 2, 0, 2 * Math.PI);
      g.fill();
      source = { kind: 'drawing' };
      changed();
    }

    function onMove(event) {
      if (!stroke || event.pointerId !== stroke.id) return;
      const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
      g.beginPath();
      g.moveTo(stroke.x, stroke.y);
      for (const e of events.length ? events : [event]) {
        [stroke.x, stroke.y] = local(e);
        g.lineTo(stroke.x, stroke.y);
      }
      g.stroke();
      changed();
    }

    function onUp(event) {
      if (stroke && event.pointerId === stroke.id) stroke = null;
    }

    function clear() {
      g.clearRect(0, 0, SIZE, SIZE);
      stroke = null;
      source = null;
      changed();
    }

    /** Show a real digit (`grey`: side*side bytes) as ink; its image is `pixels` exactly. */
    function loadDigit(index, grey, pixels) {
      const side = Math.round(Math.sqrt(grey.length));
      const zoom = SIZE / side;
      const image = g.createImageData(SIZE, SIZE);
      const ink = [parseInt(INK.slice(1, 3), 16), parseInt(INK.slice(3, 5), 16), parseInt(INK.slice(5, 7), 16)];
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const v = grey[Math.floor(y / zoom) * side + Math.floor(x / zoom)];
          image.data.set([ink[0], ink[1], ink[2], v], 4 * (y * SIZE + x));
        }
      }
      g.putImageData(image, 0, 0);
      stroke = null;
      source = { kind: 'digit', index, pixels };
      changed();
    }

    /** The ink: SIZE*SIZE alpha bytes, row by row. */
    function raster() {
      const rgba = g.getImageData(0, 0, SIZE, SIZE).data;
      const alpha = new Uint8Array(SIZE * SIZE);
      for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
      return alpha;
    }

    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onUp);
    canvas.dataset.empty = 'true';

    return {
      size: SIZE,
      clear,
      loadDigit,
      raster,
      source: () => source,
      enable: () => { enabled = true; canvas.removeAttribute('aria-disabled'); },
    };
  }

  return { create };
})();
