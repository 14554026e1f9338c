"""What the fixture files made, kept once and put back on every full reset of the virtual clock (the pytest
plugin's reset before each test): copying a few dozen jobs and records costs far less than creating them again
from the fixture documents through every vendor's rules.

A snapshot holds copies of every tenant's state right after the fixtures were loaded with the clock at its start.
Restoring it gives each tenant fresh containers with the same jobs (copies: a test may change them) and the same
records (shared: the store replaces values, it never changes them in place), puts each job's next moment back in
its vendor's heap, and its timed records (Twilio's day files) wait again for their expiry, as after a restart on a
state file. It is taken only when nothing else was scheduled by the load (no webhook waits) and without a
state file, and it is valid while the fixture documents and the vendors' options are the same objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .pagination import Index
from .store import Job, Store, TenantState

if TYPE_CHECKING:
    from .vendor import VendorApp


def _copy_index(index: Index[Any, Any], jobs: dict[str, Job] | None = None) -> Index[Any, Any]:
    out: Index[Any, Any] = Index()
    out.keys = index.keys[index.head:]
    out.items = [jobs[item.id] for item in index.items[index.head:]] if jobs is not None else index.items[index.head:]
    return out


def _copy_state(state: TenantState, sink: Any) -> TenantState:
    jobs = {job_id: job.sharing_copy() for job_id, job in state.jobs.items()}  # attrs copied on change
    return TenantState(state.vendor, state.tenant, jobs=jobs,
                       collections={name: _copy_index(c, jobs) for name, c in state.collections.items()},
                       data={kind: dict(values) for kind, values in state.data.items()},
                       indexes={name: _copy_index(i) for name, i in state.indexes.items()},
                       sink=sink)


@dataclass(eq=False)
class Snapshot:
    key: tuple[int, ...]
    tenants: dict[tuple[str, str], TenantState]

    @classmethod
    def take(cls, key: tuple[int, ...], store: Store) -> Snapshot:
        return cls(key, {(s.vendor, s.tenant): _copy_state(s, None) for s in store.all_states()})

    def restore(self, store: Store, vendors: Mapping[str, VendorApp]) -> None:
        """Into a store that a full reset has just emptied."""
        for (vendor, tenant), saved in self.tenants.items():
            state = store.held(vendor, tenant)
            fresh = _copy_state(saved, state.sink)
            state.jobs, state.collections, state.data, state.indexes = (fresh.jobs, fresh.collections, fresh.data,
                                                                        fresh.indexes)
            v = vendors.get(vendor)
            if v is not None:
                v.jobs.resume(state, as_taken=True)
