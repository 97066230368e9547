/*
 * aedemo: the compression page's wiring (templates/compression.html), loaded last. The
 * input (a drawing on the pad, a real test image or the letter B) gets noise (noise.js:
 * Gaussian σ, salt and pepper, the eraser dragged over the noisy image, one seed), and
 * the noisy image goes through the four reconstructions: the 2-D autoencoder (encoder
 * → decoder, as on the decoder page), the 30-D one (encoder30 → decoder30), PCA-2 and
 * PCA-30 (pca.js, in the page). The panels show each with its error against the clean
 * image; the bars show the 30-D code and, dragged, redecode it; Iterate repeats both
 * round trips (iterate.js). Every change runs through lib.latest: the newest input wins.
 *
 * Owns: the config, what has loaded (models, PCA basis, test images), the clean and the
 * noisy input, the eraser's mask, the versions that tell when the page has settled.
 * May touch: the page's controls (#pad-clear, #sample-random, #sample-next, #letter-b,
 * #noise-sigma, #noise-salt, #noise-seed and their outputs, #erase-clear, #iterate,
 * #code-reset), #input-note, the noisy panel's canvas pointer events, window.aedemo.
 */
'use strict';

(() => {
  const lib = window.AEDEMO_LIB;
  const $ = (id) => document.getElementById(id);
  const { config } = window.AEDEMO_BOOT;   // parsed by boot.js
  const { side, words } = config;
  const PIXELS = side * side;
  const rt = lib.runtime.open(config, ['encoder', 'decoder', 'encoder30', 'decoder30']);
  const note = $('input-note');
  const status = lib.status.create({ status: $('status'), text: $('status-text'), hint: note,
    plane: $('panels'), words, NoWebAssembly: lib.runtime.NoWebAssembly });
  const fail = (error) => status.fail(error);
  const controls = ['pad-clear', 'sample-random', 'sample-next', 'letter-b', 'noise-sigma', 'noise-salt',
    'noise-seed', 'erase-clear', 'iterate', 'code-reset'].map($);
  const [sigmaEl, saltEl, seedEl] = ['noise-sigma', 'noise-salt', 'noise-seed'].map($);

  let pca = null;
  let samples = null;
  let sample = -1;                       // the test image shown, or -1
  let ready = false;
  let clean = null;                      // Float32Array(PIXELS) or null
  let noisy = null;
  const erased = new Uint8Array(PIXELS);
  let version = 0;                       // of the input and its noise
  let done = 0;                          // the version shown

  const panels = lib.panels.create($('panels'), side);
  const job = lib.latest(update, { fail, done: () => job.start() });
  const editJob = lib.latest(redecode, { fail, done: () => editJob.start() });
  const bars = lib.codeBars.create({
    canvas: $('code-bars'), lo: config.codeLo, hi: config.codeHi, theme: config.theme,
    onEdit: () => { editJob.want(bars.code()); editJob.start(); },
  });
  const drift = lib.drift.create({
    rows: { ae2: document.querySelector('[data-drift="ae2"]'), ae30: document.querySelector('[data-drift="ae30"]') },
    side, roundTrip,
  });
  const pad = lib.pad.create($('pad'), config.theme, (why) => {
    if (why !== 'load') sample = -1;
    if (why === 'load' || why === 'clear' || why === 'strokes') erased.fill(0);
    changed();
  });

  function changed() {
    version += 1;
    drift.clear();
    job.want(version);
    job.start();
  }

  /** The pad's input: the loaded image exactly, or the drawing preprocessed (mnist.js). */
  function padInput() {
    const source = pad.source();
    if (!source) return null;
    if (source.kind === 'image') return Float32Array.from(source.pixels);
    const result = lib.mnist.preprocess(pad.raster(), pad.size, pad.size);
    return result ? result.image : null;
  }

  function settings() {
    const seed = Math.max(0, Math.floor(Number(seedEl.value) || 0));
    return { sigma: Number(sigmaEl.value), salt: Number(saltEl.value), seed, erased };
  }

  /** encoder → decoder of one of the two autoencoders: the raw reconstruction of `x`. */
  async function roundTrip(name, x) {
    const [enc, dec] = name === 'ae2' ? ['encoder', 'decoder'] : ['encoder30', 'decoder30'];
    return rt.run(dec, await rt.run(enc, x, 1), 1);
  }

  async function update(v) {
    clean = padInput();
    if (!clean) {
      noisy = null;
      panels.clear();
      bars.set(null);
      note.textContent = `Draw ${words.a_noun}, or pick a real one.`;
      done = v;
      return;
    }
    noisy = lib.noise.apply(clean, settings());
    panels.show('clean', clean, null);
    panels.show('noisy', noisy, clean);
    panels.show('pca2', pca.reconstruct(noisy, 2), clean);
    panels.show('pca30', pca.reconstruct(noisy, pca.k), clean);
    const u = await rt.run('encoder', noisy, 1);
    const y2 = await rt.run('decoder', u, 1);
    const z = await rt.run('encoder30', noisy, 1);
    const y30 = await rt.run('decoder30', z, 1);
    panels.show('ae2', y2, clean);
    panels.show('ae30', y30, clean);
    $('panels').querySelector('[data-panel="ae30"]').dataset.edited = 'false';
    bars.set(z);
    describe();
    done = v;
  }

  /** The 30-D panel from the code as the bars hold it (after a drag). */
  async function redecode(code) {
    const y = await rt.run('decoder30', code, 1);
    if (clean) {
      panels.show('ae30', y, clean);
      $('panels').querySelector('[data-panel="ae30"]').dataset.edited = 'true';
    }
  }

  function describe() {
    const s = settings();
    const parts = [];
    if (s.sigma > 0) parts.push(`Gaussian noise σ = ${s.sigma.toFixed(2)}`);
    if (s.salt > 0) parts.push(`salt and pepper on ${Math.round(100 * s.salt)} % of the pixels`);
    const n = erased.reduce((a, b) => a + b, 0);
    if (n) parts.push(`${n} pixels erased`);
    const what = sample >= 0
      ? `A real ${config.classes[samples.labels[sample]]} (test image ${sample + 1} of the ${samples.n} here)`
      : (pad.source() && pad.source().name) || 'Your drawing';
    note.textContent = `${what}${parts.length ? `, with ${parts.join(', ')} (seed ${s.seed})` : ', without noise'}.`;
  }

  function loadSample(i) {
    sample = ((i % samples.n) + samples.n) % samples.n;
    pad.loadDigit(sample, samples.grey(sample), samples.pixels(sample));
  }

  /** The eraser: dragging over the noisy image blanks a disc of the input. */
  const noisyCanvas = $('panels').querySelector('[data-panel="noisy"] canvas');
  let erasing = null;
  function eraseAt(event) {
    const rect = noisyCanvas.getBoundingClientRect();
    const x = (event.clientX - rect.left) / rect.width * side;
    const y = (event.clientY - rect.top) / rect.height * side;
    if (lib.noise.eraseDisc(erased, side, x, y)) changed();
  }
  noisyCanvas.addEventListener('pointerdown', (event) => {
    if (!ready || !clean || erasing !== null) return;
    event.preventDefault();
    erasing = event.pointerId;
    noisyCanvas.setPointerCapture(event.pointerId);
    eraseAt(event);
  });
  noisyCanvas.addEventListener('pointermove', (event) => { if (event.pointerId === erasing) eraseAt(event); });
  for (const type of ['pointerup', 'pointercancel']) {
    noisyCanvas.addEventListener(type, (event) => { if (event.pointerId === erasing) erasing = null; });
  }

  function showNoise() {
    $('noise-sigma-value').textContent = Number(sigmaEl.value).toFixed(2);
    $('noise-salt-value').textContent = `${Math.round(100 * Number(saltEl.value))} %`;
  }
  for (const el of [sigmaEl, saltEl, seedEl]) el.addEventListener('input', () => { showNoise(); changed(); });
  $('pad-clear').addEventListener('click', () => pad.clear());
  $('sample-random').addEventListener('click', () => loadSample(Math.floor(Math.random() * samples.n)));
  $('sample-next').addEventListener('click', () => loadSample(sample + 1));
  $('letter-b').addEventListener('click', () => pad.drawStrokes(lib.letters.B, 'The letter B'));
  $('erase-clear').addEventListener('click', () => { erased.fill(0); changed(); });
  $('code-reset').addEventListener('click', () => changed());
  $('iterate').addEventListener('click', () => {
    if (noisy && !drift.running()) drift.run(noisy, clean).catch(fail);
  });
  seedEl.value = String(config.noiseSeed);
  showNoise();

  const basis = lib.datafiles.take(config.files.pca, 'pca').then((p) => {
    pca = lib.pca.create(lib.datafiles.float32s(p.mean), lib.datafiles.float32s(p.components), p.k);
  });
  const images = lib.datafiles.loadDigits(config.files.samples, PIXELS, 'samples').then((d) => { samples = d; });
  lib.offline.register(config.files.worker, rt.ready);   // offline after this visit (http(s) only)

  Promise.all([rt.ready, basis, images]).then(() => {
    ready = true;
    status.hide();
    $('panels').removeAttribute('aria-busy');
    pad.enable();
    for (const el of controls) el.disabled = false;
    loadSample(0);
  }).catch(fail);

  const settled = () => ready && done === version && !job.busy() && !job.waiting()
    && !editJob.busy() && !editJob.waiting() && !drift.running();

  window.aedemo = {
    ready: () => ready,
    settled,
    failed: () => status.failed(),
    state: () => ({
      version,
      sample,
      noise: { sigma: settings().sigma, salt: settings().salt, seed: settings().seed,
        erased: erased.reduce((a, b) => a + b, 0) },
      panels: Object.fromEntries(panels.names.map((n) => [n, panels.get(n)])),
      code30: bars.code() ? Array.from(bars.code()) : null,
      edited: bars.edited(),
    }),
    loadSample,
    drawLetter: () => pad.drawStrokes(lib.letters.B, 'The letter B'),
    iterate: () => (noisy ? drift.run(noisy, clean) : Promise.resolve(false)),
    drift: drift.errors,
    pca: (x, m) => Array.from(pca.reconstruct(Float32Array.from(x), m)),
    noise: (x, s) => Array.from(lib.noise.apply(Float32Array.from(x), s)),
    runs: rt.runs,
  };
})();
