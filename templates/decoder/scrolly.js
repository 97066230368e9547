/*
 * aedemo: the story beside the plane. The stops (templates/decoder/_story.html) scroll beside
 * the plane on a wide screen and under it on a narrow one (scrolly.css); this part tells which
 * stop the reader has reached (the one across the reading line: 45 % down the screen, or, when
 * the plane sticks to the top, 35 % down what is left under it) and marks it
 * aria-current="step". When the reader scrolled there (wheel, touch or a scrolling key in the
 * last SCROLLED_MS) and stays DWELL_MS, a stop whose first action only moves the view
 * (AUTO: groups and the walks) plays once, as its button would; the others (they load
 * the pad or place a stamp) wait for their button. Scrolling by a script or by focus (Tab)
 * never plays a stop. Nothing here moves the page.
 *
 * Owns: the stop reached, when the reader last scrolled, the dwell timer, the stop played
 * last. May touch: the stops' aria-current; the story runs only through `run(action)`.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).scrolly = (() => {
  const DWELL_MS = 600;
  const SCROLLED_MS = 1500;
  const AUTO = new Set(['groups', 'walk', 'walk-abrupt', 'walk-chaotic']);
  const SCROLL_KEYS = new Set(['PageDown', 'PageUp', 'ArrowDown', 'ArrowUp', ' ', 'Home', 'End']);

  /** The reading line's height in the viewport: below `stuck` (the stuck plane's bottom, or 0). */
  const readingLine = (height, stuck) => (stuck > 0 ? stuck + 0.35 * (height - stuck) : 0.45 * height);

  /**
   * `root`: the story section (or null); `stage`: the element that sticks to the top on a
   * narrow screen; `run(action)`: play a story action; `busy()`: whether one is running.
   */
  function create({ root, stage, run, busy }) {
    const stops = root ? [...root.querySelectorAll('.stop')] : [];
    let current = null;
    let scrolledAt = -Infinity;
    let dwell = 0;
    let played = null;
    let requested = false;

    /** The bottom of the stuck stage in the viewport, or 0 when nothing sticks to the top. */
    function stuck() {
      if (!stage || getComputedStyle(stage).position !== 'sticky') return 0;
      const r = stage.getBoundingClientRect();
      return r.top <= 1 ? r.bottom : 0;
    }

    function firstAction(stop) {
      const button = stop.querySelector('.show-me[data-action]');
      return button && !button.hidden ? button.dataset.action : null;
    }

    function update() {
      requested = false;
      const line = readingLine(innerHeight, stuck());
      const found = stops.find((s) => {
        const r = s.getBoundingClientRect();
        return r.top <= line && r.bottom >= line;
      }) || null;
      if (found === current) return;
      if (current) current.removeAttribute('aria-current');
      current = found;
      if (current) current.setAttribute('aria-current', 'step');
      clearTimeout(dwell);
      if (current && performance.now() - scrolledAt < SCROLLED_MS) {
        const stop = current;
        dwell = setTimeout(() => {
          const action = firstAction(stop);
          if (stop !== current || stop === played || !AUTO.has(action) || busy()) return;
          played = stop;
          run(action);
        }, DWELL_MS);
      }
    }

    function request() {
      if (requested) return;
      requested = true;
      requestAnimationFrame(update);
    }

    const scrolled = () => { scrolledAt = performance.now(); };
    if (stops.length) {
      addEventListener('scroll', request, { passive: true });
      addEventListener('resize', request);
      addEventListener('wheel', scrolled, { passive: true });
      addEventListener('touchmove', scrolled, { passive: true });
      addEventListener('keydown', (event) => {
        const t = event.target;
        if (SCROLL_KEYS.has(event.key) && !(t && t.closest && t.closest('input, textarea, canvas'))) scrolled();
      });
      // a pressed button plays its own stop: reaching that stop later does not play it again
      root.addEventListener('click', (event) => {
        const stop = event.target.closest && event.target.closest('.stop');
        if (stop && event.target.closest('[data-action]')) played = stop;
      }, true);
      request();
    }

    return {
      /** For tests: the id of the stop reached (its data-stop), or null. */
      current: () => (current ? current.dataset.stop : null),
      readingLine: () => readingLine(innerHeight, stuck()),
    };
  }

  return { create, readingLine };
})();
