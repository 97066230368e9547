"""`aedemo serve` (issue 17): the site under a sub-path with the MIME types GitHub Pages
sends, nothing outside it, 127.0.0.1 only unless `--host`, a re-render when a template
changes (a copy of templates/ in a temporary folder, never the real one), the previous
site kept when a render fails, and a clean stop on Ctrl-C. Every request goes to
127.0.0.1, with a timeout."""

from __future__ import annotations

import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import NODE_MODULES, ROOT
from factories import make_fake_build
from pagetools import Site, Tab

from builder.cli import main
from builder.site import serve as serve_module
from builder.site.render import TEMPLATES
from builder.site.serve import MIME_TYPES, TemplateWatcher, exposure_warning, normalise_base, start

pytest_plugins = ["pagetools"]

WAIT_S = 60   # the longest any step may take (a render on a busy 2-core machine takes seconds)
JS = "application/javascript; charset=utf-8"


def request(origin: str, path: str, method: str = "GET",
            headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request to 127.0.0.1, redirects not followed: status, headers, body."""
    host, port = origin.removeprefix("http://").rsplit(":", 1)
    assert host == "127.0.0.1"
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fake_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_build(tmp_path_factory.mktemp("serve") / "mnist")


# ---------------------------------------------------------------- the server


@pytest.fixture
def pages_folder(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for rel, text in {"index.html": "<!doctype html><p>root", "app.js": "1", "glue.mjs": "2",
                      "ort.wasm": "\0asm", "style.css": "p{}", "favicon.svg": "<svg/>",
                      "data.json": "{}", "model.onnx": "x", "docs/index.html": "docs",
                      "empty/file.bin": "b", ".nojekyll": "", ".hidden/secret.js": "s"}.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    return site


def test_the_site_is_served_under_the_sub_path_with_the_types_pages_sends(pages_folder: Path) -> None:
    running = start(pages_folder, "/aedemo/")
    try:
        assert running.server.server_address[0] == "127.0.0.1"
        assert running.url == running.origin + "/aedemo/"
        o = running.origin
        types = {}
        for name in ("", "index.html", "app.js", "glue.mjs", "ort.wasm", "style.css", "favicon.svg",
                     "data.json", "model.onnx", "empty/file.bin"):
            status, headers, body = request(o, "/aedemo/" + name)
            assert status == 200, name
            assert headers["cache-control"] == "no-cache"
            types[name] = headers["content-type"]
        assert types == {"": "text/html; charset=utf-8", "index.html": "text/html; charset=utf-8",
                         "app.js": JS, "glue.mjs": JS, "ort.wasm": "application/wasm",
                         "style.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml",
                         "data.json": "application/json; charset=utf-8",
                         "model.onnx": "application/octet-stream",
                         "empty/file.bin": "application/octet-stream"}
        assert MIME_TYPES[".wasm"] == "application/wasm" and MIME_TYPES[".mjs"] == JS
        # redirects as Pages makes them
        for path, location in (("/", "/aedemo/"), ("/aedemo", "/aedemo/"), ("/aedemo/docs", "/aedemo/docs/"),
                               ("/?x=1", "/aedemo/?x=1")):
            status, headers, _ = request(o, path)
            assert (status, headers["location"]) == (301, location), path
        assert request(o, "/aedemo/docs/")[2] == b"docs"
        # nothing outside the sub-path, no dotfiles, no folder listings, no way up
        for path in ("/index.html", "/app.js", "/aedemo2/", "/other/index.html", "/aedemo/.nojekyll",
                     "/aedemo/%2Enojekyll", "/aedemo/.hidden/secret.js", "/aedemo/empty/",
                     "/aedemo/missing.js", "/aedemo/../index.html", "/aedemo/%2e%2e/index.html"):
            assert request(o, path)[0] == 404, path
            assert request(o, path, "HEAD")[0] == 404, path
        # a browser's revalidation never gets a stale 304 (Last-Modified has whole seconds)
        later = "Fri, 01 Jan 2100 00:00:00 GMT"
        assert request(o, "/aedemo/app.js", headers={"If-Modified-Since": later})[0] == 200
    finally:
        running.stop()


def test_a_user_site_is_served_at_the_root(pages_folder: Path) -> None:
    running = start(pages_folder, "/")
    try:
        assert request(running.origin, "/")[2] == b"<!doctype html><p>root"
        assert request(running.origin, "/app.js")[1]["content-type"] == JS
        assert request(running.origin, "/.nojekyll")[0] == 404
    finally:
        running.stop()


def test_the_cross_origin_isolation_headers_are_optional(pages_folder: Path) -> None:
    for isolate in (False, True):
        running = start(pages_folder, isolate=isolate)
        try:
            headers = request(running.origin, "/aedemo/")[1]
            assert (headers.get("cross-origin-embedder-policy") == "require-corp") == isolate
            assert (headers.get("cross-origin-opener-policy") == "same-origin") == isolate
        finally:
            running.stop()


@pytest.mark.parametrize("given, base", [("/aedemo/", "/aedemo/"), ("aedemo", "/aedemo/"),
                                         ("/aedemo", "/aedemo/"), ("/", "/"), ("", "/"),
                                         ("/a/b.c/", "/a/b.c/")])
def test_the_base_is_one_sub_path(given: str, base: str) -> None:
    assert normalise_base(given) == base


@pytest.mark.parametrize("bad", ["/../", "/a b/", "/.git/", "/a?b/", "http://x/"])
def test_a_bad_base_is_a_usage_error(bad: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--base", bad])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--base" in lines[0]


def test_only_a_non_loopback_host_warns() -> None:
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert exposure_warning(host) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "myhost"):
        warning = exposure_warning(host)
        assert warning is not None and host in warning and "other machines" in warning


def test_a_busy_port_is_one_line(fake_build: Path, tmp_path: Path) -> None:
    busy = start(tmp_path)
    try:
        port = str(busy.server.server_address[1])
        result = CliRunner().invoke(main, ["serve", str(fake_build), "--site", str(tmp_path / "site"),
                                           "--node-modules", str(NODE_MODULES), "--port", port])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and f"--port {port}" in lines[0] and "cannot listen" in lines[0]
        assert not (tmp_path / "site").exists()   # it failed before rendering anything
    finally:
        busy.stop()


def test_it_binds_127_0_0_1_unless_asked_and_says_so(fake_build: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, with the listening address recorded and forced to 127.0.0.1 (the tests
    never listen elsewhere) and a Ctrl-C at the first look at the templates."""
    asked: list[str] = []
    real_start = serve_module.start

    def recording_start(site, base, host, port, **kwargs):
        asked.append(host)
        return real_start(site, base, "127.0.0.1", 0, **kwargs)

    def interrupt(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(serve_module, "start", recording_start)
    monkeypatch.setattr(TemplateWatcher, "changed", interrupt)
    common = ["serve", str(fake_build), "--site", str(tmp_path / "site"), "--node-modules", str(NODE_MODULES)]
    quiet = CliRunner().invoke(main, common, catch_exceptions=False)
    assert quiet.exit_code == 130, quiet.output   # Ctrl-C: 128 + SIGINT, as shells expect
    assert "warning" not in quiet.output and "other machines" not in quiet.output
    assert re.search(r"at http://127\.0\.0\.1:\d+/aedemo/$", quiet.output, re.M)
    assert quiet.output.rstrip().endswith("Stopped.")
    loud = CliRunner().invoke(main, [*common, "--host", "0.0.0.0"], catch_exceptions=False)
    assert loud.exit_code == 130, loud.output
    assert "warning: listening on 0.0.0.0" in loud.output and "other machines" in loud.output
    assert asked == ["127.0.0.1", "0.0.0.0"]
    assert (tmp_path / "site" / "index.html").is_file()


# ---------------------------------------------------------------- the command, as a process


class ServeProcess:
    """`aedemo serve … --port 0` in a process of its own, its output read line by line."""

    def __init__(self, build: Path, tmp: Path, *extra: str) -> None:
        self.site, self.templates = tmp / "site", tmp / "templates"
        if not self.templates.exists():
            shutil.copytree(TEMPLATES, self.templates)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from builder.cli import main; main()", "serve", str(build),
             "--site", "site", "--templates", "templates", "--node-modules", str(NODE_MODULES),
             "--port", "0", *extra],
            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # as a terminal's Ctrl-C finds it: a shell's background job inherits SIGINT ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, q), daemon=True).start()
        line = self.expect(r"^Serving site/ \(\d+ files\) at (http://\S+/aedemo/)$")
        self.url = re.search(r"http://\S+", line).group(0)
        self.origin = self.url.removesuffix("/aedemo/")
        self.expect(r"^Re-rendering when a file under templates/ changes; Ctrl-C stops\.$")

    @staticmethod
    def _pump(stream, q: queue.Queue) -> None:
        for line in stream:
            q.put(line.rstrip("\n"))

    def expect(self, pattern: str, err: bool = False, timeout: float = WAIT_S) -> str:
        """The next line on stdout (or stderr) matching `pattern`; fails after `timeout` s."""
        q, seen = (self.err, self.stderr) if err else (self.out, self.stdout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line like {pattern!r} in {timeout} s; stdout {self.stdout}, "
                            f"stderr {self.stderr}")
            seen.append(line)
            if re.search(pattern, line):
                return line

    def drain(self, seconds: float) -> list[str]:
        """The stderr lines that come within `seconds`."""
        lines, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                lines.append(self.err.get(timeout=left))
            except queue.Empty:
                break
        self.stderr += lines
        return lines

    def page(self) -> str:
        status, _, body = request(self.origin, "/aedemo/")
        assert status == 200
        return body.decode()

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.templates / name
        text = path.read_text()
        assert text.count(old) == 1, f"{name} has no single {old!r}"
        path.write_text(text.replace(old, new))

    def interrupt(self) -> int:
        """Ctrl-C; the exit status."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=WAIT_S)
        time.sleep(0.2)   # let the readers take the last lines
        self.drain(0.1)
        while not self.out.empty():
            self.stdout.append(self.out.get())
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT_S)


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:   # 0A: LISTEN
                found.add(address)
    return found


def test_a_changed_template_is_re_rendered_and_a_broken_one_keeps_the_old_site(
        fake_build: Path, tmp_path: Path) -> None:
    running = ServeProcess(fake_build, tmp_path)
    try:
        port = int(running.origin.rsplit(":", 1)[1])
        if os.path.exists("/proc/net/tcp"):
            assert listening_addresses(port) == {"0100007F"}   # 127.0.0.1, and nothing else
        first = running.page()
        assert "</title>" in first and "serve check" not in first

        running.edit("decoder/index.html", "</title>", " · serve check 1</title>")
        line = running.expect(r"changed: re-rendered")
        assert line.startswith("decoder/index.html changed: re-rendered site/ in ")
        assert "serve check 1</title>" in running.page()

        running.edit("decoder/index.html", "</title>", "</title>{% if %}")
        failure = running.expect(r"render failed", err=True)
        assert re.fullmatch(r"render failed, still serving the previous site: templates/decoder/index\.html:\d+: .+",
                            failure), failure
        assert running.drain(3 * serve_module.POLL_SECONDS + 1) == []   # one line, said once
        kept = running.page()
        assert "serve check 1</title>" in kept
        for script in re.findall(r'src="([^"]+\.js)"', kept):
            assert request(running.origin, "/aedemo/" + script)[0] == 200, script

        running.edit("decoder/index.html", " · serve check 1</title>{% if %}", " · serve check 2</title>")
        running.expect(r"^decoder/index\.html changed: re-rendered")
        assert "serve check 2</title>" in running.page()

        assert running.interrupt() == 130
        assert running.stdout[-1] == "Stopped."
        assert not any("Traceback" in line for line in running.stderr), running.stderr
        assert running.stderr == [failure]
        assert (ROOT / "templates").resolve() != running.templates.resolve()
    finally:
        running.kill()


def test_the_served_page_decodes_and_shows_a_re_render_on_reload(browser, fake_build: Path,
                                                                  tmp_path: Path) -> None:
    running = ServeProcess(fake_build, tmp_path)
    try:
        tab = Tab(browser, Site(root=running.site, origin=running.origin), "http")
        assert tab.page.url == running.url
        tab.wait_first_image()
        assert tab.js("() => aedemo.decode(0.3, -0.2).then(a => a.length)") == 784
        running.edit("decoder/index.html", "</title>", " · served again</title>")
        running.expect(r"^decoder/index\.html changed: re-rendered")
        tab.page.reload()
        tab.wait_first_image()
        assert tab.page.title().endswith(" · served again")
        tab.assert_clean()
        tab.close()
        assert running.interrupt() == 130
        assert running.stderr == [], running.stderr   # not one request outside the site failed
    finally:
        running.kill()
