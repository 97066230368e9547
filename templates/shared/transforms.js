/*
 * aedemo: the probe kit's transforms. Pure functions, each an explicit formula in
 * float64 that tests/test_probe.py reproduces in numpy operation for operation (no
 * canvas filtering, whose results numpy cannot reproduce).
 *
 * On the pad's ink raster (size×size alpha bytes, before the MNIST preprocessing,
 * which keeps what a writer changes: the stroke's angle, width and parts):
 *   rotate(ink, size, degrees)  about c = (size − 1)/2; output pixel (x, y) takes the
 *       ink at sx = c + cos·(x − c) + sin·(y − c), sy = c − sin·(x − c) + cos·(y − c)
 *       (positive degrees turn the drawing clockwise on screen), bilinear (below),
 *       zero outside, rounded half up to a byte: floor(v + 0.5);
 *   dilate / erode(ink, size, r) the max / min of the ink over the disc dx² + dy² ≤ r²
 *       around each pixel (zero outside the raster): a thicker / thinner stroke.
 * On the 28×28 input (after the preprocessing, which would undo a move or a resize by
 * re-centring and re-fitting the drawing to its 20×20 box):
 *   place(image, side, scale, dx, dy)  about c = (side − 1)/2; output pixel (x, y)
 *       takes the image at sx = (x − dx − c)/scale + c, sy = (y − dy − c)/scale + c,
 *       bilinear, zero outside (whole-pixel moves at scale 1 copy pixels exactly);
 *   noise(image, sigma, seed)   pixel i + sigma·(2·r_i − 1), clipped to [0, 1], with
 *       r_i the i-th draw of mulberry32(seed) (a 32-bit generator, below) in [0, 1).
 * Bilinear at (sx, sy): x0 = floor(sx), fx = sx − x0 (likewise y0, fy), a..d the
 * pixels at (x0, y0), (x0+1, y0), (x0, y0+1), (x0+1, y0+1);
 * top = a + fx·(b − a), bottom = c + fx·(d − c), v = top + fy·(bottom − top).
 *
 * Owns: nothing (no state). May touch: nothing.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).transforms = (() => {
  /** The bilinear sample of the w×h `values` at (sx, sy), zero outside (see above). */
  function bilinear(values, w, h, sx, sy) {
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    const at = (x, y) => (x >= 0 && y >= 0 && x < w && y < h ? values[y * w + x] : 0);
    const a = at(x0, y0);
    const b = at(x0 + 1, y0);
    const c = at(x0, y0 + 1);
    const d = at(x0 + 1, y0 + 1);
    const top = a + fx * (b - a);
    const bottom = c + fx * (d - c);
    return top + fy * (bottom - top);
  }

  /** The ink turned by `degrees` (clockwise on screen) about the raster's centre: new bytes. */
  function rotate(ink, size, degrees) {
    const angle = (degrees * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const c = (size - 1) / 2;
    const out = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = c + cos * (x - c) + sin * (y - c);
        const sy = c - sin * (x - c) + cos * (y - c);
        out[y * size + x] = Math.floor(bilinear(ink, size, size, sx, sy) + 0.5);
      }
    }
    return out;
  }

  /** The offsets [dx, dy, ...] of the disc dx² + dy² ≤ r². */
  function disc(r) {
    const offsets = [];
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) offsets.push(dx, dy);
    }
    return offsets;
  }

  /** The max (`pick` Math.max) or min of the ink over the disc of radius r around each pixel. */
  function morph(ink, size, r, pick) {
    const offsets = disc(r);
    const out = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let v = pick === Math.max ? 0 : 255;
        for (let k = 0; k < offsets.length; k += 2) {
          const sx = x + offsets[k];
          const sy = y + offsets[k + 1];
          v = pick(v, sx >= 0 && sy >= 0 && sx < size && sy < size ? ink[sy * size + sx] : 0);
        }
        out[y * size + x] = v;
      }
    }
    return out;
  }

  const dilate = (ink, size, r) => morph(ink, size, r, Math.max);
  const erode = (ink, size, r) => morph(ink, size, r, Math.min);

  /** The side×side image scaled by `scale` about its centre and moved by (dx, dy) pixels: a new Float32Array. */
  function place(image, side, scale, dx, dy) {
    const c = (side - 1) / 2;
    const out = new Float32Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        out[y * side + x] = bilinear(image, side, side, (x - dx - c) / scale + c, (y - dy - c) / scale + c);
      }
    }
    return out;
  }

  /** mulberry32: a small seeded 32-bit generator; each call gives the next number in [0, 1). */
  function mulberry32(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** The image with uniform noise of amplitude `sigma` from mulberry32(seed), clipped to [0, 1]: a new Float32Array. */
  function noise(image, sigma, seed) {
    const next = mulberry32(seed);
    const out = new Float32Array(image.length);
    for (let i = 0; i < image.length; i++) out[i] = Math.min(1, Math.max(0, image[i] + sigma * (2 * next() - 1)));
    return out;
  }

  return { rotate, dilate, erode, place, noise, mulberry32 };
})();
