"""Tenant-keyed state. Every change goes through a method of Store or TenantState so that one place can
later persist it (--state). Tenants never see each other's jobs; reset drops the tenant maps.

A tenant costs memory (and a row in the state file) only once it has state: ``Store.tenant`` hands out a *loose*
state for a tenant it does not hold, kept only by a weak reference while a request, a kept answer or a handler
holds it, and the store holds it from its first change on. So a thousand new credentials that only read leave
nothing behind, and there is never more than one state object for a tenant at a time."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson

from .lifecycle import Schedule
from .pagination import Index

T = TypeVar("T")


@dataclass(slots=True, eq=False)
class Job:
    """One export job. ``schedule`` drives its status; ``attrs`` holds the vendor's fields as created;
    ``collection`` names the list it belongs to (a Twilio resource type, "exports" elsewhere). ``note`` and ``due``
    are the job engine's own record of this job (jobs.py says what they hold); nothing else reads or writes them."""

    id: str
    seq: int
    collection: str
    created: float
    schedule: Schedule
    attrs: dict[str, Any]
    version: int = 0
    note: tuple[Any, ...] = ()
    due: float | None = None
    shared: bool = False  # ``attrs`` is shared with other jobs made alike (Interning): copied before a change

    def own(self) -> dict[str, Any]:
        """``attrs``, made this job's own if it was shared, for a change in place."""
        if self.shared:
            self.attrs, self.shared = dict(self.attrs), False
        return self.attrs

    def sharing_copy(self) -> Job:
        """A copy that shares this job's ``attrs`` (copied on its first change, as Job.own does): a snapshot's.
        Written out rather than dataclasses.replace, which a reset paid 3 µs a job for."""
        return Job(self.id, self.seq, self.collection, self.created, self.schedule, self.attrs, self.version,
                   self.note, self.due, True)


VOLUME = ("volume", "records_per_day")  # a tenant's setting: how many records a day its files hold (files.py)
VOLUME_LIMIT = 100_000_000


def records_for(volume: int | None, start: float, end: float) -> int | None:
    """How many records a file over [start, end) holds at ``volume`` records a day (None: the vendor's own)."""
    return None if volume is None else max(0, round(volume * max(0.0, end - start) / 86400))


class Interning:
    """Jobs made alike share their values: one ``attrs`` dict for every job created with equal attributes (a bulk
    fixture, a client creating the same export again and again), one schedule tuple for equal schedules, one engine
    note for equal notes. A shared ``attrs`` is copied before it is changed (Job.own); schedules and notes are
    replaced, never changed. At most ``limit`` distinct values of each are remembered (then forgotten all at once),
    so that the tables stay small. One per app (its Store), under the cache name ``shared``: off, nothing is shared
    and every job keeps its own values."""

    limit = 4096

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.attrs: dict[bytes, dict[str, Any]] = {}
        self.values: dict[Any, Any] = {}

    def attributes(self, job: Job) -> None:
        if not self.enabled:
            return
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

    def value(self, value: T) -> T:
        """One object for every equal immutable value (a schedule, an engine note)."""
        if not self.enabled:
            return value
        found = self.values.get(value)
        if found is None:
            if len(self.values) >= self.limit:
                self.values.clear()
            found = self.values[value] = value
        return found  # type: ignore[no-any-return]




class Sink(Protocol):
    """Where the store reports each change, to be made durable (persist.py: --state); None keeps it in memory."""

    def job(self, state: TenantState, job_id: str) -> None: ...
    def data(self, state: TenantState, kind: str, key: str) -> None: ...
    def index(self, state: TenantState, name: str, key: Any) -> None: ...
    def reset(self, vendor: str | None, tenant: str | None) -> None: ...


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
    alive: bool = True  # False once reset dropped it: scheduled events for it then do nothing
    sink: Sink | None = field(default=None, repr=False)
    interning: Interning = field(default_factory=lambda: Interning(False), repr=False)  # the store's
    loose: Callable[[TenantState], None] | None = field(default=None, repr=False)  # not held yet: its first change

    def touch(self) -> None:
        """Any change: the version what was made from this state is compared with (kept answers) moves on; a loose
        state's first change makes the store hold it."""
        self.version += 1
        if self.loose is not None:
            hold, self.loose = self.loose, None
            hold(self)

    def add_job(self, job: Job) -> Job:
        job.schedule = self.interning.value(job.schedule)
        self.jobs[job.id] = job
        self.collections.setdefault(job.collection, Index()).put(job.seq, job)
        self.touch()
        if self.sink is not None:
            self.sink.job(self, job.id)
        return job

    def update_job(self, job: Job, *, schedule: Schedule | None = None, **attrs: Any) -> Job:
        if schedule is not None:
            job.schedule = self.interning.value(schedule)
        if attrs:
            job.own().update(attrs)
            self.interning.attributes(job)  # jobs changed alike (forced to one outcome...) share again
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

    def __init__(self, interning: Interning | None = None) -> None:
        self._tenants: dict[tuple[str, str], TenantState] = {}
        self._loose: weakref.WeakValueDictionary[tuple[str, str], TenantState] = weakref.WeakValueDictionary()
        self._seq = 0
        self.sink: Sink | None = None
        self.interning = interning or Interning()

    def tenant(self, vendor: str, tenant: str) -> TenantState:
        """The tenant's state: the one the store holds, or a loose one that the store holds from its first change
        on (while anything keeps it, asking again gives the same object)."""
        state = self._tenants.get((vendor, tenant))
        if state is None:
            key = (vendor, tenant)
            state = self._loose.get(key)
            if state is None:
                state = self._loose[key] = TenantState(vendor, tenant, sink=self.sink, interning=self.interning,
                                                       loose=self._hold)
        return state

    def held(self, vendor: str, tenant: str) -> TenantState:
        """The tenant's state, held by the store now: for restoring it (a snapshot, the state file) field by field."""
        key = (vendor, tenant)
        state = self._tenants.get(key)
        if state is None:
            state = self._loose.get(key)
        if state is None:  # a new one held at once (never loose: nothing to drop again)
            state = self._tenants[key] = TenantState(vendor, tenant, sink=self.sink, interning=self.interning)
        elif state.loose is not None:
            state.loose = None
            self._hold(state)
        return state

    def _hold(self, state: TenantState) -> None:
        key = (state.vendor, state.tenant)
        self._loose.pop(key, None)
        state.sink = self.sink
        self._tenants[key] = state

    def common(self, vendor: str) -> TenantState:
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
        for key, state in list(self._loose.items()):  # a loose state in a request's hands dies with its tenant too
            if (vendor is None or key[0] == vendor) and (tenant is None or key[1] == tenant):
                del self._loose[key]
                state.loose, state.alive = None, False
                state.touch()
        if self.sink is not None:
            self.sink.reset(vendor, tenant)
        return len([k for k in doomed if k[1]])  # the vendor's shared state is no tenant

    def job_count(self) -> int:
        return sum(len(t.jobs) for t in self._tenants.values())
