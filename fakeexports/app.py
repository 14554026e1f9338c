"""Composition: ``create_app(settings)`` builds the runtime (runtime.py), loads the vendors (registry.py) with
their compiled routes and fixtures, and mounts them on an aiohttp application at their path prefixes and real
host names, beside the S3 stand-in and the control API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from yarl import URL

from . import control, fixtures, persist, s3
from .clock import RealClock
from .clocks import CLOCKS, ClockError, Clocks, refused, sweeper
from .clocks import PREFIX as CLOCK_PREFIX
from .journal import explain, reason_line
from .pipeline import JOURNALED, expect_continue
from .registry import REGISTRY, Registry, load_vendors
from .routing import ROUTER, Router
from .runtime import RUNTIME, Runtime, make_runtime
from .settings import Settings
from .transcript import scrub
from .vendors import discover


def _load_fixtures(registry: Registry) -> None:
    """The fixtures loaded at start-up. A FixtureError is the document's, said in one line by the CLI; a ValueError
    or OSError of any other kind is a bug of the fake, which the CLI would say the same way (as a setting's mistake),
    so it leaves as a RuntimeError: its traceback is printed."""
    try:
        fixtures.load_into(registry.vendors, registry.fixture_docs)
    except fixtures.FixtureError:
        raise
    except (ValueError, OSError) as exc:
        raise RuntimeError(f"a bug of the fake while loading the fixtures: {exc!r}") from exc


def create_app(settings: Settings | None = None, *, parent: Runtime | None = None,
               url_prefix: str = "") -> web.Application:
    """The whole fake as an aiohttp application (vendors, S3 stand-in, control API). ``parent`` and ``url_prefix``:
    a clock's world inside a server (clocks.py), with the server's keys, its URLs under ``url_prefix``."""
    settings = settings or Settings()
    runtime = make_runtime(settings, keys=parent.keys if parent is not None else None)
    runtime.url_prefix = url_prefix
    registry = load_vendors(runtime)
    registry.fixture_docs = fixtures.read_fixtures(settings.fixtures, settings.cache_path(),
                                                   [v.decl.fixture_path() for v in registry.vendors.values()])
    state_file = None
    if settings.state:
        state_file = persist.attach(runtime, registry, settings.state)
        if parent is None:  # a clock's world signs with the server's keys, which the server's own file keeps
            runtime.keys.keep_in(runtime.store)  # the keys the file holds, or this server's, written to it now
        runtime.flush()
    else:
        _load_fixtures(registry)

    # Long URLs and headers (a DIDWW filter list, a big token) still reach the vendor, which answers in its
    # own envelope; only beyond 64 KiB does aiohttp's parser answer its plain 400 before routing.
    app = web.Application(client_max_size=settings.max_body,
                          handler_args={"max_line_size": 65536, "max_field_size": 65536})
    app[RUNTIME] = runtime
    app[REGISTRY] = registry
    control.add_routes(app)
    s3.add_routes(app, runtime, registry)
    router = Router()
    if parent is None:  # a server: clocks made through its control API, each a world of its own
        app[CLOCKS] = router.clocks = clocks = Clocks(runtime, _world)
        if state_file is not None:  # --state: the clocks and who is on them, beside the server's state
            clocks.saved = state_file.get_meta("clocks", list)  # made again when the app starts (clocks.sweeper)
            state_file.meta["clocks"] = (lambda: clocks.version, clocks.to_json)
        app.router.add_route("*", CLOCK_PREFIX + "/{clock}/{tail:[\\s\\S]*}", _to_clock,
                             expect_handler=expect_continue)
        app.cleanup_ctx.append(sweeper)
    for name in registry.vendors:
        router.add(runtime, registry.operations[name])
    for mount, dispatch in router.mounts.items():  # the router's mount keys, given to aiohttp's prefix index
        handler = router.entry(dispatch)
        app.router.add_route("*", mount, handler, expect_handler=expect_continue)
        app.router.add_route("*", mount + "/{tail:[\\s\\S]*}", handler, expect_handler=expect_continue)  # a newline too
    app[ROUTER] = router
    app.router.add_route("*", "/{tail:[\\s\\S]*}", _make_root(runtime, registry, router),  # a newline too
                         expect_handler=expect_continue)
    if isinstance(runtime.clock, RealClock):
        app.cleanup_ctx.append(_ticker)
    app.on_cleanup.append(_close_webhooks)
    app.on_cleanup.append(_close_files)
    if runtime.state_file is not None:
        app.on_cleanup.append(_close_state)
    if parent is None:  # a clock's world compiles a validator on its first use only: it serves a test or two
        app.cleanup_ctx.append(_warm_up)
    return app


def _world(settings: Settings, parent: Runtime, url_prefix: str) -> web.Application:
    """A clock's world (clocks.py): a whole fake of its own inside the server."""
    return create_app(settings, parent=parent, url_prefix=url_prefix)


async def _to_clock(request: web.Request) -> web.StreamResponse:
    """Everything under /_clocks/{id}/: the vendor paths of the URLs a clock's answers carry (links, next pages,
    Locations: a credential or a signature admits them there) and the clock's control API, /_clocks/{id}/_fakeexports/
    (its token or the server's control token)."""
    clocks, tail, clock_id = request.app[CLOCKS], request.match_info["tail"], request.match_info["clock"]
    try:
        control = tail == "_fakeexports" or tail.startswith("_fakeexports/")
        timeline = clocks.find(clock_id, request.headers.get("Authorization")) if control else clocks.get(clock_id)
    except ClockError as exc:
        return refused(exc, request)
    raw = request.raw_path  # as sent, its escapes and query kept: the clock's router reads it as the server's would
    return await timeline.forward(request, URL(raw[len(CLOCK_PREFIX) + len(timeline.id) + 1:], encoded=True))


def runner_options(app: web.Application) -> dict[str, Any]:
    """How aiohttp serves the app's connections (make_runner; a test server takes the same): an idle connection, or
    one whose request head does not arrive, is closed after --header-timeout (aiohttp's keep-alive timer, which runs
    from the connection's start and from the end of each answer until a whole head has arrived); a body the fake did
    not read to its end is not waited for after the answer: the connection closes (no lingering)."""
    settings = app[RUNTIME].settings
    log = {"access_log_class": RequestLog, "access_log": logging.getLogger("fakeexports.requests")} \
        if settings.verbose else {"access_log": None}
    return {**log, "keepalive_timeout": settings.header_timeout, "lingering_time": 0}


class RequestLog(AbstractAccessLogger):
    """serve --verbose: a line per vendor request as it is answered (method, path with signatures masked, status,
    real milliseconds), and for each 4xx a second line with its reason (the journal's explanation). The control API
    and the dashboard's own polling are left out. Written to stdout, where serve prints everything else."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        if "/_fakeexports" in request.path:
            return
        lines = [f"{request.method} {scrub(request.path_qs)} {response.status} {time * 1000:.1f} ms"]
        entry = response.get(JOURNALED)
        if entry is not None and 400 <= entry.status < 500:
            lines.append("    " + reason_line(explain(entry)))
        print("\n".join(lines), flush=True)


def make_runner(app: web.Application, **kwargs: Any) -> web.AppRunner:
    """aiohttp's runner for the app as the fake's listener needs it (runner_options)."""
    return web.AppRunner(app, **runner_options(app), **kwargs)


async def _warm_up(app: web.Application) -> AsyncIterator[None]:
    """Compile every request validator once the server listens, one per loop turn, so that startup is not
    held up by it and early requests are served meanwhile (a validator not reached yet compiles on use)."""
    registry = app[REGISTRY]

    async def warm() -> None:
        for operations in registry.operations.values():
            for entry in operations.entries():
                entry.validator.warm()
                await asyncio.sleep(0)

    task = asyncio.create_task(warm())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _make_root(runtime: Runtime, registry: Registry,
               router: Router) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Every request but the control API's and the S3 stand-in's: a vendor's, reached by its mount or its real host
    name, or a plain 404 naming the mounts."""
    mounts = {name: v.mount for name, v in registry.vendors.items()}

    async def root(request: web.Request) -> web.StreamResponse:
        response = await router.dispatch(request)
        if response is not None:
            return response
        return web.json_response(
            {"error": f"nothing at {request.path}", "vendors": mounts, "control": "/_fakeexports/"}, status=404,
            headers={"Date": runtime.date()})

    return root


async def _close_webhooks(app: web.Application) -> None:
    await app[RUNTIME].webhooks.close()


async def _close_files(app: web.Application) -> None:
    app[RUNTIME].sizes.close()


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    """On the real clock, fire scheduled side effects (webhooks...) at their time, when no request arrives."""
    runtime = app[RUNTIME]

    scheduler, clock = runtime.scheduler, runtime.clock
    scheduler.wakeup = asyncio.Event()

    async def tick() -> None:
        assert isinstance(clock, RealClock) and scheduler.wakeup is not None
        while True:
            due = scheduler.next_due()
            delay = 60.0 if due is None else max(0.0, (due - clock.now()) / clock.speed)
            scheduler.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(scheduler.wakeup.wait(), delay)  # woken early by an earlier event
            scheduler.run_due()
            runtime.try_flush()  # what the events changed, durable before anyone reads it (or a 503 until it is)

    task = asyncio.create_task(tick())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_state(app: web.Application) -> None:
    runtime = app[RUNTIME]
    runtime.try_flush()  # what it cannot write was never acknowledged (persist.py): closing says so
    if runtime.state_file is not None:
        runtime.state_file.close()


def vendor_base_urls(settings: Settings, host: str, port: int) -> dict[str, str]:
    """What `serve` prints: one base URL per vendor."""
    origin = settings.public_url.rstrip("/") if settings.public_url else f"{settings.scheme}://{host}:{port}"
    return {name: origin + cls.mount for name, cls in discover().items()
            if not settings.vendors or name in settings.vendors}
