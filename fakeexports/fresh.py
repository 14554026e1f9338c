"""Answers that stay the same while nothing changes: a GET whose handler says until when its answer holds
(``Reply.fresh_until``: the next moment any job it shows changes status) is kept, serialized, with the tenant
state it was made from. The same request again (the same raw path and query, the same request headers byte for
byte: a poller's repeat) is answered from it while that state has not changed (any change bumps its version),
the clock is before that moment, no event is due and no fault is queued. The vendor's per-answer headers (request
ids) are made afresh each time and the journal records each request, so a client sees what the full pipeline
would have sent; only the work of authentication, validation and rendering is saved. At most ``limit`` bytes of
bodies are kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .store import TenantState
    from .vendor import Reply


@dataclass(slots=True, eq=False)
class Fresh:
    state: TenantState
    version: int
    until: float
    reply: Reply  # as the handler answered, for the vendor's per-answer headers
    status: int
    body: bytes
    headers: dict[str, str]  # the reply's own headers, then (after the vendor's) Content-Type and ETag
    tail: dict[str, str]
    split: tuple[bytes, bytes] | None  # the body around its one answer token, or None: the body as it is
    tenant: str | None
    operation: str
    config: int  # the vendor's options' version then: a switch turned since voids it


Key = tuple[str, tuple[tuple[bytes, bytes], ...]]


class FreshAnswers:
    limit = 8 * 1024 * 1024

    def __init__(self) -> None:
        self.entries: dict[Key, Fresh] = {}
        self.size = 0

    def get(self, request: web.Request, now: float, config: int) -> Fresh | None:
        hit = self.entries.get((request.raw_path, request.raw_headers))
        if (hit is None or now >= hit.until or hit.version != hit.state.version or not hit.state.alive
                or hit.config != config):
            return None
        return hit

    def put(self, request: web.Request, entry: Fresh) -> None:
        if self.size + len(entry.body) > self.limit:
            self.entries.clear()
            self.size = 0
        key = (request.raw_path, request.raw_headers)
        old = self.entries.get(key)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(entry.body)
