"""`aedemo serve` under untrusted and heavy use (issue 23): malformed requests get their
status and one escaped log line (never a traceback), 300 simultaneous loopback connections
are all served, idle connections are closed, and a re-render holds the server's lock only
for its switch. Every socket goes to 127.0.0.1 with a timeout; the load is bounded (300
small requests)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from builder.site import sitedir
from builder.site.serve import printable, start

TIMEOUT_S = 30   # any one socket operation; generous for a loaded 2-core machine


@pytest.fixture
def server(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><p>hello")
    lines: list[str] = []
    running = start(site, "/aedemo/", log_error_line=lines.append, idle=1.0)
    running.lines = lines
    yield running
    running.stop()


def raw(running, data: bytes) -> bytes:
    """Send `data` on a fresh connection; everything the server answers until it closes."""
    host, port = running.server.server_address[:2]
    with socket.create_connection((host, port), timeout=TIMEOUT_S) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1."), reply[:80]
    return int(reply.split(b" ", 2)[1])


@pytest.mark.parametrize("request_line, status", [
    (b"GET /aedemo/index.html%00 HTTP/1.1", 400),
    (b"GET /aedemo/%00/x HTTP/1.1", 400),
    (b"GET /aedemo/ FOO", 400),
    (b"GET /aedemo/ HTTP/9.9", 505),
    (b"GET /aedemo/" + b"a" * 70_000 + b" HTTP/1.1", 414),
    (b"BREW /aedemo/ HTTP/1.1", 501),
    (b"GET", 400),
])
def test_a_malformed_request_gets_its_status_and_one_log_line(server, capfd, request_line: bytes,
                                                              status: int) -> None:
    reply = raw(server, request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status_of(reply) == status
    time.sleep(0.1)
    assert len(server.lines) == 1 and server.lines[0].startswith(f"{status} "), server.lines
    assert len(server.lines[0]) < 300
    assert "Traceback" not in capfd.readouterr().err
    assert status_of(raw(server, b"GET /aedemo/ HTTP/1.1\r\nConnection: close\r\n\r\n")) == 200


def test_control_characters_are_escaped_in_the_log(server) -> None:
    reply = raw(server, b"GET /aedemo/\x1b[2J\x1b]0;pwned\x07 HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status_of(reply) == 404
    time.sleep(0.1)
    assert len(server.lines) == 1, server.lines
    line = server.lines[0]
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b[2J" in line and "\\x07" in line


def test_printable_escapes_every_control_character() -> None:
    text = "".join(map(chr, range(0, 0x20))) + "\x7f\x9b\u202e\\é"
    shown = printable(text)
    assert shown.isprintable() and shown.isascii() is False   # é stays as it is
    assert "\\x00" in shown and "\\x9b" in shown and "\\u202e" in shown and "\\\\" in shown


def test_300_simultaneous_connections_are_all_served(server) -> None:
    n = 300
    host, port = server.server.server_address[:2]
    barrier = threading.Barrier(n)
    results: list[int | str] = []
    lock = threading.Lock()

    def fetch() -> None:
        try:
            barrier.wait(timeout=TIMEOUT_S)
            with socket.create_connection((host, port), timeout=TIMEOUT_S) as s:
                s.sendall(b"GET /aedemo/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
            outcome: int | str = status_of(reply)
        except Exception as e:   # noqa: BLE001 - a failed fetch is counted, not raised in a thread
            outcome = type(e).__name__
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=fetch) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3 * TIMEOUT_S)
    assert results.count(200) == n, {r: results.count(r) for r in set(results)}


def test_idle_connections_are_closed(server) -> None:
    host, port = server.server.server_address[:2]
    idle = [socket.create_connection((host, port), timeout=TIMEOUT_S) for _ in range(50)]
    try:
        idle[0].sendall(b"GET /aedemo/ HTTP/1.1\r\nHost: x\r\n")   # half a request, then silence
        started = time.monotonic()
        for s in idle:
            while s.recv(65536):   # the server closes it: recv returns b"" (EOF)
                pass
        assert time.monotonic() - started < TIMEOUT_S
        assert status_of(raw(server, b"GET /aedemo/ HTTP/1.1\r\nConnection: close\r\n\r\n")) == 200
    finally:
        for s in idle:
            s.close()


class RecordingLock:
    """A lock that records what the site folder held each time it was taken."""

    def __init__(self, target: Path, tmp_parent: Path) -> None:
        self.target, self.parent, self.seen = target, tmp_parent, []
        self.inner = threading.Lock()

    def __enter__(self) -> None:
        self.inner.acquire()
        tmps = sorted(self.parent.glob(f".{self.target.name}.*.tmp"))
        self.seen.append({"tmp_has_page": bool(tmps) and (tmps[0] / "page.html").is_file(),
                          "target": (self.target / "page.html").read_text() if self.target.exists() else None})

    def __exit__(self, *exc: object) -> None:
        self.inner.release()


def test_a_re_render_holds_the_lock_only_for_the_switch(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with sitedir.replace_site(site, []) as tmp:
        (tmp / "page.html").write_text("one")
        (tmp / sitedir.MARKER).write_bytes(sitedir.marker_bytes({"page.html": b"one"}))
    lock = RecordingLock(site, tmp_path)
    with sitedir.replace_site(site, [], lock) as tmp:
        assert lock.seen == [], "not taken while the new site is written"
        assert lock.inner.acquire(blocking=False)   # free: a request could take it now
        lock.inner.release()
        (tmp / "page.html").write_text("two")
        (tmp / sitedir.MARKER).write_bytes(sitedir.marker_bytes({"page.html": b"two"}))
    assert lock.seen == [{"tmp_has_page": True, "target": "one"}], "taken once, for the switch"
    assert (site / "page.html").read_text() == "two"
