"""Tests of `builder.site.render` without a browser: files, determinism, atomicity, errors.

They render a small fake build folder made here (random weights in the decoder's and
the encoder's layer layouts, random test images), so they run in seconds and do not
depend on training.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import NODE_MODULES, ROOT  # noqa: E402
from factories import SECONDS, make_fake_build
from sitefiles import read_site_config, read_site_data, read_site_digits

from builder.records import layout
from builder.records.files import BuildError, json_bytes, npz_bytes
from builder.site import modelpack
from builder.site.page_scripts import HEAD, SCRIPTS
from builder.site.payloads import MAX_DIGITS, digits_payload
from builder.site.render import TEMPLATES, render_site
from builder.site.theme import PALETTE
from builder.stages.export import export_models
from builder.stages.findings import run_findings

ORT_DIST = NODE_MODULES / "onnxruntime-web" / "dist"

pytestmark = pytest.mark.skipif(
    not (ORT_DIST / "ort.wasm.min.js").is_file(), reason="node_modules missing: run `npm ci`"
)
assert int(SECONDS["pretrain"]) == 98765   # the wall-clock figure looked for below


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    return make_fake_build(tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def rendered(build, tmp_path_factory) -> tuple[Path, dict]:
    site = tmp_path_factory.mktemp("out") / "site"
    return site, render_site(build, site, NODE_MODULES)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _one(tree: dict, stem: str) -> str:
    [name] = [n for n in tree if re.fullmatch(rf"assets/{stem}\.[0-9a-f]{{10}}\.js", n)]
    return name


def test_site_has_the_page_its_assets_and_nojekyll(rendered):
    site, figures = rendered
    tree = _tree(site)
    config = read_site_config(site)
    expected = {"index.html", ".nojekyll", ".aedemo-site", "favicon.svg", *config["files"].values()}
    assert expected <= set(tree)
    # the page's scripts joined in order, each part under a line naming its file
    [page] = [name for name in tree if re.fullmatch(r"assets/page\.[0-9a-f]{10}\.js", name)]
    text = tree[page].decode()
    parts = [text.index(f"// ---- templates/{name}\n") for name in SCRIPTS if name not in HEAD]
    assert parts == sorted(parts) and parts[0] == 0
    for name in SCRIPTS:
        assert (TEMPLATES / name).read_text().strip() in tree[page].decode() + tree[_one(tree, "start")].decode(), name
    assert any(re.fullmatch(r"assets/style\.[0-9a-f]{10}\.css", name) for name in tree)
    assert config["files"]["ort"] == "vendor/onnxruntime-web-1.30.0/ort.wasm.min.js"
    vendor = "vendor/onnxruntime-web-1.30.0/"
    assert {n for n in tree if n.endswith((".wasm", ".mjs", ".map"))} == {
        vendor + "ort-wasm-simd-threaded.mjs", vendor + "ort-wasm-simd-threaded.wasm"}, "over http only"
    assert tree[vendor + "ort-wasm-simd-threaded.wasm"] == (ORT_DIST / "ort-wasm-simd-threaded.wasm").read_bytes()
    assert config["files"]["wasm_raw"] == vendor + "ort-wasm-simd-threaded.wasm"
    assert figures["files"] == len(tree)
    assert figures["bytes"] == sum(len(b) for b in tree.values())
    assert 0 < figures["gzip_bytes"] < figures["bytes"]
    assert figures["points"] == 2000 and figures["ort_version"] == "1.30.0"
    assert figures["digits"] == len(read_site_digits(site)["labels"]) > 100
    assert all((p.stat().st_mode & 0o777) == 0o644 for p in site.rglob("*") if p.is_file())


def test_page_is_self_contained_with_relative_urls_and_csp(rendered):
    site, _ = rendered
    html = (site / "index.html").read_text()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1)
    assert "default-src 'none'" in csp and "'wasm-unsafe-eval'" in csp and "blob:" in csp
    assert "connect-src 'self'" in csp, "over http the runtime fetches its WebAssembly"
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp.replace("wasm-unsafe-eval", "")
    assert html.index("Content-Security-Policy") < html.index("<link")
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(not re.match(r"^(/|[a-z]+:)", u, re.I) for u in urls), urls
    for url in urls:
        assert (site / url).is_file(), url
    # the page's scripts load in order, deferred, the libraries before the page itself
    boot = re.search(r'<script src="assets/boot\.[0-9a-f]{10}\.js"></script>', html)
    assert boot and boot.start() < html.index(" defer></script>"), "boot.js first, not deferred"
    scripts = re.findall(r'<script src="assets/([a-z]+)\.[0-9a-f]{10}\.js" defer></script>', html)
    assert scripts == ["page"], "one deferred script: the page's, joined"
    # datafiles.js, then runtime.js (joined) in <head> after boot.js, not deferred: the
    # runtime starts the decoder at once, with the loaders it needs already there
    head = re.findall(r'<script src="assets/([a-z]+)\.[0-9a-f]{10}\.js" data-start></script>', html)
    assert head == ["start"] and list(HEAD) == ["shared/datafiles.js", "shared/runtime.js"]
    assert boot.start() < html.index("data-start></script>") < html.index(" defer></script>") < html.index("</head>")
    # no inline script or style or event handler that the CSP would block
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html)
    assert not re.search(r"\son[a-z]+=|\sstyle=|<style", html)
    assert "onnxruntime-web 1.30.0" in html


def test_page_shows_the_model_summary_but_no_wall_clock_time(rendered):
    site, _ = rendered
    html = (site / "index.html").read_text()
    for text in ["784 → 100 → 50 → 25 → 2", "0.0362", "0.0554", "76.3 %", "44.1 %", "810", "ReLU",
                 "restricted Boltzmann machines"]:
        assert text in html
    for path in site.rglob("*"):
        if path.is_file():
            assert b"98765" not in path.read_bytes(), path


def test_data_files_hold_exactly_the_inputs(rendered, build):
    site, _ = rendered
    assert modelpack.unpack(read_site_data(site, "decoder")) == (build / "decoder.onnx").read_bytes()
    assert modelpack.unpack(read_site_data(site, "encoder")) == (build / "encoder.onnx").read_bytes()
    config = read_site_config(site)
    assert (config["input"], config["output"], config["encoderInput"], config["encoderOutput"]) == (
        "u", "image", "image", "u")
    both = (build / "decoder.onnx").read_bytes() + (build / "encoder.onnx").read_bytes()
    assert config["modelHash"] == hashlib.sha256(both).hexdigest()[:16]
    packed = base64.b64decode(read_site_data(site, "wasm"))
    assert packed[4:8] == b"\0\0\0\0", "gzip without a timestamp"
    assert gzip.decompress(packed) == (ORT_DIST / "ort-wasm-simd-threaded.wasm").read_bytes()
    assert read_site_data(site, "glue") == (ORT_DIST / "ort-wasm-simd-threaded.mjs").read_text()
    assert (site / read_site_config(site)["files"]["ort"]).read_bytes() == (ORT_DIST / "ort.wasm.min.js").read_bytes()


def test_points_round_trip_within_the_quantisation_step(rendered, build):
    site, _ = rendered
    p = read_site_data(site, "points")
    q = np.frombuffer(base64.b64decode(p["u"]), "<i2").reshape(-1, 2)
    label = np.frombuffer(base64.b64decode(p["label"]), np.uint8)
    lo, hi = np.array(p["lo"]), np.array(p["hi"])
    u = lo + (q + 32767) / 65534 * (hi - lo)   # what app.js computes
    with np.load(build / "points.npz") as f:
        want_u, want_label = f["u"], f["label"]
    assert p["n"] == len(want_u) == len(u)
    assert np.all(lo <= want_u.min(axis=0)) and np.all(want_u.max(axis=0) <= hi)
    # The page draws the points in a fixed shuffled order: compare them as multisets of
    # (label, quantised u); quantising the original points must give exactly those.
    want_q = np.rint((want_u.astype(np.float64) - lo) / (hi - lo) * 65534 - 32767).astype(int)
    rows = lambda lab, qq: sorted(zip(lab.tolist(), map(tuple, qq.tolist())))  # noqa: E731
    assert rows(label, q) == rows(want_label, want_q)
    step = (hi - lo) / 65534
    assert np.all(np.abs(lo + (want_q + 32767) / 65534 * (hi - lo) - want_u) <= step / 2 + 1e-6)
    assert len(set(label[:50].tolist())) > 3, "the drawing order mixes the classes"


def test_digits_are_the_test_images_exactly_with_their_codes(rendered, build):
    site, _ = rendered
    digits = read_site_digits(site)
    with np.load(build / "points.npz") as p, np.load(build / "digits.npz") as d:
        test = p["test"]
        assert np.array_equal(digits["images"], d["x_test"]), "uint8 palette indices are lossless here"
        assert np.array_equal(digits["labels"], d["y_test"])
        assert np.array_equal(digits["codes"], p["u"][test])
    packed = base64.b64decode(read_site_data(site, "digits")["images"])
    assert packed[4:8] == b"\0\0\0\0", "gzip without a timestamp"
    assert len(packed) < len(digits["labels"]) * 784, "packed: smaller than one byte per pixel"


def test_digits_are_capped_and_exact_up_to_256_grey_levels(tmp_path):
    rng = np.random.default_rng(2)
    m = MAX_DIGITS + 700
    label = rng.integers(0, 10, m).astype(np.uint8)
    u = rng.standard_normal((m, 2)).astype(np.float32)
    x = np.round(rng.random((m, 784)), 3).astype(np.float32)   # 1,001 levels: more than a byte holds
    payload = digits_payload(x, label, u)
    assert payload["n"] == MAX_DIGITS and payload["of"] == m and payload["exact"] is False
    (tmp_path / "index.html").write_text(
        '<script type="application/json" id="aedemo-config">{"files": {"digits": "d.js"}}</script>')
    (tmp_path / "d.js").write_text(f"(window.AEDEMO_DATA = {{}})['digits'] = {json.dumps(payload)};")
    got = read_site_digits(tmp_path)
    # a fixed subset, in the test split's order, with each image's own code and label
    rows = [int(np.flatnonzero((u == c).all(axis=1))[0]) for c in got["codes"]]
    assert rows == sorted(rows) and len(set(rows)) == MAX_DIGITS
    assert np.array_equal(got["labels"], label[rows])
    assert np.abs(got["images"] - x[rows]).max() <= 0.5 / 255 + 1e-7
    assert digits_payload(x, label, u) == payload, "deterministic"

    few = np.round(x[:50] * 255) / 255                          # at most 256 levels: exact
    small = digits_payload(few.astype(np.float32), label[:50], u[:50])
    assert small["n"] == 50 and small["exact"] is True


def test_render_is_deterministic(build, tmp_path):
    render_site(build, tmp_path / "a", NODE_MODULES)
    render_site(build, tmp_path / "b", NODE_MODULES)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def _npz(**arrays: np.ndarray) -> bytes:
    return npz_bytes(arrays)


def restage(build: Path, stage: str, **files: bytes) -> None:
    """Replace files of `stage` as that stage itself would (manifest and all); after a new
    training set, export again so that only the damaged file is wrong."""
    keep = {name: (build / name).read_bytes() for name in layout.STAGES[stage]}
    names = {name.replace("_", "."): data for name, data in files.items()}
    inputs = layout.Manifest.read(build).record(stage).inputs
    layout.switch_in(build, stage, {**keep, **names}, inputs)
    if stage == "train":
        export_models(build)
        with contextlib.suppress(BuildError, KeyError, ValueError, IndexError):
            run_findings(build)   # on some damaged sets the findings cannot be made: render says so first


def _train_set(b: Path) -> None:   # a new training run over an exported folder, no export after it
    keep = {name: (b / name).read_bytes() for name in layout.TRAIN_FILES}
    layout.switch_in(b, "train", keep, {"data": "1" * 64})


ZEROS = np.zeros((3, 784), np.float32)
LABELS = np.zeros(3, np.uint8)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: (b / "decoder.onnx").unlink(), r"decoder\.onnx not found: run `aedemo export`"),
        (lambda b: (b / "decoder.onnx").write_bytes(b"not a model"),
         r"decoder\.onnx does not match manifest\.json .*run `aedemo export`"),
        (lambda b: restage(b, "export", decoder_onnx=b"not a model"), r"decoder\.onnx: not an ONNX model"),
        (lambda b: (b / "encoder.onnx").unlink(), r"encoder\.onnx not found: run `aedemo export`"),
        (lambda b: restage(b, "export", encoder_onnx=(b / "decoder.onnx").read_bytes()),
         r"encoder\.onnx: need input \[N,784\] and output \[N,2\]"),
        (_train_set, r"decoder\.onnx was exported from other weights: run `aedemo export`"),
        (lambda b: (b / "manifest.json").unlink(), r"metrics\.json: not made by `aedemo train`.*run `aedemo train`"),
        (lambda b: (b / "manifest.json").write_text("{"), r"manifest\.json: not readable JSON"),
        (lambda b: (b / "digits.npz").unlink(), r"digits\.npz not found: run `aedemo train`"),
        (lambda b: restage(b, "train", digits_npz=_npz(x_test=ZEROS, y_test=LABELS)),
         r"digits\.npz does not match points\.npz"),
        (lambda b: restage(b, "train", digits_npz=_npz(x_test=ZEROS + 2, y_test=LABELS)),
         r"digits\.npz: x_test must lie in \[0, 1\]"),
        (lambda b: restage(b, "train", digits_npz=b"garbage"), r"digits\.npz: cannot read arrays"),
        (lambda b: (b / "points.npz").write_bytes((b / "points.npz").read_bytes()[:100]),
         r"points\.npz does not match manifest\.json .*run `aedemo train`"),
        (lambda b: restage(b, "train", points_npz=_npz(u=ZEROS[:, :2], label=LABELS, pca=ZEROS[:, :2])),
         r"points\.npz: cannot read arrays u, label, test, pca"),
        (lambda b: (b / "points.npz").unlink(), r"points\.npz not found"),
        (lambda b: restage(b, "train", points_npz=_npz(u=ZEROS[:, :3], label=LABELS, test=LABELS > 0,
                                                       pca=ZEROS[:, :3])),
         r"points\.npz: need u and pca of shape"),
        (lambda b: restage(b, "train", points_npz=_npz(u=ZEROS[:, :2], label=LABELS + 10, test=LABELS > 0,
                                                       pca=ZEROS[:, :2])),
         r"points\.npz: labels must lie in 0\.\.9"),
        (lambda b: (b / "metrics.json").unlink(), r"metrics\.json not found"),
        (lambda b: restage(b, "train", metrics_json=b"{"), r"metrics\.json: not valid JSON"),
        (lambda b: restage(b, "train", metrics_json=b'{"architecture": {}}'),
         r"metrics\.json: missing or malformed field"),
        (lambda b: restage(b, "train", metrics_json=json_bytes(
            {**json.loads((b / "metrics.json").read_text()), "knn5": "high"})),
         r"metrics\.json: missing or malformed field knn5"),
    ],
)
def test_a_bad_input_names_the_file_and_leaves_the_old_site(build, rendered, tmp_path, damage, message):
    site = tmp_path / "site"
    shutil.copytree(rendered[0], site)
    before = _tree(site)
    broken = tmp_path / "build"
    shutil.copytree(build, broken)
    damage(broken)
    with pytest.raises(BuildError, match=message) as info:
        render_site(broken, site, NODE_MODULES)
    assert "\n" not in str(info.value)
    assert _tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "site"], "no temporary folder left"


def test_missing_onnxruntime_web_says_run_npm_ci(build, tmp_path):
    fake = tmp_path / "node_modules" / "onnxruntime-web"
    (fake / "dist").mkdir(parents=True)
    (fake / "package.json").write_text('{"version": "1.30.0"}')
    with pytest.raises(BuildError, match=r"ort\.wasm\.min\.js not found.*npm ci"):
        render_site(build, tmp_path / "site", tmp_path / "node_modules")
    assert not (tmp_path / "site").exists()


def test_a_template_error_leaves_the_old_site(build, rendered, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(rendered[0], site)
    before = _tree(site)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "decoder" / "_model.html").write_text("{{ model.no_such_field }}")
    with pytest.raises(Exception, match="no_such_field"):
        render_site(build, site, NODE_MODULES, templates=templates)
    assert _tree(site) == before


def test_palette_is_ten_distinct_colours_in_the_style_sheet(rendered):
    site, _ = rendered
    assert len(set(PALETTE)) == 10
    css = next((site / "assets").glob("style.*.css")).read_text()
    for i, colour in enumerate(PALETTE):
        assert f".c{i} {{ --c: {colour}; }}" in css
    assert read_site_config(site)["palette"] == list(PALETTE)
