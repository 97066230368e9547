/*
 * aedemo runtime: loads onnxruntime-web and the models (their data scripts through
 * datafiles.js) and runs the models.
 *
 * Both models take and return float32: the decoder u [N,2] → image [N,784], the
 * encoder image [N,784] in [0,1] → u [N,2]. One session runs at a time, so every run
 * goes through one queue, in the order asked. `start` is the decoder page's; `open`
 * loads any named models of config.files for another page of the series (the
 * compression page's four), with the same loading of onnxruntime-web and one queue.
 *
 * Loaded in <head> with data-start after datafiles.js (builder/page_scripts.py HEAD), it
 * starts at once; app.js takes the started runtime with start(config).
 *
 * Owns: the onnxruntime sessions (also those of other decoders, `decoderFrom`), the run
 * queue, the call counters, the page's timing marks. May touch: what datafiles.js may
 * (the data scripts it loads through it).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).runtime = (() => {
  const { loadScript, take, fromBase64, gunzip, loadPoints, loadDigits, loadUnits } = window.AEDEMO_LIB.datafiles;

  class NoWebAssembly extends Error {}

  /** Compile WebAssembly from a byte stream while it arrives. */
  function compileStreaming(stream) {
    return WebAssembly.compileStreaming(new Response(stream, { headers: { 'Content-Type': 'application/wasm' } }));
  }

  /**
   * A module that wraps onnxruntime-web's glue (at `glueUrl`) so that it instantiates the
   * WebAssembly compiled ahead (window.AEDEMO_WASM, a Promise of a WebAssembly.Module)
   * instead of fetching and compiling it itself: Emscripten's `instantiateWasm` hook.
   */
  function precompiledGlue(glueUrl) {
    return `import factory from ${JSON.stringify(glueUrl)};
export default (options = {}) => factory({ ...options, instantiateWasm(imports, done) {
  window.AEDEMO_WASM.then((module) => WebAssembly.instantiate(module, imports).then((instance) => done(instance, module)));
  return {};
} });
`;
  }

  /**
   * The ONNX bytes of a model packed by builder/modelpack.py: gunzip, then each span of
   * n float32 numbers back from four byte planes (all first bytes, all second bytes, ...)
   * to n consecutive little-endian numbers. The same bytes as the build's .onnx file.
   */
  async function unpackModel(packed) {
    const body = await gunzip(fromBase64(packed.gz));
    if (body.length !== packed.bytes) throw new Error('a packed model is truncated');
    const bytes = body.slice();
    for (const [at, n] of packed.planes) {
      for (let k = 0; k < 4; k++) {
        const plane = at + k * n;
        for (let i = 0; i < n; i++) bytes[at + 4 * i + k] = body[plane + i];
      }
    }
    return bytes;
  }

  // ------------------------------------------------------------------ models

  let started = null;

  /**
   * Load onnxruntime-web and its WebAssembly (compiled while its bytes arrive: over http
   * streamed from beside ort.wasm.min.js, which boot.js starts at once and the browser
   * can keep compiled for the next visit; from file://, where fetch() and import() of
   * files fail, gunzipped from its data script) and, at the same time, the data scripts
   * `models` ([src, key] pairs). Resolves with the models' bytes, in that order, once
   * sessions can be made.
   */
  async function initialise(files, mark, models) {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      throw new NoWebAssembly('WebAssembly is not available');
    }
    const http = location.protocol === 'http:' || location.protocol === 'https:';
    const boot = window.AEDEMO_BOOT || {};
    await boot.go;   // boot.js asks for what answers the pointer first, then for the runtime's files
    const compiled = http ? (boot.wasm || WebAssembly.compileStreaming(fetch(files.wasm_raw))) : null;
    const [, wasm, glue, ...bytes] = await Promise.all([
      loadScript(files.ort),
      http ? null : take(files.wasm, 'wasm'),
      http ? null : take(files.glue, 'glue'),
      ...models.map(([src, key]) => take(src, key)),
    ]);
    mark('scripts');
    const { env } = window.ort;
    env.logLevel = 'error';
    env.wasm.numThreads = 1;   // threads need cross-origin isolation, which static hosts cannot give
    env.wasm.proxy = false;
    window.AEDEMO_WASM = compiled || compileStreaming(new Response(fromBase64(wasm)).body
      .pipeThrough(new DecompressionStream('gzip')));
    const glueUrl = http ? new URL(files.mjs, document.baseURI).href
      : URL.createObjectURL(new Blob([glue], { type: 'text/javascript' }));
    env.wasm.wasmPaths = { mjs: URL.createObjectURL(new Blob([precompiledGlue(glueUrl)], { type: 'text/javascript' })) };
    mark('unpacked');
    return bytes;
  }

  /** A session of a model packed by builder/modelpack.py (a data script's value). */
  async function createSession(packed) {
    return window.ort.InferenceSession.create(await unpackModel(packed), { executionProviders: ['wasm'] });
  }

  /**
   * The one run queue over `sessions` (name → Promise of a session). `run(name, data,
   * rows, width, input, fetches, session)` runs one model (or `session`, counted as `name`) on a float32 batch [rows, width] after
   * every run asked before it; resolves with { output name: a copy of its values }.
   * `runs` and `batches` (those with more than one row) count the calls per name.
   */
  function runner(sessions) {
    const runs = {};
    const batches = {};
    let queue = Promise.resolve();
    function run(name, data, rows, width, input, fetches, session = null) {
      const job = queue.then(async () => {
        const s = await (session || sessions[name]);
        runs[name] = (runs[name] || 0) + 1;
        if (rows > 1) batches[name] = (batches[name] || 0) + 1;
        const feeds = { [input]: new window.ort.Tensor('float32', data, [rows, width]) };
        const result = await s.run(feeds, fetches);   // only what is asked: not the layers
        const values = {};
        for (const key of fetches) {
          values[key] = Float32Array.from(result[key].data);
          result[key].dispose();
        }
        return values;
      });
      queue = job.catch(() => {});
      return job;
    }
    return { run, runs, batches };
  }

  /**
   * Another page's models: `names` are keys of config.files whose data scripts hold the
   * models (packed, builder/modelpack.py) and of config.models ({ input, output, width } each). Returns
   * { ready, run(name, data, rows), runs, batches }: `ready` settles when every session
   * can run; run resolves with a copy of the model's output.
   */
  function open(config, names, mark = () => {}) {
    const loaded = initialise(config.files, mark, names.map((n) => [config.files[n], n]))
      .then((bytes) => Promise.all(bytes.map(createSession)));
    const sessions = Object.fromEntries(names.map((n, i) => [n, loaded.then((all) => all[i])]));
    const queue = runner(sessions);
    function run(name, data, rows) {
      const io = config.models[name];
      return queue.run(name, Float32Array.from(data), rows, io.width, io.input, [io.output])
        .then((values) => values[io.output]);
    }
    return { ready: loaded.then(() => undefined), run, runs: queue.runs, batches: queue.batches };
  }

  /**
   * Start loading everything the page needs, once: the first call begins (this script
   * makes it from <head> when its tag has data-start, so the decoder loads while the
   * rest of the page downloads), later calls get the same runtime.
   * Returns { ready, loaded, decode, decodeBatch, encode, encodeBatch, iterate, roundTrip,
   * points, digits, runs, batches, timings, mark }: `ready` settles when the decoder has
   * run once, `loaded` when the encoder and the digits are there too (`points` and
   * `digits` settle on their own, before the decoder as a rule); `timings` are the
   * page's marks (ms after navigation), `mark(name)` records one, the first time only.
   */
  function start(config) {
    if (!started) started = begin(config);
    return started;
  }

  function begin(config) {
    const timings = {};
    const mark = (name) => {
      if (!(name in timings)) timings[name] = Math.round(performance.now());
    };
    const PIXELS = config.side * config.side;
    const { files } = config;
    // The points and the real digits need no runtime: boot.js asks for them first, and the
    // page answers the pointer with them (coordinates, the nearest digits) before the
    // decoder is there.
    const points = loadPoints(files.points);
    const digits = loadDigits(files.digits, PIXELS);
    const decoderSession = (async () => {
      const [model] = await initialise(files, mark, [[files.decoder, 'decoder']]);
      const session = await createSession(model);
      // One run now, not counted: onnxruntime-web's kernels get ready while the page's
      // other scripts may still be on their way, so the first image waits for neither.
      const warm = await session.run({ [config.input]: new window.ort.Tensor('float32', new Float32Array(2), [1, 2]) },
        [config.output]);
      warm[config.output].dispose();
      mark('ready');
      return session;
    })();

    // The encoder waits for the decoder, so the first image is not delayed.
    const encoderSession = decoderSession.then(async () => createSession(await take(files.encoder, 'encoder')));
    const ready = decoderSession.then(() => undefined);
    const loaded = Promise.all([decoderSession, encoderSession, digits]).then(() => undefined);
    const queue = runner({ decoder: decoderSession, encoder: encoderSession });
    const { runs, batches } = queue;
    Object.assign(runs, { decoder: 0, encoder: 0 });      // calls of each model
    Object.assign(batches, { decoder: 0, encoder: 0 });   // those with more than one row
    // Started in <head>, before app.js can listen: a failure waits for it to be asked.
    for (const p of [decoderSession, encoderSession, points, digits, ready, loaded]) p.catch(() => {});

    /**
     * Run one model on a float32 batch in the queue; resolves with a copy of its first
     * output (the image or the code), or, with `outputs` (names), with an object of a
     * copy of each of those.
     */
    function run(which, data, rows, outputs = null, session = null) {
      const [input, output, width] = which === 'decoder'
        ? [config.input, config.output, 2]
        : [config.encoderInput, config.encoderOutput, PIXELS];
      return queue.run(which, data, rows, width, input, outputs || [output], session)
        .then((values) => (outputs ? values : values[output]));
    }

    function checkFinite(values, name) {
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) throw new TypeError(`${name} needs finite numbers`);
      }
    }

    /** One point → Float32Array of side*side grey levels. */
    function decode(u1, u2) {
      if (!Number.isFinite(u1) || !Number.isFinite(u2)) {
        return Promise.reject(new TypeError('decode(u1, u2) needs two finite numbers'));
      }
      return run('decoder', Float32Array.of(u1, u2), 1);
    }

    /** n points as [u1, u2, u1, u2, ...] (2n numbers) → Float32Array of n*784 grey levels. */
    function decodeBatch(u) {
      try {
        const data = Float32Array.from(u);
        if (data.length % 2) throw new TypeError('decodeBatch(u) needs an even number of values');
        checkFinite(data, 'decodeBatch(u)');
        if (data.length === 0) return Promise.resolve(new Float32Array(0));
        return run('decoder', data, data.length / 2);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    function imageBatch(images, name) {
      const data = Float32Array.from(images);
      if (data.length % PIXELS) throw new TypeError(`${name} needs a multiple of ${PIXELS} values`);
      for (let i = 0; i < data.length; i++) {
        if (!(data[i] >= 0 && data[i] <= 1)) throw new RangeError(`${name} needs values in [0, 1]`);
      }
      return data;
    }

    /** One image (784 values in [0, 1]) → its code [u1, u2]. */
    function encode(pixels) {
      try {
        const data = imageBatch(pixels, 'encode(pixels)');
        if (data.length !== PIXELS) throw new TypeError(`encode(pixels) needs ${PIXELS} values`);
        return run('encoder', data, 1).then((u) => [u[0], u[1]]);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    /** n images (n*784 values in [0, 1]) → Float32Array of their n codes (2n values). */
    function encodeBatch(images) {
      try {
        const data = imageBatch(images, 'encodeBatch(images)');
        if (data.length === 0) return Promise.resolve(new Float32Array(0));
        return run('encoder', data, data.length / PIXELS);
      } catch (error) {
        return Promise.reject(error);
      }
    }

    /**
     * Repeat u → decode → clip to [0, 1] → encode → u' from (u1, u2), rounded to float32.
     * Stops after the first step that moves less than `tolerance` (Euclidean, plane
     * units) or after `maxSteps` steps. Resolves with the path [[u1, u2], ...], start first.
     */
    async function iterate(u1, u2, { tolerance = 1e-3, maxSteps = 50 } = {}) {
      if (!Number.isFinite(u1) || !Number.isFinite(u2)) throw new TypeError('iterate(u1, u2) needs two finite numbers');
      let u = [Math.fround(u1), Math.fround(u2)];
      const path = [u];
      for (let step = 0; step < maxSteps; step++) {
        const image = await decode(u[0], u[1]);
        for (let i = 0; i < image.length; i++) image[i] = Math.min(1, Math.max(0, image[i]));
        const next = await encode(image);
        path.push(next);
        const moved = Math.hypot(next[0] - u[0], next[1] - u[1]);
        u = next;
        if (moved < tolerance) break;
      }
      return path;
    }

    /**
     * One point → { image, layers }: the decoded image and the activations of the
     * decoder's hidden layers (config.decoderLayers, e.g. 25, 50 and 100 units), from
     * the same graph and the same run.
     */
    async function decodeLayers(u1, u2) {
      if (!Number.isFinite(u1) || !Number.isFinite(u2)) throw new TypeError('decodeLayers(u1, u2) needs two finite numbers');
      const names = config.decoderLayers.map((l) => l.name);
      const out = await run('decoder', Float32Array.of(u1, u2), 1, [config.output, ...names]);
      return { image: out[config.output], layers: names.map((n) => out[n]) };
    }

    let unitsLoad = null;

    /**
     * What each unit of the decoder's first two hidden layers draws alone (datafiles.js
     * loadUnits), loaded on the first call: the page's first image never waits for it.
     */
    function units() {
      if (!unitsLoad) unitsLoad = loadUnits(files.units, PIXELS);
      return unitsLoad;
    }

    /**
     * Another decoder of the same shape (u [N,2] → image [N,784]; a training checkpoint's,
     * the no-pretraining twin's) from its packed ONNX bytes (modelpack), run through the one queue
     * once the runtime is ready: { ready, decode(u1, u2) → Float32Array of side*side }.
     */
    function decoderFrom(packed) {
      const session = decoderSession.then(async () => window.ort.InferenceSession.create(await unpackModel(packed),
        { executionProviders: ['wasm'] }));
      return {
        ready: session.then(() => undefined),
        decode(u1, u2) {
          if (!Number.isFinite(u1) || !Number.isFinite(u2)) {
            return Promise.reject(new TypeError('decode(u1, u2) needs two finite numbers'));
          }
          return run('decoder', Float32Array.of(u1, u2), 1, null, session);
        },
      };
    }

    /** Where each point of a batch drifts in one round trip: Float32Array 2n → 2n. */
    async function roundTrip(u) {
      const images = await decodeBatch(u);
      for (let i = 0; i < images.length; i++) images[i] = Math.min(1, Math.max(0, images[i]));
      return encodeBatch(images);
    }

    return {
      ready, loaded, points, digits, runs, batches, timings, mark,
      decode, decodeBatch, decodeLayers, units, encode, encodeBatch, iterate, roundTrip, decoderFrom, fromBase64,
    };
  }

  const script = document.currentScript;
  if (script && script.hasAttribute('data-start')) {
    try {
      start(window.AEDEMO_BOOT.config);   // parsed by boot.js
    } catch {
      started = null;   // app.js starts again and reports what failed
    }
  }

  return { start, open, unpackModel, NoWebAssembly };
})();
