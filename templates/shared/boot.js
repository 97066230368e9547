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

  hint('preload', files.ort, 'script');
  const wasmOk = typeof WebAssembly === 'object' && typeof WebAssembly.compileStreaming === 'function';
  if (http && wasmOk) {
    hint('modulepreload', files.mjs);
    // Compile the WebAssembly while it downloads; runtime.js hands the module over.
    // The fetch's own response (served as application/wasm), so the browser can cache
    // the compiled code under its URL; a server with another type gets a plain compile.
    const wasm = WebAssembly.compileStreaming(fetch(files.wasm_raw))
      .catch(() => fetch(files.wasm_raw).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b)));
    window.AEDEMO_BOOT = { wasm };
    window.AEDEMO_BOOT.wasm.catch(() => {});   // runtime.js reports a failure when it awaits it
  } else if (!http) {
    hint('preload', files.wasm, 'script');
    hint('preload', files.glue, 'script');
  }
  // The decoder page's first image needs the decoder and the points; the compression page
  // its four models (and no points).
  for (const key of ['decoder', 'points', 'encoder', 'decoder30', 'encoder30']) {
    if (files[key] && (key !== 'encoder' || !files.points)) hint('preload', files[key], 'script');
  }
})();
