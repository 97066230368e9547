/*
 * aedemo page: the scatter of the 2-D code, the decoder under the pointer with its
 * layers, the drawing pad with its probe kit and the encoder, the tools that explore
 * the plane (zoom and pan, a grid of decoded tiles, the drift field, the smoothness and
 * unfamiliarity maps, encode→decode iterations, strips, links) and the story's
 * actions.
 *
 * The scripts loaded before this file put themselves into window.AEDEMO_LIB: the
 * libraries (runtime, mnist, nearest, share, format, latest, pad, letters, marks,
 * transforms, maps, lazy) and the page's parts (status, progress, view, plane, overlays, stamps, strip,
 * layers, preview, probe, padPanel, story, lapse, input, sharing); docs/page-scripts.md maps them.
 *
 * Owns: the page configuration, what has loaded (points, digits, which models are
 * ready), the frame loop and what it must redraw, the public API (the status line is
 * status.js's). May touch: the plane element's data-* attributes, the hint, the toolbar
 * buttons and legend chips, the screen canvas (through plane.js). It creates the parts
 * and wires them together; every other piece of state lives in its part.
 *
 * The public API, window.aedemo, is built in api.js from the parts' accessors.
 */
'use strict';

(() => {
  const lib = window.AEDEMO_LIB;
  const { config } = window.AEDEMO_BOOT;   // parsed by boot.js
  const { theme, words } = config;
  const SIDE = config.side;

  const rt = lib.runtime.start(config);   // started in <head> already (runtime.js, data-start)
  const { timings, mark } = rt;

  // ---------------------------------------------------------------- page elements

  const $ = (id) => document.getElementById(id);
  const plane = $('plane');
  const canvas = $('plane-canvas');
  const ctx = canvas.getContext('2d', { alpha: false });
  const previewBox = $('preview');
  const hint = $('hint');
  const buttons = {
    grid: $('grid-toggle'), drift: $('drift-toggle'), smooth: $('smooth-toggle'), unfamiliar: $('unfamiliar-toggle'),
    iterate: $('iterate'),
    link: $('copy-link'), png: $('download'), clear: $('clear'),
    padClear: $('pad-clear'), padRandom: $('pad-random'), stripClose: $('strip-close'), strip: $('strip-toggle'),
    viewReset: $('view-reset'),
  };
  const chips = [...document.querySelectorAll('.chip')];
  const OVERLAYS = ['grid', 'drift', 'smooth', 'unfamiliar'];

  // ---------------------------------------------------------------- state

  let points = null;           // the scatter: {n, u, label, lo, hi}
  let range = null;            // the box of points a link or a stamp may hold (share.range)
  let digits = null;           // the real digits and their search index
  let decoderReady = false;
  let encoderReady = false;
  const dirty = { layout: true, dots: true, base: true, plane: true };
  let frameRequested = false;
  let pendingSize = null;      // the canvas's device-pixel size, when the browser reports it

  // ---------------------------------------------------------------- the page's parts

  const status = lib.status.create({
    status: $('status'), text: $('status-text'), hint, plane, words, NoWebAssembly: lib.runtime.NoWebAssembly,
  });
  const { fail } = status;
  const marks = lib.marks.create(theme);
  const view = lib.view.create({
    extent: () => points,
    avoid: () => ({ right: previewBox.offsetLeft + previewBox.offsetWidth, bottom: previewBox.offsetTop + previewBox.offsetHeight }),
    onChange: viewChanged,
  });
  const drawing = lib.plane.create({
    canvas, theme, palette: config.palette, classes: config.classes, view, marks, points: () => points,
  });
  const overlays = lib.overlays.create({
    rt, side: SIDE, view, element: plane, fail, digits: () => digits, legend: $('map-legend'), ink: theme.ink,
    deviceSize: () => [canvas.width, canvas.height],
    canRun: (name) => (name !== 'drift' && name !== 'unfamiliar') || encoderReady,
    redraw: (name) => invalidate(name === 'drift' ? 'plane' : 'base'),
  });
  const preview = lib.preview.create({
    rt, side: SIDE, classes: config.classes, plurals: config.plurals, words, theme, digits: () => digits, done: requestFrame, fail, mark,
    covered: (u) => {
      const [x, y] = view.toScreen(u[0], u[1]);
      return x <= previewBox.offsetLeft + previewBox.offsetWidth && y <= previewBox.offsetTop + previewBox.offsetHeight;
    },
    elements: {
      figure: previewBox, canvas: $('digit'), out1: $('u1'), out2: $('u2'), region: $('region'), nearestBox: $('nearest'), layers: $('layers'),
    },
  });
  const progress = lib.progress.create({
    config, timings, failed: status.failed,
    elements: { box: $('loading'), fill: $('loading-fill'), bytes: $('loading-bytes'), left: $('loading-left') },
  });
  const stamps = lib.stamps.create({
    rt, side: SIDE, view, fail,
    markerPoint: () => (pad.marker() ? pad.marker().u : null),
    range: () => range,
    stampsChanged, pathsChanged, changed,
    show: preview.show,
    notice: (text) => sharing.notice(text),
  });
  const strip = lib.strip.create({
    rt, side: SIDE, box: $('strip'), caption: $('strip-caption'), fail,
    changed: updateButtons, redraw: () => invalidate('plane'), done: requestFrame,
  });
  const pad = lib.padPanel.create({
    rt, side: SIDE, classes: config.classes, words, theme, digits: () => digits, wake: requestFrame, markerChanged, fail,
    elements: { canvas: $('pad'), input: $('pad-input'), output: $('pad-output'), note: $('pad-note'), probe: $('probe') },
  });
  const story = lib.story.create({
    config, rt, root: $('story'), planeElement: plane, view, plane: drawing, points: () => points, stamps,
    nearest: preview.nearest, pad, point: moveTo, line: setStrip, closeLine: closeStrip, lineShown: strip.snapshot,
    changed: invalidate, fail, starting: () => undo.starting(),
  });
  const undo = lib.undo.create({
    stamps, padEmpty: () => $('pad').dataset.empty === 'true', clearPad: pad.clear, point: preview.point, moveTo,
    quiet: () => sharing.quiet(), fail,
  });
  const disclosures = lib.disclosures.create({ root: document });
  const scrolly = lib.scrolly.create({ root: $('story'), stage: document.querySelector('.stage'), run: story.run, busy: () => story.state().running !== null });
  const lapse = lib.lapse.create({
    root: $('lapse'), rt, config, lazy: lib.lazy.create(config.lazy), card: document.querySelector('.model-card'), side: SIDE,
  });
  const input = lib.input.create({
    canvas, element: plane, view,
    intents: {
      hover: want,
      click: stamps.click,
      stamp: stamps.add,
      line: setStrip,
      iterate,
      redraw: () => invalidate('plane'),
      snap: (x, y) => {
        const stamp = stamps.under(x, y);
        return stamp ? [stamp.u1, stamp.u2] : view.toPlane(x, y);
      },
      selectedPoint: stamps.selectedPoint,
      reset: resetView,
      touched: story.touched,
    },
  });
  const sharing = lib.sharing.create({
    canvas, toast: $('toast'), modelHash: config.modelHash, fail,
    point: () => preview.point() || input.cursor(),
    stampPoints: stamps.points,
    range: () => range,
    moveTo,
    restore: (list) => stamps.restore(list, false),
    drawStill: (g) => drawing.drawScene(g, scene(false)),
    ready: () => view.ok,
    extra: lib.viewlink.bind({
      view, overlays, toggle: toggleOverlay, names: OVERLAYS, disclosures, range: () => range, notice: (text) => sharing.notice(text),
    }),
  });

  // ---------------------------------------------------------------- wiring

  /** Decode u for the preview: at most one decode in flight, the newest point wins. */
  function want(u) {
    preview.want(u);
    requestFrame();
  }

  /** Put the cursor at u and decode it. */
  function moveTo(u) {
    input.setCursor(u);
    want(u);
  }

  function setStrip(a, b, text) {
    strip.set(a, b, text);
    requestFrame();
  }

  function closeStrip() {
    input.cancelLine();
    strip.close();
  }

  function clearAll() {
    stamps.clear();
    closeStrip();
  }

  function iterate() {
    if (encoderReady) stamps.iterate();
  }

  /** Every change of the view: redraw the dots, and recompute the overlays once it rests. */
  function viewChanged() {
    plane.dataset.zoom = String(view.zoom());
    invalidate('dots');
    overlays.settle();
  }

  /** The fitted view, and nothing the story dimmed, ringed or trailed. */
  function resetView() {
    story.reset();
    undo.restore();
    view.resetView();
  }

  /** After every change of the stamps; `keep` false leaves the stored ones (a link's stamps are not kept). */
  function stampsChanged(keep) {
    plane.dataset.stamps = String(stamps.count());
    updateButtons();
    if (keep) sharing.keep(stamps.points());
    invalidate('plane');
  }

  function pathsChanged() {
    plane.dataset.paths = String(stamps.pathCount());
    invalidate('plane');
  }

  /** The selection, the paths or an iteration changed. */
  function changed() {
    updateButtons();
    invalidate('plane');
  }

  /** The drawing's code moved (a marker) or went away (null): the marker is selected while there is one. */
  function markerChanged(marker) {
    if (marker) stamps.select('marker');
    else if (stamps.selected() === 'marker') stamps.select(null);
    else changed();
  }

  function updateButtons() {
    buttons.clear.disabled = !(stamps.count() || stamps.pathCount() || strip.isShown());
    buttons.iterate.disabled = !encoderReady || stamps.iterating() || !stamps.selectedPoint();
    if (stamps.iterating()) buttons.iterate.setAttribute('aria-busy', 'true');
    else buttons.iterate.removeAttribute('aria-busy');
  }

  /** One overlay on or off (a map switches the other off): every toggle shows what is on. */
  function toggleOverlay(name) {
    overlays.toggle(name);
    for (const n of OVERLAYS) buttons[n].setAttribute('aria-pressed', String(overlays.isOn(n)));
    $('drift-legend').hidden = !overlays.isOn('drift');
  }

  function toggleClass(chip) {
    chip.setAttribute('aria-pressed', String(drawing.toggleClass(Number(chip.dataset.class))));
    invalidate('dots');
  }

  function centre() {
    return points ? [(points.lo[0] + points.hi[0]) / 2, (points.lo[1] + points.hi[1]) / 2] : [0, 0];
  }

  /** What the plane shows on top of its base layer; `live` adds what only the screen shows. */
  function scene(live) {
    const marker = pad.marker();
    const line = live ? input.line() : null;
    return {
      drift: overlays.shown('drift'),
      stamps: stamps.placed(),
      paths: stamps.paths(),
      story: story.marks(),
      probe: pad.trail(),
      marker: marker && { u: marker.u, selected: stamps.selected() === 'marker' },
      line: line && { a: line.a, b: line.b, dots: lib.strip.dots(line.a, line.b) },
      cursor: live ? input.shownCursor() : null,
    };
  }

  // ---------------------------------------------------------------- frame loop

  function requestFrame() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(frame);
  }

  function invalidate(what) {
    dirty[what] = true;
    requestFrame();
  }

  /** Size the canvases to the plane: the exact device-pixel size when the browser reports one that fits. */
  function layout() {
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    let width = Math.round(w * devicePixelRatio);
    let height = Math.round(h * devicePixelRatio);
    if (pendingSize && Math.abs(pendingSize[0] - width) <= 1 && Math.abs(pendingSize[1] - height) <= 1) {
      [width, height] = pendingSize;
    }
    drawing.setSize(width, height);
    view.resize(w, h, canvas.width);
  }

  function frame() {
    frameRequested = false;
    if (dirty.layout) {
      dirty.layout = false;
      layout();
    }
    if (dirty.dots) {
      drawing.drawDots();
      dirty.dots = false;
      dirty.base = true;
    }
    if (dirty.base) {
      drawing.composeBase(overlays.shown('grid'), overlays.map());
      dirty.base = false;
      dirty.plane = true;
    }
    if (dirty.plane) {
      drawing.drawScene(ctx, scene(true));
      // Reset view shows while there is something to undo: a view not fitted, or what the story shows
      buttons.viewReset.hidden = !view.hasFit() || (view.isFitted() && !story.active());
      dirty.plane = false;
    }
    if (decoderReady) preview.start();
    if (encoderReady) pad.start();
    if (decoderReady) strip.start();
    preview.draw();
    if (timings.firstImage !== undefined) progress.stop();
  }

  function watchPixelRatio() {
    const query = matchMedia(`(resolution: ${devicePixelRatio}dppx)`);
    query.addEventListener('change', () => {
      pendingSize = null;
      invalidate('layout');
      watchPixelRatio();
    }, { once: true });
  }

  // ---------------------------------------------------------------- public API

  window.aedemo = lib.api.create({ rt, config, timings, view, drawing, overlays, preview, stamps, strip, pad, story, lapse, input, sharing });
  window.aedemo.layout = { stop: scrolly.current, readingLine: scrolly.readingLine, open: disclosures.open };

  // ---------------------------------------------------------------- start

  for (const chip of chips) chip.addEventListener('click', () => toggleClass(chip));
  buttons.clear.addEventListener('click', clearAll);
  for (const name of ['grid', 'drift', 'smooth', 'unfamiliar']) buttons[name].addEventListener('click', () => toggleOverlay(name));
  buttons.iterate.addEventListener('click', iterate);
  buttons.link.addEventListener('click', sharing.copyLink);
  buttons.png.addEventListener('click', sharing.downloadPng);
  buttons.padClear.addEventListener('click', pad.clear);
  buttons.padRandom.addEventListener('click', pad.randomDigit);
  buttons.stripClose.addEventListener('click', closeStrip);
  buttons.strip.addEventListener('click', () => buttons.strip.setAttribute('aria-pressed', String(input.setLineMode(!input.lineMode()))));
  buttons.viewReset.addEventListener('click', resetView);
  $('pad').addEventListener('pointerdown', story.touched);   // drawing stops the story's shift

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
    range = lib.share.range(p.lo, p.hi);
    input.setCursor(centre());
    invalidate('layout');
    requestAnimationFrame(() => mark('scatter'));
    story.enable('points');   // the stops that need only the dots: groups and walks
    if (!decoderReady) {
      hint.textContent = `Point at the plane: its coordinates and the nearest real ${words.nouns} show now; `
        + `the decoder's ${words.nouns} come when it has loaded.`;
    }
  }).catch((error) => fail(new Error(`the points could not be read: ${error.message}`)));

  // The real digits need no runtime: the preview shows the nearest ones before the decoder.
  rt.digits.then((d) => {
    digits = { ...d, index: lib.nearest.buildIndex(d.codes) };
    preview.redraw();
    requestFrame();
  }).catch(() => {});   // reported with the encoder below

  Promise.all([rt.ready, rt.points]).then(() => {
    decoderReady = true;
    status.hide();
    plane.removeAttribute('aria-busy');
    hint.textContent = matchMedia('(pointer: coarse)').matches
      ? 'Tap to stamp \u00b7 pinch to zoom \u00b7 two fingers to pan \u00b7 double-tap to reset \u00b7 Strip, then drag, for a strip'
      : 'Click to stamp \u00b7 Shift-drag (or Strip) for a strip \u00b7 scroll to zoom \u00b7 '
        + 'Alt-drag to pan \u00b7 double-click to reset';
    for (const b of [buttons.grid, buttons.smooth, buttons.link, buttons.png, buttons.strip]) b.disabled = false;
    if (!sharing.restoreFromHash()) sharing.restoreKept();
    if (preview.idle()) want(input.cursor() || centre());
    story.enable('decoder');
    requestFrame();
  }).catch(fail);

  // Offline after this visit (over http(s)): the worker registers once the first image is drawn.
  lib.offline.register(config.files.worker, rt.ready);

  rt.loaded.then(() => {
    encoderReady = true;
    pad.enable();
    for (const b of [buttons.drift, buttons.unfamiliar, buttons.padClear, buttons.padRandom]) b.disabled = false;
    preview.redraw();   // draw the nearest digits of what is shown now
    overlays.settle();  // the overlays a link switched on that need the encoder
    story.enable('encoder');
    updateButtons();
    requestFrame();
    mark('loaded');
  }).catch((error) => {
    if (!status.failed()) pad.unavailable(error);
  });
})();
