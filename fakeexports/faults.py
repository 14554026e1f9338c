"""Faults: a queue of side effects that the next matching requests or jobs take. A response fault makes
an operation answer with an error status in the vendor's envelope; an outcome fault forces the next job
created by an operation into a status (Twilio Failed, ErrorDuringRun...), through the vendor's
``force`` hook, the same hook fixtures and the control API use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


class Faults:
    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.version = 0  # changes with the queue (--state keeps it)

    def add(self, fault: Fault) -> Fault:
        if fault.status is None and fault.outcome is None:
            raise ValueError("a fault needs a status (response fault) or an outcome (job fault)")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise ValueError("a fault status is between 400 and 599")
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
