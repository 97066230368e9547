"""Render the static site: the only stage that writes `site/`. It gathers; the page modules shape.

`render_site(build_dirs, site_dir, node_modules)`:
  1. opens each build folder (`records.folder.BuildFolder`: every file checked against its
     `manifest.json`, each parsed by its record's one reader) and reads it into a
     `decoder_page.Demo` (`read_demo`): the payloads of the page's data scripts
     (`payloads`), the story (`story`, from `findings.json`), the model card (`card`,
     its charts drawn by `svgchart`), and when their stages ran the compression page's
     parts (`compression_page`) and the time-lapse's (`timelapse_section`);
  2. collects the files every page shares (`assets.shared_files`): the vendored
     onnxruntime-web from `node_modules/onnxruntime-web` (its version checked; from
     `dist/` only `ort.wasm.min.js`, `ort-wasm-simd-threaded.mjs` and `.wasm`, the
     single-threaded wasm CPU backend, raw for http and as data scripts for file://),
     the style sheet (`page_scripts.STYLE_SHEETS` joined), the page scripts
     (`page_scripts.SCRIPTS`, `BOOT`, `LAZY`, `COMPRESSION_SCRIPTS`) and the icon;
  3. renders each demo's `index.html` (`decoder_page.render_decoder`) and, when it has
     one, its `compression.html` (`compression_page.render_compression`), with their
     data scripts; the first build folder's pages sit at the site's root, every other
     one's in `<folder name>/`, and each page links to all of them (`navigation`);
  4. writes `site/` as a whole through a temporary sibling (`sitedir.replace_site`: a
     failed render leaves the old site as it was), and only when it is absent, empty or
     an earlier aedemo site, with `.nojekyll` and the marker `.aedemo-site` (the sha256
     of every file written).

Everything the page loads from file:// is a classic script with a relative URL, so the
same files work over http (GitHub Pages under a sub-path, any local server) and from
`file://`, where fetch() and module imports of other files are refused; over http the
runtime lets onnxruntime-web import its glue and stream its WebAssembly instead. Names
carry a hash of their content (`assets.add_hashed`), so browsers never mix an old file
with a new page. The output depends only on the inputs: no timestamps, gzip with
mtime 0, sorted iteration, a fixed drawing order for the points.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Sequence

import jinja2

from builder.records.files import BuildError
from builder.records.folder import BuildFolder
from builder.site.assets import read_ort, shared_files
from builder.site.card import installed_versions
from builder.site.compression_page import render_compression
from builder.site.decoder_page import read_demo, render_decoder
from builder.site.sitedir import MARKER, check_site, marker_bytes, replace_site

ROOT = Path(__file__).resolve().parents[2]  # the checkout: builder/site/render.py
TEMPLATES = ROOT / "templates"


def render_site(
    build_dirs: Path | Sequence[Path], site_dir: Path, node_modules: Path,
    templates: Path = TEMPLATES,
) -> dict:
    """Render one page per build folder into `site_dir` (replaced atomically).

    The first build folder's page is the site's `index.html`; every other one is
    `<folder name>/index.html`, and each page links to all of them. Scripts, styles
    and the runtime are shared; every file the pages load has a content-hashed name.

    Returns figures for the CLI: `files`, `bytes` (raw total), `gzip_bytes` (total
    of each file compressed with gzip -9), `points`, `digits` (of the first page),
    `pages`, `ort_version`. Raises `BuildError` naming the missing or malformed input.
    """
    build_dirs = [Path(build_dirs)] if isinstance(build_dirs, (str, Path)) else list(map(Path, build_dirs))
    site_dir, node_modules = Path(site_dir), Path(node_modules)
    names = [d.name for d in build_dirs]
    if not build_dirs or len(set(names)) != len(names):
        raise BuildError(f"render: need build folders with distinct names, got {names}")
    inputs = [*build_dirs, Path(templates), node_modules, ROOT]
    check_site(site_dir, inputs)
    ort_version, ort_files = read_ort(node_modules / "onnxruntime-web")
    env = make_environment(templates)
    out: dict[str, bytes] = {}
    shared = shared_files(env, out, templates, ort_version, ort_files)
    versions = installed_versions(ort_version)
    demos = [read_demo(BuildFolder.open(d), versions) for d in build_dirs]
    links = [{"name": demo.metrics.data.name, "path": "" if i == 0 else f"{d.name}/",
              "compression": demo.compression is not None}
             for i, (demo, d) in enumerate(zip(demos, build_dirs))]
    for i, demo in enumerate(demos):
        render_decoder(env, out, shared, demo, links, current=i, ort_version=ort_version)
        if demo.compression is not None:
            render_compression(env, out, shared, demo.compression, decoder=demo.decoder, encoder=demo.encoder,
                               classes=demo.classes, words=demo.story["words"], data_name=demo.metrics.data.name,
                               links=links, current=i, ort_version=ort_version)
    out[".nojekyll"] = b""
    out[MARKER] = marker_bytes(out)

    with replace_site(site_dir, inputs) as tmp:
        for rel in sorted(out):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(out[rel])
            path.chmod(0o644)
        for folder in sorted({p for rel in out for p in (tmp / rel).parents if tmp in p.parents}):
            folder.chmod(0o755)

    return {
        "files": len(out),
        "bytes": sum(len(b) for b in out.values()),
        "gzip_bytes": sum(len(gzip.compress(b, compresslevel=9, mtime=0)) for b in out.values()),
        "points": demos[0].points["n"],
        "digits": demos[0].digits["n"],
        "pages": len(demos),
        "compression_pages": sum(demo.compression is not None for demo in demos),
        "ort_version": ort_version,
    }


def make_environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """The one jinja2 environment: autoescape on, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
