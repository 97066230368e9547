// Loads the page's classic scripts into a fresh context, as the browser runs them: each puts
// one value into window.AEDEMO_LIB. `load('shared/format.js', ...)` returns that object.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const TEMPLATES = path.resolve(__dirname, '..', '..', 'templates');

// `load(['a.js', 'b.js'], {document, ...})`: the same, with extra globals in the context.
function load(...args) {
  const [files, extra] = Array.isArray(args[0]) ? [args[0], args[1] || {}] : [args, {}];
  const storage = new Map();
  const window = {
    localStorage: {
      getItem: (k) => (storage.has(k) ? storage.get(k) : null),
      setItem: (k, v) => { storage.set(k, String(v)); },
      removeItem: (k) => { storage.delete(k); },
    },
  };
  const context = vm.createContext({ window, Math, Number, String, Array, Object, JSON, Map, Set,
    Int32Array, Float32Array, Float64Array, Uint8Array, Uint8ClampedArray, Promise, Infinity, NaN,
    isFinite, parseInt, parseFloat, Error, TypeError, RangeError, setTimeout, clearTimeout, queueMicrotask,
    ...extra });
  for (const file of files) {
    vm.runInContext(fs.readFileSync(path.join(TEMPLATES, file), 'utf8'), context, { filename: file });
  }
  return { lib: window.AEDEMO_LIB, window, storage };
}

// A seeded generator for test data (not the page's mulberry32, so that one is tested, not used).
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Values made in the scripts' context have its own Array prototype: compare them as plain data.
const plain = (x) => JSON.parse(JSON.stringify(x));

module.exports = { load, lcg, plain };
