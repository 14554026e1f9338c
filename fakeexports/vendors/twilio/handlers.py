"""Twilio's operations, by operationId: an export's links and configuration (A1), custom jobs created, listed, read
and deleted (A2), days listed and fetched (A7); jobs and days in pages with opaque tokens (A4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...kit import INF, Context, Job, Page, Reply, TenantState, VendorApp, VendorError, status_at
from . import envelope, fixtures, queue, wire
from .days import day_file, day_record, day_statuses
from .declaration import VENDOR
from .queue import DELETE_SECONDS
from .wire import configure_tenant, route_not_found

DEFAULT_CONFIG = {"enabled": False, "webhook_url": None, "webhook_method": None}


# --- representation ---------------------------------------------------------------------------------------------
def _job_body(v: VendorApp, state: TenantState, job: Job, now: float, position: int | None) -> dict[str, Any]:
    return envelope.job_body(job, day_statuses(v, state, job, now), position)


def _positions(state: TenantState, now: float) -> dict[str, int]:
    return {j.id: i + 1 for i, j in enumerate(queue.queue(state, now))}


def _position(state: TenantState, now: float, job_id: str) -> int | None:
    """One job's place in the account's queue (1 first), None once it has left it."""
    for i, j in enumerate(queue.queue(state, now), 1):
        if j.id == job_id:
            return i
    return None


def _job(ctx: Context) -> Job:
    job = ctx.state.jobs.get(ctx.params["JobSid"])
    if job is None or status_at(job.schedule, ctx.now) == "DeletedByUserRequest":
        raise route_not_found(ctx.vendor, ctx.request)
    return job


def _mint(ctx: Context, scope: str, direction: str, key: object) -> str:
    return ctx.runtime.tokens.encode(f"twilio/{scope}", direction, key, prefix="PT")


def _token(ctx: Context, token: str, scope: str, key_pattern: str) -> tuple[str, str]:
    return envelope.read_token(ctx.runtime.tokens, token, f"twilio/{scope}", key_pattern)


# --- jobs (A2) --------------------------------------------------------------------------------------------------
def create_job(v: VendorApp, state: TenantState, rt: str, created: float, attrs: dict[str, Any],
               job_sid: str | None = None, *, ctx: Context | None = None, fixture: bool = False) -> Job:
    """A job of the API or a fixture, queued behind the account's other jobs: it starts when a slot is free."""
    n_days = (date.fromisoformat(attrs["end_day"]) - date.fromisoformat(attrs["start_day"])).days + 1
    start = queue.start_time(created, [j.schedule[-1][0] for j in queue.queue(state, v.runtime.clock.now())])
    return v.jobs.create(state, rt, {**attrs, "n_days": n_days}, created=created, job_id=job_sid,
                         schedule=queue.schedule(created, start, n_days), ctx=ctx, fixture=fixture)


@VENDOR.hook
def read_tenant(v: VendorApp, tenant: str, spec: dict[str, Any]) -> fixtures.Reading:
    return fixtures.read(spec, v.runtime.clock.now())


@VENDOR.hook
def load_tenant(v: VendorApp, tenant: str, reading: fixtures.Reading) -> None:
    """fixtures/twilio.yaml: per account, ``settings``, ``jobs`` and ``configuration`` (fixtures.py)."""
    state = v.runtime.store.tenant(v.name, tenant)
    if reading.settings:
        configure_tenant(v, state, reading.settings)
    for item, count in reading.jobs:
        for _ in range(count):
            job = create_job(v, state, item.resource_type, item.created, item.attrs, item.job_sid, fixture=True)
            if item.outcome:
                v.force(state, job, item.outcome)
    for rt, config in reading.configurations.items():
        state.put("twilio_config", rt, config)


@VENDOR.operation("CreateExportCustomJob")
async def create_export_custom_job(ctx: Context) -> Reply:
    body, rt = ctx.body, ctx.params["ResourceType"]
    start, end = envelope.parse_day(body["StartDay"], "StartDay"), envelope.parse_day(body["EndDay"], "EndDay")
    latest = datetime.fromtimestamp(ctx.now, UTC).date() - timedelta(days=2)
    if end > latest:
        raise VendorError(400, envelope.MSG_END_DAY_RECENT.format(latest=latest.isoformat()), kind="validation",
                          where="body.EndDay")
    if start > end:
        raise VendorError(400, envelope.MSG_DAY_ORDER, kind="validation", where="body.StartDay")
    if ("WebhookUrl" in body) != ("WebhookMethod" in body):
        raise VendorError(400, envelope.MSG_WEBHOOK_PAIR, kind="validation", where="body.WebhookMethod")
    queue.charge_quota(ctx.state, ctx.now, (end - start).days + 1, ctx.vendor.config["days_per_day"])
    if "WebhookUrl" in body:
        wire.remember_token(ctx)
    job = create_job(ctx.vendor, ctx.state, rt, ctx.now, {
        "friendly_name": body["FriendlyName"], "start_day": start.isoformat(), "end_day": end.isoformat(),
        "webhook_url": body.get("WebhookUrl"), "webhook_method": body.get("WebhookMethod"), "email": body.get("Email"),
    }, ctx=ctx)
    answer = _job_body(ctx.vendor, ctx.state, job, ctx.now, _position(ctx.state, ctx.now, job.id))
    # A create answers details null: two real answers (2020 and 2022) show it so (tigerfarm/work@388d561
    # twiliocli/README.md); the days appear in details from the first fetch on.
    answer["details"] = None
    return Reply(201, answer)


@VENDOR.operation("ListExportCustomJob")
async def list_export_custom_job(ctx: Context) -> Reply:
    rt, state = ctx.params["ResourceType"], ctx.state
    size, page, token = ctx.params.get("PageSize", 50), ctx.params.get("Page", 0), ctx.params.get("PageToken")
    scope = f"{state.tenant}/jobs/{rt}"
    direction, key = _token(ctx, token, scope, r"\d+") if token else ("n", None)
    seq = int(key) if key is not None else None
    coll = state.collection(rt)
    if direction == "n":  # newest first: the page after `seq`, or the page number's
        found = coll.descending(size, before=seq, offset=0 if token else page * size)
        jobs, more, has_prev = found.items, found.more, page > 0
    else:  # a previous-page token: the `size` jobs just newer than `seq`, shown newest first
        found = coll.ascending(size, after=seq)
        jobs, more, has_prev = found.items[::-1], True, found.more
    positions = _positions(state, ctx.now)
    body = {
        "jobs": [_job_body(ctx.vendor, state, j, ctx.now, positions.get(j.id)) for j in jobs],
        "meta": envelope.page_meta(
            ctx, "jobs", f"/v1/Exports/{rt}/Jobs", size, page, token,
            _mint(ctx, scope, "n", jobs[-1].seq) if jobs and more else None,
            _mint(ctx, scope, "p", jobs[0].seq) if jobs and has_prev else None,
        ),
    }
    # the page reads the same until a job of the account's queue changes (a status, a day done)
    changes = [c for c in (queue.next_change(j, ctx.now) for j in queue.queue(state, ctx.now)) if c is not None]
    return Reply(200, body, fresh_until=min(changes, default=INF))


@VENDOR.operation("FetchJob")
async def fetch_job(ctx: Context) -> Reply:
    job = _job(ctx)
    body = _job_body(ctx.vendor, ctx.state, job, ctx.now, _position(ctx.state, ctx.now, job.id))
    body["url"] = ctx.url(f"/v1/Exports/Jobs/{job.id}")
    return Reply(200, body)


@VENDOR.operation("DeleteJob")
async def delete_job(ctx: Context) -> Reply:
    job, jobs = _job(ctx), ctx.vendor.jobs
    status = status_at(job.schedule, ctx.now)
    if status in ("Running", "ErrorDuringRun"):
        # A running job is marked and goes a short while later (A2: RunningToBeDeleted).
        jobs.rewrite(ctx.state, job, [("RunningToBeDeleted", DELETE_SECONDS), ("DeletedByUserRequest", None)])
    elif status != "RunningToBeDeleted":
        jobs.remove(ctx.state, job)
        if status == "Submitted":
            queue.requeue(jobs, ctx.state, ctx.now)
    return Reply(204)


# --- the export and its configuration (A1) -------------------------------------------------------------------
@VENDOR.operation("FetchExport")
async def fetch_export(ctx: Context) -> Reply:
    rt = ctx.params["ResourceType"]
    return Reply(200, {"resource_type": rt, "url": ctx.url(f"/v1/Exports/{rt}"), "links": {
        "days": ctx.url(f"/v1/Exports/{rt}/Days"), "export_custom_jobs": ctx.url(f"/v1/Exports/{rt}/Jobs"),
        "jobs": ctx.url("/v1/Exports/Jobs")}})


def _configuration(ctx: Context) -> dict[str, Any]:
    rt = ctx.params["ResourceType"]
    stored = ctx.state.get("twilio_config", rt) or DEFAULT_CONFIG
    return {**stored, "resource_type": rt, "url": ctx.url(f"/v1/Exports/{rt}/Configuration")}


@VENDOR.operation("FetchExportConfiguration")
async def fetch_export_configuration(ctx: Context) -> Reply:
    return Reply(200, _configuration(ctx))


@VENDOR.operation("UpdateExportConfiguration")
async def update_export_configuration(ctx: Context) -> Reply:
    rt = ctx.params["ResourceType"]
    body = ctx.body or {}
    current = dict(ctx.state.get("twilio_config", rt) or DEFAULT_CONFIG)
    for field, key in (("Enabled", "enabled"), ("WebhookUrl", "webhook_url"), ("WebhookMethod", "webhook_method")):
        if field in body:
            current[key] = body[field] if body[field] != "" else None  # an empty value clears it
    ctx.state.put("twilio_config", rt, current)
    return Reply(200, _configuration(ctx))


# --- days (A7) ------------------------------------------------------------------------------------------------
@VENDOR.operation("ListDay")
async def list_day(ctx: Context) -> Reply:
    rt = ctx.params["ResourceType"]
    size, page, token = ctx.params.get("PageSize", 50), ctx.params.get("Page", 0), ctx.params.get("PageToken")
    days = ctx.state.index(f"days/{rt}")
    scope = f"{ctx.tenant}/days/{rt}"
    if token:
        direction, key = _token(ctx, token, scope, r"\d{4}-\d{2}-\d{2}")
        if direction == "n":
            found = days.ascending(size, after=key)
        else:  # the `size` days just before `key`
            back = days.descending(size, before=key)
            found = Page(back.items[::-1], True, back.more)
    else:
        found = days.ascending(size, offset=page * size)
    chunk, more, earlier = found.items, found.more, found.earlier
    listed = []
    for r in chunk:  # one file after another: a list of big days takes its turns with other requests' files
        measured = await day_file(ctx.vendor, ctx.tenant, rt, r["day"], r.get("volume")).measure()
        listed.append({"day": r["day"], "size": measured, "create_date": r["create_date"],
                       "friendly_name": r["friendly_name"], "resource_type": rt})
    return Reply(200, {
        "days": listed,
        "meta": envelope.page_meta(
            ctx, "days", f"/v1/Exports/{rt}/Days", size, page, token,
            _mint(ctx, scope, "n", chunk[-1]["day"]) if chunk and more else None,
            _mint(ctx, scope, "p", chunk[0]["day"]) if chunk and earlier and page > 0 else None,
        ),
    })


@VENDOR.operation("FetchDay")
async def fetch_day(ctx: Context) -> Reply:
    rt, day = ctx.params["ResourceType"], ctx.params["Day"]
    if day_record(ctx.state, rt, day) is None:  # a day without records too: its file is empty
        raise route_not_found(ctx.vendor, ctx.request)
    link = ctx.presign(envelope.file_key(ctx.tenant, rt, day))
    # 307 with a JSON body: the SDK reads redirect_to from the body and never follows Location (A7).
    return Reply(307, {"redirect_to": link}, headers={"Location": link})
