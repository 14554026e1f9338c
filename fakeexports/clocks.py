"""Clocks as resources (issue 21), after Stripe's test clocks: a clock is made through the control API, tenants of any
vendor are attached to it by the credential that names them, and moving it moves only them. One server then serves
a whole team's parallel CI: each test (each CI job) drives its own clock and sees nothing of the others.

Each clock is a world of its own: a whole fake (``create_app``) with a virtual clock, its own store, scheduler, job
engines, journal, faults, webhooks and kept answers, that never listens on a socket. The server hands it requests:

- a vendor request whose credential names a tenant attached to the clock (the vendor's ``credential_tenant`` hook:
  who the credential names, read without admitting it), whatever path or proxy tunnel it came by, so that a vendor's
  own client needs no change;
- everything under ``/_clocks/{id}/``: the clock's own control API (``/_clocks/{id}/_fakeexports/...``, with the
  clock's token or the server's control token) and the vendor paths of the URLs its answers carry (a Location, a
  next page, a presigned link: its base URL ends in ``/_clocks/{id}``, so they come back to it).

So everything time-driven for an attached tenant follows its clock (statuses, due effects, webhooks and their
retries, link and token expiry, quotas and rate windows, retention, journal times and file contents), an advance
does the work of that clock's own events only, and deleting a clock drops its tenants' state with it. The worlds
share the server's signing keys (a token or link is read the same by the server and its clock) and its settings.
Clocks untouched for ``--clock-idle`` real seconds are dropped with their tenants."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from .clock import in_range
from .runtime import RUNTIME
from .times import DEFAULT_START, parse_rfc3339, stamp

if TYPE_CHECKING:
    from .runtime import Runtime
    from .settings import Settings
    from .vendor import VendorApp

PREFIX = "/_clocks"  # a clock's world, under /_clocks/{id}/


class ClockError(Exception):
    """A clock request the fake refuses: its status and why (control.py answers it as any refusal)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class Timeline:
    """One clock and the world of the tenants attached to it."""

    id: str
    token: str
    app: web.Application
    start: float
    made: float  # real time, epoch seconds
    touched: float  # real time of its last use: an idle clock is dropped (--clock-idle)
    tenants: set[tuple[str, str]] = field(default_factory=set)

    @property
    def runtime(self) -> Runtime:
        return self.app[RUNTIME]

    def view(self, labels: Mapping[str, VendorApp], next_event: str | None) -> dict[str, Any]:
        """The clock as the control API shows it; ``next_event``: its world's (Registry.next_event)."""
        runtime = self.runtime
        return {"id": self.id, "now": stamp(runtime.clock.now()), "epoch": runtime.clock.now(),
                "start": stamp(self.start), "next_event": next_event,
                "tenants": [{"vendor": v, "tenant": labels[v].tenant_label(t) if v in labels else t}
                            for v, t in sorted(self.tenants)],
                "jobs": runtime.store.job_count(), "idle_seconds": round(time.time() - self.touched, 1),
                "url": f"{PREFIX}/{self.id}"}

    async def forward(self, request: web.Request, path: URL | None = None) -> web.StreamResponse:
        """The request answered by this clock's world (at ``path``, or where it was sent)."""
        self.touched = time.time()
        return await handle_in(self.app, request if path is None else request.clone(rel_url=path))


async def handle_in(app: web.Application, request: web.Request) -> web.StreamResponse:
    """``request`` routed and answered by another application, as aiohttp's own server would (its router, its
    middlewares): the one place that calls aiohttp's private Application._handle (tests/unit/test_clocks.py fails
    loudly if aiohttp changes it)."""
    return await app._handle(request)


class Clocks:
    """The server's clocks and who is attached to which. One per server app (app key CLOCKS)."""

    def __init__(self, runtime: Runtime, make_world: Callable[[Settings, Runtime, str], web.Application]):
        self.runtime = runtime  # the server's
        self.make_world = make_world  # app.create_app for a world: (settings, the server's runtime, its URL prefix)
        self.by_id: dict[str, Timeline] = {}
        self.bound: dict[str, dict[str, Timeline]] = {}  # vendor -> tenant -> its clock
        self.lock = asyncio.Lock()
        self.version = 0  # moves with every clock made, deleted or given a tenant: --state writes them then
        self.saved: list[Any] | None = None  # --state: the clocks the file kept, made again at start (sweeper)
        # --state: each clock's world keeps its own file beside the server's (<state>.clocks/<id>.sqlite)
        self.state_dir = Path(runtime.settings.state + ".clocks") if runtime.settings.state else None

    # --- making and dropping -------------------------------------------------------------------------------------
    async def create(self, start: str | float | None = None, *, clock_id: str | None = None,
                     token: str | None = None, made: float | None = None) -> Timeline:
        """A new clock (``clock_id``, ``token`` and ``made``: one the state file kept, its world read back from its
        own file)."""
        when = DEFAULT_START if start is None else parse_rfc3339(start) if isinstance(start, str) else float(start)
        in_range(when, "a clock's start")
        clock_id = clock_id or "clk_" + secrets.token_hex(8)
        state = None
        if self.state_dir is not None:
            self.state_dir.mkdir(mode=0o700, exist_ok=True)
            state = str(self.state_dir / f"{clock_id}.sqlite")
        settings = self.runtime.settings.with_(clock="virtual", start=stamp(when), state=state, fixtures="none",
                                               control_token=None, proxy=False)
        app = self.make_world(settings, self.runtime, f"{PREFIX}/{clock_id}")
        app.freeze()
        await app.startup()
        now = time.time()
        timeline = Timeline(clock_id, token or secrets.token_urlsafe(24), app, when, made or now, now)
        self.by_id[clock_id] = timeline
        self.version += 1
        return timeline

    def to_json(self) -> list[dict[str, Any]]:
        """What --state keeps of the clocks (each world's own state is in its own file)."""
        return [{"id": t.id, "token": t.token, "start": t.start, "made": t.made, "tenants": sorted(t.tenants)}
                for t in self.by_id.values()]

    async def restore(self, saved: Any) -> None:
        """The clocks the state file kept, each back with its world (read from its own file) and its tenants; the
        idle time starts again from now."""
        for item in saved if isinstance(saved, list) else []:
            timeline = await self.create(item["start"], clock_id=item["id"], token=item["token"], made=item["made"])
            for vendor, tenant in item["tenants"]:
                self.bound.setdefault(vendor, {})[tenant] = timeline
                timeline.tenants.add((vendor, tenant))

    async def delete(self, timeline: Timeline) -> None:
        """Drop the clock, its tenants' state with it; its tenants are free to be attached again."""
        self.by_id.pop(timeline.id, None)
        for vendor, tenant in timeline.tenants:
            tenants = self.bound.get(vendor)
            if tenants is not None and tenants.get(tenant) is timeline:
                del tenants[tenant]
                if not tenants:
                    del self.bound[vendor]
        timeline.tenants.clear()
        self.version += 1
        await timeline.app.shutdown()
        await timeline.app.cleanup()
        if self.state_dir is not None:  # its world's file, closed by its cleanup, goes with it
            for path in self.state_dir.glob(f"{timeline.id}.sqlite*"):
                path.unlink(missing_ok=True)

    async def close(self) -> None:
        """The server stops: every world closed (its state file with it), the clocks left as --state keeps them."""
        for timeline in list(self.by_id.values()):
            await timeline.app.shutdown()
            await timeline.app.cleanup()

    async def sweep(self, idle: float) -> int:
        """Drop the clocks untouched for ``idle`` real seconds; how many went."""
        limit = time.time() - idle
        old = [t for t in self.by_id.values() if t.touched < limit]
        for timeline in old:
            await self.delete(timeline)
        return len(old)

    # --- tenants ---------------------------------------------------------------------------------------------------
    def attach(self, timeline: Timeline, vendor: VendorApp, tenant: str) -> None:
        """``tenant`` of ``vendor`` follows ``timeline`` from now on. ClockError if another clock has it, or if it
        has state on the server's clock (that state would be left behind, out of reach)."""
        held = self.bound.get(vendor.name, {}).get(tenant)
        label = vendor.tenant_label(tenant)
        if held is timeline:
            return
        if held is not None:
            raise ClockError(409, f"{vendor.name} tenant {label} is attached to another clock; delete that clock "
                                  f"or attach a fresh tenant")
        if self.runtime.store.find(vendor.name, tenant) is not None:
            raise ClockError(409, f"{vendor.name} tenant {label} has state on the server's clock (a fixture, or "
                                  f"requests before); attach a fresh tenant, or reset this one first")
        self.bound.setdefault(vendor.name, {})[tenant] = timeline
        timeline.tenants.add((vendor.name, tenant))
        timeline.touched = time.time()
        self.version += 1

    def route(self, vendor: VendorApp, request: web.BaseRequest) -> Timeline | None:
        """The clock of the tenant a vendor request's credential names, if it has one."""
        tenants = self.bound.get(vendor.name)
        if not tenants:
            return None
        tenant = vendor.credential_tenant(request.headers)
        return tenants.get(tenant) if tenant is not None else None

    # --- who may drive a clock -------------------------------------------------------------------------------------
    def get(self, clock_id: str) -> Timeline:
        """The clock ``clock_id``; ClockError 404 if there is none."""
        timeline = self.by_id.get(clock_id)
        if timeline is None:
            raise ClockError(404, f"no clock {clock_id} (deleted, dropped after --clock-idle, or never made)")
        return timeline

    def find(self, clock_id: str, authorization: str | None) -> Timeline:
        """The clock ``clock_id``, if ``authorization`` is its token or the server's control token."""
        timeline = self.get(clock_id)
        given = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else ""
        control = self.runtime.settings.control_token
        if not given or not (hmac.compare_digest(given, timeline.token)
                             or (control is not None and hmac.compare_digest(given, control))):
            raise ClockError(401, f"clock {clock_id} needs 'Authorization: Bearer <its token>' (the token its "
                                  f"creation answered) or the server's control token")
        return timeline


CLOCKS = web.AppKey("fakeexports_clocks", Clocks)


def tunnel_clock(clocks: Clocks | None, request: web.BaseRequest) -> Timeline | None:
    """The clock a proxy tunnel's CONNECT named in its credentials (proxy.Front), if the token is its own;
    ClockError (407) for credentials that name no clock or with another token."""
    transport = request.transport
    creds = getattr(transport.get_protocol(), "clock", None) if transport is not None else None
    if creds is None or clocks is None:
        return None
    try:
        return clocks.find(creds[0], f"Bearer {creds[1]}")
    except ClockError as exc:
        raise ClockError(407, exc.message.replace("'Authorization: Bearer <its token>'",
                                                  "its token as the proxy password")) from None


def refused(exc: ClockError, request: web.Request) -> web.Response:
    """A clock refusal as the server answers it (JSON, Date on the server's clock; a 407 asks for the proxy
    credentials)."""
    headers = {"Date": request.app[RUNTIME].date()}
    if exc.status == 407:
        headers["Proxy-Authenticate"] = 'Basic realm="fakeexports clock"'
    return web.json_response({"error": exc.message}, status=exc.status, headers=headers)


async def sweeper(app: web.Application) -> AsyncIterator[None]:
    """Drop idle clocks now and then (a shared server must not grow with every CI run); close them all at the end."""
    clocks, idle = app[CLOCKS], app[RUNTIME].settings.clock_idle
    if clocks.saved:  # --state: the clocks it kept, back before the first request
        await clocks.restore(clocks.saved)
        clocks.saved = None

    async def sweep() -> None:
        while True:
            await asyncio.sleep(min(60.0, max(1.0, idle / 4)))
            async with clocks.lock:
                await clocks.sweep(idle)

    task = asyncio.create_task(sweep())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await clocks.close()
