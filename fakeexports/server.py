"""Running the app: ``serve`` for the CLI, and ServerThread, a server on its own event loop in a
background thread for synchronous tests (official SDKs) with helpers that act on the loop directly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from .app import create_app, make_runner
from .proxy import Site, listen
from .registry import REGISTRY, Registry
from .runtime import RUNTIME, Runtime
from .settings import Settings

T = TypeVar("T")


class ServerThread:
    """A fakeexports server on 127.0.0.1 (a free port unless one is set) in a daemon thread.

    >>> with ServerThread(Settings(clock="virtual")) as server:
    ...     server.url  # 'http://127.0.0.1:PORT'
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = (settings or Settings(clock="virtual", strict=True)).with_(
            port=(settings.port if settings and settings.port != 8080 else 0)
        )
        self.app: web.Application | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.site: Site | None = None

    @property
    def url(self) -> str:
        return f"{self.settings.scheme}://{self.settings.host}:{self.port}"

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None
        return self.app[RUNTIME]

    @property
    def registry(self) -> Registry:
        assert self.app is not None
        return self.app[REGISTRY]

    def proxy_env(self) -> dict[str, str]:
        """The environment that sends an unchanged client's HTTPS for a vendor's real host to this fake: the proxy
        and the fake's CA (made if missing) for requests (REQUESTS_CA_BUNDLE) and httpx/OpenSSL (SSL_CERT_FILE)."""
        assert self.site is not None and self.site.tunnels is not None, "the proxy is off (proxy=False)"
        ca = str(self.site.tunnels.ca.cert_path)
        return {"HTTPS_PROXY": self.url, "https_proxy": self.url, "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca}

    def vendor_url(self, vendor: str) -> str:
        return self.url + self.registry.vendors[vendor].mount

    def start(self) -> ServerThread:
        self._thread = threading.Thread(target=self._run, name="fakeexports-server", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError("fakeexports server failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            self._ready.set()
        finally:
            _cancel_left(loop)
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self.app = create_app(self.settings)
        runner = make_runner(self.app)
        await runner.setup()
        self.site = await listen(runner, self.settings)
        self.port = int(runner.addresses[0][1])
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, fn: Callable[..., T], *args: Any, timeout: float = 60) -> T:
        """Run a plain function on the server's loop and wait for its result: one wake-up of the loop and one of
        this thread (no task, no future), for what the pytest plugin does before every test."""
        assert self.loop is not None
        done = threading.Event()
        out: list[Any] = []

        def go() -> None:
            try:
                out.append((True, fn(*args)))
            except BaseException as exc:  # raised again in the caller's thread
                out.append((False, exc))
            done.set()

        self.loop.call_soon_threadsafe(go)
        if not done.wait(timeout):
            raise TimeoutError("the fake server did not answer")
        ok, value = out[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def advance(self, seconds: float) -> int:
        """Move the fake clock forward, firing due events; returns how many fired."""
        return self.call(self.runtime.scheduler.advance(seconds))

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        async def do() -> int:
            return self.registry.reset(vendor, tenant)

        return self.call(do())

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None and self._thread is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
        self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _cancel_left(loop: asyncio.AbstractEventLoop) -> None:
    """What is still running when the server has stopped (aiohttp lingering over a body a client will never send),
    cancelled and awaited as asyncio.run does, so that no task is destroyed pending."""
    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
