/*
 * aedemo: what the user puts on the plane. Stamps (a decoded image kept where it was
 * clicked, at most share.MAX_STAMPS of them), the selection (a stamp, the drawing's
 * marker, or nothing) and the encode→decode paths (at most MAX_PATHS, oldest dropped).
 *
 * At the cap a new stamp is refused with a notice (clicks on a stamp still select
 * it); so is a stamp out of the range a link can carry (see statecodec.js), so every
 * stamp the page makes comes back from its link.
 *
 * Owns: the stamps, the selection (select() is the only function that changes it),
 * the paths, whether an iteration runs. May touch: nothing directly: it reports
 * through `stampsChanged(keep)`, `pathsChanged()`, `changed()`, `show(u, values)`
 * (the preview), `notice(text)` and `fail(error)`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).stamps = (() => {
  const STAMP_ZOOM = 2;          // a stamp is SIDE*2 CSS pixels wide
  const MAX_PATHS = 12;

  /**
   * `markerPoint()`: the drawing's code or null; `range()`: the box of points a link
   * can carry (share.range). Callbacks: see above.
   */
  function create({ rt, side, view, markerPoint, range, stampsChanged, pathsChanged, changed, show, notice, fail }) {
    const { f32, number } = window.AEDEMO_LIB.format;
    const { greyImage } = window.AEDEMO_LIB.marks;
    const { MAX_STAMPS, inRange } = window.AEDEMO_LIB.share;
    const PIXELS = side * side;
    const stamps = [];           // {u1, u2, image}: plane coordinates and a side×side canvas
    const paths = [];            // encode→decode paths: [[u1, u2], ...]
    let selected = null;         // a stamp object, 'marker', or null
    let adding = 0;              // stamps decoding, not yet on the plane
    let generation = 0;          // Clear and a restore void the stamps still decoding
    let iterating = false;

    /** The one place the selection changes. */
    function select(what) {
      selected = what;
      changed();
    }

    const selectedPoint = () => {
      if (selected === 'marker') return markerPoint();
      return selected ? [selected.u1, selected.u2] : null;
    };

    /** Where a stamp goes, in device pixels: whole pixels, so it stays crisp. */
    function rect(stamp) {
      const zoom = Math.max(1, Math.round(STAMP_ZOOM * view.dpr));
      const size = side * zoom;
      const [x, y] = view.toScreen(stamp.u1, stamp.u2);
      return { x: Math.round(x * view.dpr - size / 2), y: Math.round(y * view.dpr - size / 2), size };
    }

    /** The topmost stamp under the screen point (x, y) (CSS pixels), or null. */
    function under(x, y) {
      const px = x * view.dpr;
      const py = y * view.dpr;
      for (let i = stamps.length - 1; i >= 0; i--) {
        const r = rect(stamps[i]);
        if (px >= r.x && px < r.x + r.size && py >= r.y && py < r.y + r.size) return stamps[i];
      }
      return null;
    }

    function makeStamp(u, values) {
      const image = document.createElement('canvas');
      image.width = image.height = side;
      image.getContext('2d').putImageData(greyImage(values, side), 0, 0);
      return { u1: u[0], u2: u[1], image };
    }

    const FULL = `The plane holds at most ${MAX_STAMPS} stamps: clear them to make new ones.`;

    /** Why a stamp at `u` cannot be made now, or '' when it can. */
    function refusal(u) {
      if (stamps.length + adding >= MAX_STAMPS) return FULL;
      if (!range()) return 'The plane is still loading its points.';
      if (!inRange(u, range())) return 'That point is too far from the data to keep a stamp there.';
      return '';
    }

    /** Decode and add a stamp at u; returns a function that takes it back. */
    const add = (u) => place(u).undo;

    /**
     * Decode and add a stamp at u, selected: {undo, added}, `added` a promise of the
     * stamp once it is on the plane (null when it was refused, taken back or failed).
     */
    function place(u) {
      const at = f32(u);
      const why = refusal(at);
      if (why) {
        notice(why);
        return { undo: () => {}, added: Promise.resolve(null) };
      }
      let cancelled = false;
      let stamp = null;
      const made = generation;
      adding += 1;
      const added = rt.decode(at[0], at[1]).then((values) => {
        if (cancelled || made !== generation) return null;
        if (stamps.length >= MAX_STAMPS) {      // a link's stamps came in meanwhile
          notice(FULL);
          return null;
        }
        stamp = makeStamp(at, values);
        stamps.push(stamp);
        select(stamp);
        show(at, values);
        stampsChanged(true);
        return stamp;
      }).catch((error) => {
        fail(error);
        return null;
      }).finally(() => { adding -= 1; });
      const undo = () => {
        cancelled = true;
        const i = stamps.indexOf(stamp);
        if (i < 0) return;
        stamps.splice(i, 1);
        if (selected === stamp) select(null);
        stampsChanged(true);
      };
      return { undo, added };
    }

    /** A click at the screen point (x, y): select the stamp there, or stamp. Returns its undo. */
    function click(x, y) {
      const before = selected;
      const stamp = under(x, y);
      const takeBack = stamp ? () => {} : add(view.toPlane(x, y));
      if (stamp) select(stamp);
      return () => {
        takeBack();
        select(before);
      };
    }

    /** Replace the stamps with those at `list` ([[u1, u2], ...]): one batched decode. */
    async function restore(list, keep) {
      generation += 1;
      const values = await rt.decodeBatch(Float32Array.from(list.flat()));
      stamps.length = 0;
      list.forEach((p, i) => stamps.push(makeStamp(f32(p), values.subarray(i * PIXELS, (i + 1) * PIXELS))));
      select(null);
      stampsChanged(keep);
    }

    /** Remove the stamps (those still decoding never land) and paths; the drawing's marker stays selected if it was. */
    function clear() {
      generation += 1;
      stamps.length = 0;
      paths.length = 0;
      pathsChanged();
      if (selected !== 'marker') select(null);
      stampsChanged(true);
    }

    /** Repeat encode→decode from the selected point and add the path; a notice sums it up. */
    async function iterate() {
      const from = selectedPoint();
      if (!from || iterating) return;
      iterating = true;
      changed();
      try {
        const path = await rt.iterate(from[0], from[1]);
        paths.push(path);
        if (paths.length > MAX_PATHS) paths.shift();
        pathsChanged();
        const steps = path.length - 1;
        const [e1, e2] = path[path.length - 1];
        notice(`${steps} step${steps === 1 ? '' : 's'}, ending at (${number(e1, 2)}, ${number(e2, 2)})`);
      } catch (error) {
        fail(error);
      } finally {
        iterating = false;
        changed();
      }
    }

    return {
      select,
      selected: () => selected,
      selectedPoint,
      count: () => stamps.length,
      pending: () => adding,
      pathCount: () => paths.length,
      iterating: () => iterating,
      points: () => stamps.map((s) => [s.u1, s.u2]),
      /** The stamps where they are drawn: [{u1, u2, x, y, size, selected, image}], oldest first. */
      placed: () => stamps.map((s) => ({ u1: s.u1, u2: s.u2, ...rect(s), selected: s === selected, image: s.image })),
      paths: () => paths,
      under,
      add,
      place,
      click,
      restore,
      clear,
      iterate,
    };
  }

  return { create };
})();
