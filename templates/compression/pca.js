/*
 * aedemo: PCA in the page, the compression page's linear baselines. The build fitted it
 * (builder/compression.py, pca.npz): a mean μ and k components P (k rows of `pixels`
 * values, largest first), both float32; the page computes in float64 on those float32
 * numbers, as numpy's reference does (compression.pca_reconstruct), and rounds the image
 * to float32 at the end.
 *
 *   encode(x, m)  c_j = Σ_i (x_i − μ_i)·P_ji for the first m components: Float64Array(m)
 *   decode(c)     y_i = Σ_j c_j·P_ji + μ_i over the c.length first components: Float32Array
 *   reconstruct(x, m)  decode(encode(x, m))
 *
 * Owns: nothing but the basis it is handed. May touch: nothing.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).pca = (() => {
  /** `mean`: Float32Array(pixels); `components`: Float32Array(k·pixels), row by row. */
  function create(mean, components, k) {
    const pixels = mean.length;
    if (components.length !== k * pixels) throw new Error('the PCA basis is truncated');

    function encode(x, m = k) {
      const c = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        const row = j * pixels;
        for (let i = 0; i < pixels; i++) s += (x[i] - mean[i]) * components[row + i];
        c[j] = s;
      }
      return c;
    }

    function decode(c) {
      const y = new Float64Array(pixels);
      for (let j = 0; j < c.length; j++) {
        const row = j * pixels;
        for (let i = 0; i < pixels; i++) y[i] += c[j] * components[row + i];
      }
      return Float32Array.from(y, (v, i) => v + mean[i]);
    }

    return { k, encode, decode, reconstruct: (x, m = k) => decode(encode(x, m)) };
  }

  return { create };
})();
