/*
 * aedemo: the drawing pad. A square canvas of a fixed SIZE (the same raster on every
 * screen, so a stroke always gives the same image) on which the pointer or a finger
 * draws with a round pen of MNIST-like width. Its ink is the canvas's alpha channel.
 *
 * A real test image (or any 28×28 image, such as a shifted one) can be loaded into the
 * pad: it is drawn as ink, and until the next stroke the pad's image is those 784
 * pixels exactly, not a redrawn copy. Stroke paths (letters.js) are drawn with the
 * same pen as the pointer's; rasterise() draws them off screen the same way.
 *
 * Owns: the pad canvas's pixels, its stroke and its source. May touch: only that
 * canvas (its pointer events, its data-empty and aria-disabled attributes), and the
 * off-screen canvases rasterise() makes. The ink colour comes from the caller's theme.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).pad = (() => {
  const SIZE = 224;            // raster side in pad pixels: 8 per MNIST pixel
  const PEN = 17;              // pen width in pad pixels: ~2.5 MNIST pixels on a full-height digit

  /** A SIZE×SIZE canvas's 2-D context with the pad's pen in `ink`. */
  function penOn(canvas, ink) {
    canvas.width = SIZE;
    canvas.height = SIZE;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.lineWidth = PEN;
    g.strokeStyle = ink;
    g.fillStyle = ink;
    return g;
  }

  /** The pen put down at (x, y): a round dot. */
  function dot(g, x, y) {
    g.beginPath();
    g.arc(x, y, PEN / 2, 0, 2 * Math.PI);
    g.fill();
  }

  /** The pen moved from `from` through `pts` ([[x, y], ...]): one stroked polyline. */
  function segment(g, from, pts) {
    g.beginPath();
    g.moveTo(from[0], from[1]);
    for (const [x, y] of pts) g.lineTo(x, y);
    g.stroke();
  }

  /** Strokes [[[x, y], ...], ...] as the pointer draws them: pen down, then along. */
  function drawPaths(g, strokes) {
    for (const stroke of strokes) {
      dot(g, ...stroke[0]);
      if (stroke.length > 1) segment(g, stroke[0], stroke.slice(1));
    }
  }

  /** The ink (SIZE*SIZE alpha bytes, row by row) of a context. */
  function alphaOf(g) {
    const rgba = g.getImageData(0, 0, SIZE, SIZE).data;
    const alpha = new Uint8Array(SIZE * SIZE);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
    return alpha;
  }

  /** The ink the pad would hold after drawing `strokes` on it when empty (off screen). */
  function rasterise(strokes, theme) {
    const g = penOn(document.createElement('canvas'), theme.ink);
    drawPaths(g, strokes);
    return alphaOf(g);
  }

  /**
   * Make `canvas` a drawing pad inked in `theme.ink`. `onChange()` is called after every
   * change (stroke segment, clear, loaded image). Returns {size, clear, loadDigit,
   * loadImage, drawStrokes, raster, source, enable}.
   */
  function create(canvas, theme, onChange) {
    const INK = theme.ink;
    const g = penOn(canvas, INK);
    let stroke = null;         // {id, x, y}: the pointer drawing and its last point
    let source = null;         // null (empty), {kind: 'drawing', name?} or {kind: 'image', pixels, ...}
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
      dot(g, x, y);
      source = { kind: 'drawing' };
      changed();
    }

    function onMove(event) {
      if (!stroke || event.pointerId !== stroke.id) return;
      const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
      const pts = (events.length ? events : [event]).map(local);
      segment(g, [stroke.x, stroke.y], pts);
      [stroke.x, stroke.y] = pts[pts.length - 1];
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

    /** Show an image (`grey`: side*side bytes) as ink; the pad's image is `pixels` exactly. */
    function loadImage(grey, pixels, about) {
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
      source = { ...about, kind: 'image', pixels };
      changed();
    }

    /** Real test image `index` as ink. */
    const loadDigit = (index, grey, pixels) => loadImage(grey, pixels, { digit: index });

    /** The pad emptied, then `strokes` drawn with the pen: a drawing called `name`. */
    function drawStrokes(strokes, name) {
      g.clearRect(0, 0, SIZE, SIZE);
      drawPaths(g, strokes);
      stroke = null;
      source = { kind: 'drawing', name };
      changed();
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
      loadImage,
      drawStrokes,
      raster: () => alphaOf(g),
      source: () => source,
      enable: () => { enabled = true; canvas.removeAttribute('aria-disabled'); },
    };
  }

  return { create, rasterise, SIZE };
})();
