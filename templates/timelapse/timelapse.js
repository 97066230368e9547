/*
 * aedemo: the "Watch the map form" section. Its files (the time-lapse's codes, the
 * checkpoint decoders, the no-pretraining twin's decoder, and the scripts scrubber.js,
 * compare.js, dotmap.js) load only when the learner opens the section (lazy.js, the
 * `timelapse` group of config.lazy), after the page's own decoder is ready, so the first
 * decoded image never waits for them. Then it creates the scrubber and the side-by-side
 * maps, and moves the model card's scrubber lines (the curves' `.mc-scrub`) to the
 * moment shown.
 *
 * Owns: whether the section has loaded (or failed), its status line, the card's scrubber
 * lines. May touch: the section's elements (`#lapse-*`, `#pair-*`) through the parts it
 * creates, the card's `.mc-scrub` lines.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).lapse = (() => {
  function create({ root, rt, config, lazy, card, side }) {
    const lib = window.AEDEMO_LIB;
    const $ = (id) => document.getElementById(id);
    let state = 'closed';
    let scrubber = null;
    let compare = null;
    let loading = null;
    if (!root || !lazy.has('timelapse')) return { state: () => 'absent', open: () => Promise.resolve(), scrubber: () => null, compare: () => null };
    const details = root.querySelector('details');
    const status = $('lapse-status');

    /** The card's scrubber line of one chart at `epoch` (1-based), or hidden (null). */
    function cardLine(chart, epoch) {
      const line = card && card.querySelector(`[data-chart="${chart}"] .mc-scrub`);
      if (!line) return;
      if (epoch === null) {
        line.setAttribute('visibility', 'hidden');
        return;
      }
      const [e0, e1] = line.dataset.epochs.split(' ').map(Number);
      const [x0, x1] = line.dataset.xs.split(' ').map(Number);
      const x = e1 > e0 ? x0 + ((epoch - e0) / (e1 - e0)) * (x1 - x0) : x0;
      line.setAttribute('x1', String(x));
      line.setAttribute('x2', String(x));
      line.setAttribute('visibility', 'visible');
      line.dataset.epoch = String(epoch);
    }

    function onMoment(data, k) {
      const mo = data.moments[k];
      cardLine('pretraining', mo.phase === 'rbm' ? mo.epoch : null);
      cardLine('finetune', mo.phase === 'rbm' ? null : mo.phase === 'unrolled' ? 1 : mo.epoch);
    }

    async function load() {
      state = 'loading';
      status.hidden = false;
      status.textContent = 'Loading the time-lapse\u2026';
      await rt.ready;
      const values = await lazy.load('timelapse');
      const data = lib.scrubber.unpack(values.timelapse, rt.fromBase64);
      // the kept checkpoint (key null) is the page's own decoder
      const decoders = data.checkpoints.map((c) => ({
        moment: c.moment, ...(c.key === null ? { ready: rt.ready, decode: rt.decode } : rt.decoderFrom(values[c.key])),
      }));
      const twin = rt.decoderFrom(values.twin);
      await Promise.all([...decoders.map((d) => d.ready), twin.ready]);
      const local = (error) => { status.hidden = false; status.textContent = `The time-lapse failed: ${error.message}`; };
      const common = { side, palette: config.palette, theme: config.theme, fail: local, format: lib.format };
      scrubber = lib.scrubber.create({
        ...common, data, decoders, onMoment: (k) => onMoment(data, k),
        els: {
          canvas: $('lapse-canvas'), digit: $('lapse-digit'), caption: $('lapse-caption'), range: $('lapse-range'),
          play: $('lapse-play'), moment: $('lapse-moment'), mse: $('lapse-mse'), knn: $('lapse-knn'),
          jumps: [...root.querySelectorAll('[data-jump]')],
        },
      });
      compare = lib.compare.create({
        ...common, labels: data.labels, caption: $('pair-caption'),
        maps: [
          { canvas: $('pair-pre'), digit: $('pair-pre-digit'), u: data.final, decode: rt.decode },
          { canvas: $('pair-twin'), digit: $('pair-twin-digit'), u: data.twin, decode: twin.decode },
        ],
      });
      status.hidden = true;
      state = 'ready';
      root.dataset.state = state;
    }

    function open() {
      if (!loading) {
        loading = load().catch((error) => {
          state = 'failed';
          root.dataset.state = state;
          status.textContent = `The time-lapse could not be loaded: ${error.message}`;
          loading = null;
        });
      }
      return loading;
    }

    details.addEventListener('toggle', () => { if (details.open) open(); });
    if (details.open) open();

    return { state: () => state, open: () => { details.open = true; return open(); }, scrubber: () => scrubber, compare: () => compare };
  }

  return { create };
})();
