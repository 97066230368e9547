/*
 * aedemo: the rest of the view in the share link, beside the cursor and stamps of
 * statecodec.js: the zoom and the plane point at the centre, the overlays switched on and
 * the disclosures open, e.g.
 *   #at=0.5,-1.25&view=3.3,0.25,-1&on=grid,smooth&open=probe,maps
 * `write(state)` makes those parameters (view only when not the fitted view; no text for
 * what is off); `read(hash, limits)` reads them back validated like statecodec's pairs: the
 * zoom a finite number within `limits.zoom`, the centre two finite float32 numbers inside
 * `limits.box` (statecodec's range), overlay and disclosure names among `limits.overlays`
 * and `limits.disclosures` (each once, at most one of the two maps: the first named);
 * anything else is left out and counted in `unreadable`, which `notice` puts in a sentence.
 *
 * `bind(parts)` ties the format to the page for sharelink.js (`extra`): write() reads the
 * view, the overlays and the disclosures through their accessors; read(hash) sets them
 * through view.setView, the page's overlay toggle and disclosures.setOpen.
 *
 * Owns: the parameters' format. May touch: nothing itself (write/read are pure; bind's
 * functions change the parts only through the functions they are handed).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).viewlink = (() => {
  const MAPS = ['smooth', 'unfamiliar'];

  /** The shortest decimal text (up to 9 digits) that reads back as the float32 `x`. */
  function shortest(x) {
    const f = Math.fround(x);
    for (let digits = 1; digits < 9; digits++) {
      const text = String(Number(f.toPrecision(digits)));
      if (Math.fround(Number(text)) === f) return text;
    }
    return String(Number(f.toPrecision(9)));
  }

  /** `state`: {zoom, centre: [u1, u2], fitted, on: [names], open: [names]} → 'view=..&on=..&open=..' (or ''). */
  function write({ zoom, centre, fitted, on, open }) {
    const parts = [];
    if (!fitted && Number.isFinite(zoom) && centre) parts.push(`view=${[zoom, ...centre].map(shortest).join(',')}`);
    if (on && on.length) parts.push(`on=${on.join(',')}`);
    if (open && open.length) parts.push(`open=${open.join(',')}`);
    return parts.join('&');
  }

  function params(hash) {
    const found = new Map();
    for (const part of String(hash).replace(/^#/, '').split('&')) {
      const at = part.indexOf('=');
      if (at > 0) found.set(part.slice(0, at), part.slice(at + 1));
    }
    return found;
  }

  /** The names of a comma list among `allowed`, each once; [names, how many were left out]. */
  function names(text, allowed) {
    const list = text.split(',').filter((n) => n !== '');
    const kept = [];
    for (const n of list) if (allowed.includes(n) && !kept.includes(n)) kept.push(n);
    return [kept, list.length - kept.length];
  }

  /**
   * What a hash says of the view, or null when it holds none of these parameters:
   * {view: {zoom, centre} or null, on, open, unreadable}. `limits`: {zoom: [lo, hi],
   * box: {lo, hi}, overlays: [names], disclosures: [names]}.
   */
  function read(hash, limits) {
    const p = params(hash);
    if (!p.has('view') && !p.has('on') && !p.has('open')) return null;
    let unreadable = 0;
    let view = null;
    if (p.has('view')) {
      const parts = p.get('view').split(',');
      const v = parts.map((t) => (t.trim() === '' ? NaN : Number(t)));
      const [zoom, u1, u2] = [v[0], Math.fround(v[1]), Math.fround(v[2])];
      const { box } = limits;
      if (parts.length === 3 && v.every(Number.isFinite) && Number.isFinite(u1) && Number.isFinite(u2)
          && zoom >= limits.zoom[0] && zoom <= limits.zoom[1]
          && u1 >= box.lo[0] && u1 <= box.hi[0] && u2 >= box.lo[1] && u2 <= box.hi[1]) {
        view = { zoom, centre: [u1, u2] };
      } else {
        unreadable += 1;
      }
    }
    let [on, left] = p.has('on') ? names(p.get('on'), limits.overlays) : [[], 0];
    const maps = on.filter((n) => MAPS.includes(n));
    if (maps.length > 1) {
      on = on.filter((n) => !MAPS.includes(n) || n === maps[0]);
      left += maps.length - 1;
    }
    unreadable += left;
    const [open, closed] = p.has('open') ? names(p.get('open'), limits.disclosures) : [[], 0];
    unreadable += closed;
    return { view, on, open, unreadable };
  }

  /** A sentence on what `read` left out ('' when nothing). */
  function notice(result) {
    if (!result || !result.unreadable) return '';
    const n = result.unreadable;
    return `${n} of the link's view setting${n === 1 ? '' : 's'} could not be read and ${n === 1 ? 'was' : 'were'} left out.`;
  }

  /**
   * `view`: lib.view's part; `overlays`: its isOn(name); `toggle(name)`: the page's overlay
   * toggle (it keeps the buttons true); `names`: the overlays; `disclosures`: that part;
   * `range()`: statecodec's box of the points; `notice(text)`: the toast.
   */
  function bind({ view, overlays, toggle, names: overlayNames, disclosures, range, notice: say }) {
    return {
      write: () => write({
        zoom: view.zoom(), centre: view.ok ? view.toPlane(view.w / 2, view.h / 2) : null, fitted: !view.ok || view.isFitted(),
        on: overlayNames.filter((n) => overlays.isOn(n)), open: disclosures.open(),
      }),
      read(hash) {
        const box = range();
        if (!box) return false;
        const got = read(hash, { zoom: window.AEDEMO_LIB.view.ZOOM_LIMITS, box, overlays: overlayNames, disclosures: disclosures.names() });
        if (!got) return false;
        disclosures.setOpen(got.open);
        for (const n of overlayNames) if (overlays.isOn(n) !== got.on.includes(n)) toggle(n);
        const [c1, c2] = got.view ? got.view.centre : [0, 0];
        const apply = (frames) => {   // the view takes a zoom once it has its size (a frame may be needed)
          if (!view.ok && frames > 0) {
            requestAnimationFrame(() => apply(frames - 1));
          } else if (view.ok) {
            const scale = view.clampScale((view.scale / view.zoom()) * got.view.zoom);
            view.setView(scale, view.w / 2 - scale * c1, view.h / 2 + scale * c2);
          }
        };
        if (got.view) apply(600);
        const text = notice(got);
        if (text) say(text);
        return true;
      },
    };
  }

  return { write, read, notice, shortest, bind };
})();
