"""The decoder page's time-lapse section: read from the timelapse stage's records, shipped
as lazily loaded data files (`config.lazy`; `templates/decoder/lazy.js` loads them when the
section opens), and described in the section's text (`templates/timelapse/`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import jinja2
import numpy as np

from builder.records.folder import BuildFolder
from builder.records.timelapse import Scores, Timelapse, pretrained_scores
from builder.site.assets import data_file, model_file
from builder.site.payloads import timelapse_payload
from builder.site.story import pretraining_sentence


@dataclass(frozen=True)
class TimelapseSection:
    payload: dict  # payloads.timelapse_payload
    models: dict[str, bytes]  # the ONNX decoders it loads: checkpoint{j}, twin_decoder
    record: Timelapse
    pretrained: Scores  # the page's own net's, from metrics.json
    rows: np.ndarray  # the recorded rows of the test split
    sentence: str  # "With and without pretraining", from the numbers


def read_timelapse(folder: BuildFolder, u_test: np.ndarray, y_test: np.ndarray) -> TimelapseSection:
    """The time-lapse's parts, from `history.npz`, `timelapse.npz` and `timelapse.json`."""
    h, record = folder.history(), folder.timelapse()
    payload, models = timelapse_payload(h, folder.twin(), u_test, y_test, folder.where("timelapse.npz"))
    pre = pretrained_scores(folder.metrics())
    spread = None if record.spread is None else dataclasses.asdict(record.spread)
    return TimelapseSection(payload, models, record, pre, h.rows, pretraining_sentence(pre, record.twin, spread))


def timelapse_files(env: jinja2.Environment, out: dict[str, bytes], shared: dict, t: TimelapseSection,
                    up: str) -> dict:
    """The time-lapse's lazily loaded data files (one per value) and what the page says of
    them: their URLs (relative to the page), the lazy scripts, their bytes, the scores."""
    data = {"timelapse": data_file(env, out, "timelapse", t.payload,
                                   "the training time-lapse: test codes per moment (uint16, base64)")}
    for key, model in t.models.items():
        name = "twin" if key == "twin_decoder" else key
        data[name] = model_file(env, out, name, model, f"{key} of timelapse.npz")
    scripts = [up + s for s in shared["lazy"]["timelapse"]]
    size = sum(len(out[v]) for v in data.values()) + sum(len(out[s]) for s in shared["lazy"]["timelapse"])
    score = lambda s: {"mse": f"{s.test_mse:.4f}", "knn5": f"{100 * s.knn5:.1f} %",  # noqa: E731
                       "dead": f"{100 * s.dead_share:.1f} %", "best": s.best_epoch, "epochs": s.epochs}
    p = t.payload
    return {"data": {k: up + v for k, v in data.items()}, "scripts": scripts, "bytes": size,
            "files": len(data) + len(scripts), "mb": f"{size / 1e6:.1f} MB",
            "n": p["n"], "n_test": p["nTest"], "moments": p["m"],
            "checkpoints": [p["moments"][c["moment"]]["label"] for c in p["checkpoints"]],
            "rbm_epochs": sum(m["phase"] == "rbm" for m in p["moments"]),
            "finetune_epochs": sum(m["phase"] == "finetune" for m in p["moments"]),
            "kept_epoch": p["moments"][-1]["epoch"],
            "pretrained": score(t.pretrained), "twin": score(t.record.twin), "sentence": t.sentence}
