"""DIDWW API v3 exports (https://api.didww.com/v3), mounted at /didww/v3, in the API versions the X-DIDWW-API-Version
header picks. Specs: specs/didww-<version>.yaml; facts and sources: vendors/didww.md (its section numbers)."""

from __future__ import annotations

import functools
from typing import Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web

from ... import lifecycle
from ...auth import bearer_token
from ...errors import VendorError, Violation
from ...files import uuid4_from
from ...jobs import Ids
from ...lifecycle import INF, Effect, Lifecycle, next_change_at
from ...options import Option
from ...recipe import Recipe
from ...records import didww as records
from ...specs import Operation
from ...store import Job, TenantState
from ...times import parse_rfc3339, stamp
from ...vendor import Context, Reply
from . import envelope, fixtures, rules
from .envelope import sign
from .files import ExportFiles
from .recipe import RECIPE
from .throttle import RateLimit

__all__ = ["VENDOR", "Didww", "sign"]

# --- lifecycle (B2) -----------------------------------------------------------------------------------------
PENDING_SECONDS = 30.0
PROCESSING_SECONDS = 90.0
RETENTION_SECONDS = 30 * 86400.0  # "removed one month after completion"
# Ten attempts in all: a failed one is retried after 1 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day and 2 days
# (didww-api3-postman@71547df, every version's "Callbacks Details").
CALLBACK_BACKOFF = (60.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0, 172800.0)


class Didww(ExportFiles):  # its file: files.py
    fixture_ids = ("id", "file_id")
    name: ClassVar[str] = "didww"
    mount: ClassVar[str] = "/didww/v3"
    hosts: ClassVar[tuple[str, ...]] = ("api.didww.com", "sandbox-api.didww.com")  # didww/configuration.py
    host_path: ClassVar[str] = "/v3"
    specs: ClassVar[dict[str, str]] = {"2021-12-15": "didww-2021-12-15.yaml", "2026-04-16": "didww-2026-04-16.yaml",
                                       "2026-11-19": "didww-2026-11-19.yaml"}
    json_type: ClassVar[str] = envelope.JSONAPI
    # B2: pending -> processing -> completed, no failure state; the callback when completed (B8); removed "in 1 month
    # after completion" (B1).
    lifecycle: ClassVar[Lifecycle] = Lifecycle(
        steps=(("pending", PENDING_SECONDS), ("processing", PROCESSING_SECONDS), ("completed", None)),
        terminal=frozenset({"completed"}),
        forceable={"processing": frozenset({"pending"}), "completed": frozenset({"pending", "processing"})},
        on_enter={"completed": (Effect("completed", notify=True),)},
        retention={"completed": RETENTION_SECONDS},
    )
    ids: ClassVar[Ids] = Ids("didww-export")  # UUIDs (B2)
    recipe: ClassVar[Recipe] = RECIPE
    options: ClassVar[tuple[Option, ...]] = (
        Option("default_version", str, "2021-12-15", "the API version of a key that sends no X-DIDWW-API-Version "
               "(per key: the credentials file or the control API's tenant settings)",
               choices=tuple(envelope.VERSIONS)),
        Option("rate_limits", bool, False, "enforce DIDWW's rate limit per API key, counted on the fake clock (off "
               "by default)"),
        Option("per_second", int, 10, "requests a second per API key (the Postman collections' and user panel's "
               "number; one DIDWW page says 20)", minimum=1),
    )

    def setup(self) -> None:
        self.configured(set())  # the rate limit's window

    def configured(self, changed: set[str]) -> None:
        self.limit = RateLimit(self.runtime.clock, self.config["per_second"])

    def reset(self, tenant: str | None) -> None:
        super().reset(tenant)
        self.limit.clear(tenant)


    # --- versions ---------------------------------------------------------------------------------------
    def version(self, request: web.Request) -> str:
        """The API version that answers: the header's, unless it is older than the key's default (B0)."""
        cached: str | None = request.get(envelope.VERSION_KEY)
        if cached is not None:
            return cached
        default = self._default_version(request.headers.get("Api-Key"))
        asked = request.headers.get("X-DIDWW-API-Version", "").strip()
        chosen = asked if asked in envelope.VERSIONS and asked > default else default
        request[envelope.VERSION_KEY] = chosen
        return chosen

    def spec_key(self, request: web.Request) -> str:
        return envelope.VERSIONS[self.version(request)]

    def _default_version(self, key: str | None) -> str:
        if key:
            state = self.runtime.store.find(self.name, key)
            if state is not None and state.get("settings", "default_api_version"):
                return str(state.get("settings", "default_api_version"))
            entry = self._credential(key)
            if entry and entry.get("default_api_version"):
                return str(entry["default_api_version"])
        return str(self.config["default_version"])

    # --- auth -> tenant ---------------------------------------------------------------------------------
    def _credential(self, key: str) -> dict[str, Any] | None:
        return self.runtime.credentials.find(self.name, api_key=key)

    def authenticate(self, request: web.Request, op: Operation) -> str:
        # The 2026-11-19 docs' examples send "Authorization: Bearer [access token]": a bearer token names the
        # tenant as an Api-Key does (the fake mints no tokens).
        key = request.headers.get("Api-Key", "") or (bearer_token(request.headers.get("Authorization")) or "")
        if not key or not envelope.PRINTABLE.match(key):
            raise envelope.error("unauthorized")
        if self.runtime.credentials.restricts(self.name) and self._credential(key) is None:
            raise envelope.error("unauthorized")
        if self.config["rate_limits"]:
            self.limit.count(key)
        return key

    def negotiate(self, request: web.Request, op: Operation) -> None:
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

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        """``default_api_version`` (the version a request without the header gets) and
        ``callback_secret`` (the key of X-DIDWW-Signature; default: the API key itself, as older SDKs)."""
        unknown = sorted(set(settings) - {"default_api_version", "callback_secret"})
        if unknown:
            raise VendorError(400, f"unknown DIDWW tenant settings {unknown}", kind="validation")
        version = settings.get("default_api_version")
        if version is not None and version not in envelope.VERSIONS:
            raise VendorError(400, envelope.D_BAD_VERSION.format(value=version), kind="validation")
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
    def response_headers(self, request: web.Request, reply: Reply) -> dict[str, str] | None:
        """What DIDWW's nginx and Rails add (didww-api3-postman@71547df 2021-12-15 recordings; didww-api-3-php-sdk
        @eaad6c1 tests/fixtures/exports.yml): the stack's own (envelope.stack_headers), a request id, the runtime, Vary:
        Accept, and a Cache-Control that is max-age=0 with a weak ETag on lists and creates, no-cache elsewhere."""
        number = self.extra["requests"] = self.extra.get("requests", 0) + 1
        headers = {**envelope.stack_headers(request),
                   "X-Request-Id": uuid4_from(self.runtime.settings.seed, "didww-request", number),
                   "X-Runtime": f"{0.02 + (number % 89) / 1000:.6f}"}
        if reply.file is not None or envelope.FILE_PATH.search(request.raw_path.split("?", 1)[0]):
            # the file, served by Rails in 2022: no-cache, no Vary (didww-api3-postman@71547df "Get CSV File of
            # Export"; didww-api-3-php-sdk@62f9176, a refused key's 401)
            return {**headers, "Cache-Control": "no-cache"}
        headers["Vary"] = "Accept"
        if reply.etag:
            headers["Cache-Control"] = "max-age=0, private, must-revalidate"
        else:
            headers["Cache-Control"] = "no-cache"
        return headers

    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        if err.extra.get("bodiless"):
            return Reply(err.status, None, headers=err.headers or None)  # B1 #5: 404 "without body"
        if err.status == 401 and envelope.FILE_PATH.search(request.raw_path.split("?", 1)[0]):
            # A refused key on the download: 401, no body, text/html (didww-api-3-php-sdk@62f9176
            # tests/fixtures/exports.yml, recorded 2022-02-02).
            return Reply(401, b"", content_type="text/html; charset=utf-8")
        return Reply(err.status, envelope.document(err), headers=err.headers or None, content_type=envelope.JSONAPI)

    def route_not_found(self, request: web.Request) -> VendorError:
        return VendorError(404, f"The route {request.method} {request.path} could not be found.", code="404",
                           kind="not_found", extra={"title": "Route not found"})

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        if v.location == "path":
            if op.operation_id == "DownloadExport":
                raise VendorError(404, "", kind="not_found", extra={"bodiless": True})
            return envelope.not_found(request.match_info.get("id", ""))
        return envelope.from_violation(v, request)

    # --- representation ---------------------------------------------------------------------------------
    def _status(self, job: Job, now: float, version: str) -> str:
        status = lifecycle.status_at(job.schedule, now)
        return status.capitalize() if envelope.VERSIONS[version] == "2021-12-15" else status

    def _resource(self, ctx: Context, job: Job, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
        version = self.version(ctx.request)
        doc = envelope.VERSIONS[version]
        a = job.attrs
        status = self._status(job, ctx.now, version)
        method = a.get("callback_method")
        full: dict[str, Any] = {
            "export_type": a["export_type"],
            "status": status,
            "url": (ctx.url(f"/exports/{self.file_id(ctx.state, job)}.csv.gz")
                    if status.lower() == "completed" else None),
            "filters": a["filters"],  # as created: an export keeps the keys of the version that made it
            "callback_url": a.get("callback_url"),
            "callback_method": (method.upper() if doc == "2021-12-15" else method.lower()) if method else None,
            "external_reference_id": a.get("external_reference_id"),
            "created_at": stamp(job.created, "ms"),
        }
        names = fields if fields is not None else rules.FIELDS[doc]
        return {"id": job.id, "type": "exports", "attributes": {k: full[k] for k in rules.SPARSE[doc] if k in names}}

    def _fields(self, ctx: Context) -> tuple[str, ...] | None:
        """The sparse fieldset ``fields[exports]`` asks for (None: every attribute); an unknown name is a 400 (B4)."""
        if "fields[exports]" not in ctx.params:
            return None
        fields = tuple(f for f in str(ctx.params["fields[exports]"]).split(",") if f)
        allowed = rules.SPARSE[envelope.VERSIONS[self.version(ctx.request)]]
        bad = [f for f in fields if f not in allowed]
        if bad:
            raise envelope.error("field", name=bad[0])
        return fields

    # --- lifecycle --------------------------------------------------------------------------------------
    def file_id(self, state: TenantState, job: Job) -> str:  # derived, not stored: exports made alike share attrs
        """A fixture's own file id, else one derived from the seed and the export."""
        return job.attrs.get("file_id") or uuid4_from(self.runtime.settings.seed, "didww-file", state.tenant, job.id)

    def created(self, state: TenantState, job: Job) -> None:
        state.put("didww_files", self.file_id(state, job), job.id)

    def removed(self, state: TenantState, job: Job) -> None:
        state.drop("didww_files", self.file_id(state, job))

    def completed(self, state: TenantState, job: Job, at: float) -> None:
        """The export is done: its callback, if it has one."""
        url = rules.callback_url(job.attrs.get("callback_url"))  # echoed as sent, called with its scheme
        if url:
            # B8: id, type and status, as a query (GET) or a form (POST), signed with X-DIDWW-Signature (by
            # webhook_headers, over the URL as sent); from 2026-04-16 also the file's url (Postman 2026-04-16
            # changelog: "export callback includes url attribute with the download link").
            payload = {"id": job.id, "type": "exports", "status": "completed"}
            if job.attrs.get("layout", "2021-12-15") >= envelope.NEW and job.attrs.get("base"):
                payload["url"] = f"{job.attrs['base']}/exports/{self.file_id(state, job)}.csv.gz"
            self.runtime.webhooks.schedule(self.name, state.tenant, job.attrs.get("callback_method") or "post", url,
                                           payload, backoff=CALLBACK_BACKOFF)

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str]:
        state = self.runtime.store.tenant(self.name, tenant)
        return {"X-DIDWW-Signature": sign(self._callback_secret(state), url, payload)}

    def outcome_status(self, outcome: str) -> str:
        return outcome.lower()  # processing or completed, in either version's spelling

    def force(self, state: TenantState, job: Job, status: str) -> None:
        """processing or completed, in either version's spelling (no failure state is documented)."""
        self.jobs.force(state, job, self.outcome_status(status))

    def describe_extra(self, state: TenantState, job: Job) -> dict[str, Any]:
        return {"file_id": self.file_id(state, job)}

    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """fixtures/didww.yaml: per API key, ``settings`` and ``exports`` (fixtures.py)."""
        state = self.runtime.store.tenant(self.name, tenant)
        if spec.get("settings"):
            self.configure_tenant(state, dict(spec["settings"]))
        for item in fixtures.exports(tenant, spec, self.runtime.clock.now()):
            self.jobs.create(state, "exports", item.attrs, created=item.created, hold=item.hold, fixture=True,
                             job_id=item.export_id)

    # --- handlers (by operationId) ----------------------------------------------------------------------
    def _document(self, ctx: Context, data: Any, **meta: Any) -> dict[str, Any]:
        return {"data": data, "meta": {**meta, "api_version": self.version(ctx.request)}}

    async def list_exports(self, ctx: Context) -> Reply:
        version = self.version(ctx.request)
        doc = envelope.VERSIONS[version]
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
                jobs = self._filtered(jobs, key, str(value), ctx.now, version)
            for term in reversed(sorts):
                jobs.sort(key=functools.partial(self._sort_key, field=term.lstrip("-"), now=ctx.now, version=version),
                          reverse=term.startswith("-"))
            total, page = len(jobs), jobs[(number - 1) * size : number * size]
        else:  # by default "sorted according to the ID number" (Postman, Specification > Sorting): creation order
            total, page = len(exports), exports.ascending(size, offset=(number - 1) * size).items
        fields = self._fields(ctx)
        last = max(1, -(-total // size))

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
        # in the default order the page reads the same until an export is added or removed or one of its changes
        kept = not (filters or sorts or self.config["rate_limits"])
        until = min((next_change_at(j.schedule, ctx.now) or INF for j in page), default=INF) if kept else None
        return Reply(200, body, etag=True, fresh_until=until)

    def _filtered(self, jobs: list[Job], key: str, value: str, now: float, version: str) -> list[Job]:
        """One list filter; comma-separated values match any of them (2026-10-22 document: ExportFilter)."""
        if key in ("created_at_gteq", "created_at_lteq"):
            try:
                bound = parse_rfc3339(value.replace(" ", "T"))
            except ValueError:
                raise VendorError(400, f"{value} is not a valid value for {key}.", code="107",
                                  extra={"title": "Invalid filter value"}) from None
            return [j for j in jobs if (j.created >= bound if key.endswith("gteq") else j.created <= bound)]
        wanted = {v for v in value.split(",") if v}
        if key == "id":
            return [j for j in jobs if j.id in wanted]
        if key == "status":
            return [j for j in jobs if self._status(j, now, version) in wanted]
        return [j for j in jobs if j.attrs.get(key) in wanted]

    def _sort_key(self, job: Job, field: str, now: float, version: str) -> tuple[Any, ...]:
        return ((self._status(job, now, version),) if field == "status" else (job.created, job.seq)
                if field == "created_at" else (job.attrs.get("external_reference_id") or "",))

    async def get_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        return Reply(200, self._document(ctx, self._resource(ctx, job, self._fields(ctx))))

    async def create_export(self, ctx: Context) -> Reply:
        version = self.version(ctx.request)
        attrs = ctx.body["data"]["attributes"]
        kind, doc = attrs["export_type"], envelope.VERSIONS[version]
        if kind not in records.EXPORT_TYPES[doc]:
            raise envelope.invalid("export_type", "is not included in the list")
        if doc == "2026-11-19" and bool(attrs.get("callback_url")) != bool(attrs.get("callback_method")):
            # "callback_url and callback_method must be sent together" (2026-10-22 document)
            missing = "callback_method" if attrs.get("callback_url") else "callback_url"
            raise envelope.invalid(missing, "can't be blank")
        start, end, filters = rules.check_filters(ctx.now, doc, kind, attrs["filters"])
        job = self.jobs.create(ctx.state, "exports", {
            "layout": doc, "base": ctx.base, "export_type": kind, "start": start, "end": end, "filters": filters,
            "callback_url": attrs.get("callback_url") if rules.callback_url(attrs.get("callback_url")) else None,
            "callback_method": attrs["callback_method"].lower() if attrs.get("callback_method") else None,
            "external_reference_id": attrs.get("external_reference_id"),
        }, ctx=ctx)
        return Reply(201, self._document(ctx, self._resource(ctx, job)), etag=True)

    async def update_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        data = ctx.body["data"]
        if data["id"] != job.id:
            raise envelope.error("key", id=data["id"])
        attrs = data.get("attributes") or {}
        if attrs.get("filters"):  # an empty one is what the PHP SDK always sends
            raise envelope.error("param", name="filters")
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
            raise envelope.not_found(ctx.params["id"])
        return job


VENDOR = Didww
