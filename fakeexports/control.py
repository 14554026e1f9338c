"""The control API under /_fakeexports/ (JSON in and out): health, the clock, reset, the request journal, faults,
jobs and force, vendors and tenants, fixtures, specs and the dashboard, described by its own OpenAPI document
(specs/control.yaml, served at /_fakeexports/openapi.json; docs/control-api.md). Each endpoint is a top-level handler;
``endpoint`` wraps it once with what every one needs: the control token, the project's own errors as 4xx (a
client's mistake, with {"error": ...}), anything else as a journaled 500 (our bug: it fails the test that caused
it), the state file written before the answer, in strict mode the answer checked against the document, and Date on
the fake clock. An endpoint added here is added to the document too (tests/test_control_doc.py holds them
together)."""

from __future__ import annotations

import copy
import hmac
import re
import time
import traceback
from collections.abc import Awaitable, Callable
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from . import fixtures, lint, ui
from .ca import CertificateAuthority
from .clock import ClockRangeError, in_range
from .clocks import CLOCKS, ClockError, Clocks, Timeline
from .clocks import PREFIX as CLOCK_PREFIX
from .errors import BodyError, ClientGone, StateWriteError, StrictModeError, VendorError
from .faults import FaultError
from .files import hex_id
from .fixtures import FixtureError
from .pipeline import expect_continue, origin_of, oversized, read_body, tunnel_of
from .registry import REGISTRY
from .routing import ROUTER
from .rules import SEVERITIES
from .runtime import RUNTIME
from .specs import data_dir, load_spec
from .store import VOLUME
from .times import parse_rfc3339, stamp
from .transcript import redact_url, redact_value, scrub
from .validation import ResponseValidator
from .wire import dumps

if TYPE_CHECKING:
    from .registry import Registry
    from .runtime import Runtime
    from .specs import Operation, SpecDoc
    from .store import Job, TenantState
    from .vendor import VendorApp

PREFIX = "/_fakeexports"
# without the control token: the health check, the dashboard's static page, the CA certificate, this API's document,
# and the clocks (a CI job makes its own, then drives it with its token; listing every clock needs the control token:
# clocks_list checks it)
OPEN = ("/health", "/ui", "/ca.pem", "/openapi.json", "/openapi.yaml", "/clocks", "/clocks/{clock}",
        "/clocks/{clock}/tenants")
CATCH_ALL = "/{tail:[\\s\\S]*}"  # a path no endpoint has: its 404 is no operation of the document
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES = web.RouteTableDef()


class ControlError(Exception):
    """A control request the fake refuses, with its status and why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# The project's declared errors, each a client's mistake: the answer says what was wrong.
REFUSED = (ControlError, ClockError, VendorError, FaultError, FixtureError)


def shown(request: web.Request, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Views of journal entries, webhook attempts, faults and jobs with each tenant as its vendor shows it (a DIDWW
    API key masked: Vendor hook tenant_label)."""
    vendors = request.app[REGISTRY].vendors
    for view in views:
        vendor, tenant = vendors.get(view.get("vendor") or ""), view.get("tenant")
        if vendor is not None and tenant:
            view["tenant"] = vendor.tenant_label(tenant)
    return views


def tenant_named(request: web.Request, vendor: VendorApp, name: str) -> str:
    """The tenant a control request names: by itself, or by the one form views show it in (a masked key) when that
    names exactly one tenant with state."""
    if request.app[RUNTIME].store.find(vendor.name, name) is not None:
        return name
    found = [s.tenant for s in request.app[RUNTIME].store.tenants(vendor.name) if vendor.tenant_label(s.tenant) == name]
    return found[0] if len(found) == 1 else name


def named(vendor: VendorApp, tenant: str, wanted: str | None) -> bool:
    """A ``tenant`` filter matches a tenant by its name or by the label views show."""
    return not wanted or wanted == tenant or wanted == vendor.tenant_label(tenant)


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=dumps(data), content_type="application/json", headers=headers)


def endpoint(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register a control handler at PREFIX + path, wrapped once with the token check, the error rule, the state
    flush, the strict-mode check against the document (its operation at PREFIX + path) and the Date header."""

    def wrap(fn: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if tunnel_of(request) is not None:  # a proxy tunnel reaches its vendor only: that vendor's 404
                return await request.app[ROUTER].dispatch(request) or web.HTTPNotFound()
            runtime = request.app[RUNTIME]
            token = runtime.settings.control_token
            if token is not None and path not in OPEN and not _authorized(request, token):
                response: web.StreamResponse = reply(
                    {"error": "the control API needs 'Authorization: Bearer <control token>'"}, 401,
                    headers={"WWW-Authenticate": 'Bearer realm="fakeexports control"'})
            else:
                response = await _answer(fn, request, runtime)
            try:
                runtime.flush()  # --state: a change is written before its answer goes
            except StateWriteError as exc:  # the disk is full or read-only: no answer shows unwritten state
                response = reply({"error": f"the state file could not be written: {exc}"}, 503)
            if runtime.settings.strict and path != CATCH_ALL:
                response = _as_documented(request, method, PREFIX + path, response)
            response.headers["Date"] = runtime.date()
            if oversized(request) or request.get(UNREAD, False):  # the rest of a body is not read: the connection ends
                response.force_close()
            return response

        ROUTES.route(method, PREFIX + path, expect_handler=expect_continue)(guarded)
        return fn

    return wrap


async def _answer(fn: Handler, request: web.Request, runtime: Runtime) -> web.StreamResponse:
    try:
        return await fn(request)
    except (ControlError, ClockError) as exc:
        return reply({"error": exc.message}, exc.status)
    except VendorError as exc:
        return reply({"error": exc.message}, exc.status)
    except (FaultError, FixtureError) as exc:
        return reply({"error": str(exc)}, 400)
    except Exception as exc:  # our own bug: loud in the journal, so that the test that caused it fails
        runtime.journal.server_error(runtime.clock.now(), f"control {request.method} {request.path}", repr(exc),
                                     traceback.format_exc())
        return reply({"error": f"internal error of the fake: {exc!r}"}, 500)


def _as_documented(request: web.Request, method: str, route: str, response: web.StreamResponse) -> web.StreamResponse:
    """Strict mode: the answer as this API's own document describes it, or a 500 naming the operation and the field,
    and a server-side error in the journal (which fails the test that caused it), as a vendor's answer is held to its
    spec (pipeline.py, check)."""
    if not isinstance(response, web.Response):
        return response
    runtime = request.app[RUNTIME]
    try:
        request.app[CONTROL_DOC].check(method, route, response)
    except StrictModeError as exc:
        runtime.journal.server_error(runtime.clock.now(), "strict mode", str(exc), "")
        return reply({"error": f"strict mode: {exc}"}, 500, headers={"X-Fakeexports-Strict": "fail"})
    return response


def _authorized(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


UNREAD = web.RequestKey("fakeexports_unread", bool)  # its body was not read to its end (BodyError)


# --- this API's own document (specs/control.yaml) ---------------------------------------------------------------
DOC_FILE = "control.yaml"
_PLACEHOLDER = "http://127.0.0.1:8080"  # the document's servers' origin, rewritten to the fake's when served
_NO_CLOCK = "clk_0000000000000000"  # the clock server's default id, a clock's own when served on one
_IN_CLOCK = re.compile(re.escape(CLOCK_PREFIX) + r"/[^/]+(?=/_fakeexports(?:/|$))")


class ControlDoc:
    """This API's OpenAPI document, read when first needed (a strict-mode check, a request for it), never at startup;
    and the checks strict mode holds every control answer to: the project's ResponseValidator, one per operation,
    each compiled on its first use. One per app (CONTROL_DOC)."""

    def __init__(self, cache_dir: Path | None = None, path: Path | None = None):
        self.cache_dir = cache_dir
        self.path = path or data_dir("specs") / DOC_FILE
        self._spec: SpecDoc | None = None
        self._checks: dict[tuple[str, str], ResponseValidator] = {}
        self._patterns: list[tuple[re.Pattern[str], Operation]] | None = None

    @property
    def spec(self) -> SpecDoc:
        if self._spec is None:
            self._spec = load_spec("control", "control", self.path, self.cache_dir)
        return self._spec

    def operation(self, method: str, route: str) -> Operation | None:
        """The operation of a route as registered (``/_fakeexports/jobs/{vendor}/{job_id}/force``)."""
        return next((op for op in self.spec.operations if op.method == method and op.path == route), None)

    def operation_at(self, method: str, path: str) -> Operation | None:
        """The operation a request names by its method and path as sent (a clock's ``/_clocks/{id}`` in front or
        not): for a client checking the answers it gets."""
        if self._patterns is None:
            self._patterns = [(re.compile("[^/]+".join(map(re.escape, re.split(r"\{[^/}]+\}", op.path))) + "$"), op)
                              for op in self.spec.operations]
        path = _IN_CLOCK.sub("", path, count=1)
        return next((op for pattern, op in self._patterns if op.method == method and pattern.match(path)), None)

    def check(self, method: str, route: str, response: web.Response) -> None:
        """StrictModeError unless the answer is one the route's operation declares, in its shape."""
        checker = self._checks.get((method, route))
        if checker is None:
            op = self.operation(method, route)
            if op is None:
                raise StrictModeError(f"control {method} {route}: no operation of {self.path.name} has this route")
            checker = self._checks[method, route] = ResponseValidator(op)
        checker.check(response.status, response.content_type, response.body, response.headers)

    def served(self, origin: str, clock: str | None) -> dict[str, Any]:
        """The document, its servers at ``origin``; asked for on a clock (``clock``: its id), with that id as the
        clock server's default."""
        doc = copy.deepcopy(self.spec.source)
        groups = [doc.get("servers") or [], *(item.get("servers") or [] for item in doc["paths"].values())]
        for server in (server for group in groups for server in group):
            server["url"] = server["url"].replace(_PLACEHOLDER, origin)
            if clock is not None and "clock" in server.get("variables", {}):
                server["variables"]["clock"]["default"] = clock
        return doc

    def served_text(self, origin: str, clock: str | None) -> str:
        """The same as YAML: the file as written (its comments kept), the same changes made."""
        text = self.spec.path.read_text().replace(_PLACEHOLDER, origin)
        return text if clock is None else text.replace(f"default: {_NO_CLOCK}", f"default: {clock}")


CONTROL_DOC = web.AppKey("fakeexports_control_doc", ControlDoc)


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        raw = await read_body(request, request.app[RUNTIME].settings.body_timeout)
    except BodyError as exc:
        request[UNREAD] = True
        raise ControlError(exc.status, exc.message) from None
    except ClientGone:
        raise ControlError(400, "the client closed the connection before its body arrived") from None
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ControlError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def number(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(400, f"{key!r} must be a number")
    if value < 0:
        raise ControlError(400, f"{key!r} must not be negative: the clock only moves forward")
    return float(value)


def in_reach(runtime: Runtime, seconds: float) -> None:
    """A 400 saying the bound for a move the clock cannot make (checked before anything fires)."""
    try:
        runtime.clock.check(seconds)
    except ValueError as exc:
        raise ControlError(400, f"{exc}; it is {stamp(runtime.clock.now())} now") from None


def vendor_of(request: web.Request, name: str | None = None) -> VendorApp:
    """The vendor the path (or ``name``) names, or a 404."""
    name = request.match_info["vendor"] if name is None else name
    vendor = request.app[REGISTRY].vendors.get(name)
    if vendor is None:
        raise ControlError(404, f"unknown vendor {name!r}")
    return vendor


def _string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ControlError(400, f"{key!r} must be a string")
    return value


# --- health and the clock ------------------------------------------------------------------------------------
def clock_view(runtime: Runtime, registry: Registry) -> dict[str, Any]:
    return {
        **runtime.clock.describe(),
        "epoch": runtime.clock.now(),
        **registry.next_event(),  # next_event_at, and next_status_change when a job's status changes then or later
        # the jobs' moments wait in each vendor's heap, behind one scheduler event per vendor
        "pending_events": runtime.scheduler.pending_count(exclude=registry.engines())
        + sum(v.jobs.pending() for v in registry.vendors.values()),
        "in_flight": len(runtime.scheduler.inflight),  # webhook and callback attempts under way
    }


@endpoint("GET", "/health")
async def health(request: web.Request) -> web.StreamResponse:
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    return reply({"status": "ok", "vendors": {name: v.mount for name, v in registry.vendors.items()},
                  "clock": runtime.clock.kind, "strict": runtime.settings.strict, "jobs": runtime.store.job_count()})


@endpoint("GET", "/clock")
async def clock(request: web.Request) -> web.StreamResponse:
    return reply(clock_view(request.app[RUNTIME], request.app[REGISTRY]))


@endpoint("POST", "/clock/advance")
async def advance(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    seconds = number(await json_body(request), "seconds")
    in_reach(runtime, seconds)
    fired = await runtime.scheduler.advance(seconds)
    return reply({**clock_view(runtime, request.app[REGISTRY]), "fired": fired})


@endpoint("POST", "/clock/set")
async def set_clock(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    data = await json_body(request)
    if not isinstance(data.get("now"), str):
        raise ControlError(400, "'now' must be an RFC 3339 timestamp")
    try:
        when = parse_rfc3339(data["now"])
    except ValueError:
        raise ControlError(400, f"'now' is not an RFC 3339 timestamp: {data['now']!r}") from None
    if when < runtime.clock.now():
        raise ControlError(400, "the clock only moves forward")
    in_reach(runtime, when - runtime.clock.now())
    fired = await runtime.scheduler.set(when)
    return reply({**clock_view(runtime, request.app[REGISTRY]), "fired": fired})


# --- reset, journal, faults, webhooks --------------------------------------------------------------------------
@endpoint("POST", "/reset")
async def reset(request: web.Request) -> web.StreamResponse:
    registry = request.app[REGISTRY]
    data = await json_body(request)
    vendor, tenant = _string(data, "vendor"), _string(data, "tenant")
    if vendor is not None and tenant is not None:
        tenant = tenant_named(request, vendor_of(request, vendor), tenant)
    elif vendor is not None:
        vendor_of(request, vendor)
    restart = data.get("clock", False)
    if not isinstance(restart, bool):
        raise ControlError(400, "'clock' must be true or false")
    if restart and not registry.can_restart_clock(vendor, tenant):
        raise ControlError(400, "only a full reset on the virtual clock can restart the clock")
    return reply({"reset": True, "tenants_dropped": registry.reset(vendor, tenant, clock=restart)})


DETAIL = {"true": True, "1": True, "false": False, "0": False}


def whole(text: str, what: str) -> int:
    """A query's or path's whole number, or the control API's 400 saying ``what`` it must be: ASCII digits only
    (``²`` is a digit to isdigit and no number) and at most 18 of them (int() refuses past 4,300 digits)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ControlError(400, f"{what}, not {text[:40]!r}")
    return int(text)


@endpoint("GET", "/journal")
async def journal(request: web.Request) -> web.StreamResponse:
    """The entries since a mark (``since``), of a vendor; ``detail=true`` gives each what GET /journal/{seq} does."""
    detail = request.query.get("detail", "false").lower()
    since = whole(request.query.get("since", "0"), "'since' must be a journal mark (a whole number)")
    if detail not in DETAIL:
        raise ControlError(400, "'detail' must be true or false")
    view = request.app[RUNTIME].journal.to_json(since, request.query.get("vendor"), DETAIL[detail])
    shown(request, view["entries"])
    return reply(view)


@endpoint("GET", "/journal/{seq}")
async def journal_entry(request: web.Request) -> web.StreamResponse:
    """One entry with what was sent and answered (headers and bodies up to 8 KiB, secrets masked) and, for an
    answer of 400 or more, why: ``explain`` {kind, reason, where, rule, spec} (journal.explain)."""
    journal = request.app[RUNTIME].journal
    seq = whole(request.match_info["seq"], "'seq' must be a journal entry's number (a whole number)")
    entry = journal.find(seq)
    if entry is None:
        raise ControlError(404, f"no journal entry #{seq}: there never was one, or the journal (the last "
                                f"{journal.entries.maxlen} requests) dropped it")
    return reply(shown(request, [entry.detail()])[0])


@endpoint("DELETE", "/journal")
async def clear_journal(request: web.Request) -> web.StreamResponse:
    request.app[RUNTIME].journal.clear()
    return reply({"cleared": True})


@endpoint("GET", "/faults")
async def list_faults(request: web.Request) -> web.StreamResponse:
    return reply({"faults": shown(request, request.app[RUNTIME].faults.to_json())})


@endpoint("POST", "/faults")
async def add_fault(request: web.Request) -> web.StreamResponse:
    fault = request.app[RUNTIME].faults.add(request.app[REGISTRY].fault(await json_body(request)))
    return reply({"added": shown(request, [dict(fault.__dict__)])[0]}, 201)


@endpoint("DELETE", "/faults")
async def clear_faults(request: web.Request) -> web.StreamResponse:
    request.app[RUNTIME].faults.clear(request.query.get("vendor"))
    return reply({"cleared": True})


@endpoint("GET", "/webhooks")
async def webhooks(request: web.Request) -> web.StreamResponse:
    registry, wanted = request.app[REGISTRY], request.query.get("tenant")
    attempts = [a for a in request.app[RUNTIME].webhooks.to_json(request.query.get("vendor"))
                if a["vendor"] not in registry.vendors or named(registry.vendors[a["vendor"]], a["tenant"], wanted)]
    return reply({"attempts": shown(request, attempts)})


# --- lint: how the clients behaved (lint.py) -------------------------------------------------------------------
@endpoint("GET", "/lint")
async def lint_findings(request: web.Request) -> web.StreamResponse:
    """The lint findings over the journal (since a mark), of a vendor and a tenant if named, at or above a
    severity."""
    registry, q = request.app[REGISTRY], request.query
    severity, wanted = q.get("severity", "info"), q.get("tenant")
    since = whole(q.get("since", "0"), "'since' must be a journal mark (a whole number)")
    if severity not in SEVERITIES:
        raise ControlError(400, f"'severity' must be one of {', '.join(SEVERITIES)}")
    vendor = vendor_of(request, q["vendor"]).name if q.get("vendor") else None
    findings = lint.lint(registry, since=since, vendor=vendor,
                         tenant=None if not wanted else lambda v, t: t is not None and named(v, t, wanted))
    found = lint.at_least(findings, severity)
    return reply({"findings": [f.to_json() for f in found], "mark": request.app[RUNTIME].journal.mark,
                  "counts": {s: sum(1 for f in found if f.severity == s) for s in SEVERITIES}})


@endpoint("GET", "/lint/rules")
async def lint_rules(request: web.Request) -> web.StreamResponse:
    """Every vendor's lint rules: what each judges, its figures and the source behind them."""
    vendors = request.app[REGISTRY].vendors
    wanted = request.query.get("vendor")
    return reply({"rules": {name: [r.describe() for r in v.decl.lint] for name, v in sorted(vendors.items())
                            if v.decl.lint and (not wanted or wanted == name)}})


# --- jobs ----------------------------------------------------------------------------------------------------
@endpoint("GET", "/jobs")
async def jobs(request: web.Request) -> web.StreamResponse:
    limit_text = request.query.get("limit", "")
    # the first ``limit`` jobs; "total" counts them all
    limit = whole(limit_text, "'limit' must be a whole number") if limit_text else None
    return reply(jobs_view(request, request.query.get("vendor"), request.query.get("tenant"), limit))


def jobs_view(request: web.Request, vendor_filter: str | None, tenant_filter: str | None,
              limit: int | None) -> dict[str, Any]:
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    origin = origin_of(request, runtime.settings.public_url, runtime.url_prefix)  # of the file links
    out: list[dict[str, Any]] = []
    total = 0
    for name, vendor in registry.vendors.items():
        if vendor_filter and name != vendor_filter:
            continue
        for state in runtime.store.tenants(name):
            if not named(vendor, state.tenant, tenant_filter):
                continue
            total += len(state.jobs)
            room = len(state.jobs) if limit is None else limit - len(out)
            out.extend(job_view(runtime, origin, vendor, state, job)
                       for job in islice(state.jobs.values(), max(0, room)))
    return {"jobs": shown(request, out), "total": total}


def job_view(runtime: Runtime, origin: str, vendor: VendorApp, state: TenantState, job: Job) -> dict[str, Any]:
    """The vendor-neutral view, with the vendor's name and links to the job's files on the S3 stand-in."""
    shown = vendor.tenant_label(state.tenant)
    files = [runtime.signer.presign(origin, vendor.name, state.tenant, key, shown=shown)
             for key in vendor.file_keys(state, job)]
    return {"vendor": vendor.name, **vendor.describe_job(state, job), "files": files}


@endpoint("POST", "/jobs/{vendor}/{job_id}/force")
async def force(request: web.Request) -> web.StreamResponse:
    vendor = vendor_of(request)
    found = vendor.find_job(request.match_info["job_id"])
    if found is None:
        raise ControlError(404, f"no {vendor.name} job {request.match_info['job_id']!r}")
    status = (await json_body(request)).get("status")
    if not isinstance(status, str):
        raise ControlError(400, "'status' must be a string")
    state, job = found
    vendor.force(state, job, status)
    view = vendor.describe_job(state, job)
    view["tenant"] = vendor.tenant_label(state.tenant)
    return reply({"job": view})


# --- the timeline (the dashboard draws it) -----------------------------------------------------------------------
TIMELINE_LIMIT, TIMELINE_MAX = 100, 1000


@endpoint("GET", "/timeline")
async def job_timeline(request: web.Request) -> web.StreamResponse:
    """The newest jobs (``limit``, default 100, at most 1000; of a ``vendor`` and a ``tenant`` if named), each with
    its schedule (past and scheduled transitions), its effects, removal, forced outcome, parameters and files, the
    webhook and callback attempts made for it and those waiting, and the journal's requests about it; with the
    clock's time and the faults waiting to be used. Page cost follows ``limit`` and the logs' sizes, not the
    store's."""
    q = request.query
    wrong = f"'limit' must be a whole number from 1 to {TIMELINE_MAX}"
    limit = whole(q.get("limit", str(TIMELINE_LIMIT)), wrong)
    if not 1 <= limit <= TIMELINE_MAX:
        raise ControlError(400, wrong)
    if q.get("vendor"):
        vendor_of(request, q["vendor"])
    return reply(timeline_view(request, limit, q.get("vendor"), q.get("tenant")))


def timeline_view(request: web.Request, limit: int, vendor: str | None, tenant: str | None) -> dict[str, Any]:
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    picked = newest_jobs(request, limit, vendor, tenant)
    origin = origin_of(request, runtime.settings.public_url, runtime.url_prefix)
    told = _webhooks_by_job(runtime)
    asked = _requests_by_job(runtime, {(v.name, state.tenant, job.id) for v, state, job in picked})
    jobs = []
    for v, state, job in picked:
        key = (v.name, state.tenant, job.id)
        jobs.append({**job_view(runtime, origin, v, state, job), **v.jobs.timeline(job), "parameters": dict(job.attrs),
                     "webhooks": told.get(key, []), "requests": asked.get(key, [])})
    total = sum(len(s.jobs) for name, v in registry.vendors.items() if not vendor or name == vendor
                for s in runtime.store.tenants(name) if named(v, s.tenant, tenant))
    now = runtime.clock.now()
    return {"now": stamp(now), "epoch": now, "jobs": shown(request, jobs), "total": total,
            "faults": shown(request, runtime.faults.to_json())}


def newest_jobs(request: web.Request, limit: int, vendor: str | None,
                tenant: str | None) -> list[tuple[VendorApp, TenantState, Job]]:
    """The ``limit`` jobs made last (by the store's sequence), in the order they were made: each tenant's newest
    are the last of its jobs (a dict keeps the order they came in), so no more than ``limit`` of each is read."""
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    found: list[tuple[int, VendorApp, TenantState, Job]] = []
    for name, v in registry.vendors.items():
        if vendor and name != vendor:
            continue
        for state in runtime.store.tenants(name):
            if named(v, state.tenant, tenant):
                found.extend((job.seq, v, state, job) for job in islice(reversed(state.jobs.values()), limit))
    found.sort(key=lambda item: item[0])
    return [(v, state, job) for _, v, state, job in found[-limit:]]


def _webhooks_by_job(runtime: Runtime) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Each job's webhook and callback attempts, made (with their answer) and waiting (``scheduled``), in time
    order; an attempt whose vendor named no job is on no row."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    hooks = runtime.webhooks
    for a in hooks.attempts:
        if a.job is not None:
            ok = a.status is not None and 200 <= a.status < 300
            out.setdefault((a.vendor, a.tenant, a.job), []).append({
                "at": a.at, "attempt": a.attempt, "method": a.method, "url": redact_url(a.url),
                "payload": redact_value(a.payload),
                "status": a.status, "error": a.error, "will_retry": a.will_retry, "ok": ok, "scheduled": False})
    for record in sorted(hooks.pending.values(), key=lambda r: r["at"]):
        job = record.get("job")
        if isinstance(job, str):
            out.setdefault((record["vendor"], record["tenant"], job), []).append({
                "at": record["at"], "attempt": record["number"], "method": record["method"],
                "url": redact_url(record["url"]), "payload": redact_value(record["payload"]), "status": None,
                "error": None, "will_retry": False, "ok": None, "scheduled": True})
    return out


def _requests_by_job(runtime: Runtime, jobs: set[tuple[str, str, str]]) -> dict[tuple[str, str, str],
                                                                             list[dict[str, Any]]]:
    """The journal's requests about each of ``jobs``, oldest first: the one that made it, and those whose path
    names it (a poll, a cancel, a download by the job's id)."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for e in runtime.journal.entries:
        if e.tenant is None:
            continue
        if e.job is not None:
            about = [e.job]
        else:  # a segment of the path that is one of the jobs' ids
            about = [part for part in e.path.partition("?")[0].split("/") if (e.vendor, e.tenant, part) in jobs]
        for job in about[:1]:
            out.setdefault((e.vendor, e.tenant, job), []).append({
                "seq": e.seq, "at": e.at, "method": e.method, "path": scrub(e.path), "status": e.status,
                "operation": e.operation, "made": e.job is not None})
    return out


# --- vendors, tenants, fixtures, specs ----------------------------------------------------------------------------
@endpoint("GET", "/vendors")
async def vendors(request: web.Request) -> web.StreamResponse:
    """Each vendor: where it is, its options (declared and current) and its tenants with their settings."""
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    return reply({"vendors": {name: {
        "mount": vendor.mount, "hosts": list(vendor.hosts), "settings": dict(vendor.config),
        "options": [{"name": o.name, "type": o.type.__name__, "default": o.default, "help": o.help,
                     "choices": list(o.choices) if o.choices else None} for o in vendor.options],
        "tenants": [{"tenant": vendor.tenant_label(state.tenant), "jobs": len(state.jobs),
                     "settings": tenant_settings(vendor, state)} for state in runtime.store.tenants(name)],
    } for name, vendor in registry.vendors.items()}})


def tenant_settings(vendor: VendorApp, state: TenantState) -> dict[str, Any]:
    settings = vendor.tenant_settings(state)
    volume = vendor.volume_state(state.tenant).get(*VOLUME)
    return {**settings, **({"records_per_day": volume} if volume is not None else {})}


@endpoint("POST", "/vendors/{vendor}")
async def configure_vendor(request: web.Request) -> web.StreamResponse:
    vendor = vendor_of(request)
    return reply({"vendor": vendor.name, "settings": vendor.configure(await json_body(request))})


@endpoint("POST", "/tenants/{vendor}/{tenant}")
async def configure_tenant(request: web.Request) -> web.StreamResponse:
    vendor = vendor_of(request)
    tenant = tenant_named(request, vendor, request.match_info["tenant"])
    changes = await json_body(request)
    volume = changes.pop("records_per_day", None)
    state = request.app[RUNTIME].store.tenant(vendor.name, tenant)
    settings = vendor.configure_tenant(state, changes) if changes or volume is None else {}
    if volume is not None:  # every vendor's (its files' records per day); the rest is the vendor's own
        vendor.set_volume(tenant, volume)
    current = vendor.volume_state(tenant).get(*VOLUME)
    return reply({"tenant": vendor.tenant_label(state.tenant), "settings": {
        **settings, **({"records_per_day": current} if current is not None else {})}})


@endpoint("POST", "/fixtures")
async def load_fixture(request: web.Request) -> web.StreamResponse:
    """A fixture document loaded now, beside what is there (``repeat`` seeds many jobs at once). It is not kept for
    resets. A document its vendor's schema or rules refuse loads nothing (400 naming the tenant and the path in the
    document); only the job engine's refusal while loading (an outcome forced on a job already ended, an id a job
    already has) stops the load at that tenant, those before it staying."""
    runtime, registry = request.app[RUNTIME], request.app[REGISTRY]
    doc = await json_body(request)
    if not isinstance(doc.get("vendor"), str) or doc["vendor"] not in registry.vendors:
        raise ControlError(400, f"'vendor' must be one of {sorted(registry.vendors)}")
    if not isinstance(doc.get("tenants"), dict):
        raise ControlError(400, "'tenants' must map tenant ids to what each holds")
    before = runtime.store.job_count()
    doc["_path"] = "POST /_fakeexports/fixtures"
    tenants = fixtures.load_into(registry.vendors, [doc])
    return reply({"tenants": tenants, "jobs_added": runtime.store.job_count() - before}, 201)


@endpoint("GET", "/specs/{vendor}")
async def spec(request: web.Request) -> web.StreamResponse:
    """A vendor's OpenAPI document with ``servers`` rewritten to this fake's mount, for tools that take a spec
    (schemathesis, Prism, code generators); ``?version=`` picks one of DIDWW's."""
    vendor = vendor_of(request)
    docs = request.app[REGISTRY].operations[vendor.name].docs
    key = request.query.get("version", next(iter(docs)))
    if key not in docs:
        raise ControlError(404, f"{vendor.name} has no spec {key!r}; it has {sorted(docs)}")
    doc = dict(docs[key].source)
    doc["servers"] = [{"url": origin_of(request, request.app[RUNTIME].settings.public_url) + vendor.mount}]
    return reply(doc)


@endpoint("GET", "/ui")
async def dashboard(request: web.Request) -> web.StreamResponse:
    """The dashboard: one page (no build step, nothing from a CDN). Its first paint has the data (the clock, the
    timeline, the jobs) in the page, where the control API is open to the request (no --control-token, or the
    request bears it) and the page is the server's own; otherwise the page holds no data and asks for the token,
    which it sends on every call."""
    runtime = request.app[RUNTIME]
    token = runtime.settings.control_token
    initial = None
    if not runtime.url_prefix and (token is None or _authorized(request, token)):
        try:
            initial = {"clock": clock_view(runtime, request.app[REGISTRY]),
                       "timeline": timeline_view(request, TIMELINE_LIMIT, None, None),
                       "jobs": jobs_view(request, None, None, ui.JOBS_SHOWN)}
        except VendorError:  # a Host that names no host makes no links: the page then fetches its data itself
            initial = None
    return web.Response(body=ui.page(initial), content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache", "Content-Security-Policy": ui.CSP})


@endpoint("GET", "/openapi.json")
async def control_spec(request: web.Request) -> web.StreamResponse:
    """This API's own OpenAPI document (specs/control.yaml), its servers pointing at this fake and its clocks: for
    generating a client in any language, or checking one's answers."""
    return reply(_served(request))


@endpoint("GET", "/openapi.yaml")
async def control_spec_yaml(request: web.Request) -> web.StreamResponse:
    """The same document as YAML (the file as written, comments and all)."""
    return web.Response(text=request.app[CONTROL_DOC].served_text(*_where(request)), content_type="application/yaml")


def _served(request: web.Request) -> dict[str, Any]:
    return request.app[CONTROL_DOC].served(*_where(request))


def _where(request: web.Request) -> tuple[str, str | None]:
    """The origin the document's servers get, and the clock it was asked for on (a clock's world), if any."""
    runtime = request.app[RUNTIME]
    prefix = runtime.url_prefix  # a clock's world: /_clocks/{id}
    return origin_of(request, runtime.settings.public_url), prefix.rsplit("/", 1)[-1] if prefix else None


@endpoint("*", CATCH_ALL)
async def unknown(request: web.Request) -> web.StreamResponse:
    raise ControlError(404, f"no control endpoint {request.method} {request.path}")


@endpoint("GET", "/ca.pem")
async def ca_certificate(request: web.Request) -> web.StreamResponse:
    """The fake's CA certificate (public: what a client of the proxy trusts), for a client on another machine than
    the server's (RemoteFake.proxy_env)."""
    settings = request.app[RUNTIME].settings
    if not settings.proxy:
        raise ControlError(404, "the proxy is off (--no-proxy): there is no CA to trust")
    path = CertificateAuthority(settings.ca_dir).cert_path
    return web.Response(body=path.read_bytes(), content_type="application/x-pem-file")


# --- clocks (clocks.py) ---------------------------------------------------------------------------------------
def clocks_of(request: web.Request) -> Clocks:
    clocks = request.app.get(CLOCKS)
    if clocks is None:
        raise ControlError(404, "clocks are made on the server, not inside a clock")
    return clocks


def clock_named(request: web.Request) -> Timeline:
    """The clock the path names, if the request holds its token (or the server's control token)."""
    return clocks_of(request).find(request.match_info["clock"], request.headers.get("Authorization"))


def clock_entry(request: web.Request, timeline: Timeline) -> dict[str, Any]:
    """A clock's view, with its next event as its own world's registry sees it."""
    return timeline.view(request.app[REGISTRY].vendors, timeline.app[REGISTRY].next_event()["next_event_at"])


@endpoint("POST", "/clocks")
async def clock_create(request: web.Request) -> web.StreamResponse:
    """A clock of its own, standing still at ``start`` (RFC 3339; default 2026-01-15T12:00:00Z, the virtual clock's)
    until moved, with ``tenants`` attached at once, and with ``fresh_tenants`` (a test's id) the credentials of a new
    tenant of every vendor in the answer. Open to anyone: the answer's ``token`` drives it."""
    clocks = clocks_of(request)
    data = await json_body(request)
    start, wanted, fresh = _string(data, "start"), data.get("tenants", []), data.get("fresh_tenants")
    if fresh is not None and (not isinstance(fresh, str) or not fresh):
        raise ControlError(400, "'fresh_tenants' must be a text the fresh credentials are made from (a test's id)")
    if start is not None:
        try:
            when = parse_rfc3339(start)
        except ValueError:
            raise ControlError(400, f"'start' must be an RFC 3339 time, e.g. 2026-01-15T12:00:00Z, not {start!r}") \
                from None
        try:
            in_range(when, "a clock's start")
        except ClockRangeError as exc:
            raise ControlError(400, str(exc)) from None
    if not isinstance(wanted, list):
        raise ControlError(400, "'tenants' must be a list of {vendor, tenant} or {vendor, headers}")
    named = [_tenant_for(request, item) for item in wanted]  # all checked before the clock is made
    made = fresh_credentials(request.app[REGISTRY], fresh) if fresh else {}
    async with clocks.lock:
        timeline = await clocks.create(start)
        try:
            for vendor, tenant in named:
                clocks.attach(timeline, vendor, tenant)
        except ClockError:
            await clocks.delete(timeline)
            raise
    view = clock_entry(request, timeline)
    return reply({**view, "token": timeline.token, **({"credentials": made} if fresh else {})}, 201)


def fresh_credentials(registry: Registry, made_from: str) -> dict[str, dict[str, dict[str, str]]]:
    """A new tenant of every vendor that can make one, from ``made_from`` (a test's id) and the seed: the same test
    gets the same tenants, so the same records, in process and on any clock. They are reached through the clock's own
    base URL, not attached by credential: two runs of one test may hold them on two clocks at once."""
    seed = next(iter(registry.vendors.values())).runtime.settings.seed if registry.vendors else 0
    out: dict[str, dict[str, dict[str, str]]] = {}
    for vendor in registry.vendors.values():
        creds = vendor.fresh_credentials(hex_id(seed, "fresh-tenant", made_from, vendor.name))
        if creds is not None:
            out[vendor.name] = {"fields": creds[0], "headers": creds[1]}
    return out


@endpoint("GET", "/clocks")
async def clocks_list(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    token = runtime.settings.control_token
    if token is not None and not _authorized(request, token):
        raise ControlError(401, "listing every clock needs the control token; a clock's own view is "
                                "GET /_fakeexports/clocks/{id} with its token")
    return reply({"clocks": [clock_entry(request, t) for t in clocks_of(request).by_id.values()],
                  "idle_limit_seconds": runtime.settings.clock_idle})


@endpoint("GET", "/clocks/{clock}")
async def clock_get(request: web.Request) -> web.StreamResponse:
    timeline = clock_named(request)
    timeline.touched = time.time()
    return reply(clock_entry(request, timeline))


@endpoint("DELETE", "/clocks/{clock}")
async def clock_delete(request: web.Request) -> web.StreamResponse:
    clocks, timeline = clocks_of(request), clock_named(request)
    async with clocks.lock:
        jobs = timeline.runtime.store.job_count()
        await clocks.delete(timeline)
    return reply({"deleted": timeline.id, "jobs_dropped": jobs})


@endpoint("POST", "/clocks/{clock}/tenants")
async def clock_attach(request: web.Request) -> web.StreamResponse:
    """Attach a tenant: ``{"vendor", "tenant"}``, or ``{"vendor", "headers"}`` with the headers its client sends
    (the tenant their credential names)."""
    clocks, timeline = clocks_of(request), clock_named(request)
    vendor, tenant = _tenant_for(request, await json_body(request))
    async with clocks.lock:
        clocks.attach(timeline, vendor, tenant)
    return reply({"clock": timeline.id, "vendor": vendor.name, "tenant": vendor.tenant_label(tenant)}, 201)


def _tenant_for(request: web.Request, item: Any) -> tuple[VendorApp, str]:
    if not isinstance(item, dict):
        raise ControlError(400, "a tenant to attach is {vendor, tenant} or {vendor, headers}")
    name, vendors = _string(item, "vendor") or "", request.app[REGISTRY].vendors
    vendor = vendors.get(name)
    if vendor is None:  # in the body: the request's fault (400), not a path that names nothing (vendor_of's 404)
        raise ControlError(400, f"unknown vendor {name!r}; vendors: {', '.join(vendors)}")
    if not vendor.names_tenants:
        raise ControlError(400, f"{vendor.name} cannot put tenants on a clock: it does not say which tenant a "
                                f"credential names (the vendor hook credential_tenant)")
    tenant, headers = _string(item, "tenant"), item.get("headers")
    if (tenant is None) == (headers is None):
        raise ControlError(400, "give 'tenant' (as the vendor names it) or 'headers' (what its client sends)")
    if headers is not None:
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ControlError(400, "'headers' must map header names to strings")
        tenant = vendor.credential_tenant(CIMultiDict(headers))
        if tenant is None:
            raise ControlError(400, f"those headers name no {vendor.name} tenant (no credential it accepts)")
    assert tenant is not None
    if not tenant:
        raise ControlError(400, "'tenant' must not be empty")
    return vendor, tenant


def add_routes(app: web.Application) -> None:
    app[CONTROL_DOC] = ControlDoc(app[RUNTIME].settings.cache_path())
    app.router.add_routes(ROUTES)
