"""Faults: a queue of side effects that the next matching requests or jobs take. A response fault makes
an operation answer with an error status in the vendor's envelope; an outcome fault forces the next job
created by an operation into a status (Twilio Failed, ErrorDuringRun...), through the vendor's
``force`` hook, the same hook fixtures and the control API use."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import VendorError


@dataclass
class Fault:
    vendor: str
    operation: str | None = None  # None: any operation of the vendor
    tenant: str | None = None  # None: any tenant
    status: int | None = None  # response fault: answer with this status
    message: str = "Injected fault"
    outcome: str | None = None  # outcome fault: force the created job into this status
    times: int = 1  # how many matches it takes before it is used up; 0 = forever

    def matches(self, vendor: str, operation: str, tenant: str | None) -> bool:
        return (
            self.vendor == vendor
            and (self.operation is None or self.operation == operation)
            and (self.tenant is None or self.tenant == tenant)
        )


FIELDS = tuple(f.name for f in fields(Fault))


class FaultError(ValueError):
    """A fault that could never match, or is ill-typed: refused when it is added, so that a typo in a test fails
    there instead of testing nothing."""


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked(data: Mapping[str, Any], operations: Collection[str], outcomes: Collection[str],
            outcome_status: Callable[[str], str]) -> Fault:
    """A Fault from ``data`` (the control API's JSON, the plugin's keywords), checked against its vendor: an
    operation the vendor has (``operations``, its operationIds), a status from 400 to 599, ``times`` a whole number
    from 0, an outcome whose status (``outcome_status``: the vendor's reading of the text) the lifecycle can force
    (``outcomes``). Raises FaultError naming what is wrong and what would do."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise FaultError(f"unknown fault fields {unknown}; allowed: {sorted(FIELDS)}")
    vendor = data.get("vendor")
    operation = data.get("operation")
    if operation is not None and (not isinstance(operation, str) or operation not in operations):
        raise FaultError(f"operation {operation!r} is not an operation of {vendor}; it has: "
                         + ", ".join(sorted(operations)))
    for name in ("tenant", "message"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise FaultError(f"{name!r} must be a string")
    status, outcome = data.get("status"), data.get("outcome")
    if status is None and outcome is None:
        raise FaultError("a fault needs a status (response fault) or an outcome (job fault)")
    if status is not None and (not _integer(status) or not 400 <= status <= 599):
        raise FaultError(f"'status' must be a whole number from 400 to 599, not {status!r}")
    if outcome is not None and (not isinstance(outcome, str) or outcome_status(outcome) not in outcomes):
        raise FaultError(f"outcome {outcome!r} cannot be forced on a {vendor} job; it can be: "
                         + ", ".join(outcomes))
    times = data.get("times", 1)
    if not _integer(times) or times < 0:
        raise FaultError(f"'times' must be a whole number from 0 (0: forever), not {times!r}")
    return Fault(**data)


class Faults:
    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.version = 0  # changes with the queue (--state keeps it)

    def add(self, fault: Fault) -> Fault:
        """Queue a fault (checked by ``checked`` where it comes from a client)."""
        if fault.status is None and fault.outcome is None:
            raise FaultError("a fault needs a status (response fault) or an outcome (job fault)")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise FaultError("a fault status is between 400 and 599")
        self.queue.append(fault)
        self.version += 1
        return fault

    def _take(self, vendor: str, operation: str, tenant: str | None, kind: str) -> Fault | None:
        for fault in self.queue:
            if getattr(fault, kind) is not None and fault.matches(vendor, operation, tenant):
                if fault.times > 0:
                    fault.times -= 1
                    self.version += 1
                    if fault.times == 0:
                        self.queue.remove(fault)
                return fault
        return None

    def response_error(self, vendor: str, operation: str, tenant: str | None) -> VendorError | None:
        if not self.queue:
            return None
        fault = self._take(vendor, operation, tenant, "status")
        if fault is None or fault.status is None:
            return None
        kind = {401: "auth", 404: "not_found", 429: "rate_limited"}.get(fault.status, "fault")
        return VendorError(fault.status, fault.message, kind=kind)

    def outcome(self, vendor: str, operation: str, tenant: str | None) -> str | None:
        if not self.queue:
            return None
        fault = self._take(vendor, operation, tenant, "outcome")
        return fault.outcome if fault else None

    def clear(self, vendor: str | None = None) -> None:
        self.queue = [f for f in self.queue if vendor is not None and f.vendor != vendor]
        self.version += 1

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.queue]
