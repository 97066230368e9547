"""The training time-lapse: what the real training run passed through, recorded as it ran.

`Recorder` is the `training.Observer` that `stages.train.train` runs; `History` is the
typed contract of the file it leaves, `history.npz` (a training output, `layout.HISTORY`),
with its one validating reader `History.read`. Reads and writes no other file.

Moments, in training order:
  - `rbm` 1…R: after each epoch of the top RBM, the first time a 2-D code exists (the
    code through the stack as it stands; no decoder yet, so no MSE);
  - `unrolled` 0: the unrolled net before fine-tuning;
  - `finetune` 1…E: after each fine-tuning epoch;
  - `kept` k: the epoch kept (lowest validation MSE), the model the page shows.

Per moment: the display coordinates `u = symlog(code)` of the recorded test images
(all of them, at most `MAX_RECORDED`, a fixed subset beyond) quantised to uint16 over
the moment's bounding box (step `(hi − lo) / 65535`), the test MSE over every test image
(NaN for `rbm` moments) and kNN-5 of the recorded test codes against every training
image's code. Checkpoints: the full net's weights at the unrolled moment, at
`CHECKPOINT_EPOCHS` log-spaced fine-tuning epochs and at the kept epoch (the page
decodes with them; `export` turns them into ONNX).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from builder.model.autoencoder import Autoencoder, symlog
from builder.model.evaluation import knn_accuracy
from builder.records.arrays import read_npz
from builder.records.files import BuildError, npz_bytes, parse_json

F32 = np.float32
LEVELS = 65535  # uint16 quantisation steps over a moment's bounding box
MAX_RECORDED = 2000  # test images whose codes are recorded (a fixed subset beyond)
CHECKPOINT_EPOCHS = 3  # log-spaced fine-tuning epochs kept as checkpoints, beside unrolled and kept
PHASES = ("rbm", "unrolled", "finetune", "kept")
FORMAT = 1


def recorded_rows(n_test: int, limit: int = MAX_RECORDED) -> np.ndarray:
    """Rows of the test split whose codes are recorded: all, or a fixed sorted subset."""
    if n_test <= limit:
        return np.arange(n_test)
    return np.sort(np.random.default_rng(0).choice(n_test, limit, replace=False))


def checkpoint_epochs(epochs: int, n: int = CHECKPOINT_EPOCHS) -> list[int]:
    """1-based fine-tuning epochs, log-spaced from 1, kept besides unrolled and kept:
    1, 5, 22 of 100; 1, 2 of 3."""
    picks = np.rint(np.geomspace(1, max(epochs, 1), n + 1)[:-1]).astype(int)
    return sorted({int(e) for e in picks if 1 <= e <= epochs})


def quantise(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, 2) display coordinates → uint16 (n, 2), lo (2,), hi (2,) float32; the step is
    (hi − lo) / LEVELS and `dequantise` is within half a step (plus float32 rounding)."""
    u = np.asarray(u, np.float64)
    lo = u.min(axis=0).astype(F32).astype(np.float64)
    hi = np.maximum(u.max(axis=0).astype(F32).astype(np.float64), lo + 1e-6)
    q = np.rint(np.clip((u - lo) / (hi - lo), 0, 1) * LEVELS).astype(np.uint16)
    return q, lo.astype(F32), hi.astype(F32)


def dequantise(q: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The inverse of `quantise`, as the page computes it: (n, 2) float64."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    return lo + q.astype(np.float64) / LEVELS * (hi - lo)


@dataclass(frozen=True)
class History:
    """`history.npz`. m moments, n recorded test images, k checkpoints."""

    phase: np.ndarray  # uint8 (m,): index into PHASES
    epoch: np.ndarray  # int32 (m,): 1-based within the phase; 0 for unrolled
    q: np.ndarray  # uint16 (m, n, 2): quantised display coordinates
    lo: np.ndarray  # float32 (m, 2)
    hi: np.ndarray  # float32 (m, 2)
    mse: np.ndarray  # float64 (m,): test MSE; NaN before unrolling
    knn5: np.ndarray  # float64 (m,): kNN-5 of the recorded test codes
    rows: np.ndarray  # int64 (n,): rows of the test split recorded
    checkpoint: np.ndarray  # int32 (k,): the moment of each checkpoint
    weights: tuple[Autoencoder, ...]  # (k,) the net at each checkpoint
    output: str  # the decoder's output units

    def __post_init__(self) -> None:
        m = len(self.phase)
        ok = (self.epoch.shape == (m,) and self.q.ndim == 3 and self.q.shape[0] == m
              and self.q.shape[2] == 2 and self.lo.shape == (m, 2) and self.hi.shape == (m, 2)
              and self.mse.shape == (m,) and self.knn5.shape == (m,)
              and self.rows.shape == (self.q.shape[1],) and len(self.checkpoint) == len(self.weights)
              and m > 0 and int(self.phase.max(initial=0)) < len(PHASES)
              and all(0 <= c < m for c in self.checkpoint.tolist()))
        if not ok:
            raise ValueError("inconsistent shapes")

    def codes(self, moment: int) -> np.ndarray:
        """(n, 2) float64 display coordinates of the recorded test images at `moment`."""
        return dequantise(self.q[moment], self.lo[moment], self.hi[moment])

    def step(self, moment: int) -> np.ndarray:
        """(2,) the quantisation step of `moment`."""
        return (self.hi[moment].astype(np.float64) - self.lo[moment]) / LEVELS

    def label(self, moment: int) -> str:
        """'top RBM epoch 3', 'unrolled', 'fine-tuning epoch 12', 'kept: epoch 92'."""
        phase, e = PHASES[int(self.phase[moment])], int(self.epoch[moment])
        return {"rbm": f"top RBM epoch {e}", "unrolled": "unrolled",
                "finetune": f"fine-tuning epoch {e}", "kept": f"kept: epoch {e}"}[phase]

    def moment_of(self, phase: str, epoch: int) -> int:
        hits = np.flatnonzero((self.phase == PHASES.index(phase)) & (self.epoch == epoch))
        if not len(hits):
            raise KeyError(f"{phase} {epoch}")
        return int(hits[0])

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {
            "phase": self.phase.astype(np.uint8), "epoch": self.epoch.astype(np.int32),
            "q": self.q.astype(np.uint16), "lo": self.lo.astype(F32), "hi": self.hi.astype(F32),
            "mse": self.mse.astype(np.float64), "knn5": self.knn5.astype(np.float64),
            "rows": self.rows.astype(np.int64), "checkpoint": self.checkpoint.astype(np.int32),
            "meta": np.array(json.dumps({"format": FORMAT, "output": self.output,
                                         "layers": [len(w.W) for w in self.weights]})),
        }
        for j, model in enumerate(self.weights):
            for i, (W, b) in enumerate(zip(model.W, model.b)):
                arrays[f"c{j}_W{i}"], arrays[f"c{j}_b{i}"] = W.astype(F32), b.astype(F32)
        return npz_bytes(arrays)

    @classmethod
    def read(cls, data: bytes, where: str) -> "History":
        """The one validating reader; `BuildError` naming `where` and what to rerun."""
        bad = lambda why: BuildError(f"{where}: not an aedemo training history ({why}): run `aedemo train`")  # noqa: E731
        meta = parse_json(str(read_npz(data, where, ("meta",))["meta"]).encode(), f"{where}: meta")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("layers"), list) \
                or not all(isinstance(n, int) and 0 < n <= 16 for n in meta["layers"]) or len(meta["layers"]) > 64:
            raise bad(f"expected format {FORMAT} with the checkpoints' layer counts")
        names = ("phase", "epoch", "q", "lo", "hi", "mse", "knn5", "rows", "checkpoint")
        weight_names = tuple(f"c{j}_{p}{i}" for j, n in enumerate(meta["layers"]) for i in range(n) for p in "Wb")
        f = read_npz(data, where, names + weight_names)
        try:
            output = str(meta["output"])
            weights = tuple(Autoencoder([f[f"c{j}_W{i}"] for i in range(n)], [f[f"c{j}_b{i}"] for i in range(n)], output)
                            for j, n in enumerate(meta["layers"]))
            return cls(*(f[k] for k in names), weights, output)
        except (KeyError, ValueError, TypeError, IndexError) as e:
            raise bad(e) from None


class Recorder:
    """The observer `stages.train.train` runs: records the test codes at every moment and
    copies the checkpoints. `x_train (N, 784)`, `y_train (N,)`: every training image
    (the kNN-5 references); `x_test (M, 784)`, `y_test (M,)`: the test split."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                 y_test: np.ndarray, epochs: int, inner: object | None = None) -> None:
        self.x_train, self.y_train = x_train, y_train
        self.rows = recorded_rows(len(x_test))
        self.x_test, self.y_test = x_test[self.rows], y_test[self.rows]
        self.wanted = set(checkpoint_epochs(epochs))
        self.inner = inner  # another observer, called after this one
        self.moments: list[tuple[int, int, np.ndarray, float]] = []  # phase, epoch, u, kNN-5
        self.copies: dict[int, Autoencoder] = {}  # moment → checkpoint

    def _add(self, phase: str, epoch: int, encode: Callable[[np.ndarray], np.ndarray]) -> None:
        z_test = encode(self.x_test)
        knn = knn_accuracy(encode(self.x_train), self.y_train, z_test, self.y_test)
        self.moments.append((PHASES.index(phase), epoch, symlog(z_test), knn))

    def top_rbm_epoch(self, epoch: int, encode: Callable[[np.ndarray], np.ndarray]) -> None:
        self._add("rbm", epoch + 1, encode)
        if self.inner is not None:
            self.inner.top_rbm_epoch(epoch, encode)

    def unrolled(self, model: Autoencoder) -> None:
        self.copies[len(self.moments)] = model.copy()
        self._add("unrolled", 0, model.encode)
        if self.inner is not None:
            self.inner.unrolled(model)

    def finetune_epoch(self, epoch: int, model: Autoencoder) -> None:
        if epoch + 1 in self.wanted:
            self.copies[len(self.moments)] = model.copy()
        self._add("finetune", epoch + 1, model.encode)
        if self.inner is not None:
            self.inner.finetune_epoch(epoch, model)

    def history(self, kept: Autoencoder, best_epoch: int, test_mse: list[float],
                kept_mse: float, mse_of: Callable[[Autoencoder], float]) -> History:
        """The record, once training is done: `kept` the model kept at `best_epoch`
        (1-based) with test MSE `kept_mse`, `test_mse` the fine-tuning curve, `mse_of`
        the test MSE of a net (for the unrolled one)."""
        unrolled = next(i for i, (p, _, _, _) in enumerate(self.moments) if p == PHASES.index("unrolled"))
        unrolled_mse = mse_of(self.copies[unrolled])
        kept_moment = next(i for i, (p, e, _, _) in enumerate(self.moments)
                           if p == PHASES.index("finetune") and e == best_epoch)
        # `kept` is the net of that epoch (fine-tuning kept a copy of it): the same codes
        self.moments.append((PHASES.index("kept"), best_epoch, *self.moments[kept_moment][2:]))
        copies = {**self.copies, kept_moment: kept}
        phase = np.array([p for p, _, _, _ in self.moments], np.uint8)
        epoch = np.array([e for _, e, _, _ in self.moments], np.int32)
        mse = np.full(len(phase), math.nan)
        mse[phase == PHASES.index("unrolled")] = unrolled_mse
        ft = np.flatnonzero(phase == PHASES.index("finetune"))
        mse[ft] = np.asarray(test_mse, np.float64)[epoch[ft] - 1]
        mse[phase == PHASES.index("kept")] = kept_mse
        qs, los, his = zip(*(quantise(u) for _, _, u, _ in self.moments))
        order = sorted(copies)
        return History(phase, epoch, np.stack(qs), np.stack(los), np.stack(his), mse,
                       np.array([k for _, _, _, k in self.moments], np.float64), self.rows,
                       np.array(order, np.int32), tuple(copies[m] for m in order),
                       kept.output)
