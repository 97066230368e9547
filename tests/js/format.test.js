'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, plain } = require('./load.js');

const { format } = load('shared/format.js').lib;

test('number writes a true minus sign, and none for a value that rounds to zero', () => {
  assert.equal(format.number(-1.234, 2), '\u22121.23');
  assert.equal(format.number(1.235, 1), '1.2');
  assert.equal(format.number(-0.001, 2), '0.00');
  assert.equal(format.point([0.5, -2]), '(0.50, \u22122.00)');
});

test('f32 rounds both coordinates to float32', () => {
  const [a, b] = plain(format.f32([0.1, 1 / 3]));
  assert.equal(a, Math.fround(0.1));
  assert.equal(b, Math.fround(1 / 3));
  assert.notEqual(a, 0.1);
});

test('rgb and rgba read a hex colour', () => {
  assert.deepEqual(plain(format.rgb('#1f77b4')), [31, 119, 180]);
  assert.equal(format.rgba('#ff0000', 0.5), 'rgba(255, 0, 0, 0.5)');
});
