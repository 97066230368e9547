/*
 * aedemo data files: every file the page loads beyond its scripts is a classic <script>
 * that puts one value into window.AEDEMO_DATA (see builder/render.py), so the same files
 * work over http and from file://, where fetch() and module imports of other files are
 * refused. `take(src, key)` loads one and hands over its value; the loaders turn the
 * build's packed arrays (base64, gzip) into typed arrays: the scatter's points, the real
 * digits, the decoder's unit pictures.
 *
 * Owns: nothing that outlives a call. May touch: the document's <head> (the scripts it
 * adds) and window.AEDEMO_DATA (the values it takes).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).datafiles = (() => {
  const DATA = (window.AEDEMO_DATA = window.AEDEMO_DATA || {});

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

  /** Little-endian float32 values packed in base64. */
  function float32s(text) {
    const bytes = fromBase64(text);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }

  // ------------------------------------------------------------------ data files

  /** The scatter: n points (float32 pairs) and their labels. */
  async function loadPoints(src) {
    const p = await take(src, 'points');
    const q = new Int16Array(fromBase64(p.u).buffer);
    const label = fromBase64(p.label);
    const u = new Float32Array(2 * p.n);
    for (let i = 0; i < 2 * p.n; i++) {
      const d = i & 1;
      u[i] = p.lo[d] + ((q[i] + 32767) / 65534) * (p.hi[d] - p.lo[d]);
    }
    return { n: p.n, u, label, lo: p.lo, hi: p.hi };
  }

  /**
   * The real digits: n images as palette indices (n*784 bytes), their float32 codes
   * (2n) and labels (n). pixels(i) gives image i as grey levels in [0, 1], grey(i) as
   * bytes 0..255 for drawing.
   */
  async function loadDigits(src, pixelsPerImage, key = 'digits') {
    const d = await take(src, key);
    const index = await gunzip(fromBase64(d.images));
    if (index.length !== d.n * pixelsPerImage) throw new Error('the test images are truncated');
    const palette = float32s(d.palette);
    const paletteGrey = Uint8ClampedArray.from(palette, (v) => Math.round(255 * v));
    const at = (i) => index.subarray(i * pixelsPerImage, (i + 1) * pixelsPerImage);
    return {
      n: d.n,
      codes: float32s(d.codes),
      labels: fromBase64(d.labels),
      pixels: (i) => Float32Array.from(at(i), (k) => palette[k]),
      grey: (i) => Uint8ClampedArray.from(at(i), (k) => paletteGrey[k]),
    };
  }

  /**
   * What each unit of the decoder's first two hidden layers draws alone:
   * [{ n, values, image(j) }], image(j) the side*side grey bytes of unit j.
   */
  async function loadUnits(src, pixelsPerImage) {
    const u = await take(src, 'units');
    return Promise.all(u.layers.map(async (layer) => {
      const bytes = await gunzip(fromBase64(layer.images));
      if (bytes.length !== layer.n * pixelsPerImage) throw new Error('the unit pictures are truncated');
      const grey = Uint8ClampedArray.from(bytes);
      return { n: layer.n, values: layer.values, image: (j) => grey.subarray(j * pixelsPerImage, (j + 1) * pixelsPerImage) };
    }));
  }

  return { loadScript, take, fromBase64, gunzip, float32s, loadPoints, loadDigits, loadUnits };
})();
