"""DIDWW's hooks: the API version a request gets (B0), the Api-Key (B5) and the rate limit, jsonapi-resources'
content negotiation, the envelope (B6) and the stack's headers; the tenants' settings, the exports' file ids and
their callbacks (B8), and the file (B7), which the API serves behind the Api-Key and the S3 stand-in for the
dashboard's links."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    bearer_token,
    masked,
    status_at,
    uuid4_from,
)
from . import envelope, fixtures, records, rules
from .declaration import CALLBACK_BACKOFF, VENDOR
from .throttle import RateLimit

FILE_KEY = re.compile(r"exports/([0-9a-f-]{36})\.csv\.gz")


@dataclass
class Local:
    """DIDWW in one app: its rate limit and its answers so far (request ids)."""

    limit: RateLimit
    requests: int = 0


@VENDOR.hook
def setup(v: VendorApp) -> Local:
    return Local(RateLimit(v.runtime.clock, v.config["per_second"]))


@VENDOR.hook
def configured(v: VendorApp, changed: set[str]) -> None:
    v.local.limit = RateLimit(v.runtime.clock, v.config["per_second"])


@VENDOR.hook
def reset(v: VendorApp, tenant: str | None) -> None:
    v.local.limit.clear(tenant)


# --- versions (B0) ----------------------------------------------------------------------------------------------
def version(v: VendorApp, request: web.Request) -> str:
    """The API version that answers: the header's, unless it is older than the key's default (B0)."""
    cached: str | None = request.get(envelope.VERSION_KEY)
    if cached is not None:
        return cached
    default = _default_version(v, request.headers.get("Api-Key"))
    asked = request.headers.get("X-DIDWW-API-Version", "").strip()
    chosen = asked if asked in envelope.VERSIONS and asked > default else default
    request[envelope.VERSION_KEY] = chosen
    return chosen


@VENDOR.hook
def spec_key(v: VendorApp, request: web.Request) -> str:
    return envelope.VERSIONS[version(v, request)]


def _default_version(v: VendorApp, key: str | None) -> str:
    if key:
        state = v.runtime.store.find(v.name, key)
        if state is not None and state.get("settings", "default_api_version"):
            return str(state.get("settings", "default_api_version"))
        entry = _credential(v, key)
        if entry and entry.get("default_api_version"):
            return str(entry["default_api_version"])
    return str(v.config["default_version"])


# --- auth -> tenant (B5) ----------------------------------------------------------------------------------------
def _credential(v: VendorApp, key: str) -> dict[str, Any] | None:
    return v.runtime.credentials.find(v.name, api_key=key)


@VENDOR.hook
def readmit(v: VendorApp, request: web.Request, op: Operation, tenant: str) -> str:
    """The rate limit counts the request (429 past it). A kept answer's request again takes only this: its key is
    byte for byte the one that named ``tenant`` (the credentials file does not change while the server runs)."""
    if v.config["rate_limits"]:
        v.local.limit.count(tenant)
    return tenant


@VENDOR.hook
def tenant_label(v: VendorApp, tenant: str) -> str:
    """A tenant is its API key, a secret: views show its first and last four characters."""
    return masked(tenant)


@VENDOR.hook
def authenticate(v: VendorApp, request: web.Request, op: Operation) -> str:
    # The 2026-11-19 docs' examples send "Authorization: Bearer [access token]": a bearer token names the tenant as
    # an Api-Key does (the fake mints no tokens).
    key = request.headers.get("Api-Key", "") or (bearer_token(request.headers.get("Authorization")) or "")
    if not key or not envelope.PRINTABLE.match(key):
        raise envelope.error("unauthorized")
    if v.runtime.credentials.restricted and _credential(v, key) is None:
        raise envelope.error("unauthorized")
    return readmit(v, request, op, key)


@VENDOR.hook
def credential_tenant(v: VendorApp, headers: Mapping[str, str]) -> str | None:
    """The API key (an Api-Key header, or a bearer token), as authenticate reads it."""
    key = headers.get("Api-Key", "") or (bearer_token(headers.get("Authorization")) or "")
    return key if key and envelope.PRINTABLE.match(key) else None


@VENDOR.hook
def fresh_credentials(v: VendorApp, token: str) -> tuple[dict[str, str], dict[str, str]]:
    return {"api_key": token}, {"Api-Key": token}


@VENDOR.hook
def negotiate(v: VendorApp, request: web.Request, op: Operation) -> None:
    """jsonapi-resources' checks, in its order: a write's Content-Type (415), then every Accept (406)."""
    if op.operation_id == "DownloadExport":
        return  # the file is served outside the JSON:API controller (nginx, vendors/didww.md B7)
    if request.method in ("POST", "PATCH", "PUT"):
        media = request.headers.get("Content-Type", "").split(";", 1)[0].strip()
        if media.lower() != envelope.JSONAPI:
            raise envelope.error("media", media=media)
    accept = request.headers.get("Accept", "")
    entries = [e.strip() for e in accept.split(",")]
    if accept.strip() and not any(e == envelope.JSONAPI or e.startswith("*/*") for e in entries):
        raise envelope.error("accept", accept=accept)


# --- envelope (B6) ----------------------------------------------------------------------------------------------
@VENDOR.hook
def answer_id(v: VendorApp) -> str:
    v.local.requests += 1
    return uuid4_from(v.runtime.settings.seed, "didww-request", v.local.requests)


@VENDOR.hook
def response_headers(v: VendorApp, request: web.Request, reply: Reply) -> dict[str, str] | None:
    """What DIDWW's nginx and Rails add (didww-api3-postman@71547df 2021-12-15 recordings; didww-api-3-php-sdk
    @eaad6c1 tests/fixtures/exports.yml): the stack's own (envelope.stack_headers), a request id, the runtime, Vary:
    Accept, and a Cache-Control that is max-age=0 with a weak ETag on lists and creates, no-cache elsewhere."""
    request_id = str(v.answer_id(request))
    headers = {**envelope.stack_headers(request), "X-Request-Id": request_id,
               "X-Runtime": f"{0.02 + (v.local.requests % 89) / 1000:.6f}"}
    if reply.file is not None or envelope.FILE_PATH.search(request.raw_path.split("?", 1)[0]):
        # the file, served by Rails in 2022: no-cache, no Vary (didww-api3-postman@71547df "Get CSV File of Export";
        # didww-api-3-php-sdk@62f9176, a refused key's 401)
        return {**headers, "Cache-Control": "no-cache"}
    headers["Vary"] = "Accept"
    headers["Cache-Control"] = "max-age=0, private, must-revalidate" if reply.etag else "no-cache"
    return headers


@VENDOR.hook
def render_error(v: VendorApp, err: VendorError, request: web.Request) -> Reply:
    if err.extra.get("bodiless"):
        return Reply(err.status, None, headers=err.headers or None)  # B1 #5: 404 "without body"
    if err.status == 401 and envelope.FILE_PATH.search(request.raw_path.split("?", 1)[0]):
        # A refused key on the download: 401, no body, text/html (didww-api-3-php-sdk@62f9176
        # tests/fixtures/exports.yml, recorded 2022-02-02).
        return Reply(401, b"", content_type="text/html; charset=utf-8")
    return Reply(err.status, envelope.document(err), headers=err.headers or None, content_type=envelope.JSONAPI)


@VENDOR.hook
def route_not_found(v: VendorApp, request: web.Request) -> VendorError:
    return VendorError(404, f"The route {request.method} {request.path} could not be found.", code="404",
                       kind="not_found", extra={"title": "Route not found"})


@VENDOR.hook
def violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    if problem.location == "path":
        if op.operation_id == "DownloadExport":
            raise VendorError(404, "", kind="not_found", extra={"bodiless": True})
        return envelope.not_found(request.match_info.get("id", ""))
    return envelope.from_violation(problem, request)


# --- tenants ----------------------------------------------------------------------------------------------------
@VENDOR.hook
def configure_tenant(v: VendorApp, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
    """``default_api_version`` (the version a request without the header gets) and ``callback_secret`` (the key of
    X-DIDWW-Signature; default: the API key itself, as older SDKs)."""
    unknown = sorted(set(settings) - {"default_api_version", "callback_secret"})
    if unknown:
        raise VendorError(400, f"unknown DIDWW tenant settings {unknown}", kind="validation")
    given = settings.get("default_api_version")
    if given is not None and given not in envelope.VERSIONS:
        raise VendorError(400, envelope.D_BAD_VERSION.format(value=given), kind="validation")
    secret = settings.get("callback_secret")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise VendorError(400, "callback_secret must be a non-empty string", kind="validation")
    for key in ("default_api_version", "callback_secret"):
        if settings.get(key) is not None:
            state.put("settings", key, settings[key])
    return dict(state.items("settings"))


@VENDOR.hook
def read_tenant(v: VendorApp, tenant: str, spec: dict[str, Any]) -> fixtures.Reading:
    return fixtures.read(spec, v.runtime.clock.now())


@VENDOR.hook
def load_tenant(v: VendorApp, tenant: str, reading: fixtures.Reading) -> None:
    """fixtures/didww.yaml: per API key, ``settings`` and ``exports`` (fixtures.py)."""
    state = v.runtime.store.tenant(v.name, tenant)
    if reading.settings:
        configure_tenant(v, state, reading.settings)
    for item, count in reading.exports:
        for _ in range(count):
            v.jobs.create(state, "exports", {**item.attrs, "filters": dict(item.attrs["filters"])},
                          created=item.created, hold=item.hold, fixture=True, job_id=item.export_id)


# --- jobs: file ids, callbacks -------------------------------------------------------------------------------------
def file_id(v: VendorApp, state: TenantState, job: Job) -> str:  # derived, not stored: exports made alike share attrs
    """A fixture's own file id, else one derived from the seed and the export."""
    return job.attrs.get("file_id") or uuid4_from(v.runtime.settings.seed, "didww-file", state.tenant, job.id)


@VENDOR.hook
def created(v: VendorApp, state: TenantState, job: Job) -> None:
    state.put("didww_files", file_id(v, state, job), job.id)


@VENDOR.hook
def removed(v: VendorApp, state: TenantState, job: Job) -> None:
    state.drop("didww_files", file_id(v, state, job))


@VENDOR.hook
def outcome_status(v: VendorApp, outcome: str) -> str:
    return outcome.lower()  # processing or completed, in either version's spelling (no failure state is documented)


@VENDOR.hook
def force(v: VendorApp, state: TenantState, job: Job, status: str) -> None:
    v.jobs.force(state, job, status.lower())


@VENDOR.hook
def describe(v: VendorApp, state: TenantState, job: Job) -> dict[str, Any]:
    return {"file_id": file_id(v, state, job)}


@VENDOR.effect("completed")
def completed(v: VendorApp, state: TenantState, job: Job, at: float) -> None:
    """The export is done: its callback, if it has one."""
    url = rules.callback_url(job.attrs.get("callback_url"))  # echoed as sent, called with its scheme
    if url:
        # B8: id, type and status, as a query (GET) or a form (POST), signed with X-DIDWW-Signature (by
        # webhook_headers, over the URL as sent); from 2026-04-16 also the file's url (Postman 2026-04-16
        # changelog: "export callback includes url attribute with the download link").
        payload = {"id": job.id, "type": "exports", "status": "completed"}
        if job.attrs.get("layout", "2021-12-15") >= envelope.NEW and job.attrs.get("base"):
            payload["url"] = f"{job.attrs['base']}/exports/{file_id(v, state, job)}.csv.gz"
        v.runtime.webhooks.schedule(v.name, state.tenant, job.attrs.get("callback_method") or "post", url,
                                    payload, backoff=CALLBACK_BACKOFF, job=job.id)


@VENDOR.hook
def webhook_headers(v: VendorApp, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str]:
    state = v.runtime.store.tenant(v.name, tenant)
    entry = _credential(v, state.tenant) or {}
    secret = str(state.get("settings", "callback_secret") or entry.get("callback_secret") or state.tenant)
    return {"X-DIDWW-Signature": envelope.sign(secret, url, payload)}


# --- the file (B7) ------------------------------------------------------------------------------------------------
def export_file(v: VendorApp, tenant: str, job: Job) -> FileBody:
    state = v.runtime.store.tenant(v.name, tenant)
    runtime = v.runtime
    return records.export_file(job.id, file_id(v, state, job), job.attrs, tenant, runtime.settings.seed,
                               runtime.pools, runtime.sizes)


@VENDOR.hook
def file_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:
    if status_at(job.schedule, v.runtime.clock.now()) != "completed":
        return []
    return [f"exports/{file_id(v, state, job)}.csv.gz"]


@VENDOR.hook
def s3_object(v: VendorApp, tenant: str, key: str) -> FileBody | None:
    match, state = FILE_KEY.fullmatch(key), v.runtime.store.find(v.name, tenant)
    export_id = state.get("didww_files", match.group(1)) if match and state else None
    job = state.jobs.get(export_id) if state is not None and export_id else None
    return export_file(v, tenant, job) if job is not None and state is not None and file_keys(v, state, job) else None
