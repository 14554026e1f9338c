"""The vendors one fake serves: their instances, their compiled routes, the fixture documents that seed them,
and the reset that drops state and loads those fixtures again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import fixtures
from . import options as opts
from .clock import VirtualClock
from .faults import Fault, FaultError, checked
from .lifecycle import status_at
from .routing import Operations
from .runtime import Runtime
from .snapshot import Snapshot
from .specs import SpecDoc, load_spec
from .store import Job, TenantState
from .times import stamp
from .vendor import Vendor, VendorApp
from .vendors import discover


@dataclass(eq=False)
class Registry:
    runtime: Runtime
    vendors: dict[str, VendorApp] = field(default_factory=dict)
    operations: dict[str, Operations] = field(default_factory=dict)  # each vendor's, compiled from its specs
    fixture_docs: list[dict[str, Any]] = field(default_factory=list)
    snapshot: Snapshot | None = None  # what the fixtures made, for the next full reset (snapshot.py)

    def fault(self, data: Mapping[str, Any]) -> Fault:
        """A fault from a client (the control API, the pytest plugin), checked against its vendor's operations and
        lifecycle; FaultError says what is wrong."""
        vendor = self.vendors.get(data.get("vendor"))  # type: ignore[arg-type]
        if vendor is None:
            raise FaultError(f"'vendor' must be one of {sorted(self.vendors)}")
        operations = {entry.op.operation_id for entry in self.operations[vendor.name].entries()}
        return checked(data, operations, tuple(vendor.lifecycle.forceable),
                       vendor.outcome_status)

    def engines(self) -> set[object]:
        """The vendors' job engines: each stands behind one scheduler event for all its jobs' moments."""
        return {v.jobs for v in self.vendors.values()}

    def next_event(self) -> dict[str, Any]:
        """The clock's next event as a user sees it (the control API's clock view, ``fakeexports clock``): the
        earlier of the scheduler's next event (an effect, a webhook, an expiry) and the next status change of any
        job, which waits for no event when it has no effect; and that status change."""
        due = self.runtime.scheduler.next_due()
        now = self.runtime.clock.now()
        change: tuple[float, VendorApp, TenantState, Job] | None = None
        for vendor in self.vendors.values():
            found = vendor.jobs.next_change(now)
            if found is not None and (change is None or found[0] < change[0]):
                change = (found[0], vendor, found[1], found[2])
        first = min((t for t in (due, change[0] if change else None) if t is not None), default=None)
        return {"next_event_at": stamp(first) if first is not None else None,
                "next_status_change": None if change is None else {
                    "at": stamp(change[0]), "vendor": change[1].name,
                    "tenant": change[1].tenant_label(change[2].tenant), "job": change[3].id,
                    "status": status_at(change[3].schedule, change[0])}}

    def can_restart_clock(self, vendor: str | None, tenant: str | None) -> bool:
        """Only a full reset on the virtual clock puts the clock back at its start."""
        return vendor is None and tenant is None and isinstance(self.runtime.clock, VirtualClock)

    def reset(self, vendor: str | None = None, tenant: str | None = None, *, clock: bool = False) -> int:
        """Drop state (all, one vendor's, or one tenant's) and load the fixtures for that scope again.
        ``clock=True`` (a full reset on the virtual clock only) also puts the clock back at its start,
        so that every test begins at the same moment."""
        runtime = self.runtime
        if clock and not self.can_restart_clock(vendor, tenant):
            raise ValueError("only a full reset on the virtual clock can restart the clock")
        dropped = runtime.store.reset(vendor, tenant)
        runtime.caches.reset(vendor, tenant)  # kept answers, file sizes (a job id made again names another file)
        runtime.keys.kept_after_reset()  # --state: the server's keys stay in the file
        for name, v in self.vendors.items():
            if vendor is None or name == vendor:
                v.reset(tenant)
        if vendor is None and tenant is None:
            runtime.scheduler.clear()
            runtime.faults.clear()
            runtime.webhooks.attempts.clear()
            runtime.webhooks.clear_pending()
            if clock:
                assert isinstance(runtime.clock, VirtualClock)
                runtime.clock.restart()
                key = tuple(v.config_version for v in self.vendors.values())  # fixture_docs never change
                if self.snapshot is not None and self.snapshot.key == key:
                    self.snapshot.restore(runtime.store, self.vendors)
                    return dropped
                fixtures.load_into(self.vendors, self.fixture_docs)
                if runtime.state_file is None and not runtime.webhooks.pending:
                    self.snapshot = Snapshot.take(key, runtime.store)
                return dropped
        elif tenant is None:
            runtime.faults.clear(vendor)
        fixtures.load_into(self.vendors, self.fixture_docs, vendor, tenant)
        return dropped


REGISTRY = web.AppKey("fakeexports_registry", Registry)


def load_vendors(runtime: Runtime, wanted: Mapping[str, Vendor] | None = None) -> Registry:
    """The vendors the settings select (all discovered ones by default), each in this app with its specs."""
    declared = dict(wanted) if wanted is not None else discover()
    selected = runtime.settings.vendors or tuple(declared)
    unknown = sorted(set(selected) - set(declared))
    if unknown:
        raise ValueError(f"unknown vendors {unknown}; known: {sorted(declared)}")
    known = {opts.key(name, o) for name, decl in declared.items() for o in decl.options}
    unknown_options = sorted(k for k, _ in runtime.settings.options if k not in known)
    if unknown_options:
        raise ValueError(f"unknown vendor options {unknown_options}; known: {sorted(known)}")
    registry = Registry(runtime)
    for name in selected:
        decl = declared[name]
        vendor = VendorApp(decl, runtime)
        docs: dict[str, SpecDoc] = {
            key: load_spec(name, key, decl.spec_path(filename), runtime.settings.cache_path())
            for key, filename in decl.specs.items()
        }
        registry.vendors[name] = vendor
        registry.operations[name] = Operations(vendor, docs, runtime.caches)
        runtime.webhooks.signers[name] = vendor.webhook_headers
    return registry
