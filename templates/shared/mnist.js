/*
 * aedemo: turn a drawing into an MNIST-like 28×28 image, the way MNIST itself was made
 * (LeCun et al.): crop to the ink's bounding box, scale to fit a 20×20 box keeping the
 * aspect ratio, anti-alias (each output pixel is the mean of the ink it covers), and
 * centre by the centre of mass in 28×28.
 *
 * Pure functions in float64; tests/test_explore.py holds a numpy reference of the same
 * steps, which the page must match.
 *
 * Owns: nothing (no state). May touch: nothing.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).mnist = (() => {
  const SIDE = 28;
  const BOX = 20;
  // Symmetric ink puts the centre of mass exactly on a pixel boundary, where summation
  // order decides the side; a nudge puts such ties on one side in every implementation.
  const TIE = 1e-9;

  /** Round half up, the same in Python: floor(x + 0.5). */
  const roundHalfUp = (x) => Math.floor(x + 0.5);

  /** Bounding box of the pixels with ink > 0, or null when there is none. */
  function inkBox(ink, width, height) {
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        if (ink[row + x] > 0) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    return x1 < 0 ? null : { x0, y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  }

  /**
   * Area-resampling weights from n input cells to m output cells: output j covers the
   * input interval [j·n/m, (j+1)·n/m); cell i contributes its overlap divided by n/m.
   * Returns, per output cell, [first input index, weights...].
   */
  function areaWeights(n, m) {
    const r = n / m;
    const out = [];
    for (let j = 0; j < m; j++) {
      const a = j * r;
      const b = (j + 1) * r;
      const first = Math.floor(a);
      const weights = [];
      for (let i = first; i < n && i < b; i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        weights.push(overlap > 0 ? overlap / r : 0);
      }
      out.push([first, weights]);
    }
    return out;
  }

  /** Crop `box` out of `ink` (values in [0, 1]) and resample it to ow×oh; rows of width ow. */
  function resample(ink, width, box, ow, oh) {
    const wx = areaWeights(box.w, ow);
    const wy = areaWeights(box.h, oh);
    const rows = new Float64Array(box.h * ow);     // horizontal pass, one row per input row
    for (let y = 0; y < box.h; y++) {
      const src = (box.y0 + y) * width + box.x0;
      for (let j = 0; j < ow; j++) {
        const [first, weights] = wx[j];
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * ink[src + first + k];
        rows[y * ow + j] = sum;
      }
    }
    const out = new Float64Array(oh * ow);         // vertical pass
    for (let i = 0; i < oh; i++) {
      const [first, weights] = wy[i];
      for (let j = 0; j < ow; j++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * rows[(first + k) * ow + j];
        out[i * ow + j] = sum;
      }
    }
    return out;
  }

  /**
   * An ink raster (row-major, width×height, values 0..255 or [0, 1] with `scale`) → the
   * 28×28 image as a Float32Array of 784 values in [0, 1], or null when there is no ink.
   * Also returns the steps' figures for display and tests.
   */
  function preprocess(raster, width, height, scale = 1 / 255) {
    const ink = new Float64Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = raster[i] * scale;
    const box = inkBox(ink, width, height);
    if (!box) return null;
    const s = BOX / Math.max(box.w, box.h);
    const ow = Math.max(1, Math.min(BOX, roundHalfUp(box.w * s)));
    const oh = Math.max(1, Math.min(BOX, roundHalfUp(box.h * s)));
    const small = resample(ink, width, box, ow, oh);
    let mass = 0;
    let mx = 0;
    let my = 0;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const v = small[i * ow + j];
        mass += v;
        mx += v * j;
        my += v * i;
      }
    }
    // Move the centre of mass (pixel-index coordinates) to the middle, 13.5, by whole pixels.
    const dx = Math.floor(SIDE / 2 - mx / mass + TIE);
    const dy = Math.floor(SIDE / 2 - my / mass + TIE);
    const image = new Float32Array(SIDE * SIDE);
    for (let i = 0; i < oh; i++) {
      const y = i + dy;
      if (y < 0 || y >= SIDE) continue;
      for (let j = 0; j < ow; j++) {
        const x = j + dx;
        if (x >= 0 && x < SIDE) image[y * SIDE + x] = Math.min(1, Math.max(0, small[i * ow + j]));
      }
    }
    return { image, box, size: [ow, oh], shift: [dx, dy] };
  }

  return { preprocess };
})();
