"""Tests of the model card (`builder/site/card.py`, `templates/decoder/_card.html`) without a browser.

The partial is rendered through a jinja2 environment set up like render.py's, from a
synthetic metrics dict and from the real quick build; the HTML is parsed back with the
standard library's html.parser and every number is checked against its source.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import numpy as np
import pytest
from factories import PLATFORM, metrics_dict

from builder.records.files import BuildError
from builder.records.metrics import Metrics
from builder.records.arrays import Points
from builder.site.card import MAX_SCATTER, card_context, installed_versions
from builder.site.render import TEMPLATES, make_environment
from builder.site.theme import PALETTE

VERSIONS = {"onnxruntime-web": "1.30.0", "numpy": "2.4.6", "onnxruntime": "1.32.0", "onnx": "1.23.2"}

def environment() -> jinja2.Environment:
    return make_environment(TEMPLATES)


def render(card: dict) -> str:
    return environment().get_template("decoder/_card.html").render(card=card)


# ---------------------------------------------------------------- a tiny DOM


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None") -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list["Node"]:
        def ok(n: Node) -> bool:
            for k, v in attrs.items():
                k = k.rstrip("_").replace("_", "-")
                if v is True:
                    if k not in n.attrs:
                        return False
                elif k == "class":
                    if v not in (n.attrs.get("class") or "").split():
                        return False
                elif n.attrs.get(k) != v:
                    return False
            return True
        return [n for n in self.iter() if (tag is None or n.tag == tag) and ok(n)]

    def one(self, tag: str | None = None, **attrs: str | bool) -> "Node":
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TreeParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, dict(attrs), self.cur))

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"unbalanced </{tag}>"
        assert node is self.cur, f"</{tag}> closes <{self.cur.tag}>"
        self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html: str) -> Node:
    p = TreeParser()
    p.feed(html)
    p.close()
    assert p.cur is p.root, "unclosed elements"
    return p.root


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split()]


def xy_points(text: str) -> list[tuple[float, float]]:
    return [tuple(float(c) for c in p.split(",")) for p in text.split()]  # type: ignore[misc]


# ---------------------------------------------------------------- inputs


def make_metrics(**kwargs) -> dict:
    """A `metrics.json` as a dict (tests/factories.py)."""
    return metrics_dict(**kwargs)


def ctx(metrics: dict, points: dict, decoder_bytes: int, versions: dict) -> dict:
    """`card_context` of a metrics dict, read through the one validating reader."""
    return card_context(Metrics.from_json(metrics), Points(**points), decoder_bytes, versions)


def make_points(n_train: int = 400, n_test: int = 300, n_classes: int = 10, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    label = (np.arange(n) % n_classes).astype(np.uint8)
    centres = rng.normal(size=(n_classes, 2)) * 3
    return {
        "u": (centres[label] + rng.normal(size=(n, 2))).astype(np.float32),
        "pca": (rng.normal(size=(n, 2)) * [4, 2]).astype(np.float32),
        "label": label,
        "test": np.repeat([False, True], [n_train, n_test]),
    }


def load_build(build: Path) -> tuple[dict, dict, int]:
    metrics = json.loads((build / "metrics.json").read_text(encoding="utf-8"))
    with np.load(build / "points.npz") as f:
        points = {k: f[k] for k in f.files}
    return metrics, points, (build / "decoder.onnx").stat().st_size


# ---------------------------------------------------------------- checks shared by both sources


def chart(root: Node, name: str) -> Node:
    return root.one("section", data_chart=name).one("svg", class_="mc-chart")


def axis_maps(svg: Node):
    """(epoch → x, value → y) recovered from the tick labels alone."""
    log = svg.attrs["data-scale"] == "log"
    t = math.log10 if log else (lambda v: v)
    ys = [(float(n.attrs["data-value"]), float(n.attrs["y"])) for n in svg.find_all("text", class_="mc-ytick")]
    xs = [(float(n.attrs["data-value"]), float(n.attrs["x"])) for n in svg.find_all("text", class_="mc-xtick")]
    assert len(ys) >= 2, "need two y ticks to read the scale"
    (v0, y0), (v1, y1) = ys[0], ys[-1]
    fy = lambda v: y0 + (t(v) - t(v0)) / (t(v1) - t(v0)) * (y1 - y0)  # noqa: E731
    if len(xs) >= 2:
        (e0, x0), (e1, x1) = xs[0], xs[-1]
        fx = lambda e: x0 + (e - e0) / (e1 - e0) * (x1 - x0)  # noqa: E731
    else:
        fx = lambda e: xs[0][1]  # noqa: E731
    return fx, fy


def check_curve(line: Node, values: list[float], fx, fy) -> None:
    assert floats(line.attrs["data-values"]) == values  # repr-exact
    pts = xy_points(line.attrs["points"])
    assert len(pts) == len(values)
    for i, ((x, y), v) in enumerate(zip(pts, values)):
        assert abs(x - fx(i + 1)) < 0.011 and abs(y - fy(v)) < 0.011, (i, x, y, v)


def check_card(html: str, metrics: dict, points: dict, decoder_bytes: int, versions: dict) -> Node:
    root = parse(html)

    # fine-tuning curves, their scale and the selected epoch
    ft = metrics["finetune"]
    svg = chart(root, "finetune")
    fx, fy = axis_maps(svg)
    lines = {n.attrs["data-series"]: n for n in svg.find_all("polyline")}
    assert sorted(lines) == ["test", "train", "validation"]
    for key, name in (("train_mse", "train"), ("val_mse", "validation"), ("test_mse", "test")):
        check_curve(lines[name], ft[key], fx, fy)
    best = ft["best_epoch"]
    marker = svg.one("circle", class_="mc-marker")
    assert int(marker.attrs["data-epoch"]) == best
    assert float(marker.attrs["data-value"]) == ft["val_mse"][best - 1]
    bx, by = xy_points(lines["validation"].attrs["points"])[best - 1]
    assert (float(marker.attrs["cx"]), float(marker.attrs["cy"])) == (bx, by)
    mline = svg.one("line", class_="mc-marker-line")
    assert float(mline.attrs["x1"]) == float(mline.attrs["x2"]) == bx
    assert abs(bx - fx(best)) < 0.011
    assert root.one(data_best_epoch=True).text() == str(best)
    table = root.one("section", data_chart="finetune").one("table")
    best_rows = table.find_all("tr", class_="mc-best")
    assert len(best_rows) == 1 and best_rows[0].one("th").text() == str(best)
    rows = table.one("tbody").find_all("tr")
    assert len(rows) == len(ft["train_mse"])
    for i, row in enumerate(rows):
        cells = [td.text() for td in row.find_all("td")]
        check_rounded(cells, [ft[k][i] for k in ("train_mse", "val_mse", "test_mse")])

    # pretraining curves
    block = root.one("section", data_chart="pretraining")
    curves = [p for p in metrics["pretraining"] if p["recon_error"]]
    if curves:
        svg = chart(root, "pretraining")
        fx, fy = axis_maps(svg)
        lines = svg.find_all("polyline")
        assert len(lines) == len(curves)
        for i, (line, p) in enumerate(zip(lines, curves)):
            assert line.attrs["data-series"] == f"RBM {i + 1} · {p['layer']}"
            check_curve(line, p["recon_error"], fx, fy)
        assert not block.find_all(data_empty="pretraining")
        rows = block.one("table").one("tbody").find_all("tr")
        assert len(rows) == max(len(p["recon_error"]) for p in curves)
        for i, row in enumerate(rows):
            assert int(row.one("th").text()) == i + 1
            check_rounded([td.text() for td in row.find_all("td")], [p["recon_error"][i] for p in curves])
        spread = max(max(p["recon_error"]) for p in curves) / min(min(p["recon_error"]) for p in curves)
        assert svg.attrs["data-scale"] == ("log" if spread > 4 else "linear")
        assert ("log scale" in svg.text()) == (spread > 4)
    else:
        assert not block.find_all("svg", class_="mc-chart")
        assert "No pretraining" in block.one(data_empty="pretraining").text()

    # scores table
    for key, mse, knn in (("pca", metrics["pca2"]["test_mse"], metrics["pca2"]["knn5"]),
                          ("ae", metrics["test_mse"], metrics["knn5"])):
        tds = root.one("tr", data_row=key).find_all("td")
        assert [float(td.attrs["data-value"]) for td in tds] == [mse, knn]
        assert [td.text() for td in tds] == [f"{mse:.4f}", f"{100 * knn:.1f} %"]

    # architecture: parameter counts, activations, decoder bytes
    sizes = metrics["architecture"]["sizes"]
    full = sizes + sizes[-2::-1]
    params = root.find_all("text", data_params=True)
    assert [n.attrs["data-layer"] for n in params] == [f"{a}→{b}" for a, b in zip(full, full[1:])]
    counts = [a * b + b for a, b in zip(full, full[1:])]
    assert [int(n.attrs["data-params"]) for n in params] == counts
    assert [n.text() for n in params] == [f"{c:,}" for c in counts]
    half = len(sizes) - 1
    assert int(root.one(data_encoder_params=True).attrs["data-encoder-params"]) == sum(counts[:half])
    assert int(root.one(data_decoder_params=True).attrs["data-decoder-params"]) == sum(counts[half:])
    total = root.one(data_total_params=True)
    assert int(total.attrs["data-total-params"]) == sum(counts) and total.text() == f"{sum(counts):,}"
    assert [int(n.attrs["data-size"]) for n in root.find_all("rect", data_size=True)] == full
    out_name = {"sigmoid": "sigmoid", "relu": "ReLU"}[metrics["architecture"]["output"]]
    assert [n.text() for n in root.find_all("text", data_activation=True)] == (
        ["input"] + ["ReLU"] * (half - 1) + ["linear"] + ["ReLU"] * (half - 1) + [out_name])
    dbytes = root.one(data_decoder_bytes=True)
    assert int(dbytes.attrs["data-decoder-bytes"]) == decoder_bytes
    assert dbytes.text().startswith(f"{decoder_bytes:,} bytes")

    # the two scatters: the same test digits, each dot where its code says
    check_scatters(root, points, metrics["data"]["classes"])

    # how to reproduce
    cfg = metrics["config"]
    assert int(root.one(data_seed=True).text()) == cfg["seed"]
    if metrics["command"]:
        assert root.one("code", data_command=True).text() == metrics["command"]
    else:
        assert not root.find_all("code", data_command=True)
        assert "Python API" in root.one("section", class_="mc-repro").text()
    note = " ".join(root.one("p", data_platform=True).text().split())
    p = metrics["platform"]
    assert f"numpy ({p['numpy']})" in note and f"BLAS ({p['blas']}, {p['blas_kernel']} kernels," in note
    config = {n.attrs["data-key"]: n.text() for n in root.find_all("dd", data_key=True)}
    assert list(config) == sorted(cfg)
    assert {k: json.loads(v) for k, v in config.items()} == cfg
    shown = {n.attrs["data-package"]: n.text() for n in root.find_all("dd", data_package=True)}
    assert shown == versions and list(shown) == sorted(versions)

    # nothing that changes between builds, nothing unsafe for the page's CSP
    assert "seconds" not in html
    for v in metrics["seconds"].values():  # short roundings of small times occur by chance
        for text in [repr(v)] + ([f"{v:.1f}", f"{v:.2f}", f"{v:,.0f}"] if v >= 1000 else []):
            assert len(text) < 6 or text not in html, text
    assert not re.search(r"0x[0-9a-f]{6,}|<built-in|Undefined", html)
    assert " style=" not in html and "<style" not in html and "<script" not in html and "<img" not in html
    return root


def check_rounded(cells: list[str], values: list[float]) -> None:
    """Table cells: each value rounded to the cell's decimals, at least 4 significant digits."""
    assert len(cells) == len(values)
    for cell, v in zip(cells, values):
        decimals = len(cell.split(".")[1]) if "." in cell else 0
        assert float(cell) == round(v, decimals) or abs(float(cell) - v) <= 0.5 * 10**-decimals * (1 + 1e-9)
        assert abs(float(cell) - v) <= 5e-4 * abs(v), (cell, v)


def check_scatters(root: Node, points: dict, classes: list[str]) -> None:
    test = points["test"]
    n_test = int(test.sum())
    svgs = {n.parent.attrs["data-plot"]: n for n in root.find_all("svg", class_="mc-scatter-svg")}
    assert sorted(svgs) == ["ae", "pca"]
    per_class = {}
    for key, source in (("pca", "pca"), ("ae", "u")):
        svg = svgs[key]
        n = int(svg.attrs["data-n"])
        assert n == min(n_test, MAX_SCATTER)
        dots: dict[int, set] = {}
        counts: dict[int, int] = {}
        for path in svg.find_all("path"):
            c = int(path.attrs["data-class"])
            assert path.attrs["stroke"] == PALETTE[c]
            counts[c] = counts.get(c, 0) + int(path.attrs["data-n"])
            dots.setdefault(c, set()).update(decode_path(path.attrs["d"]))
        assert sum(counts.values()) == n
        per_class[key] = counts
        if n == n_test:  # every test digit: the dots are exactly the codes on the grid
            grid = int(svg.attrs["data-grid"])
            lo, hi = np.array(floats(svg.attrs["data-lo"])), np.array(floats(svg.attrs["data-hi"]))
            xy = points[source][test].astype(np.float64)
            assert np.array_equal(lo, xy.min(axis=0))
            g = np.rint((xy - lo) / (hi - lo) * grid).astype(int)
            want: dict[int, set] = {}
            for (x, y), c in zip(g, points["label"][test]):
                want.setdefault(int(c), set()).add((int(x), grid - int(y)))
            assert dots == want
    assert per_class["pca"] == per_class["ae"]  # the same digits in both
    names = [li.text() for li in root.one("ul", class_="mc-classes").find_all("li")]
    assert names == classes


def decode_path(d: str) -> list[tuple[int, int]]:
    """Dots of a scatter path `M x y h0 m dx dy h0 …`."""
    out, x, y = [], 0, 0
    for cmd, a, b in re.findall(r"([Mm])(-?\d+)\s*(-?\d+)h0", d):
        x, y = (int(a), int(b)) if cmd == "M" else (x + int(a), y + int(b))
        out.append((x, y))
    assert re.sub(r"[Mm]-?\d+\s*-?\d+h0", "", d) == ""
    return out


# ---------------------------------------------------------------- tests: synthetic metrics


def test_synthetic_card_parses_back() -> None:
    metrics, points = make_metrics(), make_points()
    before = copy.deepcopy(metrics)
    html = render(ctx(metrics, points, 123_456, VERSIONS))
    check_card(html, metrics, points, 123_456, VERSIONS)
    assert metrics == before  # nothing modified in place
    root = parse(html)
    assert root.one("code", data_command=True).text() == "aedemo build --seed 7"
    # six RBM epochs and twelve fine-tuning epochs get a dot per value
    assert len(chart(root, "finetune").find_all("circle", r="2.5")) == 36


def test_two_renders_are_byte_identical_and_ignore_seconds() -> None:
    metrics, points = make_metrics(), make_points()
    first = render(ctx(metrics, points, 1000, VERSIONS))
    metrics["seconds"] = {k: v * 3.7 for k, v in metrics["seconds"].items()}
    again = render(ctx(json.loads(json.dumps(metrics)), make_points(), 1000, dict(VERSIONS)))
    assert first == again
    assert "seconds" not in json.dumps(ctx(metrics, points, 1000, VERSIONS), default=str)


def test_without_pretraining() -> None:
    metrics = make_metrics(pretrain=False)
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    root = check_card(html, metrics, make_points(), 1000, VERSIONS)
    block = root.one("section", data_chart="pretraining")
    assert "--no-pretrain" in block.text() and not block.find_all("details")


def test_zero_rbm_epochs_counts_as_no_curves() -> None:
    metrics = make_metrics(rbm_epochs=0)
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    root = check_card(html, metrics, make_points(), 1000, VERSIONS)
    assert root.find_all(data_empty="pretraining")


def test_long_run_linear_scale_no_dots_and_marker_side() -> None:
    metrics = make_metrics(epochs=100, rbm_epochs=20, best=97)
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    root = check_card(html, metrics, make_points(), 1000, VERSIONS)
    svg = chart(root, "finetune")
    assert svg.attrs["data-scale"] == "linear" and "(log scale)" not in svg.text()
    assert not svg.find_all("circle", r="2.5")  # 100 points: lines only
    assert chart(root, "pretraining").attrs["data-scale"] == "log"
    label = svg.one("text", class_="mc-marker-label")
    assert label.text() == "epoch 97" and label.attrs["text-anchor"] == "end"
    assert [int(t.attrs["data-value"]) for t in svg.find_all("text", class_="mc-xtick")] == [1, 20, 40, 60, 80, 100]


def test_single_epoch() -> None:
    metrics = make_metrics(epochs=1, rbm_epochs=1, best=1)
    check_card(render(ctx(metrics, make_points(), 1000, VERSIONS)), metrics, make_points(), 1000, VERSIONS)


def test_relu_output_idx_data_and_the_recorded_command() -> None:
    command = "aedemo build --data fashion-mnist --name fashion-mnist --seed 7 --output relu"
    metrics = make_metrics(output="relu", source="IDX fashion-mnist", name="Fashion-MNIST", command=command,
                           classes=["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                    "Shirt", "Sneaker", "Bag", "Ankle boot"])
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    root = check_card(html, metrics, make_points(), 1000, VERSIONS)
    assert root.one("code", data_command=True).text() == command
    assert root.one("section", class_="model-card").attrs["id"] == "model-card-fashion-mnist"


def test_a_quoted_word_of_the_command_stays_one_word() -> None:
    command = "aedemo build --classes 'a b,c,d,e,f,g,h,i,j,k' --seed 7"
    root = parse(render(ctx(make_metrics(command=command), make_points(), 1000, VERSIONS)))
    words = [span.text() for span in root.one("code", data_command=True).find_all("span")]
    assert words == ["aedemo", "build", "--classes", "'a b,c,d,e,f,g,h,i,j,k'", "--seed", "7"]


def test_a_model_trained_from_python_says_so_instead_of_a_command() -> None:
    metrics = make_metrics(command="")
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    check_card(html, metrics, make_points(), 1000, VERSIONS)


def test_the_platform_that_the_bytes_depend_on_is_named() -> None:
    metrics = make_metrics()
    metrics["platform"] = {**PLATFORM, "blas_kernel": "SkylakeX", "blas_threads": 2}
    note = " ".join(parse(render(ctx(metrics, make_points(), 1000, VERSIONS))).one("p", data_platform=True).text().split())
    assert "SkylakeX kernels, 2 threads" in note and "same kind of processor" in note


def test_text_from_metrics_is_escaped() -> None:
    metrics = make_metrics(name="<b>x</b> & co", classes=[f"<i>{d}</i>" for d in range(10)],
                           source="IDX /tmp/<script>")
    html = render(ctx(metrics, make_points(), 1000, VERSIONS))
    assert "<b>" not in html and "<i>" not in html and "<script" not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in html
    check_card(html, metrics, make_points(), 1000, VERSIONS)


def test_many_test_digits_are_sampled_the_same_in_both_plots() -> None:
    metrics, points = make_metrics(), make_points(n_train=100, n_test=MAX_SCATTER + 700)
    html = render(ctx(metrics, points, 1000, VERSIONS))
    root = check_card(html, metrics, points, 1000, VERSIONS)
    assert f"a fixed sample of {MAX_SCATTER:,}" in root.one("table", class_="mc-scores").text()


@pytest.mark.parametrize("breakage", ["no finetune", "short val", "best 0", "nan", "no test rows"])
def test_malformed_inputs_raise_build_error(breakage: str) -> None:
    metrics, points = make_metrics(), make_points()
    if breakage == "no finetune":
        del metrics["finetune"]
    elif breakage == "short val":
        metrics["finetune"]["val_mse"].pop()
    elif breakage == "best 0":
        metrics["finetune"]["best_epoch"] = 0
    elif breakage == "nan":
        metrics["finetune"]["test_mse"][2] = float("nan")
    else:
        points["test"][:] = False
    with pytest.raises(BuildError, match="model card|metrics.json: missing or malformed field") as info:
        ctx(metrics, points, 1000, VERSIONS)
    assert "\n" not in str(info.value)


def test_installed_versions() -> None:
    v = installed_versions("1.30.0")
    assert sorted(v) == ["numpy", "onnx", "onnxruntime", "onnxruntime-web"]
    assert v["numpy"] == np.__version__ and v["onnxruntime-web"] == "1.30.0"


# ---------------------------------------------------------------- tests: the real quick build


def test_quick_build_card(quick_build: Path) -> None:
    metrics, points, decoder_bytes = load_build(quick_build)
    versions = installed_versions("1.30.0")
    card = ctx(metrics, points, decoder_bytes, versions)
    html = render(card)
    root = check_card(html, metrics, points, decoder_bytes, versions)
    assert html == render(ctx(*load_build(quick_build), versions))
    assert root.one("code", data_command=True).text() == f"aedemo build --quick --seed {metrics['config']['seed']}"
    # the page grows by this much (printed with -s)
    print(f"\nmodel card, quick build: {len(html.encode()):,} bytes, "
          f"{len(gzip.compress(html.encode(), 9, mtime=0)):,} gzipped")


def test_quick_build_relu_card(quick_build_relu: Path) -> None:
    metrics, points, decoder_bytes = load_build(quick_build_relu)
    html = render(ctx(metrics, points, decoder_bytes, VERSIONS))
    root = check_card(html, metrics, points, decoder_bytes, VERSIONS)
    assert root.one("code", data_command=True).text().endswith("--output relu")
