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

NOUNS = {"MNIST": ("digit", "digits")}  # the data set's noun for one item; "image" otherwise
STOP = {"action": None, "label": None, "diff": None, "extra": None, "measured": False}  # every stop's keys
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
    return f"{v:.0f}\u202f%" if v >= 10 or v == 0 else f"{v:.1f}\u202f%"


def _times(x: float) -> str:
    return f"{x:.2f}"


def _split(f: dict, cls: list[str], w: dict) -> dict:
    split, mixed = f["split"], f["mixed"]
    paras = []
    if split:
        s = split[0]
        g = s["groups"]
        rest = ", ".join(f"{len(h['groups'])} groups" for h in g[2:])
        paras.append(
            f"The {pl(cls, s['class'])} do not form one cluster on this map but {len(g)} separate groups: "
            f"{g[0]['count']:,} of them ({_pct(g[0]['share'])}) in one, {g[1]['count']:,} "
            f"({_pct(g[1]['share'])}) in another{', and more in ' + rest if rest else ''}. "
            f"Can you find {'both groups' if len(g) == 2 else f'all {len(g)} groups'}?")
        others = [pl(cls, h["class"]) for h in split[1:]]
        if others:
            paras.append(f"{_first_up(_and(others))} split too.")
        paras.append(f"Beside this: the mean of the first group's test {w['nouns']} minus the mean of "
                     f"the second's, where one group has ink the other has not.")
    else:
        m = f["method"]
        paras.append(f"No class splits into separate groups on this map: at a density of "
                     f"{_pct(m['level'])} of each class's peak, every class's codes form one "
                     f"connected cluster.")
    if mixed:
        a, b = mixed[0]["classes"]
        paras.append(f"The classes the 2-D code mixes up most are the {pl(cls, a)} and the {pl(cls, b)}: "
                     f"reading the class off the 5 nearest codes, {mixed[0]['a_as_b']} test {pl(cls, a)} "
                     f"land among the {pl(cls, b)} and {mixed[0]['b_as_a']} {pl(cls, b)} among the {pl(cls, a)}.")
    return {"id": "groups", "title": "Groups", "paragraphs": paras,
            "action": "groups" if split else None,
            "label": "Reveal the groups" if split else None,
            "diff": _diff_cells(split[0]["diff"]) if split else None}


def _diff_cells(diff: list[float], side: int = 28, floor: float = 0.05) -> list[dict]:
    """The difference image as SVG cells: `x`, `y`, `sign` (+1: the first group's ink), `a`
    (opacity, |difference| up to 1), for every pixel differing by at least `floor`."""
    return [{"x": i % side, "y": i // side, "sign": 1 if d > 0 else -1, "a": f"{min(abs(d), 1.0):.2f}"}
            for i, d in enumerate(diff) if abs(d) >= floor]


def _transitions(f: dict, cls: list[str], w: dict) -> dict:
    ts = f["transitions"]
    if not ts:
        return {"id": "transitions", "title": "Transitions", "action": None, "label": None,
                "paragraphs": ["There is only one group on this map, so no transition between groups."]}
    name = lambda t, end: pl(cls, t[end]["class"])  # noqa: E731
    smooth = min(ts, key=lambda t: (t["score"], t["from"]["class"], t["to"]["class"]))
    sharp = max(ts, key=lambda t: (t["score"], -t["from"]["class"], -t["to"]["class"]))
    steps = len(smooth["path"]) - 1
    near = (f"no farther from a real {w['noun']} than {_times(smooth['unfamiliar'])}× the usual "
            f"distance between two real {w['nouns']}")
    paras = [f"Walk from the {name(smooth, 'from')} to the {name(smooth, 'to')}: the decoded image "
             f"changes gradually, no step of {steps} carrying more than {_pct(smooth['jump'])} of the change, "
             f"and every image on the way is {near}."]
    abrupt = [t for t in ts if t["kind"] == "abrupt"]
    if abrupt:
        paras.append(f"Between the {name(sharp, 'from')} and the {name(sharp, 'to')} it is another story: "
                     f"one step carries {_pct(sharp['jump'])} of the change, and the images in between are "
                     f"{_times(sharp['unfamiliar'])}× farther from any real {w['noun']} than real "
                     f"{w['nouns']} are from each other. {len(abrupt)} of the {len(ts)} transitions "
                     f"between neighbouring groups are abrupt like this.")
    else:
        paras.append(f"None of the {len(ts)} transitions between neighbouring groups is abrupt on this map. "
                     f"The sharpest, from the {name(sharp, 'from')} to the {name(sharp, 'to')}, puts "
                     f"{_pct(sharp['jump'])} of the change into one of its {steps} steps.")
    return {"id": "transitions", "title": "Smooth and abrupt transitions", "paragraphs": paras,
            "action": "walk", "label": "Walk the smoothest",
            "extra": {"action": "walk-sharp", "label": "Walk the sharpest"}}


def _translation(f: dict, cls: list[str], w: dict) -> dict:
    t = f["translation"]
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
                     f"{DIR[(ex['axis'], 1 if ex['pixels'] > 0 else -1)]}.")
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




def _roundtrip(f: dict, cls: list[str], w: dict) -> dict:
    r = f["roundtrip"]
    ends = sorted(range(len(r["ends"])), key=lambda c: (-r["ends"][c], c))
    never = [pl(cls, c) for c in range(len(r["ends"])) if r["ends"][c] == 0]
    paras = [f"Feed the decoded image back to the encoder, again and again, as Iterate does: the code of a "
             f"test {w['noun']} stops moving after a median of {r['median_steps']:.0f} steps, and "
             f"{_pct(r['changed'])} of them end in another class than they started. "
             f"{_pct(r['ends'][ends[0]])} end among the {pl(cls, ends[0])}"
             + (f", none among the {_and(never)}." if never else ".")
             + (f" Each round trip loses a little of the image: a code travels a median "
                f"{_times(r['moved'])} of the typical distance between two class centres." if r["moved"] > 0 else "")]
    return {"id": "roundtrip", "title": "A lossy round trip", "paragraphs": paras,
            "action": "iterate", "label": "Iterate from a test " + w["noun"]}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def story_context(findings: dict[str, Any], classes: list[str], data_name: str,
                  x_test: Any = None) -> dict:
    """The stops of the story, each `id`, `title`, `paragraphs`, `action` and `label`, and
    `actions`: what each action needs on the page (for `config.story`). `x_test` (n, 784)
    are the test images, for the translation example's own pixels."""
    w = words(data_name)
    stops = [_split(findings, classes, w), _transitions(findings, classes, w),
             _translation(findings, classes, w), _outside(w, classes), _roundtrip(findings, classes, w)]
    return {
        "words": w,
        "stops": [{**STOP, **stop} for stop in stops],
        "actions": actions(findings, x_test),
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


def actions(f: dict[str, Any], x_test: Any) -> dict:
    """The plane points each "Show me" action needs; only what the page uses."""
    out: dict[str, Any] = {}
    if f["split"]:
        s = f["split"][0]
        out["groups"] = {"class": s["class"], "centres": [g["centre"] for g in s["groups"]]}
    if f["transitions"]:
        ts = f["transitions"]
        smooth = min(ts, key=lambda t: (t["score"], t["from"]["class"], t["to"]["class"]))
        sharp = max(ts, key=lambda t: (t["score"], -t["from"]["class"], -t["to"]["class"]))
        out["walk"] = {"path": smooth["path"], "classes": [smooth["from"]["class"], smooth["to"]["class"]]}
        out["walk-sharp"] = {"path": sharp["path"], "classes": [sharp["from"]["class"], sharp["to"]["class"]]}
    ex = f["translation"]["example"]
    if ex is not None and x_test is not None:
        pixels = [round(float(v), 4) for v in x_test[ex["index"]]]
        out["shift"] = {"index": ex["index"], "axis": ex["axis"], "codes": ex["codes"],
                        "image": pixels, "step": 1 if ex["pixels"] > 0 else -1,
                        "classes": [ex["from"], ex["to"]]}
        out["iterate"] = {"from": ex["codes"][len(ex["codes"]) // 2]}
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
                f"is more than chance: make bench measures the spread over seeds.")
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
    return (text + f" On this seed {verdict}; {where} the spread of {spread['n']} seeds measured by "
            f"make bench on {spread['date']}.{tail}")
