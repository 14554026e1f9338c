"""The listening socket: plain HTTP for aiohttp, and HTTP ``CONNECT`` for the vendors' real host names.

With ``HTTPS_PROXY=http://127.0.0.1:8080`` and the fake's CA trusted, an unchanged client asks the fake for a
tunnel to ``bulkexports.twilio.com:443``. The fake answers 200, terminates TLS itself with a certificate for
that host signed by its own CA (ca.py), and hands the decrypted connection to aiohttp: the request then takes
the vendor's host-routed path (routing.Router: inside a tunnel only that host's vendor answers, whatever the
path), and the URLs the vendor emits start with ``https://bulkexports.twilio.com``. A tunnel is opened only to
port 443 of a well-formed name some vendor answers for (one label under a ``*.`` pattern); any other is refused
with a 403, a malformed target with a 400: nothing is ever forwarded.

Each accepted connection (gate.py lets it in) gets a Front for its whole life: it looks at the first bytes once,
then passes everything to aiohttp's protocol, watching only for the end of the first request head (the gate then
no longer counts the connection as a slow one to close first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import ssl
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from .auth import basic_credentials
from .ca import CertificateAuthority, server_context
from .gate import Caps, Gate, Listener, refuse
from .record import Recorder, parse_hosts, parse_upstreams
from .routing import ROUTER, Router
from .settings import Settings

log = logging.getLogger("fakeexports.proxy")

CONNECT = b"CONNECT "
MAX_HEAD = 16384  # a CONNECT request's line and headers; more is not a proxy client
EARLY = "bytes after the CONNECT request: send the TLS handshake once the tunnel is established"
PORT = "443"  # the vendors' APIs are HTTPS on the default port, the only one a tunnel is opened to
_TARGET = re.compile(r"(?P<host>[^:\[\]]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_END_OF_HEAD = (b"\r\n\r\n", b"\n\n")


def well_formed(name: str) -> bool:
    """A DNS name of letters, digits and hyphens (what a vendor's host is), at most 253 characters."""
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


class Tunnels:
    """What the proxy may open: the hosts some vendor answers for, and the CA that signs for them (made on the
    first tunnel, so that a server nobody tunnels through never touches the disk)."""

    def __init__(self, router: Router, ca_dir: str | None, recorder: Recorder | None = None):
        self.router = router
        self.ca_dir = ca_dir
        self.recorder = recorder  # serve --record: tunnels to its hosts go to the real vendor (record.py)
        self._ca: CertificateAuthority | None = None

    def knows(self, host: str) -> bool:
        return self.router.for_host(host) is not None or (self.recorder is not None and self.recorder.records(host))

    def recorded(self, host: str | None) -> bool:
        return host is not None and self.recorder is not None and self.recorder.records(host)

    def certificate_name(self, host: str) -> str:
        """The name to sign for: one ``*.domain`` certificate for every host one label under a wildcard pattern
        (any account's talkdeskid.com host), so that clients naming new hosts do not make new certificates."""
        suffix = self.router.wildcard(host)
        return host if suffix is None else "*" + suffix

    @property
    def ca(self) -> CertificateAuthority:
        if self._ca is None:
            self._ca = CertificateAuthority(self.ca_dir)
        return self._ca


class Front(asyncio.Protocol):
    """One accepted connection: until it is known what it is (a CONNECT, or a request for aiohttp), then in front
    of aiohttp's protocol for the rest of its life, passing everything through."""

    def __init__(self, site: Site, address: str, sock: socket.socket):
        self.site = site
        self.address = address  # the client's, as the gate counts it
        self.sock = sock
        self.transport: asyncio.Transport | None = None  # the TLS session's once a tunnel is open
        self.inner: asyncio.Protocol | None = None  # aiohttp's, once it has the connection
        self.tunnel: str | None = None  # the vendor host of a tunnel (pipeline.tunnel_of reads it)
        self.clock: tuple[str, str] | None = None  # a clock's id and token its CONNECT gave (clocks.tunnel_clock)
        self.buffer = b""
        self.done = False  # the first bytes were looked at
        self.fresh = True  # no whole request head yet
        self.tail = b""  # the last bytes seen while fresh: a head's end may be split between two reads
        self.idle: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None  # the CONNECT being answered (kept: a task must be referenced)
        self.evicted = False

    # --- asyncio.Protocol ----------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.evicted:  # closed to make room before its transport was made
            transport.abort()
            return
        if self.site.tunnels is None:
            self._hand_over(transport, b"")
            return
        self.site.pending.add(self)
        self.idle = asyncio.get_running_loop().call_later(self.site.header_timeout, self._silent)

    def data_received(self, data: bytes) -> None:
        inner = self.inner
        if inner is not None:
            if self.fresh:
                self._look(data)
            inner.data_received(data)
        elif self.done:  # more bytes after a CONNECT's head, before its 200: refused like those sent with it
            if self.task is not None and not self.task.done():
                self.task.cancel()
                self._refuse(400, "Bad Request", EARLY)
        else:
            self._first(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        self.transport = None
        if self.inner is not None:
            self.inner.connection_lost(exc)

    # --- what the connection is -----------------------------------------------------------------------------------
    def _first(self, data: bytes) -> None:
        self.buffer += data
        head = self.buffer[: len(CONNECT)]
        if not CONNECT.startswith(head) and not head.startswith(CONNECT):
            self._hand_over(self.transport, self.buffer)
        elif len(self.buffer) >= len(CONNECT):
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                self._settle()
                if len(self.buffer) > end + 4:  # the handshake must wait for the 200: it could not be read after
                    self._refuse(400, "Bad Request", EARLY)
                    return
                self.task = asyncio.get_running_loop().create_task(self._connect(self.buffer[:end].decode("latin-1")))
                self.task.add_done_callback(self._connected)
            elif len(self.buffer) > MAX_HEAD:
                self._refuse(431, "Request Header Fields Too Large", "the CONNECT request's head is too long")

    def _look(self, data: bytes) -> None:
        seen = self.tail + data
        if any(end in seen for end in _END_OF_HEAD):
            self.fresh, self.tail = False, b""
            self.site.gate.proven(self)
        else:
            self.tail = seen[-3:]

    def _silent(self) -> None:
        """No request (or CONNECT) head within the header timeout: closed."""
        if self.transport is not None:
            self.transport.close()

    def _settle(self) -> None:
        self.done = True
        if self.idle is not None:
            self.idle.cancel()

    def _release(self) -> None:
        """The connection ended, or is being closed: the gate and the site forget it (again is nothing)."""
        self.site.gate.leave(self)
        self.site.pending.discard(self)
        if self.idle is not None:
            self.idle.cancel()

    def _hand_over(self, transport: asyncio.BaseTransport | None, data: bytes) -> None:
        """aiohttp's protocol takes the connection (or the TLS session of a tunnel), this Front still in front."""
        self._settle()
        if transport is None or transport.is_closing():
            self._release()
            return
        assert isinstance(transport, asyncio.Transport)
        self.site.pending.discard(self)
        self.transport = transport
        if transport.get_protocol() is not self:
            transport.set_protocol(self)  # a tunnel's TLS session: its events come here too
        tunnels = self.site.tunnels
        if tunnels is not None and tunnels.recorded(self.tunnel):  # --record: the real vendor answers, never the fake
            assert tunnels.recorder is not None
            handler = tunnels.recorder.server()
        else:
            handler = self.site.web_server()
        self.inner = handler
        handler.connection_made(transport)
        if data:
            self.data_received(data)

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self._settle()
        if self.transport is None:
            return
        body = orjson.dumps({"error": message, "fakeexports": "a tunnel is opened only to a host a vendor of this "
                             "fake answers for; nothing is forwarded"})
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.transport.close()

    def _connected(self, task: asyncio.Task[None]) -> None:
        """Whatever went wrong in _connect is answered and logged in a line, never left hanging."""
        if task.cancelled():
            self.close()
            return
        exc = task.exception()
        if exc is not None:
            log.error("tunnel failed: %r", exc)
            if self.transport is not None and not self.transport.is_closing():
                self._refuse(502, "Bad Gateway", f"the tunnel could not be opened: {exc}")
            self.close()

    def close(self) -> None:
        """Drop a connection that was not handed over (shutdown, or a tunnel that failed)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.transport is not None and self.inner is None:
            self.transport.close()
        if self.inner is None:
            self._release()

    def evict(self) -> None:
        """The gate closes this connection to make room for a newcomer: now, unread bytes and all."""
        self.evicted = True
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.transport is not None:
            self.transport.abort()
        else:  # a --tls port's handshake under way: ending the socket ends it
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        self._release()

    def _target(self, target: str) -> tuple[int, str, str] | None:
        """A refusal of a CONNECT target (status, reason, why), or None for a tunnel to open."""
        m = _TARGET.fullmatch(target)
        if m is None:
            return 400, "Bad Request", f"CONNECT needs host:port, got {target[:200]!r}"
        host = m["host"].lower()
        if not host.startswith("[") and not well_formed(host.removesuffix(".")):
            return 400, "Bad Request", f"{target[:200]!r} does not name a host"
        if not self.site.tunnels or not self.site.tunnels.knows(host.removesuffix(".")) or m["port"] != PORT:
            log.info("refused a tunnel to %s: no vendor of this fake answers there", target)
            return 403, "Forbidden", f"{target[:200]} is not a host this fake serves (vendor hosts, port {PORT} only)"
        return None

    async def _connect(self, head: str) -> None:
        line = head.split("\r\n", 1)[0]
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._refuse(400, "Bad Request", f"not a CONNECT request line: {line[:200]!r}")
            return
        refused = self._target(parts[1])
        if refused is not None:
            self._refuse(*refused)
            return
        tunnels, transport = self.site.tunnels, self.transport
        host = parts[1].rpartition(":")[0].lower().removesuffix(".")
        if transport is None or tunnels is None:
            return
        try:
            context = tunnels.ca.context_for(tunnels.certificate_name(host))
        except (OSError, ValueError) as exc:  # the CA directory cannot be written or holds something else
            log.error("cannot sign for %s: %s", host, exc)
            self._refuse(502, "Bad Gateway", f"the fake's CA is not usable: {exc}")
            return
        transport.write(f"{parts[2]} 200 Connection established\r\n\r\n".encode())
        early = _Early()
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(transport, early, context, server_side=True,
                                       ssl_handshake_timeout=self.site.header_timeout)
        except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as exc:
            # a client that does not trust the CA ends here: say so once, in one line
            log.info("TLS handshake for %s failed: %s", host, exc)
            with contextlib.suppress(Exception):
                transport.close()
            self._release()
            return
        if tls is None or early.lost:
            self._release()
            return
        self.tunnel = host
        self.clock = _proxy_clock(head)
        self._hand_over(tls, early.take())


def _proxy_clock(head: str) -> tuple[str, str] | None:
    """The clock a CONNECT names in its proxy credentials (HTTPS_PROXY=http://<clock id>:<its token>@host:port): the
    requests of that tunnel are that clock's (clocks.py), checked when each arrives."""
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "proxy-authorization":
            creds = basic_credentials(value.strip())
            if creds is not None and creds[0].startswith("clk_"):
                return creds
    return None


class _Early(asyncio.Protocol):
    """Holds what arrives between the end of the handshake and aiohttp taking the connection."""

    def __init__(self) -> None:
        self.data = b""
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.data += data

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True

    def take(self) -> bytes:
        data, self.data = self.data, b""
        return data


class SiteInternals:
    """The private attributes of aiohttp's BaseSite that Site relies on, in one place: the runner whose server makes
    each connection's protocol, the TLS context, the listen backlog, and the asyncio server that BaseSite.stop()
    closes. tests/test_proxy.py checks aiohttp still has them, so that an aiohttp that renames one fails there."""

    NAMES = ("_runner", "_ssl_context", "_backlog", "_server")

    def __init__(self, site: web.BaseSite):
        self.site = site

    @property
    def server(self) -> web.Server:
        server = self.site._runner.server
        assert server is not None
        return server

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        return self.site._ssl_context

    @property
    def backlog(self) -> int:
        return self.site._backlog

    def listening(self, server: asyncio.AbstractServer) -> None:
        self.site._server = server  # BaseSite.stop() closes it


class Site(web.BaseSite):
    """aiohttp's TCPSite, accepting through a Gate (caps on connections, gate.py) with a Front in front of each
    connection; ``tunnels`` None: no proxy; ``ssl_context`` makes the port HTTPS (--tls)."""

    __slots__ = ("gate", "header_timeout", "host", "opening", "pending", "port", "tls", "tunnels", "web_server")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, tunnels: Tunnels | None,
                 ssl_context: ssl.SSLContext | None = None, backlog: int = 1024, caps: Caps | None = None,
                 header_timeout: float = 10.0):
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self.host = host
        self.port = port
        self.tunnels = tunnels
        self.tls = ssl_context
        self.header_timeout = header_timeout
        self.gate = Gate(caps or Caps.of(0, 0))
        self.pending: set[Front] = set()  # connections not handed to aiohttp yet, closed at shutdown
        self.opening: set[asyncio.Task[tuple[asyncio.Transport, asyncio.BaseProtocol]]] = set()
        self.web_server = SiteInternals(self).server  # makes aiohttp's protocol for each connection

    @property
    def name(self) -> str:
        return f"{'https' if SiteInternals(self).ssl_context else 'http'}://{self.host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        internals = SiteInternals(self)
        internals.listening(await Listener.bind(self.host, self.port, internals.backlog, self._accept))

    def _accept(self, conn: socket.socket, address: str) -> None:
        """A connection accepted: let in (its Front made, a TLS port's handshake begun) or turned away."""
        if not self.gate.admit(address):
            refuse(conn, plain=self.tls is None)
            return
        conn.setblocking(False)
        front = Front(self, address, conn)
        self.gate.enter(front)
        loop = asyncio.get_running_loop()
        task = loop.create_task(loop.connect_accepted_socket(
            lambda: front, conn, ssl=self.tls, ssl_handshake_timeout=self.header_timeout if self.tls else None))
        self.opening.add(task)
        task.add_done_callback(lambda done: self._opened(front, conn, done))

    def _opened(self, front: Front, conn: socket.socket,
                task: asyncio.Task[tuple[asyncio.Transport, asyncio.BaseProtocol]]) -> None:
        self.opening.discard(task)
        failed = task.cancelled() or task.exception() is not None  # a --tls port's handshake that failed...
        if failed:
            log.debug("a connection from %s ended before it opened: %r", front.address,
                      None if task.cancelled() else task.exception())
            front._release()
            conn.close()

    async def stop(self) -> None:
        """Close the listener, then the connections still being looked at or tunnelling (aiohttp closes its own)."""
        await super().stop()
        if self.tunnels is not None and self.tunnels.recorder is not None:
            await self.tunnels.recorder.close()
        for task in list(self.opening):
            task.cancel()
        for front in list(self.pending):
            front.close()


def tunnels_for(app: web.Application, settings: Settings) -> Tunnels | None:
    if not settings.proxy:
        if settings.record:
            raise ValueError("--record records through the proxy: it cannot be used with --no-proxy")
        return None
    recorder = None
    if settings.record:
        recorder = Recorder(settings.record, parse_hosts(settings.record_hosts), parse_upstreams(settings.upstreams))
    return Tunnels(app[ROUTER], settings.ca_dir, recorder)


def tls_context(settings: Settings, tunnels: Tunnels | None) -> ssl.SSLContext | None:
    """--tls: the given certificate, else one from the fake's CA for the names a client may use for the fake."""
    if settings.tls_cert:
        return server_context(certfile=settings.tls_cert, keyfile=settings.tls_key)
    if not settings.https:
        return None
    names = ["localhost", "127.0.0.1", "::1"]
    if settings.host not in ("0.0.0.0", "::", *names):
        names.append(settings.host)
    public = urlsplit(settings.public_url).hostname if settings.public_url else None
    if public and public not in names:
        names.insert(0, public)
    ca = tunnels.ca if tunnels is not None else CertificateAuthority(settings.ca_dir)
    return ca.context_for(*names)


async def listen(runner: web.AppRunner, settings: Settings) -> Site:
    """Start the fake's one listening port on ``runner`` (set up, app.make_runner): HTTP or HTTPS, with the CONNECT
    proxy, connections capped and timed as the settings say."""
    tunnels = tunnels_for(runner.app, settings)
    site = Site(runner, settings.host, settings.port, tunnels, tls_context(settings, tunnels),
                caps=Caps.of(settings.max_connections, settings.max_connections_per_address),
                header_timeout=settings.header_timeout)
    await site.start()
    return site
