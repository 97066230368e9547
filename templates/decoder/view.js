/*
 * aedemo: the view of the plane, the map between plane points (u1, u2) and screen
 * points (CSS pixels from the canvas's top left): x = ox + scale·u1, y = oy − scale·u2.
 * The fitted view shows all the points with a margin, beside the preview when that
 * costs little; zoom stays within ZOOM_LIMITS of it; pan is free.
 *
 * Owns: the view (size, device-pixel ratio, scale, offsets, fitted view, version).
 * May touch: nothing else. It reads the points' extent and the preview's box through
 * the functions it is given, and reports every change through `onChange()`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).view = (() => {
  const ZOOM_LIMITS = [0.2, 2000];   // relative to the fitted view
  const MARGIN = { left: 46, right: 18, top: 18, bottom: 34 };

  /**
   * `extent()`: {lo, hi} of the points, or null before they are there. `avoid()`:
   * {right, bottom} of the preview, which the fitted view keeps clear of if it can.
   */
  function create({ extent, avoid, onChange }) {
    const view = { w: 0, h: 0, dpr: 1, scale: 1, ox: 0, oy: 0, ok: false, fit: null, version: 0 };

    const toScreen = (u1, u2) => [view.ox + view.scale * u1, view.oy - view.scale * u2];
    const toPlane = (x, y) => [(x - view.ox) / view.scale, (view.oy - y) / view.scale];
    const isFitted = () => Boolean(view.fit) && view.scale === view.fit.scale
      && view.ox === view.fit.ox && view.oy === view.fit.oy;
    const zoom = () => (view.fit ? view.scale / view.fit.scale : 1);

    /** The view that fits the box lo..hi with a margin, beside the preview if that costs little (`clearOnly`: always). */
    function fitting(lo, hi, clearOnly = false) {
      const { w, h } = view;
      const span = [Math.max(hi[0] - lo[0], 1e-6), Math.max(hi[1] - lo[1], 1e-6)];
      const mid = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
      const fit = (x0, y0, x1, y1) => {
        const scale = Math.min((x1 - x0) / span[0], (y1 - y0) / span[1]) / 1.08;
        return { scale, ox: (x0 + x1) / 2 - scale * mid[0], oy: (y0 + y1) / 2 + scale * mid[1] };
      };
      const m = MARGIN;
      const full = fit(m.left, m.top, w - m.right, h - m.bottom);
      const preview = avoid();
      const beside = fit(Math.max(m.left, preview.right + 8), m.top, w - m.right, h - m.bottom);
      const under = fit(m.left, Math.max(m.top, preview.bottom + 8), w - m.right, h - m.bottom);
      const clear = beside.scale >= under.scale ? beside : under;
      return clearOnly || clear.scale >= 0.8 * full.scale ? clear : full;
    }

    /** The view that fits all the points. */
    function fittedView() {
      const box = extent();
      return box ? fitting(box.lo, box.hi) : fitting([-1, -1], [1, 1]);
    }

    /**
     * The view {scale, ox, oy} that shows the box lo..hi (plane points) as the fitted
     * view shows all the points, within the zoom limits (the box's middle stays put).
     */
    function framing(lo, hi) {
      const f = fitting(lo, hi, true);   // a story's stop: its points never under the preview
      const scale = clampScale(f.scale);
      const mid = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
      const [x, y] = [f.ox + f.scale * mid[0], f.oy - f.scale * mid[1]];
      return { scale, ox: x - scale * mid[0], oy: y + scale * mid[1] };
    }

    function changed() {
      view.version += 1;
      onChange();
    }

    /**
     * A new canvas size: `w`×`h` CSS pixels, `deviceWidth` device pixels wide. A fitted
     * view is fitted again; otherwise the zoom and the point in the middle stay.
     */
    function resize(w, h, deviceWidth) {
      const fitted = !view.fit || isFitted();
      const middle = view.fit ? toPlane(view.w / 2, view.h / 2) : null;
      const factor = zoom();
      view.w = w;
      view.h = h;
      view.dpr = w > 0 ? deviceWidth / w : 1;
      view.fit = fittedView();
      if (fitted || !middle) {
        Object.assign(view, view.fit);
      } else {
        view.scale = view.fit.scale * factor;
        view.ox = view.w / 2 - view.scale * middle[0];
        view.oy = view.h / 2 + view.scale * middle[1];
      }
      view.ok = view.scale > 0 && extent() !== null;
      changed();
    }

    function setView(scale, ox, oy) {
      view.scale = scale;
      view.ox = ox;
      view.oy = oy;
      changed();
    }

    function clampScale(scale) {
      const fit = view.fit.scale;
      return Math.min(fit * ZOOM_LIMITS[1], Math.max(fit * ZOOM_LIMITS[0], scale));
    }

    /** Zoom by `factor` keeping the plane point under (x, y) (CSS pixels) where it is. */
    function zoomAt(x, y, factor) {
      if (!view.ok) return;
      const [u1, u2] = toPlane(x, y);
      const scale = clampScale(view.scale * factor);
      setView(scale, x - scale * u1, y + scale * u2);
    }

    const panBy = (dx, dy) => setView(view.scale, view.ox + dx, view.oy + dy);

    function resetView() {
      if (!view.fit || isFitted()) return;
      setView(view.fit.scale, view.fit.ox, view.fit.oy);
    }

    /** The plane point nearest to [u1, u2] inside the visible plane. */
    function clampToView([u1, u2]) {
      const [a1, a2] = toPlane(0, view.h);
      const [b1, b2] = toPlane(view.w, 0);
      return [Math.min(b1, Math.max(a1, u1)), Math.min(b2, Math.max(a2, u2))];
    }

    /** What a drawing computed now needs to follow the view later (see fromSnapshot). */
    const snapshot = () => ({ scale: view.scale, ox: view.ox, oy: view.oy, dpr: view.dpr, version: view.version });

    /** The affine map [a, bx, by] from device pixels of a snapshot's view to those of the current one. */
    function fromSnapshot(s) {
      const a = (view.scale * view.dpr) / (s.scale * s.dpr);
      return [a, (view.ox - (view.scale * s.ox) / s.scale) * view.dpr, (view.oy - (view.scale * s.oy) / s.scale) * view.dpr];
    }

    return {
      get w() { return view.w; },
      get h() { return view.h; },
      get dpr() { return view.dpr; },
      get scale() { return view.scale; },
      get ox() { return view.ox; },
      get oy() { return view.oy; },
      get ok() { return view.ok; },
      get version() { return view.version; },
      hasFit: () => view.fit !== null,
      toScreen,
      toPlane,
      isFitted,
      zoom,
      resize,
      setView,
      clampScale,
      framing,
      zoomAt,
      panBy,
      resetView,
      clampToView,
      snapshot,
      fromSnapshot,
    };
  }

  return { create, ZOOM_LIMITS };
})();
