/*
 * aedemo: the page's state as a link and in localStorage.
 *
 * A link carries the cursor and the stamps in its hash, e.g.
 *   #at=0.5,-1.25&stamps=1.5,2;-3,0.125
 * with every number written as the shortest decimal that reads back as the same
 * float32, so a link restores the exact points. Stamps are also kept in localStorage
 * under a key holding the model's hash, so a new model starts with none.
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).share = (() => {
  const MAX_STAMPS = 500;

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

  function parsePair(text) {
    const parts = text.split(',');
    if (parts.length !== 2 || parts.some((p) => p.trim() === '')) return null;
    const values = parts.map((p) => Math.fround(Number(p)));
    return values.every(Number.isFinite) ? values : null;
  }

  /** The hash for a cursor [u1, u2] (or null) and stamps [[u1, u2], ...]. */
  function toHash(cursor, stamps) {
    const parts = [];
    if (cursor) parts.push(`at=${pair(cursor)}`);
    if (stamps.length) parts.push(`stamps=${stamps.map(pair).join(';')}`);
    return parts.length ? `#${parts.join('&')}` : '';
  }

  /** {cursor, stamps} from a hash; null when it holds no state of ours. */
  function fromHash(hash) {
    const params = new Map();
    for (const part of hash.replace(/^#/, '').split('&')) {
      const at = part.indexOf('=');
      if (at > 0) params.set(part.slice(0, at), part.slice(at + 1));
    }
    if (!params.has('at') && !params.has('stamps')) return null;
    const cursor = params.has('at') ? parsePair(params.get('at')) : null;
    const stamps = (params.get('stamps') || '').split(';').map(parsePair).filter(Boolean).slice(0, MAX_STAMPS);
    return { cursor, stamps };
  }

  function storageKey(modelHash) {
    return `aedemo:${modelHash}:stamps`;
  }

  /** Stamps kept for this model, or null (none kept, or storage refused). */
  function loadStamps(modelHash) {
    try {
      const text = window.localStorage.getItem(storageKey(modelHash));
      if (!text) return null;
      const list = JSON.parse(text);
      if (!Array.isArray(list)) return null;
      return list.map((p) => (Array.isArray(p) ? parsePair(p.join(',')) : null)).filter(Boolean).slice(0, MAX_STAMPS);
    } catch {
      return null;
    }
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

  return { toHash, fromHash, loadStamps, saveStamps, formatFloat32, storageKey };
})();
