"""Routes built from the specs: one aiohttp sub-application per vendor mount (the path prefix, and one
per real host name), each operation's handler found by operationId, and the request pipeline every
vendor request goes through: due events, version, authentication, compiled validation, faults, handler,
strict-mode response check, journal. Anything a client sends gets the vendor's envelope, never a 500
with a traceback."""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import SpecError, StrictModeError, VendorError
from .files import FileResponse
from .fresh import Fresh, FreshAnswers
from .specs import Operation, SpecDoc
from .validation import RequestValidator, ResponseValidator
from .vendor import Context, Reply, Vendor
from .wire import dumps

if TYPE_CHECKING:
    from .runtime import Runtime

Handler = Callable[[Context], Awaitable[Reply]]
_PARAM = re.compile(r"\{([^}/]+)\}")


def _specificity(path: str) -> tuple[int, int, int]:
    # Literal segments first: /v1/Exports/Jobs/{JobSid} must win over /v1/Exports/{ResourceType}/Days,
    # and /exports/{file_id}.csv.gz over /exports/{id}.
    parts = path.strip("/").split("/")
    literal = sum(1 for p in parts if not _PARAM.search(p))
    return (-literal, -len(parts), -len(_PARAM.sub("", path)))


class VendorRoutes:
    """The compiled operations of one vendor, shared by all its mounts."""

    def __init__(self, vendor: Vendor, docs: dict[str, SpecDoc]):
        self.vendor = vendor
        self.docs = docs
        # (method, path) -> {spec key -> (operation, handler, request validator, response validator)}
        self.table: dict[tuple[str, str], dict[str, tuple[Operation, Handler, RequestValidator, Any]]] = {}
        missing = []
        for key, doc in docs.items():
            for op in doc.operations:
                handler = getattr(vendor, op.handler_name, None)
                if handler is None:
                    missing.append(f"{op.operation_id} ({op.method} {op.path}) -> {op.handler_name}")
                    continue
                entry = (op, handler, RequestValidator(op), ResponseValidator(op))
                self.table.setdefault((op.method, op.path), {})[key] = entry
        if missing:
            raise SpecError(
                f"vendor {vendor.name}: operations without a handler: " + "; ".join(sorted(missing))
            )

    def paths(self) -> list[str]:
        return sorted({path for _, path in self.table}, key=_specificity)

    def methods(self, path: str) -> list[str]:
        return sorted(m for m, p in self.table if p == path)

    def allowed(self, path: str, key: str) -> list[str]:
        """The methods ``path`` has in the API version ``key`` (the Allow header of a 405)."""
        return sorted(m for (m, p), by_key in self.table.items() if p == path and key in by_key)


def _pattern(path: str) -> str:
    """An OpenAPI path template as a regular expression: each ``{name}`` one path segment (as aiohttp reads
    them), the rest literal."""
    out, pos = [], 0
    for m in _PARAM.finditer(path):
        out.append(re.escape(path[pos:m.start()]))
        out.append(f"(?P<{m.group(1)}>[^{{}}/]+)")
        pos = m.end()
    out.append(re.escape(path[pos:]))
    return "".join(out)


def _unquote(value: str) -> str:  # what aiohttp does to a matched segment of path_safe
    return value if "%" not in value else value.replace("%2F", "/").replace("%25", "%")


RouteHandler = Callable[[web.Request, Mapping[str, str] | None], Awaitable[web.StreamResponse]]
Found = tuple[RouteHandler, dict[str, str]]


class Dispatch:
    """One vendor's routes under one mount ("" for a host-name router), matched here rather than by aiohttp's
    router (which tries every resource under a common prefix in turn, each through a coroutine): the most
    specific path first, the trailing-slash variant where the vendor has one, a 405 (with the methods the
    request's API version has) for a known path's other methods and the vendor's 404 for anything else. What a
    method and path resolve to is kept, so that a client polling one URL costs a dict lookup."""

    def __init__(self, runtime: Runtime, routes: VendorRoutes, mount: str):
        self.mount = mount
        slash = "/?" if routes.vendor.trailing_slash else ""
        self.patterns = [
            (re.compile(_pattern(path) + slash),
             {m: make_handler(runtime, routes, routes.table[(m, path)], mount) for m in routes.methods(path)},
             make_fallback(runtime, routes, mount, path))
            for path in routes.paths()
        ]
        self.missing = make_fallback(runtime, routes, mount, None)
        self.cache: dict[tuple[str, str], Found] = {}

    def find(self, method: str, path: str) -> Found:
        key = (method, path)
        found = self.cache.get(key)
        if found is None:
            found = self._find(method, path[len(self.mount):]) if path.startswith(self.mount) else (self.missing, {})
            if len(self.cache) >= 4096:
                self.cache.clear()
            self.cache[key] = found
        return found

    def _find(self, method: str, path: str) -> Found:
        for pattern, handlers, fallback in self.patterns:
            m = pattern.fullmatch(path)
            if m is not None:
                match = {k: _unquote(v) for k, v in m.groupdict().items()}
                return handlers.get(method, fallback), match
        return self.missing, {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        handler, match = self.find(request.method, request.rel_url.path_safe)
        if match:
            request.match_info.update(match)  # as aiohttp's own routes would have it
        return await handler(request, match)


def add_vendor_routes(router: web.UrlDispatcher, runtime: Runtime, routes: VendorRoutes, mount: str) -> None:
    """Everything under ``mount`` goes to the vendor's Dispatch."""
    dispatch = Dispatch(runtime, routes, mount)
    router.add_route("*", mount, dispatch.handle)
    router.add_route("*", mount + "/{tail:[\\s\\S]*}", dispatch.handle)  # a newline too


class HostRouter:
    """Vendors reached through their real host names (a hosts-file entry or a proxy pointing at the fake):
    a request whose Host is ``bulkexports.twilio.com`` is routed to Twilio at the root. Only requests that
    no mount matched come here, so the path-prefix routes pay nothing for it."""

    def __init__(self) -> None:
        self.exact: dict[str, Dispatch] = {}
        self.suffixes: list[tuple[str, Dispatch]] = []

    def add(self, runtime: Runtime, routes: VendorRoutes) -> None:
        dispatch = Dispatch(runtime, routes, routes.vendor.host_path)
        for host in routes.vendor.hosts:
            if host.startswith("*."):
                self.suffixes.append((host[1:].lower(), dispatch))
            else:
                self.exact[host.lower()] = dispatch

    def find(self, host: str) -> Dispatch | None:
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        dispatch = self.exact.get(name)
        if dispatch is None:
            dispatch = next((d for suffix, d in self.suffixes if name.endswith(suffix)), None)
        return dispatch

    async def dispatch(self, request: web.Request) -> web.StreamResponse | None:
        dispatch = self.find(request.host)
        if dispatch is None:
            return None
        return await dispatch.handle(request)


def origin_of(request: web.Request, public_url: str | None) -> str:
    """Where the client reached us: --public-url, else X-Forwarded-Proto/Host, else the request's own."""
    if public_url:
        return public_url.rstrip("/")
    headers = request.headers
    proto = headers.get("X-Forwarded-Proto")
    host = headers.get("X-Forwarded-Host")
    scheme = proto.split(",", 1)[0].strip() if proto else request.scheme
    netloc = host.split(",", 1)[0].strip() if host else request.host
    return f"{scheme}://{netloc}"


def make_handler(
    runtime: Runtime,
    routes: VendorRoutes,
    by_key: dict[str, tuple[Operation, Handler, RequestValidator, ResponseValidator]],
    mount: str,
) -> RouteHandler:
    vendor = routes.vendor
    clock = runtime.clock
    scheduler = runtime.scheduler
    faults = runtime.faults
    journal = runtime.journal
    strict = runtime.settings.strict
    public_url = runtime.settings.public_url
    single = next(iter(by_key.values())) if len(by_key) == 1 and len(vendor.specs) == 1 else None
    path = next(iter(by_key.values()))[0].path
    fresh = FreshAnswers() if next(iter(by_key.values()))[0].method == "GET" else None

    async def handle(request: web.Request, match: Mapping[str, str] | None = None) -> web.StreamResponse:
        now = clock.now()
        if scheduler.has_due(now):
            scheduler.run_due(now)  # the state changes due by now; any I/O they start runs on its own
        elif fresh is not None and not faults.queue:
            hit = fresh.get(request, now, vendor.config_version)
            if hit is not None:  # a poller's repeat, nothing changed since: the same answer (fresh.py)
                headers = dict(hit.headers)
                headers["Date"] = runtime.date()
                extra = vendor.response_headers(request, hit.reply)
                if extra:
                    headers.update(extra)
                headers.update(hit.tail)
                answer = hit.body if hit.split is None else (
                    hit.split[0] + str(vendor.answer_token(request)).encode() + hit.split[1])
                journal.record(now, vendor.name, hit.tenant, request.method, request.path_qs, hit.status,
                               hit.operation)
                return web.Response(status=hit.status, body=answer, headers=headers)
        tenant: str | None = None
        ctx: Context | None = None
        entry = single
        try:
            if entry is None:
                key = vendor.spec_key(request)
                entry = by_key.get(key)
                if entry is None:  # the method exists in another API version only
                    raise vendor.method_not_allowed(request, routes.allowed(path, key))
            op, handler, validator, _ = entry
            if op.secured:
                tenant = vendor.authenticate(request, op)
            vendor.negotiate(request, op)
            # Pollers repeat the same URL: the checked parameters of a raw path (and query) are kept, so a
            # repeat costs a dict lookup. Operations with header parameters are always checked.
            params_cache = validator.cache
            params = params_cache.get(request.raw_path) if validator.cacheable else None
            if params is None:
                params, problem = validator.params(
                    request.match_info if match is None else match, request.query, request.headers
                )
                if problem is not None:
                    raise vendor.violation(problem, op, request)
                if validator.cacheable:
                    if len(params_cache) >= 4096:
                        params_cache.clear()
                    params_cache[request.raw_path] = params
            body = None
            if validator.wants_body:
                try:
                    raw = await request.read()
                except web.HTTPRequestEntityTooLarge:
                    raise VendorError(
                        413, f"The request body is larger than {runtime.settings.max_body} bytes",
                        kind="too_large",
                    ) from None
                body, problem = validator.body(request.headers.get("Content-Type", ""), raw)
                if problem is not None:
                    raise vendor.violation(problem, op, request)
            fault = faults.response_error(vendor.name, op.operation_id, tenant) if faults.queue else None
            if fault is not None:
                raise fault
            base = origin_of(request, public_url) + mount
            ctx = Context(request, runtime, vendor, op, tenant or "", params, body, base)
            reply = await handler(ctx)
        except VendorError as err:
            reply = vendor.render_error(err, request)
        except Exception as exc:  # our bug: journal it loudly, answer in the vendor's envelope
            journal.server_error(
                clock.now(), f"{vendor.name} {request.method} {request.path}", repr(exc), traceback.format_exc()
            )
            reply = vendor.render_error(VendorError(500, "Internal error of the fake", kind="internal"), request)
        if runtime.state is not None:
            try:
                runtime.flush()  # --state: what this request changed is written before its answer goes
            except Exception as exc:  # the disk is full, the file went away: no answer may claim success
                journal.server_error(clock.now(), "state file", repr(exc), traceback.format_exc())
                reply = vendor.render_error(VendorError(503, "The fake could not write its state file",
                                                        kind="internal"), request)
        response = to_response(vendor, request, reply, entry[3] if (strict and entry) else None, runtime)
        operation = entry[0].operation_id if entry else None
        journal.record(now, vendor.name, tenant, request.method, request.path_qs, response.status, operation)
        if (fresh is not None and reply.fresh_until is not None and ctx is not None and operation is not None
                and type(response) is web.Response and response.status == reply.status
                and isinstance(response.body, bytes)):
            state, data, token = ctx.state, response.body, vendor.answer_token(request)
            parts = data.split(token.encode()) if token else None
            if parts is None or len(parts) == 2:  # a token that is not there once: not kept
                fresh.put(request, Fresh(state, state.version, reply.fresh_until, reply, reply.status, data,
                                         dict(reply.headers or {}), {k: response.headers[k] for k in (
                                             "Content-Type", "ETag") if k in response.headers},
                                         None if parts is None else (parts[0], parts[1]), tenant, operation,
                                         vendor.config_version))
        return response

    return handle


def make_fallback(
    runtime: Runtime, routes: VendorRoutes, mount: str, path: str | None
) -> RouteHandler:
    """A path of the vendor with a method it does not have (405, with the methods the request's API
    version has for it in Allow), or no such path (404)."""
    vendor = routes.vendor

    async def fallback(request: web.Request, match: Mapping[str, str] | None = None) -> web.StreamResponse:
        try:
            if path is None:
                raise vendor.route_not_found(request)
            raise vendor.method_not_allowed(request, routes.allowed(path, vendor.spec_key(request)))
        except VendorError as err:
            reply = vendor.render_error(err, request)
        response = to_response(vendor, request, reply, None, runtime)
        runtime.journal.record(
            runtime.clock.now(), vendor.name, None, request.method, request.path_qs, response.status, None
        )
        return response

    return fallback


def to_response(
    vendor: Vendor,
    request: web.Request,
    reply: Reply,
    checker: ResponseValidator | None,
    runtime: Runtime,
) -> web.StreamResponse:
    headers = dict(reply.headers) if reply.headers else {}
    headers["Date"] = runtime.date()
    extra = vendor.response_headers(request, reply)
    if extra:
        headers.update(extra)
    if reply.file is not None:
        return FileResponse(reply.status, reply.file, headers)
    body = reply.body
    content_type = reply.content_type
    if body is None:
        data = b""
        content_type = None
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    else:
        data = dumps(body)
        content_type = content_type or vendor.json_type
    if checker is not None:
        try:
            # the value itself where there is one: a number past 64 bits reads back as a float from bytes
            checker.check(reply.status, content_type, body if data and not isinstance(body, bytes | bytearray)
                          else data or None, headers)
        except StrictModeError as exc:
            runtime.journal.server_error(runtime.clock.now(), "strict mode", str(exc), "")
            return web.json_response(
                {"fakeexports_strict_mode_error": str(exc)}, status=500, headers={"X-Fakeexports-Strict": "fail"}
            )
    if content_type is not None:
        headers["Content-Type"] = content_type
    if reply.etag and data:
        headers["ETag"] = f'W/"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
    return web.Response(status=reply.status, body=data if data else None, headers=headers)
