/*
 * aedemo: parts of the page loaded only when the learner opens them. A group (in
 * config.lazy, written by builder/render.py from builder/page_scripts.py LAZY) is a list
 * of page scripts and a map of data files; `load(name)` adds them to the document as
 * classic <script> elements (the one way that also works from file://, where fetch() and
 * import() of other files are refused) and resolves, once every one has run, with the
 * values the data scripts put into window.AEDEMO_DATA, taken out of it: { key: value }.
 * A group loads once; asking again gives the same promise. A script that fails to load
 * rejects it, and the next `load` tries again.
 *
 * Owns: which groups are loading or loaded, and their values. May touch: the document's
 * <head> (the scripts it adds) and window.AEDEMO_DATA (the keys of its groups).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).lazy = (() => {
  const addScript = (src) => window.AEDEMO_LIB.datafiles.loadScript(src);   // a classic <script>, as file:// allows

  /** `groups`: { name: { scripts: [src, ...], data: { key: src } } }. */
  function create(groups) {
    const loads = new Map();
    const data = (window.AEDEMO_DATA = window.AEDEMO_DATA || {});

    async function fetchGroup(name) {
      const group = groups[name];
      if (!group) throw new Error(`no lazily loaded part called ${name}`);
      const keys = Object.keys(group.data);
      await Promise.all([...group.scripts.map(addScript), ...keys.map((k) => addScript(group.data[k]))]);
      const values = {};
      for (const key of keys) {
        if (data[key] === undefined) throw new Error(`${group.data[key]} did not define ${key}`);
        values[key] = data[key];
        delete data[key];
      }
      return values;
    }

    function load(name) {
      if (!loads.has(name)) {
        const job = fetchGroup(name);
        loads.set(name, job);
        job.catch(() => loads.delete(name));
      }
      return loads.get(name);
    }

    return {
      load,
      has: (name) => Object.prototype.hasOwnProperty.call(groups, name),
      state: (name) => (loads.has(name) ? 'loading or loaded' : 'not asked'),
    };
  }

  return { create };
})();
