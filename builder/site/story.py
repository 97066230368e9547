"""The page's story, "What this autoencoder learned", written from the model's own findings.

Reads nothing itself: `story_context` takes the parsed `findings.json` (`findings.py`),
the class names and the data set's name, and returns the stops of the story, in the
order of the article the page comes from: groups (and the classes the code mixes up),
transitions, translation, outside the data, the lossy round trip. Every sentence is
built from measured numbers and the data set's own words (`words`): where a finding
does not exist for this model, the stop says so instead of inventing one. Each stop
names the page action that shows it (`action`, handled by templates/decoder/story.js).
"""

from __future__ import annotations

from typing import Any

from builder.records.files import BuildError
from builder.records.findings import Findings

NOUNS = {"MNIST": ("digit", "digits")}  # the data set's noun for one item; "image" otherwise
STOP = {"action": None, "label": None, "diff": None, "extras": [], "measured": False}  # every stop's keys
DIR = {("x", 1): "to the right", ("x", -1): "to the left", ("y", 1): "down", ("y", -1): "up"}


def words(data_name: str) -> dict[str, str]:
    """How the page names one item and several of the data set: `noun`, `nouns`, and the
    noun with its article, `a_noun` ("a digit", "an image")."""
    noun, nouns = NOUNS.get(data_name, ("image", "images"))
    return {"noun": noun, "nouns": nouns, "Noun": _first_up(noun), "Nouns": _first_up(nouns),
            "a_noun": with_article(noun)}


def with_article(name: str) -> str:
    """A word with "a" or "an" as it is said: "a digit", "an image", "a 5", "an 8", "an 11",
    "an Ankle boot". The page's one rule (the templates and scripts take its results)."""
    first = name.split()[0].lower() if name.split() else name
    vowel = first[:1] in "aeiou" or first.startswith("8") or first in ("11", "18")
    return f"{'an' if vowel else 'a'} {name}"


def plural(name: str) -> str:
    """A class name in the plural: "5s", "Bags", "Dresses"."""
    return name + ("es" if name.endswith(("s", "x", "z", "ch", "sh")) else "s")


def pl(classes: list[str], k: int) -> str:
    return plural(classes[k])


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}\u202f%" if v >= 10 or round(v, 1) == round(v) else f"{v:.1f}\u202f%"


def _times(x: float) -> str:
    return f"{x:.2f}"


def _between(b: dict, cls: list[str]) -> str:
    """"with the 7s and the 9s between them", "with an empty gap between them"."""
    parts = [f"the {plural(cls[k])}" for k in b["classes"]]
    if b["gap"] > 0:
        parts.append("an empty gap")
    return f"with {_and(parts)} between them" if parts else "apart"


def _thinnest(b: dict, name: str, pl_name: str, k: int) -> str:
    if b["thinnest"] == 0:
        return f"none of the {k} nearest codes is {with_article(name)}"
    n = b["thinnest"]
    return f"only {n} of the {k} nearest codes {'is' if n == 1 else 'are'} {with_article(name) if n == 1 else pl_name}"


def _counts(gs: list[dict]) -> str:
    return _and([f"{g['count']:,}" for g in gs])


def _split(f: Findings, cls: list[str], w: dict) -> dict:
    split, mixed, m = f.split, f.mixed, f.method
    k = int(m["local"])
    need = int(-(-m["ground"] * k // 1))   # the fewest of k that is still the class's ground
    paras = []
    if split:
        s = split[0]
        g, b = s["groups"], s["between"][0]
        name = cls[s["class"]]
        rest = ", ".join(f"{h['count']:,} ({_pct(h['share'])})" for h in g[2:])
        paras.append(
            f"The {pl(cls, s['class'])} do not form one cluster on this map but {len(g)} separate groups: "
            f"{g[0]['count']:,} of them ({_pct(g[0]['share'])}) in one, {g[1]['count']:,} "
            f"({_pct(g[1]['share'])}) in another{', and ' + rest + ' in the others' if rest else ''}, "
            f"{_between(b, cls)}: at the thinnest point of the straight way from the first group to the "
            f"second, {_thinnest(b, name, pl(cls, s['class']), k)}. "
            f"Can you find {'both groups' if len(g) == 2 else f'all {len(g)} groups'}?")
        if len(split) > 1:
            t = split[1]
            paras.append(f"The {pl(cls, t['class'])} split too, into {len(t['groups'])} groups of "
                         f"{_counts(t['groups'])}, {_between(t['between'][0], cls)}.")
        others = [pl(cls, h["class"]) for h in split[2:]]
        if others:
            paras.append(f"The {_and(others)} split as well "
                         f"({'; '.join(_counts(h['groups']) for h in split[2:])}).")
        paras.append(f"Beside this: the mean of the first group's test {w['nouns']} minus the mean of "
                     f"the second's, where one group has ink the other has not.")
    else:
        paras.append("No class splits into separate groups on this map.")
    paras.append(f"A class counts as split here when it has two or more groups, each at least "
                 f"{_pct(m['min_share'])} of its codes, and every way from one group to another passes "
                 f"where the class thins out to fewer than {need} of the {k} nearest codes (other classes "
                 f"lie between) or through an empty gap, where the {k}th nearest code is more than "
                 f"{m['gap']:g} times as far as it is around the class's own codes. A class bent into a "
                 f"curve, or with two dense parts joined by its own codes, is one group.")
    if mixed:
        a, b2 = mixed[0]["classes"]
        paras.append(f"The classes the 2-D code mixes up most are the {pl(cls, a)} and the {pl(cls, b2)}: "
                     f"reading the class off the 5 nearest codes, {mixed[0]['a_as_b']} test {pl(cls, a)} "
                     f"land among the {pl(cls, b2)} and {mixed[0]['b_as_a']} {pl(cls, b2)} among the {pl(cls, a)}.")
    return {"id": "groups", "title": "Groups", "paragraphs": paras,
            "action": "groups" if split else None,
            "label": "Reveal the groups" if split else None,
            "diff": _diff_cells(split[0]["diff"]) if split else None}


def _diff_cells(diff: list[float], side: int = 28, floor: float = 0.05) -> list[dict]:
    """The difference image as SVG cells: `x`, `y`, `sign` (+1: the first group's ink), `a`
    (opacity, |difference| up to 1), for every pixel differing by at least `floor`."""
    return [{"x": i % side, "y": i // side, "sign": 1 if d > 0 else -1, "a": f"{min(abs(d), 1.0):.2f}"}
            for i, d in enumerate(diff) if abs(d) >= floor]


def shown_transitions(f: Findings) -> dict[str, dict]:
    """The walk the story shows of each kind: the clearest smooth one, the clearest abrupt
    one (else the sharpest of all: the largest jump) and the clearest chaotic one (else the
    least familiar of all)."""
    ts, kinds = f.transitions, f.kinds()
    if not ts:
        return {}
    sharpest = max(ts, key=lambda t: (t["jump"], -t["from"]["class"], -t["to"]["class"]))
    strangest = max(ts, key=lambda t: (t["unfamiliar"], -t["from"]["class"], -t["to"]["class"]))
    smooth = kinds["smooth"][0] if kinds["smooth"] else min(ts, key=lambda t: (t["jump"], t["unfamiliar"]))
    return {"smooth": smooth, "abrupt": kinds["abrupt"][0] if kinds["abrupt"] else sharpest,
            "chaotic": kinds["chaotic"][0] if kinds["chaotic"] else strangest}


def _transitions(f: Findings, cls: list[str], w: dict) -> dict:
    ts = f.transitions
    if not ts:
        return {"id": "transitions", "title": "Transitions", "action": None, "label": None,
                "paragraphs": ["There is only one group on this map, so no transition between groups."]}
    m, kinds, shown = f.method, f.kinds(), shown_transitions(f)
    name = lambda t, end: pl(cls, t[end]["class"])  # noqa: E731
    steps = len(ts[0]["path"]) - 1
    even = 1 / steps
    sharp_at = m["abrupt"] * even
    odd = m["chaotic"]
    usual = f"the usual distance between two real {w['nouns']}"
    s = shown["smooth"]
    # the claim first (it shares a phone's screen with the stuck plane and the buttons), then
    # the thresholds that name the kinds
    paras = [f"Walking the straight line between two neighbouring groups, the decoder's image changes "
             f"smoothly, abruptly or chaotically. Of the {len(ts)} walks on this map, "
             f"{len(kinds['smooth'])} are smooth, {len(kinds['abrupt'])} abrupt and "
             f"{len(kinds['chaotic'])} chaotic.",
             f"Each walk decodes {steps + 1} points along the line. It is abrupt when one of its {steps} steps "
             f"carries at least {m['abrupt']:g} times an even step's share of the change ({_pct(sharp_at)}; an "
             f"even walk puts {_pct(even)} in each), and chaotic when an image on the way is farther from every "
             f"real {w['noun']} than {odd:g} times {usual} (the Unfamiliar map shades that distance); else "
             f"smooth."]
    if kinds["smooth"]:
        paras.append(f"Smooth: from the {name(s, 'from')} to the {name(s, 'to')} the image changes gradually, "
                     f"no step carrying more than {_pct(s['jump'])} of the change, and every image on the way "
                     f"is within {_times(s['unfamiliar'])} times {usual} of a real one.")
    else:
        paras.append("No walk is smooth on this map.")
    a = shown["abrupt"]
    if kinds["abrupt"]:
        paras.append(f"Abrupt: from the {name(a, 'from')} to the {name(a, 'to')} one of the {steps} steps "
                     f"carries {_pct(a['jump'])} of the change, {a['jump'] / even:.1f} times an even step's share; "
                     + ("the only abrupt walk." if len(kinds["abrupt"]) == 1 else
                        f"{len(kinds['abrupt'])} of the {len(ts)} walks are abrupt like this."))
    else:
        paras.append(f"No walk is abrupt on this map: the sharpest, from the {name(a, 'from')} to the "
                     f"{name(a, 'to')}, puts {_pct(a['jump'])} of its change into one step, less than "
                     f"{_pct(sharp_at)}.")
    c = shown["chaotic"]
    if kinds["chaotic"]:
        paras.append(f"Chaotic: on the way from the {name(c, 'from')} to the {name(c, 'to')} the decoder draws "
                     f"images no real {w['noun']} resembles, {_times(c['unfamiliar'])} times {usual} from the "
                     f"nearest one (an RMS pixel difference of {c['rms']:.3f} on the Unfamiliar map).")
    else:
        paras.append(f"No walk is chaotic on this map: the least familiar image on any walk, between the "
                     f"{name(c, 'from')} and the {name(c, 'to')}, is {_times(c['unfamiliar'])} times {usual} "
                     f"from the nearest real one (an RMS pixel difference of {c['rms']:.3f}), less than "
                     f"{odd:g} times.")
    label = {"abrupt": ("Walk the abrupt one", "Walk the sharpest"),
             "chaotic": ("Walk the chaotic one", "Walk the least familiar")}
    extras = [{"action": f"walk-{k}", "label": label[k][0 if kinds[k] else 1]} for k in ("abrupt", "chaotic")
              if shown[k] is not shown["smooth"]]
    return {"id": "transitions", "title": "Smooth, abrupt and chaotic transitions", "paragraphs": paras,
            "action": "walk", "label": "Walk the smoothest" if kinds["smooth"] else "Walk the gentlest",
            "extras": extras}


def _translation(f: Findings, cls: list[str], w: dict) -> dict:
    t = f.translation
    by = {(r["axis"], r["pixels"]): r for r in t["shifts"]}
    most = max(r["pixels"] for r in t["shifts"])
    one, two, far = by[("x", 1)], by[("x", 2)], by[("x", most)]
    paras = [f"Move {w['a_noun']} one pixel to the right and its code moves {_times(one['moved'])} of the "
             f"typical distance between two class centres; for {_pct(one['changed'])} of the test {w['nouns']} "
             f"the nearest class on the plane changes, and for {_pct(far['changed'])} at "
             f"{abs(far['pixels'])} pixels. To the network these are other images: two pixels over, "
             f"{w['a_noun']} covers only {_pct(two['overlap'])} of its own ink."]
    ex = t["example"]
    if ex is not None:
        n = abs(ex["pixels"])
        paras.append(f"Test {w['noun']} {ex['index']:,}, {with_article(cls[ex['from']])}, lands among the "
                     f"{pl(cls, ex['to'])} when it moves {n} pixel{'s' if n != 1 else ''} "
                     f"{DIR[(ex['axis'], 1 if ex['pixels'] > 0 else -1)]} (the class most of its 5 nearest codes have).")
    return {"id": "translation", "title": "The weakness with translated shapes", "paragraphs": paras,
            "action": "shift" if ex is not None else None, "label": "Play the shift" if ex is not None else None}


def _outside(w: dict, cls: list[str]) -> dict:
    letters = [c for c in cls if len(c) == 1 and c.isalpha()]
    lead = ("Letters lie outside this data set: none of its classes is a letter." if not letters else
            f"Some of this data set's classes are letters ({_and(letters)}); the others are not.")
    return {"id": "outside", "title": "Outside the data", "action": "outside", "label": "Draw the letter",
            "paragraphs": [f"{lead} Where does the encoder put a capital B, A or X, and what does the "
                           f"decoder make of them?"],
            "measured": True}   # templates/decoder/story.js measures and writes the answer at page load




def _roundtrip(f: Findings, cls: list[str], w: dict) -> dict:
    r = f.roundtrip
    ends = sorted(range(len(r["ends"])), key=lambda c: (-r["ends"][c], c))
    never = [pl(cls, c) for c in range(len(r["ends"])) if r["ends"][c] == 0]
    paras = [f"Feed the decoded image back to the encoder, again and again, as Iterate does: the code of a "
             f"test {w['noun']} stops moving after a median of {r['median_steps']:.0f} steps, and "
             f"{_pct(r['changed'])} of them end in another class than they started (the class read off the "
             f"5 nearest codes). {_pct(r['ends'][ends[0]])} end among the {pl(cls, ends[0])}"
             + (f", none among the {_and(never)}." if never else ".")
             + (f" Each round trip loses a little of the image: a code travels a median "
                f"{_times(r['moved'])} of the typical distance between two class centres." if r["moved"] > 0 else "")]
    ex = r["example"]
    if ex is not None and ex["from"] != ex["to"]:
        paras.append(f"For example test {w['noun']} {ex['index']:,} starts among the {pl(cls, ex['from'])} and, "
                     f"after {ex['steps']} round trips, ends among the {pl(cls, ex['to'])}.")
    return {"id": "roundtrip", "title": "A lossy round trip", "paragraphs": paras,
            "action": "iterate" if ex is not None else None,
            "label": f"Iterate from test {w['noun']} {ex['index']:,}" if ex is not None else None}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def story_context(findings: Findings, classes: list[str], data_name: str,
                  x_test: Any = None) -> dict:
    """The stops of the story, each `id`, `title`, `paragraphs`, `action`, `label` and
    `extras` (more actions of the stop), and `actions`: what each action needs on the page
    (for `config.story`). `x_test` (n, 784) are the test images, for the translation
    example's own pixels."""
    w = words(data_name)
    stops = [_split(findings, classes, w), _transitions(findings, classes, w),
             _translation(findings, classes, w), _outside(w, classes), _roundtrip(findings, classes, w)]
    return {
        "words": w,
        "stops": [{**STOP, **stop} for stop in stops],
        "actions": actions(findings, x_test),
        "method": method_notes(findings.method),
    }


STORY_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError,
                OverflowError, RecursionError)


def story_of_record(findings: Any, classes: list[str], data_name: str, x_test: Any, where: object) -> dict:
    """`story_context` of a findings record read from the file `where`: a record whose parts
    are not what the story reads (hand-edited or corrupt, its hash fixed in the manifest)
    is one `BuildError` naming the file, never a traceback."""
    try:
        return story_context(findings, classes, data_name, x_test)
    except STORY_ERRORS as e:
        raise BuildError(f"{where}: not aedemo findings (the story cannot read it: {type(e).__name__}: "
                         f"{' '.join(str(e).split())[:100]}): run `aedemo findings`") from None


def method_notes(m: dict[str, Any]) -> list[dict[str, str]]:
    """The model card's "How the story measures": each criterion, its parameters and why."""
    k = int(m["local"])
    need = int(-(-m["ground"] * k // 1))
    even = 1 / (m["path_points"] - 1)
    return [
        {"name": "Separate groups",
         "text": f"Each point of the plane is judged by its {k} nearest codes, of any class. It is a class's "
                 f"ground when at least {need} of them are the class's and the {k}th is no farther than "
                 f"{m['gap']:g} times the class's typical distance (the median, over the class's own codes, "
                 f"of the distance to their {k}th nearest code). A class's groups are the connected parts of "
                 f"its ground (on a {m['grid']}×{m['grid']} lattice) that hold at least {_pct(m['min_share'])} of "
                 f"its codes; a code among other classes joins the part within the typical distance of it, "
                 f"if any. Two groups are separate because every way between them crosses where the class "
                 f"is a minority (other classes lie between) or an empty gap. Why a local scale: a density "
                 f"whose bandwidth comes from the whole class's spread smooths a class that lies in two "
                 f"places into one, and two dense parts joined by the class's own codes are one group, "
                 f"not two."},
        {"name": "Transitions",
         "text": f"Between each group and its {m['neighbours']} nearest groups of other classes, "
                 f"{m['path_points']} points on the straight line are decoded. Abrupt: one step carries at "
                 f"least {m['abrupt']:g} times an even step's share of the pixel change ({_pct(m['abrupt'] * even)}; "
                 f"even: {_pct(even)}). Chaotic: an image on the way is farther from every real test image "
                 f"than {m['chaotic']:g} times the median distance of a real test image to its nearest other "
                 f"one (the distance the Unfamiliar map shades). Chaotic is judged first, then abrupt; the "
                 f"rest are smooth."},
    ]


def actions(f: Findings, x_test: Any) -> dict:
    """The plane points each of the story's actions needs; only what the page uses."""
    out: dict[str, Any] = {}
    if f.split:
        s = f.split[0]
        out["groups"] = {"class": s["class"], "centres": [g["centre"] for g in s["groups"]],
                         "split": [t["class"] for t in f.split]}   # every split class, most striking first
    shown = shown_transitions(f)
    for kind, t in shown.items():
        if kind != "smooth" and t is shown["smooth"]:
            continue   # the same walk as the smoothest: no second button
        out["walk" if kind == "smooth" else f"walk-{kind}"] = {
            "path": t["path"], "classes": [t["from"]["class"], t["to"]["class"]]}
    ex = f.translation["example"]
    if ex is not None and x_test is not None:
        pixels = [round(float(v), 4) for v in x_test[ex["index"]]]
        n = (len(ex["codes"]) - 1) // 2
        out["shift"] = {"index": ex["index"], "axis": ex["axis"], "codes": ex["codes"],
                        "image": pixels, "step": 1 if ex["pixels"] > 0 else -1,
                        "classes": [ex["from"], ex["to"]],
                        "labels": [(f"{k:+d} px" if k else "0").replace("-", "\u2212") for k in range(-n, n + 1)]}
    rt = f.roundtrip["example"]
    if rt is not None:
        out["iterate"] = {"from": rt["start"]}
    return out


# ---------------------------------------------------------------- with and without pretraining


def within_spread(delta: float, sd_a: float, sd_b: float) -> bool:
    """Whether a difference `delta` between two nets' figures is within the seed spread:
    smaller than the standard deviation of the difference of one seed of each,
    √(sd_a² + sd_b²). The page's sentence and `make bench`'s verdict both ask this."""
    return abs(delta) < (sd_a ** 2 + sd_b ** 2) ** 0.5


def pretraining_sentence(pre: Any, twin: Any, spread: dict | None = None) -> str:
    """"With and without pretraining", from the measured numbers: `pre` and `twin` have
    `test_mse` and `knn5` (`records.timelapse.Scores`). `spread` (optional, from a committed bench
    record): `n` seeds, `date`, and the seed standard deviations `mse_sd`, `knn5_sd` of
    each method (`pretrained`, `random`), to say whether the difference is beyond it."""
    d_mse = pre.test_mse - twin.test_mse
    d_knn = pre.knn5 - twin.knn5
    lower = "lower" if d_mse < 0 else "higher"
    better = "better" if (d_mse < 0) == (d_knn >= 0) else None
    rel = abs(d_mse) / twin.test_mse
    text = (f"With pretraining the test MSE is {pre.test_mse:.4f} against {twin.test_mse:.4f} from "
            f"random initialisation ({100 * rel:.1f}\u202f% {lower}), and kNN-5 is "
            f"{100 * pre.knn5:.1f}\u202f% against {100 * twin.knn5:.1f}\u202f% "
            f"({abs(100 * d_knn):.1f} points {'more' if d_knn >= 0 else 'fewer'}).")
    if abs(d_mse) < 5e-5 and abs(d_knn) < 5e-4:
        return text + " On this seed the two nets end level."
    verdict = ("the pretrained net is ahead on both" if better and d_mse < 0 else
               "the randomly initialised net is ahead on both" if better else
               "each is ahead on one of the two")
    if spread is None:
        return (text + f" On this one seed {verdict}; one seed of each cannot say whether that "
                f"is more than chance.")
    p, r = spread["pretrained"], spread["random"]
    inside = [within_spread(d_mse, p["mse_sd"], r["mse_sd"]), within_spread(d_knn, p["knn5_sd"], r["knn5_sd"])]
    where = ("both differences are within" if all(inside) else "both differences are beyond" if not any(inside)
             else f"the {'MSE' if inside[0] else 'kNN-5'} difference is within and the "
                  f"{'kNN-5' if inside[0] else 'MSE'} difference beyond")
    d = spread.get("difference")
    tail = ""
    if d is not None:
        mean_inside = [within_spread(d["test_mse"], p["mse_sd"], r["mse_sd"]),
                       within_spread(d["knn5"], p["knn5_sd"], r["knn5_sd"])]
        d_mse_text = f"{d['test_mse']:+.4f}".replace("-", "\u2212")  # a true minus sign
        d_knn_text = f"{100 * d['knn5']:+.1f}".replace("-", "\u2212")
        tail = (f" Averaged over those seeds, pretraining changes the test MSE by {d_mse_text} and "
                f"kNN-5 by {d_knn_text} points, "
                + ("both within that spread." if all(mean_inside) else "both beyond that spread."
                   if not any(mean_inside) else "one within that spread and one beyond it."))
    return (text + f" On this seed {verdict}; {where} the spread of {spread['n']} seeds of each "
            f"(seed standard deviations: test MSE {p['mse_sd']:.4f} with pretraining and {r['mse_sd']:.4f} "
            f"without, kNN-5 {100 * p['knn5_sd']:.1f} and {100 * r['knn5_sd']:.1f} points; measured "
            f"{spread['date']}).{tail}")
