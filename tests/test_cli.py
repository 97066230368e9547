"""The command line: thin commands over the stages, one-line errors, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from click.testing import CliRunner
from conftest import NODE_MODULES

from builder.cli import main


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_option_has_help() -> None:
    for command in main.commands.values():
        for param in command.params:
            if param.name != "help" and not isinstance(param, click.Argument):
                assert param.help, f"{command.name} {param.name} has no help text"


def test_train_quick_writes_the_build_folder(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = run("train", "--quick", "--quiet", "--seed", "5", "--epochs", "2",
                 "--node-modules", str(NODE_MODULES), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "test MSE" in result.output and "PCA-2" in result.output and "kNN-5" in result.output
    assert {p.name for p in out.iterdir()} == {"weights.npz", "metrics.json", "points.npz", "digits.npz", "history.npz",
                                             "data.npz", "manifest.json", ".aedemo.lock"}
    assert (out / ".aedemo.lock").stat().st_size == 0   # the writers' lock: an empty file
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["seed"] == 5 and metrics["config"]["epochs"] == 2
    assert len(metrics["finetune"]["val_mse"]) == 2
    assert f"{metrics['test_mse']:.4f}" in result.output


def test_bad_data_flag_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = CliRunner().invoke(main, ["train", "--quick", "--data", str(tmp_path / "missing"),
                                       "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--data" in lines[0] and "not found; expected a folder" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_idx_error_keeps_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    (out / "weights.npz").write_bytes(b"previous")
    folder = tmp_path / "idx"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"\x00\x00\x08\x01" + (0).to_bytes(4, "big"))
    result = CliRunner().invoke(main, ["train", "--data", str(folder), "--out", str(out)])
    assert result.exit_code == 1
    assert "train-images-idx3-ubyte" in result.output and "dimensions" in result.output
    assert (out / "weights.npz").read_bytes() == b"previous"


def test_bad_choice_is_refused() -> None:
    result = CliRunner().invoke(main, ["train", "--output", "tanh"])
    assert result.exit_code == 2 and "--output" in result.output


def test_no_pretrain_flag(tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = run("train", "--quick", "--quiet", "--no-pretrain", "--node-modules", str(NODE_MODULES),
                 "--out", str(out))
    assert result.exit_code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["pretrain"] is False and metrics["pretraining"] == []
    with np.load(out / "weights.npz") as f:
        assert f["W0"].dtype == np.float32


def test_the_command_that_reproduces_a_build_names_no_local_path(tmp_path: Path) -> None:
    from builder.cli import reproduce_command

    assert reproduce_command(None, None, None, False, 0, None, "sigmoid", False) == "aedemo build --seed 0"
    assert reproduce_command(tmp_path / "fashion-mnist", "fmnist", None, True, 7, 12, "relu", True) == (
        "aedemo build --data fashion-mnist --name fmnist --quick --seed 7 --epochs 12 --output relu --no-pretrain")
    classes = "zero,one,two,three,four,five,six,seven,eight,nine & ten"
    assert f"--classes '{classes}'" in reproduce_command(None, None, classes, False, 0, None, "sigmoid", False)


def test_train_records_the_command_in_metrics(tmp_path: Path) -> None:
    out = tmp_path / "b"
    assert run("train", "--quick", "--quiet", "--seed", "4", "--node-modules", str(NODE_MODULES),
               "--out", str(out)).exit_code == 0
    assert json.loads((out / "metrics.json").read_text())["command"] == "aedemo build --quick --seed 4"


def test_a_usage_error_is_one_line_with_status_2() -> None:
    result = CliRunner().invoke(main, ["train", "--no-such-flag"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: No such option '--no-such-flag' (see `main train --help`)"]
