"""Composition: ``create_app(settings)`` builds the runtime (runtime.py), loads the vendors (registry.py) with
their compiled routes and fixtures, and mounts them on an aiohttp application at their path prefixes and real
host names, beside the S3 stand-in and the control API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from . import control, fixtures, s3
from .clock import RealClock
from .faults import Fault
from .persist import StateFile
from .registry import REGISTRY, Registry, load_vendors
from .routing import Router
from .runtime import RUNTIME, Runtime, make_runtime
from .settings import Settings
from .vendor import Vendor
from .vendors import discover

# Where each vendor is reached, its mounts and host names (proxy.py opens tunnels to those hosts only).
ROUTER = web.AppKey("fakeexports_router", Router)


def create_app(settings: Settings | None = None) -> web.Application:
    """The whole fake as an aiohttp application (vendors, S3 stand-in, control API)."""
    settings = settings or Settings()
    runtime = make_runtime(settings)
    registry = load_vendors(runtime)
    registry.fixture_docs = fixtures.read_fixtures(settings.fixtures, settings.cache_path(),
                                                   [v.fixture_path() for v in registry.vendors.values()])
    if settings.state:
        _open_state(runtime, registry, settings.state)
    else:
        fixtures.load_into(registry.vendors, registry.fixture_docs)

    # Long URLs and headers (a DIDWW filter list, a big token) still reach the vendor, which answers in its
    # own envelope; only beyond 64 KiB does aiohttp's parser answer its plain 400 before routing.
    app = web.Application(client_max_size=settings.max_body,
                          handler_args={"max_line_size": 65536, "max_field_size": 65536})
    app[RUNTIME] = runtime
    app[REGISTRY] = registry
    control.add_routes(app)
    s3.add_routes(app, runtime, registry)
    router = Router()
    for name in registry.vendors:
        router.add(runtime, registry.operations[name])
    app[ROUTER] = router
    app.router.add_route("*", "/{tail:[\\s\\S]*}", _make_root(runtime, registry, router))  # a newline too
    if isinstance(runtime.clock, RealClock):
        app.cleanup_ctx.append(_ticker)
    app.on_cleanup.append(_close_webhooks)
    if runtime.state is not None:
        app.on_cleanup.append(_close_state)
    app.cleanup_ctx.append(_warm_up)
    return app


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
            runtime.flush()  # what the events changed, durable before anyone reads it

    task = asyncio.create_task(tick())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


# --- --state ---------------------------------------------------------------------------------------------
def _open_state(runtime: Runtime, registry: Registry, path: str) -> None:
    """Open the state file: a new one gets the fixtures, an existing one is loaded and its jobs re-armed."""
    state = runtime.state = StateFile(path, runtime.settings.seed)
    store, clock = runtime.store, runtime.clock
    webhooks = runtime.webhooks
    if state.empty():
        store.sink = state
        webhooks.sink = state
        fixtures.load_into(registry.vendors, registry.fixture_docs)
    else:
        state.load(store)
        saved_clock = state.get_meta("clock")
        if saved_clock:
            clock.restore(saved_clock)
        store.restore_seq(int(state.get_meta("seq") or 0))
        for fault in state.get_meta("faults") or []:
            runtime.faults.add(Fault(**fault))
        for name, vendor in registry.vendors.items():
            saved = state.get_meta(f"config/{name}")
            if saved:
                vendor.configure({k: v for k, v in saved.items() if k in vendor.config})
        for tenant in store.all_states():
            tenant.sink = state
        store.sink = state
        webhooks.sink = state
        webhooks.restore(state.pending_webhooks())
        for name, vendor in registry.vendors.items():
            for tenant in store.all_states(name):
                for job in list(tenant.jobs.values()):
                    vendor.jobs.arm(tenant, job)  # what came due while it was down runs now
                vendor.restored(tenant)
    state.meta.update({
        "initialized": (lambda: True, lambda: True),
        "seq": (store.last_seq, store.last_seq),
        "clock": (lambda: tuple(clock.snapshot().values()), clock.snapshot),
        "faults": (lambda: runtime.faults.version, runtime.faults.to_json),
        **{f"config/{name}": _config_of(vendor) for name, vendor in registry.vendors.items()},
    })
    webhooks.changed = runtime.flush
    runtime.flush()


def _config_of(vendor: Vendor) -> tuple[Callable[[], Any], Callable[[], dict[str, Any]]]:
    return (lambda: vendor.config_version), (lambda: dict(vendor.config))


async def _close_state(app: web.Application) -> None:
    runtime = app[RUNTIME]
    runtime.flush()
    if runtime.state is not None:
        runtime.state.close()


def vendor_base_urls(settings: Settings, host: str, port: int) -> dict[str, str]:
    """What `serve` prints: one base URL per vendor."""
    origin = settings.public_url.rstrip("/") if settings.public_url else f"{settings.scheme}://{host}:{port}"
    return {name: origin + cls.mount for name, cls in discover().items()
            if not settings.vendors or name in settings.vendors}
