/*
 * aedemo: the probe kit under the pad. Buttons, keys on the focused pad and a slider
 * change the drawing; each change is preprocessed and encoded at once (the pad panel's
 * job) and the marker's successive codes leave a trail on the plane: the code's path
 * as the input changes. The transforms are lib.transforms (formulas there):
 *   move      one pixel of the 28×28 input left, right, up or down (arrow keys);
 *   size      the input scaled by 1.1 or 1/1.1 about its centre (+ and -);
 *   noise     uniform noise of the slider's amplitude from mulberry32(SEED);
 *   turn      the pad's ink turned by ±5° ([ and ]);
 *   stroke    the pad's ink dilated or eroded by a disc of STROKE_R pad pixels (b, l);
 *   erase     the pointer erases instead of drawing while it is on (e).
 * Move, size and noise act on the input after the MNIST preprocessing (which would
 * re-centre and re-fit them away) and are kept as settings applied to every encode
 * until the pad is cleared or loaded; turn and stroke change the pad's ink (and go
 * through the preprocessing like any drawing). The presets draw the letters of
 * letters.js with the pad's pen.
 *
 * Owns: the settings (move, size, noise), what was turned and stroked, the trail and
 * the code it starts from. May touch: the probe's elements (#probe: its buttons, the
 * noise slider and its output, the state line, the [data-presets] row, where it makes
 * a button per letter) and the pad canvas's keydown. Changes the pad only through the
 * functions it is handed.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).probe = (() => {
  const TURN_DEG = 5;
  const SIZE_STEP = 1.1;         // one size step: ×1.1 (the issue's ±10 %)
  const STROKE_R = 3;            // pad pixels per thicker / thinner step
  const SEED = 1;                // the noise's seed, shown beside the slider
  const MOVES = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] };
  const KEYS = {
    ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down', '[': 'ccw', ']': 'cw',
    '+': 'bigger', '=': 'bigger', '-': 'smaller', b: 'thicker', l: 'thinner', e: 'erase',
  };

  const fresh = () => ({ dx: 0, dy: 0, size: 0, sigma: 0, turned: 0, stroke: 0 });

  /**
   * `root`: the #probe element; `padCanvas`: the pad (keys); `side`: 28; `padSize`: the
   * pad's raster side; `pad`: {source(), raster(), setRaster(alpha), setTool(name),
   * drawStrokes(strokes, name)} of lib.pad; `refresh()`: encode the pad again now.
   */
  function create({ root, padCanvas, side, padSize, pad, refresh }) {
    const T = window.AEDEMO_LIB.transforms;
    const { number } = window.AEDEMO_LIB.format;
    const buttons = [...root.querySelectorAll('[data-probe]')];
    const presets = Object.keys(window.AEDEMO_LIB.letters).map((letter) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'probe-button';
      b.dataset.preset = letter;
      b.title = `Draw a capital ${letter} with the pad's pen`;
      b.textContent = letter;
      root.querySelector('[data-presets]').append(b);
      return b;
    });
    const slider = root.querySelector('#probe-noise');
    const sliderValue = root.querySelector('#probe-noise-value');
    const stateLine = root.querySelector('#probe-state');
    let settings = fresh();
    let eraser = false;
    let enabled = false;
    let trail = [];              // [[u1, u2], ...]: the codes since the first change
    let origin = null;           // the code before the next change

    const active = () => settings.dx !== 0 || settings.dy !== 0 || settings.size !== 0 || settings.sigma !== 0;

    /** The input as the settings change it (the same array when they change nothing). */
    function adjust(image) {
      if (!active()) return image;
      const placed = T.place(image, side, SIZE_STEP ** settings.size, settings.dx, settings.dy);
      return settings.sigma > 0 ? T.noise(placed, settings.sigma, SEED) : placed;
    }

    function rasterChange(change) {
      const ink = pad.raster();
      if (ink) pad.setRaster(change(ink));
    }

    /** Apply probe action `name` (a data-probe value). */
    function act(name) {
      if (!enabled || !pad.source()) return;
      if (name === 'erase') {
        eraser = !eraser;
        pad.setTool(eraser ? 'eraser' : 'pen');
      } else if (MOVES[name]) {
        settings.dx += MOVES[name][0];
        settings.dy += MOVES[name][1];
        refresh();
      } else if (name === 'bigger' || name === 'smaller') {
        settings.size += name === 'bigger' ? 1 : -1;
        refresh();
      } else if (name === 'cw' || name === 'ccw') {
        const degrees = name === 'cw' ? TURN_DEG : -TURN_DEG;
        settings.turned += degrees;
        rasterChange((ink) => T.rotate(ink, padSize, degrees));
      } else if (name === 'thicker' || name === 'thinner') {
        settings.stroke += name === 'thicker' ? 1 : -1;
        rasterChange((ink) => (name === 'thicker' ? T.dilate : T.erode)(ink, padSize, STROKE_R));
      }
      update();
    }

    function setNoise(sigma) {
      if (!enabled || !pad.source()) return;
      settings.sigma = sigma;
      refresh();
      update();
    }

    /** What the settings and changes are, in words. */
    function describe() {
      const s = settings;
      const parts = [];
      const moved = [[s.dx, 'right', 'left'], [s.dy, 'down', 'up']].filter(([d]) => d)
        .map(([d, plus, minus]) => `${Math.abs(d)} ${d > 0 ? plus : minus}`);
      if (moved.length) parts.push(`moved ${moved.join(', ')}`);
      if (s.size) parts.push(`size ${Math.round(100 * SIZE_STEP ** s.size)} %`);
      if (s.turned) parts.push(`turned ${Math.abs(s.turned)}\u00b0 ${s.turned > 0 ? 'clockwise' : 'anticlockwise'}`);
      if (s.stroke) parts.push(`stroke ${s.stroke > 0 ? 'thicker' : 'thinner'} \u00d7${Math.abs(s.stroke)}`);
      if (s.sigma) parts.push(`noise ${number(s.sigma, 2)}`);
      return parts.length ? parts.join(' \u00b7 ') : 'as drawn';
    }

    function update() {
      const can = enabled && Boolean(pad.source());
      for (const b of buttons) b.disabled = !can && !(b.dataset.probe === 'erase' && eraser);
      for (const b of presets) b.disabled = !enabled;
      slider.disabled = !can;
      root.querySelector('[data-probe="erase"]').setAttribute('aria-pressed', String(eraser));
      slider.value = String(settings.sigma);
      sliderValue.value = `${number(settings.sigma, 2)} \u00b7 seed ${SEED}`;
      stateLine.textContent = describe();
    }

    /** The pad was cleared or loaded with something new: the settings start again. */
    function replaced() {
      settings = fresh();
      update();
    }

    /** The pad's code moved (marker {u, reason}) or went away (null): the trail follows the probe's changes. */
    function moved(marker) {
      if (!marker) {
        trail = [];
        origin = null;
      } else if (marker.reason === 'probe' || marker.reason === 'erase') {
        if (!trail.length && origin) trail.push(origin);
        trail.push([marker.u[0], marker.u[1]]);
      } else {
        trail = [];
      }
      if (marker) origin = [marker.u[0], marker.u[1]];
    }

    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const name = KEYS[event.key];
      if (!name) return;
      event.preventDefault();
      act(name);
    }

    for (const b of buttons) b.addEventListener('click', () => act(b.dataset.probe));
    for (const b of presets) {
      b.addEventListener('click', () => {
        const letter = b.dataset.preset;
        if (enabled) pad.drawStrokes(window.AEDEMO_LIB.letters[letter], `A capital ${letter}`);
      });
    }
    slider.addEventListener('input', () => setNoise(Number(slider.value)));
    padCanvas.addEventListener('keydown', onKey);
    update();

    return {
      adjust,
      replaced,
      moved,
      update,
      act,
      enable: () => { enabled = true; update(); },
      trail: () => trail.map((u) => [u[0], u[1]]),
      /** For tests: the settings, the tool and the noise's seed. */
      state: () => ({ ...settings, scale: SIZE_STEP ** settings.size, eraser, seed: SEED, strokeRadius: STROKE_R }),
    };
  }

  return { create };
})();
