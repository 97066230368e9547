/*
 * aedemo: the two maps over the plane, each a value per cell of a grid over the visible
 * plane (cells STEP_PX CSS pixels wide, covering the canvas edge to edge, centred; u the
 * plane point at a cell's centre, Δ = STEP_PX / scale the spacing in plane units):
 *
 *   smoothness   how fast the decoded image changes as the pointer moves: with D the
 *                decoder (784 grey levels, unclipped), h = Δ/2 and e1, e2 the plane's
 *                axes, per cell
 *                  g1 = ‖D(u + h·e1) − D(u − h·e1)‖ / 2h,  g2 likewise along e2,
 *                  value = sqrt(g1² + g2²)
 *                (the Frobenius norm of the decoder's Jacobian in display coordinates,
 *                by central differences over the whole cell, so that no jump between
 *                two cells is missed). The offsets of neighbouring cells coincide (the
 *                right edge of one is the left edge of the next): one decodeBatch of
 *                the (cols+1)·rows + cols·(rows+1) edge points.
 *   unfamiliar   how far the decoded image is from every real image:
 *                  value = min over the shipped real test images x of
 *                          ‖clip(D(u), 0, 1) − x‖ / sqrt(784)
 *                (the root-mean-square pixel difference to the nearest real image):
 *                one decodeBatch of the centres, then an exact nearest-image search in
 *                JavaScript, pruned by two lower bounds (the distance of b×b block
 *                sums / b, an orthonormal projection, is never larger than the full
 *                one; b = 4, then 2), in slices of SLICE_MS that give the page back
 *                its frames.
 *
 * Each map is shaded in the theme's ink at an opacity rising linearly from 0 at the
 * smallest value of the view to MAX_ALPHA at the largest; the legend names that range.
 *
 * Owns: nothing (pure computations, and the pooled copy of the real images it keeps
 * for the search). May touch: the legend element it is handed, and off-screen canvases.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).maps = (() => {
  const STEP_PX = 32;            // cell size in CSS pixels
  const MAX_ALPHA = 0.72;        // the opacity of the largest value in view
  const BLOCKS = [4, 2];         // the lower bounds' blocks: b×b pixels, coarse first
  const SLICE_MS = 16;           // the nearest search yields to the page this often (a frame)
  const pooled = new WeakMap();  // real images → their search index

  /** Give the page its turn: scheduler.yield() where there is one, else a message (not a timer, which browsers slow to 4 ms when nested). */
  function pause() {
    if (window.scheduler && typeof window.scheduler.yield === 'function') return window.scheduler.yield();
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
  }

  /** The cells over the view: {cols, rows, step, x0, y0 (CSS px), delta, u (Float64Array 2n of centres), view}. */
  function grid(view) {
    const step = STEP_PX;
    const cols = Math.max(1, Math.ceil(view.w / step));
    const rows = Math.max(1, Math.ceil(view.h / step));
    const x0 = (view.w - cols * step) / 2;
    const y0 = (view.h - rows * step) / 2;
    const u = new Float64Array(2 * cols * rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const [u1, u2] = view.toPlane(x0 + (c + 0.5) * step, y0 + (r + 0.5) * step);
        u[2 * (r * cols + c)] = u1;
        u[2 * (r * cols + c) + 1] = u2;
      }
    }
    return { cols, rows, step, x0, y0, delta: step / view.scale, u, view: view.snapshot() };
  }

  /** ‖a_i − b_j‖² of two images in the flat `values` (`pixels` long each). */
  function distance2(values, i, j, pixels) {
    let sum = 0;
    for (let p = 0; p < pixels; p++) {
      const d = values[i * pixels + p] - values[j * pixels + p];
      sum += d * d;
    }
    return sum;
  }

  /** The smoothness map of the view (see above). */
  async function smoothness(rt, view, side) {
    const pixels = side * side;
    const g = grid(view);
    const { cols, rows, u } = g;
    const h = g.delta / 2;
    const across = (cols + 1) * rows;          // u − h·e1 of each cell, and u + h·e1 of each row's last
    const points = new Float32Array(2 * (across + cols * (rows + 1)));
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c <= cols; c++) {
        const k = 2 * (r * cols + Math.min(c, cols - 1));
        points.set([u[k] + (c < cols ? -h : h), u[k + 1]], 2 * (r * (cols + 1) + c));
      }
    }
    for (let r = 0; r <= rows; r++) {          // u + h·e2 of each cell (above it), and u − h·e2 of the last row's
      for (let c = 0; c < cols; c++) {
        const k = 2 * (Math.min(r, rows - 1) * cols + c);
        points.set([u[k], u[k + 1] + (r < rows ? h : -h)], 2 * (across + r * cols + c));
      }
    }
    const start = performance.now();
    const images = await rt.decodeBatch(points);
    const decodeMs = performance.now() - start;
    const values = new Float64Array(cols * rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const left = r * (cols + 1) + c;
        const top = across + r * cols + c;
        const d2 = distance2(images, left + 1, left, pixels) + distance2(images, top, top + cols, pixels);
        values[r * cols + c] = Math.sqrt(d2) / (2 * h);
      }
    }
    return { ...g, h, values, decodeMs };
  }

  /** The real images as flat float64 arrays: their block sums / b for each b of BLOCKS, then their pixels. */
  function searchIndex(digits, side) {
    if (pooled.has(digits)) return pooled.get(digits);
    const images = new Float64Array(digits.n * side * side);
    for (let i = 0; i < digits.n; i++) images.set(digits.pixels(i), i * side * side);
    const index = { n: digits.n, levels: [...BLOCKS.map((b) => project(images, digits.n, side, b)), images] };
    pooled.set(digits, index);
    return index;
  }

  /** Each of n images → its (side/b)² block sums divided by b: Float64Array. */
  function project(images, n, side, b) {
    const per = side / b;
    const out = new Float64Array(n * per * per);
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          out[i * per * per + Math.floor(y / b) * per + Math.floor(x / b)] += images[(i * side + y) * side + x] / b;
        }
      }
    }
    return out;
  }

  /** ‖row i of `a` − row j of `b`‖² (rows m long, float64), or a partial sum once it reaches `limit`. */
  function squared(a, i, b, j, m, limit) {
    const ai = i * m;
    const bj = j * m;
    let sum = 0;
    for (let p = 0; p < m && sum < limit; p++) {
      const d = a[ai + p] - b[bj + p];
      sum += d * d;
    }
    return sum;
  }

  /**
   * The real image nearest to query i (`query`: the queries' levels as the index's:
   * block sums for each b of BLOCKS, then pixels): [index, squared distance]. A
   * candidate is measured at a finer level only while its bound at the coarser one is
   * below the best distance so far (`coarse`: room for n bounds).
   */
  function nearestImage(index, query, i, coarse) {
    const { n, levels } = index;
    const dims = levels.map((level) => level.length / n);
    let first = 0;
    for (let j = 0; j < n; j++) {
      coarse[j] = squared(query[0], i, levels[0], j, dims[0], Infinity);
      if (coarse[j] < coarse[first]) first = j;
    }
    const last = levels.length - 1;
    let best = first;
    let bestD2 = squared(query[last], i, levels[last], first, dims[last], Infinity);
    for (let j = 0; j < n; j++) {
      let d2 = coarse[j];
      for (let k = 1; k <= last && d2 < bestD2; k++) d2 = squared(query[k], i, levels[k], j, dims[k], bestD2);
      if (d2 < bestD2) {
        best = j;
        bestD2 = d2;
      }
    }
    return [best, bestD2];
  }

  /** The unfamiliarity map of the view (see above); `digits`: the real test images. */
  async function unfamiliarity(rt, view, side, digits) {
    const pixels = side * side;
    const g = grid(view);
    const n = g.cols * g.rows;
    const start = performance.now();
    const images = await rt.decodeBatch(Float32Array.from(g.u));
    const decodeMs = performance.now() - start;
    for (let i = 0; i < images.length; i++) images[i] = Math.min(1, Math.max(0, images[i]));
    const index = searchIndex(digits, side);
    const query = [...BLOCKS.map((b) => project(images, n, side, b)), Float64Array.from(images)];
    const coarse = new Float64Array(index.n);
    const values = new Float64Array(n);
    const nearest = new Int32Array(n);
    let slice = performance.now();
    for (let i = 0; i < n; i++) {
      const [j, d2] = nearestImage(index, query, i, coarse);
      nearest[i] = j;
      values[i] = Math.sqrt(d2 / pixels);
      if (performance.now() - slice > SLICE_MS) {
        await pause();
        slice = performance.now();
      }
    }
    return { ...g, values, nearest, decodeMs };
  }

  /** The smallest and largest value. */
  function range(values) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return [lo, hi];
  }

  /** The opacity (0..255) of value v in the range lo..hi. */
  const alpha = (v, lo, hi) => Math.round(255 * MAX_ALPHA * (hi > lo ? (v - lo) / (hi - lo) : 0));

  /** `map` with its range and its shading: a cols×rows canvas in `ink`, one pixel per cell. */
  function shaded(map, ink) {
    const [lo, hi] = range(map.values);
    const [r, g, b] = window.AEDEMO_LIB.format.rgb(ink);
    const image = new ImageData(map.cols, map.rows);
    map.values.forEach((v, i) => image.data.set([r, g, b, alpha(v, lo, hi)], 4 * i));
    const sheet = document.createElement('canvas');
    sheet.width = map.cols;
    sheet.height = map.rows;
    sheet.getContext('2d').putImageData(image, 0, 0);
    return { ...map, lo, hi, sheet };
  }

  /** Two significant digits. */
  const short = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(2)).toString());

  /**
   * The legend element (#map-legend: [data-map] titles, a [data-ramp] canvas, [data-lo]
   * and [data-hi] outputs) for map `name` with `data` ({lo, hi}, or null while it is
   * computed); hidden when `name` is null.
   */
  function legend(element, name, data, ink) {
    element.hidden = !name;
    if (!name) return;
    for (const t of element.querySelectorAll('[data-map]')) t.hidden = t.dataset.map !== name;
    const ramp = element.querySelector('[data-ramp]');
    const g = ramp.getContext('2d');
    const [r, gr, b] = window.AEDEMO_LIB.format.rgb(ink);
    const image = new ImageData(ramp.width, 1);
    for (let x = 0; x < ramp.width; x++) image.data.set([r, gr, b, alpha(x, 0, ramp.width - 1)], 4 * x);
    g.putImageData(image, 0, 0);
    element.querySelector('[data-lo]').value = data ? short(data.lo) : '\u2026';
    element.querySelector('[data-hi]').value = data ? short(data.hi) : '\u2026';
    element.dataset.map = name;
  }

  return { grid, smoothness, unfamiliarity, shaded, legend, STEP_PX };
})();
