/*
 * aedemo: the public API, window.aedemo, built from the accessors of the page's parts.
 *
 *   aedemo.ready                 Promise that settles when the decoder can run
 *   aedemo.loaded                Promise that settles when the encoder and the real digits are there too
 *   aedemo.decode(u1, u2)        Promise of a Float32Array with side*side grey levels
 *   aedemo.decodeBatch(u)        u: 2n numbers [u1, u2, ...] → Promise of a Float32Array of n*side*side
 *   aedemo.decodeLayers(u1, u2)  Promise of {image, layers: [Float32Array, ...]}: the decoder's hidden
 *                                layers (config.decoderLayers) from the same run as the image
 *   aedemo.encode(pixels)        side*side values in [0, 1] → Promise of [u1, u2]
 *   aedemo.encodeBatch(images)   n*side*side values → Promise of a Float32Array of 2n
 *   aedemo.iterate(u1, u2)       Promise of the encode→decode path [[u1, u2], ...]
 *   aedemo.preprocess(ink, w, h) an ink raster (bytes) → the MNIST-like Float32Array image, or null
 *   aedemo.nearest(u1, u2, k)    the k real digits whose codes lie nearest: [{index, label, u1, u2, d2}]
 *   aedemo.link()                the link to the current cursor and stamps
 *   aedemo.version, .timings, .stats   onnxruntime-web's version, page timings (ms), model calls
 *   aedemo.plane                 the plane (for tests and tools): toPlane, toScreen, cursor(),
 *                                stamps(), pending() (stamps still decoding), dpr(), view(),
 *                                tiles(), drift(), paths(), marker(),
 *                                selected(), strip(), dimmed() (the classes the story dims),
 *                                rings(), trail() (the story's marks, plane points), trailLabels()
 *                                (the trail's labels: a shift's pixels, or null),
 *                                maps() ({smooth, unfamiliar}: each map's cells and values, or null)
 *   aedemo.pad                   the pad: raster(), input(), settled(), code(), loadDigit(i),
 *                                clear(), size, trail() (the probe's trail of codes),
 *                                probe() (its settings), act(name) (a probe action)
 *   aedemo.layers                shown() ({u, layers} the layer panel shows, or null), unit()
 *                                (the unit hovered, {layer, index}, or null)
 *   aedemo.story                 the story's actions: run(name, letter), state() ({running,
 *                                last, runs, active}), outside() (the letters measured)
 *   aedemo.lapse                 the time-lapse: state() ('absent', 'closed', 'loading', 'ready',
 *                                'failed'), open() (loads it), play(), pause(), seek(moment),
 *                                shown() ({position, moment, label, codes, playing}), hover(u1, u2),
 *                                decoded(); point(u1, u2) and pair() for the linked maps
 * Everything returned is a copy or a fresh object, except selected() (the selection's point).
 *
 * Owns: nothing. May touch: nothing; it only reads the parts through their accessors.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).api = (() => {
  const copy = (u) => (u ? [...u] : null);

  function create({ rt, config, timings, view, drawing, overlays, preview, stamps, strip, pad, story, lapse, input, sharing }) {
    const code = () => copy(pad.marker() && pad.marker().u);
    const api = {
      ready: rt.ready.then(() => api),
      loaded: rt.loaded.then(() => api),
      decode: rt.decode,
      decodeBatch: rt.decodeBatch,
      decodeLayers: (u1, u2) => rt.decodeLayers(u1, u2).then(({ image, layers }) => ({ image, layers })),
      encode: rt.encode,
      encodeBatch: rt.encodeBatch,
      iterate: (u1, u2) => rt.iterate(u1, u2),
      preprocess: (ink, width, height) => {
        const result = window.AEDEMO_LIB.mnist.preprocess(ink, width, height);
        return result ? result.image : null;
      },
      nearest: preview.nearest,
      link: sharing.link,
      version: config.ortVersion,
      timings,
      stats: { runs: rt.runs, batches: rt.batches },
      plane: {
        toPlane: view.toPlane,
        toScreen: view.toScreen,
        cursor: () => copy(input.cursor()),
        stamps: () => stamps.placed().map(({ u1, u2, x, y, size, selected }) => ({ u1, u2, x, y, size, selected })),
        pending: stamps.pending,
        dpr: () => view.dpr,
        view: () => ({ scale: view.scale, ox: view.ox, oy: view.oy, version: view.version, zoom: view.zoom() }),
        tiles: overlays.tiles,
        drift: overlays.drift,
        paths: () => stamps.paths().map((p) => p.map((q) => [...q])),
        marker: code,
        selected: stamps.selectedPoint,
        strip: strip.snapshot,
        dimmed: drawing.dimmed,
        rings: story.rings,
        trail: story.trail,
        trailLabels: story.trailLabels,
        maps: overlays.maps,
      },
      pad: {
        raster: pad.raster,
        input: pad.input,
        settled: pad.settled,
        code,
        loadDigit: pad.loadDigit,
        clear: pad.clear,
        size: pad.size,
        trail: pad.trail,
        probe: pad.probe.state,
        act: pad.probe.act,
      },
      layers: { shown: preview.layers, unit: preview.unit },
      story: { run: story.run, state: story.state, outside: story.outside },
      lapse: {
        state: lapse.state,
        open: () => lapse.open(),
        play: () => lapse.scrubber() && lapse.scrubber().play(),
        pause: () => lapse.scrubber() && lapse.scrubber().pause(),
        seek: (k) => lapse.scrubber() && lapse.scrubber().seek(k),
        hover: (u1, u2) => lapse.scrubber() && lapse.scrubber().hoverAt([u1, u2]),
        shown: () => (lapse.scrubber() ? lapse.scrubber().shown() : null),
        decoded: () => (lapse.scrubber() ? lapse.scrubber().decoded() : null),
        point: (u1, u2) => lapse.compare() && lapse.compare().point([u1, u2]),
        pair: () => (lapse.compare() ? lapse.compare().shown() : null),
      },
    };
    // The promises above settle for the page's own use too; a failure is reported by the page.
    api.ready.catch(() => {});
    api.loaded.catch(() => {});
    return api;
  }

  return { create };
})();
