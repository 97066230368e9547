/*
 * aedemo: what the page draws on top of the plane, in screen coordinates (CSS pixels
 * under the context's transform): encode→decode paths with arrowheads, the drift
 * arrows, the drawing's marker, the strip's line, the keyboard cursor, the story's
 * rings and trails; and grey images.
 * Pure drawing: the caller maps plane points to the screen.
 *
 * Owns: nothing (no state). May touch: only the 2-D context it is handed. Colours come
 * from the page's theme (config.theme): create(theme) gives the drawing functions
 * (lib.format turns the ink into the drift arrows' translucent colour).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).marks = (() => {
  /** Grey levels (values clipped to [0, 1]) as an opaque side×side ImageData. */
  function greyImage(values, side) {
    const image = new ImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const grey = Math.round(255 * Math.min(1, Math.max(0, values[i])));
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey;
      image.data[4 * i + 3] = 255;
    }
    return image;
  }

  /** The drawing functions in the colours of `theme` (ink, mark, card: see builder/theme.py). */
  function create(theme) {
    const INK = theme.ink;
    const ACCENT = theme.mark;     // marker and selection: a colour no class uses
    const HALO = theme.card;
    const DRIFT = window.AEDEMO_LIB.format.rgba(theme.ink, 0.7);

    function arrowHead(g, x0, y0, x1, y1, size, spread) {
      const angle = Math.atan2(y1 - y0, x1 - x0);
      g.beginPath();
      g.moveTo(x1, y1);
      g.lineTo(x1 - size * Math.cos(angle - spread), y1 - size * Math.sin(angle - spread));
      g.lineTo(x1 - size * Math.cos(angle + spread), y1 - size * Math.sin(angle + spread));
      g.closePath();
      g.fill();
    }

    /** Arrows from (x0, y0) towards (x1, y1), at most `cap` long: [x0, y0, x1, y1, ...]. */
    function driftArrows(g, ends, cap) {
      g.lineWidth = 1.25;
      g.strokeStyle = DRIFT;
      g.fillStyle = DRIFT;
      for (let i = 0; i < ends.length; i += 4) {
        const [x0, y0] = [ends[i], ends[i + 1]];
        let [x1, y1] = [ends[i + 2], ends[i + 3]];
        const length = Math.hypot(x1 - x0, y1 - y0);
        if (length < 1) {
          g.fillRect(x0 - 1, y0 - 1, 2, 2);
          continue;
        }
        if (length > cap) {
          x1 = x0 + ((x1 - x0) * cap) / length;
          y1 = y0 + ((y1 - y0) * cap) / length;
        }
        const back = Math.min(3, length / 2);
        g.beginPath();
        g.moveTo(x0, y0);
        g.lineTo(x1 - (back * (x1 - x0)) / length, y1 - (back * (y1 - y0)) / length);
        g.stroke();
        arrowHead(g, x0, y0, x1, y1, 5, 0.45);
      }
    }

    /** The polyline [[x, y], ...] in ink `width` wide over a halo `halo` wide. */
    function haloLine(g, pts, halo, width) {
      for (const [colour, w] of [[HALO, halo], [INK, width]]) {
        g.strokeStyle = colour;
        g.lineWidth = w;
        g.lineJoin = 'round';
        g.beginPath();
        pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.stroke();
      }
    }

    /** A path [[x, y], ...]: a haloed line, an arrowhead on every step long enough, start dot, end ring. */
    function path(g, pts) {
      haloLine(g, pts, 4, 1.75);
      g.fillStyle = INK;
      for (let i = 1; i < pts.length; i++) {
        const [x0, y0] = pts[i - 1];
        const [x1, y1] = pts[i];
        if (Math.hypot(x1 - x0, y1 - y0) >= 9) arrowHead(g, x0, y0, x1, y1, 8, 0.42);
      }
      const [sx, sy] = pts[0];
      const [ex, ey] = pts[pts.length - 1];
      g.beginPath();
      g.arc(sx, sy, 3.5, 0, 2 * Math.PI);
      g.fill();
      g.beginPath();
      g.arc(ex, ey, 6, 0, 2 * Math.PI);
      g.lineWidth = 4;
      g.strokeStyle = HALO;
      g.stroke();
      g.lineWidth = 1.75;
      g.strokeStyle = INK;
      g.stroke();
    }

    /** The drawing's code: a haloed diamond, in the accent colour when selected. */
    function marker(g, x, y, isSelected) {
      g.beginPath();
      g.moveTo(x, y - 10); g.lineTo(x + 10, y); g.lineTo(x, y + 10); g.lineTo(x - 10, y); g.closePath();
      g.lineWidth = 4;
      g.strokeStyle = HALO;
      g.stroke();
      g.fillStyle = isSelected ? ACCENT : INK;
      g.fill();
      g.fillStyle = HALO;
      g.beginPath();
      g.arc(x, y, 2.5, 0, 2 * Math.PI);
      g.fill();
    }

    /** A dashed line from a to b with a dot at each of `dots` ([[x, y], ...]). */
    function stripLine(g, [x0, y0], [x1, y1], dots) {
      for (const [colour, width] of [[HALO, 4], [INK, 1.5]]) {
        g.strokeStyle = colour;
        g.lineWidth = width;
        g.setLineDash(colour === INK ? [5, 4] : []);
        g.beginPath();
        g.moveTo(x0, y0);
        g.lineTo(x1, y1);
        g.stroke();
      }
      g.setLineDash([]);
      for (const [x, y] of dots) {
        for (const [colour, radius] of [[HALO, 3.5], [ACCENT, 2.25]]) {
          g.fillStyle = colour;
          g.beginPath();
          g.arc(x, y, radius, 0, 2 * Math.PI);
          g.fill();
        }
      }
    }

    /** The keyboard cursor: a haloed ring with four ticks. */
    function cursor(g, x, y) {
      for (const [colour, width] of [[HALO, 4], [INK, 1.75]]) {
        g.strokeStyle = colour;
        g.lineWidth = width;
        g.beginPath();
        g.arc(x, y, 9, 0, 2 * Math.PI);
        for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
          g.moveTo(x + 13 * dx, y + 13 * dy);
          g.lineTo(x + 19 * dx, y + 19 * dy);
        }
        g.stroke();
      }
    }

    /** A ring of `radius` around (x, y) in the accent colour, haloed: what the story points at. */
    function ring(g, x, y, radius) {
      for (const [colour, width] of [[HALO, 6], [ACCENT, 2.5]]) {
        g.strokeStyle = colour;
        g.lineWidth = width;
        g.beginPath();
        g.arc(x, y, radius, 0, 2 * Math.PI);
        g.stroke();
      }
    }

    /**
     * A trail [[x, y], ...]: a thin haloed line with a dot at every point, the last one
     * larger; `labels` (optional, one string per point) are written beside the dots.
     */
    function trail(g, pts, labels) {
      haloLine(g, pts, 3.5, 1.25);
      pts.forEach(([x, y], i) => {
        const r = i === pts.length - 1 ? 4 : 2.5;
        for (const [colour, radius] of [[HALO, r + 1.5], [INK, r]]) {
          g.fillStyle = colour;
          g.beginPath();
          g.arc(x, y, radius, 0, 2 * Math.PI);
          g.fill();
        }
      });
      if (!labels) return;
      g.font = '600 11px system-ui, sans-serif';
      g.textBaseline = 'middle';
      g.lineJoin = 'round';
      pts.forEach(([x, y], i) => {
        if (!labels[i]) return;
        g.lineWidth = 3;
        g.strokeStyle = HALO;
        g.strokeText(labels[i], x + 7, y - 7);
        g.fillStyle = INK;
        g.fillText(labels[i], x + 7, y - 7);
      });
    }

    return { driftArrows, path, marker, stripLine, cursor, ring, trail };
  }

  return { create, greyImage };
})();
