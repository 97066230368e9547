"""Your own images: class folders of PNG/JPEG, .npy per class, .npz and CSV give the same
data set (the same converted arrays, fingerprint and weights) from the same images; the
conversion to 28×28 grey against a numpy reference; each bad input is one line, exit 1,
nothing written."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from factories import CLASSES, PER_CLASS, synthetic_shapes, write_image_folders
from PIL import Image

from builder import data
from builder.cli import main
from builder.data import convert
from builder.model.training import QUICK, TrainConfig, fit
from builder.records.files import BuildError

def write_npy(root: Path, images: dict[str, np.ndarray]) -> Path:
    root.mkdir(parents=True)
    for c, batch in images.items():
        np.save(root / f"full_numpy_bitmap_{c}.npy" if c == CLASSES[0] else root / f"{c}.npy", batch)
    return root


def write_npz(path: Path, images: dict[str, np.ndarray], names: bool = True) -> Path:
    x = np.concatenate(list(images.values()))
    y = np.repeat(np.arange(len(images)), [len(b) for b in images.values()]).astype(np.uint8)
    arrays = {"x_train": x, "y_train": y}
    if names:
        arrays["class_names"] = np.array(list(images))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def write_csv(path: Path, x: np.ndarray, y: np.ndarray, header: bool = True) -> Path:
    """label + 784 pixels a line; rows interleaved across classes (the class order within
    each class kept), as Kaggle's files are."""
    order = np.lexsort((y, np.arange(len(y)) - np.searchsorted(y, y)))  # round-robin over classes
    lines = (["label," + ",".join(f"pixel{i}" for i in range(784))] if header else []) + \
        [f"{y[i]}," + ",".join(str(v) for v in x[i]) for i in order]
    text = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text, mtime=0) if path.suffix == ".gz" else text)
    return path


def weights(ds: data.Dataset) -> list[bytes]:
    model = fit(ds, TrainConfig(**QUICK)).model
    return [a.tobytes() for a in model.W + model.b]


@pytest.fixture(scope="module")
def shapes() -> dict[str, np.ndarray]:
    return synthetic_shapes()


@pytest.fixture(scope="module")
def layouts(shapes: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> dict[str, data.Dataset]:
    """The same synthetic set read from each kind of layout (no test split: the hold-out)."""
    tmp = tmp_path_factory.mktemp("layouts")
    found = {
        "images": data.load(write_image_folders(tmp / "shapes", shapes), tmp),
        "npy": data.load(write_npy(tmp / "npy" / "shapes", shapes), tmp),
        "npz": data.load(write_npz(tmp / "shapes.npz", shapes), tmp),
    }
    ref = found["images"]
    x = np.rint(np.concatenate([ref.x_train, ref.x_test]) * 255).astype(np.uint8)
    y = np.concatenate([ref.y_train, ref.y_test])
    order = np.argsort(y, kind="stable")   # back in each class's own order
    held = np.concatenate([np.zeros(len(ref.y_train), bool), np.ones(len(ref.y_test), bool)])[order]
    x, y = x[order], y[order]
    # the source order within each class: training and held-out images merged back by position
    per_class = []
    for c in range(len(CLASSES)):
        rows = np.flatnonzero(y == c)
        mask = data.holdout_mask(np.repeat(np.arange(len(CLASSES)), PER_CLASS), len(CLASSES))
        within = mask[c * PER_CLASS:(c + 1) * PER_CLASS]
        merged = np.empty((PER_CLASS, 784), np.uint8)
        merged[~within] = x[rows][~held[rows]]
        merged[within] = x[rows][held[rows]]
        per_class.append(merged)
    found["csv"] = data.load(write_csv(tmp / "shapes_train.csv.gz", np.concatenate(per_class),
                                       np.repeat(np.arange(len(CLASSES)), PER_CLASS)), tmp)
    return found


def test_every_layout_gives_the_same_arrays_and_fingerprint(layouts: dict[str, data.Dataset]) -> None:
    ref = layouts["images"]
    assert ref.classes == CLASSES and ref.name == "shapes" and ref.source == "image folder shapes"
    assert (len(ref.y_train), len(ref.y_test)) == (43, 5)   # 10 % of 48 held out, stratified
    assert np.bincount(ref.y_test).tolist() == [2, 1, 1, 1]
    assert ref.split == "holdout" and ref.converted and ref.skipped == 3
    assert 0 < ref.inverted < len(CLASSES) * PER_CLASS   # the light-background drawings
    for kind, ds in layouts.items():
        for key in ("x_train", "y_train", "x_test", "y_test"):
            np.testing.assert_array_equal(getattr(ds, key), getattr(ref, key), err_msg=f"{kind} {key}")
        assert ds.fingerprint == ref.fingerprint, kind
        assert ds.kind == kind and ds.split == "holdout"
    assert layouts["npy"].classes == layouts["npz"].classes == CLASSES   # file names, class_names
    assert layouts["csv"].classes == ("0", "1", "2", "3") and layouts["csv"].name == "shapes"
    assert layouts["npy"].inverted == layouts["npz"].inverted == ref.inverted
    assert layouts["csv"].inverted == 0, "converted pixels pass through the conversion unchanged"


def test_every_layout_trains_the_same_weights(layouts: dict[str, data.Dataset]) -> None:
    first = weights(layouts["images"])
    for kind in ("npy", "npz", "csv"):
        assert weights(layouts[kind]) == first, kind
    other = dataclasses.replace(layouts["images"], x_train=layouts["images"].x_train[::-1].copy())
    assert weights(other) != first, "the weights depend on the images (the check can fail)"


def test_train_and_test_pairs_in_every_layout(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    train = {c: b[:9] for c, b in shapes.items()}
    test = {c: b[9:] for c, b in shapes.items()}
    write_image_folders(tmp_path / "f" / "train", train, extra=False)
    write_image_folders(tmp_path / "f" / "test", test, extra=False)
    write_npy(tmp_path / "n" / "train", train)
    write_npy(tmp_path / "n" / "test", test)
    x_test = np.concatenate(list(test.values()))
    y_test = np.repeat(np.arange(4), 3).astype(np.uint8)
    write_npz(tmp_path / "z.npz", train)
    with np.load(tmp_path / "z.npz") as f:
        np.savez(tmp_path / "z.npz", **dict(f), x_test=x_test, y_test=y_test)
    folders = data.load(tmp_path / "f", tmp_path)
    assert folders.split == "given" and len(folders.y_test) == 12 and len(folders.y_train) == 36
    for ds in (data.load(tmp_path / "n", tmp_path), data.load(tmp_path / "z.npz", tmp_path)):
        assert ds.split == "given" and ds.fingerprint == folders.fingerprint
    # the CSV pair: X_train.csv finds X_test.csv beside it
    px = lambda d: np.rint(d * 255).astype(np.uint8)  # noqa: E731
    write_csv(tmp_path / "c" / "s_train.csv", px(folders.x_train), folders.y_train, header=False)
    write_csv(tmp_path / "c" / "s_test.csv", px(folders.x_test), folders.y_test)
    for target in (tmp_path / "c" / "s_train.csv", tmp_path / "c"):
        ds = data.load(target, tmp_path)
        assert ds.split == "given" and ds.fingerprint == folders.fingerprint
        assert ds.source == "CSV s_train.csv and s_test.csv"


# ---------------------------------------------------------------- the conversion


def test_conversion_against_a_numpy_reference() -> None:
    """84×42 colour → luminance (ITU-R 601-2), 3×3 box averages, centred: checked by numpy."""
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 60, (42, 84, 3), dtype=np.uint8)   # dark: not inverted
    rgb[10:30, 20:70] = rng.integers(150, 256, (20, 50, 3), dtype=np.uint8)
    got, inverted = convert.image_to_mnist(Image.fromarray(rgb))
    lum = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    blocks = lum.reshape(14, 3, 28, 3).mean(axis=(1, 3))
    expected = np.zeros((28, 28))
    expected[7:21] = blocks
    assert not inverted and got.shape == (28, 28) and got.dtype == np.uint8
    assert np.abs(got.astype(float) - expected).max() <= 1.0   # Pillow's integer luminance rounds
    light, inv = convert.image_to_mnist(Image.fromarray(255 - rgb))
    assert inv and np.abs(light.astype(int) - got.astype(int)).max() <= 1, "inverted back to ink on black"


def test_a_28x28_grey_image_with_a_dark_border_is_unchanged() -> None:
    x = np.random.default_rng(0).integers(0, 256, (50, 28, 28)).astype(np.uint8)
    x[:, 0, :] = x[:, -1, :] = x[:, :, 0] = x[:, :, -1] = 3
    out, inverted = convert.batch_to_mnist(x)
    assert inverted == 0 and np.array_equal(out, x.reshape(50, 784))
    one, light = convert.image_to_mnist(Image.fromarray(x[0]))
    assert not light and np.array_equal(one.reshape(-1), out[0])
    x[7, 0, :] = 255   # a light border: mean above half
    x[7, -1, :] = x[7, :, 0] = x[7, :, -1] = 250
    out, inverted = convert.batch_to_mnist(x)
    assert inverted == 1 and np.array_equal(out[7], 255 - x[7].reshape(-1))


def test_transparency_counts_as_white_and_small_images_grow() -> None:
    rgba = np.zeros((14, 7, 4), np.uint8)   # transparent everywhere but a black bar
    rgba[3:11, 2:5] = (0, 0, 0, 255)
    out, inverted = convert.image_to_mnist(Image.fromarray(rgba))
    assert inverted, "transparent pixels are white: a light border"
    cols = np.flatnonzero(out.max(axis=0))
    assert out.max() == 255 and len(cols) == 6 and cols[0] == 11   # 7 → 14 columns, centred at 7


# ---------------------------------------------------------------- bad input


def one_line_failure(tmp: Path, target: Path, *more: str) -> str:
    out = tmp / "build"
    result = CliRunner().invoke(main, ["train", "--quick", "--quiet", "--data", str(target),
                                       "--out", str(out), *more])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert not out.exists() or not any(out.iterdir()), "nothing written"
    return lines[0]


def test_unreadable_and_truncated_images(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    root = write_image_folders(tmp_path / "s", shapes)
    bad = root / "square" / "005.png"
    bad.write_bytes(bad.read_bytes()[:60])
    assert f"{bad}: unreadable or truncated image" in one_line_failure(tmp_path, root)
    bad.write_bytes(b"not an image at all")
    assert f"{bad}: not a readable PNG or JPEG image" in one_line_failure(tmp_path, root)


def test_a_folder_with_no_images(tmp_path: Path) -> None:
    (tmp_path / "d" / "cat").mkdir(parents=True)
    (tmp_path / "d" / "cat" / "notes.txt").write_text("no images")
    assert "no PNG or JPEG images" in one_line_failure(tmp_path, tmp_path / "d")
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "README").write_text("empty")
    assert "no IDX files, .npy files, CSV files or class folders" in one_line_failure(tmp_path, tmp_path / "e")


def test_mixed_shapes_in_an_array(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    root = write_npy(tmp_path / "n", shapes)
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = np.zeros((28, 28), np.uint8), np.zeros((20, 20), np.uint8)
    np.save(root / "square.npy", ragged, allow_pickle=True)
    line = one_line_failure(tmp_path, root)
    assert f"{root / 'square.npy'}: holds Python objects (images of mixed shapes?)" in line
    np.save(root / "square.npy", np.zeros((5, 783), np.uint8))
    assert "images of shape (5, 783); expected N×784" in one_line_failure(tmp_path, root)


@pytest.mark.parametrize("case, message", [
    ("columns", "line 3: 784 columns; expected 785 (a label and 784 pixels)"),
    ("label", "line 4, column 1: label 'cat' is not an integer"),
    ("pixel", "line 2, column 10: pixel 300 is outside 0–255"),
])
def test_bad_csv_rows_name_their_line(tmp_path: Path, case: str, message: str) -> None:
    rows = [",".join(["label"] + [f"p{i}" for i in range(784)])]
    rows += [",".join([str(k % 3)] + ["0"] * 784) for k in range(30)]
    if case == "columns":
        rows[2] = rows[2].rsplit(",", 1)[0]
    elif case == "label":
        rows[3] = "cat" + rows[3][1:]
    else:
        cells = rows[1].split(",")
        cells[9] = "300"
        rows[1] = ",".join(cells)
    path = tmp_path / "digits.csv"
    path.write_text("\n".join(rows) + "\n")
    assert one_line_failure(tmp_path, path) == f"Error: {path}: {message}"


def test_labels_that_are_not_integers(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    path = write_npz(tmp_path / "s.npz", shapes, names=False)
    with np.load(path) as f:
        np.savez(path, x_train=f["x_train"], y_train=f["y_train"].astype(np.float64))
    assert f"{path}: y_train: labels are float64; expected integers" in one_line_failure(tmp_path, path)


def test_a_class_with_fewer_than_two_images(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    root = write_image_folders(tmp_path / "s", shapes)
    for p in sorted((root / "cross").glob("*.png"))[1:]:
        p.unlink()
    line = one_line_failure(tmp_path, root)
    assert f"class 'cross' ({root / 'cross'}) has 1 image; expected at least 2" in line


def test_more_than_ten_classes_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, (33, 784)).astype(np.uint8)
    path = write_csv(tmp_path / "many.csv", x, np.arange(33) % 11)
    line = one_line_failure(tmp_path, path)
    assert "11 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10); the page shows at most 10" in line


def test_npz_without_its_arrays_and_a_bad_format_flag(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, images=np.zeros((3, 784), np.uint8))
    assert "holds images; expected x_train and y_train" in one_line_failure(tmp_path, path)
    root = write_image_folders(tmp_path / "s", shapes)
    assert "not a file; --format npz reads one .npz file" in one_line_failure(tmp_path, root, "--format", "npz")
    assert "train-images-idx3-ubyte: file not found" in one_line_failure(tmp_path, root, "--format", "idx")


def test_classes_flag_names_every_class(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    root = write_image_folders(tmp_path / "s", shapes)
    line = one_line_failure(tmp_path, root, "--classes", "a,b,c")
    assert line == "Error: --classes: 3 names for the 4 classes of s (circle, cross, square, triangle)"


def test_broken_gzip_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 broken")
    assert f"{path}: corrupt gzip data" in one_line_failure(tmp_path, path)


def test_format_flag_and_names(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    root = write_image_folders(tmp_path / "Shapes", shapes)
    assert data.detect(root) == "images" and data.short_name(root) == "Shapes"
    assert data.short_name(tmp_path / "fashion-mnist_train.csv.gz") == "fashion-mnist"
    with pytest.raises(BuildError, match="one .npy file; expected the folder"):
        data.detect(write_npy(tmp_path / "n", shapes) / "cross.npy")
    ds = data.load(root, tmp_path, fmt="images")
    assert ds.name == "Shapes" and ds.classes == CLASSES


def test_jpeg_palette_and_16_bit_images_are_read_like_png(shapes: dict[str, np.ndarray], tmp_path: Path) -> None:
    """The same drawings as JPEG (lossy: close, not equal), as palette PNG and 16-bit grey PNG."""
    png = data.load(write_image_folders(tmp_path / "png", shapes, extra=False), tmp_path)
    for c, batch in shapes.items():
        (tmp_path / "jpg" / c).mkdir(parents=True)
        for i, a in enumerate(batch):
            Image.fromarray(a).save(tmp_path / "jpg" / c / f"{i:03d}.JPG", quality=95)
    jpg = data.load(tmp_path / "jpg", tmp_path)
    assert jpg.classes == png.classes and np.array_equal(jpg.y_train, png.y_train)
    assert np.abs(jpg.x_train - png.x_train).mean() < 0.02 and jpg.inverted == png.inverted
    grey = np.asarray(Image.fromarray(shapes["circle"][0]).convert("L"))
    Image.fromarray(grey).convert("P").save(tmp_path / "p.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "i16.png")
    expected, _ = convert.image_to_mnist(Image.fromarray(grey))
    from builder.data.images import read_image
    for name in ("p.png", "i16.png"):
        got, _ = read_image(tmp_path / name)
        assert np.array_equal(got, expected.reshape(-1)), name


@pytest.mark.parametrize("given", ["shapes", "Fashion-MNIST", "mnist_train.csv", "fashion-mnist_train.csv.gz",
                                   "digits.npz", "a.train.csv", "doodles"])
def test_the_makefile_names_a_build_as_aedemo_does(tmp_path: Path, given: str) -> None:
    """`make site DATA=PATH` trains into build/NAME: the Makefile's NAME is the CLI's name."""
    import shutil
    import subprocess

    from conftest import ROOT

    from builder.cli import build_folder

    if shutil.which("make") is None:
        pytest.skip("no make")
    probe = tmp_path / "probe.mk"
    probe.write_text(f"include {ROOT / 'Makefile'}\nprobe-name:\n\t@echo $(NAME)\n")
    path = tmp_path / "data" / given
    made = subprocess.run(["make", "-s", "--no-print-directory", "-f", str(probe), "probe-name", f"DATA={path}"],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert Path("build") / made == build_folder(None, None, path)
