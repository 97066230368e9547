/*
 * aedemo: the tools that wait until asked. The probe kit, the decoder's layers and the maps
 * sit in <details data-disclosure="name"> (closed at first); which are open is kept in this
 * browser (localStorage, STORAGE_KEY, for every model alike) and carried by the share link
 * (viewlink.js reads and writes it through `open()` and `setOpen(names)`).
 *
 * Owns: nothing but the stored list. May touch: the open attribute of the page's
 * details[data-disclosure], localStorage (STORAGE_KEY only).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).disclosures = (() => {
  const STORAGE_KEY = 'aedemo:open';

  function load() {
    try {
      const list = JSON.parse(localStorage.getItem(STORAGE_KEY) || '[]');
      return Array.isArray(list) ? list.filter((n) => typeof n === 'string') : [];
    } catch {
      return [];
    }
  }

  /** `root`: where the details are (the document); `changed()`: after any opens or closes. */
  function create({ root, changed }) {
    const details = [...root.querySelectorAll('details[data-disclosure]')];
    const names = details.map((d) => d.dataset.disclosure);
    let applying = false;

    const open = () => details.filter((d) => d.open).map((d) => d.dataset.disclosure);

    function save() {
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(open()));
      } catch {
        // storage may be off: the disclosures then last as long as the page
      }
    }

    /** Open exactly the disclosures named in `list` (unknown names are ignored). */
    function setOpen(list) {
      applying = true;
      for (const d of details) d.open = list.includes(d.dataset.disclosure);
      applying = false;
      save();
    }

    for (const d of details) {
      d.addEventListener('toggle', () => {
        if (!applying) save();
        if (changed) changed(d.dataset.disclosure, d.open);
      });
    }
    const kept = load();
    applying = true;
    for (const d of details) d.open = kept.includes(d.dataset.disclosure);
    applying = false;

    return { names: () => names.slice(), open, setOpen };
  }

  return { create, STORAGE_KEY };
})();
