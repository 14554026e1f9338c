"""Tenant-keyed state. Every change goes through a method of Store or TenantState so that one place can
later persist it (--state). Tenants never see each other's jobs; reset drops the tenant maps."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .lifecycle import Schedule


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


class Collection:
    """Jobs in creation order, for keyset pages: a page after a job's ``seq`` is a bisect, so its cost
    does not depend on how many jobs the tenant holds."""

    __slots__ = ("jobs", "seqs")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.jobs: list[Job] = []

    def __len__(self) -> int:
        return len(self.jobs)

    def add(self, job: Job) -> None:
        # seq is monotonic per server, so appends keep the order; fixtures may insert older jobs.
        if not self.seqs or job.seq > self.seqs[-1]:
            self.seqs.append(job.seq)
            self.jobs.append(job)
            return
        i = bisect_left(self.seqs, job.seq)
        self.seqs.insert(i, job.seq)
        self.jobs.insert(i, job)

    def remove(self, job: Job) -> None:
        i = bisect_left(self.seqs, job.seq)
        if i < len(self.seqs) and self.seqs[i] == job.seq:
            del self.seqs[i]
            del self.jobs[i]

    def newest_first(self, before_seq: int | None, offset: int, limit: int) -> tuple[list[Job], bool]:
        """Up to ``limit`` jobs, newest first, older than ``before_seq`` (or from the newest, skipping
        ``offset``). Returns the jobs and whether more follow."""
        end = len(self.seqs) if before_seq is None else bisect_left(self.seqs, before_seq)
        end -= offset
        if end <= 0:
            return [], False
        start = max(0, end - limit)
        return self.jobs[start:end][::-1], start > 0

    def oldest_first(self, after_seq: int | None, offset: int, limit: int) -> tuple[list[Job], bool]:
        start = 0 if after_seq is None else bisect_left(self.seqs, after_seq + 1)
        start += offset
        page = self.jobs[start : start + limit]
        return page, start + limit < len(self.jobs)


@dataclass(eq=False)
class TenantState:
    """One tenant of one vendor. ``data`` holds the vendor's other state (Twilio's days and
    configuration...), each entry changed through ``put``/``drop`` so the store sees it."""

    vendor: str
    tenant: str
    jobs: dict[str, Job] = field(default_factory=dict)
    collections: dict[str, Collection] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0
    cache: dict[Any, Any] = field(default_factory=dict)
    alive: bool = True  # False once reset dropped it: scheduled events for it then do nothing

    def touch(self) -> None:
        """Any change invalidates the tenant's cached responses."""
        self.version += 1
        if self.cache:
            self.cache.clear()

    def add_job(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self.collections.setdefault(job.collection, Collection()).add(job)
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
            self.collections[job.collection].remove(job)
            self.touch()

    def collection(self, name: str) -> Collection:
        return self.collections.get(name) or Collection()

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
