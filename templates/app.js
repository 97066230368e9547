/*
 * aedemo page: the scatter of the 2-D code, and the decoder under the pointer.
 *
 * Every file this page needs is a classic <script> that puts one value into
 * window.AEDEMO_DATA (see builder/render.py), so the same files work over http and
 * from file://, where fetch() and module imports of other files are refused.
 *
 * Public API, which the page itself uses:
 *   aedemo.ready           Promise that settles when the decoder can run
 *   aedemo.decode(u1, u2)  Promise of a Float32Array with side*side grey levels
 */
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('aedemo-config').textContent);
  const SIDE = config.side;
  const DATA = (window.AEDEMO_DATA = window.AEDEMO_DATA || {});
  const STAMP_ZOOM = 2;          // a stamp is SIDE*2 CSS pixels wide
  const STEP_PX = 4;             // keyboard step in CSS pixels (Shift: ten times)
  const TAP_SLOP_PX = 8;         // a press that moves less than this is a click

  const timings = {};
  const mark = (name) => {
    if (!(name in timings)) timings[name] = Math.round(performance.now());
  };

  // ---------------------------------------------------------------- loading

  class NoWebAssembly extends Error {}

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
  }

  /** Load a data script and hand over (and forget) the value it defined. */
  async function take(src, key) {
    await loadScript(src);
    const value = DATA[key];
    delete DATA[key];
    if (value === undefined) throw new Error(`${src} did not define ${key}`);
    return value;
  }

  function fromBase64(text) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  async function loadSession() {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      throw new NoWebAssembly('WebAssembly is not available');
    }
    const { files } = config;
    const [, wasm, glue, model] = await Promise.all([
      loadScript(files.ort),
      take(files.wasm, 'wasm'),
      take(files.glue, 'glue'),
      take(files.decoder, 'decoder'),
    ]);
    mark('scripts');
    const { env, InferenceSession } = window.ort;
    env.logLevel = 'error';
    env.wasm.numThreads = 1;   // threads need cross-origin isolation, which static hosts cannot give
    env.wasm.proxy = false;
    env.wasm.wasmBinary = await gunzip(fromBase64(wasm));
    mark('unpacked');
    env.wasm.wasmPaths = { mjs: URL.createObjectURL(new Blob([glue], { type: 'text/javascript' })) };
    return InferenceSession.create(fromBase64(model), { executionProviders: ['wasm'] });
  }

  async function loadPoints() {
    const p = await take(config.files.points, 'points');
    const q = new Int16Array(fromBase64(p.u).buffer);
    const label = fromBase64(p.label);
    const u = new Float32Array(2 * p.n);
    for (let i = 0; i < 2 * p.n; i++) {
      const d = i & 1;
      u[i] = p.lo[d] + ((q[i] + 32767) / 65534) * (p.hi[d] - p.lo[d]);
    }
    return { n: p.n, u, label, lo: p.lo, hi: p.hi };
  }

  // ---------------------------------------------------------------- decoding

  let session = null;
  let queue = Promise.resolve();
  const ready = loadSession().then((s) => {
    session = s;
    mark('ready');
    return api;
  });

  /** Decode one point; runs are queued because a session runs one at a time. */
  function decode(u1, u2) {
    if (!Number.isFinite(u1) || !Number.isFinite(u2)) {
      return Promise.reject(new TypeError('decode(u1, u2) needs two finite numbers'));
    }
    const job = queue.then(() => ready).then(() => runOnce(u1, u2));
    queue = job.catch(() => {});
    return job;
  }

  async function runOnce(u1, u2) {
    const input = new window.ort.Tensor('float32', Float32Array.of(u1, u2), [1, 2]);
    const outputs = await session.run({ [config.input]: input });
    const image = outputs[config.output];
    const values = Float32Array.from(image.data.subarray(0, SIDE * SIDE));
    image.dispose();
    return values;
  }

  function toImageData(values) {
    const image = new ImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const grey = Math.round(255 * Math.min(1, Math.max(0, values[i])));
      image.data.set([grey, grey, grey, 255], 4 * i);
    }
    return image;
  }

  // ---------------------------------------------------------------- page state

  const plane = document.getElementById('plane');
  const canvas = document.getElementById('plane-canvas');
  const ctx = canvas.getContext('2d', { alpha: false });
  const base = document.createElement('canvas');   // grid, dots, labels: redrawn on resize only
  const dots = document.createElement('canvas');
  const preview = document.getElementById('preview');
  const digit = document.getElementById('digit').getContext('2d');
  const out1 = document.getElementById('u1');
  const out2 = document.getElementById('u2');
  const hint = document.getElementById('hint');
  const status = document.getElementById('status');
  const statusText = document.getElementById('status-text');
  const clearButton = document.getElementById('clear');
  const chips = [...document.querySelectorAll('.chip')];

  const palette = config.palette.map(parseHex);
  const hidden = config.classes.map(() => false);
  const view = { w: 0, h: 0, dpr: 1, scale: 1, ox: 0, oy: 0, ok: false };
  const stamps = [];           // {u1, u2, image}: plane coordinates and a SIDE×SIDE canvas
  let points = null;
  let cursor = null;           // keyboard cursor in plane coordinates
  let showCursor = false;
  let target = null;           // newest point waiting to be decoded
  let inFlight = false;
  let shown = null;            // {u, values}: what the preview should show
  let drawnPreview = null;
  let press = null;
  let dirty = { layout: true, base: true, plane: true };
  let frameRequested = false;
  let pendingSize = null;

  function parseHex(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  // ---------------------------------------------------------------- geometry

  function toScreen(u1, u2) {
    return [view.ox + view.scale * u1, view.oy - view.scale * u2];
  }

  function toPlane(x, y) {
    return [(x - view.ox) / view.scale, (view.oy - y) / view.scale];
  }

  /** Fit the points with a margin, same scale on both axes, beside the preview if room. */
  function fitView() {
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
    const clear = beside.scale >= under.scale ? beside : under;   // leave the preview uncovered if that costs little
    Object.assign(view, clear.scale >= 0.8 * full.scale ? clear : full);
    view.ok = view.scale > 0 && points !== null;
  }

  function resize() {
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
    fitView();
  }

  // ---------------------------------------------------------------- drawing

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

  function drawBase() {
    const g = base.getContext('2d', { alpha: false });
    const { w, h, dpr } = view;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, w, h);
    if (!view.ok) return;
    const { xs, ys, decimals } = gridLines();
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
    drawDots();
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.drawImage(dots, 0, 0);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawAxisLabels(g, xs, ys, decimals);
  }

  /** All visible dots, written straight into pixels: exact colours, fast for 70,000 points. */
  function drawDots() {
    const W = dots.width;
    const H = dots.height;
    const image = new ImageData(W, H);
    const px = new Uint32Array(image.data.buffer);
    const colours = palette.map(([r, g, b]) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0);
    const radius = (points.n > 30000 ? 1.25 : points.n > 10000 ? 1.45 : 1.7) * view.dpr;
    const reach = Math.ceil(radius);
    const disc = [];
    for (let dy = -reach; dy <= reach; dy++) {
      for (let dx = -reach; dx <= reach; dx++) {
        if (dx * dx + dy * dy <= radius * radius + 1e-9) disc.push([dx, dy]);
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
      for (const [dx, dy] of disc) {
        const x = cx + dx;
        const y = cy + dy;
        if (x >= 0 && y >= 0 && x < W && y < H) px[y * W + x] = colour;
      }
    }
    dots.getContext('2d').putImageData(image, 0, 0);
  }

  function drawAxisLabels(g, xs, ys, decimals) {
    const { w, h } = view;
    g.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.fillStyle = '#6b7386';
    g.textBaseline = 'alphabetic';
    g.textAlign = 'center';
    for (const v of xs) {
      const [x] = toScreen(v, 0);
      if (x > 40 && x < w - 34) g.fillText(formatNumber(v, decimals), x, h - 10);
    }
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const v of ys) {
      const [, y] = toScreen(0, v);
      if (y > 12 && y < h - 30) g.fillText(formatNumber(v, decimals), 8, y);
    }
    g.font = 'italic 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    g.fillStyle = '#3d4558';
    g.textAlign = 'right';
    g.textBaseline = 'alphabetic';
    g.fillText('u\u2081', w - 10, h - 10);
    g.textAlign = 'left';
    g.fillText('u\u2082', 8, h - 26);
  }

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

  function drawPlane() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(base, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.lineWidth = 1;
    for (const stamp of stamps) {
      const { x, y, size } = stampRect(stamp);
      ctx.strokeStyle = 'rgba(29, 36, 51, 0.55)';
      ctx.strokeRect(x - 1.5, y - 1.5, size + 3, size + 3);
      ctx.strokeStyle = '#ffffff';
      ctx.strokeRect(x - 0.5, y - 0.5, size + 1, size + 1);
      ctx.drawImage(stamp.image, x, y, size, size);
    }
    if (showCursor && cursor && document.activeElement === canvas) drawCursor();
  }

  function drawCursor() {
    const d = view.dpr;
    const [x, y] = toScreen(cursor[0], cursor[1]);
    ctx.setTransform(d, 0, 0, d, 0, 0);
    for (const [colour, width] of [['#ffffff', 4], ['#1d2433', 1.75]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        ctx.moveTo(x + 13 * dx, y + 13 * dy);
        ctx.lineTo(x + 19 * dx, y + 19 * dy);
      }
      ctx.stroke();
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  function drawPreview() {
    if (!shown || shown === drawnPreview) return;
    drawnPreview = shown;
    const [u1, u2] = shown.u;
    digit.putImageData(toImageData(shown.values), 0, 0);
    out1.value = formatNumber(u1, 3);
    out2.value = formatNumber(u2, 3);
    preview.dataset.u1 = String(u1);
    preview.dataset.u2 = String(u2);
    mark('firstImage');
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
      resize();
      dirty = { layout: false, base: true, plane: true };
    }
    if (dirty.base) {
      drawBase();
      dirty.base = false;
      dirty.plane = true;
    }
    if (dirty.plane) {
      drawPlane();
      dirty.plane = false;
    }
    startDecode();
    drawPreview();
  }

  function invalidate(what) {
    dirty[what] = true;
    requestFrame();
  }

  /** At most one decode in flight; the newest wanted point wins, older ones are dropped. */
  function startDecode() {
    if (inFlight || !target || !session) return;
    const u = target;
    target = null;
    inFlight = true;
    decode(u[0], u[1])
      .then((values) => { shown = { u, values }; })
      .catch(fail)
      .finally(() => {
        inFlight = false;
        requestFrame();
      });
  }

  function want(u) {
    target = [Math.fround(u[0]), Math.fround(u[1])];
    requestFrame();
  }

  function stampAt(u) {
    const at = [Math.fround(u[0]), Math.fround(u[1])];
    decode(at[0], at[1]).then((values) => {
      const image = document.createElement('canvas');
      image.width = image.height = SIDE;
      image.getContext('2d').putImageData(toImageData(values), 0, 0);
      stamps.push({ u1: at[0], u2: at[1], image });
      plane.dataset.stamps = String(stamps.length);
      clearButton.disabled = false;
      shown = { u: at, values };
      invalidate('plane');
    }).catch(fail);
  }

  // ---------------------------------------------------------------- input

  function local(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function onPointerMove(event) {
    if (!view.ok) return;
    if (showCursor) {
      showCursor = false;
      invalidate('plane');
    }
    want(toPlane(...local(event)));
  }

  function onPointerDown(event) {
    if (!view.ok) return;
    press = { id: event.pointerId, at: local(event) };
    want(toPlane(...press.at));
  }

  function onPointerUp(event) {
    if (!press || press.id !== event.pointerId || !view.ok) return;
    const at = local(event);
    if (Math.hypot(at[0] - press.at[0], at[1] - press.at[1]) < TAP_SLOP_PX) stampAt(toPlane(...at));
    press = null;
  }

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
      if (!event.repeat) stampAt(cursor);
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
    invalidate('base');
  }

  function clearStamps() {
    stamps.length = 0;
    plane.dataset.stamps = '0';
    clearButton.disabled = true;
    invalidate('plane');
  }

  function watchPixelRatio() {
    const query = matchMedia(`(resolution: ${devicePixelRatio}dppx)`);
    query.addEventListener('change', () => {
      pendingSize = null;
      invalidate('layout');
      watchPixelRatio();
    }, { once: true });
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
    if (error instanceof NoWebAssembly) {
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
    ready,
    decode,
    version: config.ortVersion,
    timings,
    plane: {
      toPlane,
      toScreen,
      cursor: () => (cursor ? [...cursor] : null),
      stamps: () => stamps.map((s) => ({ u1: s.u1, u2: s.u2, ...stampRect(s) })),
      dpr: () => view.dpr,
    },
  };
  window.aedemo = api;

  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', () => { press = null; });
  canvas.addEventListener('keydown', onKeyDown);
  canvas.addEventListener('focus', () => invalidate('plane'));
  canvas.addEventListener('blur', () => invalidate('plane'));
  for (const chip of chips) chip.addEventListener('click', () => toggleClass(chip));
  clearButton.addEventListener('click', clearStamps);

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

  loadPoints().then((p) => {
    points = p;
    cursor = centre();
    invalidate('layout');
    requestAnimationFrame(() => mark('scatter'));
  }).catch((error) => fail(new Error(`the points could not be read: ${error.message}`)));

  ready.then(() => {
    status.hidden = true;
    plane.removeAttribute('aria-busy');
    hint.textContent = 'Move over the plane to decode; click to stamp.';
    if (!target) want(cursor || centre());
    requestFrame();
  }).catch(fail);
})();
