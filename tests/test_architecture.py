"""The architecture note stays true: every file it names exists, every module of the
builder and every page script is named in it (docs/architecture.md, docs/page-scripts.md),
and the rooms keep their direction (the model imports no record or stage, records no stage
or site, and there are no import cycles)."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

from builder.site.page_scripts import BOOT, COMPRESSION_SCRIPTS, LAZY, SCRIPTS, STYLE_SHEETS

NOTES = [ROOT / "docs" / "architecture.md", ROOT / "docs" / "page-scripts.md"]
PATH_RE = re.compile(r"`((?:builder|templates|tests|bench|docs)/[A-Za-z0-9_./*-]+)`")
ROOMS = ("model", "records", "stages", "site", "data")
# what a room may import of the builder's other rooms (cli and pipeline sit above them all)
MAY_IMPORT = {
    "model": {"model", "records.files", "data"},  # a Dataset is what training reads
    "data": {"data", "records.files"},
    "records": {"records", "model"},
    "stages": {"stages", "records", "model", "data"},
    "site": {"site", "records", "model"},
}


def named_paths() -> set[str]:
    return {m for note in NOTES for m in PATH_RE.findall(note.read_text(encoding="utf-8"))}


def page_script_files() -> dict[str, list[str]]:
    """Each page script's basename → the files of that name under templates/*/."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "templates").glob("*/*.js")):
        found.setdefault(path.name, []).append(str(path.relative_to(ROOT / "templates")))
    return found


def test_every_file_the_notes_name_exists() -> None:
    for name in sorted(named_paths()):
        matches = list(ROOT.glob(name)) if "*" in name else [ROOT / name]
        assert matches and all(m.exists() for m in matches), f"the architecture note names {name}"
    scripts = set(re.findall(r"`([a-z_]+\.js)`", NOTES[1].read_text(encoding="utf-8")))
    assert scripts, "docs/page-scripts.md names the page scripts"
    files = page_script_files()
    for name in sorted(scripts):
        assert len(files.get(name, [])) == 1, f"docs/page-scripts.md names {name}: found {files.get(name)}"


def test_every_module_and_page_script_is_in_the_notes() -> None:
    text = "\n".join(note.read_text(encoding="utf-8") for note in NOTES)
    for module in sorted((ROOT / "builder").rglob("*.py")):
        rel = module.relative_to(ROOT).as_posix()
        if module.name == "__init__.py" and not module.read_text(encoding="utf-8").strip():
            continue
        assert rel in text, f"{rel} is not in the architecture note"
    scripts = NOTES[1].read_text(encoding="utf-8")
    listed = set(SCRIPTS + COMPRESSION_SCRIPTS + (BOOT,) + sum(LAZY.values(), ()))
    for script in sorted(listed):
        assert (ROOT / "templates" / script).is_file(), f"page_scripts names {script}"
        assert f"`{script.rsplit('/', 1)[1]}`" in scripts, f"{script} is not in docs/page-scripts.md"
    on_disk = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").glob("*/*.js")
               if not p.name.startswith("_")}
    assert on_disk == listed, f"page scripts no page loads: {sorted(on_disk - listed)}"
    for sheet in STYLE_SHEETS:
        assert (ROOT / "templates" / sheet).is_file(), sheet
    assert {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").glob("*/*.css")} \
        == set(STYLE_SHEETS) | {"decoder/card.css"}


def test_page_script_names_are_unique_across_folders() -> None:
    """The site's asset names are the scripts' basenames, so no two folders share one."""
    for name, paths in page_script_files().items():
        assert len(paths) == 1, f"{name} in {paths}"


def _imports(path) -> set[str]:
    """The builder modules `path` imports, as dotted names under builder (e.g. 'records.layout')."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    deps = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                (node.module == "builder" or node.module.startswith("builder.")):
            base = node.module.removeprefix("builder").lstrip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                target = ROOT / "builder" / (full.replace(".", "/") + ".py")
                deps.add(full if target.exists() else base)
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{path}: relative import"
    return {d for d in deps if d}


def test_the_rooms_import_in_one_direction_and_without_cycles() -> None:
    graph = {}
    for module in (ROOT / "builder").rglob("*.py"):
        name = module.relative_to(ROOT / "builder").with_suffix("").as_posix().replace("/", ".")
        name = name.removesuffix(".__init__")
        graph[name] = _imports(module)
    for name, deps in graph.items():
        room = name.split(".")[0]
        if room not in MAY_IMPORT:
            continue
        for dep in deps:
            assert any(dep == ok or dep.startswith(ok + ".") for ok in MAY_IMPORT[room]), \
                f"builder.{name} (room {room}) imports builder.{dep}"

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, "import cycle: " + " → ".join(path + (name,))
        for dep in graph.get(name, ()):
            visit(dep, path + (name,))

    for name in graph:
        visit(name, ())
    assert graph["site.theme"] == set(), "theme imports nothing of its own"
    assert "model.autoencoder" not in graph["model.rbm"]


def test_the_pipeline_is_the_one_stage_order_everything_follows() -> None:
    """builder/pipeline.py names the stages once: the build folder's layout, the CLI's
    commands, the Makefile's rules and the architecture note follow it."""
    from click.testing import CliRunner

    from builder.cli import main
    from builder.pipeline import NAMES, PIPELINE
    from builder.records import layout

    assert tuple(layout.STAGES) == NAMES, "layout.STAGES in pipeline order"
    assert set(layout.OPTIONAL) == {s.name for s in PIPELINE if s.optional}
    assert set(layout.DEPENDS) == {s.name for s in PIPELINE if "train" in s.reads}
    for stage in PIPELINE:
        assert all(NAMES.index(r) < NAMES.index(stage.name) for r in stage.reads), stage
        result = CliRunner().invoke(main, [stage.name, "--help"])
        assert result.exit_code == 0 and "--out" in result.output, stage.name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for stage in PIPELINE:
        assert re.search(rf"^\t\$\(BIN\)/aedemo {stage.name} --out ", makefile, flags=re.M), \
            f"the Makefile has no rule running aedemo {stage.name}"
    note = NOTES[0].read_text(encoding="utf-8")
    places = [note.index(f"builder/stages/{n}.py") for n in NAMES]
    assert places[:3] == sorted(places[:3]), "the note draws train, export, findings in order"


def _module_graph() -> dict[str, set[str]]:
    graph = {}
    for module in (ROOT / "builder").rglob("*.py"):
        name = module.relative_to(ROOT / "builder").with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        graph[name] = _imports(module)
    return graph


def _make_sources(makefile: str, var: str) -> set[str]:
    """The files `var := …` of the Makefile names, its `$(VAR)`, `$(wildcard …)` and
    `$(shell find …)` expanded as make would."""
    body = re.search(rf"^{var}\s*:=((?:.*\\\n)*.*)$", makefile, flags=re.M)
    assert body, f"the Makefile defines {var}"
    files: set[str] = set()
    for part in re.findall(r"\$\((\w+)\)|\$\(wildcard ([^)]*)\)|\$\(shell find (\S+)[^)]*\)|(\S+)",
                           body.group(1).replace("\\\n", " ")):
        ref, wild, find, plain = part
        if ref:
            files |= _make_sources(makefile, ref)
        elif wild:
            files |= {p.relative_to(ROOT).as_posix() for pattern in wild.split() for p in ROOT.glob(pattern)}
        elif find:
            files |= {p.relative_to(ROOT).as_posix() for p in (ROOT / find).rglob("*") if p.is_file()}
        elif plain:
            files.add(plain)
    return files


def test_each_stage_rule_depends_on_every_module_the_stage_imports() -> None:
    """A stage's Makefile sources cover the closure of its imports (those inside its
    functions too), so editing any module a stage runs makes `make site` rerun it."""
    from builder.pipeline import PIPELINE

    graph = _module_graph()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    entry = {stage.name: f"stages.{stage.name}" for stage in PIPELINE}
    entry["render"] = "site.render"
    for stage, module in entry.items():
        closure, todo = set(), [module]
        while todo:
            m = todo.pop()
            if m not in closure and m in graph:
                closure.add(m)
                todo += graph[m]
        paths = {("builder/" + m.replace(".", "/") + ".py") if (ROOT / "builder" / (m.replace(".", "/") + ".py")).exists()
                 else "builder/" + m.replace(".", "/") + "/__init__.py" for m in closure}
        sources = _make_sources(makefile, f"{stage.upper()}_SRC")
        assert paths <= sources, f"{stage.upper()}_SRC lacks {sorted(paths - sources)}"
