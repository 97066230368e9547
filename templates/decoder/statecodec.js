/*
 * aedemo: the page's state as a link and in localStorage.
 *
 * A link carries the cursor and the stamps in its hash, e.g.
 *   #at=0.5,-1.25&stamps=1.5,2;-3,0.125
 * with every number written as the shortest decimal that reads back as the same
 * float32, so a link restores the exact points. Stamps are also kept in localStorage
 * under a key holding the model's hash, so a new model starts with none.
 *
 * What is read back, and what is left out:
 *   - At most MAX_STAMPS stamps, everywhere: a link or the stored list with more is
 *     cut to its first MAX_STAMPS (readable) stamps, and the plane refuses a new stamp
 *     once it holds that many (templates/stamps.js).
 *   - A pair "could not be read" when it is not two numbers, when a number is not
 *     finite as float32 (NaN, Infinity, 1e400), or when it is out of range: farther
 *     than RANGE_SPANS times the larger side of the points' bounding box from that
 *     box. The widest view (zoom limit 0.2 of the fitted view, templates/view.js)
 *     shows only a few such sides beyond the box, so a point that far out takes
 *     hundreds of screen-widths of panning to reach; the plane refuses stamps there
 *     too, so every stamp it makes comes back from its link.
 * The link and the stored list are untrusted alike (another page of the same origin can
 * write this model's key): a link's number is read only when it is plain decimal text,
 * a stored stamp only when it is a plain array of exactly two numbers (never converted
 * to text: an object's toString or valueOf is never called); a stored text that is not
 * a JSON list (or nests too deep to parse) is "broken". Nothing here throws on any
 * input: what cannot be read is dropped and counted.
 * `notice(result, where)` says in a sentence what was left out or cut ('' when
 * nothing was); the page shows it as a toast.
 *
 * Owns: the hash format, the storage key and format, the cap and the range. May
 * touch: window.localStorage (this model's key only). Pure otherwise.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).share = (() => {
  const MAX_STAMPS = 500;
  const RANGE_SPANS = 1000;

  /** The shortest decimal text that reads back as the float32 `x`. */
  function formatFloat32(x) {
    const f = Math.fround(x);
    for (let digits = 1; digits < 9; digits++) {
      const text = String(Number(f.toPrecision(digits)));
      if (Math.fround(Number(text)) === f) return text;
    }
    return String(Number(f.toPrecision(9)));
  }

  const pair = ([a, b]) => `${formatFloat32(a)},${formatFloat32(b)}`;

  /** The box of points that count as in range, for points spread over [lo, hi]. */
  function range(lo, hi) {
    const reach = RANGE_SPANS * Math.max(hi[0] - lo[0], hi[1] - lo[1], 1e-6);
    return { lo: [lo[0] - reach, lo[1] - reach], hi: [hi[0] + reach, hi[1] + reach] };
  }

  const inRange = ([a, b], box) => a >= box.lo[0] && a <= box.hi[0] && b >= box.lo[1] && b <= box.hi[1];

  const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

  /** Two numbers → [u1, u2] as float32, or null when either is not finite as float32 or out of `box`. */
  function checked(a, b, box) {
    const values = [Math.fround(a), Math.fround(b)];
    return values.every(Number.isFinite) && inRange(values, box) ? values : null;
  }

  /** "u1,u2" (plain decimals) → [u1, u2] as float32, or null when it is anything else. */
  function parsePair(text, box) {
    if (typeof text !== 'string') return null;
    const parts = text.split(',');
    if (parts.length !== 2 || !parts.every((p) => DECIMAL.test(p))) return null;
    return checked(Number(parts[0]), Number(parts[1]), box);
  }

  /** A stored stamp: a plain array of exactly two numbers → [u1, u2] as float32, else null. */
  function storedPair(entry, box) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [a, b] = entry;
    return typeof a === 'number' && typeof b === 'number' ? checked(a, b, box) : null;
  }

  /** The readable pairs among `items` (read one by one with `read`), cut to MAX_STAMPS:
   * {stamps, total, unreadable, cut}. */
  function readStamps(items, box, read = parsePair) {
    const readable = [];
    for (const item of items) {
      const values = read(item, box);
      if (values) readable.push(values);
    }
    const stamps = readable.slice(0, MAX_STAMPS);
    return { stamps, total: items.length, unreadable: items.length - readable.length, cut: readable.length - stamps.length };
  }

  /** The hash for a cursor [u1, u2] (or null) and stamps [[u1, u2], ...]. */
  function toHash(cursor, stamps) {
    const parts = [];
    if (cursor) parts.push(`at=${pair(cursor)}`);
    if (stamps.length) parts.push(`stamps=${stamps.map(pair).join(';')}`);
    return parts.length ? `#${parts.join('&')}` : '';
  }

  /**
   * What a hash holds, read within `box` (see range()); null when it holds no state
   * of ours. {cursor (or null), cursorUnreadable, stamps, total, unreadable, cut}.
   */
  function fromHash(hash, box) {
    const params = new Map();
    for (const part of String(hash).replace(/^#/, '').split('&')) {
      const at = part.indexOf('=');
      if (at > 0) params.set(part.slice(0, at), part.slice(at + 1));
    }
    if (!params.has('at') && !params.has('stamps')) return null;
    const cursor = params.has('at') ? parsePair(params.get('at'), box) : null;
    const texts = (params.get('stamps') || '').split(';').filter((t) => t !== '');
    return { cursor, cursorUnreadable: params.has('at') && !cursor, ...readStamps(texts, box) };
  }

  const storageKey = (modelHash) => `aedemo:${modelHash}:stamps`;

  /**
   * The stamps kept for this model, read within `box`, or null (none kept, or storage
   * refused): {stamps, total, unreadable, cut, broken}; `broken` when the stored text
   * is not a list at all.
   */
  function loadStamps(modelHash, box) {
    let text;
    try {
      text = window.localStorage.getItem(storageKey(modelHash));
    } catch {
      return null;
    }
    if (!text) return null;
    let list = null;
    try {
      list = JSON.parse(String(text));   // too deep to parse throws too: broken
    } catch {
      // read as broken below
    }
    if (!Array.isArray(list)) return { stamps: [], total: 0, unreadable: 0, cut: 0, broken: true };
    return { ...readStamps(list, box, storedPair), broken: false };
  }

  function saveStamps(modelHash, stamps) {
    try {
      const key = storageKey(modelHash);
      if (stamps.length) window.localStorage.setItem(key, JSON.stringify(stamps.map(([a, b]) => [a, b])));
      else window.localStorage.removeItem(key);
    } catch {
      // storage may be full or switched off: the stamps then last as long as the page
    }
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  /** A short sentence on what `fromHash` or `loadStamps` left out or cut; '' when nothing. */
  function notice(result, where) {
    if (!result) return '';
    const link = where === 'link';
    const parts = [];
    if (result.broken) parts.push('The stamps kept in this browser could not be read.');
    if (result.cursorUnreadable) parts.push("The link's position could not be read.");
    if (result.unreadable) {
      parts.push(`${result.unreadable} of ${link ? "the link's" : 'the'} ${plural(result.total, 'stamp')}`
        + `${link ? '' : ' kept in this browser'} could not be read and ${result.unreadable === 1 ? 'was' : 'were'} left out.`);
    }
    if (result.cut) {
      const held = result.stamps.length + result.cut;
      parts.push(result.unreadable
        ? `Of the other ${held}, the first ${MAX_STAMPS} are shown.`
        : `${link ? 'The link held' : 'This browser kept'} ${held} stamps; the first ${MAX_STAMPS} are shown.`);
    }
    return parts.join(' ');
  }

  return { MAX_STAMPS, range, inRange, toHash, fromHash, loadStamps, saveStamps, notice };
})();
