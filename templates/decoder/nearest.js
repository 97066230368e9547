/*
 * aedemo: the k nearest of n points in the plane, fast enough to run on every pointer
 * move. The points are sorted once into a uniform grid of cells (about 4 points per
 * cell); a query visits rings of cells around its own cell, nearest first, and stops
 * as soon as no point outside the rings can beat the k-th best distance so far.
 *
 * The order is (squared distance in float64, index), so the result is exactly that of
 * a brute-force search that sorts by the same key.
 *
 * Owns: nothing (the index is the caller's). May touch: nothing.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).nearest = (() => {
  /** Index the n points of `codes` ([x0, y0, x1, y1, ...]). */
  function buildIndex(codes) {
    const n = codes.length / 2;
    let lo = [Infinity, Infinity];
    let hi = [-Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      for (const d of [0, 1]) {
        lo[d] = Math.min(lo[d], codes[2 * i + d]);
        hi[d] = Math.max(hi[d], codes[2 * i + d]);
      }
    }
    if (n === 0) { lo = [0, 0]; hi = [1, 1]; }
    const side = Math.max(1, Math.round(Math.sqrt(n / 4)));
    const cell = [Math.max((hi[0] - lo[0]) / side, 1e-12), Math.max((hi[1] - lo[1]) / side, 1e-12)];
    const cellOf = (v, d) => Math.min(side - 1, Math.max(0, Math.floor((v - lo[d]) / cell[d])));
    // counting sort of the points by cell
    const start = new Int32Array(side * side + 1);
    const cells = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      cells[i] = cellOf(codes[2 * i + 1], 1) * side + cellOf(codes[2 * i], 0);
      start[cells[i] + 1] += 1;
    }
    for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
    const order = new Int32Array(n);
    const fill = start.slice(0, side * side);
    for (let i = 0; i < n; i++) order[fill[cells[i]]++] = i;
    return { codes, n, lo, cell, side, start, order, cellOf };
  }

  /** Lower bound on the distance from (x, y) to any point outside cells [c0..c1]×[r0..r1]. */
  function outsideBound(index, x, y, c0, c1, r0, r1) {
    const { lo, cell, side } = index;
    let bound = Infinity;
    if (c0 > 0) bound = Math.min(bound, Math.max(0, x - (lo[0] + c0 * cell[0])));
    if (c1 < side - 1) bound = Math.min(bound, Math.max(0, lo[0] + (c1 + 1) * cell[0] - x));
    if (r0 > 0) bound = Math.min(bound, Math.max(0, y - (lo[1] + r0 * cell[1])));
    if (r1 < side - 1) bound = Math.min(bound, Math.max(0, lo[1] + (r1 + 1) * cell[1] - y));
    // a point on a cell edge may have been rounded into the neighbouring cell: keep a margin
    return Math.max(0, bound - 1e-9 * (cell[0] + cell[1]));
  }

  /** The k nearest points to (x, y): [{index, d2}] by (squared distance, index). */
  function query(index, x, y, k) {
    const { codes, n, side, start, order, cellOf } = index;
    const best = [];           // sorted, at most k entries
    const consider = (i) => {
      const dx = codes[2 * i] - x;
      const dy = codes[2 * i + 1] - y;
      const d2 = dx * dx + dy * dy;
      if (best.length === k) {
        const last = best[k - 1];
        if (d2 > last.d2 || (d2 === last.d2 && i > last.index)) return;
        best.pop();
      }
      let at = best.length;
      while (at > 0 && (best[at - 1].d2 > d2 || (best[at - 1].d2 === d2 && best[at - 1].index > i))) at--;
      best.splice(at, 0, { index: i, d2 });
    };
    const cx = cellOf(x, 0);
    const cy = cellOf(y, 1);
    k = Math.min(k, n);
    for (let ring = 0; ring < side; ring++) {
      const c0 = cx - ring; const c1 = cx + ring;
      const r0 = cy - ring; const r1 = cy + ring;
      for (let r = Math.max(0, r0); r <= Math.min(side - 1, r1); r++) {
        const edgeRow = r === r0 || r === r1;
        for (let c = Math.max(0, c0); c <= Math.min(side - 1, c1); c++) {
          if (!edgeRow && c !== c0 && c !== c1) continue;   // inner cells were visited before
          const id = r * side + c;
          for (let p = start[id]; p < start[id + 1]; p++) consider(order[p]);
        }
      }
      if (best.length === k) {
        const bound = outsideBound(index, x, y, Math.max(0, c0), Math.min(side - 1, c1),
          Math.max(0, r0), Math.min(side - 1, r1));
        if (bound * bound > best[k - 1].d2) break;
      }
    }
    return best;
  }

  return { buildIndex, query };
})();
