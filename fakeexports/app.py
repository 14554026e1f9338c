"""Composition: ``create_app(settings)`` builds the Runtime (clock, scheduler, store, journal, faults,
credentials, S3 signer), the vendors with their compiled routes, and the aiohttp application that mounts
each vendor at its path prefix and its real host names, the S3 stand-in and the control API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import control, fixtures, s3
from .auth import Credentials
from .clock import Clock, RealClock, Scheduler, Timer, VirtualClock, parse_rfc3339
from .faults import Faults
from .files import Pools
from .journal import Journal
from .routing import HostRouter, VendorRoutes, add_vendor_routes
from .settings import Settings
from .specs import SpecDoc, data_dir, load_spec
from .store import Store
from .vendor import Vendor
from .vendors import discover
from .webhooks import Webhooks
from .wire import HttpDate


@dataclass(eq=False)
class Runtime:
    """Everything one app shares between its vendors. Two apps in one process share nothing."""

    settings: Settings
    clock: Clock
    scheduler: Scheduler
    store: Store
    journal: Journal
    faults: Faults
    credentials: Credentials
    signer: s3.Signer
    pools: Pools
    vendors: dict[str, Vendor] = field(default_factory=dict)
    routes: dict[str, VendorRoutes] = field(default_factory=dict)
    fixture_docs: list[dict[str, Any]] = field(default_factory=list)
    webhooks: Webhooks = field(init=False)

    def __post_init__(self) -> None:
        self.webhooks = Webhooks(self)

    def reset(self, vendor: str | None = None, tenant: str | None = None, *, clock: bool = False) -> int:
        """Drop state (all, one vendor's, or one tenant's) and load the fixtures for that scope again.
        ``clock=True`` (a full reset on the virtual clock only) also puts the clock back at its start,
        so that every test begins at the same moment."""
        if clock and (vendor is not None or tenant is not None or not isinstance(self.clock, VirtualClock)):
            raise ValueError("only a full reset on the virtual clock can restart the clock")
        dropped = self.store.reset(vendor, tenant)
        for name, v in self.vendors.items():
            if vendor is None or name == vendor:
                v.reset(tenant)
        if vendor is None and tenant is None:
            self.scheduler.clear()
            self.faults.clear()
            self.webhooks.attempts.clear()
            if clock:
                assert isinstance(self.clock, VirtualClock)
                self.clock.restart()
        elif tenant is None:
            self.faults.clear(vendor)
        fixtures.load_into(self, self.fixture_docs, vendor, tenant)
        return dropped


RUNTIME = web.AppKey("fakeexports_runtime", Runtime)


def make_runtime(settings: Settings) -> Runtime:
    if settings.clock == "virtual":
        clock: Clock = VirtualClock(parse_rfc3339(settings.start) if settings.start else None)
    else:
        clock = RealClock(settings.speed)
    journal = Journal(settings.journal_size)

    def on_error(timer: Timer, exc: BaseException) -> None:
        import traceback

        tb = "".join(traceback.format_exception(exc))
        journal.server_error(clock.now(), f"scheduled event {timer.label}", repr(exc), tb)

    secret = hashlib.blake2b(f"fakeexports-s3-{settings.seed}".encode(), digest_size=32).digest()
    return Runtime(
        settings=settings,
        clock=clock,
        scheduler=Scheduler(clock, on_error),
        store=Store(),
        journal=journal,
        faults=Faults(),
        credentials=Credentials.load(settings.credentials),
        signer=s3.Signer(secret),
        pools=Pools(settings.seed),
    )


def load_vendors(runtime: Runtime) -> None:
    classes = discover()
    wanted = runtime.settings.vendors or tuple(classes)
    unknown = sorted(set(wanted) - set(classes))
    if unknown:
        raise ValueError(f"unknown vendors {unknown}; known: {sorted(classes)}")
    spec_root = data_dir("specs")
    for name in wanted:
        vendor = classes[name](runtime)
        docs: dict[str, SpecDoc] = {
            key: load_spec(name, key, spec_root / filename, runtime.settings.cache_path())
            for key, filename in vendor.specs.items()
        }
        runtime.vendors[name] = vendor
        runtime.routes[name] = VendorRoutes(vendor, docs)


def create_app(settings: Settings | None = None) -> web.Application:
    """The whole fake as an aiohttp application (vendors, S3 stand-in, control API)."""
    settings = settings or Settings()
    runtime = make_runtime(settings)
    load_vendors(runtime)
    runtime.fixture_docs = fixtures.read_fixtures(settings.fixtures, settings.cache_path())
    fixtures.load_into(runtime, runtime.fixture_docs)

    # Long URLs and headers (a DIDWW filter list, a big token) still reach the vendor, which answers in its
    # own envelope; only beyond 64 KiB does aiohttp's parser answer its plain 400 before routing.
    app = web.Application(client_max_size=settings.max_body,
                          handler_args={"max_line_size": 65536, "max_field_size": 65536})
    app[RUNTIME] = runtime
    control.add_routes(app, runtime)
    s3.add_routes(app, runtime)
    hosts = HostRouter()
    for name, vendor in runtime.vendors.items():
        add_vendor_routes(app.router, runtime, runtime.routes[name], vendor.mount)
        hosts.add(runtime, runtime.routes[name])
    app.router.add_route("*", "/{tail:.*}", _make_root(runtime, hosts))
    if isinstance(runtime.clock, RealClock):
        app.cleanup_ctx.append(_ticker)
    app.on_cleanup.append(_close_webhooks)
    app.on_response_prepare.append(_date_on_the_fake_clock(runtime))
    app.cleanup_ctx.append(_warm_up)
    return app


async def _warm_up(app: web.Application) -> AsyncIterator[None]:
    """Compile every request validator once the server listens, one per loop turn, so that startup is not
    held up by it and early requests are served meanwhile (a validator not reached yet compiles on use)."""
    runtime = app[RUNTIME]

    async def warm() -> None:
        for routes in runtime.routes.values():
            for by_key in routes.table.values():
                for _, _, validator, _ in by_key.values():
                    validator.warm()
                    await asyncio.sleep(0)

    task = asyncio.create_task(warm())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _make_root(runtime: Runtime, hosts: HostRouter):  # type: ignore[no-untyped-def]
    """Whatever no mount matched: a vendor reached by its real host name, or a plain 404 naming the mounts."""
    mounts = {name: v.mount for name, v in runtime.vendors.items()}

    async def root(request: web.Request) -> web.StreamResponse:
        response = await hosts.dispatch(request)
        if response is not None:
            return response
        return web.json_response(
            {"error": f"nothing at {request.path}", "vendors": mounts, "control": "/_fakeexports/"}, status=404
        )

    return root


def _date_on_the_fake_clock(runtime: Runtime):  # type: ignore[no-untyped-def]
    """Every answer's ``Date`` is the fake clock's, like every other time the fake shows."""
    clock, http_date = runtime.clock, HttpDate()

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = http_date(clock.now())

    return on_prepare


async def _close_webhooks(app: web.Application) -> None:
    await app[RUNTIME].webhooks.close()


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    """On the real clock, fire scheduled side effects (webhooks...) even when no request arrives."""
    runtime = app[RUNTIME]

    async def tick() -> None:
        while True:
            due = runtime.scheduler.next_due()
            now = runtime.clock.now()
            delay = 1.0 if due is None else max(0.0, min(1.0, (due - now) / runtime.clock.speed))  # type: ignore[attr-defined]
            await asyncio.sleep(delay)
            await runtime.scheduler.run_due()

    task = asyncio.create_task(tick())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def vendor_base_urls(settings: Settings, host: str, port: int) -> dict[str, str]:
    """What `serve` prints: one base URL per vendor."""
    origin = settings.public_url.rstrip("/") if settings.public_url else f"http://{host}:{port}"
    return {name: origin + cls.mount for name, cls in discover().items()
            if not settings.vendors or name in settings.vendors}
