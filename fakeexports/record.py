"""``serve --record DIR``: the proxy's tunnels to the hosts named in ``--record-hosts`` go to the real vendor, and
each exchange is saved as a transcript (transcript.py: credentials, tokens and signed URLs removed) for
``fakeexports import``. Off by default. While it is on, what a client sends to those hosts leaves the machine:
to ``https://HOST``, or where ``--upstreams`` maps HOST (a vendor's sandbox, or a test's second fake). Tunnels to
every other vendor host are answered by the fake as always; nothing else is ever forwarded.

A recorded tunnel is served by a small aiohttp server of its own (Recorder.server), never by the fake's app: the
fake's routes, its S3 stand-in and its control API cannot answer inside it."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from yarl import URL

from .transcript import Exchange, Transcript, date_of

HOP = frozenset({"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
                 "transfer-encoding", "upgrade", "content-length", "content-encoding"})


def parse_hosts(text: str | None) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in (text or "").split(",") if h.strip())


def parse_upstreams(text: str | None) -> dict[str, str]:
    """``HOST=URL,...``; a ValueError names a pair that is not one."""
    out = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        host, sep, url = pair.partition("=")
        if not sep or not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"--upstreams takes HOST=URL pairs (http:// or https://), not {pair.strip()!r}")
        out[host.strip().lower()] = url.strip().rstrip("/")
    return out


class Recorder:
    """Forwards a recorded tunnel's requests and keeps its exchanges: one transcript a host, rewritten after each
    exchange (a crash loses none that was answered)."""

    def __init__(self, folder: str, hosts: tuple[str, ...], upstreams: dict[str, str], timeout: float = 120.0):
        if not hosts:
            raise ValueError("--record needs --record-hosts: the vendor hosts whose tunnels go to the real vendor")
        self.folder = Path(folder)
        self.hosts = hosts
        self.upstreams = upstreams
        self.timeout = timeout
        self.started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.transcripts: dict[str, Transcript] = {}
        self._session: aiohttp.ClientSession | None = None
        self._server: web.Server | None = None

    def records(self, host: str) -> bool:
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.hosts)

    def server(self) -> web.RequestHandler:  # type: ignore[type-arg]
        """aiohttp's protocol for one recorded tunnel."""
        if self._server is None:
            self._server = web.Server(self.forward)
        return self._server()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.BaseRequest) -> web.StreamResponse:
        transport = request.transport
        host = getattr(transport.get_protocol(), "tunnel", None) if transport is not None else None
        if host is None:  # not in a tunnel: cannot happen (only tunnels are handed here)
            return web.Response(status=502, text="fakeexports --record: not a tunnel")
        target = request.raw_path
        if not target.startswith("/"):  # absolute-form or worse: a tunnel carries origin-form requests only
            return web.Response(status=400, text="fakeexports --record: a request in a tunnel names a path (/...)")
        upstream = self.upstreams.get(host, f"https://{host}")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        if upstream.startswith("http://"):  # a mapped upstream without TLS: it writes its links as the vendor would
            headers["X-Forwarded-Proto"] = "https"
        body = await request.read()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.request(request.method, URL(upstream + target, encoded=True),
                                             headers=headers, data=body or None, allow_redirects=False) as resp:
                data = await resp.read()
                answered = {str(k): str(v) for k, v in resp.headers.items() if k.lower() not in HOP}
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            data = f"fakeexports --record could not reach {upstream}: {type(exc).__name__}: {exc}".encode()
            status, answered = 502, {"Content-Type": "text/plain"}
        self.keep(host, Exchange("recorded", request.method, f"https://{host}{target}",
                                 dict(request.headers), body, status, answered, data, date_of(answered)))
        return web.Response(status=status, body=data, headers=answered)

    def keep(self, host: str, exchange: Exchange) -> None:
        """Kept redacted and cut (a whole download is not held for the server's life), then written."""
        t = self.transcripts.setdefault(host, Transcript(host, f"https://{host}"))
        t.exchanges.append(exchange.redacted())
        t.save(self.folder, f"{host}-{self.started}.json")
