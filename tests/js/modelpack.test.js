'use strict';
// The page's unpacking of a packed model (templates/shared/runtime.js `unpackModel`) against
// builder/site/modelpack.py's packing: tests/test_js.py packs a real ONNX file in Python and
// passes it here (AEDEMO_PACKED_MODEL: {packed, sha256 of the original bytes}); the unpacked
// bytes must be the original file, byte for byte.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { load } = require('./load.js');

const fixture = process.env.AEDEMO_PACKED_MODEL;
const globals = { document: { currentScript: null }, atob, Blob, Response, DecompressionStream };

test('unpackModel gives back the ONNX bytes modelpack.py packed', { skip: !fixture && 'run by tests/test_js.py' }, async () => {
  const { packed, sha256, planes } = JSON.parse(fs.readFileSync(fixture, 'utf8'));
  assert.ok(packed.planes.length === planes && planes >= 4, 'the weights are in byte planes');
  const { runtime } = load(['shared/datafiles.js', 'shared/runtime.js'], globals).lib;
  const bytes = await runtime.unpackModel(packed);
  assert.equal(bytes.length, packed.bytes);
  assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), sha256);
});

test('a truncated packed model is refused', { skip: !fixture && 'run by tests/test_js.py' }, async () => {
  const { packed } = JSON.parse(fs.readFileSync(fixture, 'utf8'));
  const { runtime } = load(['shared/datafiles.js', 'shared/runtime.js'], globals).lib;
  await assert.rejects(runtime.unpackModel({ ...packed, bytes: packed.bytes + 1 }), /truncated/);
});
