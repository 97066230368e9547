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
 * The probe kit (probe.js) changes the ink through setRaster() and switches the pen
 * to an eraser (setTool): an erased or changed drawing keeps, in `from`, the source it
 * was made from. onChange(reason) says what changed: 'draw' (the pen), 'erase', 'clear',
 * 'load' (an image), 'strokes' (drawStrokes) or 'probe' (setRaster).
 *
 * Owns: the pad canvas's pixels, its stroke, its source and its tool. May touch: only
 * that canvas (its pointer events, its data-empty, data-tool and aria-disabled
 * attributes), and the off-screen canvases rasterise() makes. The ink colour comes from
 * the caller's theme.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).pad = (() => {
  const SIZE = 224;            // raster side in pad pixels: 8 per MNIST pixel
  const PEN = 17;              // pen width in pad pixels: ~2.5 MNIST pixels on a full-height digit
  const ERASER = 34;           // the eraser's width in pad pixels

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

  /** The pen (or the eraser) put down at (x, y): a round dot as wide as its line. */
  function dot(g, x, y) {
    g.beginPath();
    g.arc(x, y, g.lineWidth / 2, 0, 2 * Math.PI);
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
   * Make `canvas` a drawing pad inked in `theme.ink`. `onChange(reason)` is called after
   * every change (stroke segment, clear, loaded image, new raster). Returns {size, clear,
   * loadDigit, loadImage, drawStrokes, setRaster, setTool, tool, raster, source, enable}.
   */
  function create(canvas, theme, onChange) {
    const INK = theme.ink;
    const g = penOn(canvas, INK);
    const inkRgb = [1, 3, 5].map((i) => parseInt(INK.slice(i, i + 2), 16));
    let stroke = null;         // {id, x, y}: the pointer drawing and its last point
    let source = null;         // null (empty), {kind: 'drawing', name?, from?} or {kind: 'image', pixels, ...}
    let tool = 'pen';          // or 'eraser'
    let enabled = false;

    function local(event) {
      const rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) * SIZE / rect.width, (event.clientY - rect.top) * SIZE / rect.height];
    }

    function changed(reason) {
      canvas.dataset.empty = String(source === null);
      onChange(reason);
    }

    /** What a changed drawing was made from: the first source of a chain of changes. */
    const origin = () => (source && (source.from || source));

    function onDown(event) {
      if (!enabled || stroke || (event.pointerType === 'mouse' && event.button !== 0)) return;
      if (tool === 'eraser' && !source) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = local(event);
      stroke = { id: event.pointerId, x, y };
      dot(g, x, y);
      source = tool === 'eraser' ? { kind: 'drawing', from: origin() } : { kind: 'drawing' };
      changed(tool === 'eraser' ? 'erase' : 'draw');
    }

    function onMove(event) {
      if (!stroke || event.pointerId !== stroke.id) return;
      const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
      const pts = (events.length ? events : [event]).map(local);
      segment(g, [stroke.x, stroke.y], pts);
      [stroke.x, stroke.y] = pts[pts.length - 1];
      changed(tool === 'eraser' ? 'erase' : 'draw');
    }

    function onUp(event) {
      if (stroke && event.pointerId === stroke.id) stroke = null;
    }

    function clear() {
      g.clearRect(0, 0, SIZE, SIZE);
      stroke = null;
      source = null;
      changed('clear');
    }

    /** Show an image (`grey`: side*side bytes) as ink; the pad's image is `pixels` exactly. */
    function loadImage(grey, pixels, about) {
      const side = Math.round(Math.sqrt(grey.length));
      const zoom = SIZE / side;
      const alpha = new Uint8Array(SIZE * SIZE);
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) alpha[y * SIZE + x] = grey[Math.floor(y / zoom) * side + Math.floor(x / zoom)];
      }
      putInk(alpha);
      source = { ...about, kind: 'image', pixels };
      changed('load');
    }

    /** The ink set to `alpha` (SIZE*SIZE bytes) exactly; the stroke under way ends. */
    function putInk(alpha) {
      const image = g.createImageData(SIZE, SIZE);
      for (let i = 0; i < alpha.length; i++) image.data.set([inkRgb[0], inkRgb[1], inkRgb[2], alpha[i]], 4 * i);
      g.putImageData(image, 0, 0);
      stroke = null;
    }

    /** The probe's change: the ink replaced by `alpha`, a drawing made from what the pad held. */
    function setRaster(alpha) {
      if (!source) return;
      const from = origin();
      putInk(alpha);
      source = { kind: 'drawing', from };
      changed('probe');
    }

    /** The pointer draws with 'pen' or erases with 'eraser'. */
    function setTool(name) {
      tool = name === 'eraser' ? 'eraser' : 'pen';
      canvas.dataset.tool = tool;
      g.globalCompositeOperation = tool === 'eraser' ? 'destination-out' : 'source-over';
      g.lineWidth = tool === 'eraser' ? ERASER : PEN;
    }

    /** Real test image `index` as ink. */
    const loadDigit = (index, grey, pixels) => loadImage(grey, pixels, { digit: index });

    /** The pad emptied, then `strokes` drawn with the pen: a drawing called `name`. */
    function drawStrokes(strokes, name) {
      g.clearRect(0, 0, SIZE, SIZE);
      const was = tool;
      setTool('pen');
      drawPaths(g, strokes);
      setTool(was);
      stroke = null;
      source = { kind: 'drawing', name };
      changed('strokes');
    }

    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onUp);
    canvas.dataset.empty = 'true';
    canvas.dataset.tool = tool;

    return {
      size: SIZE,
      clear,
      loadDigit,
      loadImage,
      drawStrokes,
      setRaster,
      setTool,
      tool: () => tool,
      raster: () => alphaOf(g),
      source: () => source,
      enable: () => { enabled = true; canvas.removeAttribute('aria-disabled'); },
    };
  }

  return { create, rasterise, SIZE };
})();
