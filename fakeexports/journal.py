"""The request journal: a capped record of what each vendor was asked and answered, and the server-side
errors (a handler crash, a strict-mode mismatch, a failing scheduled event) that a test should see."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

BODY = 16 * 1024  # a request body kept for the lint rules: enough to tell two creates apart
# what the lint rules read of a request's headers (who sent it; "the same request") and of an answer's
CREDENTIALS = ("Authorization", "Api-Key", "X-Api-Key")
ANSWER = ("Location", "Retry-After")


def kept(headers: Mapping[str, str], names: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
    """Those of ``names`` the headers have, as (name, value) pairs under those names (what the vendors' hooks look
    up), or None: about a hundred bytes an entry rather than every header (1.5 KB an entry more, measured, in every
    clock's journal)."""
    found = tuple((name, value) for name in names if (value := headers.get(name)) is not None)
    return found or None


PUBLIC = ("seq", "at", "vendor", "tenant", "method", "path", "status", "operation", "error", "reason", "job")


@dataclass(slots=True)
class Entry:
    """One request and its answer. ``error`` names what a refusal was in the vendor-neutral words of VendorError's
    ``kind`` (``auth``, ``rate_limited``, ``expired``...) and ``reason`` gives the vendor's words; ``job`` is the job
    the request created. The rest is kept for the lint rules (lint.py) and never shown as it is: ``params`` the
    checked path, query and header values (the validator's own dict), ``sent`` a refused request's credential
    headers (CREDENTIALS), ``body`` its body (raw, up to BODY bytes), ``answered`` a redirect's or a 429's Location
    and Retry-After."""

    seq: int
    at: float
    vendor: str
    tenant: str | None
    method: str
    path: str
    status: int
    operation: str | None
    error: str | None = None
    reason: str | None = None
    job: str | None = None
    params: Mapping[str, Any] | None = None
    sent: tuple[tuple[str, str], ...] | None = None
    body: bytes | None = None
    answered: tuple[tuple[str, str], ...] | None = None

    def public(self) -> dict[str, Any]:
        """What views show: the fields in PUBLIC (what RemoteFake builds an Entry from again)."""
        return {name: getattr(self, name) for name in PUBLIC}


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
        reason: str | None = None,
        job: str | None = None,
        params: Mapping[str, Any] | None = None,
        sent: Mapping[str, str] | None = None,
        body: bytes | None = None,
        answered: Mapping[str, str] | None = None,
    ) -> None:
        self._seq += 1
        if body is not None and len(body) > BODY:
            body = body[:BODY]
        # the credentials of a refusal (whose tenant the journal may not know), the Location and Retry-After of a
        # redirect or a 429: nothing more is read on the way of a 2xx
        self.entries.append(Entry(self._seq, at, vendor, tenant, method, path, status, operation, error, reason, job,
                                  params, kept(sent, CREDENTIALS) if sent is not None and status >= 400 else None,
                                  body, kept(answered, ANSWER) if answered is not None and (
                                      300 <= status < 400 or status == 429) else None))

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
            "entries": [e.public() for e in self.since(mark, vendor)],
            "errors": [asdict(e) for e in self.errors_since(mark)],
            "mark": self.mark,
        }
