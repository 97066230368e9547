/*
 * aedemo boot: loaded first, in <head>, and not deferred, so the downloads the first
 * decoded image needs start at once instead of after every page script has run.
 *
 * Over http it starts compiling onnxruntime-web's raw WebAssembly while it downloads
 * (window.AEDEMO_BOOT.wasm, a Promise of the WebAssembly.Module that runtime.js hands to
 * onnxruntime-web) and adds preload hints for onnxruntime-web's script and glue module,
 * the decoder and the points (on the compression page: its four models); from file://
 * (where the runtime takes the WebAssembly and glue as data scripts) hints for those
 * scripts. The hints only warm the cache:
 * runtime.js loads every file itself, whether a hint was taken or not.
 *
 * The points and the real digits (small, and all the page needs to answer the pointer)
 * are asked for first, alone; the runtime's files once they are in (`AEDEMO_BOOT.go`).
 * `AEDEMO_BOOT.wasmBytes` counts the WebAssembly's bytes as they arrive (a clone of the
 * response, read and dropped), for the progress indicator (progress.js); `wasmDone` turns
 * true when the last has come; `started` is when the runtime's downloads began (ms).
 *
 * Owns: window.AEDEMO_BOOT (with `config`, the page config parsed once for every script).
 * May touch: the <link> elements it adds to <head>.
 */
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('aedemo-config').textContent);
  const { files } = config;
  const http = location.protocol === 'http:' || location.protocol === 'https:';

  function hint(rel, href, as, crossOrigin) {
    const link = document.createElement('link');
    link.rel = rel;
    link.href = href;
    if (as) link.as = as;
    if (crossOrigin) link.crossOrigin = 'anonymous';
    document.head.append(link);
    return link;
  }

  const boot = (window.AEDEMO_BOOT = { config, go: null, started: null, wasm: null, wasmBytes: 0, wasmDone: false });

  // The runtime's downloads: onnxruntime-web's script, glue and WebAssembly, the models.
  function startRuntime() {
    boot.started = performance.now();   // progress.js measures the rate from here
    hint('preload', files.ort, 'script');
    const wasmOk = typeof WebAssembly === 'object' && typeof WebAssembly.compileStreaming === 'function';
    if (http && wasmOk) {
      hint('modulepreload', files.mjs);
      // Count the bytes on a clone of the response (same URL, so the compiled code can still
      // be cached under it); reading it only drops the chunks.
      const count = (response) => {
        const reader = response.clone().body.getReader();
        const step = ({ done, value }) => {
          if (done) { boot.wasmDone = true; return undefined; }
          boot.wasmBytes += value.byteLength;
          return reader.read().then(step);
        };
        reader.read().then(step).catch(() => {});
        return response;
      };
      // Compile the WebAssembly while it downloads; runtime.js hands the module over.
      // The fetch's own response (served as application/wasm), so the browser can cache
      // the compiled code under its URL; a server with another type gets a plain compile.
      boot.wasm = WebAssembly.compileStreaming(fetch(files.wasm_raw).then(count))
        .catch(() => fetch(files.wasm_raw).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b)));
      boot.wasm.catch(() => {});   // runtime.js reports a failure when it awaits it
    } else if (!http) {
      hint('preload', files.wasm, 'script');
      hint('preload', files.glue, 'script');
    }
    // The decoder page's first image needs the decoder; the compression page its four models.
    for (const key of ['decoder', 'encoder', 'decoder30', 'encoder30']) {
      if (files[key] && (key !== 'encoder' || !files.points)) hint('preload', files[key], 'script');
    }
  }

  // What answers the pointer comes first, alone: the decoder page's points and real digits
  // (about a twentieth of the runtime's bytes). `go` settles when they are in (or failed)
  // and the runtime's downloads have started; runtime.js waits for it.
  const first = ['points', 'digits'].filter((key) => files[key]).map((key) => new Promise((done) => {
    const link = hint('preload', files[key], 'script');
    link.onload = link.onerror = () => done();
  }));
  boot.go = Promise.all(first).then(startRuntime);
})();
