"""Preview the site as GitHub Pages hosts it, re-rendering when a template changes.

Reads `site/` (serves it, never writes it itself) and polls `templates/` (the mtime and
size of every file, then the sha256 of the ones that moved). On a change it calls
`render.render_site` with the build folders the site was made from, which replaces
`site/` atomically (`sitedir`); nothing is trained or exported again. A render that
fails prints one line and the previous site stays served.

The server is the one sub-path server of aedemo, shared with the tests and the bench
(`tests/factories.py`): `http.server.ThreadingHTTPServer` on 127.0.0.1 by default, the
site under a sub-path (`/aedemo/`, as Pages serves a project site), with
  - `/` redirected to the sub-path, the sub-path without its slash redirected to it,
    a folder without its slash redirected to it, and every other path outside it 404;
  - dotfiles 404 (`upload-pages-artifact` leaves them out of the artifact), and so do
    folders without an `index.html` (no listings; Pages has none);
  - the MIME types Pages sends, set here rather than taken from the machine's
    `mimetypes` (`.wasm` `application/wasm`, `.js` and `.mjs` JavaScript);
  - `Cache-Control: no-cache`, so a browser revalidates and a re-render shows on reload;
  - optionally cross-origin isolation headers (COOP/COEP, the bench's fine clock).
Requests open their file under a lock that a re-render holds only for its switch (the
two renames of `sitedir.replace_site`; the first render holds it throughout, so the first
requests wait for a site), so no request falls into the instant between the old site's and
the new site's rename, and none waits for a whole re-render.

Requests are untrusted: a malformed request line, an unsupported HTTP version, a URL longer
than 64 kB, a NUL byte in the path get their error status (400, 505, 414) and one log
line, with control characters escaped (`printable`); the listen backlog holds
`BACKLOG` connections at once; a connection idle for `IDLE_SECONDS` is closed. Ctrl-C
stops the server and `aedemo serve` exits with status 130, as shells expect of an
interrupted command.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import http.server
import ipaddress
import os
import re
import socket
import threading
import time
import traceback
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Sequence

from builder.records.files import BuildError

DEFAULT_BASE = "/aedemo/"   # where GitHub Pages serves the project site of a repository named aedemo
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
POLL_SECONDS = 0.5
BACKLOG = 1024        # connections waiting to be accepted (the kernel may cap it: somaxconn)
IDLE_SECONDS = 15.0   # a connection that sends nothing for this long is closed
INTERRUPTED = 130     # the exit status of a command stopped by Ctrl-C (128 + SIGINT)

JS = "application/javascript; charset=utf-8"
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": JS,
    ".mjs": JS,
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
}
DEFAULT_TYPE = "application/octet-stream"


def normalise_base(base: str) -> str:
    """`aedemo`, `/aedemo` or `/aedemo/` → `/aedemo/`; `/` stays `/`. `BuildError` otherwise."""
    parts = [p for p in base.strip().split("/") if p]
    if not all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._~-]*", p) for p in parts):
        raise BuildError(f"--base {base!r}: expected a path such as /aedemo/ (letters, digits, "
                         f"'.', '_', '~', '-' between slashes)")
    return "/" + "".join(p + "/" for p in parts)


def printable(text: str) -> str:
    """`text` for one log line: control and other non-printable characters escaped."""
    return "".join(c if c.isprintable() and c != "\\" else
                   "\\\\" if c == "\\" else c.encode("unicode_escape").decode("ascii") for c in text)


def exposure_warning(host: str) -> str | None:
    """The warning line for a `--host` other machines can reach; None for a loopback address."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (f"warning: listening on {host}, not 127.0.0.1: the site is reachable from other "
            f"machines on the network")


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` under `base` only, as GitHub Pages serves a project site."""

    base = DEFAULT_BASE
    isolate = False
    lock: Any = threading.Lock()   # each server gets its own (`start`)
    log_error_line: Callable[[str], None] | None = None
    server_version = "aedemo-serve"
    timeout = IDLE_SECONDS   # socket timeout of each connection (StreamRequestHandler)
    default_request_version = "HTTP/1.0"   # every error reply has a status line

    def parse_request(self) -> bool:
        """The standard parse, but an HTTP/0.9 request (a line of two words) is a 400:
        Pages serves none, and its reply would have no status line."""
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if len(self.requestline.split()) == 2:
            self.command, self.close_connection = None, True
            self.send_error(400, "Bad request syntax (no HTTP version)")
            return False
        return super().parse_request()

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_head(self) -> Any:
        url = urllib.parse.urlsplit(self.path)
        query = f"?{url.query}" if url.query else ""
        if self.base != "/" and url.path in ("/", self.base.rstrip("/")):
            self._redirect(self.base + query)
            return None
        if not url.path.startswith(self.base):
            self.send_error(404, f"Not under {self.base}", f"The site is served under {self.base}")
            return None
        parts = urllib.parse.unquote(url.path[len(self.base):]).split("/")
        if any("\x00" in p for p in parts):
            self.send_error(400, "NUL byte in the path")
            return None
        if any(p.startswith(".") for p in parts):
            self.send_error(404, "Dotfiles are not published",
                            "upload-pages-artifact leaves files and folders starting with a dot out")
            return None
        if "If-Modified-Since" in self.headers:
            del self.headers["If-Modified-Since"]   # whole seconds: a re-render within one could get a 304
        with self.lock:
            return super().send_head()

    def translate_path(self, path: str) -> str:
        path = urllib.parse.urlsplit(path).path
        return super().translate_path("/" + path[len(self.base):])

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "No index.html in this folder")
        return None

    def guess_type(self, path: Any) -> str:
        return MIME_TYPES.get(os.path.splitext(str(path))[1].lower(), DEFAULT_TYPE)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        if self.isolate:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        code = getattr(code, "value", code)
        if self.log_error_line is not None and str(code).isdigit() and int(code) >= 400:
            # a malformed request has no command or path yet: its raw line, escaped
            command, path = getattr(self, "command", None), getattr(self, "path", None)
            what = f"{command} {path}" if command and path is not None else \
                getattr(self, "requestline", "") or "(malformed request)"
            self.log_error_line(f"{code} {printable(what)[:200]}")

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True   # a browser's open connection never holds up the stop
    request_queue_size = BACKLOG


class _Server6(_Server):
    address_family = socket.AF_INET6


@dataclasses.dataclass
class Running:
    """A server answering in its own thread; `url` is the site's page."""

    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    base: str
    lock: Any

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.origin + self.base

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def start(site: Path, base: str = DEFAULT_BASE, host: str = DEFAULT_HOST, port: int = 0,
          isolate: bool = False, log_error_line: Callable[[str], None] | None = None,
          idle: float = IDLE_SECONDS) -> Running:
    """Serve `site` under `base` on host:port (0: a free port) in a thread of its own;
    connections idle for `idle` seconds are closed."""
    base = normalise_base(base)
    lock = threading.Lock()
    attrs = {"base": base, "isolate": isolate, "lock": lock, "timeout": idle,
             "log_error_line": staticmethod(log_error_line) if log_error_line else None}
    handler = type("Handler", (PagesHandler,), attrs)
    cls = _Server6 if ":" in host else _Server
    try:
        server = cls((host, port), functools.partial(handler, directory=str(site)))
    except OSError as e:
        hint = " (another server runs there: pick another --port, or 0 for a free one)" \
            if e.errno == 98 else ""
        raise BuildError(f"--host {host} --port {port}: cannot listen: {e.strerror or e}{hint}") from None
    thread = threading.Thread(target=server.serve_forever, name="aedemo-serve", daemon=True)
    thread.start()
    return Running(server, thread, base, lock)


class TemplateWatcher:
    """What changed under a folder since the last look: mtime and size first, then content."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._stats, self._hashes = self._scan({}, {})

    def _scan(self, stats: dict, hashes: dict) -> tuple[dict, dict]:
        new_stats: dict[str, tuple[int, int]] = {}
        new_hashes: dict[str, str] = {}
        for path in sorted(self.folder.rglob("*")):
            rel = path.relative_to(self.folder).as_posix()
            if not path.is_file() or any(p.startswith(".") or p.endswith("~") for p in rel.split("/")):
                continue   # editors' swap and backup files
            try:
                st = path.stat()
                stat = (st.st_mtime_ns, st.st_size)
                new_stats[rel] = stat
                new_hashes[rel] = hashes[rel] if stats.get(rel) == stat else \
                    hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:   # removed while we looked
                new_stats.pop(rel, None)
        return new_stats, new_hashes

    def changed(self) -> list[str]:
        """The files added, removed or modified since the last call (sorted)."""
        stats, hashes = self._scan(self._stats, self._hashes)
        names = sorted(k for k in hashes.keys() | self._hashes.keys()
                       if hashes.get(k) != self._hashes.get(k))
        self._stats, self._hashes = stats, hashes
        return names


def one_line(e: BaseException, templates: Path | None = None) -> str:
    """An exception as one line, led by the template's file and line when there is one."""
    filename, lineno = getattr(e, "filename", None), getattr(e, "lineno", None)
    if templates is not None and not filename:   # a jinja2 error at run time: the template's frame
        folder = str(Path(templates).resolve())
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(folder)]
        if frames:
            filename, lineno = frames[-1].filename, frames[-1].lineno
    if isinstance(e, OSError):
        message = e.strerror or str(e)
    else:
        message = str(getattr(e, "message", None) or e)
    where = ""
    if filename:
        with contextlib.suppress(ValueError):
            filename = Path(filename).resolve().relative_to(Path.cwd().resolve()).as_posix()
        where = f"{filename}:{lineno}: " if lineno else f"{filename}: "
    return where + (" ".join(message.split()) or type(e).__name__)


def _shown(folder: Path) -> str:
    """A folder as messages show it: relative to the current folder when below it, with a slash."""
    path = Path(folder)
    with contextlib.suppress(ValueError):
        path = path.resolve().relative_to(Path.cwd().resolve())
    return path.as_posix().rstrip("/") + "/"


def serve_site(build_dirs: Sequence[Path], site: Path, node_modules: Path, templates: Path,
               base: str = DEFAULT_BASE, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               echo: Callable[..., Any] = print, poll: float = POLL_SECONDS,
               stop: threading.Event | None = None) -> int:
    """Render the site, serve it, and re-render it on every change under `templates` until
    Ctrl-C (or `stop` is set). Messages go through `echo(text, err=bool)`: the URL, each
    re-render, one line per failed render or request (status >= 400), then `Stopped.`
    Returns the exit status: `INTERRUPTED` (130) after Ctrl-C, 0 when `stop` was set."""
    import jinja2

    from builder.site.render import render_site

    base = normalise_base(base)
    stop = stop or threading.Event()
    running: Running | None = None
    status = 0
    where, watched = _shown(site), _shown(templates)
    try:
        watcher = TemplateWatcher(templates)
        running = start(site, base, host, port, log_error_line=lambda line: echo(line, err=True))
        warning = exposure_warning(host)
        if warning:
            echo(warning, err=True)
        try:
            with running.lock:   # requests wait for the first render
                figures = render_site(build_dirs, site, node_modules, templates)
        except jinja2.TemplateError as e:
            raise BuildError(f"render: {one_line(e, templates)}") from None
        echo(f"Serving {where} ({figures['files']} files) at {running.url}")
        echo(f"Re-rendering when a file under {watched} changes; Ctrl-C stops.")
        while not stop.wait(poll):
            names = watcher.changed()
            if not names:
                continue
            time.sleep(poll)   # let an editor finish writing, then take everything
            names = sorted(set(names) | set(watcher.changed()))
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            started = time.perf_counter()
            try:   # the lock covers the switch only: requests go on while the new site is made
                figures = render_site(build_dirs, site, node_modules, templates, switch_lock=running.lock)
            except Exception as e:   # noqa: BLE001 (whatever fails, the previous site stays)
                echo(f"render failed, still serving the previous site: {one_line(e, templates)}",
                     err=True)
                continue
            echo(f"{shown} changed: re-rendered {where} in {time.perf_counter() - started:.1f} s")
    except KeyboardInterrupt:
        status = INTERRUPTED
    finally:
        if running is not None:
            running.stop()
    echo("Stopped.")
    return status
