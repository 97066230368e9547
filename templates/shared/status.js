/*
 * aedemo: the status line over the plane (#status) and the page's one way to fail:
 * the first error of any part says, in the data set's words, what cannot work and
 * why; later errors add nothing.
 *
 * Owns: whether the page has failed. May touch: #status (hidden, the error class),
 * #status-text, the hint and the plane element's aria-busy.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).status = (() => {
  /** `words`: config.words; `NoWebAssembly`: the runtime's error for a browser without it. */
  function create({ status, text, hint, plane, words, NoWebAssembly }) {
    let failed = false;

    function set(message, isError) {
      status.hidden = false;
      status.classList.toggle('error', isError);
      text.textContent = message;
    }

    function fail(error) {
      if (failed) return;
      failed = true;
      plane.removeAttribute('aria-busy');
      hint.textContent = 'The decoder is not available.';
      if (error instanceof NoWebAssembly) {
        set(`This demo draws its ${words.nouns} with WebAssembly, which this browser does not offer `
          + 'or has switched off. The dots still show the data set; to see the decoder at work, '
          + 'allow WebAssembly or open the page in another browser.', true);
      } else {
        console.warn('aedemo:', error);
        set(`The model could not be loaded (${error && error.message ? error.message : error}). `
          + 'Reloading the page may help.', true);
      }
    }

    return { fail, failed: () => failed, hide: () => { status.hidden = true; } };
  }

  return { create };
})();
