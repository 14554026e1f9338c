"""Talkdesk's operations, by operationId: the token (A.2), a report job's create, list, read and cancel (A.4-A.8),
and its file's download and delete (A.6)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...kit import Context, Job, Reply, VendorError, hex_id, rfc3339, sign_jwt, stamp, status_at
from . import envelope
from .declaration import ACTIVE, MAX_SPAN, QUOTA, VENDOR
from .envelope import bad, parse_time
from .wire import (
    TOKEN_SECONDS,
    calls_payload,
    downloadable,
    file_key,
    grant_of,
    granted,
    payload_attr,
    token_key,
    zone,
)


# --- representation ---------------------------------------------------------------------------------------------
def _job_view(ctx: Context, job: Job) -> dict[str, Any]:
    a = job.attrs
    return {
        "id": job.id, "name": a.get("name"), "timezone": a["timezone"],
        "status": status_at(job.schedule, ctx.now), "format": a["format"], "type": job.collection,
        "created_at": stamp(job.created, "naive"),
        "timespan": {"from": rfc3339(a["start"]), "to": rfc3339(a["end"])},
    }


def _links(ctx: Context, job: Job) -> dict[str, Any]:
    return {"self": {"href": ctx.url(f"/data/reports/{job.collection}/jobs/{job.id}")},
            "files": {"href": ctx.url(f"/data/reports/{job.collection}/files/{job.id}")}}


def _document(ctx: Context, job: Job) -> dict[str, Any]:
    return {"job": _job_view(ctx, job), "_links": _links(ctx, job)}


def _job(ctx: Context) -> Job:
    job = ctx.state.jobs.get(ctx.params["id"])
    if job is None or job.collection != ctx.params["type"]:
        raise VendorError(404, envelope.MSG_JOB_NOT_FOUND, kind="not_found")
    return job


# --- the token (A.2) ----------------------------------------------------------------------------------------------
@VENDOR.operation("CreateToken")
async def create_token(ctx: Context) -> Reply:
    form = ctx.body or {}
    grant = form.get("grant_type") or ctx.params.get("grant_type")
    if not grant:
        raise VendorError(400, "grant_type is required", code="invalid_request", where="body.grant_type")
    if grant != "client_credentials":
        raise VendorError(400, f"grant_type {grant} is not supported", code="unsupported_grant_type",
                          where="body.grant_type")
    allowed = granted(ctx.vendor, ctx.tenant)
    asked = str(form.get("scope") or "").split()
    missing = [s for s in asked if s not in allowed]
    if missing:
        raise VendorError(400, f"scope {' '.join(missing)} is not granted to this client", code="invalid_scope",
                          where="body.scope")
    scope = " ".join(asked or allowed)
    state = ctx.state
    number = int(state.get("talkdesk", "tokens") or 0) + 1
    state.put("talkdesk", "tokens", number)
    # Talkdesk's access tokens are JWTs; these are signed with the server's random key and carry the client's grant
    token = sign_jwt(token_key(ctx.vendor), {
        "iss": "https://fakeexports.talkdeskid.com", "sub": ctx.tenant, "aud": "https://api.talkdeskapp.com",
        "scope": scope, "iat": int(ctx.now), "exp": int(ctx.now + ctx.runtime.clock.lasts(TOKEN_SECONDS)),
        "jti": hex_id(ctx.runtime.settings.seed, "talkdesk-token", ctx.tenant, number), "grant": grant_of(state)})
    return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS, "scope": scope})


# --- report jobs (A.4-A.8) ------------------------------------------------------------------------------------------
def _timespan(ctx: Context) -> tuple[float, float]:
    """The body's timespan in the report's zone (a naive time is in it), checked as A.4 says."""
    body = ctx.body
    # The documented body has timezone at the top level only; other members are ignored (INFERRED: the published
    # schema declares none, and the Airbyte connector's timespan.timezone changes nothing).
    tz = zone(ctx.vendor, str(body.get("timezone") or "UTC"))
    fields, bounds = [], {}
    for key in ("from", "to"):
        try:
            bounds[key] = parse_time(str(body["timespan"][key]), tz)
        except ValueError:
            fields.append({"name": f"timespan.{key}", "description": "must be a date-time"})
    if fields:
        raise VendorError(400, envelope.MSG_INVALID_REPORT, kind="validation", extra={"fields": fields})
    start, end = bounds["from"], bounds["to"]
    if end > ctx.now:
        raise bad(envelope.MSG_INVALID_REPORT, "timespan.to", "must not be in the future")
    if end <= start:
        raise bad(envelope.MSG_INVALID_REPORT, "timespan.to", "must be after timespan.from")
    if end - start > MAX_SPAN:
        raise bad(envelope.MSG_INVALID_REPORT, "timespan", "must not be longer than 31 days")
    return start, end


@VENDOR.operation("ExecuteReport")
async def execute_report(ctx: Context) -> Reply:
    start, end = _timespan(ctx)
    kind = ctx.params["type"]
    active = sum(1 for j in ctx.state.jobs.values() if status_at(j.schedule, ctx.now) in ACTIVE)
    if active >= QUOTA:
        raise VendorError(429, envelope.MSG_QUOTA.format(limit=QUOTA), kind="rate_limited")
    body = ctx.body
    job = ctx.vendor.jobs.create(ctx.state, kind, {
        "name": body.get("name"), "timezone": str(body.get("timezone") or "UTC"), "format": body.get("format", "csv"),
        "start": start, "end": end, **payload_attr(kind, calls_payload(ctx.vendor, ctx.state)),
    }, ctx=ctx)
    return Reply(202, _document(ctx, job))


@VENDOR.operation("ListReportJobs")
async def list_report_jobs(ctx: Context) -> Reply:
    kind = ctx.params["type"]
    page, per_page = ctx.params.get("page", 1), ctx.params.get("per_page", 50)
    coll = ctx.state.collection(kind)
    jobs = coll.descending(per_page, offset=(page - 1) * per_page).items
    total = len(coll)
    pages = -(-total // per_page)
    base = f"/data/reports/{kind}/jobs"
    links: dict[str, Any] = {"self": {"href": ctx.url(base, {"page": page, "per_page": per_page})}}
    if page < pages:
        links["next"] = {"href": ctx.url(base, {"page": page + 1, "per_page": per_page})}
    if page > 1:
        links["prev"] = {"href": ctx.url(base, {"page": min(page - 1, max(pages, 1)), "per_page": per_page})}
    items = [{**_job_view(ctx, j), "_links": _links(ctx, j)} for j in jobs]
    # the keys of Talkdesk's published document (data-reports-type-jobs-get): no page counters
    return Reply(200, {"total": total, "count": len(items), "_embedded": {"jobs": items}, "_links": links})


@VENDOR.operation("GetReportJob")
async def get_report_job(ctx: Context) -> Reply:
    job = _job(ctx)
    document = _document(ctx, job)
    if document["job"]["status"] != "done":
        return Reply(200, document)
    # Done: 300 with a relative Location (seed 002), written with the fake's mount (and a clock's /_clocks/{id}) in
    # front so that it resolves here (DESIGN "Redirect targets keep the mount"); 302/303 for clients that must follow.
    location = f"{urlsplit(ctx.base).path}/data/reports/{job.collection}/files/{job.id}"
    return Reply(int(ctx.vendor.config["done_status"]), document, headers={"Location": location})


@VENDOR.operation("CancelReportJob")
async def cancel_report_job(ctx: Context) -> Reply:
    job = _job(ctx)
    status = status_at(job.schedule, ctx.now)
    if status in ACTIVE:
        # A.8 (legacy docs): 200 while the report is not produced yet; the job is canceled.
        ctx.vendor.jobs.rewrite(ctx.state, job, [("canceled", None)])
    elif status != "canceled":
        raise VendorError(403, envelope.MSG_ALREADY_DONE.format(status=status), kind="forbidden")
    return Reply(200, _document(ctx, job))


# --- the file (A.6) -----------------------------------------------------------------------------------------------
@VENDOR.operation("GetReportFile")
async def get_report_file(ctx: Context) -> Reply:
    job = _job(ctx)
    if status_at(job.schedule, ctx.now) in ACTIVE:
        # Not done yet: 200 with the job, the reference page's "200 (report job execution result)"
        # (docs.talkdesk.com/reference/download-a-report); public clients poll here until the body has entries.
        return Reply(200, _document(ctx, job))
    if not downloadable(job, ctx.now):
        # failed, canceled, deleted or past its 30 days: "its file cannot be accessed" (seed 002, for failed and
        # deleted; canceled INFERRED alike), a 404 as after a delete (A.8)
        raise VendorError(404, envelope.MSG_FILE_NOT_FOUND, kind="not_found")
    link = ctx.presign(file_key(job))
    # 303 to the file, with the job in the body as the reference page shows (docs.talkdesk.com/reference/
    # download-a-report)
    return Reply(303, _document(ctx, job), headers={"Location": link})


@VENDOR.operation("DeleteReportFile")
async def delete_report_file(ctx: Context) -> Reply:
    job = _job(ctx)
    if not downloadable(job, ctx.now):
        raise VendorError(404, envelope.MSG_FILE_NOT_FOUND, kind="not_found")
    ctx.vendor.jobs.rewrite(ctx.state, job, [("deleted", None)])
    return Reply(204)
