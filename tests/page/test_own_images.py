"""Your own images, end to end: a folder of PNG files (colour shapes, 36×30, in class
folders) → `aedemo build --quick` → a site whose page decodes in the browser, as Python
onnxruntime does, and speaks the data set's words (its folder's name, its class names,
"image"), with the model card saying how the test images were chosen and the images made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from factories import CLASSES, synthetic_shapes, write_image_folders
from pagetools import Site, Tab, serve
from sitefiles import visible_text

from builder.cli import main

pytest_plugins = ["pagetools"]
NODE_MODULES = Path(__file__).resolve().parent.parent.parent / "node_modules"


@pytest.fixture(scope="module")
def shapes_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(build folder, site, the command's output) of `aedemo build --quick --data shapes/`."""
    tmp = tmp_path_factory.mktemp("own")
    folder = write_image_folders(tmp / "shapes", synthetic_shapes(per_class=40))
    result = CliRunner().invoke(main, [
        "build", "--quick", "--quiet", "--data", str(folder), "--out", str(tmp / "build" / "shapes"),
        "--site", str(tmp / "site"), "--node-modules", str(NODE_MODULES)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp / "build" / "shapes", tmp / "site", result.output


def test_the_build_reports_the_reading(shapes_site: tuple[Path, Path, str]) -> None:
    import json

    build, _, output = shapes_site
    m = json.loads((build / "metrics.json").read_text())
    d = m["data"]
    assert (d["name"], d["source"], d["kind"], d["classes"]) == ("shapes", "image folder shapes", "images", list(CLASSES))
    assert d["split"] == "holdout" and d["holdout"] == {"fraction": 0.1, "seed": 0} and d["n_test"] == 16
    assert d["converted"] and d["skipped"] == 3 and 0 < d["inverted"] < 160
    assert "--data shapes" in m["command"]
    assert f"{d['inverted']} inverted (light border); 3 files skipped" in output


def test_the_page_speaks_the_data_sets_words(shapes_site: tuple[Path, Path, str]) -> None:
    import json

    build, site, _ = shapes_site
    d = json.loads((build / "metrics.json").read_text())["data"]
    text = visible_text((site / "index.html").read_text(encoding="utf-8"))
    assert "Model card: shapes" in text and "digit" not in text.lower()
    for name in CLASSES:
        assert name in text
    assert "The 16 test images were held out of the 160: 10 % of each class, drawn at random with seed 0" in text
    assert ("inverted when its border was light (its outermost pixels brighter than mid-grey on average), "
            f"so that the ink is light on black as in MNIST; {d['inverted']} of the 160 were inverted.") in text
    assert "3 files beside them that are not images were skipped." in text


@pytest.mark.parametrize("mode", ["http", "file"])
def test_the_page_decodes_in_the_browser(browser, shapes_site: tuple[Path, Path, str], mode: str) -> None:
    build, root, _ = shapes_site
    server, origin = serve(root)
    try:
        site = Site(root=root, origin=origin, build=build)
        assert site.decoder_bytes == (build / "decoder.onnx").read_bytes()
        tab = Tab(browser, site, mode)
        tab.wait_first_image()
        u = np.array([[0.0, 0.0], [0.5, -0.25], [-2.0, 3.0], [4.0, 1.5]], np.float32)
        got = tab.js("""async us => {
          await aedemo.ready;
          const out = [];
          for (const [a, b] of us) out.push(Array.from(await aedemo.decode(a, b)));
          return out;
        }""", u.astype(np.float64).tolist())
        got = np.array(got, np.float32)
        assert got.shape == (4, 784)
        np.testing.assert_array_less(np.abs(got - site.decode(u)), 1e-5)
        legend = tab.page.inner_text("body")
        assert all(name in legend for name in CLASSES)
        tab.assert_clean()
        tab.close()
    finally:
        server.shutdown()
        server.server_close()
