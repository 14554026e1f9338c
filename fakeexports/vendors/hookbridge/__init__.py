"""HookBridge exports (https://api.hookbridge.io), mounted at /hookbridge: CSV exports of webhook deliveries behind
a presigned link. Spec: specs/hookbridge.yaml; facts and sources: vendors/hookbridge.md Part B (its sections).
This module: the declaration, the wire (auth, limits, envelope) and the handlers; records.py: the file's rows."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ...kit import (
    FIXTURE_AGE,
    INF,
    KEPT_SECONDS,
    Call,
    Context,
    FileBody,
    FixtureError,
    Ids,
    Job,
    Lifecycle,
    Operation,
    Option,
    Recipe,
    Reply,
    TenantState,
    Vendor,
    VendorApp,
    VendorError,
    Violation,
    Window,
    bearer_token,
    fixture_items,
    hex_id,
    next_change_at,
    parse_instant,
    parse_rfc3339,
    rfc3339,
    stamp,
    status_at,
    time_of,
)
from . import records
from .lint import RULES

# --- auth -> tenant (B.1) -------------------------------------------------------------------------------
KEY = re.compile(r"^hb_(live|test)_[A-Za-z0-9]+$")
MSG_UNAUTHORIZED = "Invalid or missing API key"

# --- envelope (B.6) -------------------------------------------------------------------------------------
CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
         409: "CONFLICT", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE"}
MSG_NOT_FOUND = "Export not found"
MSG_NOT_READY = "Export is not yet completed"  # docs /api/operations/downloadexport (EXPORT_NOT_READY)
MSG_EXPIRED = "Export download link has expired"  # the docs' text is cut after "Export d…": INFERRED
MSG_ACTIVE = "Cannot delete an export that is pending or in progress. Please try again in a moment."  # deleteexport
# Limits (docs /api: "Project-level: 1000 requests per minute"; /guides/outbound/rate-limiting: a project-level
# burst ceiling on API-key requests, 429 BURST_LIMIT_EXCEEDED with retry_after_ms, its number unpublished;
# /guides/product/error-handling: RATE_LIMITED is "Too many failed authentication attempts"). The code of the
# per-minute quota is unpublished: RATE_LIMIT_EXCEEDED is the one the Python and PHP SDKs give every 429.
MSG_QUOTA = "Rate limit exceeded: {limit} requests per minute"
MSG_BURST = "Burst limit exceeded: {limit} requests per second"
MSG_AUTH_THROTTLED = "Too many failed authentication attempts"

# --- lifecycle (B.5) ------------------------------------------------------------------------------------
PENDING_SECONDS = 10.0
PROCESSING_SECONDS = 60.0
TTL_SECONDS = 7 * 86400.0  # expires_at = completed_at + 7 days (B.4, INFERRED from the example)
MESSAGE_STATUSES = ("queued", "delivering", "succeeded", "pending_retry", "failed_permanent")
ENDPOINT_ID = re.compile(r"^ep_[0-9a-fA-F]{32}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# --- fixtures: the shape of an API key's part (fixtures/hookbridge.yaml; read_tenant reads it) ----------------------
TIME_WORDS = "an RFC 3339 date-time (2025-12-01T00:00:00Z)"
FILTER_KEYS = ("start_time", "end_time", "status", "endpoint_id", "direction", "inbound_endpoint_id")  # B.3
_TIME = {"type": "string", "description": TIME_WORDS}
FIXTURE_EXPORT = {
    "type": "object", "required": ["start_time", "end_time"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},  # B.4
        "start_time": _TIME, "end_time": _TIME,
        "status": {"enum": list(MESSAGE_STATUSES)},
        "direction": {"enum": ["outbound", "inbound"]},
        "endpoint_id": {"type": "string"}, "inbound_endpoint_id": {"type": "string"},
        "created_at": _TIME, "age_seconds": FIXTURE_AGE,
        "started_at": _TIME, "completed_at": _TIME, "expires_at": _TIME,
        # the file is made (and measured) row by row: no more rows than records_per_day allows a day (100,000,000),
        # no more than a gigabyte (the padding that meets file_size_bytes is held in memory, row by row)
        "row_count": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
        "file_size_bytes": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000},
        "outcome": {"enum": ["failed"]}, "error_message": {"type": "string"},
    },
}
FIXTURE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        # the pattern every answer's project_id must match (specs/hookbridge.yaml, Export.project_id)
        "project_id": {"type": "string", "pattern": "^proj_[0-9a-f]+$"},
        "exports": {"type": ["array", "null"], "items": FIXTURE_EXPORT},
    },
}

VENDOR = Vendor(
    "hookbridge", mount="/hookbridge", hosts=("api.hookbridge.io",), specs={"v1": "hookbridge.yaml"},
    fixture_schema=FIXTURE_SCHEMA,
    # B.5: pending (queued) -> processing -> completed -> expired past expires_at; failed can end processing, and a
    # failure always comes out of processing (started_at is set, now if it had not started).
    lifecycle=Lifecycle(
        steps=(("pending", PENDING_SECONDS), ("processing", PROCESSING_SECONDS), ("completed", TTL_SECONDS),
               ("expired", None)),
        terminal=frozenset({"failed", "expired"}),
        # no documented retention for an expired or failed export record: KEPT_SECONDS, INFERRED
        retention={"failed": KEPT_SECONDS, "expired": KEPT_SECONDS},
        forceable={"failed": frozenset({"pending", "processing"}), "completed": frozenset({"pending", "processing"})},
        through={"failed": "processing"},
    ),
    ids=Ids("hb-export", kind="uuid7"),  # UUIDv7 (seed 003, B.4)
    # An hour of deliveries; the finished export states its file size, its download 302s to the link.
    recipe=Recipe(
        tenants=("alpha", "beta"),
        headers={"Authorization": "Bearer {api_key}"},
        credentials={"api_key": "hb_test_{tenant}"},
        create=Call("POST", "/v1/exports", json={"start_time": "{now:-7200:%Y-%m-%dT%H:%M:%SZ}",
                                                 "end_time": "{now:-3600:%Y-%m-%dT%H:%M:%SZ}"},
                    status=(201,), save={"job": "json:data.id"}),
        poll=Call("GET", "/v1/exports/{job}", save={"status": "json:data.status"}),
        done="completed",
        download=(Call("GET", "/v1/exports/{job}", save={"size": "json:data.file_size_bytes"}),
                  Call("GET", "/v1/exports/{job}/download", status=(302,), save={"link": "header:Location"}),
                  Call("GET", "{link}", link=True, auth=False)),
        listing=Call("GET", "/v1/exports", save={"ids": "json:data.*.id"}),
        outcome=("failed", "failed"),
        delete=Call("DELETE", "/v1/exports/{job}", status=(204,)),
        step=10.0,
    ),
    lint=RULES,  # how its clients are judged (lint.py)
    options=(
        Option("rate_limits", bool, False, "enforce the per-project limits and failed-login throttling, counted on "
               "the fake clock (off by default)"),
        Option("per_minute", int, 1000, "requests a minute per project (HookBridge's published limit)", minimum=1),
        Option("burst", int, 50, "requests a second per project, the burst ceiling (the fake's number)", minimum=1),
        Option("auth_failures", int, 10, "failed authentications a minute from one address before 429 RATE_LIMITED "
               "(the fake's number)", minimum=1),
    ),
)


@dataclass
class Local:
    """HookBridge in one app: its answers so far (request ids) and its rate windows, counted on the fake clock."""

    minute: Window  # per project
    burst: Window  # per project
    failures: Window  # per client address
    requests: int = 0


@VENDOR.hook
def setup(v: VendorApp) -> Local:
    clock, config = v.runtime.clock, v.config
    return Local(Window(clock, 60, config["per_minute"]), Window(clock, 1, config["burst"]),
                 Window(clock, 60, config["auth_failures"]))


@VENDOR.hook
def configured(v: VendorApp, changed: set[str]) -> None:
    clock, config, local = v.runtime.clock, v.config, v.local
    local.minute, local.burst = Window(clock, 60, config["per_minute"]), Window(clock, 1, config["burst"])
    local.failures = Window(clock, 60, config["auth_failures"])


@VENDOR.hook
def reset(v: VendorApp, tenant: str | None) -> None:
    for window in (v.local.minute, v.local.burst):
        window.clear(tenant)
    if tenant is None:
        v.local.failures.clear()


# --- auth -> tenant -------------------------------------------------------------------------------------
@VENDOR.hook
def authenticate(v: VendorApp, request: web.Request, op: Operation) -> str:
    limited = v.config["rate_limits"]
    address = request.remote or ""
    if limited:
        _throttle(v, address)
    key = bearer_token(request.headers.get("Authorization"))
    project = _project(v, key) if key and KEY.match(key) else None
    if project is None:
        if limited:
            v.local.failures.add(address)
        raise VendorError(401, MSG_UNAUTHORIZED, kind="auth")
    if limited:
        _count(v, project)
    return project


@VENDOR.hook
def credential_tenant(v: VendorApp, headers: Mapping[str, str]) -> str | None:
    """The project of the bearer key, as authenticate finds it (no throttle, no count)."""
    key = bearer_token(headers.get("Authorization"))
    return _project(v, key) if key and KEY.match(key) else None


@VENDOR.hook
def fresh_credentials(v: VendorApp, token: str) -> tuple[dict[str, str], dict[str, str]]:
    key = "hb_test_" + token
    return {"api_key": key}, {"Authorization": f"Bearer {key}"}


@VENDOR.hook
def readmit(v: VendorApp, request: web.Request, op: Operation, tenant: str) -> str:
    """A kept answer's request again: its key is byte for byte the one that named the project ``tenant`` (a key's
    project from a fixture lives in the common state, whose version a kept answer holds), so only admission is left:
    the address's throttle, then the project's rate limit."""
    if v.config["rate_limits"]:
        _throttle(v, request.remote or "")
        _count(v, tenant)
    return tenant


def _throttle(v: VendorApp, address: str) -> None:
    """After so many failed authentications within a minute, 429 RATE_LIMITED for that address, whatever key it
    sends, until the oldest of them is a minute old (docs: error-handling)."""
    if (wait := v.local.failures.full(address)) is not None:
        raise VendorError(429, MSG_AUTH_THROTTLED, code="RATE_LIMITED", kind="rate_limited",
                          headers={"Retry-After": str(max(1, math.ceil(wait)))})


def _project(v: VendorApp, key: str) -> str | None:
    """The key's project: ``proj_`` + a stable hash of the key, or the credentials file's project_id."""
    credentials = v.runtime.credentials
    if not credentials.restricted:
        common = v.runtime.store.find(v.name, "")  # read only: a loose state made and dropped per request costs
        return (common.get("projects", key) if common is not None else None) or \
            "proj_" + hex_id(0, "hookbridge-project", key, length=24)
    entry = credentials.find(v.name, api_key=key)
    if entry is None:
        return None
    return str(entry.get("project_id") or "proj_" + hex_id(0, "hookbridge-project", key, length=24))


def _count(v: VendorApp, project: str) -> None:
    """1000 requests a minute per project and a burst ceiling per second, on the fake clock (B.1)."""
    local = v.local
    if (wait := local.burst.full(project)) is not None:
        # Retry-After in whole seconds (the Python SDK reads it with int()), retry_after_ms exact
        wait_ms = max(1, math.ceil(wait * 1000))
        raise VendorError(429, MSG_BURST.format(limit=v.config["burst"]), code="BURST_LIMIT_EXCEEDED",
                          kind="rate_limited", headers={"Retry-After": str(math.ceil(wait_ms / 1000))},
                          extra={"details": {"retry_after_ms": wait_ms}})
    if (wait := local.minute.full(project)) is not None:
        raise VendorError(429, MSG_QUOTA.format(limit=v.config["per_minute"]), code="RATE_LIMIT_EXCEEDED",
                          kind="rate_limited", headers={"Retry-After": str(max(1, math.ceil(wait)))})
    local.minute.add(project)
    local.burst.add(project)


# --- envelope ---------------------------------------------------------------------------------------------------
@VENDOR.hook
def answer_id(v: VendorApp) -> str:
    v.local.requests += 1
    return "req_" + hex_id(v.runtime.settings.seed, "hookbridge-request", v.local.requests, length=24)


@VENDOR.hook
def response_headers(v: VendorApp, request: web.Request, reply: Reply) -> dict[str, str]:
    return {"X-Request-Id": str(v.answer_id(request))}  # the same id as meta.request_id


@VENDOR.hook
def render_error(v: VendorApp, err: VendorError, request: web.Request) -> Reply:
    status = 400 if err.kind == "too_large" else err.status  # PAYLOAD_TOO_LARGE is a 400 (B.6)
    code = err.code or ("PAYLOAD_TOO_LARGE" if err.kind == "too_large" else CODES.get(status, "ERROR"))
    error: dict[str, Any] = {"code": code, "message": err.message}
    if err.extra.get("details"):
        error["details"] = err.extra["details"]
    return Reply(status, {"error": error, "meta": {"request_id": v.answer_id(request)}}, headers=err.headers or None)


@VENDOR.hook
def route_not_found(v: VendorApp, request: web.Request) -> VendorError:
    return VendorError(404, "Route not found", kind="not_found")


@VENDOR.hook
def violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    name, rule = problem.name, problem.rule
    if problem.location == "path":
        return _invalid(f"{name} must be a valid UUID")
    if rule == "required":
        return _invalid(f"{name} is required")
    if rule == "enum" and name == "status":
        return _invalid(f"status must be one of {', '.join(MESSAGE_STATUSES)}")
    if rule == "enum" and name == "direction":
        return _invalid("direction must be outbound or inbound")
    if rule == "format" and name in ("start_time", "end_time"):
        return _invalid(f"{name} must be an RFC 3339 date-time")
    if rule in ("json", "encoding"):
        return _invalid("request body must be valid JSON")
    if rule == "content-type":
        return _invalid("Content-Type must be application/json")
    return _invalid(f"{name or 'request body'}: {problem.message}")


# --- representation ---------------------------------------------------------------------------------------------
async def _export(v: VendorApp, state: TenantState, job: Job, now: float) -> dict[str, Any]:
    a = job.attrs
    view: dict[str, Any] = {"id": job.id, "project_id": a["project_id"], "status": status_at(job.schedule, now),
                            "filter_start_time": rfc3339(a["start"], a.get("start_fraction", "")),
                            "filter_end_time": rfc3339(a["end"], a.get("end_fraction", ""))}
    for key in ("filter_status", "filter_endpoint_id", "filter_inbound_endpoint_id"):
        if a.get(key):
            view[key] = a[key]
    view["direction"] = a["direction"]
    started, completed = time_of(job.schedule, "processing"), time_of(job.schedule, "completed")
    failed = time_of(job.schedule, "failed")
    if completed is not None and now >= completed:
        view["row_count"] = a["rows"]
        view["file_size_bytes"] = await _size(v, state, job)
    if failed is not None and now >= failed:
        view["error_message"] = a.get("error_message") or "Export generation failed"
    if started is not None and now >= started:
        view["started_at"] = stamp(started)
    if completed is not None and now >= completed:
        view["completed_at"] = stamp(completed)
        view["expires_at"] = stamp(a.get("expires_at") or completed + TTL_SECONDS)
    view["created_at"] = stamp(job.created)
    return view


def _document(ctx: Context, data: Any) -> dict[str, Any]:
    return {"data": data, "meta": {"request_id": ctx.answer_id}}


# --- lifecycle --------------------------------------------------------------------------------------------------
@VENDOR.hook
def outcome_status(v: VendorApp, outcome: str) -> str:  # failed:<error_message>
    return outcome.partition(":")[0]


@VENDOR.hook
def force(v: VendorApp, state: TenantState, job: Job, status: str) -> None:
    """``failed`` (error_message from the status text after a colon) or ``completed`` now."""
    name, _, message = status.partition(":")
    v.jobs.force(state, job, name)
    state.update_job(job, error_message=message.strip() or None)


@VENDOR.hook
def volume_state(v: VendorApp, tenant: str) -> TenantState:  # an API key's setting is its project's
    return v.runtime.store.tenant(v.name, (_project(v, tenant) if KEY.match(tenant) else tenant) or tenant)


@dataclass(frozen=True)
class FixtureExport:
    filters: dict[str, Any]  # the export's attributes but its project's (_attrs)
    created: float
    export_id: str | None
    completed: tuple[float, float, dict[str, Any]] | None  # held completed: started, completed, its values
    failure: str | None  # outcome failed: the error message


@VENDOR.hook
def read_tenant(v: VendorApp, tenant: str, spec: dict[str, Any]) -> tuple[str | None, list[tuple[FixtureExport, int]]]:
    """fixtures/hookbridge.yaml: per API key, its ``project_id`` and ``exports`` (start_time, end_time, status,
    endpoint_id, direction, inbound_endpoint_id, id, age_seconds or created_at, and ``outcome: failed`` with its
    ``error_message``). An export given ``completed_at`` (with ``started_at``, ``expires_at``, ``row_count`` and
    ``file_size_bytes``) is held completed with exactly those values: its file has that many rows and bytes."""
    now = v.runtime.clock.now()
    return spec.get("project_id"), [(_fixture_export(entry.at, entry.item, now), entry.copies)
                                    for entry in fixture_items(spec, "exports")]


def _fixture_time(item: dict[str, Any], key: str, at: str) -> float:
    try:
        return parse_rfc3339(item[key])
    except ValueError:
        raise FixtureError(f"must be {TIME_WORDS}, not {item[key]!r}", f"{at}.{key}") from None


def _fixture_export(at: str, item: dict[str, Any], now: float) -> FixtureExport:
    try:
        filters = _filters({k: value for k, value in item.items() if k in FILTER_KEYS})
    except VendorError as exc:  # the API's rules for a create (B.3), in its words
        raise FixtureError(exc.message, at) from None
    created = _fixture_time(item, "created_at", at) if item.get("created_at") else \
        now - float(item.get("age_seconds", 0))
    completed = None
    if item.get("completed_at"):
        done = _fixture_time(item, "completed_at", at)
        extra: dict[str, Any] = {}
        if item.get("expires_at"):
            extra["expires_at"] = _fixture_time(item, "expires_at", at)
        if item.get("row_count") is not None:
            extra["rows"] = item["row_count"]
        if item.get("file_size_bytes") is not None:
            extra["target_size"] = item["file_size_bytes"]
        completed = (_fixture_time(item, "started_at", at) if item.get("started_at") else done, done, extra)
    failure = item.get("error_message", "") if item.get("outcome") == "failed" else None
    return FixtureExport(filters, created, item.get("id"), completed, failure)


@VENDOR.hook
def load_tenant(v: VendorApp, tenant: str, reading: tuple[str | None, list[tuple[FixtureExport, int]]]) -> None:
    """What read_tenant read: the key's project, then its exports."""
    project_id, exports = reading
    if project_id:
        v.runtime.store.common(v.name).put("projects", tenant, project_id)
    project = _project(v, tenant) if KEY.match(tenant) else tenant
    state = v.runtime.store.tenant(v.name, project or tenant)
    for item, count in exports:
        for _ in range(count):
            job = _create(v, state, item.created, {"project_id": state.tenant, **item.filters}, item.export_id,
                          fixture=True, hold="completed" if item.completed else None)
            if item.completed:
                started, done, extra = item.completed
                state.update_job(job, **extra)
                v.jobs.reschedule(state, job, ((job.created, "pending"), (started, "processing"), (done, "completed")),
                                  hold=True)
            if item.failure is not None:
                v.force(state, job, "failed:" + item.failure)


def _create(v: VendorApp, state: TenantState, created: float, attrs: dict[str, Any], export_id: str | None = None,
            *, ctx: Context | None = None, fixture: bool = False, hold: str | None = None) -> Job:
    job = v.jobs.create(state, "exports", attrs, created=created, job_id=export_id, ctx=ctx, fixture=fixture,
                        hold=hold)
    if "rows" not in job.attrs:
        job.own()["rows"] = records.row_count(v.runtime.settings.seed, state.tenant, job.id, attrs["start"],
                                              attrs["end"], job.attrs.get("volume"))
    return job


def _times(body: dict[str, Any]) -> dict[str, Any]:
    # Times are echoed with the precision they were sent in: Go's SDK checks that create "preserves serialized
    # times" (hookbridge-go spec_parity_test.go); PHP sends +00:00 offsets, Python naive times.
    times: dict[str, Any] = {}
    for name, key in (("start_time", "start"), ("end_time", "end")):
        try:
            times[key], fraction = parse_instant(str(body[name]))
        except (KeyError, ValueError, OverflowError):
            raise _invalid(f"{name} must be an RFC 3339 date-time") from None
        if fraction:
            times[f"{key}_fraction"] = fraction
    if (times["end"], float("0." + times.get("end_fraction", "0"))) <= (
            times["start"], float("0." + times.get("start_fraction", "0"))):
        raise _invalid("end_time must be after start_time")
    return times


def _attrs(state: TenantState, body: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": state.tenant, **_filters(body)}


def _filters(body: dict[str, Any]) -> dict[str, Any]:
    """B.3's rules, with messages that name the field as HookBridge's do."""
    times = _times(body)
    status = body.get("status")
    if status is not None and status not in MESSAGE_STATUSES:
        raise _invalid(f"status must be one of {', '.join(MESSAGE_STATUSES)}")
    direction = body.get("direction") or "outbound"
    if direction not in ("outbound", "inbound"):
        raise _invalid("direction must be outbound or inbound")
    attrs: dict[str, Any] = {"start": times["start"], "end": times["end"], "direction": direction,
                             "filter_status": status}
    attrs.update({k: value for k, value in times.items() if k.endswith("_fraction")})
    endpoint = body.get("endpoint_id")
    if endpoint is not None:
        if direction != "outbound":
            raise _invalid("endpoint_id can only be used with direction=outbound")
        if not isinstance(endpoint, str) or not ENDPOINT_ID.match(endpoint):
            raise _invalid("endpoint_id must be in format ep_xxx")  # B.6, the vendor's own message
        h = endpoint[3:].lower()
        attrs["filter_endpoint_id"] = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    inbound = body.get("inbound_endpoint_id")
    if inbound is not None:
        if direction != "inbound":
            raise _invalid("inbound_endpoint_id can only be used with direction=inbound")
        if not isinstance(inbound, str) or not UUID.match(inbound):
            raise _invalid("inbound_endpoint_id must be a valid UUID")
        attrs["filter_inbound_endpoint_id"] = inbound.lower()
    return attrs


# --- handlers (by operationId) ----------------------------------------------------------------------------------
@VENDOR.operation("CreateExport")
async def create_export(ctx: Context) -> Reply:
    job = _create(ctx.vendor, ctx.state, ctx.now, _attrs(ctx.state, ctx.body), ctx=ctx)
    return Reply(201, _document(ctx, await _export(ctx.vendor, ctx.state, job, ctx.now)))


@VENDOR.operation("ListExports")
async def list_exports(ctx: Context) -> Reply:
    exports = ctx.state.collection("exports")  # no paging is documented: all of them, newest first
    jobs = exports.descending(len(exports)).items
    return Reply(200, _document(ctx, [await _export(ctx.vendor, ctx.state, j, ctx.now) for j in jobs]))


def _job(ctx: Context) -> Job:
    export_id = ctx.params["id"]
    if not UUID.match(export_id):
        raise _invalid("id must be a valid UUID")
    job = ctx.state.jobs.get(export_id.lower())
    if job is None:
        raise VendorError(404, MSG_NOT_FOUND, kind="not_found")
    return job


@VENDOR.operation("GetExport")
async def get_export(ctx: Context) -> Reply:  # the same until its status changes
    job = _job(ctx)
    until = next_change_at(job.schedule, ctx.now) or INF
    return Reply(200, _document(ctx, await _export(ctx.vendor, ctx.state, job, ctx.now)), fresh_until=until)


@VENDOR.operation("DownloadExport")
async def download_export(ctx: Context) -> Reply:
    job = _job(ctx)
    status = status_at(job.schedule, ctx.now)
    if status == "expired":
        raise VendorError(410, MSG_EXPIRED, code="EXPORT_EXPIRED", kind="expired")
    if status != "completed":
        raise VendorError(409, MSG_NOT_READY, code="EXPORT_NOT_READY", kind="conflict")
    expires = time_of(job.schedule, "expired") or INF  # INF: held completed by a fixture
    # a link's lifetime is stated in the seconds a client counts (clock.py lasts): the export's time left, so said
    left = (expires - ctx.now) / ctx.runtime.clock.lasts(1.0)
    ttl = int(min(ctx.runtime.settings.download_ttl, max(1, left)))
    link = ctx.presign(f"exports/{job.id}.csv", ttl)
    # B.8: the SDK returns this Location without following it; a 200 would crash it.
    return Reply(302, None, headers={"Location": link})


@VENDOR.operation("DeleteExport")
async def delete_export(ctx: Context) -> Reply:
    job = _job(ctx)
    if status_at(job.schedule, ctx.now) in ("pending", "processing"):
        raise VendorError(409, MSG_ACTIVE, code="EXPORT_ACTIVE", kind="conflict")
    ctx.state.remove_job(job)
    return Reply(204)


# --- file format (B.7) ------------------------------------------------------------------------------------------
@VENDOR.hook
def s3_object(v: VendorApp, tenant: str, key: str) -> FileBody | None:
    match, state = re.fullmatch(r"exports/([0-9a-f-]{36})\.csv", key), v.runtime.store.find(v.name, tenant)
    job = state.jobs.get(match.group(1)) if match and state else None
    return _file(v, state, job) if job is not None and state is not None and file_keys(v, state, job) else None


@VENDOR.hook
def file_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:
    return [f"exports/{job.id}.csv"] if v.jobs.status(job) == "completed" else []


def _file(v: VendorApp, state: TenantState, job: Job) -> FileBody:
    runtime = v.runtime
    return records.export_file(job.id, job.attrs, runtime.settings.seed, runtime.pools, runtime.sizes,
                               (v.name, state.tenant, job.id))


async def _size(v: VendorApp, state: TenantState, job: Job) -> int:
    """The export's file size, kept in the job once known (it dies with the job; --state keeps it): measured in the
    file thread, or, for a fixture's stated size, fitted there."""
    a = job.attrs
    if "file_size" in a:
        return int(a["file_size"])
    if a.get("target_size") is not None and a["rows"]:
        runtime = v.runtime
        trim, pad, size = await runtime.sizes.thread.run(
            lambda: records.fit(runtime.settings.seed, job.id, a, runtime.pools))
        found: dict[str, Any] = {"trim": trim, "pad": pad, "file_size": size}
    else:
        size = await _file(v, state, job).measure()
        found = {"file_size": size}
    if state.alive and state.jobs.get(job.id) is job:  # still there after the wait (no reset, no delete)
        job.own().update(found)
        state.mark(job)
    return size


def _invalid(message: str) -> VendorError:
    return VendorError(400, message, code="INVALID_REQUEST", kind="validation")
