"""The compress stage (builder/stages/compress.py) and the compression page's files, without a
browser: the contract of compress.json, the 30-D models' parity (numpy, Python
onnxruntime), PCA-30 against PCA-2, the denoising curves recomputed from the ONNX files
against the chart's numbers, determinism, and the errors a bad folder gets."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner
from conftest import NODE_MODULES  # noqa: E402
from sitefiles import read_site_config, read_site_data, read_site_model

from builder.cli import main
from builder.model.autoencoder import Autoencoder
from builder.records import layout
from builder.records.folder import BuildFolder
from builder.records.compress import Compression
from builder.records.files import BuildError, json_bytes
from builder.site.render import render_site
from builder.stages.compress import CompressConfig, compress, noisy, pca_reconstruct
from builder.model.reference import reference_decode_code, reference_encode_code


def _result(build: Path) -> Compression:
    return BuildFolder.open(build).compression()


def _session(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def _run(sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    return sess.run(None, {sess.get_inputs()[0].name: np.asarray(x, np.float32)})[0]


def _test_images(build: Path) -> np.ndarray:
    with np.load(build / layout.DIGITS) as d:
        return d["x_test"]


@pytest.fixture(scope="module")
def site(compressed_build, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("compress-site") / "site"
    render_site(compressed_build, root, NODE_MODULES)
    return root


def test_the_stage_writes_its_set_and_records_its_inputs(compressed_build):
    m = layout.Manifest.read(compressed_build)
    assert m.compress is not None and sorted(m.compress.files) == sorted(layout.COMPRESS_FILES)
    assert m.compress.inputs["data"] == m.train.inputs["data"]
    assert m.current("compress") and layout.is_complete(compressed_build)
    for name in layout.COMPRESS_FILES:
        layout.verified(compressed_build, m, name)   # every byte as recorded


def test_compress_json_holds_the_figures_and_follows_the_2d_training(compressed_build):
    c = _result(compressed_build)
    metrics = BuildFolder.open(compressed_build).metrics()
    assert c.sizes == CompressConfig().sizes and c.code_bytes == {"ae2": 8, "ae30": 120, "pca2": 8, "pca30": 120,
                                                                 "pixels": 784}
    assert c.train["seed"] == metrics.config["seed"] and c.train["epochs"] == metrics.config["epochs"]
    assert c.train["rbm_epochs"] == metrics.config["rbm_epochs"] and len(c.pretraining) == 3
    # the 2-D figures are the train stage's: the same model, the same PCA-2
    assert c.test_mse.ae2 == pytest.approx(metrics.test_mse, rel=1e-4)
    assert c.test_mse.pca2 == pytest.approx(metrics.pca2.test_mse, rel=1e-6)
    assert c.knn5.ae2 == metrics.knn5 and c.knn5.pca2 == metrics.pca2.knn5
    assert c.test_mse.pca30 < c.test_mse.pca2 and 0 < c.knn5.ae30 <= 1
    # without noise the curves start at the test MSE, and the noisy input's error grows
    assert c.denoising["input"][0] == 0.0
    for key in ("ae2", "ae30", "pca2", "pca30"):
        assert c.denoising[key][0] == pytest.approx(getattr(c.test_mse, key), rel=1e-9)
    assert list(c.denoising["input"]) == sorted(c.denoising["input"])
    assert c.drift["ae30"][0] == pytest.approx(c.test_mse.ae30, rel=1e-9)
    assert all(lo < hi for lo, hi in zip(c.code_lo, c.code_hi)) and len(c.code_lo) == 30


def test_the_reader_names_a_bad_field(compressed_build):
    obj = json.loads((compressed_build / layout.COMPRESS).read_text())
    obj["denoising"]["ae30"] = obj["denoising"]["ae30"][:-1]
    with pytest.raises(BuildError, match=r"compress.json: missing or malformed field denoising .*aedemo compress"):
        Compression.from_json(obj, "compress.json")
    obj = json.loads((compressed_build / layout.COMPRESS).read_text())
    del obj["test_mse"]
    with pytest.raises(BuildError, match="test_mse"):
        Compression.from_json(obj, "compress.json")


def test_pca30_is_orthonormal_and_begins_with_pca2(compressed_build):
    with np.load(compressed_build / layout.PCA) as f:
        mean, comp = f["mean"], f["components"]
    assert mean.dtype == comp.dtype == np.float32 and comp.shape == (30, 784)
    gram = comp.astype(np.float64) @ comp.T.astype(np.float64)
    assert np.abs(gram - np.eye(30)).max() < 1e-5
    x = _test_images(compressed_build)
    rec = pca_reconstruct(mean, comp[:2], x)
    assert np.mean((rec - x) ** 2) == pytest.approx(BuildFolder.open(compressed_build).metrics().pca2.test_mse,
                                                    rel=1e-6)


def test_the_30d_models_match_numpy(compressed_build):
    model, meta = Autoencoder.load(compressed_build / layout.WEIGHTS30)
    assert model.sizes == (784, 100, 50, 30)
    x = _test_images(compressed_build)
    enc = _session((compressed_build / layout.ENCODER30).read_bytes())
    dec = _session((compressed_build / layout.DECODER30).read_bytes())
    z = _run(enc, x)
    assert np.abs(z - reference_encode_code(model, x)).max() < 1e-5
    far = np.random.default_rng(3).standard_normal((200, 30)).astype(np.float32) * 4 * z.std(0)
    for codes in (z, far):
        assert np.abs(_run(dec, codes) - reference_decode_code(model, codes)).max() < 1e-5


def test_the_denoising_curves_recomputed_from_the_onnx_files_are_the_charts(compressed_build, site):
    c = _result(compressed_build)
    cfg = CompressConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.config.items()})
    x = _test_images(compressed_build)
    page = "compression.html"
    files = {k: read_site_model(site, k, page) for k in ("encoder", "decoder", "encoder30", "decoder30")}
    s = {k: _session(v) for k, v in files.items()}
    pca = read_site_data(site, "pca", page)
    mean = np.frombuffer(base64.b64decode(pca["mean"]), "<f4")
    comp = np.frombuffer(base64.b64decode(pca["components"]), "<f4").reshape(pca["k"], 784)
    recons = {
        "ae2": lambda v: _run(s["decoder"], _run(s["encoder"], v)),
        "ae30": lambda v: _run(s["decoder30"], _run(s["encoder30"], v)),
        "pca2": lambda v: pca_reconstruct(mean, comp[:2], v),
        "pca30": lambda v: pca_reconstruct(mean, comp, v),
    }
    n = np.random.default_rng(cfg.noise_seed).standard_normal(x.shape, dtype=np.float32)
    html = (site / page).read_text()
    chart = {m.group(1): [float(v) for v in m.group(2).split()]
             for m in re.finditer(r'data-series="([^"]+)" data-values="([^"]+)"', html)}
    names = {"input": "noisy input", "ae2": "autoencoder, 2-D code", "ae30": "autoencoder, 30-D code",
             "pca2": "PCA-2", "pca30": "PCA-30"}
    assert sorted(chart) == sorted(names.values())
    for i, sigma in enumerate(cfg.noise_levels):
        xn = noisy(x, sigma, n)
        got = {"input": np.mean((xn.astype(np.float64) - x) ** 2),
               **{k: np.mean((np.asarray(r(xn), np.float64) - x) ** 2) for k, r in recons.items()}}
        for key, value in got.items():
            assert chart[names[key]][i] == c.denoising[key][i]
            assert value == pytest.approx(chart[names[key]][i], rel=1e-5, abs=1e-9), (key, sigma)


def test_the_page_carries_the_figures_and_the_series_links(compressed_build, site):
    c = _result(compressed_build)
    html = (site / "compression.html").read_text()
    assert f'data-ae30="{c.test_mse.ae30!r}"' in html and f'data-pca30="{c.test_mse.pca30!r}"' in html
    assert f"{c.test_mse.ae30:.4f}" in html and f"{c.test_mse.pca30:.4f}" in html
    assert 'href="index.html" data-series="index.html"' in html
    index = (site / "index.html").read_text()
    assert 'href="compression.html" data-series="compression.html"' in index
    # the decoder page loads none of the compression page's models or scripts
    config = read_site_config(site, "compression.html")
    for key in ("decoder30", "encoder30", "pca", "samples"):
        assert config["files"][key] not in index
    own = re.search(r'src="(assets/compression\.[0-9a-f]+\.js)"', html)   # its scripts, joined
    assert own and own.group(1) not in index
    joined = (site / own.group(1)).read_text()
    page = re.search(r'src="(assets/page\.[0-9a-f]+\.js)"', index).group(1)
    for name in ("codebars", "noise", "panels", "iterate", "compressionpage", "pca"):
        assert f"// ---- templates/compression/{name}.js\n" in joined
        assert f"templates/compression/{name}.js" not in (site / page).read_text()


def test_same_seed_same_bytes(compressed_build, tmp_path):
    other = tmp_path / "again"
    shutil.copytree(compressed_build, other)
    compress(other)
    for name in (layout.WEIGHTS30, layout.DECODER30, layout.ENCODER30, layout.PCA):
        assert (other / name).read_bytes() == (compressed_build / name).read_bytes(), name
    a, b = _result(other).to_json(), _result(compressed_build).to_json()
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_a_missing_data_cache_is_one_line_naming_train(compressed_build, tmp_path):
    folder = tmp_path / "nocache"
    shutil.copytree(compressed_build, folder)
    (folder / layout.DATA_CACHE).unlink()
    before = (folder / layout.COMPRESS).read_bytes()
    result = CliRunner().invoke(main, ["compress", "--out", str(folder), "--quiet"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "data.npz" in result.output and "aedemo train" in result.output
    assert (folder / layout.COMPRESS).read_bytes() == before


def test_render_refuses_a_compression_set_of_other_weights(compressed_build, tmp_path):
    folder = tmp_path / "stale"
    shutil.copytree(compressed_build, folder)
    m = layout.Manifest.read(folder)
    files = {name: (folder / name).read_bytes() for name in layout.TRAIN_FILES}
    obj = json.loads(files[layout.METRICS])
    obj["command"] += " "   # other training files: the later stages no longer belong to them
    files[layout.METRICS] = json_bytes(obj)
    layout.switch_in(folder, "train", files, m.train.inputs)
    from builder.stages.export import export_models
    from builder.stages.findings import run_findings

    export_models(folder)
    run_findings(folder)
    with pytest.raises(BuildError, match="run `aedemo compress`"):
        render_site(folder, tmp_path / "site", NODE_MODULES)


def test_a_folder_without_the_stage_renders_the_decoder_page_alone(quick_build, tmp_path):
    figures = render_site(quick_build, tmp_path / "site", NODE_MODULES)
    assert figures["compression_pages"] == 0 and not (tmp_path / "site" / "compression.html").exists()
    assert "compression.html" not in (tmp_path / "site" / "index.html").read_text()
