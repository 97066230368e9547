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

// Stored stamps are untrusted (another page of the same origin can write them): whatever
// the stored text, loadStamps returns (never throws), keeps only plain pairs of numbers,
// and counts or flags the rest, so the page says so and goes on.
const hostile = {
  'objects with toString and valueOf': '[[{"toString":1},{"valueOf":2}]]',
  'deeply nested lists': `${'['.repeat(5000)}${']'.repeat(5000)}`,
  'nested list in a pair': '[[[1],[2]],[0.5,0.5]]',
  'strings that look like numbers': '[["1","2"],[0.5,0.5]]',
  'three numbers': '[[1,2,3],[0.5,0.5]]',
  'one number': '[[1],[0.5,0.5]]',
  'huge numbers': '[[1e400,0],[0.5,0.5]]',
  'null and booleans': '[null,true,[null,null],[0.5,0.5]]',
  'an object': '{"0":[1,2],"length":1}',
  'a number': '42',
  'a string': '"[[1,2]]"',
  'a sparse-looking list': '[[0.5,0.5],{},[]]',
  'not JSON at all': '\u0000\ud800',
};

test('hostile stored stamps are dropped with a notice, never thrown', () => {
  for (const [what, text] of Object.entries(hostile)) {
    storage.set('aedemo:h:stamps', text);
    const kept = share.loadStamps('h', box);
    assert.ok(kept, what);
    const back = plain(kept);
    for (const stamp of back.stamps) {
      assert.equal(stamp.length, 2, what);
      assert.ok(stamp.every((v) => typeof v === 'number' && Number.isFinite(v)), what);
    }
    assert.ok(kept.broken || kept.unreadable > 0, `${what}: reported`);
    assert.notEqual(share.notice(kept, 'kept'), '', `${what}: a notice`);
    if (text.includes('[0.5,0.5]')) assert.deepEqual(back.stamps, [[0.5, 0.5]], what);
    else assert.equal(back.stamps.length, 0, what);
  }
});

test('a stored list nested 100,000 deep is broken or unreadable, not thrown', () => {
  storage.set('aedemo:h:stamps', `${'['.repeat(1e5)}${']'.repeat(1e5)}`);
  const kept = share.loadStamps('h', box);
  assert.ok(kept.broken || kept.unreadable === kept.total);
});

test('a link reads plain decimals only', () => {
  const back = plain(share.fromHash('#at=0x1,0&stamps=0x10,1;1e1,-.5;Infinity,0; 1,2;1_0,2;+0.25,1.', box));
  assert.equal(back.cursor, null);
  assert.equal(back.cursorUnreadable, true);
  assert.deepEqual(back.stamps, [[10, -0.5], [0.25, 1]]);
  assert.equal(back.unreadable, 4);
});
