"""The GitHub Pages workflow, checked here rather than on its first run (issue 17).

- `.github/workflows/pages.yml` validates against SchemaStore's GitHub workflow schema
  and check-jsonschema's job-timeout schema, both vendored in the check-jsonschema
  package (the check runs with every proxy pointing at a closed port on 127.0.0.1, so
  it cannot reach the network); a broken copy fails the same check.
- What the workflow does: actions pinned by major version, pip and npm downloads
  cached, the site built and the non-browser tests run before anything is uploaded,
  and every `make` target it names exists.
- The artifact: the site packed as actions/upload-pages-artifact@v4 packs it (GNU tar,
  its exact flags: links dereferenced, .git, .github and every dotfile left out),
  unpacked and served under /aedemo/ in the browser: a page that needs a dotfile or
  an absolute URL fails here, not on Pages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT
from factories import SUB_PATH, start_server
from pagetools import Site, Tab

pytest_plugins = ["pagetools"]

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
SCHEMAS = ("vendor.github-workflows", "custom.github-workflows-require-timeout")
CLOSED = "http://127.0.0.1:9"   # the discard port: nothing listens, so any download fails at once

# actions/upload-pages-artifact@v4, action.yml, "Archive artifact" on Linux
UPLOAD_TAR = ("--dereference", "--hard-dereference", "--exclude=.git", "--exclude=.github",
              "--exclude=.[^/]*")


def check_jsonschema(path: Path, schema: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("check-jsonschema")
    if not exe.exists():
        exe = Path(shutil.which("check-jsonschema") or "check-jsonschema")
    offline = {name: CLOSED for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                         "http_proxy", "https_proxy", "all_proxy")}
    env = {**os.environ, **offline, "NO_PROXY": "", "no_proxy": ""}
    return subprocess.run([str(exe), "--builtin-schema", schema, "--color", "never", str(path)],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_workflow_is_valid_offline(schema: str) -> None:
    result = check_jsonschema(WORKFLOW, schema)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("schema, old, new, says", [
    ("vendor.github-workflows", "    runs-on: ubuntu-latest\n    timeout-minutes: 60",
     "    runs-onn: ubuntu-latest\n    timeout-minutes: 60", "'runs-on' is a required property"),
    ("vendor.github-workflows", "      - uses: actions/checkout@v4", "      - use: actions/checkout@v4",
     "is not valid"),
    ("vendor.github-workflows", "  cancel-in-progress: false", "  cancel-in-progress: sometimes",
     "is not valid"),
    ("custom.github-workflows-require-timeout", "    timeout-minutes: 10\n", "",
     "'timeout-minutes' is a required property"),
])
def test_a_broken_workflow_fails_the_check(tmp_path: Path, schema: str, old: str, new: str,
                                           says: str) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the workflow has no single {old!r}"
    broken = tmp_path / "pages.yml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    result = check_jsonschema(broken, schema)
    assert result.returncode == 1, result.stdout + result.stderr
    assert says in result.stdout


def load_workflow() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


def test_the_workflow_tests_before_it_publishes_and_caches_its_downloads() -> None:
    flow = load_workflow()
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    steps = build["steps"]
    uses = [s["uses"] for s in [*steps, *deploy["steps"]] if "uses" in s]
    for action in uses:
        assert re.fullmatch(r"actions/[a-z-]+@v\d+", action), f"{action}: pin actions by major version"
    by_action = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    python = by_action["actions/setup-python"]["with"]
    assert python["cache"] == "pip"
    assert set(python["cache-dependency-path"].split()) == {"pyproject.toml", "constraints.txt"}
    assert by_action["actions/setup-node"]["with"]["cache"] == "npm"
    assert by_action["actions/upload-pages-artifact"]["with"]["path"] == "site"
    assert by_action["actions/upload-pages-artifact"]["uses"].endswith("@v4")   # the flags below

    order = [s.get("run") or s["uses"].split("@")[0] for s in steps]
    assert order.index("make site") < order.index("make test-no-browser") \
        < order.index("actions/upload-pages-artifact")
    tests = steps[order.index("make test-no-browser")]
    assert tests["env"]["AEDEMO_REAL_SITE"] == "site"   # the tests read the site it publishes
    assert deploy["needs"] == "build"

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for run in (s["run"] for s in steps if "run" in s):
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", run):
            assert re.search(rf"^{target}:", makefile, re.M), f"the workflow runs make {target}"
    rule = re.search(r"^test-no-browser:.*\n\t(.*)", makefile, re.M)
    assert rule is not None and '-m "not browser"' in rule.group(1)
    assert "chromium" not in rule.group(0)   # no browser to install on the runner


def pages_artifact(site: Path, tmp: Path) -> Path:
    """The artifact upload-pages-artifact@v4 makes of `site`, unpacked into a new folder."""
    archive = tmp / "artifact.tar"
    subprocess.run(["tar", UPLOAD_TAR[0], UPLOAD_TAR[1], "--directory", str(site), "-cf", str(archive),
                    *UPLOAD_TAR[2:], "."], check=True, timeout=120)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        assert members and all(m.isfile() or m.isdir() for m in members), \
            "Pages takes only files and folders (no links)"
        out = tmp / "artifact"
        out.mkdir()
        tar.extractall(out, filter="data")
    return out


def published(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_the_artifact_is_the_site_without_its_dotfiles(site, tmp_path: Path) -> None:
    artifact = pages_artifact(site.root, tmp_path)
    everything = published(site.root)
    assert {".nojekyll", ".aedemo-site"} <= everything
    dotless = {rel for rel in everything if not any(p.startswith(".") for p in rel.split("/"))}
    assert published(artifact) == dotless
    assert "index.html" in dotless
    for rel in dotless:
        assert (artifact / rel).read_bytes() == (site.root / rel).read_bytes()


def test_the_artifact_works_under_a_sub_path_in_the_browser(browser, site, tmp_path: Path) -> None:
    artifact = pages_artifact(site.root, tmp_path)
    running = start_server(artifact)
    try:
        tab = Tab(browser, Site(root=artifact, origin=running.origin), "http")
        assert tab.page.url == running.origin + SUB_PATH
        tab.wait_first_image()
        assert tab.js("() => aedemo.decode(0.3, -0.2).then(a => a.length)") == 784
        tab.wait_loaded()
        tab.assert_clean()
        tab.close()
    finally:
        running.stop()
