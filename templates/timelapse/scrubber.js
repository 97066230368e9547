/*
 * aedemo (loaded with the time-lapse, see lazy.js): the training time-lapse. A scrubber
 * with play/pause over every recorded moment of the real training run (the top RBM's
 * epochs, the unrolled net, each fine-tuning epoch, the epoch kept); the map of the
 * recorded test images morphs between moments (each dot moves on a straight line, the
 * frame with it), the moment's test MSE and kNN-5 are shown, and hovering decodes with
 * the checkpoint nearest to the moment shown. The kept moment shows the page's own
 * final codes (float32, exactly); the others the recorded uint16 codes
 * lo + q / 65535 · (hi − lo) (builder/history.py).
 *
 * Owns: the position (moments, fractional while it moves), where it is heading and how
 * fast (playing or scrubbing), the codes unpacked per moment, the point hovered and the
 * image decoded there. May touch: the elements it is handed (the map canvas, the image
 * canvas and its caption, the range input, the play button, the outputs, the jump buttons).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).scrubber = (() => {
  const LEVELS = 65535;
  const PLAY_SPEED = 10;    // moments per second while playing
  const SCRUB_SECONDS = 0.4;   // a scrubbed moment is reached in this time, however far

  /**
   * `data`: the time-lapse (render's payload, base64 unpacked by `unpack`); `decoders`:
   * [{ moment, decode(u1, u2) }] the checkpoints; `onMoment(moment)` after each change of
   * the moment shown.
   */
  function create({ data, decoders, side, palette, theme, els, onMoment, fail, format }) {
    const { dotmap, latest, marks } = window.AEDEMO_LIB;
    const { n, m, moments } = data;
    const cache = new Map();
    // the kept moment's weights are those of its fine-tuning epoch: checkpoints are
    // nearest by training time
    const time = moments.map((mo, i) => (mo.phase === 'kept'
      ? moments.findIndex((x) => x.phase === 'finetune' && x.epoch === mo.epoch) : i));
    let position = m - 1;
    let target = m - 1;
    let speed = PLAY_SPEED;
    let playing = false;
    let shownMoment = -1;
    let last = 0;
    let frameAsked = false;
    let hover = null;           // [u1, u2] the pointer rests at, in the plane
    let decoded = null;         // { u, moment, checkpoint, image }

    function codes(k) {
      if (!cache.has(k)) {
        let u;
        if (k === data.kept) u = Float64Array.from(data.final);
        else {
          u = new Float64Array(2 * n);
          const off = 2 * n * k;
          for (let i = 0; i < 2 * n; i++) {
            const d = i & 1;
            const lo = data.lo[2 * k + d];
            u[i] = lo + (data.q[off + i] / LEVELS) * (data.hi[2 * k + d] - lo);
          }
        }
        cache.set(k, { u, box: dotmap.bounds(u) });
      }
      return cache.get(k);
    }

    /** The codes and the framed box at the position: exactly a moment's at whole positions. */
    function at(p) {
      const a = Math.floor(p);
      const f = p - a;
      const A = codes(a);
      if (f === 0) return A;
      const B = codes(Math.min(a + 1, m - 1));
      const u = new Float64Array(2 * n);
      for (let i = 0; i < u.length; i++) u[i] = A.u[i] + (B.u[i] - A.u[i]) * f;
      return { u, box: A.box.map((v, i) => v + (B.box[i] - v) * f) };
    }

    function nearestCheckpoint(k) {
      let best = decoders[0];
      for (const d of decoders) if (Math.abs(time[d.moment] - time[k]) < Math.abs(time[best.moment] - time[k])) best = d;
      return best;
    }

    const job = latest(({ u, moment }) => {
      const ck = nearestCheckpoint(moment);
      return ck.decode(u[0], u[1]).then((image) => {
        decoded = { u, moment, checkpoint: ck.moment, image };
        els.digit.getContext('2d').putImageData(marks.greyImage(image, side), 0, 0);
        els.caption.textContent = `${format.point(u)} decoded by the ${moments[ck.moment].label} checkpoint`;
      });
    }, { fail, done: ask });

    let view = null;

    function draw() {
      const [w, h] = dotmap.size(els.canvas);
      const { u, box } = at(position);
      view = dotmap.fit(box, w, h);
      dotmap.draw(els.canvas, view, u, data.labels, palette, theme, hover);
    }

    function showMoment() {
      const k = Math.round(position);
      if (k === shownMoment) return;
      shownMoment = k;
      const mo = moments[k];
      els.moment.textContent = `${mo.label} (${k + 1} of ${m})`;
      els.mse.textContent = mo.mse === null ? 'no decoder yet' : mo.mse.toFixed(4);
      els.knn.textContent = `${(100 * mo.knn5).toFixed(1)} %`;
      if (Number(els.range.value) !== k) els.range.value = String(k);
      els.canvas.dataset.moment = String(k);
      onMoment(k);
      if (hover) job.want({ u: hover, moment: k });
    }

    function frame(now) {
      frameAsked = false;
      const dt = last ? Math.min(0.1, (now - last) / 1000) : 0;
      last = now;
      if (position !== target) {
        const step = speed * dt;
        position = Math.abs(target - position) <= step ? target : position + Math.sign(target - position) * step;
        if (position === target) playing = false;
      }
      if (!playing) els.play.textContent = 'Play';
      els.canvas.dataset.moving = String(position !== target);
      draw();
      showMoment();
      job.start();
      if (position !== target) ask();
      else last = 0;
    }

    function ask() {
      if (frameAsked) return;
      frameAsked = true;
      requestAnimationFrame(frame);
    }

    function seek(k, how = null) {
      target = Math.max(0, Math.min(m - 1, k));
      speed = how || Math.max(1, Math.abs(target - position) / SCRUB_SECONDS);
      playing = false;
      ask();
    }

    function play() {
      if (position >= m - 1) position = 0;
      seek(m - 1, PLAY_SPEED);
      playing = true;
      els.play.textContent = 'Pause';
    }

    function pause() {
      target = position;
      playing = false;
      ask();
    }

    els.play.addEventListener('click', () => (playing ? pause() : play()));
    els.range.max = String(m - 1);
    els.range.addEventListener('input', () => seek(Number(els.range.value)));
    for (const b of els.jumps) {
      b.addEventListener('click', () => seek(b.dataset.jump === 'unrolled' ? data.unrolled : b.dataset.jump === 'kept' ? data.kept : 0));
    }
    els.canvas.addEventListener('pointermove', (event) => {
      if (!view) return;
      hover = view.toPlane(...dotmap.pointer(els.canvas, event));
      job.want({ u: hover, moment: Math.round(position) });
      ask();
    });
    els.canvas.addEventListener('pointerleave', () => { hover = null; ask(); });
    new ResizeObserver(ask).observe(els.canvas);
    for (const el of [els.play, els.range, ...els.jumps]) el.disabled = false;
    ask();

    return {
      play, pause, seek: (k) => seek(k),
      /** A copy of what the map shows: the position, its moment, the codes drawn. */
      shown: () => ({
        position, target, playing, moment: Math.round(position), label: moments[Math.round(position)].label,
        codes: Array.from(at(position).u),
      }),
      decoded: () => (decoded && { ...decoded, u: [...decoded.u], image: Array.from(decoded.image) }),
      hoverAt: (u) => { hover = [...u]; job.want({ u: hover, moment: Math.round(position) }); ask(); },
    };
  }

  /** The payload's base64 arrays as typed arrays (fromBase64 from the runtime). */
  function unpack(t, fromBase64) {
    const bytes = (s) => fromBase64(s);
    const f32 = (s) => { const b = bytes(s); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
    const q = bytes(t.q);
    return { ...t, q: new Uint16Array(q.buffer, q.byteOffset, q.byteLength / 2), final: f32(t.final), twin: f32(t.twin), labels: bytes(t.labels) };
  }

  return { create, unpack };
})();
