"""Talkdesk's hooks: OAuth client credentials and the access tokens they get (A.2), the API's and OAuth's error
envelopes (A.11), a client's settings and fixtures, and the report files on the S3 stand-in (A.6, A.13)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aiohttp import web

from ...kit import (
    FileBody,
    Job,
    Operation,
    Reply,
    TenantState,
    VendorApp,
    VendorError,
    Violation,
    basic_credentials,
    basic_header,
    batched_lines,
    bearer_token,
    read_jwt,
    records_for,
    status_at,
    time_of,
)
from . import envelope, fixtures, records
from .declaration import FILE_DAYS, REPORT_TYPES, VENDOR
from .envelope import bad

# --- auth -> tenant (A.2) -------------------------------------------------------------------------------
SCOPES = ("data-reports:read", "data-reports:write")
TOKEN_SECONDS = 600  # expires_in; one client assumes about 600 s (A.2)
MSG_NO_TOKEN = "Missing or invalid access token"
MSG_EXPIRED = "The access token expired"
MSG_SCOPE = "The access token lacks the {scope} scope"
TOKEN_KEY = "talkdesk-tokens"  # its name among the server's keys


@dataclass
class Local:
    """Talkdesk in one app: the IANA zones (read once)."""

    zones: set[str] = field(default_factory=set)


@VENDOR.hook
def setup(v: VendorApp) -> Local:
    return Local()


def token_key(v: VendorApp) -> bytes:
    """The key access tokens are signed with: the server's own, random (never from the seed, which is public)."""
    return v.runtime.keys.get(TOKEN_KEY)


def grant_of(state: TenantState) -> str:
    """The client's grant: a random value its tokens carry, kept in its state. A reset drops the state, so every
    token issued before it is refused after it (the README: tokens die with a reset)."""
    grant = state.get("talkdesk", "grant")
    if grant is None:
        grant = secrets.token_hex(16)
        state.put("talkdesk", "grant", grant)
    return str(grant)


@VENDOR.hook
def authenticate(v: VendorApp, request: web.Request, op: Operation) -> str:
    if op.operation_id == "CreateToken":
        return _client(v, request)
    token = bearer_token(request.headers.get("Authorization"))
    found = _token(v, token) if token else None
    if found is None:
        raise VendorError(401, MSG_NO_TOKEN, kind="auth")
    client, claims = found
    if claims["exp"] <= v.runtime.clock.now():
        raise VendorError(401, MSG_EXPIRED, kind="auth")
    held = set(str(claims.get("scope", "")).split()) & set(granted(v, client))  # a credentials file may grant less
    for req in op.security:
        for scope in req.get("oauth", []):
            if scope not in held:
                raise VendorError(403, MSG_SCOPE.format(scope=scope), kind="forbidden")
    return client


@VENDOR.hook
def credential_tenant(v: VendorApp, headers: Mapping[str, str]) -> str | None:
    """The client: of a Basic header (the token request), or the subject of an access token this server signed."""
    header = headers.get("Authorization")
    creds = basic_credentials(header)
    if creds is not None:
        return creds[0] or None
    token = bearer_token(header)
    claims = read_jwt(token_key(v), token) if token else None
    return claims["sub"] if claims is not None and isinstance(claims.get("sub"), str) else None


@VENDOR.hook
def fresh_credentials(v: VendorApp, token: str) -> tuple[dict[str, str], dict[str, str]]:
    client, secret = "client-" + token[:16], token
    return {"client_id": client, "client_secret": secret}, {"Authorization": basic_header(client, secret)}


def _client(v: VendorApp, request: web.Request) -> str:
    creds = basic_credentials(request.headers.get("Authorization"))
    if creds is None or not creds[0] or not creds[1]:
        raise VendorError(401, "Client authentication failed", code="invalid_client", kind="auth")
    credentials = v.runtime.credentials
    if credentials.restricted and credentials.find(v.name, client_id=creds[0], client_secret=creds[1]) is None:
        raise VendorError(401, "Client authentication failed", code="invalid_client", kind="auth")
    return creds[0]


def granted(v: VendorApp, client: str) -> tuple[str, ...]:
    entry = v.runtime.credentials.find(v.name, client_id=client)
    if entry and entry.get("scopes") is not None:
        scopes = entry["scopes"]
        return tuple(scopes.split() if isinstance(scopes, str) else scopes)
    return SCOPES


def _token(v: VendorApp, token: str) -> tuple[str, dict[str, Any]] | None:
    """The client and claims of an access token this server issued to that client since its last reset, and, with
    a credentials file, to a client it lists (a JWT: nothing is stored per token but the client's grant)."""
    claims = read_jwt(token_key(v), token)
    if claims is None or not isinstance(claims.get("sub"), str) or not isinstance(claims.get("exp"), int):
        return None
    client, grant = claims["sub"], claims.get("grant")
    state = v.runtime.store.find(v.name, client)
    if state is None or not isinstance(grant, str) or state.get("talkdesk", "grant") != grant:
        return None
    credentials = v.runtime.credentials
    if credentials.restricted and credentials.find(v.name, client_id=client) is None:
        return None
    return client, claims


# --- envelope (A.11) ----------------------------------------------------------------------------------------------
@VENDOR.hook
def render_error(v: VendorApp, err: VendorError, request: web.Request) -> Reply:
    return envelope.render(err, oauth=request.path.endswith("/oauth/token"))


@VENDOR.hook
def violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    if op.operation_id == "CreateToken":
        return VendorError(400, problem.message, code="invalid_request")
    if problem.location == "path":
        if problem.name == "type":
            return bad(envelope.MSG_UNKNOWN_TYPE, "type", f"must be one of {', '.join(REPORT_TYPES)}")
        return VendorError(404, envelope.MSG_JOB_NOT_FOUND, kind="not_found")
    if problem.rule in ("json", "encoding", "content-type"):
        return bad(envelope.MSG_INVALID_REPORT, "body", problem.message)
    return bad(envelope.MSG_INVALID_REPORT, problem.name or problem.location, problem.message)


def zone(v: VendorApp, name: str) -> ZoneInfo:
    """An IANA time zone by name, or the vendor's 400."""
    local = v.local
    if not local.zones:
        local.zones = available_timezones()
    if name not in local.zones and name != "UTC":
        raise bad(envelope.MSG_INVALID_REPORT, "timezone", f"{name} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad(envelope.MSG_INVALID_REPORT, "timezone", f"{name} is not an IANA time zone") from None


# --- tenants --------------------------------------------------------------------------------------------------
@VENDOR.hook
def configure_tenant(v: VendorApp, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
    """``calls_payload``: the calls and explore_calls payload of the client's new jobs (call_id or interaction_id),
    instead of the vendor option's."""
    unknown = sorted(set(settings) - {"calls_payload"})
    if unknown:
        raise VendorError(400, f"unknown Talkdesk tenant settings {unknown}; known: ['calls_payload']",
                          kind="validation")
    payload = settings.get("calls_payload")
    if payload is not None:
        if payload not in records.PAYLOADS:
            raise VendorError(400, f"calls_payload must be one of {', '.join(records.PAYLOADS)}", kind="validation")
        state.put("settings", "calls_payload", payload)
    return dict(state.items("settings"))


def calls_payload(v: VendorApp, state: TenantState) -> str:
    """The payload a new job of this client gets: its tenant setting, else the vendor option."""
    return str(state.get("settings", "calls_payload") or v.config["calls_payload"])


def payload_attr(kind: str, payload: str) -> dict[str, str]:
    """The calls payload a job keeps for its life (only the reports that have two)."""
    return {"calls_payload": payload} if kind in records.PAYLOAD_REPORTS else {}


@VENDOR.hook
def read_tenant(v: VendorApp, tenant: str, spec: dict[str, Any]) -> fixtures.Reading:
    return fixtures.read(spec, v.runtime.clock.now())


@VENDOR.hook
def load_tenant(v: VendorApp, tenant: str, reading: fixtures.Reading) -> None:
    """fixtures/talkdesk.yaml: per OAuth client, ``settings`` and ``jobs`` (fixtures.py)."""
    state = v.runtime.store.tenant(v.name, tenant)
    if reading.settings:
        configure_tenant(v, state, reading.settings)
    for item, count in reading.jobs:
        attrs = {**item.attrs, **payload_attr(item.kind, item.payload or calls_payload(v, state))}
        for _ in range(count):
            job = v.jobs.create(state, item.kind, dict(attrs), created=item.created, job_id=item.job_id, fixture=True)
            if item.status is not None:
                v.jobs.rewrite(state, job, [(item.status, None)])


# --- the report file (A.6, A.13) ----------------------------------------------------------------------------------
def downloadable(job: Job, now: float) -> bool:
    if status_at(job.schedule, now) != "done":
        return False
    done_at = time_of(job.schedule, "done")
    return done_at is not None and now < done_at + FILE_DAYS * 86400


def file_key(job: Job) -> str:
    ext = {"csv": "csv", "json": "json", "json_bulk": "jsonl"}[job.attrs["format"]]
    return f"reports/{job.collection}/{job.id}.{ext}"


@VENDOR.hook
def s3_object(v: VendorApp, tenant: str, key: str) -> FileBody | None:
    match = re.fullmatch(r"reports/(\w+)/([0-9a-f-]{36})\.(csv|json|jsonl)", key)
    state = v.runtime.store.find(v.name, tenant)
    if match is None or state is None:
        return None
    job = state.jobs.get(match.group(2))
    if job is None or not downloadable(job, v.runtime.clock.now()):
        return None
    return _file(v, tenant, job)


@VENDOR.hook
def file_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:
    return [file_key(job)] if downloadable(job, v.runtime.clock.now()) else []


def _payload(job: Job) -> str:
    # a job without one was made before the setting existed (a state file of then): the default payload
    return str(job.attrs.get("calls_payload", records.PAYLOADS[0]))


def _file(v: VendorApp, tenant: str, job: Job) -> FileBody:
    fmt, a, runtime = job.attrs["format"], job.attrs, v.runtime
    keys = records.file_keys(job.collection, _payload(job))

    def chunks() -> Any:
        # the report's records: times in UTC, whatever the job's zone (the docs say start_at and end_at are UTC,
        # and the current calls payload writes them with Z)
        rows = records.records(job.collection, seed=runtime.settings.seed, tenant=tenant, job_id=job.id,
                               start=a["start"], end=a["end"], pools=runtime.pools,
                               count=records_for(a.get("volume"), a["start"], a["end"]), payload=_payload(job))
        return batched_lines(records.encode(fmt, rows, keys))

    content_type = {"csv": "text/csv", "json": "application/json", "json_bulk": "application/x-ndjson"}[fmt]
    return FileBody(content_type, chunks, key=("talkdesk", tenant, job.id), sizes=runtime.sizes,
                    filename=file_key(job).rsplit("/", 1)[1])
