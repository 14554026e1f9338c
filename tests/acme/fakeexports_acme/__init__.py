"""Acme Exports, a fifth vendor in a package of its own: a generic asynchronous export API, of fakeexports' design
(acme.yaml). It is three files (this module, its spec and its fixtures) and a pyproject.toml entry point, and it
imports from one module of the core, fakeexports.kit: a declaration with a Lifecycle (a forceable failure, a callback
and a day of retention), ids, an option and a Recipe, by which the shared contract suite tests it like every other
vendor; then the handlers of its spec's operations, its one effect and the hooks it needs, each a function
registered by decorator; keyset pages with opaque tokens; a CSV file behind a presigned link, sized lazily (made
and measured off the event loop, in the app's file thread)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from fakeexports.kit import (
    FIXTURE_AGE,
    Call,
    Context,
    Effect,
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
    csv_lines,
    fixture_items,
    hex_id,
    parse_rfc3339,
    records_for,
    rng,
    stamp,
)

KEY = re.compile(r"^ak_[a-z0-9_]{3,40}$")
FILE_KEY = re.compile(r"exports/(exp_[0-9a-f]{32})\.csv")
CODES = {400: "invalid_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 429: "rate_limited"}
COLUMNS = {"events": ("event_id", "occurred_at", "kind", "amount"),
           "invoices": ("invoice_id", "issued_at", "customer", "total_cents")}
ENDED = (Effect("notify", notify=True),)
TIME = {"type": "string", "description": "an RFC 3339 date-time (2026-01-15T00:00:00Z)"}
FIXTURE_SCHEMA = {  # a key's part of fixtures.yaml, checked before read_tenant reads it
    "type": "object", "additionalProperties": False,
    "properties": {"exports": {"type": ["array", "null"], "items": {
        "type": "object", "required": ["dataset", "from", "to"], "additionalProperties": False,
        "properties": {"dataset": {"enum": list(COLUMNS)}, "from": TIME, "to": TIME,
                       "age_seconds": FIXTURE_AGE, "outcome": {"enum": ["failed", "succeeded"]}},
    }}},
}

VENDOR = Vendor(
    "acme", mount="/acme", hosts=("api.acme.test",), specs={"v1": "acme.yaml"}, fixtures="fixtures.yaml",
    fixture_schema=FIXTURE_SCHEMA,
    lifecycle=Lifecycle(
        steps=(("queued", 5.0), ("running", 20.0), ("succeeded", None)),
        terminal=frozenset({"succeeded", "failed"}),
        forceable={"failed": frozenset({"queued", "running"}), "succeeded": frozenset({"queued", "running"})},
        on_enter={"succeeded": ENDED, "failed": ENDED},
        retention={"succeeded": 86400.0, "failed": 86400.0},
    ),
    ids=Ids("acme-export", kind="sid", prefix="exp_"),
    options=(Option("link_seconds", int, 300, "how long a file link stays valid", minimum=1),),
    recipe=Recipe(
        tenants=("ak_alpha", "ak_beta"),
        headers={"X-Api-Key": "{tenant}"},
        create=Call("POST", "/v1/exports", json={"dataset": "events", "from": "{now:-86400}", "to": "{now:-60}"},
                    status=(202,), save={"job": "json:id"}),
        poll=Call("GET", "/v1/exports/{job}", save={"status": "json:status", "size": "json:bytes"}),
        done="succeeded",
        download=(Call("GET", "/v1/exports/{job}/file", status=(302,), save={"link": "header:Location"}),
                  Call("GET", "{link}", link=True, auth=False)),
        listing=Call("GET", "/v1/exports?limit=100", save={"ids": "json:items.*.id"}),
        outcome=("failed", "failed"),
        delete=Call("DELETE", "/v1/exports/{job}", status=(204,)),
        callback=Call("POST", "/v1/exports", json={"dataset": "events", "from": "{now:-86400}", "to": "{now:-60}",
                                                   "callback_url": "{callback}"},
                      status=(202,), save={"job": "json:id"}),
        step=5.0,
    ),
)


# --- auth -> tenant, envelope ---------------------------------------------------------------------------------
@VENDOR.hook
def authenticate(v: VendorApp, request: web.Request, op: Operation) -> str:
    key = request.headers.get("X-Api-Key", "")
    if not KEY.match(key):
        raise VendorError(401, "A valid X-Api-Key header is required", kind="auth")
    return key


@VENDOR.hook
def credential_tenant(v: VendorApp, headers: Mapping[str, str]) -> str | None:
    """The key of X-Api-Key, as authenticate reads it: its tenants can be put on a clock."""
    key = headers.get("X-Api-Key", "")
    return key if KEY.match(key) else None


@VENDOR.hook
def fresh_credentials(v: VendorApp, token: str) -> tuple[dict[str, str], dict[str, str]]:
    key = "ak_" + token[:24].lower()
    return {"api_key": key}, {"X-Api-Key": key}


@VENDOR.hook
def render_error(v: VendorApp, err: VendorError, request: web.Request) -> Reply:
    code = err.code or CODES.get(err.status, "unavailable" if err.status >= 500 else "error")
    return Reply(err.status, {"error": {"code": str(code), "message": err.message}}, headers=err.headers or None)


@VENDOR.hook
def violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    if problem.location == "path":
        return VendorError(404, "No such export", kind="not_found")
    return VendorError(400, f"{problem.name or problem.location}: {problem.message}", kind="validation")


# --- lifecycle ----------------------------------------------------------------------------------------------------
@VENDOR.effect("notify")
def notify(v: VendorApp, state: TenantState, job: Job, at: float) -> None:
    url = job.attrs.get("callback_url")
    if url:
        v.runtime.webhooks.schedule(v.name, state.tenant, "POST", url, {"id": job.id, "status": v.jobs.status(job, at)},
                                    job=job.id)  # the job's row of the dashboard's timeline shows the attempts


Fixture = tuple[dict[str, Any], float, "str | None", int]  # an export's attributes, created, outcome, copies


@VENDOR.hook
def read_tenant(v: VendorApp, tenant: str, spec: dict[str, Any]) -> list[Fixture]:
    """fixtures.yaml: per API key, ``exports`` (dataset, from, to, age_seconds, outcome), FIXTURE_SCHEMA's shape."""
    now, exports = v.runtime.clock.now(), []
    for at, item, copies in fixture_items(spec, "exports"):
        try:
            start, end = parse_rfc3339(item["from"]), parse_rfc3339(item["to"])
        except ValueError:
            raise FixtureError(f"from and to must be {TIME['description']}", at) from None
        if not start < end:
            raise FixtureError("from must be before to", at)
        exports.append(({"dataset": item["dataset"], "from": start, "to": end, "callback_url": None},
                        now - float(item.get("age_seconds", 0)), item.get("outcome"), copies))
    return exports


@VENDOR.hook
def load_tenant(v: VendorApp, tenant: str, exports: list[Fixture]) -> None:
    state = v.runtime.store.tenant(v.name, tenant)
    for attrs, created, outcome, copies in exports:
        for _ in range(copies):
            job = v.jobs.create(state, "exports", dict(attrs), created=created, fixture=True)
            if outcome:
                v.force(state, job, outcome)


# --- handlers (by operationId) ------------------------------------------------------------------------------------
@VENDOR.operation("createExport")
async def create_export(ctx: Context) -> Reply:
    body = ctx.body
    start, end = parse_rfc3339(body["from"]), parse_rfc3339(body["to"])
    if not start < end <= ctx.now:
        raise VendorError(400, "from must be before to, and to not in the future", kind="validation")
    job = ctx.vendor.jobs.create(ctx.state, "exports", {"dataset": body["dataset"], "from": start, "to": end,
                                                        "callback_url": body.get("callback_url")}, ctx=ctx)
    return Reply(202, await _export(ctx.vendor, ctx.tenant, job, ctx.now))


@VENDOR.operation("listExports")
async def list_exports(ctx: Context) -> Reply:
    limit, cursor = ctx.params.get("limit", 20), ctx.params.get("cursor")
    scope = f"acme/{ctx.tenant}/exports"
    tokens = ctx.runtime.tokens
    before = None
    if cursor:
        found = tokens.decode(cursor, scope)
        if found is None or not found[1].isdigit():
            raise VendorError(400, "cursor: not a cursor this list gave", kind="validation")
        before = int(found[1])
    page = ctx.state.collection("exports").descending(limit, before=before)
    token = tokens.encode(scope, "n", page.items[-1].seq) if page.more and page.items else None
    return Reply(200, {"items": [await _export(ctx.vendor, ctx.tenant, j, ctx.now) for j in page.items],
                       "next_cursor": token})


@VENDOR.operation("getExport")
async def get_export(ctx: Context) -> Reply:
    return Reply(200, await _export(ctx.vendor, ctx.tenant, _job(ctx), ctx.now))


@VENDOR.operation("downloadExport")
async def download_export(ctx: Context) -> Reply:
    job = _job(ctx)
    if ctx.vendor.jobs.status(job, ctx.now) != "succeeded":
        raise VendorError(409, "The export has no file: it has not succeeded", kind="conflict")
    link = ctx.presign(f"exports/{job.id}.csv", ttl=int(ctx.vendor.config["link_seconds"]))
    return Reply(302, None, headers={"Location": link})


@VENDOR.operation("deleteExport")
async def delete_export(ctx: Context) -> Reply:
    ctx.vendor.jobs.remove(ctx.state, _job(ctx))
    return Reply(204)


def _job(ctx: Context) -> Job:
    job = ctx.state.jobs.get(ctx.params["export_id"])
    if job is None:
        raise VendorError(404, "No such export", kind="not_found")
    return job


async def _export(v: VendorApp, tenant: str, job: Job, now: float) -> dict[str, Any]:
    status = v.jobs.status(job, now)
    done = status == "succeeded"
    finished = job.schedule[-1][0] if status in v.lifecycle.terminal else None
    return {"id": job.id, "dataset": job.attrs["dataset"], "status": status,
            "from": stamp(job.attrs["from"]), "to": stamp(job.attrs["to"]), "created_at": stamp(job.created),
            "finished_at": stamp(finished) if finished is not None else None,
            "rows": _rows(v, tenant, job) if done else None,
            "bytes": await _file(v, tenant, job).measure() if done else None}  # made off the event loop


# --- file ---------------------------------------------------------------------------------------------------------
@VENDOR.hook
def s3_object(v: VendorApp, tenant: str, key: str) -> FileBody | None:
    match = FILE_KEY.fullmatch(key)
    state = v.runtime.store.find(v.name, tenant)
    job = state.jobs.get(match.group(1)) if match and state else None
    if job is None or v.jobs.status(job) != "succeeded":
        return None
    return _file(v, tenant, job)


@VENDOR.hook
def file_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:
    return [f"exports/{job.id}.csv"] if v.jobs.status(job) == "succeeded" else []


def _rows(v: VendorApp, tenant: str, job: Job) -> int:  # the tenant's records_per_day when it was made, if any
    volume = records_for(job.attrs.get("volume"), job.attrs["from"], job.attrs["to"])
    return rng(v.runtime.settings.seed, "acme-rows", tenant, job.id).randint(5, 200) if volume is None else volume


def _file(v: VendorApp, tenant: str, job: Job) -> FileBody:
    seed, dataset = v.runtime.settings.seed, job.attrs["dataset"]
    start, span, n = job.attrs["from"], job.attrs["to"] - job.attrs["from"], _rows(v, tenant, job)

    def rows() -> Any:
        r = rng(seed, "acme-file", tenant, job.id)
        times = sorted(start + r.random() * span for _ in range(n))
        for i, at in enumerate(times):
            ident = hex_id(seed, "acme-row", job.id, i)[:16]
            if dataset == "events":
                yield [ident, stamp(at, "ms"), r.choice(("signup", "login", "purchase", "refund")),
                       f"{r.uniform(0, 500):.2f}"]
            else:
                yield [ident, stamp(at), f"cus_{r.randrange(10**6):06d}", r.randrange(100, 10**6)]

    return FileBody("text/csv", lambda: csv_lines(COLUMNS[dataset], rows()), key=("acme", tenant, job.id),
                    sizes=v.runtime.sizes, filename=f"{job.id}.csv")
