/*
 * aedemo: drawing the plane. Two layers under the screen canvas: `dots` (every
 * visible point, written straight into pixels) and `base` (background, grid lines,
 * the decoded tiles when on, the shaded map when on, the dots, the axis labels),
 * redrawn only when the view or the dots change; then the scene on top: drift arrows,
 * stamps, paths, the story's trail and rings, the probe's trail, the drawing's marker,
 * the strip's line and the keyboard cursor.
 * The story can dim every class but a few: their dots are drawn first, at DIM_ALPHA.
 *
 * Owns: the two layer canvases, the dots' pixel buffer, which classes are hidden and
 * which are dimmed.
 * May touch: the screen canvas's size and pixels. It reads the view and is handed
 * the points, the tiles and everything the scene shows; it changes no other state.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).plane = (() => {
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const DIM_ALPHA = 0.18;        // the opacity of a dimmed class's dots

  function niceStep(raw) {
    const p = 10 ** Math.floor(Math.log10(raw));
    const f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  /**
   * `canvas`: the screen canvas; `theme`: config.theme; `palette`: one `#rrggbb` per
   * class; `view`: lib.view; `marks`: lib.marks.create(theme); `points()`: the points
   * or null.
   */
  function create({ canvas, theme, palette, classes, view, marks, points }) {
    const { number, rgb, rgba } = window.AEDEMO_LIB.format;
    const base = document.createElement('canvas');
    const dots = document.createElement('canvas');
    const colours = palette.map(rgb);
    const hidden = classes.map(() => false);
    let kept = null;             // null: nothing dimmed; else, per class, whether it keeps its strength
    const stampEdge = rgba(theme.ink, 0.55);
    const labelHalo = rgba(theme.card, 0.9);
    let dotsImage = null;

    /** Size all three canvases in device pixels. */
    function setSize(width, height) {
      canvas.width = base.width = dots.width = Math.max(1, width);
      canvas.height = base.height = dots.height = Math.max(1, height);
    }

    /** Flip class `k` between shown and hidden; true when it is shown now. */
    function toggleClass(k) {
      hidden[k] = !hidden[k];
      return !hidden[k];
    }

    /** Dim every class but those listed ([k, ...]); null: dim none. */
    function dimAllBut(list) {
      kept = list ? classes.map((_, k) => list.includes(k)) : null;
    }

    /** The classes dimmed now, in order. */
    const dimmed = () => (kept ? classes.map((_, k) => k).filter((k) => !kept[k]) : []);

    function gridLines() {
      const step = niceStep(84 / view.scale);
      const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
      const [a1, a2] = view.toPlane(0, view.h);
      const [b1, b2] = view.toPlane(view.w, 0);
      const range = (lo, hi) => {
        const out = [];
        for (let k = Math.ceil(lo / step); k * step <= hi; k++) out.push(k * step);
        return out;
      };
      return { xs: range(a1, b1), ys: range(a2, b2), decimals };
    }

    /** All visible dots, written straight into pixels: exact colours, fast for 70,000 points. */
    function drawDots() {
      const W = dots.width;
      const H = dots.height;
      if (!dotsImage || dotsImage.width !== W || dotsImage.height !== H) dotsImage = new ImageData(W, H);
      const px = new Uint32Array(dotsImage.data.buffer);
      px.fill(0);
      if (view.ok) writeDots(px, W, H);
      dots.getContext('2d').putImageData(dotsImage, 0, 0);
    }

    function writeDots(px, W, H) {
      const p = points();
      const pack = (alpha) => colours.map(([r, g, b]) => ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0);
      const packed = pack(255);
      const faint = pack(Math.round(255 * DIM_ALPHA));
      const { scale, ox, oy, dpr } = view;
      const radius = (p.n > 30000 ? 1.25 : p.n > 10000 ? 1.45 : 1.7) * dpr;
      const reach = Math.ceil(radius);
      const disc = [];
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          if (dx * dx + dy * dy <= radius * radius + 1e-9) disc.push(dy * W + dx, dx, dy);
        }
      }
      const { u, label, n } = p;
      for (const strong of kept ? [false, true] : [true]) {   // dimmed dots first, under the others
        for (let i = 0; i < n; i++) {
          const k = label[i];
          if (hidden[k] || (kept && kept[k] !== strong)) continue;
          const cx = Math.round((ox + scale * u[2 * i]) * dpr);
          const cy = Math.round((oy - scale * u[2 * i + 1]) * dpr);
          writeDot(px, W, H, disc, reach, cx, cy, strong ? packed[k] : faint[k]);
        }
      }
    }

    /** One dot: the `disc` offsets around (cx, cy), clipped to the W×H buffer. */
    function writeDot(px, W, H, disc, reach, cx, cy, colour) {
      if (cx < -reach || cy < -reach || cx >= W + reach || cy >= H + reach) return;
      const inside = cx >= reach && cy >= reach && cx < W - reach && cy < H - reach;
      for (let j = 0; j < disc.length; j += 3) {
        if (inside) {
          px[cy * W + cx + disc[j]] = colour;
        } else {
          const x = cx + disc[j + 1];
          const y = cy + disc[j + 2];
          if (x >= 0 && y >= 0 && x < W && y < H) px[y * W + x] = colour;
        }
      }
    }

    /** The background, grid lines, the decoded `tiles` and the shaded `map` (or nulls), the dots and the axis labels. */
    function composeBase(tiles, map) {
      const g = base.getContext('2d', { alpha: false });
      const { w, h, dpr } = view;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.fillStyle = theme.card;
      g.fillRect(0, 0, w, h);
      if (!view.ok) return;
      const { xs, ys, decimals } = gridLines();
      g.lineWidth = 1 / dpr;
      for (const [values, vertical] of [[xs, true], [ys, false]]) {
        for (const v of values) {
          const [x, y] = view.toScreen(v, v);
          const at = (Math.round((vertical ? x : y) * dpr) + 0.5) / dpr;
          g.strokeStyle = Math.abs(v) < 1e-9 ? theme.axisLine : theme.gridLine;
          g.beginPath();
          if (vertical) { g.moveTo(at, 0); g.lineTo(at, h); } else { g.moveTo(0, at); g.lineTo(w, at); }
          g.stroke();
        }
      }
      if (tiles) drawTiles(g, tiles);
      if (map) drawMap(g, map);
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.globalAlpha = tiles ? 0.6 : 1;
      g.drawImage(dots, 0, 0);
      g.globalAlpha = 1;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawAxisLabels(g, xs, ys, decimals, Boolean(tiles));
    }

    function drawAxisLabels(g, xs, ys, decimals, onTiles) {
      const { w, h } = view;
      const text = (s, x, y) => {
        if (onTiles) g.strokeText(s, x, y);
        g.fillText(s, x, y);
      };
      g.lineWidth = 3;
      g.strokeStyle = labelHalo;
      g.lineJoin = 'round';
      g.font = `11px ${FONT}`;
      g.fillStyle = onTiles ? theme.ink : theme.tick;
      g.textBaseline = 'alphabetic';
      g.textAlign = 'center';
      for (const v of xs) {
        const [x] = view.toScreen(v, 0);
        if (x > 40 && x < w - 34) text(number(v, decimals), x, h - 10);
      }
      g.textAlign = 'left';
      g.textBaseline = 'middle';
      for (const v of ys) {
        const [, y] = view.toScreen(0, v);
        if (y > 12 && y < h - 30) text(number(v, decimals), 8, y);
      }
      g.font = `italic 12px ${FONT}`;
      g.fillStyle = theme.inkSoft;
      g.textAlign = 'right';
      g.textBaseline = 'alphabetic';
      text('u\u2081', w - 10, h - 10);
      g.textAlign = 'left';
      text('u\u2082', 8, h - 26);
    }

    /** The tiles' sheet, following the view exactly until the tiles are recomputed. */
    function drawTiles(g, tiles) {
      g.save();
      if (tiles.view.version === view.version) {
        g.setTransform(1, 0, 0, 1, 0, 0);
      } else {
        const [a, bx, by] = view.fromSnapshot(tiles.view);
        g.setTransform(a, 0, 0, a, bx, by);
      }
      g.imageSmoothingEnabled = false;
      g.drawImage(tiles.sheet, tiles.x0, tiles.y0, tiles.cols * tiles.size, tiles.rows * tiles.size);
      g.restore();
    }

    /** A map's sheet (a pixel per cell, in CSS pixels of its view), smoothly scaled, following the view. */
    function drawMap(g, map) {
      g.save();
      const s = map.view;
      const [a, bx, by] = s.version === view.version ? [1, 0, 0] : view.fromSnapshot(s);
      g.setTransform(a * s.dpr, 0, 0, a * s.dpr, bx, by);
      g.imageSmoothingEnabled = true;
      g.imageSmoothingQuality = 'high';
      g.drawImage(map.sheet, map.x0, map.y0, map.cols * map.step, map.rows * map.step);
      g.restore();
    }

    function drawDrift(g, drift) {
      const ends = new Float64Array(2 * drift.from.length);
      for (let i = 0; i < drift.from.length; i += 2) {
        ends.set(view.toScreen(drift.from[i], drift.from[i + 1]), 2 * i);
        ends.set(view.toScreen(drift.to[i], drift.to[i + 1]), 2 * i + 2);
      }
      marks.driftArrows(g, ends, 0.85 * drift.step * (view.scale / drift.view.scale));
    }

    /** A stamp at its device-pixel square: a frame (a wider one in the mark colour when selected). */
    function drawStamp(g, { x, y, size, image, selected }) {
      if (selected) {
        g.fillStyle = theme.mark;
        g.fillRect(x - 4, y - 4, size + 8, size + 8);
      }
      g.strokeStyle = stampEdge;
      g.strokeRect(x - 1.5, y - 1.5, size + 3, size + 3);
      g.strokeStyle = theme.card;
      g.strokeRect(x - 0.5, y - 0.5, size + 1, size + 1);
      g.drawImage(image, x, y, size, size);
    }

    /** The story's marks: the trail (a walk or a shift's codes, with its labels), rings, the walking pointer. */
    function drawStory(g, { trail, labels, rings, walker }, screen) {
      if (trail.length) marks.trail(g, trail.map(screen), labels);
      for (const u of rings) marks.ring(g, ...screen(u), 18);
      if (walker) marks.ring(g, ...screen(walker), 7);
    }

    /**
     * Draw the plane into `g` (device pixels): the base layer and `scene` = {drift
     * (or null), stamps [{x, y, size, image, selected}], paths [[[u1, u2], ...]],
     * story ({trail, labels, rings, walker} in plane points: see story.marks(), or null),
     * probe (the probe's trail [[u1, u2], ...]),
     * marker ({u, selected} or null), line ({a, b, dots} in plane points, or null),
     * cursor ([u1, u2] or null)}.
     */
    function drawScene(g, scene) {
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.drawImage(base, 0, 0);
      const d = view.dpr;
      if (scene.drift) {
        g.setTransform(d, 0, 0, d, 0, 0);
        drawDrift(g, scene.drift);
      }
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.imageSmoothingEnabled = false;
      g.lineWidth = 1;
      for (const stamp of scene.stamps) drawStamp(g, stamp);
      g.setTransform(d, 0, 0, d, 0, 0);
      const screen = ([a, b]) => view.toScreen(a, b);
      for (const path of scene.paths) marks.path(g, path.map(screen));
      if (scene.story) drawStory(g, scene.story, screen);
      if (scene.probe && scene.probe.length > 1) marks.trail(g, scene.probe.map(screen));
      if (scene.marker) marks.marker(g, ...screen(scene.marker.u), scene.marker.selected);
      if (scene.line) marks.stripLine(g, screen(scene.line.a), screen(scene.line.b), scene.line.dots.map(screen));
      if (scene.cursor) marks.cursor(g, ...screen(scene.cursor));
      g.setTransform(1, 0, 0, 1, 0, 0);
    }

    return { setSize, toggleClass, dimAllBut, dimmed, drawDots, composeBase, drawScene };
  }

  return { create };
})();
