"""DIDWW API v3 exports (https://api.didww.com/v3), mounted at /didww/v3, in two API versions chosen by the
X-DIDWW-API-Version header: 2021-12-15 (the seed's) and 2026-04-16 (the official SDK's). Specs:
specs/didww-<version>.yaml; facts and sources: vendors/didww.md (section numbers below are its)."""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urlparse

from aiohttp import web

from .. import lifecycle
from ..auth import bearer_token
from ..clock import parse_rfc3339
from ..errors import VendorError, Violation
from ..files import FileBody, csv_lines, gzip_chunks, uuid4_from
from ..jobs import Ids
from ..lifecycle import Effect, Lifecycle
from ..options import Option
from ..records import didww as records
from ..specs import Operation
from ..store import Job, TenantState
from ..vendor import Context, Reply, Vendor
from ..wire import stamp

JSONAPI = "application/vnd.api+json"

# --- versions (B0) ---------------------------------------------------------------------------------------
# 2022-05-10 has the 2021-12-15 export shapes (B0): it is served by that document, and says so in meta. The
# header "overrides the default version for the current request only"; one older than the key's default "will be
# ignored" (doc.didww.com/api3/api-versioning), and so is an invalid one ("The invalid value of
# X-DIDWW-API-Version header will be ignored", didww-api3-postman@71547df, every collection's description).
VERSIONS = {"2021-12-15": "2021-12-15", "2022-05-10": "2021-12-15", "2026-04-16": "2026-04-16",
            "2026-11-19": "2026-11-19"}
NEW = "2026-04-16"
VERSION_KEY = web.RequestKey("didww_version", str)
FILE_PATH = re.compile(r"/exports/[^/]+\.csv\.gz$")
REQUEST_ID = web.RequestKey("didww_request_id", str)

# --- auth -> tenant (B5) ------------------------------------------------------------------------------------
PRINTABLE = re.compile(r"^[\x21-\x7e]+$")

# --- envelope (B6) ------------------------------------------------------------------------------------------
# Titles, details and codes of the JSON:API errors follow the bodies in B6; those B6 does not show are
# jsonapi-resources' (the library behind DIDWW's v3 API: 101 invalid resource, 102 filter not allowed,
# 104 invalid field, 105 param not allowed, 106 missing parameter, 110 key not in URL, 114 invalid sort,
# 118 invalid page value) and are INFERRED.
T_UNAUTHORIZED, D_UNAUTHORIZED = "Unauthorized", "Authorization failed"
T_NOT_FOUND, D_NOT_FOUND = "Record not found", "The record identified by {id} could not be found."
D_BAD_VERSION = "{value} is not a valid API version; supported: 2021-12-15, 2022-05-10, 2026-04-16, 2026-11-19."
T_FILTER, D_FILTER = "Filter not allowed", "{name} is not allowed."
T_SORT, D_SORT = "Invalid sort criteria", "{name} is not a valid sort criteria for exports"
T_FIELD, D_FIELD = "Invalid field", "{name} is not a valid field for exports."
T_PAGE, D_PAGE = "Invalid page value", "{value} is not a valid value for {name} page parameter."
T_PARAM, D_PARAM = "Param not allowed", "{name} is not allowed."
T_MISSING, D_MISSING = "Missing Parameter", "The required parameter, {name}, is missing."
T_RESOURCE, D_RESOURCE = "Invalid resource", "{name} is not a valid resource."
T_KEY, D_KEY = "Key is not included in URL", "The URL does not support the key {id}"
# jsonapi-resources checks the Content-Type of writes only (415), then every request's Accept (406): blank,
# exactly application/vnd.api+json, or */* (cerebris/jsonapi-resources@e92afc6
# lib/jsonapi/acts_as_resource_controller.rb verify_content_type_header, verify_accept_header; locales/en.yml).
T_MEDIA = "Unsupported media type"
D_MEDIA = "All requests that create or update must use the 'application/vnd.api+json' Content-Type. " \
          "This request specified '{media}'."
T_ACCEPT = "Not acceptable"
D_ACCEPT = "All requests must use the 'application/vnd.api+json' Accept without media type parameters. " \
           "This request specified '{accept}'."
T_BAD_REQUEST = "Bad Request"
WINDOW = "must be within the current and 2 previous months"

# --- lifecycle (B2) -----------------------------------------------------------------------------------------
PENDING_SECONDS = 30.0
PROCESSING_SECONDS = 90.0
RETENTION_SECONDS = 30 * 86400.0  # "removed one month after completion"
# Ten attempts in all: a failed one is retried after 1 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 day and 2 days
# (didww-api3-postman@71547df, every version's "Callbacks Details").
CALLBACK_BACKOFF = (60.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0, 172800.0)
FIELDS_2026 = ("export_type", "status", "url", "filters", "callback_url", "callback_method", "external_reference_id",
               "created_at")
FIELDS = {
    "2021-12-15": ("status", "created_at", "url", "callback_url", "callback_method", "export_type"),
    "2026-04-16": FIELDS_2026,
    "2026-11-19": FIELDS_2026,
}
SORTS = {"2021-12-15": ("status", "created_at"), "2026-04-16": ("status", "created_at", "external_reference_id"),
         "2026-11-19": ("status", "created_at", "external_reference_id")}
# Filter keys per version and export type. 2026-11-19: vendors/didww.md (doc.didww.com/api3/2026-11-19) and, for
# the SMS keys and their values, didww-api-3-openapi@c6fdd13:openapi/sources/api.json (ExportFilters, 2026-10-22).
SMS_KEYS = ("from", "to", "source_address_eq", "source_address_cont", "destination_address_eq",
            "destination_address_cont", "status", "sms_trunk.id", "sms_id")
FILTER_KEYS = {
    ("2021-12-15", "cdr_in"): ("year", "month", "did_number"),
    ("2021-12-15", "cdr_out"): ("year", "month", "day", "voice_out_trunk.id"),
    ("2026-04-16", "cdr_in"): ("from", "to", "did_number"),
    ("2026-04-16", "cdr_out"): ("from", "to", "voice_out_trunk.id"),
    ("2026-11-19", "cdr_in"): ("from", "to", "did_number", "source_number", "source_number_out", "source_country_iso"),
    ("2026-11-19", "cdr_out"): ("from", "to", "voice_out_trunk.id", "source", "cli", "destination"),
    ("2026-11-19", "sms_in"): (*SMS_KEYS, "trunk_type"),
    ("2026-11-19", "sms_out"): (*SMS_KEYS, "service_type", "sender_id_verification.id"),
}
FILTER_VALUES = {  # filter keys whose values are a closed set (2026-10-22 document)
    ("sms_in", "status"): ("Success", "Failed", "Queued"),
    ("sms_out", "status"): ("Routing Error", "In Progress", "Queued", "Failed", "Success"),
    ("sms_in", "trunk_type"): ("SMPP SMSC", "SMPP ESME", "Email", "HTTP IN"),
}
SERVICE_TYPE = re.compile(r"^(?:[aA]2[pP]|[pP]2[pP])$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Didww(Vendor):
    name: ClassVar[str] = "didww"
    mount: ClassVar[str] = "/didww/v3"
    hosts: ClassVar[tuple[str, ...]] = ("api.didww.com", "sandbox-api.didww.com")
    specs: ClassVar[dict[str, str]] = {"2021-12-15": "didww-2021-12-15.yaml", "2026-04-16": "didww-2026-04-16.yaml",
                                       "2026-11-19": "didww-2026-11-19.yaml"}
    json_type: ClassVar[str] = JSONAPI
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
    options: ClassVar[tuple[Option, ...]] = (
        Option("default_version", str, "2021-12-15", "the API version of a key that sends no X-DIDWW-API-Version "
               "(per key: the credentials file or the control API's tenant settings)", choices=tuple(VERSIONS)),
    )


    # --- versions ---------------------------------------------------------------------------------------
    def version(self, request: web.Request) -> str:
        """The API version that answers: the header's, unless it is older than the key's default (B0)."""
        cached: str | None = request.get(VERSION_KEY)
        if cached is not None:
            return cached
        default = self._default_version(request.headers.get("Api-Key"))
        asked = request.headers.get("X-DIDWW-API-Version", "").strip()
        chosen = asked if asked in VERSIONS and asked > default else default
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
        return str(self.config["default_version"])

    # --- auth -> tenant ---------------------------------------------------------------------------------
    def _credential(self, key: str) -> dict[str, Any] | None:
        return self.runtime.credentials.find(self.name, api_key=key)

    def authenticate(self, request: web.Request, op: Operation) -> str:
        # The 2026-11-19 docs' examples send "Authorization: Bearer [access token]": a bearer token names the
        # tenant as an Api-Key does (the fake mints no tokens).
        key = request.headers.get("Api-Key", "") or (bearer_token(request.headers.get("Authorization")) or "")
        if not key or not PRINTABLE.match(key):
            raise VendorError(401, D_UNAUTHORIZED, code="401", kind="auth", extra={"title": T_UNAUTHORIZED})
        if self.runtime.credentials.restricts(self.name) and self._credential(key) is None:
            raise VendorError(401, D_UNAUTHORIZED, code="401", kind="auth", extra={"title": T_UNAUTHORIZED})
        return key

    def negotiate(self, request: web.Request, op: Operation) -> None:
        """jsonapi-resources' checks, in its order: a write's Content-Type (415), then every Accept (406)."""
        if op.operation_id == "DownloadExport":
            return  # the file is served outside the JSON:API controller (nginx, vendors/didww.md B7)
        if request.method in ("POST", "PATCH", "PUT"):
            media = request.headers.get("Content-Type", "").split(";", 1)[0].strip()
            if media.lower() != JSONAPI:
                raise VendorError(415, D_MEDIA.format(media=media), code="415", extra={"title": T_MEDIA})
        accept = request.headers.get("Accept", "")
        entries = [e.strip() for e in accept.split(",")]
        if accept.strip() and not any(e == JSONAPI or e.startswith("*/*") for e in entries):
            raise VendorError(406, D_ACCEPT.format(accept=accept), code="406", extra={"title": T_ACCEPT})

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
    def response_headers(self, request: web.Request, reply: Reply) -> dict[str, str] | None:
        """What DIDWW's Rails stack adds to JSON:API answers (didww-api3-postman@71547df 2021-12-15 recordings;
        didww-api-3-php-sdk@eaad6c1 tests/fixtures/exports.yml): a request id, the runtime, Vary: Accept, and a
        Cache-Control that is max-age=0 with a weak ETag on lists and creates, no-cache elsewhere. The file
        download is nginx's and has its own headers."""
        number = self.extra["requests"] = self.extra.get("requests", 0) + 1
        headers = {"X-Request-Id": uuid4_from(self.runtime.settings.seed, "didww-request", number),
                   "X-Runtime": f"{0.02 + (number % 89) / 1000:.6f}"}
        if reply.file is not None or FILE_PATH.search(request.raw_path.split("?", 1)[0]):
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
        if err.status == 401 and FILE_PATH.search(request.raw_path.split("?", 1)[0]):
            # A refused key on the download: 401, no body, text/html (didww-api-3-php-sdk@62f9176
            # tests/fixtures/exports.yml, recorded 2022-02-02).
            return Reply(401, b"", content_type="text/html; charset=utf-8")
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
            "filters": a["filters"],  # as created: an export keeps the keys of the version that made it
            "callback_url": a.get("callback_url"),
            "callback_method": (method.upper() if doc == "2021-12-15" else method.lower()) if method else None,
            "external_reference_id": a.get("external_reference_id"),
            "created_at": stamp(job.created, "ms"),
        }
        names = fields if fields is not None else FIELDS[doc]
        return {"id": job.id, "type": "exports", "attributes": {k: full[k] for k in FIELDS[doc] if k in names}}

    # --- lifecycle --------------------------------------------------------------------------------------
    def created(self, state: TenantState, job: Job) -> None:
        job.attrs.setdefault("file_id", uuid4_from(self.runtime.settings.seed, "didww-file", state.tenant, job.id))
        state.put("didww_files", job.attrs["file_id"], job.id)

    def removed(self, state: TenantState, job: Job) -> None:
        state.drop("didww_files", job.attrs["file_id"])

    def completed(self, state: TenantState, job: Job, at: float) -> None:
        """The export is done: its callback, if it has one."""
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

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str]:
        state = self.runtime.store.tenant(self.name, tenant)
        return {"X-DIDWW-Signature": sign(self._callback_secret(state), url, payload)}

    def force(self, state: TenantState, job: Job, status: str) -> None:
        """processing or completed, in either version's spelling (no failure state is documented)."""
        self.jobs.force(state, job, status.lower())

    def describe_extra(self, state: TenantState, job: Job) -> dict[str, Any]:
        return {"file_id": job.attrs["file_id"]}

    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """fixtures/didww.yaml: per API key, ``settings`` (default_api_version, callback_secret) and
        ``exports`` (id, export_type, created_at, filters, api_version (the version it was created under; by
        default 2021-12-15 for year/month filters and 2026-04-16 for from/to), callback_url, callback_method,
        external_reference_id, file_id, and ``status`` to hold it in a status; without one it runs)."""
        state = self.runtime.store.tenant(self.name, tenant)
        if spec.get("settings"):
            self.configure_tenant(state, dict(spec["settings"]))
        now = self.runtime.clock.now()
        for item in spec.get("exports") or []:
            created = parse_rfc3339(str(item["created_at"])) if item.get("created_at") else now
            kind = str(item.get("export_type", "cdr_in"))
            filters = dict(item.get("filters") or {})
            start, end = _period_of(filters, created)
            version = str(item.get("api_version") or ("2026-04-16" if "from" in filters else "2021-12-15"))
            if version not in VERSIONS:
                raise ValueError(f"didww fixture for {tenant}: api_version must be one of {sorted(VERSIONS)}")
            attrs = {"export_type": kind, "start": start, "end": end, "filters": filters, "layout": VERSIONS[version],
                     "callback_url": item.get("callback_url"),
                     "callback_method": str(item["callback_method"]).lower() if item.get("callback_method") else None,
                     "external_reference_id": item.get("external_reference_id"),
                     }
            if item.get("file_id"):
                attrs["file_id"] = str(item["file_id"])
            hold = str(item["status"]).lower() if item.get("status") else None
            self.jobs.create(state, "exports", attrs, created=created, hold=hold, fixture=True,
                             job_id=str(item["id"]) if item.get("id") else None)

    # --- handlers (by operationId) ----------------------------------------------------------------------
    def _document(self, ctx: Context, data: Any, **meta: Any) -> dict[str, Any]:
        return {"data": data, "meta": {**meta, "api_version": self.version(ctx.request)}}

    async def list_exports(self, ctx: Context) -> Reply:
        version = self.version(ctx.request)
        doc = VERSIONS[version]
        p = ctx.params
        exports = ctx.state.collection("exports")
        filters, sorts = p.get("filter") or {}, [t for t in str(p.get("sort") or "").split(",") if t]
        for term in sorts:
            if term.lstrip("-") not in SORTS[doc]:
                raise VendorError(400, D_SORT.format(name=term.lstrip("-")), code="114", extra={"title": T_SORT})
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
        fields = None
        if "fields[exports]" in p:
            fields = tuple(f for f in str(p["fields[exports]"]).split(",") if f)
            bad = [f for f in fields if f not in FIELDS[doc]]
            if bad:
                raise VendorError(400, D_FIELD.format(name=bad[0]), code="104", extra={"title": T_FIELD})
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
        return Reply(200, body, etag=True)

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
        kind, doc = attrs["export_type"], VERSIONS[version]
        if kind not in records.EXPORT_TYPES[doc]:
            raise _invalid("export_type", "is not included in the list")
        if doc == "2026-11-19" and bool(attrs.get("callback_url")) != bool(attrs.get("callback_method")):
            # "callback_url and callback_method must be sent together" (2026-10-22 document)
            missing = "callback_method" if attrs.get("callback_url") else "callback_url"
            raise _invalid(missing, "can't be blank")
        start, end, filters = self._check_filters(ctx, doc, kind, attrs["filters"])
        job = self.jobs.create(ctx.state, "exports", {
            "layout": doc, "base": ctx.base, "export_type": kind, "start": start, "end": end, "filters": filters,
            "callback_url": attrs.get("callback_url"),
            "callback_method": attrs["callback_method"].lower() if attrs.get("callback_method") else None,
            "external_reference_id": attrs.get("external_reference_id"),
        }, ctx=ctx)
        return Reply(201, self._document(ctx, self._resource(ctx, job)), etag=True)

    async def update_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        data = ctx.body["data"]
        if data["id"] != job.id:
            raise VendorError(400, D_KEY.format(id=data["id"]), code="110", extra={"title": T_KEY})
        attrs = data.get("attributes") or {}
        if attrs.get("filters"):  # an empty one is what the PHP SDK always sends
            raise VendorError(400, D_PARAM.format(name="filters"), code="105", extra={"title": T_PARAM})
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
                       ) -> tuple[float, float, dict[str, Any]]:
        """B3: the version's filter keys for the export type, the months window, nothing in the future. Returns
        the period and the filters as the export keeps them (from/to normalised; year, month, day integers)."""
        allowed = FILTER_KEYS[(doc, kind)]
        for key, value in filters.items():
            if key not in allowed:
                raise _invalid("filters", f"{key} is not allowed")
            if value is None or str(value).strip() == "" or value == []:
                # a blank from or to is "not valid" (didww-api3-postman@71547df 2026-04-16, "Validation Error")
                raise _invalid("filters", f"{key} not valid" if key in ("from", "to") else f"{key} can't be blank")
            closed = FILTER_VALUES.get((kind, key))
            values = value if isinstance(value, list) else [value]
            if closed is not None and not all(isinstance(v, str) and v in closed for v in values):
                raise _invalid("filters", f"{key} is not included in the list")
            if key in ("sms_trunk.id", "sender_id_verification.id") and not all(
                    isinstance(v, str) and UUID_RE.match(v) for v in values):
                raise _invalid("filters", f"{key} is invalid")
            if key == "service_type" and not (isinstance(value, str) and SERVICE_TYPE.match(value)):
                raise _invalid("filters", f"{key} is invalid")
            if isinstance(value, dict | bool) or (isinstance(value, list) and key not in (
                    "trunk_type", "sms_trunk.id", "sender_id_verification.id")):
                raise _invalid("filters", f"{key} is invalid")
        now = ctx.now
        today = datetime.fromtimestamp(now, UTC)
        floor_month = (today.year * 12 + today.month - 1) - 2
        window_start = datetime(floor_month // 12, floor_month % 12 + 1, 1, tzinfo=UTC).timestamp()
        if doc != "2021-12-15":
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
            kept: dict[str, Any] = {**{k: v if isinstance(v, list) else str(v) for k, v in filters.items()},
                    "from": stamp(start, "space"), "to": stamp(end, "space")}
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
            kept = {k: int(str(v)) if k in ("year", "month", "day") else str(v) for k, v in filters.items()}
        return start, end, kept

    # --- file format (B7) -------------------------------------------------------------------------------
    def _file(self, tenant: str, job: Job) -> FileBody:

        def chunks() -> Any:
            return gzip_chunks(self._rows(tenant, job))

        return FileBody("application/octet-stream", chunks, key=("didww", tenant, job.id), sizes=self.runtime.sizes,
                        filename=f"{job.attrs['file_id']}.csv.gz")

    def _rows(self, tenant: str, job: Job) -> Any:
        """The CSV: the columns of the API version that created the export (DIDWW's 2026-11-19 docs: exports made
        under earlier versions keep their CSV columns), rows from records/didww.py."""
        a = job.attrs
        layout = a.get("layout", "2021-12-15")
        return csv_lines(records.columns(layout, a["export_type"]), records.rows(
            layout, a["export_type"], seed=self.runtime.settings.seed, tenant=tenant, export_id=job.id,
            start=a["start"], end=a["end"], filters=a["filters"], pools=self.runtime.pools))


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
