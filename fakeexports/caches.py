"""The one owner of the fake's speed tricks. Every cache and interning table is made here, for one app (two apps in
one process share none), under a name; ``--no-caches NAME,...`` (``FAKEEXPORTS_NO_CACHES``) turns named ones off
and ``--no-caches all`` every one, so that the suite can run both ways and a benchmark can show what each earns.

A Memo is a bounded map with one invalidation rule, stated where it is made: either its keys say everything its
values depend on (the routes a method and path resolve to, a raw path's checked parameters), or its user compares
a version counter kept with each value (kept answers: the tenant state's version and the options' version). At
``limit`` entries it is emptied; off, it keeps nothing. No cache here is keyed by ``id()``. A cache whose values hold
tenant states (a Holder: kept answers, file sizes, the jobs' next changes, the counts of waiting jobs) forgets what a
reset dropped.

Each stays because a benchmark of bench/ shows it earns at least 20% on its path (README, "Performance"):

    kept     kept.py: a poller's repeated GET answered from what was kept (bench/throughput.py: 8.6x on Twilio's
             job list, 6.2x on DIDWW's, 1.6x on a HookBridge fetch); at most 1,024 answers
    params   validation.RequestValidator: a raw path's checked parameters (1.21x on --endpoint twilio-job, where
             every request takes the whole path)
    moments  jobs.Jobs: a schedule's moments, shared by jobs with equal schedules (bench/clock.py: 1.42x events/s)
    shared   store.Interning: jobs made alike share their values (bench/scale.py: 522 bytes a stored job instead
             of 1,180)
    sizes    files.Sizes: a generated file's size, so that a download after the first (or after a list that states
             sizes) makes its file once, not twice (bench/files.py --rows 300000, a second download: 1.6x on DIDWW,
             2.7x on Twilio, whose Days list states the size before)
    changes  jobs.Changes: the jobs' next status changes, a heap checked when read, so that the clock's next event
             (GET /_fakeexports/clock, which the dashboard polls every second) is its top, not a pass over every job
             (bench/clock.py's GET clock: 0.25 ms against 13.7 with 100,000 jobs running, against 40.6 with
             1,000,000 held completed by a fixture); 80 bytes a running job, nothing for a finished or held one
    waiting  jobs.Waiting: how many jobs of each tenant wait for a moment, counted as the engine arms them, for
             GET clock's pending events (bench/clock.py: 0.25 ms against 11.4 with 100,000 jobs running, against
             170 with 1,000,000 failed jobs waiting for their removal)

Those that earned less went: what a method and path resolve to (4-8%), Twilio's accounts by Authorization header
(5-9%)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")
NAMES = ("params", "kept", "moments", "shared", "sizes", "changes", "waiting")


class Holder(Protocol):
    """A cache made elsewhere (kept.KeptAnswers, files.Sizes) whose values depend on tenants' state: the owner
    tells it of each reset (all, a vendor's, a tenant's) and counts it."""

    name: str
    stored: int

    def reset(self, vendor: str | None, tenant: str | None) -> None: ...
    def __len__(self) -> int: ...


H = TypeVar("H", bound=Holder)


class Memo(Generic[V]):
    __slots__ = ("_data", "enabled", "get", "limit", "name", "stored")

    def __init__(self, name: str, limit: int, enabled: bool):
        self.name, self.limit, self.enabled = name, limit, enabled
        self._data: dict[Hashable, V] = {}
        self.get: Callable[[Hashable], V | None] = self._data.get  # a lookup is a dict's own: the hot path's cost
        self.stored = 0  # values put in, over its life

    def put(self, key: Hashable, value: V) -> V:
        if self.enabled:
            if len(self._data) >= self.limit:
                self._data.clear()
            self._data[key] = value
            self.stored += 1
        return value

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class Caches:
    """The app's caches by name, and which are on."""

    def __init__(self, off: tuple[str, ...] = ()):
        unknown = sorted(set(off) - {*NAMES, "all"})
        if unknown:
            raise ValueError(f"no_caches: unknown caches {unknown}; known: {', '.join(NAMES)} (or all)")
        self.off = frozenset(NAMES if "all" in off else off)
        self.memos: list[Memo[Any]] = []
        self.holders: list[Holder] = []

    def holder(self, cache: H) -> H:
        """A cache whose values depend on tenants' state forgets what a reset dropped at once (kept answers give
        their memory back; a file size of a job id made again would be another file's)."""
        assert cache.name in NAMES, cache.name
        self.holders.append(cache)
        return cache

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> None:
        for cache in self.holders:
            cache.reset(vendor, tenant)

    def enabled(self, name: str) -> bool:
        assert name in NAMES, name
        return name not in self.off

    def memo(self, name: str, limit: int) -> Memo[Any]:
        memo: Memo[Any] = Memo(name, limit, self.enabled(name))
        self.memos.append(memo)
        return memo

    def stats(self) -> dict[str, dict[str, int]]:
        """Per cache name (summed over its memos): whether it is on, its entries, the values put in over its life."""
        out: dict[str, dict[str, int]] = {name: {"on": int(self.enabled(name)), "entries": 0, "stored": 0}
                                          for name in NAMES}
        counted: list[Memo[Any] | Holder] = [*self.memos, *self.holders]
        for memo in counted:
            out[memo.name]["entries"] += len(memo)
            out[memo.name]["stored"] += memo.stored
        return out
