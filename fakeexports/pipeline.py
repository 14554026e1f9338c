"""The request path of every vendor request, read top to bottom as named steps:

    catch up   run the state changes the clock has passed (a request sees every effect due by its time)
    route      the operation the method, path and API version name (the vendor's 405 or 404 otherwise)
    authenticate  the tenant the credential names (the vendor's 401/403)
    validate   content negotiation, then path, query, header and body values checked by the compiled validators
    fault      an injected fault queued for this operation answers instead
    handle     the vendor's handler for the operationId makes the Reply
    persist    with --state, what the request changed is written before the answer goes (503 if it cannot be)
    render     the Reply as an HTTP answer: body, content type, the vendor's headers, Date on the fake clock
    check      strict mode: the answer must match the spec (a 500 naming the field otherwise)
    record     one journal entry

A VendorError raised by any step becomes the vendor's own envelope (``render_error``); anything else is our bug:
journaled with its traceback (the pytest plugin fails the test that caused it) and answered as the vendor's 500.
One Pipeline serves one path of a vendor under one mount, every API version of it; kept.py wraps it with the
one shortcut the request path has."""

from __future__ import annotations

import asyncio
import hashlib
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import HttpVersion11, web

from .errors import BodyError, ClientGone, StateWriteError, StrictModeError, VendorError, Violation
from .files import FileResponse
from .journal import Entry as JournalEntry
from .specs import Operation
from .validation import RequestValidator, ResponseValidator
from .vendor import Context, Reply, VendorApp
from .wire import dumps

if TYPE_CHECKING:
    from .runtime import Runtime

Handler = Callable[[Context], Awaitable[Reply]]
# a refused request's journal entry, on its answer: what serve --verbose prints its reason from (app.py RequestLog)
JOURNALED = web.ResponseKey("fakeexports_journaled", JournalEntry)

# --state: every answer while changes wait unwritten (the disk full or read-only: persist.py)
MSG_UNWRITTEN = "The fake could not write its state file; try again later"


@dataclass(frozen=True, slots=True)
class Entry:
    """One operation in one API version: its handler and its compiled validators."""

    op: Operation
    handler: Handler
    validator: RequestValidator
    checker: ResponseValidator


@dataclass(slots=True)
class Exchange:
    """One request on its way through the steps, and what each step found."""

    request: web.Request
    match: Mapping[str, str]
    now: float  # the fake clock when it arrived: the journal's time
    entry: Entry | None = None
    tenant: str | None = None
    params: dict[str, Any] | None = None
    body: Any = None
    ctx: Context | None = None
    reply: Reply | None = None
    close: bool = False  # the body was not read to its end: the answer ends the connection
    gone: bool = False  # the client hung up before its body arrived: nobody to answer
    raw: bytes | None = None  # the body as it came (journaled for the lint rules)
    refusal: VendorError | None = None  # why the answer is a refusal (journaled: its kind and words)
    problem: Violation | None = None  # the validation failure behind a refusal (journaled: its field and rule)

    @property
    def operation(self) -> str | None:
        return self.entry.op.operation_id if self.entry is not None else None


def tunnel_of(request: web.BaseRequest) -> str | None:
    """The vendor host whose proxy tunnel the request came through (proxy.Front says), or None."""
    transport = request.transport
    return None if transport is None else getattr(transport.get_protocol(), "tunnel", None)


# A host and port as a URL may carry them: a name (docker's may have "_"), an IPv4 address or an [IPv6] literal.
_HOST = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
BAD_HOST = "The Host header is not a host name"
GONE = "The client closed the connection before its request body arrived"


def origin_of(request: web.Request, public_url: str | None, prefix: str = "") -> str:
    """Where the client reached us, the origin of every URL the fake emits: a proxy tunnel's vendor host (https),
    else --public-url, else a reverse proxy's X-Forwarded-Proto and X-Forwarded-Host (each only where it is http or
    https, and a host name), else the request's own scheme and Host (a 400 where that is no host name). ``prefix``
    (a clock's /_clocks/{id}: clocks.py) follows the origin, except in a tunnel, which reaches the vendor's root
    only (there the credential brings a request back to its clock)."""
    tunnel = tunnel_of(request)
    if tunnel is not None:
        return f"https://{tunnel}"
    if public_url:
        return public_url.rstrip("/") + prefix
    headers = request.headers
    scheme, host = request.scheme, ""
    proto = headers.get("X-Forwarded-Proto")
    if proto is not None:
        proto = proto.split(",", 1)[0].strip().lower()
        scheme = proto if proto in ("http", "https") else scheme
    forwarded = headers.get("X-Forwarded-Host")
    if forwarded is not None:
        host = forwarded.split(",", 1)[0].strip()
    if not host or not _HOST.fullmatch(host):
        host = request.host
        if not _HOST.fullmatch(host):
            raise VendorError(400, BAD_HOST, kind="validation")
    return f"{scheme}://{host}{prefix}"


async def expect_continue(request: web.Request) -> None:
    """``Expect: 100-continue`` (aiohttp calls this before the handler): the go-ahead only for a body the fake will
    read. One declared over the limit gets none: the handler answers 413 before a byte of it is sent, and the
    connection closes after. Other expectations are ignored, as RFC 9110 (10.1.1) allows."""
    if (request.version >= HttpVersion11 and request.headers.get("Expect", "").strip().lower() == "100-continue"
            and (request.content_length or 0) <= request.client_max_size):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # what the answer writes is counted from here, as aiohttp's own handler does


def oversized(request: web.BaseRequest) -> bool:
    """The request says its body is over the limit: the fake never reads it, so its answer closes the connection
    (aiohttp would otherwise wait for that body after the answer, and read the client's next request as part of it)."""
    return (request.content_length or 0) > request.client_max_size


async def read_body(request: web.Request, timeout: float) -> bytes:
    """The whole body, within the server's limits: BodyError (413 over the limit, said up front or found reading;
    408 slower than ``timeout`` real seconds; 400 a broken chunked encoding), ClientGone if the client hangs up."""
    limit = request.client_max_size
    too_large = BodyError(413, f"The request body is larger than {limit} bytes", kind="too_large")
    if oversized(request):
        raise too_large
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    except TimeoutError:
        raise BodyError(408, f"The request body did not arrive within {timeout:g} seconds", kind="timeout") from None
    except web.RequestPayloadError as exc:
        raise BodyError(400, f"The request body is malformed: {exc}", kind="validation") from None
    except ConnectionResetError:
        raise ClientGone() from None


class Pipeline:
    """The steps for one path of a vendor under one mount. ``by_key``: the path's operation for the request's method
    in each API version (spec key); empty for a method the path lacks, ``path`` None for a path the vendor lacks."""

    def __init__(self, runtime: Runtime, vendor: VendorApp, mount: str, path: str | None,
                 by_key: Mapping[str, Entry], allowed: Callable[[str], list[str]]):
        self.runtime = runtime
        self.vendor = vendor
        self.mount = mount
        self.path = path
        self.by_key = dict(by_key)
        self.allowed = allowed  # the methods the path has in an API version (a 405's Allow)
        # one version of one operation: no need to ask which (the common case)
        self.single = next(iter(self.by_key.values())) if len(self.by_key) == 1 and len(vendor.specs) == 1 else None

    async def __call__(self, request: web.Request, match: Mapping[str, str]) -> web.StreamResponse:
        self.vendor.begin(request)
        x = Exchange(request, match, self.catch_up())
        await self.run(x)
        return self.finish(x)

    async def run(self, x: Exchange) -> None:
        """route, authenticate, validate, fault, handle: x.reply is the answer, or the vendor's envelope of why not."""
        try:
            self.route(x)
            self.authenticate(x)
            await self.validate(x)
            self.fault(x)
            await self.handle(x)
        except VendorError as err:
            x.refusal = err
            x.reply = self.vendor.render_error(err, x.request)
            x.close = isinstance(err, BodyError)
        except ClientGone:  # answered as any refusal (the vendor's hooks see an answer), but nobody will read it
            x.gone = x.close = True
            x.reply = self.vendor.render_error(VendorError(400, GONE, kind="validation"), x.request)
        except Exception as exc:  # our bug: journaled loudly, answered in the vendor's envelope
            self.runtime.journal.server_error(self.runtime.clock.now(), f"{self.vendor.name} {x.request.method} "
                                              f"{x.request.path}", repr(exc), traceback.format_exc())
            x.reply = self.vendor.render_error(VendorError(500, "Internal error of the fake", kind="internal"),
                                               x.request)

    def finish(self, x: Exchange) -> web.StreamResponse:
        """persist, render, check, record."""
        self.persist(x)
        response = self.render(x)
        response = self.check(x, response)
        if x.close or oversized(x.request):
            response.force_close()
        self.record(x, response)
        return response

    # --- the steps --------------------------------------------------------------------------------------------
    def catch_up(self) -> float:
        runtime = self.runtime
        now = runtime.clock.now()
        if runtime.scheduler.has_due(now):
            runtime.scheduler.run_due(now)  # the state changes due by now; any I/O they start runs on its own
        return now

    def route(self, x: Exchange) -> None:
        if self.single is not None:
            x.entry = self.single
            return
        vendor, request = self.vendor, x.request
        if self.path is None:
            raise vendor.route_not_found(request)
        key = vendor.spec_key(request)
        x.entry = self.by_key.get(key)
        if x.entry is None:  # the method exists in another API version only, or not at all
            raise vendor.method_not_allowed(request, self.allowed(key))

    def authenticate(self, x: Exchange) -> None:
        assert x.entry is not None
        if x.entry.op.secured:
            x.tenant = self.vendor.authenticate(x.request, x.entry.op)

    async def validate(self, x: Exchange) -> None:
        assert x.entry is not None
        op, validator, request, vendor = x.entry.op, x.entry.validator, x.request, self.vendor
        vendor.negotiate(request, op)
        params, problem = validator.params(x.match, request.query, request.headers, request.raw_path)
        if problem is not None:
            x.problem = problem
            raise vendor.violation(problem, op, request)
        x.params = params
        if validator.wants_body:
            x.raw = raw = await read_body(request, self.runtime.settings.body_timeout)
            x.body, problem = validator.body(request.headers.get("Content-Type", ""), raw)
            if problem is not None:
                x.problem = problem
                raise vendor.violation(problem, op, request)

    def fault(self, x: Exchange) -> None:
        faults = self.runtime.faults
        if faults.queue:
            assert x.entry is not None
            error = faults.response_error(self.vendor.name, x.entry.op.operation_id, x.tenant)
            if error is not None:
                raise error

    async def handle(self, x: Exchange) -> None:
        assert x.entry is not None and x.params is not None
        runtime = self.runtime
        base = origin_of(x.request, runtime.settings.public_url, runtime.url_prefix) + self.mount
        x.ctx = Context(x.request, self.runtime, self.vendor, x.entry.op, x.tenant or "", x.params, x.body, base)
        x.reply = await x.entry.handler(x.ctx)

    def persist(self, x: Exchange) -> None:
        if self.runtime.state_file is None:
            return
        try:
            self.runtime.flush()  # --state: what this request changed is written before its answer goes
        except StateWriteError:  # the disk is full or read-only (journaled once): no answer shows unwritten state
            x.reply = self.vendor.render_error(VendorError(503, MSG_UNWRITTEN, kind="internal"), x.request)

    def render(self, x: Exchange) -> web.StreamResponse:
        assert x.reply is not None
        return render(self.runtime, self.vendor, x.request, x.reply)

    def check(self, x: Exchange, response: web.StreamResponse) -> web.StreamResponse:
        if not self.runtime.settings.strict or x.entry is None or not isinstance(response, web.Response):
            return response  # a streamed file is checked by its headers' producer, not here
        reply = x.reply
        assert reply is not None
        value = reply.body if reply.body is not None and not isinstance(reply.body, bytes | bytearray) else (
            response.body or None)  # the value itself where there is one: a number past 64 bits reads back a float
        try:
            x.entry.checker.check(response.status, reply.content_type or response.headers.get("Content-Type"),
                                  value, response.headers)
        except StrictModeError as exc:
            self.runtime.journal.server_error(self.runtime.clock.now(), "strict mode", str(exc), "")
            return web.json_response({"fakeexports_strict_mode_error": str(exc)}, status=500,
                                     headers={"X-Fakeexports-Strict": "fail"})
        return response

    def record(self, x: Exchange, response: web.StreamResponse) -> None:
        request, refusal, entry = x.request, x.refusal, x.entry
        status = 499 if x.gone else response.status  # nginx's "client closed request": what was sent, nobody read
        held = type(response) is web.Response  # else a file, streamed in parts: never held whole
        answer = response.body if isinstance(response, web.Response) else None
        journaled = self.runtime.journal.record(
            x.now, self.vendor.name, x.tenant, request.method, request.path_qs, status, x.operation,
            None if refusal is None else refusal.kind, None if refusal is None else refusal.message,
            None if x.ctx is None else x.ctx.made, x.params, request.headers, x.raw, response.headers,
            answer if isinstance(answer, bytes) else None, None if entry is None else entry.op, refusal, x.problem,
            not held)
        if status >= 400:
            response[JOURNALED] = journaled


def render(runtime: Runtime, vendor: VendorApp, request: web.Request, reply: Reply) -> web.StreamResponse:
    """A Reply as an HTTP answer: its headers, Date on the fake clock, the vendor's own headers, and the body
    (JSON serialized with orjson, raw bytes, nothing, or a streamed file)."""
    headers = dict(reply.headers) if reply.headers else {}
    headers["Date"] = runtime.date()
    extra = vendor.response_headers(request, reply)
    if extra:
        headers.update(extra)
    if reply.file is not None:
        return FileResponse(reply.status, reply.file, headers, runtime.sizes)
    body, content_type = reply.body, reply.content_type
    if body is None:
        data, content_type = b"", None
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    else:
        data = dumps(body)
        content_type = content_type or vendor.json_type
    if content_type is not None:
        headers["Content-Type"] = content_type
    if reply.etag and data:
        headers["ETag"] = f'W/"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
    return web.Response(status=reply.status, body=data if data else None, headers=headers)
