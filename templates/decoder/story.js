/*
 * aedemo: the story's actions (its buttons and links). The story ("What this autoencoder learned",
 * templates/_story.html) is written by builder/story.py from the build's findings;
 * config.story holds the plane points each action needs (story.py `actions()`), and
 * every element of the story with a data-action runs it, a button or a link in the prose:
 *   groups            fly to the split class's groups, ring their centres, dim the rest;
 *   walk, walk-abrupt, walk-chaotic  (a smooth, abrupt and chaotic transition) dim all
 *                     but the two classes, walk the pointer along the path (the
 *                     preview decodes each point) and show the strip of its line;
 *   shift             play the test image shifted pixel by pixel in the pad; the
 *                     marker's codes leave a trail, each point labelled with its shift;
 *   outside           draw the next letter (letters.js) into the pad with the pad's pen;
 *   iterate           stamp the test image's code and iterate encode→decode from it.
 * At load, once the encoder and the real test images are there, it measures where each
 * letter lands (the pad's pen off screen → mnist.preprocess → encode → kNN-5 over the
 * test images' codes) and where its round trip lands, and writes that, in the data
 * set's words, into the paragraph [data-measured="outside"]. One action runs at a time;
 * a new one, a press, wheel or key on the plane (touched()) or reset() cancels it;
 * reset() (Reset view) also takes the dimming, rings and trail away.
 *
 * Owns: the running action, the story's marks (trail, rings, the walking pointer), the
 * letters' measurements, which letter comes next. May touch: the story section's
 * [data-action] elements (hidden, text) and its measured paragraph; it never scrolls the
 * page (the plane stays in view beside the story: scrolly.css). Other parts change only through their functions: view.setView,
 * plane.dimAllBut, stamps.place/iterate, padPanel, and the callbacks `point(u)`
 * (the pointer and preview), `line(a, b, text)` and `closeLine()` (the strip; the story
 * closes only the strip it opened, read back through `lineShown()`) and `changed(what)`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).story = (() => {
  const FLY_MS = 500;
  const WALK_STEP_MS = 90;       // per point of a transition's path
  const SHIFT_STEP_MS = 240;     // at least, per shifted image
  const MIN_SPAN = 0.3;          // a framed box spans at least this share of the data's extent
  const MARGIN = 0.08;           // and reaches this share of it beyond the points it frames
  const KNN = 5;                 // as builder/findings.py
  // What each action needs: the dots alone (groups and walks fly, dim and ring, and the
  // preview shows the walk's images once the decoder is there), the encoder, the letters.
  const NEEDS = {
    groups: 'points', walk: 'points', 'walk-abrupt': 'points', 'walk-chaotic': 'points', shift: 'encoder', iterate: 'encoder', outside: 'outside',
  };
  const DIRECTION = { x: ['to the left', 'to the right'], y: ['up', 'down'] };

  const nextFrame = () => new Promise((resolve) => { requestAnimationFrame(resolve); });
  const ease = (t) => (t < 0.5 ? 2 * t * t : 1 - (2 - 2 * t) ** 2 / 2);
  const reduced = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
  const copy = (u) => [u[0], u[1]];

  /** `image` (side×side) moved by k whole pixels along `axis` (x: right, y: down), zeros coming in. */
  function shifted(image, side, axis, k) {
    const [dx, dy] = axis === 'x' ? [k, 0] : [0, k];
    const out = new Float32Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const [sx, sy] = [x - dx, y - dy];
        if (sx >= 0 && sy >= 0 && sx < side && sy < side) out[y * side + x] = image[sy * side + sx];
      }
    }
    return out;
  }

  /**
   * `root`: the story section (or null); `planeElement`: scrolled into view by an
   * action; `plane`: lib.plane's part; `points()`: the scatter or null; `nearest(u1,
   * u2, k)`: the real test images nearest, with labels (preview.nearest); `pad`: the
   * pad panel; `fail(error)`; `starting(name)` (optional): called as an action starts.
   */
  function create({
    config, rt, root, planeElement, view, plane, points, stamps, nearest, pad, point, line, closeLine, lineShown, changed, fail,
    starting,
  }) {
    const lib = window.AEDEMO_LIB;
    const { words, classes } = config;
    const withArticle = (k) => config.withArticle[k];   // "an 8": builder/site/story.py article
    const actions = config.story || {};
    const letters = Object.keys(lib.letters);
    const elements = root ? [...root.querySelectorAll('[data-action]')] : [];
    const drawButton = elements.find((e) => e.dataset.action === 'outside' && e.classList.contains('show-me'));
    const drawLabel = drawButton ? drawButton.textContent.trim() : '';
    const can = new Set();       // what has loaded: decoder, encoder, outside (the letters measured)
    let running = null;          // {name, cancelled}: the action under way
    let last = null;             // the last action that ran to its end
    let runs = 0;                // how many did
    let active = false;          // whether the story shows anything Reset view takes away
    let trail = [];
    let labels = null;           // the trail's labels (a shift's pixels), or null
    let rings = [];
    let walker = null;
    let ownLine = null;          // [a, b]: the strip the story opened, as float32
    let outside = null;          // the letters measured: [{letter, code, lands, back, returns}]
    let next = 0;                // the letter the draw button draws next

    const plural = (k) => (config.plurals ? config.plurals[k] : `${classes[k]}s`);   // builder/story.py plural()
    const runnable = (name) => can.has(NEEDS[name])
      && (name === 'outside' ? Boolean(outside && outside.length) : Boolean(actions[name]));

    /**
     * The kNN-5 class of the plane point u among the real test images: {label, count,
     * votes: [[label, count], ...] most first}, or null.
     */
    function knnClass(u) {
      const found = nearest(u[0], u[1], KNN);
      const votes = new Map();   // label → count; a tie goes to the label met first (the nearest)
      for (const f of found) votes.set(f.label, (votes.get(f.label) || 0) + 1);
      let best = null;
      for (const [label, count] of votes) if (!best || count > best.count) best = { label, count };
      if (best) best.votes = [...votes].sort((a, b) => b[1] - a[1]);
      return best;
    }

    /** The view that shows every point of `list` with room around it. */
    function frame(list) {
      const p = points();
      const span = Math.max(p.hi[0] - p.lo[0], p.hi[1] - p.lo[1]);
      const lo = [Infinity, Infinity];
      const hi = [-Infinity, -Infinity];
      for (const u of list) {
        for (const d of [0, 1]) {
          lo[d] = Math.min(lo[d], u[d]);
          hi[d] = Math.max(hi[d], u[d]);
        }
      }
      for (const d of [0, 1]) {
        const need = Math.max(MIN_SPAN * span, hi[d] - lo[d] + 2 * MARGIN * span);
        const mid = (lo[d] + hi[d]) / 2;
        [lo[d], hi[d]] = [mid - need / 2, mid + need / 2];
      }
      return view.framing(lo, hi);
    }

    /** Fly the view to `target` {scale, ox, oy}; false when the action was cancelled on the way. */
    async function fly(token, target) {
      const scale0 = view.scale;
      const from = view.toPlane(view.w / 2, view.h / 2);
      const to = [(view.w / 2 - target.ox) / target.scale, (target.oy - view.h / 2) / target.scale];
      const ms = reduced() ? 0 : FLY_MS;
      const start = performance.now();
      for (let t = 0; t < 1 && ms > 0; t = (performance.now() - start) / ms) {
        const e = ease(t);
        const scale = scale0 * (target.scale / scale0) ** e;
        const c = [from[0] + e * (to[0] - from[0]), from[1] + e * (to[1] - from[1])];
        view.setView(scale, view.w / 2 - scale * c[0], view.h / 2 + scale * c[1]);
        await nextFrame();
        if (token.cancelled) return false;
      }
      view.setView(target.scale, target.ox, target.oy);
      return true;
    }

    /** Wait, a frame at a time, until `ready()`; false when the action was cancelled meanwhile. */
    async function until(token, ready) {
      while (!ready()) {
        await nextFrame();
        if (token.cancelled) return false;
      }
      return !token.cancelled;
    }

    const padDone = () => pad.settled() && pad.marker() !== null;

    // ------------------------------------------------------------ the actions

    async function groups(token) {
      const g = actions.groups;
      plane.dimAllBut([g.class]);
      rings = g.centres.map(copy);
      changed('dots');
      if (await fly(token, frame(g.centres))) point(g.centres[0]);
    }

    async function walk(token, name) {
      const { path, classes: ends } = actions[name];
      plane.dimAllBut(ends);
      trail = path.map(copy);
      changed('dots');
      if (!(await fly(token, frame(path)))) return;
      ownLine = [path[0], path[path.length - 1]].map((u) => u.map(Math.fround));
      line(...ownLine, `Decoded along the walk from the ${plural(ends[0])} to the ${plural(ends[1])}`);
      const start = performance.now();
      for (let shown = -1; shown < path.length - 1;) {
        const i = Math.min(path.length - 1, Math.floor((performance.now() - start) / WALK_STEP_MS));
        if (i !== shown) {
          shown = i;
          walker = copy(path[i]);
          point(walker);       // the preview decodes it: one in flight, the newest wins
          changed('plane');
        }
        await nextFrame();
        if (token.cancelled) return;
      }
    }

    function shiftText(s, k) {
      const n = Math.abs(k);
      const where = k ? `, ${n} pixel${n === 1 ? '' : 's'} ${DIRECTION[s.axis][k > 0 ? 1 : 0]},` : '';
      return `Test ${words.noun} ${s.index.toLocaleString('en-US')}${where}`;
    }

    async function shift(token) {
      const s = actions.shift;
      const n = (s.codes.length - 1) / 2;
      const order = Array.from(s.codes, (_, i) => (s.step > 0 ? i - n : n - i));
      plane.dimAllBut(s.classes || null);
      changed('dots');
      if (!(await fly(token, frame(s.codes)))) return;
      for (const k of order) {
        const started = performance.now();
        pad.loadImage(shifted(s.image, config.side, s.axis, k), shiftText(s, k));
        if (!(await until(token, padDone))) return;
        trail.push(copy(pad.marker().u));
        labels = s.labels ? trail.map((_, i) => s.labels[s.step > 0 ? i : s.labels.length - 1 - i]) : null;
        changed('plane');
        if (!(await until(token, () => performance.now() - started >= SHIFT_STEP_MS))) return;
      }
    }

    async function drawLetter(token, asked) {
      const letter = letters.includes(asked) ? asked : letters[next];
      next = (letters.indexOf(letter) + 1) % letters.length;
      labelDrawButton();
      pad.drawStrokes(lib.letters[letter], `A capital ${letter}`);
      if (!(await until(token, padDone))) return;
      const u = copy(pad.marker().u);
      const lands = knnClass(u);
      plane.dimAllBut(lands ? [lands.label] : null);
      rings = [u];
      changed('dots');
      if (await fly(token, frame([u]))) point(u);
    }

    async function iterate(token) {
      const { from } = actions.iterate;
      if (!(await fly(token, frame([from])))) return;
      const stamp = await stamps.place(from).added;
      if (!stamp || token.cancelled) return;
      await stamps.iterate();
      const paths = stamps.paths();
      if (token.cancelled || !paths.length) return;
      const path = paths[paths.length - 1];
      rings = [copy(path[path.length - 1])];
      changed('plane');
      await fly(token, frame(path));
    }

    const RUN = { groups, walk, 'walk-abrupt': walk, 'walk-chaotic': walk, shift, outside: drawLetter, iterate };

    function clearMarks() {
      trail = [];
      labels = null;
      rings = [];
      walker = null;
      plane.dimAllBut(null);
      const shown = lineShown();
      const same = (u, v) => u[0] === v[0] && u[1] === v[1];
      if (ownLine && (!shown || (same(shown.a, ownLine[0]) && same(shown.b, ownLine[1])))) closeLine();
      ownLine = null;
    }

    /** Stop the action under way (its marks stay). */
    function cancel() {
      if (running) running.cancelled = true;
      running = null;
    }

    /** Run action `name` (`letter`: which letter, for outside); it replaces what the story showed. */
    function run(name, letter) {
      if (!runnable(name)) return;
      if (starting) starting(name);   // undo.js notes the state before the first stop
      cancel();
      clearMarks();
      const token = { name, cancelled: false };
      running = token;
      active = true;
      changed('dots');
      RUN[name](token, name === 'outside' ? letter : name).catch(fail).finally(() => {
        if (running !== token) return;
        running = null;
        last = name;
        runs += 1;
        changed('plane');
      });
    }

    /** Reset view: no action runs, nothing is dimmed, ringed or trailed. */
    function reset() {
      cancel();
      clearMarks();
      active = false;
      changed('dots');
    }

    // ------------------------------------------------------------ outside the data

    function labelDrawButton() {
      if (drawButton) drawButton.textContent = `${drawLabel} ${letters[next]}`;
    }

    /** Where each letter lands and where its round trip does, measured here and now. */
    async function measure() {
      const found = [];
      for (const letter of letters) {
        const raster = lib.pad.rasterise(lib.letters[letter], config.theme);
        const input = lib.mnist.preprocess(raster, lib.pad.SIZE, lib.pad.SIZE);
        const code = await rt.encode(input.image);
        const round = await rt.roundTrip(Float32Array.from(code));
        const back = [round[0], round[1]];
        found.push({ letter, code, lands: knnClass(code), back, returns: knnClass(back) });
      }
      outside = found.filter((f) => f.lands && f.returns);
      write(outside);
      can.add('outside');
      labelDrawButton();
      showButtons();
    }

    /** One sentence per letter, its name a link that draws it. */
    function write(found) {
      const p = root && root.querySelector('[data-measured="outside"]');
      if (!p || !found.length) return;
      p.textContent = 'Measured in your browser when the page loaded: ';
      for (const { letter, lands, returns } of found) {
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'link-button';
        link.dataset.action = 'outside';
        link.dataset.letter = letter;
        link.textContent = `A capital ${letter}`;
        const said = ([label, count]) => (count === 1 ? `1 is ${withArticle(label)}` : `${count} are ${plural(label)}`);
        const [first, ...rest] = lands.votes;
        const count = `${first[1]} of its ${KNN} nearest test ${words.nouns} ${first[1] === 1 ? 'is' : 'are'} `
          + `${first[1] === 1 ? withArticle(first[0]) : plural(first[0])}${rest.length ? `, ${rest.map(said).join(', ')}` : ''}`;
        // among a class only when most of the nearest are it; else between the two it is nearest to
        const where = 2 * lands.count > KNN || !rest.length ? `lands among the ${plural(lands.label)}`
          : `lies between the ${plural(first[0])} and the ${plural(rest[0][0])}`;
        const back = returns.label === lands.label ? `stays with the ${plural(lands.label)}` : `lands among the ${plural(returns.label)}`;
        p.append(link, ` ${where} (${count}), and the decoder draws it back as `
          + `${withArticle(returns.label)}-like ${words.noun}: encoded again, it ${back}. `);
      }
      p.hidden = false;
    }

    function showButtons() {
      for (const e of elements) if (e.classList.contains('show-me')) e.hidden = !runnable(e.dataset.action);
    }

    /** `what` has loaded: 'points', 'decoder', or 'encoder' (with the real test images: the letters are measured then). */
    function enable(what) {
      can.add(what);
      showButtons();
      if (what === 'encoder' && !outside) measure().catch(fail);
    }

    if (root) {
      root.addEventListener('click', (event) => {
        const target = event.target.closest('[data-action]');
        if (!target || !root.contains(target)) return;
        event.preventDefault();
        run(target.dataset.action, target.dataset.letter);
      });
    }

    return {
      enable,
      run,
      reset,
      touched: cancel,
      active: () => active,
      /** What the plane draws for the story: {trail, labels, rings, walker}, or null. */
      marks: () => (active ? { trail, labels, rings, walker } : null),
      /** For tests: the action under way, the last one ended, how many ended. */
      state: () => ({ running: running && running.name, last, runs, active }),
      trail: () => trail.map(copy),
      trailLabels: () => (labels ? [...labels] : null),
      rings: () => rings.map(copy),
      outside: () => (outside ? outside.map((f) => ({ ...f, code: copy(f.code), back: copy(f.back) })) : null),
    };
  }

  return { create, shifted };
})();
