/*
 * aedemo: the overlays of the plane, computed for the view once it rests.
 *   grid:  tiles covering the canvas edge to edge, each the decode of the plane point
 *          under its centre (one batched decode);
 *   drift: arrows on a regular grid of points, from each point to where one
 *          decode → clip → encode round trip takes it (one batch of each model);
 *   smooth, unfamiliar: the two shaded maps of lib.maps (definitions there), one
 *          batched decode each; one of the two is shown at a time, with its legend.
 * Each is at most one computation in flight (lib.latest); when the view has moved
 * on by the time one is done, it is computed again once the view rests.
 *
 * Owns: whether each overlay is on, its newest data, the settle timer. May touch:
 * data-grid-busy, data-drift-busy, data-smooth-busy and data-unfamiliar-busy of the
 * plane element, and the maps' legend element. Reads the view.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).overlays = (() => {
  const TILE_ZOOM = 2;           // a grid tile is SIDE*2 CSS pixels wide
  const DRIFT_STEP_PX = 44;      // spacing of the drift arrows in CSS pixels
  const SETTLE_MS = 200;         // the overlays are recomputed when the view rests this long

  const MAPS = ['smooth', 'unfamiliar'];

  /**
   * `rt`: the runtime; `view`: lib.view; `deviceSize()`: the canvas's [width, height]
   * in device pixels; `canRun(name)`: whether the models (and, for unfamiliar, the real
   * images `digits()`) the overlay needs are there; `redraw(name)`: the overlay's layer
   * must be drawn again; `legend`: the maps' legend element; `ink`: the maps' colour.
   */
  function create({ rt, side, view, deviceSize, element, digits, legend, ink, canRun, redraw, fail }) {
    const PIXELS = side * side;
    const maps = window.AEDEMO_LIB.maps;
    let settleTimer = 0;

    /** Tiles covering the canvas edge to edge, centred, whole device pixels: their centres. */
    function tileLayout() {
      const [width, height] = deviceSize();
      const zoom = Math.max(1, Math.round(TILE_ZOOM * view.dpr));
      const size = side * zoom;
      const cols = Math.ceil(width / size);
      const rows = Math.ceil(height / size);
      const x0 = Math.floor((width - cols * size) / 2);
      const y0 = Math.floor((height - rows * size) / 2);
      const u = new Float32Array(2 * cols * rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const [u1, u2] = view.toPlane((x0 + (c + 0.5) * size) / view.dpr, (y0 + (r + 0.5) * size) / view.dpr);
          u[2 * (r * cols + c)] = u1;
          u[2 * (r * cols + c) + 1] = u2;
        }
      }
      return { zoom, size, cols, rows, x0, y0, u, view: view.snapshot() };
    }

    async function computeTiles() {
      const layout = tileLayout();
      const values = await rt.decodeBatch(layout.u);
      const { cols, rows } = layout;
      const image = new ImageData(cols * side, rows * side);
      for (let t = 0; t < cols * rows; t++) {
        const left = (t % cols) * side;
        const top = Math.floor(t / cols) * side;
        for (let i = 0; i < PIXELS; i++) {
          const grey = Math.round(255 * Math.min(1, Math.max(0, values[t * PIXELS + i])));
          const at = 4 * ((top + Math.floor(i / side)) * cols * side + left + (i % side));
          image.data[at] = image.data[at + 1] = image.data[at + 2] = grey;
          image.data[at + 3] = 255;
        }
      }
      const sheet = document.createElement('canvas');
      sheet.width = cols * side;
      sheet.height = rows * side;
      sheet.getContext('2d').putImageData(image, 0, 0);
      return { ...layout, sheet };
    }

    async function computeDrift() {
      const step = DRIFT_STEP_PX;
      const cols = Math.max(1, Math.floor(view.w / step));
      const rows = Math.max(1, Math.floor(view.h / step));
      const left = (view.w - (cols - 1) * step) / 2;
      const top = (view.h - (rows - 1) * step) / 2;
      const from = new Float32Array(2 * cols * rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const [u1, u2] = view.toPlane(left + c * step, top + r * step);
          from[2 * (r * cols + c)] = u1;
          from[2 * (r * cols + c) + 1] = u2;
        }
      }
      const view0 = view.snapshot();
      const to = await rt.roundTrip(from);
      return { from, to, step, view: view0 };
    }

    /** A map computed with lib.maps, shaded, with the time it took (ms). */
    async function computeMap(compute) {
      const start = performance.now();
      const map = maps.shaded(await compute(), ink);
      return { ...map, ms: performance.now() - start };
    }

    function overlay(name, compute) {
      const o = { on: false, data: null };
      o.job = window.AEDEMO_LIB.latest(() => {
        element.dataset[`${name}Busy`] = 'true';
        return compute().then((data) => {
          o.data = data;
          redraw(name);
          showLegend();
        });
      }, {
        fail,
        done: () => {
          element.dataset[`${name}Busy`] = 'false';
          if (o.on && o.data && o.data.view.version !== view.version) settle();
        },
      });
      return o;
    }

    const overlays = {
      grid: overlay('grid', computeTiles),
      drift: overlay('drift', computeDrift),
      smooth: overlay('smooth', () => computeMap(() => maps.smoothness(rt, view, side))),
      unfamiliar: overlay('unfamiliar', () => computeMap(() => maps.unfamiliarity(rt, view, side, digits()))),
    };

    const fresh = (o) => Boolean(o.data) && o.data.view.version === view.version;

    /** The map shown now ('smooth', 'unfamiliar') or null. */
    const mapOn = () => MAPS.find((name) => overlays[name].on) || null;

    function showLegend() {
      const name = mapOn();
      maps.legend(legend, name, name && overlays[name].data, ink);
    }

    /** Start what is on, out of date and not under way. */
    function refresh() {
      for (const name of Object.keys(overlays)) {
        const o = overlays[name];
        if (!o.on || o.job.busy() || !view.ok || fresh(o) || !canRun(name)) continue;
        o.job.want(view.version);
        o.job.start();
      }
    }

    /** After a change of the view: recompute once it has rested for SETTLE_MS. */
    function settle() {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(refresh, SETTLE_MS);
    }

    function switchOff(name) {
      overlays[name].on = false;
      overlays[name].data = null;
      redraw(name);
    }

    /** Switch an overlay on or off (a map switches the other one off); true when it is on now. */
    function toggle(name) {
      const o = overlays[name];
      if (o.on) {
        switchOff(name);
      } else {
        if (MAPS.includes(name)) MAPS.filter((m) => m !== name && overlays[m].on).forEach(switchOff);
        o.on = true;
        redraw(name);
      }
      showLegend();
      refresh();
      return o.on;
    }

    /** What to draw now: the overlay's data while it is on, else null. */
    const shown = (name) => (overlays[name].on ? overlays[name].data : null);

    /** The map to draw now, or null. */
    const map = () => (mapOn() ? shown(mapOn()) : null);

    /** For tests and tools: the tiles [{u1, u2, size, x, y}] and whether they are fresh; null when off. */
    function tiles() {
      const o = overlays.grid;
      const t = o.data;
      if (!t || !o.on) return null;
      const list = [];
      for (let k = 0; k < t.cols * t.rows; k++) {
        list.push({ u1: t.u[2 * k], u2: t.u[2 * k + 1], size: t.size,
          x: t.x0 + (k % t.cols) * t.size, y: t.y0 + Math.floor(k / t.cols) * t.size });
      }
      return { fresh: t.view.version === view.version && !o.job.busy(), tiles: list };
    }

    /** For tests and tools: the arrows' starts and ends and whether they are fresh; null when off. */
    function drift() {
      const o = overlays.drift;
      const d = o.data;
      if (!d || !o.on) return null;
      return { fresh: d.view.version === view.version && !o.job.busy(), from: Array.from(d.from), to: Array.from(d.to) };
    }

    /**
     * For tests and tools: each map's cells and values and whether they are fresh, null
     * when off: {cols, rows, step, delta, h, u, values, lo, hi, nearest (unfamiliar), ms (the
     * refresh's time) and decodeMs (of it, the decoder's batch)}.
     */
    function mapData() {
      const out = {};
      for (const name of MAPS) {
        const o = overlays[name];
        const d = o.data;
        out[name] = d && o.on ? {
          fresh: d.view.version === view.version && !o.job.busy(),
          cols: d.cols, rows: d.rows, step: d.step, delta: d.delta, h: d.h === undefined ? null : d.h,
          u: Array.from(d.u), values: Array.from(d.values), lo: d.lo, hi: d.hi, ms: d.ms, decodeMs: d.decodeMs,
          nearest: d.nearest ? Array.from(d.nearest) : null,
        } : null;
      }
      return out;
    }

    return { settle, toggle, shown, map, isOn: (name) => overlays[name].on, tiles, drift, maps: mapData };
  }

  return { create };
})();
