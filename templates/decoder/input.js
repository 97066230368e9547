/*
 * aedemo: the plane's input. Pointer, touch, wheel and keyboard events on the plane's
 * canvas become intents: hover (decode a point), click (stamp, or select a stamp),
 * stamp, pan, zoom, line (the strip), iterate; a click right after a click on the same
 * spot undoes it and resets the view.
 *
 *   mouse/pen: move hovers; click stamps or selects; Shift-drag draws a line (a
 *     Shift-click draws one from the selected point); Alt/Ctrl/Meta-drag or the
 *     middle button pans; the wheel zooms about the pointer;
 *   touch: a tap stamps, two fingers pinch (zoom and pan together);
 *   line mode (the toolbar's Strip toggle, setLineMode): a one-finger or plain drag
 *     draws the line, as Shift-drag does;
 *   keyboard: arrows move the cursor (Shift: ten times as far), Enter/Space stamps,
 *     + and - zoom about the cursor, 0 resets the view, I iterates; S starts a line at
 *     the cursor and a second S ends it there (the strip), Escape drops it.
 *
 * Owns: the gesture under way, the fingers down, the last click, the keyboard cursor
 * and whether it is shown, the line being dragged. May touch: the canvas's listeners
 * and pointer capture, the plane element's `panning` class, the view (pan and zoom).
 */
'use strict';

(window.AEDEMO_LIB = window.AEDEMO_LIB || {}).input = (() => {
  const STEP_PX = 4;             // keyboard step in CSS pixels (Shift: ten times)
  const TAP_SLOP_PX = 8;         // a press that moves less than this is a click
  const DOUBLE_TAP_MS = 400;     // two clicks closer than this reset the view
  const KEY_MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  const KEYS = ['Enter', ' ', '+', '=', '-', '0', 'i', 'I', 's', 'S', 'Escape'];   // the other keys the plane takes

  /**
   * `intents`: hover(u), click(x, y) → undo(), stamp(u), line(a, b), iterate(),
   * redraw(), snap(x, y) → the plane point a line end at (x, y) takes, selectedPoint(),
   * reset() (the view and what the story showed), touched() (a press, wheel or key).
   */
  function create({ canvas, element, view, intents }) {
    const touches = new Map();   // touch pointers down: id → [x, y]
    let gesture = null;          // {kind: 'press' | 'pan' | 'line' | 'pinch', ...}
    let lastTap = null;          // {time, at, undo}
    let cursor = null;           // keyboard cursor in plane coordinates
    let showCursor = false;
    let lineMode = false;        // a plain drag draws the line (the Strip toggle)
    let keyLine = null;          // the plane point where S started a line, or null
    let line = null;             // {a, b}: the line being dragged, in plane points

    function local(event) {
      const rect = canvas.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    }

    const moved = (at, from) => Math.hypot(at[0] - from[0], at[1] - from[1]);

    function onPointerDown(event) {
      if (!view.ok) return;
      intents.touched();
      const at = local(event);
      if (event.pointerType === 'touch') {
        touches.set(event.pointerId, at);
        if (touches.size === 2) {
          startPinch();
          return;
        }
      }
      if (gesture) return;
      if (event.button === 1 || ((event.altKey || event.ctrlKey || event.metaKey) && event.button === 0)) {
        event.preventDefault();
        canvas.setPointerCapture(event.pointerId);
        gesture = { kind: 'pan', id: event.pointerId, last: at };
        element.classList.add('panning');
      } else if ((event.shiftKey || lineMode) && event.button === 0) {
        canvas.setPointerCapture(event.pointerId);
        const a = intents.snap(...at);
        gesture = { kind: 'line', id: event.pointerId, at, a };
        line = { a, b: a };
      } else if (event.button === 0) {
        gesture = { kind: 'press', id: event.pointerId, at };
        intents.hover(view.toPlane(...at));
      }
    }

    function onPointerMove(event) {
      if (!view.ok) return;
      const at = local(event);
      if (touches.has(event.pointerId)) touches.set(event.pointerId, at);
      if (gesture && gesture.kind === 'pinch') {
        movePinch();
        return;
      }
      if (gesture && gesture.id === event.pointerId && gesture.kind === 'pan') {
        view.panBy(at[0] - gesture.last[0], at[1] - gesture.last[1]);
        gesture.last = at;
        return;
      }
      if (gesture && gesture.id === event.pointerId && gesture.kind === 'line') {
        const b = intents.snap(...at);
        line = { a: gesture.a, b };
        if (moved(at, gesture.at) >= TAP_SLOP_PX) intents.line(gesture.a, b);
        intents.redraw();
        return;
      }
      if (showCursor) {
        showCursor = false;
        intents.redraw();
      }
      intents.hover(view.toPlane(...at));
    }

    function onPointerUp(event) {
      touches.delete(event.pointerId);
      if (!gesture || !view.ok) return;
      if (gesture.kind === 'pinch') {
        if (touches.size === 0) gesture = null;
        return;
      }
      if (gesture.id !== event.pointerId) return;
      const at = local(event);
      const isTap = () => moved(at, gesture.at) < TAP_SLOP_PX;
      if (gesture.kind === 'press' && isTap()) tap(at);
      if (gesture.kind === 'line') {
        line = null;
        if (isTap()) lineTap(at);
        else intents.line(gesture.a, intents.snap(...at));
        intents.redraw();
      }
      element.classList.remove('panning');
      gesture = null;
    }

    function onPointerCancel(event) {
      touches.delete(event.pointerId);
      if (gesture && (gesture.kind === 'pinch' || gesture.id === event.pointerId)) {
        gesture = null;
        line = null;
        element.classList.remove('panning');
        intents.redraw();
      }
    }

    /** A click; a second one right after, on the same spot, undoes it and resets the view. */
    function tap(at) {
      const now = performance.now();
      if (lastTap && now - lastTap.time < DOUBLE_TAP_MS && moved(at, lastTap.at) < TAP_SLOP_PX) {
        lastTap.undo();
        lastTap = null;
        intents.reset();
        return;
      }
      lastTap = { time: now, at, undo: () => {} };
      lastTap.undo = intents.click(...at);
    }

    /** A Shift-click: the strip from the selected point (or stamp) to this one. */
    function lineTap(at) {
      const from = intents.selectedPoint();
      if (from) intents.line(from, intents.snap(...at));
    }

    function startPinch() {
      const [p, q] = [...touches.values()];
      const mid = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
      gesture = {
        kind: 'pinch', u: view.toPlane(...mid), scale: view.scale,
        distance: Math.max(1, Math.hypot(p[0] - q[0], p[1] - q[1])),
      };
      line = null;
    }

    /** Two fingers: the plane point first under their middle stays under it; their spread zooms. */
    function movePinch() {
      const [p, q] = [...touches.values()];
      if (!q) return;
      const mid = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
      const scale = view.clampScale(gesture.scale * Math.hypot(p[0] - q[0], p[1] - q[1]) / gesture.distance);
      view.setView(scale, mid[0] - scale * gesture.u[0], mid[1] + scale * gesture.u[1]);
    }

    function onWheel(event) {
      if (!view.ok) return;
      event.preventDefault();
      intents.touched();
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? view.h : 1;
      const rate = event.ctrlKey ? 0.01 : 0.002;   // ctrl: a trackpad pinch, which sends small deltas
      view.zoomAt(...local(event), Math.exp(-event.deltaY * unit * rate));
    }

    function onKeyDown(event) {
      if (!view.ok || event.altKey || event.ctrlKey || event.metaKey) return;
      const key = event.key;
      const move = KEY_MOVES[key];
      if (!move && !KEYS.includes(key)) return;
      event.preventDefault();
      intents.touched();
      if (move) {
        const step = (event.shiftKey ? 10 * STEP_PX : STEP_PX) / view.scale;
        cursor = view.clampToView([cursor[0] + move[0] * step, cursor[1] + move[1] * step]);
      } else if (key === 'Enter' || key === ' ') {
        if (!event.repeat) intents.stamp(cursor);
      } else if (key === '+' || key === '=' || key === '-') {
        view.zoomAt(...view.toScreen(...cursor), key === '-' ? 1 / 1.5 : 1.5);
      } else if (key === '0') {
        intents.reset();
        cursor = view.clampToView(cursor);
      } else if (key === 's' || key === 'S') {
        if (keyLine) intents.line(keyLine, cursor);
        keyLine = keyLine ? null : cursor;
      } else if (key === 'Escape') {
        keyLine = null;
      } else {                   // i or I
        intents.iterate();
        return;
      }
      showCursor = true;
      line = keyLine ? { a: keyLine, b: cursor } : (gesture && gesture.kind === 'line' ? line : null);
      intents.hover(cursor);
      intents.redraw();
    }

    canvas.addEventListener('pointermove', onPointerMove);
    canvas.addEventListener('pointerdown', onPointerDown);
    canvas.addEventListener('pointerup', onPointerUp);
    canvas.addEventListener('pointercancel', onPointerCancel);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('keydown', onKeyDown);
    canvas.addEventListener('focus', () => intents.redraw());
    canvas.addEventListener('blur', () => intents.redraw());
    canvas.addEventListener('contextmenu', (event) => { if (gesture && gesture.kind === 'pan') event.preventDefault(); });
    canvas.addEventListener('mousedown', (event) => { if (event.button === 1) event.preventDefault(); });   // no autoscroll

    return {
      cursor: () => cursor,
      setCursor: (u) => { cursor = u; },
      /** The cursor while it is to be drawn (shown and the plane has the focus), else null. */
      shownCursor: () => (showCursor && cursor && document.activeElement === canvas ? cursor : null),
      line: () => line,
      cancelLine: () => { line = null; keyLine = null; },
      setLineMode: (on) => { lineMode = Boolean(on); return lineMode; },
      lineMode: () => lineMode,
    };
  }

  return { create };
})();
