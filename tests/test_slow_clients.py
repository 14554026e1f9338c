"""Slow clients cannot take the fake down (gate.py, issue 20 item 5): a flood of connections that each send one
byte, more than the process has descriptors for, leaves the health check answering, the log quiet, and every such
connection closed once --header-timeout has passed.

The server runs in a subprocess whose open-file limit is lowered to LIMIT, so that a few hundred sockets are a
flood: its caps are then LIMIT - gate.RESERVE connections in all and half of that from one address."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

LIMIT = 256  # the server's RLIMIT_NOFILE
FLOOD = 400  # connections sending one byte each: more than LIMIT
HEADER_TIMEOUT = 2.0
HEALTH = b"GET /_fakeexports/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _lower_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, hard))


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FAKEEXPORTS_")},
           "FAKEEXPORTS_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}
    proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--port", "0", "--clock", "virtual",
                             "--fixtures", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_lower_limit, start_new_session=True)
    assert proc.stdout is not None
    port = 0
    for line in proc.stdout:  # one line per vendor, then the control line: ...://127.0.0.1:PORT/_fakeexports/
        if line.startswith("control"):
            port = int(line.split("/_fakeexports/")[0].rsplit(":", 1)[1])
            break
    assert port, "the server did not start"
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the test stops it gracefully; this is when it failed
        proc.wait(15)


def _health(port: int) -> tuple[bytes, float]:
    """The health check's status line and how long it took, on a connection of its own."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(HEALTH)
        data = b""
        while b"\r\n" not in data and (chunk := sock.recv(4096)):
            data += chunk
    return data.split(b"\r\n", 1)[0], time.perf_counter() - start


def _closed(sock: socket.socket, deadline: float) -> bool:
    """The server closed ``sock`` (after a 503, or at once) before ``deadline`` (time.monotonic)."""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
    return False


def test_a_flood_of_one_byte_connections_leaves_health_answering_and_is_closed_after_the_header_timeout(
        server: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = server
    baseline = _health(port)
    assert baseline[0] == b"HTTP/1.1 200 OK"
    flood: list[socket.socket] = []
    try:
        start = time.monotonic()
        for _ in range(FLOOD):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            flood.append(sock)
            with contextlib.suppress(OSError):  # already turned away
                sock.sendall(b"G")
        # the health check answers through the flood (its latency is printed, not asserted)
        status, took = _health(port)
        assert status == b"HTTP/1.1 200 OK"
        print(f"\nhealth latency: idle {baseline[1] * 1000:.1f} ms, under {FLOOD} one-byte connections "
              f"{took * 1000:.1f} ms (server open-file limit {LIMIT})")
        # every one of them is closed once the header timeout has passed (a margin for a loaded machine)
        deadline = start + HEADER_TIMEOUT + 5
        still_open = [sock for sock in flood if not _closed(sock, deadline)]
        assert not still_open, f"{len(still_open)} of {FLOOD} slow connections still open"
        assert _health(port)[0] == b"HTTP/1.1 200 OK"
    finally:
        for sock in flood:
            sock.close()
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    # the log did not flood: a line per interval about the caps, no tracebacks, no "Too many open files" per try
    lines = err.splitlines()
    assert "Traceback" not in err and err.count("Too many open files") <= 2, err[-3000:]
    assert len(lines) <= 20, f"{len(lines)} log lines: {err[-3000:]}"
