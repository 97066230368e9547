'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, lcg, plain } = require('./load.js');

const { nearest } = load('decoder/nearest.js').lib;

function brute(codes, x, y, k) {
  const n = codes.length / 2;
  const all = [];
  for (let i = 0; i < n; i++) {
    const dx = codes[2 * i] - x; const dy = codes[2 * i + 1] - y;
    all.push({ index: i, d2: dx * dx + dy * dy });
  }
  all.sort((a, b) => a.d2 - b.d2 || a.index - b.index);
  return all.slice(0, k).map((e) => e.index);
}

const indices = (found) => plain(found).map((e) => (typeof e === 'number' ? e : e.index));

test('the grid search finds the same k nearest as a brute-force search, ties in index order', () => {
  const rand = lcg(7);
  for (const n of [1, 5, 200, 3000]) {
    const codes = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) codes[i] = (rand() - 0.5) * (i % 2 ? 3 : 40);
    // duplicated points make ties
    if (n > 10) { codes[2] = codes[0]; codes[3] = codes[1]; }
    const index = nearest.buildIndex(codes);
    for (let q = 0; q < 50; q++) {
      const x = (rand() - 0.5) * 60; const y = (rand() - 0.5) * 6;
      for (const k of [1, 4, 8]) {
        assert.deepEqual(indices(nearest.query(index, x, y, k)), brute(codes, x, y, Math.min(k, n)), `n=${n} k=${k}`);
      }
    }
  }
});
