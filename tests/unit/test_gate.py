"""gate.py on its own: which connection makes room at a cap, what the caps are, and a listening socket that runs
out of descriptors backs off and says so once instead of once a try."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import socket
from dataclasses import dataclass, field

import pytest

from fakeexports.gate import RESERVE, Caps, Gate, Listener


@dataclass(eq=False)
class Conn:
    address: str
    closed: list[Conn] = field(default_factory=list)

    def evict(self) -> None:
        self.closed.append(self)


def test_at_the_cap_the_oldest_connection_without_a_request_head_makes_room() -> None:
    gate = Gate(Caps(total=3, per_address=3))
    closed: list[Conn] = []
    first, second, third = (Conn("10.0.0.1", closed) for _ in range(3))
    for conn in (first, second, third):
        assert gate.admit(conn.address)
        gate.enter(conn)
    gate.proven(first)  # sent a whole request head: a real client, kept
    assert gate.admit("10.0.0.2") and closed == [second]
    gate.enter(Conn("10.0.0.2", closed))
    assert gate.admit("10.0.0.3") and closed == [second, third]


def test_with_no_slow_connection_to_close_a_newcomer_is_refused_and_that_is_said_once(
        caplog: pytest.LogCaptureFixture) -> None:
    gate = Gate(Caps(total=2, per_address=2))
    for _ in range(2):
        conn = Conn("10.0.0.1")
        gate.enter(conn)
        gate.proven(conn)
    with caplog.at_level(logging.WARNING, "fakeexports.gate"):
        assert not any([gate.admit("10.0.0.2") for _ in range(100)])
    assert len(caplog.records) == 1 and "at the cap of 2 connections" in caplog.text


def test_one_address_at_its_cap_makes_room_from_its_own_connections_only() -> None:
    gate = Gate(Caps(total=10, per_address=2))
    closed: list[Conn] = []
    other = Conn("10.0.0.9", closed)
    gate.enter(other)  # a slow connection of another address: not closed for this one
    mine = [Conn("10.0.0.1", closed) for _ in range(2)]
    for conn in mine:
        gate.enter(conn)
    assert gate.admit("10.0.0.1") and closed == [mine[0]]
    gate.leave(mine[0])
    gate.leave(mine[0])  # again is nothing
    assert gate.per == {"10.0.0.9": 1, "10.0.0.1": 1}


@pytest.mark.parametrize(("wanted", "per", "limit", "caps"), [
    (0, 0, 1024, Caps(1024 - RESERVE, (1024 - RESERVE) // 2)),  # automatic: below the open-file limit
    (100, 0, 1024, Caps(100, 50)),
    (5000, 4000, 1024, Caps(1024 - RESERVE, 1024 - RESERVE)),  # never above it
    (0, 0, 100, Caps(8, 4)),
])
def test_the_caps_stay_below_the_open_file_limit(wanted: int, per: int, limit: int, caps: Caps) -> None:
    assert Caps.of(wanted, per, limit) == caps


async def test_out_of_descriptors_accepting_backs_off_logs_once_and_resumes(caplog: pytest.LogCaptureFixture) -> None:
    accepted: list[socket.socket] = []
    listener = await Listener.bind("127.0.0.1", 0, 128, lambda conn, _: accepted.append(conn))
    port = listener.sockets[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    held: list[int] = []
    try:
        with caplog.at_level(logging.WARNING, "fakeexports.gate"):
            resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 8, hard))
            with contextlib.suppress(OSError):
                while True:  # no descriptor left for a connection
                    held.append(os.open(os.devnull, os.O_RDONLY))
            for _ in range(50):  # turns of the loop: without the back-off each would try, fail and log again
                await asyncio.sleep(0)
            assert not accepted and listener.paused  # waiting, not spinning
        assert len([r for r in caplog.records if "accepting connections failed" in r.getMessage()]) == 1
        assert "Too many open files" in caplog.text
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        for _ in range(200):  # the back-off ends (50 ms, doubling) and the waiting connections come in
            if len(accepted) == len(clients):
                break
            await asyncio.sleep(0.05)
        assert len(accepted) == len(clients)
    finally:
        listener.close()
        for sock in accepted + clients:
            sock.close()
