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


def add_vendor_routes(router: web.UrlDispatcher, runtime: Runtime, routes: VendorRoutes, mount: str) -> None:
    """Register one vendor's operations under ``mount`` ("" for a host-name router), most specific path
    first, each path with a 405 for its other methods, and a vendor 404 for the rest of the mount."""
    slash = routes.vendor.trailing_slash
    for path in routes.paths():
        for variant in (path, path + "/") if slash else (path,):
            resource = router.add_resource(mount + variant)
            for method in routes.methods(path):
                resource.add_route(method, make_handler(runtime, routes, routes.table[(method, path)], mount))
            resource.add_route("*", make_fallback(runtime, routes, mount, path))
    if mount:
        router.add_route("*", mount, make_fallback(runtime, routes, mount, None))
    router.add_route("*", mount + "/{tail:.*}", make_fallback(runtime, routes, mount, None))


class HostRouter:
    """Vendors reached through their real host names (a hosts-file entry or a proxy pointing at the fake):
    a request whose Host is ``bulkexports.twilio.com`` is routed to Twilio at the root. Only requests that
    no mount matched come here, so the path-prefix routes pay nothing for it."""

    def __init__(self) -> None:
        self.exact: dict[str, web.UrlDispatcher] = {}
        self.suffixes: list[tuple[str, web.UrlDispatcher]] = []

    def add(self, runtime: Runtime, routes: VendorRoutes) -> None:
        router = web.UrlDispatcher()
        add_vendor_routes(router, runtime, routes, "")
        for host in routes.vendor.hosts:
            if host.startswith("*."):
                self.suffixes.append((host[1:].lower(), router))
            else:
                self.exact[host.lower()] = router

    def find(self, host: str) -> web.UrlDispatcher | None:
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        router = self.exact.get(name)
        if router is None:
            router = next((r for suffix, r in self.suffixes if name.endswith(suffix)), None)
        return router

    async def dispatch(self, request: web.Request) -> web.StreamResponse | None:
        router = self.find(request.host)
        if router is None:
            return None
        match = await router.resolve(request)
        handler: Any = match.handler
        response: web.StreamResponse = await handler(request, match)
        return response


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
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    vendor = routes.vendor
    clock = runtime.clock
    scheduler = runtime.scheduler
    faults = runtime.faults
    journal = runtime.journal
    strict = runtime.settings.strict
    public_url = runtime.settings.public_url
    single = next(iter(by_key.values())) if len(by_key) == 1 and len(vendor.specs) == 1 else None
    path = next(iter(by_key.values()))[0].path

    async def handle(request: web.Request, match: Mapping[str, str] | None = None) -> web.StreamResponse:
        now = clock.now()
        if scheduler.has_due(now):
            scheduler.run_due(now)  # the state changes due by now; any I/O they start runs on its own
        tenant: str | None = None
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
            reply = await handler(Context(request, runtime, vendor, op, tenant or "", params, body, base))
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
        journal.record(
            now, vendor.name, tenant, request.method, request.path_qs, response.status,
            entry[0].operation_id if entry else None,
        )
        return response

    return handle


def make_fallback(
    runtime: Runtime, routes: VendorRoutes, mount: str, path: str | None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
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
