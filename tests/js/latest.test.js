'use strict';
// "One in flight, newest wins" (templates/shared/latest.js): the page's pointer, strip and pad jobs.
const test = require('node:test');
const assert = require('node:assert/strict');
const { load } = require('./load.js');

const { latest } = load('shared/latest.js').lib;

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test('while a job runs, newer requests replace each other and only the newest runs next', async () => {
  const ran = [];
  const jobs = [];
  const q = latest((v) => { ran.push(v); const d = deferred(); jobs.push(d); return d.promise; },
    { fail: (e) => { throw e; }, done: () => q.start() });
  q.want(1);
  assert.equal(q.start(), true);
  assert.equal(q.busy(), true);
  for (const v of [2, 3, 4]) { q.want(v); assert.equal(q.start(), false, 'one in flight'); }
  assert.equal(q.waiting(), true);
  jobs[0].resolve();
  await tick();
  assert.deepEqual(ran, [1, 4], '2 and 3 were replaced');
  jobs[1].resolve();
  await tick();
  assert.equal(q.busy(), false);
  assert.equal(q.waiting(), false);
  assert.equal(q.start(), false, 'nothing waits');
});

test('a rejected job goes to fail, and done is still called', async () => {
  const failed = [];
  let done = 0;
  const q = latest(() => Promise.reject(new Error('boom')), { fail: (e) => failed.push(e.message), done: () => { done += 1; } });
  q.want('x');
  q.start();
  await tick();
  assert.deepEqual(failed, ['boom']);
  assert.equal(done, 1);
  assert.equal(q.busy(), false);
});

test('a job that finishes at once does not block the next, and drop forgets what waits', () => {
  const ran = [];
  const q = latest((v) => { ran.push(v); }, { fail: () => {} });
  q.want(1);
  q.start();
  q.want(2);
  q.drop();
  assert.equal(q.start(), false);
  q.want(3);
  assert.equal(q.start(), true);
  assert.deepEqual(ran, [1, 3]);
});
