"""DIDWW API v3 exports (https://api.didww.com/v3), mounted at /didww/v3, in two API versions chosen by the
X-DIDWW-API-Version header: 2021-12-15 (the seed's) and 2026-04-16 (the official SDK's). Specs:
specs/didww-<version>.yaml; facts and sources: vendors/didww.md (section numbers below are its)."""

from __future__ import annotations

import calendar
import csv
import functools
import hashlib
import hmac
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urlparse

from aiohttp import web

from .. import lifecycle
from ..clock import Timer, parse_rfc3339
from ..errors import VendorError, Violation
from ..files import FileBody, batched_lines, gzip_chunks, measure, rng, uuid4_from
from ..lifecycle import Lifecycle
from ..specs import Operation
from ..store import Job, TenantState
from ..vendor import Context, Reply, Vendor

JSONAPI = "application/vnd.api+json"

# --- versions (B0) ---------------------------------------------------------------------------------------
# 2022-05-10 has the 2021-12-15 export shapes (B0): it is served by that document, and says so in meta.
VERSIONS = {"2021-12-15": "2021-12-15", "2022-05-10": "2021-12-15", "2026-04-16": "2026-04-16"}
NEW = "2026-04-16"
VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
VERSION_KEY = web.RequestKey("didww_version", str)

# --- auth -> tenant (B5) ------------------------------------------------------------------------------------
PRINTABLE = re.compile(r"^[\x21-\x7e]+$")

# --- envelope (B6) ------------------------------------------------------------------------------------------
# Titles, details and codes of the JSON:API errors follow the bodies in B6; those B6 does not show are
# jsonapi-resources' (the library behind DIDWW's v3 API: 101 invalid resource, 102 filter not allowed,
# 104 invalid field, 105 param not allowed, 106 missing parameter, 110 key not in URL, 114 invalid sort,
# 118 invalid page value) and are INFERRED.
T_UNAUTHORIZED, D_UNAUTHORIZED = "Unauthorized", "Authorization failed"
T_NOT_FOUND, D_NOT_FOUND = "Record not found", "The record identified by {id} could not be found."
T_BAD_VERSION = "Invalid API version"
D_BAD_VERSION = "{value} is not a valid API version; supported: 2021-12-15, 2022-05-10, 2026-04-16."
T_FILTER, D_FILTER = "Filter not allowed", "{name} is not allowed."
T_SORT, D_SORT = "Invalid sort criteria", "{name} is not a valid sort criteria for exports"
T_FIELD, D_FIELD = "Invalid field", "{name} is not a valid field for exports."
T_PAGE, D_PAGE = "Invalid page value", "{value} is not a valid value for {name} page parameter."
T_PARAM, D_PARAM = "Param not allowed", "{name} is not allowed."
T_MISSING, D_MISSING = "Missing Parameter", "The required parameter, {name}, is missing."
T_RESOURCE, D_RESOURCE = "Invalid resource", "{name} is not a valid resource."
T_KEY, D_KEY = "Key is not included in URL", "The URL does not support the key {id}"
T_MEDIA = "Unsupported media type"
D_MEDIA = "All requests that create or update must use the 'application/vnd.api+json' Content-Type. " \
          "This request specified '{media}'."
T_BAD_REQUEST = "Bad Request"
WINDOW = "must be within the current and 2 previous months"

# --- lifecycle (B2) -----------------------------------------------------------------------------------------
PENDING_SECONDS = 30.0
PROCESSING_SECONDS = 90.0
RETENTION_SECONDS = 30 * 86400.0  # "removed one month after completion"
# Ten attempts in all: a failed one is retried after 1 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day and 2 days
# (didww-api3-postman@71547df, every version's "Callbacks Details").
CALLBACK_BACKOFF = (60.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0, 172800.0)
JOB = Lifecycle(steps=(("pending", PENDING_SECONDS), ("processing", PROCESSING_SECONDS), ("completed", None)),
                terminal=frozenset({"completed"}))
FIELDS = {
    "2021-12-15": ("status", "created_at", "url", "callback_url", "callback_method", "export_type"),
    "2026-04-16": ("export_type", "status", "url", "filters", "callback_url", "callback_method",
                   "external_reference_id", "created_at"),
}
SORTS = {"2021-12-15": ("status", "created_at"), "2026-04-16": ("status", "created_at", "external_reference_id")}
FILTER_KEYS = {
    ("2021-12-15", "cdr_in"): ("year", "month", "did_number"),
    ("2021-12-15", "cdr_out"): ("year", "month", "day", "voice_out_trunk.id"),
    ("2026-04-16", "cdr_in"): ("from", "to", "did_number"),
    ("2026-04-16", "cdr_out"): ("from", "to", "voice_out_trunk.id"),
}


class Didww(Vendor):
    name: ClassVar[str] = "didww"
    mount: ClassVar[str] = "/didww/v3"
    hosts: ClassVar[tuple[str, ...]] = ("api.didww.com", "sandbox-api.didww.com")
    specs: ClassVar[dict[str, str]] = {"2021-12-15": "didww-2021-12-15.yaml", "2026-04-16": "didww-2026-04-16.yaml"}
    json_type: ClassVar[str] = JSONAPI

    def setup(self) -> None:
        self.timers: dict[int, Timer] = {}

    # --- versions ---------------------------------------------------------------------------------------
    def version(self, request: web.Request) -> str:
        """The API version that answers: the header's, unless it is older than the key's default (B0)."""
        cached: str | None = request.get(VERSION_KEY)
        if cached is not None:
            return cached
        default = self._default_version(request.headers.get("Api-Key"))
        asked = request.headers.get("X-DIDWW-API-Version", "").strip()
        if not asked:
            chosen = default
        elif not VERSION_RE.match(asked) or asked not in VERSIONS:
            raise VendorError(400, D_BAD_VERSION.format(value=asked), code="400", kind="validation",
                              extra={"title": T_BAD_VERSION})
        else:
            chosen = default if asked < default else asked
        request[VERSION_KEY] = chosen
        return chosen

    def spec_key(self, request: web.Request) -> str:
        return VERSIONS[self.version(request)]

    def _default_version(self, key: str | None) -> str:
        if key:
            state = self.runtime.store.find(self.name, key)
            if state is not None and state.get("settings", "default_api_version"):
                return str(state.get("settings", "default_api_version"))
            entry = self._credential(key)
            if entry and entry.get("default_api_version"):
                return str(entry["default_api_version"])
        return self.runtime.settings.didww_default_version

    # --- auth -> tenant ---------------------------------------------------------------------------------
    def _credential(self, key: str) -> dict[str, Any] | None:
        listed = self.runtime.credentials.entries(self.name)
        if listed is None:
            return None
        return next((e for e in listed if e.get("api_key") == key), None)

    def authenticate(self, request: web.Request, op: Operation) -> str:
        key = request.headers.get("Api-Key", "")
        if not key or not PRINTABLE.match(key):
            raise VendorError(401, D_UNAUTHORIZED, code="401", kind="auth", extra={"title": T_UNAUTHORIZED})
        if self.runtime.credentials.entries(self.name) is not None and self._credential(key) is None:
            raise VendorError(401, D_UNAUTHORIZED, code="401", kind="auth", extra={"title": T_UNAUTHORIZED})
        return key

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        """``default_api_version`` (the version a request without the header gets) and
        ``callback_secret`` (the key of X-DIDWW-Signature; default: the API key itself, as older SDKs)."""
        unknown = sorted(set(settings) - {"default_api_version", "callback_secret"})
        if unknown:
            raise VendorError(400, f"unknown DIDWW tenant settings {unknown}", kind="validation")
        version = settings.get("default_api_version")
        if version is not None and version not in VERSIONS:
            raise VendorError(400, D_BAD_VERSION.format(value=version), kind="validation")
        secret = settings.get("callback_secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise VendorError(400, "callback_secret must be a non-empty string", kind="validation")
        for key in ("default_api_version", "callback_secret"):
            if settings.get(key) is not None:
                state.put("settings", key, settings[key])
        return dict(state.items("settings"))

    def _callback_secret(self, state: TenantState) -> str:
        entry = self._credential(state.tenant) or {}
        return str(state.get("settings", "callback_secret") or entry.get("callback_secret") or state.tenant)

    # --- envelope ---------------------------------------------------------------------------------------
    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        if err.extra.get("bodiless"):
            return Reply(err.status, None, headers=err.headers or None)  # B1 #5: 404 "without body"
        title = err.extra.get("title") or {401: T_UNAUTHORIZED, 404: T_NOT_FOUND, 405: "Method Not Allowed",
                                           413: "Payload Too Large", 429: "Too Many Requests"}.get(
            err.status, T_BAD_REQUEST if err.status == 400 else "Internal Server Error" if err.status >= 500
            else "Error")
        item: dict[str, Any] = {"title": title, "detail": err.message,
                                "code": str(err.code if err.code is not None else err.status),
                                "status": str(err.status)}
        if "pointer" in err.extra:
            item["source"] = {"pointer": err.extra["pointer"]}
        return Reply(err.status, {"errors": [item]}, headers=err.headers or None, content_type=JSONAPI)

    def route_not_found(self, request: web.Request) -> VendorError:
        return VendorError(404, f"The route {request.method} {request.path} could not be found.", code="404",
                           kind="not_found", extra={"title": "Route not found"})

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        if v.location == "path":
            if op.operation_id == "DownloadExport":
                raise VendorError(404, "", kind="not_found", extra={"bodiless": True})
            return _not_found(request.match_info.get("id", ""))
        if v.location == "query":
            if v.name.startswith("filter"):
                key = v.name.split(".", 1)[1] if "." in v.name else v.name
                return VendorError(400, D_FILTER.format(name=key), code="102", extra={"title": T_FILTER})
            if v.name in ("page[number]", "page[size]"):
                raw = request.query.get(v.name, "")
                return VendorError(400, D_PAGE.format(value=raw, name=v.name[5:-1]), code="118",
                                   extra={"title": T_PAGE})
            return VendorError(400, f"{v.name} - {v.message}", code="400", extra={"title": T_BAD_REQUEST})
        if v.location == "header":
            return VendorError(400, f"{v.name} - {v.message}", code="400", extra={"title": T_BAD_REQUEST})
        # body
        if v.rule == "content-type":
            media = request.headers.get("Content-Type", "")
            return VendorError(415, D_MEDIA.format(media=media), code="415", extra={"title": T_MEDIA})
        if v.rule in ("json", "encoding"):
            return VendorError(400, v.message, code="400", extra={"title": T_BAD_REQUEST})
        parts = v.name.split(".")
        if v.rule == "additionalProperties":
            return VendorError(400, D_PARAM.format(name=parts[-1]), code="105", extra={"title": T_PARAM})
        if parts[:2] == ["data", "attributes"] and len(parts) > 2:
            field = parts[2]
            title = {"required": "can't be blank", "enum": "is not included in the list",
                     "maxLength": "is too long (maximum is 100 characters)"}.get(v.rule, "is invalid")
            return _invalid(field, title, f"/data/attributes/{field}")
        if parts == ["data", "type"] and v.rule != "required":
            return VendorError(400, D_RESOURCE.format(name=v.value), code="101", extra={"title": T_RESOURCE})
        if v.rule == "required":
            return VendorError(400, D_MISSING.format(name=parts[-1] if parts != [""] else "data"), code="106",
                               extra={"title": T_MISSING})
        return VendorError(400, f"{v.name or 'request body'} - {v.message}", code="400",
                           extra={"title": T_BAD_REQUEST})

    # --- representation ---------------------------------------------------------------------------------
    def _status(self, job: Job, now: float, version: str) -> str:
        status = lifecycle.status_at(job.schedule, now)
        return status.capitalize() if VERSIONS[version] == "2021-12-15" else status

    def _resource(self, ctx: Context, job: Job, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
        version = self.version(ctx.request)
        doc = VERSIONS[version]
        a = job.attrs
        status = self._status(job, ctx.now, version)
        method = a.get("callback_method")
        full: dict[str, Any] = {
            "export_type": a["export_type"],
            "status": status,
            "url": ctx.url(f"/exports/{a['file_id']}.csv.gz") if status.lower() == "completed" else None,
            "filters": _filters_view(a),
            "callback_url": a.get("callback_url"),
            "callback_method": (method.upper() if doc == "2021-12-15" else method.lower()) if method else None,
            "external_reference_id": a.get("external_reference_id"),
            "created_at": _ms(job.created),
        }
        names = fields if fields is not None else FIELDS[doc]
        return {"id": job.id, "type": "exports", "attributes": {k: full[k] for k in FIELDS[doc] if k in names}}

    # --- lifecycle --------------------------------------------------------------------------------------
    def create_job(self, state: TenantState, created: float, attrs: dict[str, Any], export_id: str | None = None,
                   hold: str | None = None) -> Job:
        """The one way an export comes to be (API and fixtures). ``hold`` freezes it in a status."""
        number = int(state.get("didww", "created") or 0) + 1
        state.put("didww", "created", number)
        seed = self.runtime.settings.seed
        export_id = export_id or uuid4_from(seed, "didww-export", state.tenant, number)
        attrs.setdefault("file_id", uuid4_from(seed, "didww-file", state.tenant, export_id))
        schedule = ((created, hold),) if hold else JOB.schedule(created)
        job = state.add_job(Job(export_id, self.runtime.store.next_seq(), "exports", created, schedule, attrs))
        state.put("didww_files", attrs["file_id"], export_id)
        self._arm(state, job)
        return job

    def _arm(self, state: TenantState, job: Job) -> None:
        """Wait for the export's completion (callback) and then for its removal a month later."""
        old = self.timers.pop(id(job), None)
        if old is not None:
            old.cancel()
        done = lifecycle.time_of(job.schedule, "completed")
        if done is None or job.attrs.get("held"):
            return  # a fixture export held in its status never changes nor expires
        now = self.runtime.clock.now()
        if done + RETENTION_SECONDS <= now:
            self._remove(state, job)
            return
        if not job.attrs.get("notified") and done > now - 1:
            self.timers[id(job)] = self.runtime.scheduler.at(done, self._complete, state, job, label="didww export")
        else:
            self.timers[id(job)] = self.runtime.scheduler.at(done + RETENTION_SECONDS, self._remove, state, job,
                                                             label="didww retention")

    def _complete(self, state: TenantState, job: Job) -> None:
        if not state.alive or state.jobs.get(job.id) is not job:
            return
        state.update_job(job, notified=True)
        url = job.attrs.get("callback_url")
        if url:
            # B8: id, type and status, as a query (GET) or a form (POST), signed with X-DIDWW-Signature (by
            # webhook_headers, over the URL as sent); from 2026-04-16 also the file's url (Postman 2026-04-16
            # changelog: "export callback includes url attribute with the download link").
            payload = {"id": job.id, "type": "exports", "status": "completed"}
            if job.attrs.get("layout", "2021-12-15") >= NEW and job.attrs.get("base"):
                payload["url"] = f"{job.attrs['base']}/exports/{job.attrs['file_id']}.csv.gz"
            self.runtime.webhooks.schedule(self.name, state.tenant, job.attrs.get("callback_method") or "post", url,
                                           payload, backoff=CALLBACK_BACKOFF)
        self._arm(state, job)

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str]:
        state = self.runtime.store.tenant(self.name, tenant)
        return {"X-DIDWW-Signature": sign(self._callback_secret(state), url, payload)}

    def _remove(self, state: TenantState, job: Job) -> None:
        if state.alive and state.jobs.get(job.id) is job:
            state.drop("didww_files", job.attrs["file_id"])
            state.remove_job(job)
        self.timers.pop(id(job), None)

    def force(self, state: TenantState, job: Job, status: str) -> None:
        """Move an export straight to ``processing`` or ``completed`` (no failure state is documented)."""
        now = self.runtime.clock.now()
        if status.lower() not in ("processing", "completed"):
            raise VendorError(400, "status must be processing or completed", kind="validation")
        current = lifecycle.status_at(job.schedule, now)
        if current == "completed":
            raise VendorError(400, "the export is already completed", kind="validation")
        tail = [(0.0, "completed")] if status.lower() == "completed" else [(0.0, "processing"),
                                                                           (PROCESSING_SECONDS, "completed")]
        state.update_job(job, schedule=lifecycle.rewrite(job.schedule, now, tail), held=False)
        self._arm(state, job)

    def describe_job(self, state: TenantState, job: Job) -> dict[str, Any]:
        return {**super().describe_job(state, job), "file_id": job.attrs["file_id"]}

    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """fixtures/didww.yaml: per API key, ``settings`` (default_api_version, callback_secret) and
        ``exports`` (id, export_type, created_at, filters, callback_url, callback_method,
        external_reference_id, file_id, and ``status`` to hold it in a status; without one it runs)."""
        state = self.runtime.store.tenant(self.name, tenant)
        if spec.get("settings"):
            self.configure_tenant(state, dict(spec["settings"]))
        now = self.runtime.clock.now()
        for item in spec.get("exports") or []:
            created = parse_rfc3339(str(item["created_at"])) if item.get("created_at") else now
            kind = str(item.get("export_type", "cdr_in"))
            start, end = _period_of(item.get("filters") or {}, created)
            attrs = {"export_type": kind, "start": start, "end": end,
                     "did_number": (item.get("filters") or {}).get("did_number"),
                     "trunk": (item.get("filters") or {}).get("voice_out_trunk.id"),
                     "callback_url": item.get("callback_url"),
                     "callback_method": str(item["callback_method"]).lower() if item.get("callback_method") else None,
                     "external_reference_id": item.get("external_reference_id"),
                     "held": bool(item.get("status"))}
            if item.get("file_id"):
                attrs["file_id"] = str(item["file_id"])
            hold = str(item["status"]).lower() if item.get("status") else None
            self.create_job(state, created, attrs, str(item["id"]) if item.get("id") else None, hold)

    # --- handlers (by operationId) ----------------------------------------------------------------------
    def _document(self, ctx: Context, data: Any, **meta: Any) -> dict[str, Any]:
        return {"data": data, "meta": {**meta, "api_version": self.version(ctx.request)}}

    async def list_exports(self, ctx: Context) -> Reply:
        version = self.version(ctx.request)
        doc = VERSIONS[version]
        p = ctx.params
        jobs = list(ctx.state.collection("exports").jobs)
        for key, values in (p.get("filter") or {}).items():
            wanted = {v for v in str(values).split(",") if v}
            attr = "id" if key == "id" else "external_reference_id"
            jobs = [j for j in jobs if (j.id if attr == "id" else j.attrs.get(attr)) in wanted]
        for term in reversed([t for t in str(p.get("sort") or "").split(",") if t]):
            field = term.lstrip("-")
            if field not in SORTS[doc]:
                raise VendorError(400, D_SORT.format(name=field), code="114", extra={"title": T_SORT})
            jobs.sort(key=functools.partial(self._sort_key, field=field, now=ctx.now, version=version),
                      reverse=term.startswith("-"))
        fields = None
        if "fields[exports]" in p:
            fields = tuple(f for f in str(p["fields[exports]"]).split(",") if f)
            bad = [f for f in fields if f not in FIELDS[doc]]
            if bad:
                raise VendorError(400, D_FIELD.format(name=bad[0]), code="104", extra={"title": T_FIELD})
        number, size = int(p.get("page[number]", 1)), int(p.get("page[size]", 50))
        total = len(jobs)
        last = max(1, -(-total // size))
        page = jobs[(number - 1) * size : number * size]

        def link(n: int) -> str:
            # Rails' to_query: keys in order, brackets percent-encoded (B4).
            query = {k: v for k, v in ctx.request.query.items() if not k.startswith("page[")}
            query.update({"page[number]": str(n), "page[size]": str(size)})
            return ctx.url("/exports") + "?" + urlencode(sorted(query.items()))

        links = {"first": link(1), "last": link(last)}
        if number > 1:
            links["prev"] = link(min(number - 1, last))
        if number < last:
            links["next"] = link(number + 1)
        body = self._document(ctx, [self._resource(ctx, j, fields) for j in page], total_records=total)
        body["links"] = links
        return Reply(200, body)

    def _sort_key(self, job: Job, field: str, now: float, version: str) -> tuple[Any, ...]:
        if field == "status":
            return (self._status(job, now, version),)
        if field == "created_at":
            return (job.created, job.seq)
        return (job.attrs.get("external_reference_id") or "",)

    async def get_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        return Reply(200, self._document(ctx, self._resource(ctx, job)))

    async def create_export(self, ctx: Context) -> Reply:
        version = self.version(ctx.request)
        attrs = ctx.body["data"]["attributes"]
        kind = attrs["export_type"]
        start, end, did, trunk = self._check_filters(ctx, VERSIONS[version], kind, attrs["filters"])
        job = self.create_job(ctx.state, ctx.now, {
            "layout": VERSIONS[version], "base": ctx.base,
            "export_type": kind, "start": start, "end": end, "did_number": did, "trunk": trunk,
            "callback_url": attrs.get("callback_url"),
            "callback_method": attrs["callback_method"].lower() if attrs.get("callback_method") else None,
            "external_reference_id": attrs.get("external_reference_id"),
        })
        return Reply(201, self._document(ctx, self._resource(ctx, job)))

    async def update_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        data = ctx.body["data"]
        if data["id"] != job.id:
            raise VendorError(400, D_KEY.format(id=data["id"]), code="110", extra={"title": T_KEY})
        attrs = data.get("attributes") or {}
        if "external_reference_id" in attrs:
            ctx.state.update_job(job, external_reference_id=attrs["external_reference_id"])
        return Reply(200, self._document(ctx, self._resource(ctx, job)))

    async def replace_export(self, ctx: Context) -> Reply:
        return await self.update_export(ctx)  # B1: PUT is an alias of PATCH

    async def download_export(self, ctx: Context) -> Reply:
        export_id = ctx.state.get("didww_files", ctx.params["file_id"])
        job = ctx.state.jobs.get(export_id) if export_id else None
        if job is None or lifecycle.status_at(job.schedule, ctx.now) != "completed":
            raise VendorError(404, "", kind="not_found", extra={"bodiless": True})
        return Reply(200, file=self._file(ctx.tenant, job))

    def _job(self, ctx: Context) -> Job:
        job = ctx.state.jobs.get(ctx.params["id"])
        if job is None:
            raise _not_found(ctx.params["id"])
        return job

    def _check_filters(self, ctx: Context, doc: str, kind: str, filters: dict[str, Any]
                       ) -> tuple[float, float, str | None, str | None]:
        """B3: the version's filter keys for the export type, the months window, nothing in the future."""
        allowed = FILTER_KEYS[(doc, kind)]
        for key, value in filters.items():
            if key not in allowed:
                raise _invalid("filters", f"{key} is not allowed")
            if value is None or str(value).strip() == "":
                raise _invalid("filters", f"{key} can't be blank")
        now = ctx.now
        today = datetime.fromtimestamp(now, UTC)
        floor_month = (today.year * 12 + today.month - 1) - 2
        window_start = datetime(floor_month // 12, floor_month % 12 + 1, 1, tzinfo=UTC).timestamp()
        if doc == "2026-04-16":
            bounds = []
            for key in ("from", "to"):
                if key not in filters:
                    raise _invalid("filters", f"{key} can't be blank")
                try:
                    bounds.append(datetime.strptime(str(filters[key]), "%Y-%m-%d %H:%M:%S")
                                  .replace(tzinfo=UTC).timestamp())
                except ValueError:
                    raise _invalid("filters", f"{key} not valid") from None
            start, end = bounds
            for key, value in (("from", start), ("to", end)):
                if value > now:
                    raise _invalid("filters", f"{key} can't be in the future")
                if value < window_start:
                    raise _invalid("filters", f"{key} {WINDOW}")
            if start >= end:
                raise _invalid("filters", "from must be before to")
        else:
            for key in ("year", "month"):
                if key not in filters:
                    raise _invalid("filters", f"{key} can't be blank")
            try:
                year, month = int(str(filters["year"])), int(str(filters["month"]))
                day = int(str(filters["day"])) if "day" in filters else None
                first = datetime(year, month, day or 1, tzinfo=UTC)
            except ValueError:
                raise _invalid("filters", "year, month and day must form a valid date") from None
            if first.timestamp() > now:
                raise _invalid("filters", "month can't be in the future")
            if first.timestamp() < window_start:
                raise _invalid("filters", f"month {WINDOW}")
            start = first.timestamp()
            end = (first + timedelta(days=1)).timestamp() if day else \
                datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp()
            end = min(end, now)
        trunk = filters.get("voice_out_trunk.id")
        return start, end, (str(filters["did_number"]) if "did_number" in filters else None), (
            str(trunk) if trunk else None)

    # --- file format (B7) -------------------------------------------------------------------------------
    def _file(self, tenant: str, job: Job) -> FileBody:

        def chunks() -> Any:
            return gzip_chunks(batched_lines(self._rows(tenant, job)))

        size = job.attrs.get("file_size")  # derived from the job's own data: it dies with the job
        if size is None:
            size = job.attrs["file_size"] = measure(chunks())
        return FileBody("application/octet-stream", size, chunks, filename=f"{job.attrs['file_id']}.csv.gz")

    def _rows(self, tenant: str, job: Job) -> Any:
        a = job.attrs
        seed = self.runtime.settings.seed
        r = rng(seed, "didww-rows", tenant, job.id)
        pools = self.runtime.pools
        days = max(1, round((a["end"] - a["start"]) / 86400))
        n = 0 if r.random() < 0.05 else r.randint(3, 40) * days
        stamps = sorted(a["start"] + r.random() * max(1.0, a["end"] - a["start"] - 3600) for _ in range(n))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        inbound = a["export_type"] == "cdr_in"
        writer.writerow(CDR_IN_COLUMNS if inbound else CDR_OUT_COLUMNS)
        yield buf.getvalue().encode()
        dids = [a["did_number"]] if a.get("did_number") else [p.lstrip("+") for p in pools.e164[:12]]
        trunks = [a["trunk"]] if a.get("trunk") else [uuid4_from(seed, "trunk", tenant, i) for i in range(3)]
        customer = str(rng(seed, "didww-customer", tenant).randint(10000, 99999))
        for ts in stamps:
            buf.seek(0)
            buf.truncate()
            answered = r.random() < 0.8
            duration = r.randint(3, 1800) if answered else 0
            code, response, initiator = (200, "OK", r.choice(("Source", "Destination"))) if answered else r.choice(
                ((486, "Busy Here", "Destination"), (408, "SIP transaction timeout", "Destination"),
                 (487, "Request Terminated", "Source"), (480, "Temporarily Unavailable", "Destination")))
            start = _cdr_time(ts)
            connect = _cdr_time(ts + r.randint(1, 15)) if answered else ""
            end = _cdr_time(ts + 15 + duration) if answered else ""
            if inbound:
                did = r.choice(dids)
                writer.writerow([start, connect, end, r.choice(pools.e164).lstrip("+"), did,
                                 f"sip:{did}@didww.com", duration, initiator, code, response,
                                 f"{duration * 0.0004:.3f}" if did.startswith("1800") else "0.000",
                                 f"{duration * 0.0002:.3f}", "0.000", customer,
                                 f"{duration * 0.001:.3f}"])
            else:
                rate = r.choice(("0.0050", "0.0090", "0.0120", "0.0300"))
                writer.writerow([start, connect, end, r.choice(pools.e164).lstrip("+"),
                                 r.choice(pools.e164).lstrip("+"), duration, initiator, code, response,
                                 r.choice(trunks), rate, f"{duration / 60 * float(rate):.4f}", customer])
            yield buf.getvalue().encode()


# 15 columns of the cdr_in file, from the sandbox fixture (B7).
CDR_IN_COLUMNS = ("Date/Time Start (UTC)", "Date/Time Connect (UTC)", "Date/Time End (UTC)", "Source", "DID",
                  "Destination", "Duration (secs)", "Disconnect Initiator", "Disconnect Code", "Response",
                  "TollFree Amount (USD)", "Termination Amount (USD)", "Metered Channels Amount (USD)",
                  "Customer ID", "Sell Amount (Points)")
# No public cdr_out header row exists (B7): a plausible set, listed under "Known divergences".
CDR_OUT_COLUMNS = ("Date/Time Start (UTC)", "Date/Time Connect (UTC)", "Date/Time End (UTC)", "Source",
                   "Destination", "Duration (secs)", "Disconnect Initiator", "Disconnect Code", "Response",
                   "Voice Out Trunk ID", "Rate (USD/min)", "Amount (USD)", "Customer ID")


def sign(secret: str, url: str, payload: dict[str, str]) -> str:
    """X-DIDWW-Signature (B8): hex HMAC-SHA1 over the normalised URL and the sorted key/value pairs."""
    parsed = urlparse(url)
    host = f"[{parsed.hostname}]" if parsed.hostname and ":" in parsed.hostname else (parsed.hostname or "")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    userinfo = ""
    if parsed.username:
        userinfo = parsed.username + (f":{parsed.password}" if parsed.password else "") + "@"
    normalized = f"{parsed.scheme}://{userinfo}{host}:{port}{parsed.path}"
    normalized += (f"?{parsed.query}" if parsed.query else "") + (f"#{parsed.fragment}" if parsed.fragment else "")
    message = normalized + "".join(k + payload[k] for k in sorted(payload))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest()


def _not_found(export_id: str) -> VendorError:
    return VendorError(404, D_NOT_FOUND.format(id=export_id), code="404", kind="not_found",
                       extra={"title": T_NOT_FOUND})


def _invalid(field: str, title: str, pointer: str | None = None) -> VendorError:
    # B6: {"title": "from not valid", "detail": "filters - from not valid", "code": "100", source.pointer}
    return VendorError(422, f"{field} - {title}", code="100", kind="validation",
                       extra={"title": title, "pointer": pointer or f"/data/attributes/{field}"})


def _ms(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{dt.microsecond // 1000:03d}Z"


def _cdr_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _filters_view(a: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"from": _cdr_time(a["start"]), "to": _cdr_time(a["end"])}
    if a.get("did_number"):
        view["did_number"] = a["did_number"]
    if a.get("trunk"):
        view["voice_out_trunk.id"] = a["trunk"]
    return view


def _period_of(filters: dict[str, Any], created: float) -> tuple[float, float]:
    """A fixture's period: from/to, or year/month(/day), or the month before it was created."""
    if "from" in filters and "to" in filters:
        f = datetime.strptime(str(filters["from"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        t = datetime.strptime(str(filters["to"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        return f.timestamp(), t.timestamp()
    when = datetime.fromtimestamp(created, UTC)
    year, month = int(filters.get("year", when.year)), int(filters.get("month", when.month))
    start = datetime(year, month, int(filters.get("day", 1)), tzinfo=UTC)
    days = 1 if "day" in filters else calendar.monthrange(year, month)[1]
    return start.timestamp(), min((start + timedelta(days=days)).timestamp(), created)


VENDOR = Didww
