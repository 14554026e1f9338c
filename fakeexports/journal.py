"""The request journal: a capped record of what each vendor was asked and answered, and the server-side
errors (a handler crash, a strict-mode mismatch, a failing scheduled event) that a test should see."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class Entry:
    seq: int
    at: float
    vendor: str
    tenant: str | None
    method: str
    path: str
    status: int
    operation: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ServerError:
    seq: int
    at: float
    where: str
    message: str
    traceback: str


class Journal:
    """``entries`` keeps the last ``size`` requests; ``errors`` the last ``size`` server-side errors.
    ``seq`` numbers never repeat, so a test can ask for what happened since a mark."""

    def __init__(self, size: int = 1000):
        self.entries: deque[Entry] = deque(maxlen=size)
        self.errors: deque[ServerError] = deque(maxlen=size)
        self._seq = 0

    @property
    def mark(self) -> int:
        return self._seq

    def record(
        self,
        at: float,
        vendor: str,
        tenant: str | None,
        method: str,
        path: str,
        status: int,
        operation: str | None,
        error: str | None = None,
    ) -> None:
        self._seq += 1
        self.entries.append(Entry(self._seq, at, vendor, tenant, method, path, status, operation, error))

    def server_error(self, at: float, where: str, message: str, traceback: str) -> None:
        self._seq += 1
        self.errors.append(ServerError(self._seq, at, where, message, traceback))

    def since(self, mark: int = 0, vendor: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.seq > mark and (vendor is None or e.vendor == vendor)]

    def errors_since(self, mark: int = 0) -> list[ServerError]:
        return [e for e in self.errors if e.seq > mark]

    def clear(self) -> None:
        self.entries.clear()
        self.errors.clear()

    def to_json(self, mark: int = 0, vendor: str | None = None) -> dict[str, Any]:
        return {
            "entries": [asdict(e) for e in self.since(mark, vendor)],
            "errors": [asdict(e) for e in self.errors_since(mark)],
            "mark": self.mark,
        }
