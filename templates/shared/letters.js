/*
 * aedemo: a few drawings that are not in any data set the page shows: capital letters,
 * as stroke paths in pad coordinates (the pad is a fixed pad.SIZE = 224 square raster,
 * x to the right, y down). Each letter is a list of strokes, each stroke a polyline
 * [[x, y], ...] drawn with the pad's own pen (lib.pad: drawStrokes, rasterise), so it
 * is rasterised and preprocessed exactly like a drawing made by hand. About 160 pad
 * pixels tall, the height of a full-height handwritten digit on the pad.
 *
 * Owns: nothing (constant data). May touch: nothing. story.js measures where each
 * letter lands and loads it into the pad.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).letters = Object.freeze({
  B: [
    [[74, 32], [74, 192]],
    [[74, 32], [118, 32], [140, 39], [152, 54], [152, 74], [142, 90], [122, 101], [74, 104]],
    [[74, 104], [128, 106], [152, 118], [162, 138], [160, 162], [146, 180], [122, 190], [74, 192]],
  ],
  A: [
    [[50, 192], [112, 32], [174, 192]],
    [[76, 132], [148, 132]],
  ],
  X: [
    [[58, 34], [166, 190]],
    [[166, 34], [58, 190]],
  ],
});
