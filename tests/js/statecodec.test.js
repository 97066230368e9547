'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, plain } = require('./load.js');

const { lib, storage } = load('decoder/statecodec.js');
const { share } = lib;
const box = share.range([-2, -2], [2, 2]);

test('a link round-trips the cursor and the stamps exactly as float32', () => {
  const cursor = [Math.fround(0.1), Math.fround(-1.25)];
  const stamps = [[Math.fround(1 / 3), Math.fround(2)], [Math.fround(-0.7), Math.fround(0.003)]];
  const back = plain(share.fromHash(share.toHash(cursor, stamps), box));
  assert.deepEqual(back.cursor, cursor);
  assert.deepEqual(back.stamps, stamps);
  assert.equal(back.unreadable, 0);
});

test('unreadable and out-of-range stamps are dropped and counted', () => {
  const back = plain(share.fromHash('#stamps=1,2;x,3;1e9,0;;0.5,0.5', box));
  assert.deepEqual(back.stamps, [[1, 2], [0.5, 0.5]]);
  assert.equal(back.unreadable, 2);
  assert.equal(share.fromHash('#other=1', box), null);
});

test('stamps kept in storage come back; a broken entry is reported, not thrown', () => {
  share.saveStamps('m', [[0.25, -0.5]]);
  assert.deepEqual(plain(share.loadStamps('m', box).stamps), [[0.25, -0.5]]);
  storage.set('aedemo:m:stamps', '{not json');
  assert.equal(share.loadStamps('m', box).broken, true);
  share.saveStamps('m', []);
  assert.equal(share.loadStamps('m', box), null);
});

test('no more than MAX_STAMPS stamps are read', () => {
  const many = Array.from({ length: share.MAX_STAMPS + 3 }, (_, i) => `${i / 1000},0`).join(';');
  const back = share.fromHash(`#stamps=${many}`, box);
  assert.equal(back.stamps.length, share.MAX_STAMPS);
  assert.equal(back.cut, 3);
});
