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
 * are asked for first; the WebAssembly, the runtime's bulk, at low priority after them.
 * `AEDEMO_BOOT.wasmBytes` counts the WebAssembly's bytes as they arrive (a clone of the
 * response, read and dropped), for the progress indicator (progress.js); `wasmDone` turns
 * true when the last has come.
 *
 * Owns: window.AEDEMO_BOOT. May touch: the <link> elements it adds to <head>.
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
  }

  // What answers the pointer first: the decoder page's points and real digits.
  for (const key of ['points', 'digits']) if (files[key]) hint('preload', files[key], 'script');
  hint('preload', files.ort, 'script');
  const boot = (window.AEDEMO_BOOT = { wasm: null, wasmBytes: 0, wasmDone: false });
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
    const download = fetch(files.wasm_raw, { priority: 'low' }).then(count);
    boot.wasm = WebAssembly.compileStreaming(download)
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
})();
