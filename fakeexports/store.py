"""Tenant-keyed state. Every change goes through a method of Store or TenantState so that one place can
later persist it (--state). Tenants never see each other's jobs; reset drops the tenant maps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from .lifecycle import Schedule
from .pagination import Index


@dataclass(slots=True, eq=False)
class Job:
    """One export job. ``schedule`` drives its status; ``attrs`` holds the vendor's fields as created;
    ``collection`` names the list it belongs to (a Twilio resource type, "exports" elsewhere)."""

    id: str
    seq: int
    collection: str
    created: float
    schedule: Schedule
    attrs: dict[str, Any]
    version: int = 0
    # The engine's bookkeeping (jobs.py), kept out of ``attrs`` to keep a stored job small: effects at moments
    # before ``mark`` have run, and those at ``mark`` whose tags are in ``done``; ``quiet``: loaded from a
    # fixture at that time (what it would have notified before was already notified); ``held``: frozen in its
    # status by a fixture; ``due``: the moment the engine's heap holds for it (older entries are stale).
    mark: float = 0.0
    done: tuple[str, ...] = ()
    quiet: float | None = None
    held: bool = False
    due: float | None = None
    shared: bool = False  # ``attrs`` is shared with other jobs made alike (Shared): copied before a change

    ENGINE = ("fx", "quiet", "held")  # how the bookkeeping is spelled in a state file's attrs (persist.py)

    def own(self) -> dict[str, Any]:
        """``attrs``, made this job's own if it was shared, for a change in place."""
        if self.shared:
            self.attrs, self.shared = dict(self.attrs), False
        return self.attrs

    def saved_attrs(self) -> dict[str, Any]:
        """``attrs`` with the engine's bookkeeping, as a state file keeps them."""
        out = dict(self.attrs)
        out["fx"] = (self.mark, self.done)
        if self.quiet is not None:
            out["quiet"] = self.quiet
        if self.held:
            out["held"] = True
        return out

    def load_attrs(self, saved: dict[str, Any]) -> None:
        """The inverse of ``saved_attrs``."""
        fx = saved.pop("fx", None)
        if fx is not None:
            self.mark, self.done = float(fx[0]), tuple(fx[1])
        self.quiet = saved.pop("quiet", None)
        self.held = bool(saved.pop("held", False))
        self.attrs = saved


VOLUME = ("volume", "records_per_day")  # a tenant's setting: how many records a day its files hold (files.py)
VOLUME_LIMIT = 100_000_000


def records_for(volume: int | None, start: float, end: float) -> int | None:
    """How many records a file over [start, end) holds at ``volume`` records a day (None: the vendor's own)."""
    return None if volume is None else max(0, round(volume * max(0.0, end - start) / 86400))


class Shared:
    """Jobs made alike share their values: one ``attrs`` dict for every job created with equal attributes (a
    bulk fixture, a client creating the same export again and again) and one schedule tuple for equal schedules.
    A shared ``attrs`` is copied before it is changed (Job.own); schedules are replaced, never changed. At most
    ``limit`` distinct values are remembered, so that the table itself stays small."""

    limit = 4096

    def __init__(self) -> None:
        self.attrs: dict[bytes, dict[str, Any]] = {}
        self.schedules: dict[Schedule, Schedule] = {}

    def attributes(self, job: Job) -> None:
        try:
            key = orjson.dumps(job.attrs, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return
        found = self.attrs.get(key)
        if found is None:
            if len(self.attrs) >= self.limit:
                self.attrs.clear()
            self.attrs[key] = job.attrs
            found = job.attrs
        job.attrs, job.shared = found, True

    def schedule(self, schedule: Schedule) -> Schedule:
        found = self.schedules.get(schedule)
        if found is None:
            if len(self.schedules) >= self.limit:
                self.schedules.clear()
            found = self.schedules[schedule] = schedule
        return found


SHARED = Shared()


class Sink(Protocol):
    """Where the store reports each change, to be made durable (persist.py: --state); None keeps it in memory."""

    def job(self, state: TenantState, job_id: str) -> None: ...
    def data(self, state: TenantState, kind: str, key: str) -> None: ...
    def index(self, state: TenantState, name: str, key: Any) -> None: ...
    def reset(self, vendor: str | None, tenant: str | None) -> None: ...


class Capped(dict[Any, Any]):
    """A tenant's cache of serialized answers: emptied by any change, and when it holds ``limit`` entries (a
    client walking many distinct pages between two changes cannot grow it without end)."""

    limit = 256

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.limit and key not in self:
            self.clear()
        super().__setitem__(key, value)


@dataclass(eq=False)
class TenantState:
    """One tenant of one vendor. ``data`` holds the vendor's other state (Twilio's days and
    configuration...), each entry changed through ``put``/``drop`` so the store sees it."""

    vendor: str
    tenant: str
    jobs: dict[str, Job] = field(default_factory=dict)
    collections: dict[str, Index[int, Job]] = field(default_factory=dict)  # jobs by list, in creation order
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    indexes: dict[str, Index[Any, Any]] = field(default_factory=dict)  # a vendor's own sorted records (days)
    version: int = 0
    cache: dict[Any, Any] = field(default_factory=Capped)
    alive: bool = True  # False once reset dropped it: scheduled events for it then do nothing
    sink: Sink | None = field(default=None, repr=False)

    def touch(self) -> None:
        """Any change invalidates the tenant's cached responses."""
        self.version += 1
        if self.cache:
            self.cache.clear()

    def add_job(self, job: Job) -> Job:
        job.schedule = SHARED.schedule(job.schedule)
        self.jobs[job.id] = job
        self.collections.setdefault(job.collection, Index()).put(job.seq, job)
        self.touch()
        if self.sink is not None:
            self.sink.job(self, job.id)
        return job

    def update_job(self, job: Job, *, schedule: Schedule | None = None, **attrs: Any) -> Job:
        if schedule is not None:
            job.schedule = SHARED.schedule(schedule)
        if attrs:
            job.own().update(attrs)
            SHARED.attributes(job)  # jobs changed alike (forced to one outcome...) share again
        job.version += 1
        self.touch()
        if self.sink is not None:
            self.sink.job(self, job.id)
        return job

    def mark(self, job: Job) -> None:
        """A job's attrs were changed in place (the engine's watermark, a derived value kept): store it."""
        if self.sink is not None:
            self.sink.job(self, job.id)

    def remove_job(self, job: Job) -> None:
        if self.jobs.pop(job.id, None) is not None:
            self.collections[job.collection].discard(job.seq)
            self.touch()
            if self.sink is not None:
                self.sink.job(self, job.id)

    def collection(self, name: str) -> Index[int, Job]:
        """The jobs of one list in creation order (keyset and offset pages: pagination.py)."""
        return self.collections.get(name) or Index()

    def index(self, name: str) -> Index[Any, Any]:
        return self.indexes.get(name) or Index()

    def index_put(self, name: str, key: Any, item: Any) -> None:
        self.indexes.setdefault(name, Index()).put(key, item)
        self.touch()
        if self.sink is not None:
            self.sink.index(self, name, key)

    def index_drop(self, name: str, key: Any) -> None:
        index = self.indexes.get(name)
        if index is not None and index.discard(key) is not None:
            self.touch()
            if self.sink is not None:
                self.sink.index(self, name, key)

    def get(self, kind: str, key: str, default: Any = None) -> Any:
        return self.data.get(kind, {}).get(key, default)

    def items(self, kind: str) -> dict[str, Any]:
        return self.data.get(kind, {})

    def put(self, kind: str, key: str, value: Any) -> None:
        self.data.setdefault(kind, {})[key] = value
        self.touch()
        if self.sink is not None:
            self.sink.data(self, kind, key)

    def drop(self, kind: str, key: str) -> None:
        if self.data.get(kind, {}).pop(key, None) is not None:
            self.touch()
            if self.sink is not None:
                self.sink.data(self, kind, key)


class Store:
    """All tenants of all vendors, keyed (vendor, tenant). Job ``seq`` numbers are global and monotonic
    so keyset tokens stay valid while jobs are added."""

    def __init__(self) -> None:
        self._tenants: dict[tuple[str, str], TenantState] = {}
        self._seq = 0
        self.generation = 0
        self.sink: Sink | None = None

    def tenant(self, vendor: str, tenant: str) -> TenantState:
        state = self._tenants.get((vendor, tenant))
        if state is None:
            state = self._tenants[(vendor, tenant)] = TenantState(vendor, tenant, sink=self.sink)
        return state

    def shared(self, vendor: str) -> TenantState:
        """The vendor's own state, beside its tenants' (a key's project...): reset with the vendor."""
        return self.tenant(vendor, "")

    def find(self, vendor: str, tenant: str) -> TenantState | None:
        return self._tenants.get((vendor, tenant))

    def tenants(self, vendor: str | None = None) -> Iterator[TenantState]:
        return (t for (v, name), t in list(self._tenants.items()) if (vendor is None or v == vendor) and name)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def last_seq(self) -> int:
        return self._seq

    def restore_seq(self, seq: int) -> None:
        self._seq = max(self._seq, seq, *(j.seq for t in self._tenants.values() for j in t.jobs.values()))

    def all_states(self, vendor: str | None = None) -> Iterator[TenantState]:
        """Every tenant's state, the vendors' shared ones included."""
        return (t for (v, _), t in list(self._tenants.items()) if vendor is None or v == vendor)

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> int:
        """Drop the matching tenants; returns how many were dropped."""
        doomed = [
            key
            for key in self._tenants
            if (vendor is None or key[0] == vendor) and (tenant is None or key[1] == tenant)
        ]
        for key in doomed:
            state = self._tenants.pop(key)
            state.alive = False
            state.touch()
        self.generation += 1
        if self.sink is not None:
            self.sink.reset(vendor, tenant)
        return len([k for k in doomed if k[1]])  # the vendor's shared state is no tenant

    def job_count(self) -> int:
        return sum(len(t.jobs) for t in self._tenants.values())
