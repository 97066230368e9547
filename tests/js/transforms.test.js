'use strict';
// The probe kit's transforms (templates/shared/transforms.js) on rasters whose answer is known
// by construction; tests/page/test_probe.py checks them against numpy in the browser too.
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, lcg } = require('./load.js');

const { transforms } = load('shared/transforms.js').lib;

function raster(size, fill) {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = fill(x, y);
  return out;
}

test('rotate by 0 and by 360 degrees gives the ink back', () => {
  const next = lcg(1);
  const ink = raster(9, () => Math.floor(next() * 256));
  assert.deepEqual([...transforms.rotate(ink, 9, 0)], [...ink]);
  assert.deepEqual([...transforms.rotate(ink, 9, 360)], [...ink]);
});

test('rotate by 90 degrees turns a pixel clockwise on screen about the centre', () => {
  const size = 7;   // centre (3, 3); (5, 3) is right of it, and clockwise on screen goes down to (3, 5)
  const ink = raster(size, (x, y) => (x === 5 && y === 3 ? 200 : 0));
  const out = transforms.rotate(ink, size, 90);
  assert.equal(out[5 * size + 3], 200);
  assert.equal(out.reduce((a, b) => a + b, 0), 200, 'nothing else is inked');
});

test('dilate grows a pixel into the disc of radius r, erode takes it away again', () => {
  const size = 11;
  const ink = raster(size, (x, y) => (x === 5 && y === 5 ? 255 : 0));
  const thick = transforms.dilate(ink, size, 2);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - 5) ** 2 + (y - 5) ** 2 <= 4;
      assert.equal(thick[y * size + x], inside ? 255 : 0, `(${x}, ${y})`);
    }
  }
  assert.deepEqual([...transforms.erode(thick, size, 2)], [...ink]);
  assert.deepEqual([...transforms.dilate(ink, size, 0)], [...ink], 'radius 0 changes nothing');
  const full = raster(size, () => 255);
  assert.equal(transforms.erode(full, size, 1)[0], 0, 'zero outside the raster: the corner erodes');
  assert.equal(transforms.erode(full, size, 1)[5 * size + 5], 255);
});

test('place at scale 1 moves whole pixels exactly, and scale 2 doubles the distance from the centre', () => {
  const side = 9;
  const next = lcg(2);
  const image = Float32Array.from({ length: side * side }, () => next());
  const moved = transforms.place(image, side, 1, 2, -1);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = x - 2;
      const sy = y + 1;
      const want = sx >= 0 && sy >= 0 && sx < side && sy < side ? image[sy * side + sx] : 0;
      assert.equal(moved[y * side + x], want, `(${x}, ${y})`);
    }
  }
  const dot = Float32Array.from({ length: side * side }, (_, i) => (i === 4 * side + 5 ? 1 : 0));   // (5, 4): 1 right of centre
  const big = transforms.place(dot, side, 2, 0, 0);
  assert.equal(big[4 * side + 6], 1, 'the dot 1 px right of the centre lands 2 px right of it');
  assert.deepEqual([big[4 * side + 5], big[4 * side + 7], big[4 * side + 4]], [0.5, 0.5, 0], 'bilinear between');
});

test('noise is seeded, within sigma, clipped to [0, 1], and zero at sigma 0', () => {
  const image = Float32Array.from({ length: 500 }, (_, i) => (i % 50) / 49);
  const a = transforms.noise(image, 0.3, 7);
  assert.deepEqual([...a], [...transforms.noise(image, 0.3, 7)]);
  assert.notDeepEqual([...a], [...transforms.noise(image, 0.3, 8)]);
  for (let i = 0; i < image.length; i++) {
    assert.ok(a[i] >= 0 && a[i] <= 1);
    assert.ok(Math.abs(a[i] - image[i]) <= 0.3 + 1e-6);
  }
  assert.deepEqual([...transforms.noise(image, 0, 7)], [...image]);
});

test('mulberry32 draws in [0, 1), the same for a seed, about uniform', () => {
  const draw = transforms.mulberry32(42);
  const again = transforms.mulberry32(42);
  let sum = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const v = draw();
    assert.ok(v >= 0 && v < 1);
    assert.equal(v, again());
    sum += v;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
});
