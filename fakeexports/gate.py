"""Who gets in: the fake's listening sockets accept connections themselves (not through asyncio's server), count
them in all and per client address against caps kept below the process's open-file limit, and back off when
accepting fails, saying so once an interval instead of once a try.

Theory of operation. A connection is *fresh* until a whole request head has arrived on it (proxy.Front watches for
the blank line). When a cap is reached, a newcomer takes the place of the oldest fresh connection (of its own
address, when that address's cap is the one reached): a slow or silent client is the first to go, so a flood of
them cannot keep a real client, or the health check, out. With no fresh connection to close, the newcomer is
refused at once (a 503 on a plain port). Fresh connections also end on their own: a request head must arrive
within ``--header-timeout`` (proxy.Front's timer before aiohttp has the connection, aiohttp's keep-alive timer
after, the TLS handshake's limit in between). Python 3.11's own accept loop, out of descriptors, logs and retries
once per connection waiting in the backlog, on every turn of the loop: hundreds of thousands of tracebacks a
minute, the reason this module exists."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("fakeexports.gate")

RESERVE = 128  # descriptors never given to connections: the state file, webhook calls, the CA, logs, the loop's own
LOG_EVERY = 10.0  # seconds between two lines about the same trouble
BACKOFF_FIRST, BACKOFF_MAX = 0.05, 1.0  # seconds before accepting again after a failure, doubling
# Connections accepted per wake-up of a listening socket, before other work gets a turn. Small: a connection closed
# to make room gives its descriptor back a turn or two of the loop later, and RESERVE must cover those meanwhile.
BATCH = 16
OUT_OF = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_BUSY = b'{"error": "too many connections to the fake at once; try again when one has ended"}'
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY), _BUSY))


def open_files_limit() -> int:
    """The process's soft limit on open descriptors (RLIMIT_NOFILE), a large number where there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 20 if soft == resource.RLIM_INFINITY else int(soft)


@dataclass(frozen=True)
class Caps:
    """Connections open at once, in all and from one address."""

    total: int
    per_address: int

    @classmethod
    def of(cls, max_connections: int, per_address: int, limit: int | None = None) -> Caps:
        """The settings' caps (0: automatic), never above the open-file limit less RESERVE."""
        room = max((open_files_limit() if limit is None else limit) - RESERVE, 8)
        total = min(max_connections or room, room)
        return cls(total, min(per_address or max(total // 2, 1), total))


class Conn(Protocol):
    """What the gate needs of a connection (proxy.Front is one)."""

    address: str

    def evict(self) -> None:
        """Close it now: a newcomer takes its place."""


class OncePer:
    """A log line about one trouble at most once an interval, with how often it happened meanwhile."""

    def __init__(self, what: str, every: float = LOG_EVERY):
        self.what = what
        self.every = every
        self.count = 0
        self.last = -every

    def note(self, detail: str) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.every:
            log.warning("fakeexports: %s (%d time%s in the last %.0f s; said again at most every %.0f s): %s",
                        self.what, self.count, "" if self.count == 1 else "s", min(now - self.last, self.every),
                        self.every, detail)
            self.count, self.last = 0, now


class Gate:
    """The connections open on a server's listening sockets, by address, and which of them are still fresh."""

    def __init__(self, caps: Caps):
        self.caps = caps
        self.open: dict[Conn, None] = {}
        self.per: dict[str, int] = {}
        self.fresh: dict[Conn, None] = {}  # oldest first
        self.fresh_per: dict[str, dict[Conn, None]] = {}
        self.turned_away = OncePer(f"at the cap of {caps.total} connections ({caps.per_address} from one address): "
                                   "slow ones closed to make room, or newcomers refused")

    def admit(self, address: str) -> bool:
        """Room for one more connection from ``address``, made by closing the oldest fresh connection where a cap is
        reached; False: there is none to close, the newcomer must be refused."""
        if self.per.get(address, 0) >= self.caps.per_address and not self._evict(self.fresh_per.get(address)):
            self.turned_away.note(f"refused a connection from {address}")
            return False
        if len(self.open) >= self.caps.total and not self._evict(self.fresh):
            self.turned_away.note(f"refused a connection from {address}")
            return False
        return True

    def _evict(self, pool: dict[Conn, None] | None) -> bool:
        if not pool:
            return False
        victim = next(iter(pool))
        self.leave(victim)
        victim.evict()
        self.turned_away.note(f"closed a connection from {victim.address} that sent no request head, to make room")
        return True

    def enter(self, conn: Conn) -> None:
        self.open[conn] = None
        self.per[conn.address] = self.per.get(conn.address, 0) + 1
        self.fresh[conn] = None
        self.fresh_per.setdefault(conn.address, {})[conn] = None

    def proven(self, conn: Conn) -> None:
        """A whole request head arrived on ``conn``: it is no longer the first to make room."""
        self.fresh.pop(conn, None)
        mine = self.fresh_per.get(conn.address)
        if mine is not None:
            mine.pop(conn, None)
            if not mine:
                del self.fresh_per[conn.address]

    def leave(self, conn: Conn) -> None:
        """``conn`` ended (or is being closed); again is nothing."""
        if conn not in self.open:
            return
        del self.open[conn]
        self.proven(conn)
        left = self.per[conn.address] - 1
        if left:
            self.per[conn.address] = left
        else:
            del self.per[conn.address]


Accept = Callable[[socket.socket, str], None]


class Listener(asyncio.AbstractServer):
    """Listening sockets whose connections are accepted here, handed to ``accept`` (socket, client address); when
    accepting fails (out of descriptors, of buffers) a socket waits BACKOFF_FIRST, doubling to BACKOFF_MAX, and
    the failure is logged once an interval. ``sockets`` and ``close`` as asyncio's Server, for aiohttp's site."""

    def __init__(self, sockets: list[socket.socket], accept: Accept):
        self.sockets = tuple(sockets)
        self.accept = accept
        self.loop = asyncio.get_running_loop()
        self.serving = False
        self.delay = BACKOFF_FIRST
        self.paused: dict[socket.socket, asyncio.TimerHandle] = {}
        self.failing = OncePer("accepting connections failed; they wait in the backlog and accepting is retried "
                               f"after {BACKOFF_FIRST}-{BACKOFF_MAX} s")
        self.closed = asyncio.Event()

    @classmethod
    async def bind(cls, host: str, port: int, backlog: int, accept: Accept) -> Listener:
        """Sockets bound and listening on every address ``host`` names, as asyncio's create_server binds them."""
        infos = await asyncio.get_running_loop().getaddrinfo(host or None, port, family=socket.AF_UNSPEC,
                                                             type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
                try:
                    sock.bind(address)
                except OSError as exc:
                    raise OSError(exc.errno, f"error while attempting to bind on address {address!r}: "
                                  f"{(exc.strerror or '').lower()}") from None
            for sock in sockets:
                sock.listen(backlog)
                sock.setblocking(False)
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        listener = cls(sockets, accept)
        await listener.start_serving()
        return listener

    def _ready(self, sock: socket.socket) -> None:
        for _ in range(BATCH):
            try:
                conn, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # out of descriptors or buffers (EMFILE...), or worse: wait, then try again
                self._back_off(sock, exc)
                return
            self.delay = BACKOFF_FIRST
            self.accept(conn, address[0] if isinstance(address, tuple) else str(address))

    def _back_off(self, sock: socket.socket, exc: OSError) -> None:
        self.loop.remove_reader(sock.fileno())
        self.paused[sock] = self.loop.call_later(self.delay, self._resume, sock)
        kind = "out of resources" if exc.errno in OUT_OF else "an error"
        self.failing.note(f"{kind}: {exc}")
        self.delay = min(self.delay * 2, BACKOFF_MAX)

    def _resume(self, sock: socket.socket) -> None:
        self.paused.pop(sock, None)
        if self.serving:
            self.loop.add_reader(sock.fileno(), self._ready, sock)

    # --- asyncio.AbstractServer ----------------------------------------------------------------------------------
    def close(self) -> None:
        if self.closed.is_set():
            return
        self.serving = False
        for sock in self.sockets:
            if sock in self.paused:
                self.paused.pop(sock).cancel()
            else:
                self.loop.remove_reader(sock.fileno())
            sock.close()
        self.closed.set()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop

    def is_serving(self) -> bool:
        return self.serving

    async def start_serving(self) -> None:
        if not self.serving and not self.closed.is_set():
            self.serving = True
            for sock in self.sockets:
                self.loop.add_reader(sock.fileno(), self._ready, sock)

    async def serve_forever(self) -> None:
        await self.start_serving()
        await self.closed.wait()

    async def wait_closed(self) -> None:
        await self.closed.wait()


def refuse(conn: socket.socket, plain: bool) -> None:
    """Turn a connection away at once: a 503 first where the port speaks plain HTTP (a best effort: nothing waits)."""
    with contextlib.suppress(OSError):
        if plain:
            conn.setblocking(False)
            conn.send(REFUSED)
    conn.close()
