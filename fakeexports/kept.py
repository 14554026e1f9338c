"""Kept answers: the request path's one shortcut, a wrapper around a GET's Pipeline that owns its keys, its
invalidation and its records.

A handler may say until when its answer holds (``Reply.fresh_until``: the next moment anything it shows changes).
Such an answer is kept, serialized, with the versions of what it was made from: the tenant's state, the vendor's
common state (a key's project...) and the vendor's options. The same request again (the same raw path and query, the
same request headers byte for byte: a poller's repeat) is answered from it while none of them has moved, the clock
is before that moment and no fault is queued. It is still admitted (the vendor's readmit: a rate limit counts it)
and journaled, and it gets its own answer id (a request id, in its headers and wherever the kept body had the first
answer's), Date and the vendor's headers, so a client sees what the full pipeline would have sent; the work of
validation, the handler and serialization is saved. At most ``ENTRIES`` answers and ``LIMIT`` bytes of bodies are
kept (a poller repeats a handful of requests; a crowd of new credentials must not grow the server), and a reset
forgets them all (caches.Holder)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from aiohttp import web

from .errors import VendorError
from .pipeline import Exchange, Pipeline

if TYPE_CHECKING:
    from .specs import Operation
    from .store import TenantState
    from .vendor import Reply

Key = tuple[str, tuple[tuple[bytes, bytes], ...]]
LIMIT = 8 * 1024 * 1024
ENTRIES = 1024


@dataclass(slots=True, eq=False, kw_only=True)
class Kept:
    """One kept answer: what it was made from, until when it holds, and its bytes."""

    state: TenantState
    state_version: int
    common_version: int  # the vendor's common state's (-1: it had none)
    options_version: int
    until: float
    reply: Reply  # as the handler answered without its body, for the vendor's per-answer headers
    body: bytes
    headers: dict[str, str]  # the reply's own headers
    tail: dict[str, str]  # Content-Type and ETag as the full path wrote them
    split: tuple[bytes, bytes] | None  # the body around its answer's id, or None: the body as it is
    tenant: str | None
    op: Operation  # the operation it answered
    params: Mapping[str, object] | None  # its checked values (the same request's: journaled again)


class KeptAnswers:
    """Wraps one GET pipeline; ``enabled`` False (``--no-caches kept``) makes it a plain pass-through."""

    def __init__(self, pipeline: Pipeline, enabled: bool = True):
        self.pipeline = pipeline
        self.enabled = enabled
        self.entries: dict[Key, Kept] = {}
        self.size = 0
        self.name, self.stored = "kept", 0  # as caches.Caches counts it
        pipeline.runtime.caches.holder(self)

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def reset(self, vendor: str | None, tenant: str | None) -> None:  # caches.Holder: any reset empties it
        if self.entries:
            self.clear()

    def __len__(self) -> int:
        return len(self.entries)

    async def __call__(self, request: web.Request, match: Mapping[str, str]) -> web.StreamResponse:
        pipeline = self.pipeline
        pipeline.vendor.begin(request)
        now = pipeline.catch_up()
        key = (request.raw_path, request.raw_headers)
        hit = self.entries.get(key) if self.enabled else None
        if hit is not None and self.valid(hit, now):
            answer = self.replay(hit, request, match, now)
            if answer is not None:
                return answer
        x = Exchange(request, match, now)
        await pipeline.run(x)
        response = pipeline.finish(x)
        if self.enabled:
            self.keep(key, x, response)
        return response

    def valid(self, hit: Kept, now: float) -> bool:
        state, pipeline = hit.state, self.pipeline
        return (now < hit.until and hit.state_version == state.version and state.alive
                and hit.common_version == self.common_version()
                and hit.options_version == pipeline.vendor.config_version and not pipeline.runtime.faults.queue)

    def common_version(self) -> int:
        common = self.pipeline.runtime.store.find(self.pipeline.vendor.name, "")
        return -1 if common is None else common.version

    def replay(self, hit: Kept, request: web.Request, match: Mapping[str, str],
               now: float) -> web.StreamResponse | None:
        """The kept answer for this request, with its own answer id; the vendor's refusal if authentication now
        refuses it (a rate limit); None if the credential names another tenant now (the full path answers)."""
        pipeline, vendor = self.pipeline, self.pipeline.vendor
        tenant = None
        if hit.op.secured:
            try:
                tenant = vendor.readmit(request, hit.op, hit.tenant)
            except VendorError as err:
                x = Exchange(request, match, now, tenant=None, reply=vendor.render_error(err, request), refusal=err)
                return pipeline.finish(x)
        if tenant != hit.tenant:
            return None
        # this answer's own id, in the body where the kept one had its (in the headers, the vendor's hook puts it)
        body = hit.body if hit.split is None else (
            hit.split[0] + str(vendor.answer_id(request)).encode() + hit.split[1])
        headers = {**hit.headers, "Date": pipeline.runtime.date()}
        extra = vendor.response_headers(request, hit.reply)
        if extra:
            headers.update(extra)
        headers.update(hit.tail)
        response = web.Response(status=hit.reply.status, body=body, headers=headers)
        pipeline.runtime.journal.record(now, vendor.name, tenant, request.method, request.path_qs, response.status,
                                        hit.op.operation_id, None, None, None, hit.params, request.headers, None,
                                        response.headers, body, hit.op)
        return response

    def keep(self, key: Key, x: Exchange, response: web.StreamResponse) -> None:
        reply, ctx = x.reply, x.ctx
        if (reply is None or reply.fresh_until is None or ctx is None or x.entry is None
                or type(response) is not web.Response or response.status != reply.status
                or not isinstance(response.body, bytes)):
            return
        data, answer_id = response.body, self.pipeline.vendor.answer_id(x.request)  # its id, if it has one
        parts = data.split(answer_id.encode()) if answer_id else None
        if parts is not None and len(parts) > 2:  # an id that is there more than once: not kept
            return
        state = ctx.state
        entry = Kept(state=state, state_version=state.version, common_version=self.common_version(),
                     options_version=self.pipeline.vendor.config_version,
                     until=reply.fresh_until, reply=replace(reply, body=None), body=data,
                     headers=dict(reply.headers or {}),
                     tail={k: response.headers[k] for k in ("Content-Type", "ETag") if k in response.headers},
                     split=None if parts is None or len(parts) == 1 else (parts[0], parts[1]), tenant=x.tenant,
                     op=x.entry.op, params=x.params)
        if self.size + len(data) > LIMIT or len(self.entries) >= ENTRIES:
            self.clear()
        old = self.entries.get(key)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(data)
        self.stored += 1
