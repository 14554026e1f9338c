"""The services one fake shares between its vendors: settings, clock, scheduler, store, journal, faults,
credentials, the server's keys, link signer, value pools and outgoing webhooks. Built by ``make_runtime``; it knows
no vendor (the loaded vendors are in registry.py). Two apps in one process share nothing."""

from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from .auth import Credentials
from .caches import Caches
from .clock import Clock, RealClock, Scheduler, Timer, VirtualClock
from .errors import StateWriteError
from .faults import Faults
from .files import Pools, Sizes
from .journal import Journal
from .keys import Keys
from .links import Signer
from .pagination import Tokens
from .settings import Settings
from .store import Interning, Store
from .times import HttpDate, parse_rfc3339
from .webhooks import Allow, Webhooks


class Durable(Protocol):
    """Where the store's changes are made durable (persist.StateFile, with --state)."""

    def flush(self) -> None: ...
    def close(self) -> None: ...


@dataclass(eq=False)
class Runtime:
    settings: Settings
    clock: Clock
    scheduler: Scheduler
    store: Store
    journal: Journal
    faults: Faults
    credentials: Credentials
    keys: Keys  # random per server, never from the seed (keys.py)
    signer: Signer
    pools: Pools
    webhooks: Webhooks
    tokens: Tokens
    sizes: Sizes
    caches: Caches = field(default_factory=Caches)  # every cache and interning table of this app (caches.py)
    state_file: Durable | None = None  # --state: the store kept in SQLite (persist.StateFile)
    url_prefix: str = ""  # a clock's world: /_clocks/{id} after the origin of every URL it writes (clocks.py)
    http_date: HttpDate = field(default_factory=HttpDate)

    def date(self) -> str:
        """The ``Date`` of an answer sent now: the fake clock's (every answer sets it; aiohttp's would be the
        machine's)."""
        return self.http_date(self.clock.now())

    def flush(self) -> None:
        """Make every change so far durable (--state); nothing to do in memory. StateWriteError when the file cannot
        be written: the changes wait for the next flush, and whoever answers a client answers 503 (persist.py)."""
        if self.state_file is not None:
            self.state_file.flush()

    def try_flush(self) -> None:
        """For work no client waits on (the ticker, a webhook attempt that ended, shutdown): write what changed if
        the file can take it; if it cannot, the changes wait for the next flush (the failure was reported)."""
        if self.state_file is not None:
            with contextlib.suppress(StateWriteError):
                self.state_file.flush()


RUNTIME = web.AppKey("fakeexports_runtime", Runtime)


def make_runtime(settings: Settings, keys: Keys | None = None) -> Runtime:
    """The services of one app; ``keys``: the server's, for a clock's world (clocks.py), which signs and reads the
    same tokens and links."""
    if settings.clock == "virtual":
        clock: Clock = VirtualClock(parse_rfc3339(settings.start) if settings.start else None)
    else:
        clock = RealClock(settings.speed, settings.lifetimes)
    journal = Journal(settings.journal_size)

    def on_error(timer: Timer, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(exc))
        journal.server_error(clock.now(), f"scheduled event {timer.label}", repr(exc), tb)

    scheduler = Scheduler(clock, on_error)
    caches = Caches(settings.no_caches)
    keys = keys or Keys()
    return Runtime(
        settings=settings,
        clock=clock,
        scheduler=scheduler,
        store=Store(Interning(caches.enabled("shared"))),
        journal=journal,
        faults=Faults(),
        credentials=Credentials.load(settings.credentials),
        keys=keys,
        signer=Signer(keys, settings.seed, clock, settings.download_ttl),
        pools=Pools(settings.seed),
        webhooks=Webhooks(clock, scheduler, allow=Allow(settings.webhook_allow), timeout=settings.webhook_timeout),
        tokens=Tokens(settings.seed),
        sizes=caches.holder(Sizes(caches.enabled("sizes"))),
        caches=caches,
    )
