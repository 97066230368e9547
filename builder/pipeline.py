"""The build's stages, in order, written once.

`aedemo build` runs the stages after train in this order, and each stage's own command runs
it, through `run_stage` (the one place that calls the stages' entries); the test fixtures
build through it too; `tests/test_architecture.py` checks that the build folder's layout
(`layout.STAGES`, `layout.OPTIONAL`), the Makefile's rules and the docs agree with it. Train
comes first and is run by the CLI itself (it needs the data set and the flags); every other
stage reads only the build folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.model.training import Progress


@dataclass(frozen=True)
class Stage:
    name: str                  # the command, `aedemo NAME`, and the manifest's key
    reads: tuple[str, ...]     # the stages whose files it reads
    optional: bool = False     # a folder without it still renders (with less on the page)
    pretrained_only: bool = False  # skipped for a net trained without pretraining


PIPELINE = (
    Stage("train", ()),
    Stage("export", ("train",)),
    Stage("findings", ("train", "export")),
    Stage("compress", ("train",), optional=True),
    Stage("timelapse", ("train",), optional=True, pretrained_only=True),
)
NAMES = tuple(s.name for s in PIPELINE)


def run_stage(name: str, build_dir: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Run stage `name` (not train) on `build_dir`; its figures for the CLI."""
    if name == "export":
        from builder.stages.export import export_models

        return export_models(build_dir)
    if name == "findings":
        from builder.stages.findings import run_findings

        return run_findings(build_dir)
    if name == "compress":
        from builder.stages.compress import compress

        return compress(build_dir, progress=progress)
    if name == "timelapse":
        from builder.stages.timelapse import run_timelapse

        return run_timelapse(build_dir, progress)
    raise ValueError(f"no stage {name!r} to run on a build folder (stages: {', '.join(NAMES[1:])})")
