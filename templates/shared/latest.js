/*
 * aedemo: "one in flight, newest wins". The page decodes the pointer's point, the
 * strip, the drawing and the overlays this way: while a job runs, newer requests
 * replace each other, and only the newest is run once the job is done.
 *
 * Owns: its own waiting value and busy flag. May touch: nothing else; the caller's
 * `run`, `fail` and `done` do the work.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).latest = (() => {
  const NONE = Symbol('nothing waiting');

  /**
   * A job runner. `want(value)` replaces what waits; `start()` runs `run(value)` with
   * the newest waiting value unless a job is in flight (true when it started one).
   * `run` returns a promise, or anything else when it finished at once. A rejection
   * goes to `fail(error)`; `done()` is called after every job that was in flight.
   */
  function latest(run, { fail, done = () => {} }) {
    let waiting = NONE;
    let busy = false;

    function start() {
      if (busy || waiting === NONE) return false;
      const value = waiting;
      waiting = NONE;
      const job = run(value);
      if (!job || typeof job.then !== 'function') return true;
      busy = true;
      job.catch(fail).finally(() => {
        busy = false;
        done();
      });
      return true;
    }

    return {
      want: (value) => { waiting = value; },
      drop: () => { waiting = NONE; },
      start,
      busy: () => busy,
      waiting: () => waiting !== NONE,
    };
  }

  return latest;
})();
