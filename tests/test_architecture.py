"""The architecture note stays true: every file it names exists, and every module of the
builder and every page script is named in it (docs/architecture.md, docs/page-scripts.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from builder.page_scripts import COMPRESSION_SCRIPTS, SCRIPTS

ROOT = Path(__file__).resolve().parent.parent
NOTES = [ROOT / "docs" / "architecture.md", ROOT / "docs" / "page-scripts.md"]
PATH_RE = re.compile(r"`((?:builder|templates|tests|bench|docs)/[A-Za-z0-9_./*-]+)`")


def named_paths() -> set[str]:
    return {m for note in NOTES for m in PATH_RE.findall(note.read_text(encoding="utf-8"))}


def test_every_file_the_notes_name_exists() -> None:
    for name in sorted(named_paths()):
        matches = list(ROOT.glob(name)) if "*" in name else [ROOT / name]
        assert matches and all(m.exists() for m in matches), f"the architecture note names {name}"
    scripts = set(re.findall(r"`([a-z_]+\.js)`", NOTES[1].read_text(encoding="utf-8")))
    assert scripts, "docs/page-scripts.md names the page scripts"
    for name in sorted(scripts):
        assert (ROOT / "templates" / name).is_file(), f"docs/page-scripts.md names {name}"


def test_every_module_and_page_script_is_in_the_notes() -> None:
    text = "\n".join(note.read_text(encoding="utf-8") for note in NOTES)
    for module in sorted((ROOT / "builder").glob("*.py")):
        assert f"builder/{module.name}" in text, f"builder/{module.name} is not in the architecture note"
    scripts = NOTES[1].read_text(encoding="utf-8")
    for script in SCRIPTS + COMPRESSION_SCRIPTS:
        assert f"`{script}`" in scripts or f"templates/{script}" in scripts, f"{script} is not in docs/page-scripts.md"


def test_the_builder_has_no_import_cycles() -> None:
    graph = {}
    for module in (ROOT / "builder").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module} if node.module else {a.name for a in node.names}
        graph[module.stem] = {d for d in deps if (ROOT / "builder" / f"{d}.py").exists()}

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, "import cycle: " + " → ".join(path + (name,))
        for dep in graph[name]:
            visit(dep, path + (name,))

    for name in graph:
        visit(name, ())
    assert graph["theme"] == set(), "theme.py imports nothing of its own"
    assert "autoencoder" not in graph["rbm"]
