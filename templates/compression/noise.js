/*
 * aedemo: the compression page's noise, as explicit formulas that tests reproduce. Pure
 * functions; every random number comes from transforms.mulberry32, so one seed gives
 * the same noise on every machine.
 *
 *   apply(clean, { sigma, salt, seed, erased })  a new Float32Array of clean.length:
 *     1. Gaussian: v_i = clean_i + sigma·n_i, n = normals(length, seed), clipped to [0, 1];
 *     2. salt and pepper: two draws a_i, b_i per pixel of mulberry32(seed + 1) (always
 *        both, so raising `salt` only adds pixels); where a_i < salt, v_i = 0 if b_i < 0.5
 *        else 1;
 *     3. the eraser: v_i = 0 where erased[i] (a Uint8Array mask, or null).
 *   normals(n, seed)  n standard normals by Box–Muller from mulberry32(seed): for each
 *     pair of draws r1, r2, ρ = sqrt(−2·ln(1 − r1)) gives ρ·cos(2π·r2), ρ·sin(2π·r2).
 *   eraseDisc(mask, side, x, y, r)  sets the mask at every pixel (px, py) of the
 *     side×side grid with (px + 0.5 − x)² + (py + 0.5 − y)² ≤ r² (x, y in pixels).
 *
 * Owns: nothing (no state). May touch: nothing.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).noise = (() => {
  const ERASER_RADIUS = 2.5;   // pixels of the 28×28 input

  function normals(n, seed) {
    const next = window.AEDEMO_LIB.transforms.mulberry32(seed);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const rho = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      out[i] = rho * Math.cos(theta);
      if (i + 1 < n) out[i + 1] = rho * Math.sin(theta);
    }
    return out;
  }

  function apply(clean, { sigma = 0, salt = 0, seed = 1, erased = null } = {}) {
    const n = clean.length;
    const out = new Float32Array(n);
    const g = sigma > 0 ? normals(n, seed) : null;
    for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, clean[i] + (g ? sigma * g[i] : 0)));
    if (salt > 0) {
      const next = window.AEDEMO_LIB.transforms.mulberry32(seed + 1);
      for (let i = 0; i < n; i++) {
        const a = next();
        const b = next();
        if (a < salt) out[i] = b < 0.5 ? 0 : 1;
      }
    }
    if (erased) for (let i = 0; i < n; i++) if (erased[i]) out[i] = 0;
    return out;
  }

  function eraseDisc(mask, side, x, y, r = ERASER_RADIUS) {
    let changed = false;
    for (let py = Math.max(0, Math.floor(y - r)); py <= Math.min(side - 1, Math.ceil(y + r)); py++) {
      for (let px = Math.max(0, Math.floor(x - r)); px <= Math.min(side - 1, Math.ceil(x + r)); px++) {
        if ((px + 0.5 - x) ** 2 + (py + 0.5 - y) ** 2 <= r * r && !mask[py * side + px]) {
          mask[py * side + px] = 1;
          changed = true;
        }
      }
    }
    return changed;
  }

  return { apply, normals, eraseDisc, ERASER_RADIUS };
})();
