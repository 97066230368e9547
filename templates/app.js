/*
 * aedemo page: the scatter of the 2-D code, the decoder under the pointer, the drawing
 * pad and the encoder, and the tools that explore the plane (zoom and pan, a grid of
 * decoded tiles, the drift field, encode→decode iterations, strips, links).
 *
 * The libraries loaded before this file (runtime.js, mnist.js, nearest.js, share.js,
 * pad.js, marks.js) put themselves into window.AEDEMO_LIB.
 *
 * Public API, which the page itself uses:
 *   aedemo.ready                 Promise that settles when the decoder can run
 *   aedemo.loaded                Promise that settles when the encoder and the real digits are there too
 *   aedemo.decode(u1, u2)        Promise of a Float32Array with side*side grey levels
 *   aedemo.decodeBatch(u)        u: 2n numbers [u1, u2, ...] → Promise of a Float32Array of n*side*side
 *   aedemo.encode(pixels)        side*side values in [0, 1] → Promise of [u1, u2]
 *   aedemo.encodeBatch(images)   n*side*side values → Promise of a Float32Array of 2n
 *   aedemo.iterate(u1, u2)       Promise of the encode→decode path [[u1, u2], ...]
 *   aedemo.preprocess(ink, w, h) an ink raster (bytes) → the MNIST-like Float32Array image, or null
 *   aedemo.nearest(u1, u2, k)    the k real digits whose codes lie nearest: [{index, label, u1, u2, d2}]
 *   aedemo.link()                the link to the current cursor and stamps
 *   aedemo.plane, aedemo.pad     views of the page's state (for tests and tools)
 */
'use strict';

(() => {
  const lib = window.AEDEMO_LIB;
  const { marks } = lib;
  const config = JSON.parse(document.getElementById('aedemo-config').textContent);
  const SIDE = config.side;
  const PIXELS = SIDE * SIDE;
  const STAMP_ZOOM = 2;          // a stamp is SIDE*2 CSS pixels wide
  const TILE_ZOOM = 2;           // so is a grid tile
  const DRIFT_STEP_PX = 44;      // spacing of the drift arrows in CSS pixels
  const STEP_PX = 4;             // keyboard step in CSS pixels (Shift: ten times)
  const TAP_SLOP_PX = 8;         // a press that moves less than this is a click
  const DOUBLE_TAP_MS = 400;     // two clicks closer than this reset the view
  const SETTLE_MS = 200;         // grid and drift are recomputed when the view rests this long
  const ZOOM_LIMITS = [0.2, 2000];   // relative to the fitted view
  const STRIP_N = 10;
  const NEAREST_K = 8;
  const MAX_PATHS = 12;

  const timings = {};
  const mark = (name) => {
    if (!(name in timings)) timings[name] = Math.round(performance.now());
  };
  const rt = lib.runtime.start(config, mark);

  // ---------------------------------------------------------------- page elements

  const $ = (id) => document.getElementById(id);
  const plane = $('plane');
  const canvas = $('plane-canvas');
  const ctx = canvas.getContext('2d', { alpha: false });
  const base = document.createElement('canvas');   // background, tiles, dots, labels: redrawn when the view changes
  const dots = document.createElement('canvas');
  const preview = $('preview');
  const digit = $('digit').getContext('2d');
  const nearestBox = $('nearest');
  const nearestCanvases = [...nearestBox.querySelectorAll('canvas')];
  const out1 = $('u1');
  const out2 = $('u2');
  const hint = $('hint');
  const status = $('status');
  const statusText = $('status-text');
  const toast = $('toast');
  const buttons = {
    grid: $('grid-toggle'), drift: $('drift-toggle'), iterate: $('iterate'),
    link: $('copy-link'), png: $('download'), clear: $('clear'),
    padClear: $('pad-clear'), padRandom: $('pad-random'), stripClose: $('strip-close'),
    viewReset: $('view-reset'),
  };
  const chips = [...document.querySelectorAll('.chip')];
  const stripBox = $('strip');
  const stripCanvases = [...stripBox.querySelectorAll('canvas')];
  const stripCaption = $('strip-caption');
  const padCanvas = $('pad');
  const padInput = $('pad-input').getContext('2d');
  const padOutput = $('pad-output').getContext('2d');
  const padNote = $('pad-note');

  // ---------------------------------------------------------------- state

  const palette = config.palette.map(parseHex);
  const hidden = config.classes.map(() => false);
  const view = { w: 0, h: 0, dpr: 1, scale: 1, ox: 0, oy: 0, ok: false, fit: null, version: 0 };
  const stamps = [];           // {u1, u2, image}: plane coordinates and a SIDE×SIDE canvas
  const paths = [];            // encode→decode paths: [[u1, u2], ...]
  let points = null;
  let digits = null;           // the real digits and their search index
  let cursor = null;           // keyboard cursor in plane coordinates
  let showCursor = false;
  let target = null;           // newest point waiting to be decoded
  let inFlight = false;
  let shown = null;            // {u, values}: what the preview shows
  let drawnPreview = null;
  let nearestShown = '';
  let selected = null;         // a stamp object, or 'marker'
  let marker = null;           // {u, input, recon}: the pad's drawing on the plane
  let gesture = null;          // the pointer gesture under way
  let lastTap = null;
  const touches = new Map();   // touch pointers down: id → [x, y]
  let dirty = { layout: true, dots: true, base: true, plane: true };
  let frameRequested = false;
  let pendingSize = null;
  let dotsImage = null;
  const overlays = {
    grid: { on: false, data: null, busy: false },
    drift: { on: false, data: null, busy: false },
  };
  let settleTimer = 0;
  const strip = { want: null, busy: false, shown: null, drag: null };
  const padState = { dirty: false, busy: false, input: null, raster: null, version: 0, done: 0 };
  let iterating = false;
  let decoderReady = false;
  let encoderReady = false;

  function parseHex(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  // ---------------------------------------------------------------- geometry and view

  function toScreen(u1, u2) {
    return [view.ox + view.scale * u1, view.oy - view.scale * u2];
  }

  function toPlane(x, y) {
    return [(x - view.ox) / view.scale, (view.oy - y) / view.scale];
  }

  const f32 = ([a, b]) => [Math.fround(a), Math.fround(b)];

  /** The view that fits the points with a margin, beside the preview if that costs little. */
  function fittedView() {
    const { w, h } = view;
    const pad = { left: 46, right: 18, top: 18, bottom: 34 };
    const lo = points ? points.lo : [-1, -1];
    const hi = points ? points.hi : [1, 1];
    const span = [Math.max(hi[0] - lo[0], 1e-6), Math.max(hi[1] - lo[1], 1e-6)];
    const mid = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
    const fit = (x0, y0, x1, y1) => {
      const scale = Math.min((x1 - x0) / span[0], (y1 - y0) / span[1]) / 1.08;
      return { scale, ox: (x0 + x1) / 2 - scale * mid[0], oy: (y0 + y1) / 2 + scale * mid[1] };
    };
    const full = fit(pad.left, pad.top, w - pad.right, h - pad.bottom);
    const right = preview.offsetLeft + preview.offsetWidth + 8;
    const below = preview.offsetTop + preview.offsetHeight + 8;
    const beside = fit(Math.max(pad.left, right), pad.top, w - pad.right, h - pad.bottom);
    const under = fit(pad.left, Math.max(pad.top, below), w - pad.right, h - pad.bottom);
    const clear = beside.scale >= under.scale ? beside : under;
    return clear.scale >= 0.8 * full.scale ? clear : full;
  }

  const isFitted = () => view.fit && view.scale === view.fit.scale && view.ox === view.fit.ox && view.oy === view.fit.oy;

  function resize() {
    const fitted = !view.fit || isFitted();
    const middle = view.fit ? toPlane(view.w / 2, view.h / 2) : null;
    const zoom = view.fit ? view.scale / view.fit.scale : 1;
    view.w = canvas.clientWidth;
    view.h = canvas.clientHeight;
    // The exact device-pixel size when the browser reports one that fits devicePixelRatio.
    let width = Math.round(view.w * devicePixelRatio);
    let height = Math.round(view.h * devicePixelRatio);
    if (pendingSize && Math.abs(pendingSize[0] - width) <= 1 && Math.abs(pendingSize[1] - height) <= 1) {
      [width, height] = pendingSize;
    }
    canvas.width = base.width = dots.width = Math.max(1, width);
    canvas.height = base.height = dots.height = Math.max(1, height);
    view.dpr = view.w > 0 ? canvas.width / view.w : 1;
    view.fit = fittedView();
    if (fitted || !middle) {
      Object.assign(view, view.fit);
    } else {             // keep the zoom and the point in the middle
      view.scale = view.fit.scale * zoom;
      view.ox = view.w / 2 - view.scale * middle[0];
      view.oy = view.h / 2 + view.scale * middle[1];
    }
    view.ok = view.scale > 0 && points !== null;
    viewChanged();
  }

  /** Every change of the view: redraw the dots, and recompute the overlays once it rests. */
  function viewChanged() {
    view.version += 1;
    plane.dataset.zoom = view.fit ? String(view.scale / view.fit.scale) : '1';
    buttons.viewReset.hidden = !view.fit || isFitted();
    invalidate('dots');
    clearTimeout(settleTimer);
    settleTimer = setTimeout(refreshOverlays, SETTLE_MS);
  }

  function setView(scale, ox, oy) {
    view.scale = scale;
    view.ox = ox;
    view.oy = oy;
    viewChanged();
  }

  function clampScale(scale) {
    const fit = view.fit.scale;
    return Math.min(fit * ZOOM_LIMITS[1], Math.max(fit * ZOOM_LIMITS[0], scale));
  }

  /** Zoom by `factor` keeping the plane point under (x, y) (CSS pixels) where it is. */
  function zoomAt(x, y, factor) {
    if (!view.ok) return;
    const [u1, u2] = toPlane(x, y);
    const scale = clampScale(view.scale * factor);
    setView(scale, x - scale * u1, y + scale * u2);
  }

  function panBy(dx, dy) {
    setView(view.scale, view.ox + dx, view.oy + dy);
  }

  function resetView() {
    if (!view.fit || isFitted()) return;
    setView(view.fit.scale, view.fit.ox, view.fit.oy);
  }

  // ---------------------------------------------------------------- base layer

  function niceStep(raw) {
    const p = 10 ** Math.floor(Math.log10(raw));
    const f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  function formatNumber(x, decimals) {
    const text = Math.abs(x).toFixed(decimals);
    return (x < 0 && Number(text) !== 0 ? '\u2212' : '') + text;
  }

  function gridLines() {
    const step = niceStep(84 / view.scale);
    const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    const [a1, a2] = toPlane(0, view.h);
    const [b1, b2] = toPlane(view.w, 0);
    const range = (lo, hi) => {
      const out = [];
      for (let k = Math.ceil(lo / step); k * step <= hi; k++) out.push(k * step);
      return out;
    };
    return { xs: range(a1, b1), ys: range(a2, b2), decimals };
  }

  /** All visible dots, written straight into pixels: exact colours, fast for 70,000 points. */
  function drawDots() {
    const W = dots.width;
    const H = dots.height;
    if (!dotsImage || dotsImage.width !== W || dotsImage.height !== H) dotsImage = new ImageData(W, H);
    const px = new Uint32Array(dotsImage.data.buffer);
    px.fill(0);
    if (view.ok) {
      const colours = palette.map(([r, g, b]) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0);
      const radius = (points.n > 30000 ? 1.25 : points.n > 10000 ? 1.45 : 1.7) * view.dpr;
      const reach = Math.ceil(radius);
      const disc = [];
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          if (dx * dx + dy * dy <= radius * radius + 1e-9) disc.push(dy * W + dx, dx, dy);
        }
      }
      const { u, label, n } = points;
      const { scale, ox, oy, dpr } = view;
      for (let i = 0; i < n; i++) {
        const k = label[i];
        if (hidden[k]) continue;
        const cx = Math.round((ox + scale * u[2 * i]) * dpr);
        const cy = Math.round((oy - scale * u[2 * i + 1]) * dpr);
        if (cx < -reach || cy < -reach || cx >= W + reach || cy >= H + reach) continue;
        const colour = colours[k];
        const inside = cx >= reach && cy >= reach && cx < W - reach && cy < H - reach;
        for (let j = 0; j < disc.length; j += 3) {
          if (inside) {
            px[cy * W + cx + disc[j]] = colour;
          } else {
            const x = cx + disc[j + 1];
            const y = cy + disc[j + 2];
            if (x >= 0 && y >= 0 && x < W && y < H) px[y * W + x] = colour;
          }
        }
      }
    }
    dots.getContext('2d').putImageData(dotsImage, 0, 0);
  }

  /** White, grid lines, the decoded tiles (when on), the dots and the axis labels. */
  function composeBase() {
    const g = base.getContext('2d', { alpha: false });
    const { w, h, dpr } = view;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, w, h);
    if (!view.ok) return;
    const { xs, ys, decimals } = gridLines();
    const tiles = overlays.grid.on ? overlays.grid.data : null;
    g.lineWidth = 1 / dpr;
    for (const [values, vertical] of [[xs, true], [ys, false]]) {
      for (const v of values) {
        const [x, y] = toScreen(v, v);
        const at = (Math.round((vertical ? x : y) * dpr) + 0.5) / dpr;
        g.strokeStyle = Math.abs(v) < 1e-9 ? '#c3cad8' : '#eef0f5';
        g.beginPath();
        if (vertical) { g.moveTo(at, 0); g.lineTo(at, h); } else { g.moveTo(0, at); g.lineTo(w, at); }
        g.stroke();
      }
    }
    if (tiles) drawTiles(g, tiles);
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.globalAlpha = tiles ? 0.6 : 1;
    g.drawImage(dots, 0, 0);
    g.globalAlpha = 1;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawAxisLabels(g, xs, ys, decimals, Boolean(tiles));
  }

  function drawAxisLabels(g, xs, ys, decimals, onTiles) {
    const { w, h } = view;
    const text = (s, x, y) => {
      if (onTiles) g.strokeText(s, x, y);
      g.fillText(s, x, y);
    };
    g.lineWidth = 3;
    g.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    g.lineJoin = 'round';
    g.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.fillStyle = onTiles ? '#1d2433' : '#6b7386';
    g.textBaseline = 'alphabetic';
    g.textAlign = 'center';
    for (const v of xs) {
      const [x] = toScreen(v, 0);
      if (x > 40 && x < w - 34) text(formatNumber(v, decimals), x, h - 10);
    }
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const v of ys) {
      const [, y] = toScreen(0, v);
      if (y > 12 && y < h - 30) text(formatNumber(v, decimals), 8, y);
    }
    g.font = 'italic 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.fillStyle = '#3d4558';
    g.textAlign = 'right';
    g.textBaseline = 'alphabetic';
    text('u\u2081', w - 10, h - 10);
    g.textAlign = 'left';
    text('u\u2082', 8, h - 26);
  }

  // ---------------------------------------------------------------- grid of decoded tiles

  const snapshot = () => ({ scale: view.scale, ox: view.ox, oy: view.oy, dpr: view.dpr, version: view.version });

  /** Tiles covering the canvas edge to edge, centred, whole device pixels: their centres. */
  function tileLayout() {
    const zoom = Math.max(1, Math.round(TILE_ZOOM * view.dpr));
    const size = SIDE * zoom;
    const cols = Math.ceil(canvas.width / size);
    const rows = Math.ceil(canvas.height / size);
    const x0 = Math.floor((canvas.width - cols * size) / 2);
    const y0 = Math.floor((canvas.height - rows * size) / 2);
    const u = new Float32Array(2 * cols * rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const [u1, u2] = toPlane((x0 + (c + 0.5) * size) / view.dpr, (y0 + (r + 0.5) * size) / view.dpr);
        u[2 * (r * cols + c)] = u1;
        u[2 * (r * cols + c) + 1] = u2;
      }
    }
    return { zoom, size, cols, rows, x0, y0, u, view: snapshot() };
  }

  async function computeTiles() {
    const layout = tileLayout();
    const values = await rt.decodeBatch(layout.u);
    const { cols, rows } = layout;
    const image = new ImageData(cols * SIDE, rows * SIDE);
    for (let t = 0; t < cols * rows; t++) {
      const left = (t % cols) * SIDE;
      const top = Math.floor(t / cols) * SIDE;
      for (let i = 0; i < PIXELS; i++) {
        const grey = Math.round(255 * Math.min(1, Math.max(0, values[t * PIXELS + i])));
        const at = 4 * ((top + Math.floor(i / SIDE)) * cols * SIDE + left + (i % SIDE));
        image.data[at] = image.data[at + 1] = image.data[at + 2] = grey;
        image.data[at + 3] = 255;
      }
    }
    const sheet = document.createElement('canvas');
    sheet.width = cols * SIDE;
    sheet.height = rows * SIDE;
    sheet.getContext('2d').putImageData(image, 0, 0);
    return { ...layout, sheet };
  }

  /** The affine map from device pixels of an older view to those of the current one. */
  function fromSnapshot(s) {
    const a = (view.scale * view.dpr) / (s.scale * s.dpr);
    return [a, (view.ox - (view.scale * s.ox) / s.scale) * view.dpr, (view.oy - (view.scale * s.oy) / s.scale) * view.dpr];
  }

  function drawTiles(g, tiles) {
    g.save();
    if (tiles.view.version === view.version) {
      g.setTransform(1, 0, 0, 1, 0, 0);
    } else {              // the view moved since: follow it exactly until the tiles are recomputed
      const [a, bx, by] = fromSnapshot(tiles.view);
      g.setTransform(a, 0, 0, a, bx, by);
    }
    g.imageSmoothingEnabled = false;
    g.drawImage(tiles.sheet, tiles.x0, tiles.y0, tiles.cols * tiles.size, tiles.rows * tiles.size);
    g.restore();
  }

  // ---------------------------------------------------------------- drift field

  async function computeDrift() {
    const step = DRIFT_STEP_PX;
    const cols = Math.max(1, Math.floor(view.w / step));
    const rows = Math.max(1, Math.floor(view.h / step));
    const left = (view.w - (cols - 1) * step) / 2;
    const top = (view.h - (rows - 1) * step) / 2;
    const from = new Float32Array(2 * cols * rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const [u1, u2] = toPlane(left + c * step, top + r * step);
        from[2 * (r * cols + c)] = u1;
        from[2 * (r * cols + c) + 1] = u2;
      }
    }
    const view0 = snapshot();
    const to = await rt.roundTrip(from);
    return { from, to, step, view: view0 };
  }

  function drawDrift(g, drift) {
    const ends = new Float64Array(2 * drift.from.length);
    for (let i = 0; i < drift.from.length; i += 2) {
      ends.set(toScreen(drift.from[i], drift.from[i + 1]), 2 * i);
      ends.set(toScreen(drift.to[i], drift.to[i + 1]), 2 * i + 2);
    }
    marks.driftArrows(g, ends, 0.85 * drift.step * (view.scale / drift.view.scale));
  }

  // ---------------------------------------------------------------- overlays

  function refreshOverlays() {
    for (const [name, compute] of [['grid', computeTiles], ['drift', computeDrift]]) {
      const o = overlays[name];
      if (!o.on || o.busy || !view.ok || (o.data && o.data.view.version === view.version)) continue;
      if (name === 'drift' && !encoderReady) continue;
      o.busy = true;
      plane.dataset[`${name}Busy`] = 'true';
      compute().then((data) => {
        o.data = data;
        invalidate(name === 'grid' ? 'base' : 'plane');
      }).catch(fail).finally(() => {
        o.busy = false;
        plane.dataset[`${name}Busy`] = 'false';
        if (o.on && o.data && o.data.view.version !== view.version) {
          clearTimeout(settleTimer);
          settleTimer = setTimeout(refreshOverlays, SETTLE_MS);
        }
      });
    }
  }

  function toggleOverlay(name) {
    const o = overlays[name];
    o.on = !o.on;
    buttons[name].setAttribute('aria-pressed', String(o.on));
    if (!o.on) o.data = null;
    invalidate(name === 'grid' ? 'base' : 'plane');
    refreshOverlays();
  }

  // ---------------------------------------------------------------- the plane's marks

  /** Where a stamp goes, in device pixels: whole pixels, so it stays crisp. */
  function stampRect(stamp) {
    const zoom = Math.max(1, Math.round(STAMP_ZOOM * view.dpr));
    const size = SIDE * zoom;
    const [x, y] = toScreen(stamp.u1, stamp.u2);
    return {
      x: Math.round(x * view.dpr - size / 2),
      y: Math.round(y * view.dpr - size / 2),
      size,
    };
  }

  /** Draw the plane into `g` (device pixels); `live` adds what only the screen shows. */
  function drawScene(g, live) {
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.drawImage(base, 0, 0);
    const d = view.dpr;
    if (overlays.drift.on && overlays.drift.data) {
      g.setTransform(d, 0, 0, d, 0, 0);
      drawDrift(g, overlays.drift.data);
    }
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.imageSmoothingEnabled = false;
    g.lineWidth = 1;
    for (const stamp of stamps) {
      const { x, y, size } = stampRect(stamp);
      if (stamp === selected) {
        g.fillStyle = marks.ACCENT;
        g.fillRect(x - 4, y - 4, size + 8, size + 8);
      }
      g.strokeStyle = 'rgba(29, 36, 51, 0.55)';
      g.strokeRect(x - 1.5, y - 1.5, size + 3, size + 3);
      g.strokeStyle = '#ffffff';
      g.strokeRect(x - 0.5, y - 0.5, size + 1, size + 1);
      g.drawImage(stamp.image, x, y, size, size);
    }
    g.setTransform(d, 0, 0, d, 0, 0);
    const screen = ([a, b]) => toScreen(a, b);
    for (const path of paths) marks.path(g, path.map(screen));
    if (marker) marks.marker(g, ...screen(marker.u), selected === 'marker');
    if (live && strip.drag) {
      const u = stripPoints(strip.drag.a, strip.drag.b);
      const dots = Array.from({ length: STRIP_N }, (_, i) => toScreen(u[2 * i], u[2 * i + 1]));
      marks.stripLine(g, screen(strip.drag.a), screen(strip.drag.b), dots);
    }
    if (live && showCursor && cursor && document.activeElement === canvas) marks.cursor(g, ...screen(cursor));
    g.setTransform(1, 0, 0, 1, 0, 0);
  }

  function drawPlane() {
    drawScene(ctx, true);
  }

  function stripPoints(a, b) {
    const u = new Float32Array(2 * STRIP_N);
    for (let i = 0; i < STRIP_N; i++) {
      const t = i / (STRIP_N - 1);
      u[2 * i] = a[0] + t * (b[0] - a[0]);
      u[2 * i + 1] = a[1] + t * (b[1] - a[1]);
    }
    return u;
  }

  // ---------------------------------------------------------------- preview and nearest digits

  const putGrey = (g, values) => g.putImageData(marks.greyImage(values, SIDE), 0, 0);

  function drawPreview() {
    if (!shown || shown === drawnPreview) return;
    drawnPreview = shown;
    const [u1, u2] = shown.u;
    putGrey(digit, shown.values);
    out1.value = formatNumber(u1, 3);
    out2.value = formatNumber(u2, 3);
    preview.dataset.u1 = String(u1);
    preview.dataset.u2 = String(u2);
    drawNearest(u1, u2);
    mark('firstImage');
  }

  function nearest(u1, u2, k = NEAREST_K) {
    if (!digits) return [];
    return lib.nearest.query(digits.index, u1, u2, k).map(({ index, d2 }) => ({
      index,
      label: digits.labels[index],
      u1: digits.codes[2 * index],
      u2: digits.codes[2 * index + 1],
      d2,
    }));
  }

  function drawNearest(u1, u2) {
    const found = nearest(u1, u2);
    const key = found.map((f) => f.index).join(',');
    if (key === nearestShown) return;
    nearestShown = key;
    nearestBox.dataset.indices = key;
    nearestCanvases.forEach((c, i) => {
      const f = found[i];
      c.hidden = !f;
      if (!f) return;
      const grey = digits.grey(f.index);
      const image = new ImageData(SIDE, SIDE);
      for (let p = 0; p < PIXELS; p++) {
        image.data[4 * p] = image.data[4 * p + 1] = image.data[4 * p + 2] = grey[p];
        image.data[4 * p + 3] = 255;
      }
      c.getContext('2d').putImageData(image, 0, 0);
      c.className = `c${f.label}`;
      c.title = `a real ${config.classes[f.label]}, test image ${f.index}`;
    });
  }

  // ---------------------------------------------------------------- frame loop

  function requestFrame() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(frame);
  }

  function frame() {
    frameRequested = false;
    if (dirty.layout) {
      dirty.layout = false;
      resize();
    }
    if (dirty.dots) {
      drawDots();
      dirty.dots = false;
      dirty.base = true;
    }
    if (dirty.base) {
      composeBase();
      dirty.base = false;
      dirty.plane = true;
    }
    if (dirty.plane) {
      drawPlane();
      dirty.plane = false;
    }
    startDecode();
    startPad();
    startStrip();
    drawPreview();
  }

  function invalidate(what) {
    dirty[what] = true;
    requestFrame();
  }

  /** At most one decode in flight for the pointer; the newest wanted point wins. */
  function startDecode() {
    if (inFlight || !target || !decoderReady) return;
    const u = target;
    target = null;
    inFlight = true;
    rt.decode(u[0], u[1])
      .then((values) => { shown = { u, values }; })
      .catch(fail)
      .finally(() => {
        inFlight = false;
        requestFrame();
      });
  }

  function want(u) {
    target = f32(u);
    requestFrame();
  }

  // ---------------------------------------------------------------- stamps

  /** After every change of the stamps; `keep` false leaves the stored ones (a link's stamps are not kept). */
  function stampsChanged(keep = true) {
    plane.dataset.stamps = String(stamps.length);
    updateButtons();
    if (keep) lib.share.saveStamps(config.modelHash, stamps.map((s) => [s.u1, s.u2]));
    invalidate('plane');
  }

  function makeStamp(u, values) {
    const image = document.createElement('canvas');
    image.width = image.height = SIDE;
    putGrey(image.getContext('2d'), values);
    return { u1: u[0], u2: u[1], image };
  }

  /** Decode and add a stamp at u; returns a token whose `cancel()` takes it back. */
  function addStamp(u) {
    const at = f32(u);
    const token = { cancelled: false, stamp: null };
    token.cancel = () => {
      token.cancelled = true;
      const i = stamps.indexOf(token.stamp);
      if (i >= 0) {
        stamps.splice(i, 1);
        if (selected === token.stamp) select(null);
        stampsChanged();
      }
    };
    rt.decode(at[0], at[1]).then((values) => {
      if (token.cancelled) return;
      token.stamp = makeStamp(at, values);
      stamps.push(token.stamp);
      select(token.stamp);
      shown = { u: at, values };
      stampsChanged();
    }).catch(fail);
    return token;
  }

  /** Replace the stamps with those at `list` ([[u1, u2], ...]): one batched decode. */
  async function restoreStamps(list, keep) {
    const u = Float32Array.from(list.flat());
    const values = await rt.decodeBatch(u);
    stamps.length = 0;
    list.forEach((p, i) => stamps.push(makeStamp(f32(p), values.subarray(i * PIXELS, (i + 1) * PIXELS))));
    select(null);
    stampsChanged(keep);
  }

  function stampUnder(x, y) {
    for (let i = stamps.length - 1; i >= 0; i--) {
      const r = stampRect(stamps[i]);
      const px = x * view.dpr;
      const py = y * view.dpr;
      if (px >= r.x && px < r.x + r.size && py >= r.y && py < r.y + r.size) return stamps[i];
    }
    return null;
  }

  function select(what) {
    selected = what;
    updateButtons();
    invalidate('plane');
  }

  const selectedPoint = () => {
    if (selected === 'marker') return marker ? marker.u : null;
    return selected ? [selected.u1, selected.u2] : null;
  };

  function clearAll() {
    stamps.length = 0;
    paths.length = 0;
    plane.dataset.paths = '0';
    if (selected !== 'marker') selected = null;
    closeStrip();
    stampsChanged();
  }

  function updateButtons() {
    buttons.clear.disabled = !(stamps.length || paths.length || strip.shown);
    buttons.iterate.disabled = !encoderReady || iterating || !selectedPoint();
  }

  // ---------------------------------------------------------------- iterate

  async function iterateFromSelection() {
    const from = selectedPoint();
    if (!from || iterating || !encoderReady) return;
    iterating = true;
    buttons.iterate.setAttribute('aria-busy', 'true');
    updateButtons();
    try {
      const path = await rt.iterate(from[0], from[1]);
      paths.push(path);
      if (paths.length > MAX_PATHS) paths.shift();
      plane.dataset.paths = String(paths.length);
      const steps = path.length - 1;
      const [e1, e2] = path[path.length - 1];
      showToast(`${steps} step${steps === 1 ? '' : 's'}, ending at (${formatNumber(e1, 2)}, ${formatNumber(e2, 2)})`);
      invalidate('plane');
    } catch (error) {
      fail(error);
    } finally {
      iterating = false;
      buttons.iterate.removeAttribute('aria-busy');
      updateButtons();
    }
  }

  // ---------------------------------------------------------------- strip of decoded images

  function setStrip(a, b) {
    strip.want = [f32(a), f32(b)];
    requestFrame();
  }

  /** At most one strip decode in flight: ten points, one batched call. */
  function startStrip() {
    if (!strip.want || strip.busy || !decoderReady) return;
    const [a, b] = strip.want;
    strip.want = null;
    strip.busy = true;
    const u = stripPoints(a, b);
    rt.decodeBatch(u).then((values) => {
      strip.shown = { a, b, u, values };
      drawStrip();
    }).catch(fail).finally(() => {
      strip.busy = false;
      requestFrame();
    });
  }

  function drawStrip() {
    const { a, b, values } = strip.shown;
    stripCanvases.forEach((c, i) => putGrey(c.getContext('2d'), values.subarray(i * PIXELS, (i + 1) * PIXELS)));
    stripCaption.textContent = `Decoded along the line from (${formatNumber(a[0], 2)}, ${formatNumber(a[1], 2)})`
      + ` to (${formatNumber(b[0], 2)}, ${formatNumber(b[1], 2)})`;
    stripBox.hidden = false;
    stripBox.dataset.version = String(Number(stripBox.dataset.version || 0) + 1);
    updateButtons();
  }

  function closeStrip() {
    strip.want = null;
    strip.shown = null;
    strip.drag = null;
    stripBox.hidden = true;
    updateButtons();
    invalidate('plane');
  }

  // ---------------------------------------------------------------- drawing pad

  const pad = lib.pad.create(padCanvas, () => {
    const source = pad.source();
    if (!source || source.kind !== 'digit') delete padCanvas.dataset.digit;
    padState.dirty = true;
    padState.version += 1;
    requestFrame();
  });

  /** At most one encode (and its reconstruction) in flight; the newest drawing wins. */
  function startPad() {
    if (!padState.dirty || padState.busy || !encoderReady) return;
    padState.dirty = false;
    const version = padState.version;
    const source = pad.source();
    padState.raster = null;
    let input = null;
    if (source && source.kind === 'digit') {
      input = source.pixels;
    } else if (source) {
      padState.raster = pad.raster();
      const result = lib.mnist.preprocess(padState.raster, pad.size, pad.size);
      input = result ? result.image : null;
    }
    padState.input = input;
    if (!input) {
      marker = null;
      if (selected === 'marker') selected = null;
      padInput.clearRect(0, 0, SIDE, SIDE);
      padOutput.clearRect(0, 0, SIDE, SIDE);
      padNote.textContent = 'Draw a digit, or load a real one.';
      padState.done = version;
      updateButtons();
      invalidate('plane');
      return;
    }
    putGrey(padInput, input);
    padState.busy = true;
    rt.encode(input)
      .then(async (u) => {
        const recon = await rt.decode(u[0], u[1]);
        marker = { u, input, recon };
        selected = 'marker';
        putGrey(padOutput, recon);
        padState.done = version;
        describePad(source, u);
        updateButtons();
        invalidate('plane');
      })
      .catch(fail)
      .finally(() => {
        padState.busy = false;
        requestFrame();
      });
  }

  function describePad(source, [u1, u2]) {
    const at = `(${formatNumber(u1, 2)}, ${formatNumber(u2, 2)})`;
    if (source.kind === 'digit') {
      const label = config.classes[digits.labels[source.index]];
      padNote.textContent = `A real ${label} (test image ${source.index}) encodes to ${at}.`;
    } else {
      padNote.textContent = `Your drawing encodes to ${at}, the diamond on the plane.`;
    }
  }

  function loadDigit(index) {
    if (!digits || !(index >= 0 && index < digits.n)) throw new RangeError(`no real digit ${index}`);
    padCanvas.dataset.digit = String(index);
    pad.loadDigit(index, digits.grey(index), digits.pixels(index));
  }

  function randomDigit() {
    if (digits) loadDigit(Math.floor(Math.random() * digits.n));
  }

  const clearPad = () => pad.clear();

  // ---------------------------------------------------------------- pointer and wheel

  function local(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  /** A plane point for a screen point: the centre of a stamp under it, else the point itself. */
  function snapped([x, y]) {
    const stamp = stampUnder(x, y);
    return stamp ? [stamp.u1, stamp.u2] : toPlane(x, y);
  }

  function onPointerDown(event) {
    if (!view.ok) return;
    const at = local(event);
    if (event.pointerType === 'touch') {
      touches.set(event.pointerId, at);
      if (touches.size === 2) {
        startPinch();
        return;
      }
    }
    if (gesture) return;
    if (event.button === 1 || ((event.altKey || event.ctrlKey || event.metaKey) && event.button === 0)) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      gesture = { kind: 'pan', id: event.pointerId, last: at };
      plane.classList.add('panning');
    } else if (event.shiftKey && event.button === 0) {
      canvas.setPointerCapture(event.pointerId);
      const a = snapped(at);
      gesture = { kind: 'line', id: event.pointerId, at, a };
      strip.drag = { a, b: a };
    } else if (event.button === 0) {
      gesture = { kind: 'press', id: event.pointerId, at };
      want(toPlane(...at));
    }
  }

  function onPointerMove(event) {
    if (!view.ok) return;
    const at = local(event);
    if (touches.has(event.pointerId)) touches.set(event.pointerId, at);
    if (gesture && gesture.kind === 'pinch') {
      movePinch();
      return;
    }
    if (gesture && gesture.id === event.pointerId && gesture.kind === 'pan') {
      panBy(at[0] - gesture.last[0], at[1] - gesture.last[1]);
      gesture.last = at;
      return;
    }
    if (gesture && gesture.id === event.pointerId && gesture.kind === 'line') {
      const b = snapped(at);
      strip.drag = { a: gesture.a, b };
      if (Math.hypot(at[0] - gesture.at[0], at[1] - gesture.at[1]) >= TAP_SLOP_PX) setStrip(gesture.a, b);
      invalidate('plane');
      return;
    }
    if (showCursor) {
      showCursor = false;
      invalidate('plane');
    }
    want(toPlane(...at));
  }

  function onPointerUp(event) {
    touches.delete(event.pointerId);
    if (!gesture || !view.ok) return;
    if (gesture.kind === 'pinch') {
      if (touches.size === 0) gesture = null;
      return;
    }
    if (gesture.id !== event.pointerId) return;
    const at = local(event);
    const isTap = () => Math.hypot(at[0] - gesture.at[0], at[1] - gesture.at[1]) < TAP_SLOP_PX;
    if (gesture.kind === 'press' && isTap()) tap(at);
    if (gesture.kind === 'line') {
      strip.drag = null;
      if (isTap()) lineTap(at);
      else setStrip(gesture.a, snapped(at));
      invalidate('plane');
    }
    plane.classList.remove('panning');
    gesture = null;
  }

  function onPointerCancel(event) {
    touches.delete(event.pointerId);
    if (gesture && (gesture.kind === 'pinch' || gesture.id === event.pointerId)) {
      gesture = null;
      strip.drag = null;
      plane.classList.remove('panning');
      invalidate('plane');
    }
  }

  /** A click: on a stamp selects it, elsewhere stamps; a second click right after resets the view. */
  function tap(at) {
    const now = performance.now();
    if (lastTap && now - lastTap.time < DOUBLE_TAP_MS
        && Math.hypot(at[0] - lastTap.at[0], at[1] - lastTap.at[1]) < TAP_SLOP_PX) {
      if (lastTap.token) lastTap.token.cancel();
      select(lastTap.selected);
      lastTap = null;
      resetView();
      return;
    }
    const stamp = stampUnder(...at);
    lastTap = { time: now, at, selected, token: null };
    if (stamp) select(stamp);
    else lastTap.token = addStamp(toPlane(...at));
  }

  /** A Shift-click: the strip from the selected point (or stamp) to this one. */
  function lineTap(at) {
    const from = selectedPoint();
    if (from) setStrip(from, snapped(at));
  }

  function startPinch() {
    const [p, q] = [...touches.values()];
    const mid = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
    gesture = {
      kind: 'pinch', u: toPlane(...mid), scale: view.scale,
      distance: Math.max(1, Math.hypot(p[0] - q[0], p[1] - q[1])),
    };
    strip.drag = null;
  }

  /** Two fingers: the plane point first under their middle stays under it; their spread zooms. */
  function movePinch() {
    const [p, q] = [...touches.values()];
    if (!q) return;
    const mid = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
    const scale = clampScale(gesture.scale * Math.hypot(p[0] - q[0], p[1] - q[1]) / gesture.distance);
    setView(scale, mid[0] - scale * gesture.u[0], mid[1] + scale * gesture.u[1]);
  }

  function onWheel(event) {
    if (!view.ok) return;
    event.preventDefault();
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? view.h : 1;
    const rate = event.ctrlKey ? 0.01 : 0.002;   // ctrl: a trackpad pinch, which sends small deltas
    zoomAt(...local(event), Math.exp(-event.deltaY * unit * rate));
  }

  // ---------------------------------------------------------------- keyboard

  const KEY_MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

  function onKeyDown(event) {
    if (!view.ok || event.altKey || event.ctrlKey || event.metaKey) return;
    const move = KEY_MOVES[event.key];
    if (move) {
      event.preventDefault();
      const step = (event.shiftKey ? 10 * STEP_PX : STEP_PX) / view.scale;
      cursor = clampToView([cursor[0] + move[0] * step, cursor[1] + move[1] * step]);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (!event.repeat) addStamp(cursor);
    } else if (event.key === '+' || event.key === '=' || event.key === '-') {
      event.preventDefault();
      zoomAt(...toScreen(...cursor), event.key === '-' ? 1 / 1.5 : 1.5);
    } else if (event.key === '0') {
      event.preventDefault();
      resetView();
      cursor = clampToView(cursor);
    } else if (event.key === 'i' || event.key === 'I') {
      event.preventDefault();
      iterateFromSelection();
      return;
    } else {
      return;
    }
    showCursor = true;
    want(cursor);
    invalidate('plane');
  }

  function clampToView([u1, u2]) {
    const [a1, a2] = toPlane(0, view.h);
    const [b1, b2] = toPlane(view.w, 0);
    return [Math.min(b1, Math.max(a1, u1)), Math.min(b2, Math.max(a2, u2))];
  }

  function centre() {
    return points ? [(points.lo[0] + points.hi[0]) / 2, (points.lo[1] + points.hi[1]) / 2] : [0, 0];
  }

  function toggleClass(chip) {
    const k = Number(chip.dataset.class);
    hidden[k] = !hidden[k];
    chip.setAttribute('aria-pressed', String(!hidden[k]));
    invalidate('dots');
  }

  function watchPixelRatio() {
    const query = matchMedia(`(resolution: ${devicePixelRatio}dppx)`);
    query.addEventListener('change', () => {
      pendingSize = null;
      invalidate('layout');
      watchPixelRatio();
    }, { once: true });
  }

  // ---------------------------------------------------------------- share: link, storage, PNG

  function currentPoint() {
    return shown ? shown.u : cursor;
  }

  function link() {
    const here = location.href.replace(/#.*$/, '');
    return here + lib.share.toHash(currentPoint(), stamps.map((s) => [s.u1, s.u2]));
  }

  let writtenHash = null;

  async function copyLink() {
    const url = link();
    writtenHash = url.slice(url.indexOf('#'));
    history.replaceState(null, '', url);
    try {
      await navigator.clipboard.writeText(url);
      showToast('Link copied: it opens this view with these stamps.');
    } catch {
      showToast('The link is in the address bar: copy it from there.');
    }
  }

  /** Restore the cursor and stamps that a link carries; false when it carries none. */
  function restoreFromHash() {
    const state = lib.share.fromHash(location.hash);
    if (!state) return false;
    if (state.cursor) {
      cursor = state.cursor;
      want(cursor);
    }
    restoreStamps(state.stamps, false).catch(fail);
    return true;
  }

  function onHashChange() {
    if (location.hash === writtenHash || !view.ok) return;
    restoreFromHash();
  }

  function downloadPng() {
    const image = document.createElement('canvas');
    image.width = canvas.width;
    image.height = canvas.height;
    drawScene(image.getContext('2d', { alpha: false }), false);
    image.toBlob((blob) => {
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = 'aedemo-plane.png';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
    }, 'image/png');
  }

  let toastTimer = 0;

  function showToast(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, 3200);
  }

  // ---------------------------------------------------------------- states

  let failed = false;

  function setStatus(text, isError) {
    status.hidden = false;
    status.classList.toggle('error', isError);
    statusText.textContent = text;
  }

  function fail(error) {
    if (failed) return;
    failed = true;
    plane.removeAttribute('aria-busy');
    hint.textContent = 'The decoder is not available.';
    if (error instanceof lib.runtime.NoWebAssembly) {
      setStatus('This demo draws its digits with WebAssembly, which this browser does not offer '
        + 'or has switched off. The dots still show the data set; to see the decoder at work, '
        + 'allow WebAssembly or open the page in another browser.', true);
    } else {
      console.warn('aedemo:', error);
      setStatus(`The model could not be loaded (${error && error.message ? error.message : error}). `
        + 'Reloading the page may help.', true);
    }
  }

  // ---------------------------------------------------------------- start

  const api = {
    ready: rt.ready.then(() => api),
    loaded: rt.loaded.then(() => api),
    decode: rt.decode,
    decodeBatch: rt.decodeBatch,
    encode: rt.encode,
    encodeBatch: rt.encodeBatch,
    iterate: (u1, u2) => rt.iterate(u1, u2),
    preprocess: (ink, width, height) => {
      const result = lib.mnist.preprocess(ink, width, height);
      return result ? result.image : null;
    },
    nearest,
    link,
    version: config.ortVersion,
    timings,
    stats: { runs: rt.runs, batches: rt.batches },
    plane: {
      toPlane,
      toScreen,
      cursor: () => (cursor ? [...cursor] : null),
      stamps: () => stamps.map((s) => ({ u1: s.u1, u2: s.u2, ...stampRect(s), selected: s === selected })),
      dpr: () => view.dpr,
      view: () => ({ scale: view.scale, ox: view.ox, oy: view.oy, version: view.version,
        zoom: view.fit ? view.scale / view.fit.scale : 1 }),
      tiles: () => {
        const t = overlays.grid.data;
        if (!t || !overlays.grid.on) return null;
        const list = [];
        for (let k = 0; k < t.cols * t.rows; k++) {
          list.push({ u1: t.u[2 * k], u2: t.u[2 * k + 1], size: t.size,
            x: t.x0 + (k % t.cols) * t.size, y: t.y0 + Math.floor(k / t.cols) * t.size });
        }
        return { fresh: t.view.version === view.version && !overlays.grid.busy, tiles: list };
      },
      drift: () => {
        const d = overlays.drift.data;
        if (!d || !overlays.drift.on) return null;
        return { fresh: d.view.version === view.version && !overlays.drift.busy, from: Array.from(d.from), to: Array.from(d.to) };
      },
      paths: () => paths.map((p) => p.map((q) => [...q])),
      marker: () => (marker ? [...marker.u] : null),
      selected: selectedPoint,
      strip: () => (strip.shown && !strip.busy && !strip.want
        ? { a: [...strip.shown.a], b: [...strip.shown.b], u: Array.from(strip.shown.u) } : null),
    },
    pad: {
      raster: () => (padState.raster ? Array.from(padState.raster) : null),
      input: () => (padState.input ? Array.from(padState.input) : null),
      settled: () => !padState.dirty && !padState.busy && padState.done === padState.version,
      code: () => (marker ? [...marker.u] : null),
      loadDigit,
      clear: clearPad,
      size: pad.size,
    },
  };
  // The promises above settle for the page's own use too; a failure is reported by fail().
  api.ready.catch(() => {});
  api.loaded.catch(() => {});
  window.aedemo = api;

  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', onPointerCancel);
  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('keydown', onKeyDown);
  canvas.addEventListener('focus', () => invalidate('plane'));
  canvas.addEventListener('blur', () => invalidate('plane'));
  canvas.addEventListener('contextmenu', (event) => { if (gesture && gesture.kind === 'pan') event.preventDefault(); });
  canvas.addEventListener('mousedown', (event) => { if (event.button === 1) event.preventDefault(); });   // no autoscroll
  for (const chip of chips) chip.addEventListener('click', () => toggleClass(chip));
  buttons.clear.addEventListener('click', clearAll);
  buttons.grid.addEventListener('click', () => toggleOverlay('grid'));
  buttons.drift.addEventListener('click', () => toggleOverlay('drift'));
  buttons.iterate.addEventListener('click', iterateFromSelection);
  buttons.link.addEventListener('click', copyLink);
  buttons.png.addEventListener('click', downloadPng);
  buttons.padClear.addEventListener('click', clearPad);
  buttons.padRandom.addEventListener('click', randomDigit);
  buttons.stripClose.addEventListener('click', closeStrip);
  buttons.viewReset.addEventListener('click', resetView);
  window.addEventListener('hashchange', onHashChange);

  const observer = new ResizeObserver((entries) => {
    const box = entries[0].devicePixelContentBoxSize;
    pendingSize = box ? [box[0].inlineSize, box[0].blockSize] : null;
    invalidate('layout');
  });
  try {
    observer.observe(canvas, { box: 'device-pixel-content-box' });   // also fires when the zoom changes
  } catch {
    observer.observe(canvas);
    watchPixelRatio();
  }
  plane.dataset.stamps = '0';
  plane.dataset.paths = '0';

  rt.points.then((p) => {
    points = p;
    cursor = centre();
    invalidate('layout');
    requestAnimationFrame(() => mark('scatter'));
  }).catch((error) => fail(new Error(`the points could not be read: ${error.message}`)));

  Promise.all([rt.ready, rt.points]).then(() => {
    decoderReady = true;
    status.hidden = true;
    plane.removeAttribute('aria-busy');
    hint.textContent = matchMedia('(pointer: coarse)').matches
      ? 'Tap to stamp \u00b7 pinch to zoom \u00b7 two fingers to pan \u00b7 double-tap to reset'
      : 'Click to stamp \u00b7 Shift-drag for a strip \u00b7 scroll to zoom \u00b7 '
        + 'Alt-drag to pan \u00b7 double-click to reset';
    for (const b of [buttons.grid, buttons.link, buttons.png]) b.disabled = false;
    if (!restoreFromHash()) {
      const kept = lib.share.loadStamps(config.modelHash);
      if (kept && kept.length) restoreStamps(kept, false).catch(fail);
    }
    if (!target && !shown) want(cursor || centre());
    requestFrame();
  }).catch(fail);

  rt.loaded.then(() => rt.digits).then((d) => {
    digits = { ...d, index: lib.nearest.buildIndex(d.codes) };
    encoderReady = true;
    pad.enable();
    for (const b of [buttons.drift, buttons.padClear, buttons.padRandom]) b.disabled = false;
    padNote.textContent = 'Draw a digit, or load a real one.';
    nearestShown = null;
    drawnPreview = null;   // draw the nearest digits of what is shown now
    updateButtons();
    requestFrame();
    mark('loaded');
  }).catch((error) => {
    if (!failed) padNote.textContent = `The encoder could not be loaded (${error.message}).`;
  });
})();
