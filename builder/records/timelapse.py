"""The time-lapse's records: `timelapse.json` (`Timelapse`: the twin's scores beside the
pretrained net's), `timelapse.npz` (`read_twin`: the twin's codes and net, the checkpoints'
ONNX decoders) and the committed seed spread of `make bench` (`bench_spread`,
`bench/pretraining.json`)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.model.autoencoder import Autoencoder
from builder.records.files import BuildError, parse_json, read_npz
from builder.records.metrics import Metrics

FORMAT = 1


@dataclass(frozen=True)
class Scores:
    """One net's figures on the test split."""

    test_mse: float
    knn5: float
    dead_units: tuple[float, ...]  # share of never-firing ReLUs per encoder hidden layer
    dead_share: float  # of all encoder hidden ReLUs
    best_epoch: int  # 1-based, kept by validation MSE
    epochs: int


@dataclass(frozen=True)
class Timelapse:
    """`timelapse.json`: the typed contract; `read` is its one validating reader."""

    pretrained: Scores
    twin: Scores
    checkpoints: tuple[str, ...]  # the moment of each checkpoint, as History.label says it
    max_abs_diff: float  # the largest onnxruntime − numpy difference over every decoder here

    def to_json(self) -> dict:
        return {"format": FORMAT, **json.loads(json.dumps(dataclasses.asdict(self)))}

    @classmethod
    def read(cls, data: bytes, where: object) -> "Timelapse":
        try:
            obj = parse_json(data, str(where))
            if not isinstance(obj, dict) or obj.get("format") != FORMAT:
                raise ValueError(f"expected format {FORMAT}")
            scores = [Scores(float(s["test_mse"]), float(s["knn5"]),
                             tuple(float(d) for d in s["dead_units"]), float(s["dead_share"]),
                             int(s["best_epoch"]), int(s["epochs"]))
                      for s in (obj["pretrained"], obj["twin"])]
            for s in scores:   # in range: the page divides by the MSE and shows the shares
                if not (0 < s.test_mse < 1e6 and 0 <= s.knn5 <= 1 and 0 <= s.dead_share <= 1
                        and all(0 <= d <= 1 for d in s.dead_units) and 1 <= s.best_epoch <= s.epochs <= 10**6):
                    raise ValueError("a score out of range (an MSE above 0, shares in [0, 1], "
                                     "1 ≤ best_epoch ≤ epochs)")
            diff = float(obj["max_abs_diff"])
            if not 0 <= diff < 1e6:
                raise ValueError("max_abs_diff out of range")
            return cls(*scores, tuple(str(c) for c in obj["checkpoints"]), diff)
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise BuildError(f"{where}: not an aedemo time-lapse ({e}): run `aedemo timelapse`") from None


BENCH_RECORD = Path(__file__).resolve().parents[2] / "bench" / "pretraining.json"  # committed


def bench_spread(metrics: Metrics, path: Path = BENCH_RECORD) -> dict | None:
    """The seed spread `make bench` measured for this data set and config (a committed
    `bench/pretraining.json`, written by the bench as build/pretraining.json), in the form
    `story.pretraining_sentence` takes; None when there is none or it is of other data or
    another config (the seed aside). BuildError naming the file when it is malformed."""
    if not path.is_file():
        return None
    try:
        rec = parse_json(path.read_bytes(), str(path))
        if not isinstance(rec, dict) or rec.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT}")
        same = (rec["data"] == {"name": metrics.data.name, "source": metrics.data.source}
                and rec["config"] == {k: v for k, v in metrics.config.items() if k != "seed"})
        if not same:
            return None
        return {"n": int(rec["seeds"]), "date": str(rec["date"]),
                "pretrained": {k: float(rec["pretrained"][k]) for k in ("mse_sd", "knn5_sd")},
                "random": {k: float(rec["random"][k]) for k in ("mse_sd", "knn5_sd")},
                "difference": {k: float(rec["difference"][k]) for k in ("test_mse", "knn5")}}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise BuildError(f"{path}: not a bench record of pretraining ({e}); run make bench again") from None


def read_twin(data: bytes, where: object) -> tuple[np.ndarray, Autoencoder, dict[str, bytes]]:
    """`timelapse.npz` → twin codes (n_test, 2), the twin net, the ONNX decoders by name
    (`checkpoint0`…, `twin_decoder`); BuildError naming `where`."""
    try:
        with read_npz(data, str(where)) as f:
            names = set(f.files)
            n = sum(1 for k in names if k.startswith("twin_W"))
            output = str(f["twin_output"])
            twin = Autoencoder([np.asarray(f[f"twin_W{i}"]) for i in range(n)],
                               [np.asarray(f[f"twin_b{i}"]) for i in range(n)], output)
            models = {k: np.asarray(f[k]).tobytes() for k in sorted(names)
                      if k.startswith("checkpoint") or k == "twin_decoder"}
            u = np.asarray(f["twin_u"])
        if u.ndim != 2 or u.shape[1] != 2 or "twin_decoder" not in models:
            raise ValueError("twin_u must be (n, 2), with a twin_decoder")
        return u, twin, models
    except (KeyError, ValueError, TypeError, OSError, EOFError) as e:
        raise BuildError(f"{where}: not an aedemo time-lapse ({e}): run `aedemo timelapse`") from None
