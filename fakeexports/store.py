"""Tenant-keyed state. Every change goes through a method of Store or TenantState so that one place can
later persist it (--state). Tenants never see each other's jobs; reset drops the tenant maps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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

    def touch(self) -> None:
        """Any change invalidates the tenant's cached responses."""
        self.version += 1
        if self.cache:
            self.cache.clear()

    def add_job(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self.collections.setdefault(job.collection, Index()).put(job.seq, job)
        self.touch()
        return job

    def update_job(self, job: Job, *, schedule: Schedule | None = None, **attrs: Any) -> Job:
        if schedule is not None:
            job.schedule = schedule
        job.attrs.update(attrs)
        job.version += 1
        self.touch()
        return job

    def remove_job(self, job: Job) -> None:
        if self.jobs.pop(job.id, None) is not None:
            self.collections[job.collection].discard(job.seq)
            self.touch()

    def collection(self, name: str) -> Index[int, Job]:
        """The jobs of one list in creation order (keyset and offset pages: pagination.py)."""
        return self.collections.get(name) or Index()

    def index(self, name: str) -> Index[Any, Any]:
        return self.indexes.get(name) or Index()

    def index_put(self, name: str, key: Any, item: Any) -> None:
        self.indexes.setdefault(name, Index()).put(key, item)
        self.touch()

    def index_drop(self, name: str, key: Any) -> None:
        index = self.indexes.get(name)
        if index is not None and index.discard(key) is not None:
            self.touch()

    def get(self, kind: str, key: str, default: Any = None) -> Any:
        return self.data.get(kind, {}).get(key, default)

    def items(self, kind: str) -> dict[str, Any]:
        return self.data.get(kind, {})

    def put(self, kind: str, key: str, value: Any) -> None:
        self.data.setdefault(kind, {})[key] = value
        self.touch()

    def drop(self, kind: str, key: str) -> None:
        if self.data.get(kind, {}).pop(key, None) is not None:
            self.touch()


class Store:
    """All tenants of all vendors, keyed (vendor, tenant). Job ``seq`` numbers are global and monotonic
    so keyset tokens stay valid while jobs are added."""

    def __init__(self) -> None:
        self._tenants: dict[tuple[str, str], TenantState] = {}
        self._seq = 0
        self.generation = 0

    def tenant(self, vendor: str, tenant: str) -> TenantState:
        state = self._tenants.get((vendor, tenant))
        if state is None:
            state = self._tenants[(vendor, tenant)] = TenantState(vendor, tenant)
        return state

    def find(self, vendor: str, tenant: str) -> TenantState | None:
        return self._tenants.get((vendor, tenant))

    def tenants(self, vendor: str | None = None) -> Iterator[TenantState]:
        return (t for (v, _), t in list(self._tenants.items()) if vendor is None or v == vendor)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

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
        return len(doomed)

    def job_count(self) -> int:
        return sum(len(t.jobs) for t in self._tenants.values())
