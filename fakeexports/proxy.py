"""The listening socket: plain HTTP for aiohttp, and HTTP ``CONNECT`` for the vendors' real host names.

With ``HTTPS_PROXY=http://127.0.0.1:8080`` and the fake's CA trusted, an unchanged client asks the fake for a
tunnel to ``bulkexports.twilio.com:443``. The fake answers 200, terminates TLS itself with a certificate for
that host signed by its own CA (ca.py), and hands the decrypted connection to aiohttp: the request then takes
the same path as one that reached the fake with ``Host: bulkexports.twilio.com`` (routing.Router), and
the URLs the vendor emits start with ``https://bulkexports.twilio.com``. A tunnel to any other host is
refused with a 403: nothing is ever forwarded.

The first bytes of each connection are looked at once; a connection that is not a CONNECT is given to aiohttp
as it is, so keep-alive requests pay nothing for this."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from .app import ROUTER
from .ca import CertificateAuthority, server_context
from .routing import Router
from .settings import Settings

log = logging.getLogger("fakeexports.proxy")

CONNECT = b"CONNECT "
MAX_HEAD = 16384  # a CONNECT request's line and headers; more is not a proxy client
EARLY = "bytes after the CONNECT request: send the TLS handshake once the tunnel is established"
IDLE = 75.0  # seconds a connection may stay silent before its first request (aiohttp's keep-alive timeout)


class Tunnels:
    """What the proxy may open: the hosts some vendor answers for, and the CA that signs for them (made on the
    first tunnel, so that a server nobody tunnels through never touches the disk)."""

    def __init__(self, router: Router, ca_dir: str | None):
        self.router = router
        self.ca_dir = ca_dir
        self._ca: CertificateAuthority | None = None

    def knows(self, host: str) -> bool:
        return self.router.for_host(host) is not None

    def certificate_name(self, host: str) -> str:
        """The name to sign for: one ``*.domain`` certificate for every host one label under a wildcard pattern
        (any account's talkdeskid.com host), so that clients naming new hosts do not make new certificates."""
        for suffix, _ in self.router.wildcards:  # ".talkdeskid.com"
            label = host[: -len(suffix)]
            if host.endswith(suffix) and label and "." not in label:
                return "*" + suffix
        return host

    @property
    def ca(self) -> CertificateAuthority:
        if self._ca is None:
            self._ca = CertificateAuthority(self.ca_dir)
        return self._ca


class Front(asyncio.Protocol):
    """One accepted connection until it is known what it is; then aiohttp's own protocol takes it over."""

    def __init__(self, server: web.Server, tunnels: Tunnels, pending: set[Front]):
        self.server = server
        self.tunnels = tunnels
        self.pending = pending  # the Site's connections not handed over yet, closed at shutdown
        self.handed = False
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.done = False
        self.idle: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None  # the CONNECT being answered (kept: a task must be referenced)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending.add(self)
        self.idle = asyncio.get_running_loop().call_later(IDLE, self._silent)

    def _silent(self) -> None:
        if not self.done and self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.done:  # more bytes after a CONNECT's head, before its 200: refused like those sent with it
            if self.task is not None and not self.task.done():
                self.task.cancel()
                self._refuse(400, "Bad Request", EARLY)
            return
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

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.pending.discard(self)
        if self.idle is not None:
            self.idle.cancel()

    def _settle(self) -> None:
        self.done = True
        if self.idle is not None:
            self.idle.cancel()

    def _hand_over(self, transport: asyncio.BaseTransport | None, data: bytes) -> None:
        self._settle()
        if transport is None or transport.is_closing():
            return
        self.handed = True
        self.pending.discard(self)
        handler = self.server()
        handler.connection_made(transport)
        transport.set_protocol(handler)
        if data:
            handler.data_received(data)

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
        if self.transport is not None and not self.handed:
            self.transport.close()

    async def _connect(self, head: str) -> None:
        line = head.split("\r\n", 1)[0]
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._refuse(400, "Bad Request", f"not a CONNECT request line: {line[:200]!r}")
            return
        target = parts[1]
        host, _, port = target.rpartition(":")
        host = host.strip("[]").lower()
        if not host or not port.isdigit():
            self._refuse(400, "Bad Request", f"CONNECT needs host:port, got {target[:200]!r}")
            return
        if not self.tunnels.knows(host):
            log.info("refused a tunnel to %s: no vendor of this fake answers for it", target)
            self._refuse(403, "Forbidden", f"{target[:200]} is not a host this fake serves")
            return
        transport = self.transport
        if transport is None:
            return
        try:
            context = self.tunnels.ca.context_for(self.tunnels.certificate_name(host))
        except (OSError, ValueError) as exc:  # the CA directory cannot be written or holds something else
            log.error("cannot sign for %s: %s", host, exc)
            self._refuse(502, "Bad Gateway", f"the fake's CA is not usable: {exc}")
            return
        transport.write(f"{parts[2]} 200 Connection established\r\n\r\n".encode())
        early = _Early()
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(transport, early, context, server_side=True, ssl_handshake_timeout=30)
        except (OSError, ssl.SSLError, ConnectionError, TimeoutError) as exc:
            # a client that does not trust the CA ends here: say so once, in one line
            log.info("TLS handshake for %s failed: %s", host, exc)
            with contextlib.suppress(Exception):
                transport.close()
            return
        if tls is None:
            return
        self._hand_over(tls, early.take())


class _Early(asyncio.Protocol):
    """Holds what arrives between the end of the handshake and aiohttp taking the connection."""

    def __init__(self) -> None:
        self.data = b""

    def data_received(self, data: bytes) -> None:
        self.data += data

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
    """aiohttp's TCPSite, with Front in front of each connection; ``ssl_context`` makes the port HTTPS (--tls)."""

    __slots__ = ("host", "pending", "port", "tunnels")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, tunnels: Tunnels | None,
                 ssl_context: ssl.SSLContext | None = None, backlog: int = 1024):
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self.host = host
        self.port = port
        self.tunnels = tunnels
        self.pending: set[Front] = set()

    @property
    def name(self) -> str:
        return f"{'https' if SiteInternals(self).ssl_context else 'http'}://{self.host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        internals = SiteInternals(self)
        server, tunnels, pending = internals.server, self.tunnels, self.pending
        factory: Callable[[], asyncio.BaseProtocol] = (
            server if tunnels is None else (lambda: Front(server, tunnels, pending)))  # type: ignore[assignment]
        internals.listening(await asyncio.get_running_loop().create_server(
            factory, self.host, self.port, ssl=internals.ssl_context, backlog=internals.backlog, reuse_address=True))

    async def stop(self) -> None:
        """Close the listener, then the connections still being looked at or tunnelling (aiohttp closes its own)."""
        await super().stop()
        for front in list(self.pending):
            front.close()


def tunnels_for(app: web.Application, settings: Settings) -> Tunnels | None:
    if not settings.proxy:
        return None
    return Tunnels(app[ROUTER], settings.ca_dir)


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
    """Start the fake's one listening port on ``runner`` (set up): HTTP or HTTPS, with the CONNECT proxy."""
    tunnels = tunnels_for(runner.app, settings)
    site = Site(runner, settings.host, settings.port, tunnels, tls_context(settings, tunnels))
    await site.start()
    return site
