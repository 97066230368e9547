"""A folder of class folders of PNG or JPEG images (the ImageFolder layout):
`cats/cat/001.png`, `cats/dog/…`, or `cats/train/<class>/…` beside `cats/test/<class>/…`.

Class names are the folder names in sorted order; within a class the images are read in
the sorted order of their paths (sub-folders included). Each image is made 28×28 grey by
`convert` (stated there). Hidden files and folders (`.DS_Store`, `._x.png`) and files that
are not `.png`, `.jpg` or `.jpeg` (`Thumbs.db`, `README`) are skipped and counted; an
image that cannot be read is one `BuildError` line naming it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from builder.data.convert import image_to_mnist
from builder.data.dataset import Parsed
from builder.records.files import BuildError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_PIXELS = 1 << 24  # pixels of one image (4096 × 4096) above which it is refused
SPLIT_FOLDERS = ("train", "test")


def is_hidden(name: str) -> bool:
    return name.startswith(".")


def listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as e:
        raise BuildError(f"{folder}: cannot list ({e.strerror or e})") from None


def split_folders(folder: Path) -> dict[str, Path] | None:
    """`{"train": folder/train, "test": folder/test}` when both are there, else None; other
    folders beside them are refused (one line)."""
    dirs = [p for p in listing(folder) if p.is_dir() and not is_hidden(p.name)]
    names = {p.name for p in dirs}
    if not set(SPLIT_FOLDERS) <= names:
        return None
    others = sorted(names - set(SPLIT_FOLDERS))
    if others:
        raise BuildError(f"{folder}: folders {', '.join(others)} beside train/ and test/; expected "
                         "only train/ and test/ (each of class folders), or only class folders")
    return {s: folder / s for s in SPLIT_FOLDERS}


def class_folders(folder: Path) -> tuple[list[Path], list[Path]]:
    """The class folders of `folder` in sorted order, and the other entries (skipped)."""
    entries = listing(folder)
    dirs = [p for p in entries if p.is_dir() and not is_hidden(p.name)]
    return dirs, [p for p in entries if p not in dirs]


def image_files(class_dir: Path) -> tuple[list[Path], list[Path]]:
    """The images under `class_dir` (sub-folders too) in sorted path order, and the files skipped."""
    images, skipped = [], []
    for path in sorted((p for p in class_dir.rglob("*") if p.is_file()),
                       key=lambda p: p.relative_to(class_dir).parts):
        rel = path.relative_to(class_dir).parts
        if any(is_hidden(part) for part in rel) or path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(path)
        else:
            images.append(path)
    return images, skipped


def read_image(path: Path) -> tuple[np.ndarray, bool]:
    """One PNG or JPEG file → uint8 `(784,)` and whether it was inverted."""
    try:
        with Image.open(path, formats=("PNG", "JPEG")) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise BuildError(f"{path}: image of {w}×{h} pixels; expected at most {MAX_PIXELS:,} pixels")
            img.load()
            pixels, light = image_to_mnist(img)
    except BuildError:
        raise
    except UnidentifiedImageError:
        raise BuildError(f"{path}: not a readable PNG or JPEG image") from None
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise BuildError(f"{path}: unreadable or truncated image ({e})") from None
    return pixels.reshape(-1), light


def read_split(folder: Path, known: tuple[str, ...] | None = None
               ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], int, int, dict[int, str]]:
    """The class folders of one split → pixels uint8 `(n, 784)`, labels, class names,
    inverted and skipped counts, each class's folder. `known`: the train split's classes
    (a test class outside them is refused)."""
    dirs, loose = class_folders(folder)
    names = tuple(d.name for d in dirs) if known is None else known
    if not dirs:
        raise BuildError(f"{folder}: no class folders; expected a folder of class folders of "
                         "PNG or JPEG images (cat/001.png, dog/001.png, …)")
    rows, labels, inverted, skipped, places = [], [], 0, len(loose), {}
    for d in dirs:
        if d.name not in names:
            raise BuildError(f"{d}: class {d.name!r} is not among the training classes ({', '.join(names)})")
        label = names.index(d.name)
        places[label] = str(d)
        files, other = image_files(d)
        skipped += len(other)
        for path in files:
            pixels, light = read_image(path)
            rows.append(pixels)
            inverted += light
        labels += [label] * len(files)
    if not rows:
        raise BuildError(f"{folder}: no PNG or JPEG images in its class folders")
    return np.stack(rows), np.array(labels, dtype=np.int64), names, inverted, skipped, places


def source_files(folder: Path) -> list[Path]:
    """Every file the reader looks at (images and skipped), for the parse cache's key."""
    pair = split_folders(folder)
    roots = list((pair or {"": folder}).values())
    found = class_folders(folder)[1] if pair else []
    for root in roots:
        dirs, loose = class_folders(root)
        found += loose
        for d in dirs:
            images, other = image_files(d)
            found += images + other
    return found


def load_images(folder: Path) -> Parsed:
    short = folder.resolve().name
    pair = split_folders(folder)
    if pair is None:
        x, y, names, inverted, skipped, places = read_split(folder)
        test = None
    else:
        x, y, names, inverted, skipped, places = read_split(pair["train"])
        xt, yt, _, inv_t, skip_t, _ = read_split(pair["test"], names)
        loose = len(class_folders(folder)[1])  # README beside train/ and test/
        test, inverted, skipped = (xt, yt), inverted + inv_t, skipped + skip_t + loose
    return Parsed(x, y, test, short, f"image folder {short}", "images", names, str(folder),
                  inverted=inverted, skipped=skipped, class_places=places)
