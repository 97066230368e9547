/*
 * aedemo: the loading indicator where the first image will be (#loading, over #digit):
 * how many bytes of onnxruntime-web and the decoder have come, of their total (their
 * sizes, known when the site was built: config.sizes), and an estimate of the time left
 * at the rate they came over the last three seconds (from AEDEMO_BOOT.started at first). It goes when the first image is drawn (or the page
 * fails); it lies over the image's own place, so nothing moves when it goes.
 *
 * What it counts: over http the WebAssembly byte by byte (boot.js counts a clone of its
 * download, AEDEMO_BOOT.wasmBytes) and the other files (onnxruntime-web's script and
 * glue, the decoder) whole, when the browser lists them as loaded (Resource Timing) or
 * the runtime has them (`timings.scripts`); from file:// every file whole.
 *
 * Owns: the polling timer. May touch: #loading (hidden, aria-valuenow), #loading-fill
 * (width), #loading-bytes and #loading-left (text).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).progress = (() => {
  const POLL_MS = 200;
  const MIN_ESTIMATE_MS = 500;   // no estimate of the time left before this much has run
  const WINDOW_MS = 3000;        // the rate: over the last this many ms (the start shares the link)

  /** `n` bytes as megabytes with one decimal. */
  const mb = (n) => (n / 1e6).toFixed(1);

  /**
   * The files of the first image and how much of each has come: [{ size, received }].
   * `loaded(url)`: whether the browser has the whole file.
   */
  function parts(config, boot, http, loaded, scripts) {
    const { files, sizes } = config;
    const keys = http ? ['wasm_raw', 'ort', 'mjs', 'decoder'] : ['wasm', 'glue', 'ort', 'decoder'];
    return keys.map((key) => {
      const size = sizes[key];
      if (key === 'wasm_raw') return { size, received: boot.wasmDone ? size : Math.min(size, boot.wasmBytes || 0) };
      if (scripts) return { size, received: size };
      return { size, received: loaded(files[key]) ? size : 0 };
    });
  }

  /** The text of the time left at the rate so far (`elapsed` ms for `received` bytes). */
  function timeLeft(received, total, elapsed) {
    if (received >= total) return 'starting\u2026';
    if (!received || elapsed < MIN_ESTIMATE_MS) return 'measuring the speed\u2026';
    const seconds = ((total - received) * elapsed) / received / 1000;
    if (seconds < 1.5) return 'about 1 s left';
    if (seconds < 90) return `about ${Math.round(seconds)} s left`;
    return `about ${Math.round(seconds / 60)} min left`;
  }

  /**
   * `config`: the page's (files, sizes); `timings`: the runtime's marks; `failed()`: the
   * page has failed. Starts polling at once; `stop()` hides the indicator for good.
   */
  function create({ config, timings, failed, elements }) {
    const { box, fill, bytes, left } = elements;
    const boot = window.AEDEMO_BOOT || {};
    const http = location.protocol === 'http:' || location.protocol === 'https:';
    const seen = new Set();
    const samples = [];          // [ms, bytes received] of the last WINDOW_MS
    let timer = null;
    let stopped = false;

    function loaded(src) {
      const url = new URL(src, document.baseURI).href;
      if (!seen.has(url) && performance.getEntriesByName(url).length) seen.add(url);
      return seen.has(url);
    }

    function poll() {
      timer = null;
      if (stopped) return;
      if (failed() || timings.firstImage !== undefined) {
        stop();
        return;
      }
      const all = parts(config, boot, http, loaded, timings.scripts !== undefined);
      const total = all.reduce((s, p) => s + p.size, 0);
      const received = all.reduce((s, p) => s + p.received, 0);
      const share = total ? received / total : 0;
      fill.style.width = `${(100 * share).toFixed(1)}%`;
      box.setAttribute('aria-valuenow', String(Math.round(100 * share)));
      box.dataset.received = String(received);
      box.dataset.total = String(total);
      bytes.textContent = `${mb(received)} of ${mb(total)} MB`;
      const now = performance.now();
      samples.push([now, received]);
      while (samples.length > 2 && now - samples[1][0] >= WINDOW_MS) samples.shift();
      const [t0, r0] = samples.length > 1 && now - samples[0][0] >= MIN_ESTIMATE_MS ? samples[0] : [boot.started || 0, 0];
      left.textContent = received >= total ? timeLeft(received, total, 0)
        : timeLeft(received - r0, total - r0, now - t0);
      timer = setTimeout(poll, POLL_MS);
    }

    function stop() {
      stopped = true;
      box.hidden = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    }

    poll();
    return { stop, poll };
  }

  return { create, timeLeft };
})();
