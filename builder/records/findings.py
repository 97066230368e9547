"""`findings.json`: the typed record of the findings stage (`Findings`), written by
`stages.findings.run_findings` through `Findings.to_bytes` and read by render (the story,
`site/story.py`) through `Findings.read`, which validates every part the story and the
page's actions read and raises one `BuildError` line naming the file and the first bad
field. What each part means: `builder/stages/findings.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.records.files import BuildError, json_bytes, parse_json
from builder.records.metrics import Malformed, field_at, floats_at

FORMAT = 2
KINDS = ("smooth", "abrupt", "chaotic")  # the kinds of transition, in the story's order
PIXELS = 28 * 28


def _point(obj: Any, key: str, path: str) -> list[float]:
    p = floats_at(obj, key, path)
    if len(p) != 2:
        raise Malformed(f"{path}{key} (a plane point [u1, u2])")
    return list(p)


def _cls(obj: Any, key: str, path: str, n: int) -> int:
    c = field_at(obj, key, int, path)
    if not 0 <= c < n:
        raise Malformed(f"{path}{key} ({c}: not one of the {n} classes)")
    return c


def _items(obj: Any, key: str, path: str) -> list:
    return field_at(obj, key, list, path)


def _share(obj: Any, key: str, path: str) -> float:
    """A share (of images, of a way, of ink): a float in [0, 1]."""
    v = field_at(obj, key, float, path)
    if not 0 <= v <= 1:
        raise Malformed(f"{path}{key} ({v}: a share, 0 to 1)")
    return v


def _size(obj: Any, key: str, path: str, kind: type = int) -> Any:
    """A count or a distance: not negative."""
    v = field_at(obj, key, kind, path)
    if v < 0:
        raise Malformed(f"{path}{key} ({v}: not negative)")
    return v


def _split(s: Any, i: int, n: int) -> dict:
    w = f"split[{i}]."
    groups = _items(s, "groups", w)
    if len(groups) < 2:
        raise Malformed(f"{w}groups (a split class has at least 2)")
    gs = [{"centre": _point(g, "centre", f"{w}groups[]."), "count": _size(g, "count", f"{w}groups[]."),
           "share": _share(g, "share", f"{w}groups[]."),
           "medoids": [_size({"m": m}, "m", f"{w}groups[].medoids[] ") for m in _items(g, "medoids", f"{w}groups[].")]}
          for g in groups]
    between = _items(s, "between", w)
    if len(between) != len(gs) - 1:
        raise Malformed(f"{w}between (one per group after the first)")
    bs = [{"thinnest": _size(b, "thinnest", f"{w}between[]."),
           "classes": [_cls({"c": c}, "c", f"{w}between[].classes[] ", n) for c in _items(b, "classes", f"{w}between[].")],
           "gap": _share(b, "gap", f"{w}between[]."), "minority": _share(b, "minority", f"{w}between[].")}
          for b in between]
    diff = floats_at(s, "diff", w)
    if len(diff) != PIXELS:
        raise Malformed(f"{w}diff ({PIXELS} values)")
    return {"class": _cls(s, "class", w, n), "groups": gs, "between": bs, "diff": list(diff),
            "balance": _share(s, "balance", w)}


def _transition(t: Any, i: int, n: int) -> dict:
    w = f"transitions[{i}]."
    ends = {e: {"class": _cls(field_at(t, e, dict, w), "class", f"{w}{e}.", n),
                "group": field_at(field_at(t, e, dict, w), "group", int, f"{w}{e}.")} for e in ("from", "to")}
    path = [_point({"p": p}, "p", f"{w}path[] ") for p in _items(t, "path", w)]
    if len(path) < 2:
        raise Malformed(f"{w}path (at least 2 points)")
    kind = field_at(t, "kind", str, w)
    if kind not in KINDS:
        raise Malformed(f"{w}kind ({kind!r:.20}: one of {', '.join(KINDS)})")
    return {**ends, "path": path, "kind": kind, "jump": _share(t, "jump", w),
            **{k: _size(t, k, w, float) for k in ("unfamiliar", "rms", "clearness")}}


def _translation(t: Any, n: int) -> dict:
    w = "translation."
    shifts = [{"axis": field_at(r, "axis", str, f"{w}shifts[]."), "pixels": field_at(r, "pixels", int, f"{w}shifts[]."),
               "moved": _size(r, "moved", f"{w}shifts[].", float),
               **{k: _share(r, k, f"{w}shifts[].") for k in ("changed", "overlap")}}
              for r in _items(t, "shifts", w)]
    have = {(r["axis"], r["pixels"]) for r in shifts}
    if not {("x", 1), ("x", 2)} <= have:
        raise Malformed(f"{w}shifts (1 and 2 pixels along x)")
    ex = t.get("example") if isinstance(t, dict) else None
    example = None
    if ex is not None:
        e = f"{w}example."
        example = {"index": _size(ex, "index", e), "axis": field_at(ex, "axis", str, e),
                   "pixels": field_at(ex, "pixels", int, e), "from": _cls(ex, "from", e, n), "to": _cls(ex, "to", e, n),
                   "codes": [_point({"p": p}, "p", f"{e}codes[] ") for p in _items(ex, "codes", e)]}
        if example["axis"] not in ("x", "y") or example["pixels"] == 0 or len(example["codes"]) % 2 != 1:
            raise Malformed(f"{e}axis/pixels/codes (a shift along x or y, an odd number of codes)")
    return {"scale": field_at(t, "scale", float, w), "shifts": shifts, "example": example}


def _roundtrip(r: Any, n: int) -> dict:
    w = "roundtrip."
    ends = floats_at(r, "ends", w)
    if len(ends) != n or not all(0 <= v <= 1 for v in ends):
        raise Malformed(f"{w}ends (one share per class, 0 to 1)")
    ex = r.get("example") if isinstance(r, dict) else None
    example = None
    if ex is not None:
        e = f"{w}example."
        example = {"index": _size(ex, "index", e), "from": _cls(ex, "from", e, n), "to": _cls(ex, "to", e, n),
                   "start": _point(ex, "start", e), "end": _point(ex, "end", e), "steps": _size(ex, "steps", e)}
    return {**{k: _size(r, k, w, float) for k in ("median_steps", "moved")},
            **{k: _share(r, k, w) for k in ("settled", "changed")},
            "ends": list(ends), "example": example}


@dataclass(frozen=True)
class Findings:
    """`findings.json`: the typed contract of the findings stage and its one reader. Each
    part is the validated plain data of `stages/findings.py` (lists and dicts)."""

    method: dict[str, Any]  # `FindingsConfig`, as used
    classes: int  # how many classes the map has
    groups: list  # per class, its groups: [{centre, count}]
    split: list  # the split classes, most striking first
    transitions: list  # neighbouring groups' transitions, by kind, clearest first
    translation: dict
    mixed: list
    roundtrip: dict

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "method": self.method, "classes": self.classes, "groups": self.groups,
                "split": self.split, "transitions": self.transitions, "translation": self.translation,
                "mixed": self.mixed, "roundtrip": self.roundtrip}

    def to_bytes(self) -> bytes:
        return json_bytes(self.to_json())

    def test_indices(self) -> list[int]:
        """Every test image the record names (group medoids, the examples)."""
        out = [m for s in self.split for g in s["groups"] for m in g["medoids"]]
        out += [x["example"]["index"] for x in (self.translation, self.roundtrip) if x["example"]]
        return out

    def group_sizes(self) -> list[int]:
        """Per class, how many codes its groups hold together."""
        return [sum(g["count"] for g in gs) for gs in self.groups]

    def kinds(self) -> dict[str, list]:
        """The transitions of each kind (`KINDS`), clearest first."""
        return {k: [t for t in self.transitions if t["kind"] == k] for k in KINDS}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> "Findings":
        """Validate the parsed JSON `obj`; `BuildError` naming `where` and the first bad field."""
        try:
            if field_at(obj, "format", int, "") != FORMAT:
                raise Malformed(f"format (expected {FORMAT})")
            n = field_at(obj, "classes", int, "")
            if not 1 <= n <= 10:
                raise Malformed(f"classes ({n}: 1 to 10)")
            method = field_at(obj, "method", dict, "")
            for k in ("local", "ground", "gap", "min_share", "abrupt", "chaotic", "path_points", "knn"):
                field_at(method, k, float, "method.")
            groups = _items(obj, "groups", "")
            if len(groups) != n:
                raise Malformed("groups (one list per class)")
            groups = [[{"centre": _point(g, "centre", "groups[][]."), "count": _size(g, "count", "groups[][].")}
                       for g in field_at({"g": gs}, "g", list, "groups[] ")] for gs in groups]
            mixed = [{"classes": [_cls({"c": c}, "c", "mixed[].classes[] ", n) for c in _items(m, "classes", "mixed[].")],
                      **{k: _size(m, k, "mixed[].") for k in ("count", "a_as_b", "b_as_a")},
                      "share": _share(m, "share", "mixed[].")} for m in _items(obj, "mixed", "")]
            if any(len(m["classes"]) != 2 for m in mixed):
                raise Malformed("mixed[].classes (a pair)")
            if any(m["a_as_b"] + m["b_as_a"] > m["count"] for m in mixed):
                raise Malformed("mixed[].count (less than its two directions together)")
            transitions = [_transition(t, i, n) for i, t in enumerate(_items(obj, "transitions", ""))]
            for i, t in enumerate(transitions):
                for e in ("from", "to"):
                    if not 0 <= t[e]["group"] < len(groups[t[e]["class"]]):
                        raise Malformed(f"transitions[{i}].{e}.group ({t[e]['group']}: the class has "
                                        f"{len(groups[t[e]['class']])} groups)")
            return cls(method=method, classes=n, groups=groups,
                       split=[_split(s, i, n) for i, s in enumerate(_items(obj, "split", ""))],
                       transitions=transitions,
                       translation=_translation(field_at(obj, "translation", dict, ""), n), mixed=mixed,
                       roundtrip=_roundtrip(field_at(obj, "roundtrip", dict, ""), n))
        except Malformed as e:
            raise BuildError(f"{where}: missing or malformed field {e}: run aedemo findings") from None

    @classmethod
    def read(cls, data: bytes, where: str) -> "Findings":
        """The one reader of `findings.json`'s bytes (parsed by `parse_json`)."""
        return cls.from_json(parse_json(data, where), where)

