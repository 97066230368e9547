/*
 * aedemo: numbers and colours as the page writes them. Pure functions.
 *
 * Owns: nothing (no state). May touch: nothing (no DOM, no other module).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).format = (() => {
  /** `x` with `decimals` decimals and a true minus sign; never "−0". */
  function number(x, decimals) {
    const text = Math.abs(x).toFixed(decimals);
    return (x < 0 && Number(text) !== 0 ? '\u2212' : '') + text;
  }

  /** "(u1, u2)" with two decimals. */
  const point = ([u1, u2]) => `(${number(u1, 2)}, ${number(u2, 2)})`;

  /** A plane point rounded to float32, the precision the models and the links use. */
  const f32 = ([a, b]) => [Math.fround(a), Math.fround(b)];

  /** `#rrggbb` → [r, g, b]. */
  function rgb(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  /** `#rrggbb` with an opacity, as CSS `rgba(r, g, b, a)`. */
  function rgba(hex, alpha) {
    const [r, g, b] = rgb(hex);
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }

  return { number, point, f32, rgb, rgba };
})();
