'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { load, plain } = require('./load.js');

const { lib } = load('decoder/statecodec.js', 'decoder/viewlink.js');
const { viewlink, share } = lib;
const limits = {
  zoom: [0.2, 2000], box: share.range([-2, -2], [2, 2]),
  overlays: ['grid', 'drift', 'smooth', 'unfamiliar'], disclosures: ['probe', 'layers', 'maps'],
};

test('zoom, centre, overlays and disclosures round-trip, the centre exactly as float32', () => {
  const centre = [Math.fround(1 / 3), Math.fround(-0.7)];
  const text = viewlink.write({ zoom: 3.3, centre, fitted: false, on: ['grid', 'smooth'], open: ['probe', 'maps'] });
  const back = plain(viewlink.read(`#at=1,2&${text}`, limits));
  assert.equal(Math.fround(back.view.zoom), Math.fround(3.3));
  assert.deepEqual(back.view.centre, centre);
  assert.deepEqual(back.on, ['grid', 'smooth']);
  assert.deepEqual(back.open, ['probe', 'maps']);
  assert.equal(back.unreadable, 0);
});

test('the fitted view and nothing on write nothing; a hash without them reads as null', () => {
  assert.equal(viewlink.write({ zoom: 1, centre: [0, 0], fitted: true, on: [], open: [] }), '');
  assert.equal(viewlink.read('#at=1,2&stamps=1,1', limits), null);
});

test('bad values are left out and counted: zoom out of its limits, a centre out of range, unknown names, two maps', () => {
  for (const bad of ['view=0.1,0,0', 'view=3,1e9,0', 'view=NaN,0,0', 'view=3,0', 'view=3,,0', 'view=1e400,0,0']) {
    const r = viewlink.read(`#${bad}`, limits);
    assert.equal(r.view, null, bad);
    assert.equal(r.unreadable, 1, bad);
  }
  const r = plain(viewlink.read('#on=grid,evil,grid,unfamiliar,smooth&open=probe,<b>', limits));
  assert.deepEqual(r.on, ['grid', 'unfamiliar']);
  assert.deepEqual(r.open, ['probe']);
  assert.equal(r.unreadable, 4);
  assert.match(viewlink.notice(r), /4 of the link's view settings could not be read/);
  assert.equal(viewlink.notice({ unreadable: 0 }), '');
});
