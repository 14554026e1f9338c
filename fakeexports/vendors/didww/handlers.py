"""DIDWW's operations (B1), by operationId, and how an export is written in each API version (B2, B4)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

from ...kit import INF, Context, Job, Reply, VendorError, next_change_at, parse_rfc3339, stamp, status_at
from . import envelope, records, rules
from .declaration import VENDOR
from .wire import export_file, file_id, version


# --- representation ---------------------------------------------------------------------------------------------
def _status(job: Job, now: float, version_: str) -> str:
    status = status_at(job.schedule, now)
    return status.capitalize() if envelope.VERSIONS[version_] == "2021-12-15" else status


def _resource(ctx: Context, job: Job, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    answered = version(ctx.vendor, ctx.request)
    doc = envelope.VERSIONS[answered]
    a = job.attrs
    status = _status(job, ctx.now, answered)
    method = a.get("callback_method")
    full: dict[str, Any] = {
        "export_type": a["export_type"],
        "status": status,
        "url": ctx.url(f"/exports/{file_id(ctx.vendor, ctx.state, job)}.csv.gz") if status.lower() == "completed"
        else None,
        "filters": a["filters"],  # as created: an export keeps the keys of the version that made it
        "callback_url": a.get("callback_url"),
        "callback_method": (method.upper() if doc == "2021-12-15" else method.lower()) if method else None,
        "external_reference_id": a.get("external_reference_id"),
        "created_at": stamp(job.created, "ms"),
    }
    names = fields if fields is not None else rules.FIELDS[doc]
    return {"id": job.id, "type": "exports", "attributes": {k: full[k] for k in rules.SPARSE[doc] if k in names}}


def _fields(ctx: Context) -> tuple[str, ...] | None:
    """The sparse fieldset ``fields[exports]`` asks for (None: every attribute); an unknown name is a 400 (B4)."""
    if "fields[exports]" not in ctx.params:
        return None
    fields = tuple(f for f in str(ctx.params["fields[exports]"]).split(",") if f)
    allowed = rules.SPARSE[envelope.VERSIONS[version(ctx.vendor, ctx.request)]]
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise envelope.error("field", name=bad[0])
    return fields


def _document(ctx: Context, data: Any, **meta: Any) -> dict[str, Any]:
    return {"data": data, "meta": {**meta, "api_version": version(ctx.vendor, ctx.request)}}


def _job(ctx: Context) -> Job:
    job = ctx.state.jobs.get(ctx.params["id"])
    if job is None:
        raise envelope.not_found(ctx.params["id"])
    return job


# --- the list (B4) ----------------------------------------------------------------------------------------------
@VENDOR.operation("ListExports")
async def list_exports(ctx: Context) -> Reply:
    answered = version(ctx.vendor, ctx.request)
    doc = envelope.VERSIONS[answered]
    p = ctx.params
    exports = ctx.state.collection("exports")
    filters, sorts = p.get("filter") or {}, [t for t in str(p.get("sort") or "").split(",") if t]
    for term in sorts:
        if term.lstrip("-") not in rules.SORTS[doc]:
            raise envelope.error("sort", name=term.lstrip("-"))
    number, size = int(p.get("page[number]", 1)), int(p.get("page[size]", 50))
    if filters or sorts:
        # Filters and sorts read every export (the index keeps creation order only): O(n).
        jobs = list(exports)
        for key, value in filters.items():
            jobs = _filtered(jobs, key, str(value), ctx.now, answered)
        for term in reversed(sorts):
            jobs.sort(key=functools.partial(_sort_key, field=term.lstrip("-"), now=ctx.now, version_=answered),
                      reverse=term.startswith("-"))
        total, page = len(jobs), jobs[(number - 1) * size: number * size]
    else:  # by default "sorted according to the ID number" (Postman, Specification > Sorting): creation order
        total, page = len(exports), exports.ascending(size, offset=(number - 1) * size).items
    fields = _fields(ctx)
    body = _document(ctx, [_resource(ctx, j, fields) for j in page], total_records=total)
    body["links"] = _links(ctx, number, size, max(1, -(-total // size)))
    # in the default order the page reads the same until an export is added or removed or one of its changes
    until = None if filters or sorts else min((next_change_at(j.schedule, ctx.now) or INF for j in page), default=INF)
    return Reply(200, body, etag=True, fresh_until=until)


def _links(ctx: Context, number: int, size: int, last: int) -> dict[str, str]:
    def link(n: int) -> str:
        # Rails' to_query: keys in order, brackets percent-encoded (B4).
        query = {k: value for k, value in ctx.request.query.items() if not k.startswith("page[")}
        query.update({"page[number]": str(n), "page[size]": str(size)})
        return ctx.url("/exports") + "?" + urlencode(sorted(query.items()))

    links = {"first": link(1), "last": link(last)}
    if number > 1:
        links["prev"] = link(min(number - 1, last))
    if number < last:
        links["next"] = link(number + 1)
    return links


def _filtered(jobs: list[Job], key: str, value: str, now: float, version_: str) -> list[Job]:
    """One list filter; comma-separated values match any of them (2026-10-22 document: ExportFilter)."""
    if key in ("created_at_gteq", "created_at_lteq"):
        try:
            bound = parse_rfc3339(value.replace(" ", "T"))
        except ValueError:
            raise VendorError(400, f"{value} is not a valid value for {key}.", code="107",
                              extra={"title": "Invalid filter value"}, where=f"query.filter[{key}]") from None
        return [j for j in jobs if (j.created >= bound if key.endswith("gteq") else j.created <= bound)]
    wanted = {w for w in value.split(",") if w}
    if key == "id":
        return [j for j in jobs if j.id in wanted]
    if key == "status":
        return [j for j in jobs if _status(j, now, version_) in wanted]
    return [j for j in jobs if j.attrs.get(key) in wanted]


def _sort_key(job: Job, field: str, now: float, version_: str) -> tuple[Any, ...]:
    return ((_status(job, now, version_),) if field == "status" else (job.created, job.seq)
            if field == "created_at" else (job.attrs.get("external_reference_id") or "",))


# --- one export -------------------------------------------------------------------------------------------------
@VENDOR.operation("GetExport")
async def get_export(ctx: Context) -> Reply:
    return Reply(200, _document(ctx, _resource(ctx, _job(ctx), _fields(ctx))))


@VENDOR.operation("CreateExport")
async def create_export(ctx: Context) -> Reply:
    attrs = ctx.body["data"]["attributes"]
    kind, doc = attrs["export_type"], envelope.VERSIONS[version(ctx.vendor, ctx.request)]
    if kind not in records.EXPORT_TYPES[doc]:
        raise envelope.invalid("export_type", "is not included in the list")
    if doc == "2026-11-19" and bool(attrs.get("callback_url")) != bool(attrs.get("callback_method")):
        # "callback_url and callback_method must be sent together" (2026-10-22 document)
        missing = "callback_method" if attrs.get("callback_url") else "callback_url"
        raise envelope.invalid(missing, "can't be blank")
    start, end, filters = rules.check_filters(ctx.now, doc, kind, attrs["filters"])
    job = ctx.vendor.jobs.create(ctx.state, "exports", {
        "layout": doc, "base": ctx.base, "export_type": kind, "start": start, "end": end, "filters": filters,
        "callback_url": attrs.get("callback_url") if rules.callback_url(attrs.get("callback_url")) else None,
        "callback_method": attrs["callback_method"].lower() if attrs.get("callback_method") else None,
        "external_reference_id": attrs.get("external_reference_id"),
    }, ctx=ctx)
    return Reply(201, _document(ctx, _resource(ctx, job)), etag=True)


@VENDOR.operation("UpdateExport")
async def update_export(ctx: Context) -> Reply:
    job = _job(ctx)
    data = ctx.body["data"]
    if data["id"] != job.id:
        raise envelope.error("key", id=data["id"])
    attrs = data.get("attributes") or {}
    if attrs.get("filters"):  # an empty one is what the PHP SDK always sends
        raise envelope.error("param", name="filters")
    if "external_reference_id" in attrs:
        ctx.state.update_job(job, external_reference_id=attrs["external_reference_id"])
    return Reply(200, _document(ctx, _resource(ctx, job)))


@VENDOR.operation("ReplaceExport")
async def replace_export(ctx: Context) -> Reply:
    return await update_export(ctx)  # B1: PUT is an alias of PATCH


@VENDOR.operation("DownloadExport")
async def download_export(ctx: Context) -> Reply:
    export_id = ctx.state.get("didww_files", ctx.params["file_id"])
    job = ctx.state.jobs.get(export_id) if export_id else None
    if job is None or status_at(job.schedule, ctx.now) != "completed":
        raise VendorError(404, "", kind="not_found", extra={"bodiless": True})
    return Reply(200, file=export_file(ctx.vendor, ctx.tenant, job))
