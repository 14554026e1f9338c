"""Talkdesk Explore reports (https://api.talkdeskapp.com) and their OAuth token endpoint
(https://{account}.talkdeskid.com/oauth/token), mounted at /talkdesk. Spec: specs/talkdesk.yaml; facts and
sources: vendors/talkdesk.md Part A (section numbers below are its)."""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aiohttp import web

from ... import lifecycle
from ...auth import basic_credentials, bearer_token, read_jwt, sign_jwt
from ...errors import VendorError, Violation
from ...files import FileBody, batched_lines, hex_id
from ...jobs import Ids
from ...lifecycle import KEPT_SECONDS, Lifecycle
from ...options import Option
from ...recipe import Recipe
from ...records import talkdesk as records
from ...specs import Operation
from ...store import Job, TenantState, records_for
from ...times import rfc3339, stamp
from ...vendor import Context, Reply, Vendor
from . import envelope
from .envelope import bad, parse_time, render
from .recipe import RECIPE

# --- auth -> tenant (A.2) -------------------------------------------------------------------------------
SCOPES = ("data-reports:read", "data-reports:write")
TOKEN_SECONDS = 600  # expires_in; one client assumes about 600 s (A.2)
MSG_NO_TOKEN = "Missing or invalid access token"
MSG_EXPIRED = "The access token expired"
MSG_SCOPE = "The access token lacks the {scope} scope"

# --- lifecycle (A.9) ------------------------------------------------------------------------------------
ACTIVE = ("created", "processing", "uploading")
QUOTA = 15  # running or queued jobs per account (A.12)
MAX_SPAN = 31 * 86400  # A.4
FILE_DAYS = 30  # files stay downloadable for 30 days (A.6)
REPORT_TYPES = records.REPORT_TYPES


class Talkdesk(Vendor):
    name: ClassVar[str] = "talkdesk"
    mount: ClassVar[str] = "/talkdesk"
    hosts: ClassVar[tuple[str, ...]] = ("api.talkdeskapp.com", "*.talkdeskid.com")
    specs: ClassVar[dict[str, str]] = {"explore": "talkdesk.yaml"}

    # A.9: created -> processing -> uploading -> done; failed (or done) can be forced on a job not finished yet.
    lifecycle: ClassVar[Lifecycle] = Lifecycle(
        steps=(("created", 5.0), ("processing", 20.0), ("uploading", 5.0), ("done", None)),
        terminal=frozenset({"done", "failed", "canceled", "deleted"}),
        # no documented retention for jobs; a done job's file is kept 30 days (A.6): KEPT_SECONDS, INFERRED
        retention={status: KEPT_SECONDS for status in ("done", "failed", "canceled", "deleted")},
        forceable={"failed": frozenset(ACTIVE), "done": frozenset(ACTIVE)},
    )
    ids: ClassVar[Ids] = Ids("talkdesk-job")  # UUIDs (A.4)
    recipe: ClassVar[Recipe] = RECIPE
    options: ClassVar[tuple[Option, ...]] = (
        Option("done_status", int, 300, "the answer to a finished report job: 300 as documented, or 302/303 for "
               "clients that follow redirects (python-requests and Go follow no 300; the Airbyte connector needs "
               "303)", choices=(300, 302, 303)),
        # records/talkdesk.py PAYLOADS says why call_id is the default and where each payload comes from
        Option("calls_payload", str, "call_id", "the calls and explore_calls payload of new report jobs: call_id "
               "(type and version, call_id, RFC 3339 times, seconds: what clients read) or interaction_id (the "
               "older payload the docs show as valid until May 11, 2026); a client's tenant setting overrides it",
               choices=records.PAYLOADS),
    )

    def setup(self) -> None:
        self._zones: set[str] | None = None
        self._key = hashlib.blake2b(f"fakeexports-talkdesk-{self.runtime.settings.seed}".encode(),
                                    digest_size=32).digest()

    # --- auth -> tenant ---------------------------------------------------------------------------------
    def authenticate(self, request: web.Request, op: Operation) -> str:
        if op.operation_id == "CreateToken":
            return self._client(request)
        token = bearer_token(request.headers.get("Authorization"))
        found = self._token(token) if token else None
        if found is None:
            raise VendorError(401, MSG_NO_TOKEN, kind="auth")
        client, claims = found
        if claims["exp"] <= self.runtime.clock.now():
            raise VendorError(401, MSG_EXPIRED, kind="auth")
        needed = [scope for req in op.security for scope in req.get("oauth", [])]
        for scope in needed:
            if scope not in str(claims.get("scope", "")).split():
                raise VendorError(403, MSG_SCOPE.format(scope=scope), kind="forbidden")
        return client

    def _client(self, request: web.Request) -> str:
        creds = basic_credentials(request.headers.get("Authorization"))
        if creds is None or not creds[0] or not creds[1]:
            raise VendorError(401, "Client authentication failed", code="invalid_client", kind="auth")
        credentials = self.runtime.credentials
        if credentials.restricts(self.name) and credentials.find(self.name, client_id=creds[0],
                                                                 client_secret=creds[1]) is None:
            raise VendorError(401, "Client authentication failed", code="invalid_client", kind="auth")
        return creds[0]

    def _granted(self, client: str) -> tuple[str, ...]:
        entry = self.runtime.credentials.find(self.name, client_id=client)
        if entry and entry.get("scopes") is not None:
            scopes = entry["scopes"]
            return tuple(scopes.split() if isinstance(scopes, str) else scopes)
        return SCOPES

    def _token(self, token: str) -> tuple[str, dict[str, Any]] | None:
        """The client and claims of an access token this fake issued (a JWT: nothing is stored per token)."""
        claims = read_jwt(self._key, token)
        if claims is None or not isinstance(claims.get("sub"), str) or not isinstance(claims.get("exp"), int):
            return None
        return claims["sub"], claims

    # --- envelope ---------------------------------------------------------------------------------------
    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        return render(err, oauth=request.path.endswith("/oauth/token"))

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        if op.operation_id == "CreateToken":
            return VendorError(400, v.message, code="invalid_request")
        if v.location == "path":
            if v.name == "type":
                return bad(envelope.MSG_UNKNOWN_TYPE, "type", f"must be one of {', '.join(REPORT_TYPES)}")
            return VendorError(404, envelope.MSG_JOB_NOT_FOUND, kind="not_found")
        if v.rule in ("json", "encoding", "content-type"):
            return bad(envelope.MSG_INVALID_REPORT, "body", v.message)
        return bad(envelope.MSG_INVALID_REPORT, v.name or v.location, v.message)

    # --- representation ---------------------------------------------------------------------------------
    def _job_view(self, ctx: Context, job: Job) -> dict[str, Any]:
        a = job.attrs
        return {
            "id": job.id, "name": a.get("name"), "timezone": a["timezone"],
            "status": lifecycle.status_at(job.schedule, ctx.now), "format": a["format"], "type": job.collection,
            "created_at": stamp(job.created, "naive"),
            "timespan": {"from": rfc3339(a["start"]), "to": rfc3339(a["end"])},
        }

    def _links(self, ctx: Context, job: Job) -> dict[str, Any]:
        return {"self": {"href": ctx.url(f"/data/reports/{job.collection}/jobs/{job.id}")},
                "files": {"href": ctx.url(f"/data/reports/{job.collection}/files/{job.id}")}}

    def _document(self, ctx: Context, job: Job) -> dict[str, Any]:
        return {"job": self._job_view(ctx, job), "_links": self._links(ctx, job)}

    # --- lifecycle --------------------------------------------------------------------------------------
    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """fixtures/talkdesk.yaml: per OAuth client, ``settings`` (calls_payload) and ``jobs`` (type, format,
        timezone, from, to, name, id, age_seconds, calls_payload (by default the client's), and ``status`` failed
        or canceled to end one so)."""
        state = self.runtime.store.tenant(self.name, tenant)
        if spec.get("settings"):
            self.configure_tenant(state, dict(spec["settings"]))
        now = self.runtime.clock.now()
        for item in spec.get("jobs") or []:
            kind = str(item.get("type", "calls"))
            if kind not in REPORT_TYPES:
                raise ValueError(f"talkdesk fixture for {tenant}: type must be one of {REPORT_TYPES}")
            payload = str(item.get("calls_payload") or self._calls_payload(state))
            if payload not in records.PAYLOADS:
                raise ValueError(f"talkdesk fixture for {tenant}: calls_payload must be one of {records.PAYLOADS}")
            zone = str(item.get("timezone", "UTC"))
            start, end = (parse_time(str(item[k]), ZoneInfo(zone)) for k in ("from", "to"))
            job = self.jobs.create(state, kind, {
                "name": item.get("name"), "timezone": zone, "format": str(item.get("format", "json")),
                "start": start, "end": end, **_payload_attr(kind, payload),
            }, created=now - float(item.get("age_seconds", 0)), job_id=item.get("id"), fixture=True)
            if item.get("status") in ("failed", "canceled"):
                self.jobs.rewrite(state, job, [(str(item["status"]), None)])

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        """``calls_payload``: the calls and explore_calls payload of the client's new jobs (call_id or
        interaction_id), instead of the vendor option's."""
        unknown = sorted(set(settings) - {"calls_payload"})
        if unknown:
            raise VendorError(400, f"unknown Talkdesk tenant settings {unknown}; known: ['calls_payload']",
                              kind="validation")
        payload = settings.get("calls_payload")
        if payload is not None:
            if payload not in records.PAYLOADS:
                raise VendorError(400, f"calls_payload must be one of {', '.join(records.PAYLOADS)}",
                                  kind="validation")
            state.put("settings", "calls_payload", payload)
        return dict(state.items("settings"))

    def _calls_payload(self, state: TenantState) -> str:
        """The payload a new job of this client gets: its tenant setting, else the vendor option."""
        return str(state.get("settings", "calls_payload") or self.config["calls_payload"])

    # --- handlers (by operationId) ----------------------------------------------------------------------
    async def create_token(self, ctx: Context) -> Reply:
        form = ctx.body or {}
        grant = form.get("grant_type") or ctx.params.get("grant_type")
        if not grant:
            raise VendorError(400, "grant_type is required", code="invalid_request")
        if grant != "client_credentials":
            raise VendorError(400, f"grant_type {grant} is not supported", code="unsupported_grant_type")
        granted = self._granted(ctx.tenant)
        asked = str(form.get("scope") or "").split()
        missing = [s for s in asked if s not in granted]
        if missing:
            raise VendorError(400, f"scope {' '.join(missing)} is not granted to this client", code="invalid_scope")
        scope = " ".join(asked or granted)
        state = ctx.state
        number = int(state.get("talkdesk", "tokens") or 0) + 1
        state.put("talkdesk", "tokens", number)
        # Talkdesk's access tokens are JWTs; these are signed with a key of the seed
        token = sign_jwt(self._key, {
            "iss": "https://fakeexports.talkdeskid.com", "sub": ctx.tenant, "aud": "https://api.talkdeskapp.com",
            "scope": scope, "iat": int(ctx.now), "exp": int(ctx.now) + TOKEN_SECONDS,
            "jti": hex_id(self.runtime.settings.seed, "talkdesk-token", ctx.tenant, number)})
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
                           "scope": scope})

    async def execute_report(self, ctx: Context) -> Reply:
        body = ctx.body
        span = body["timespan"]
        # The documented body has timezone at the top level only; other members are ignored (INFERRED: the
        # published schema declares none, and the Airbyte connector's timespan.timezone changes nothing).
        zone_name = body.get("timezone") or "UTC"
        zone = self._zone(str(zone_name))
        fields = []
        start = end = 0.0
        for key in ("from", "to"):
            try:
                value = parse_time(str(span[key]), zone)
            except ValueError:
                fields.append({"name": f"timespan.{key}", "description": "must be a date-time"})
                continue
            if key == "from":
                start = value
            else:
                end = value
        if fields:
            raise VendorError(400, envelope.MSG_INVALID_REPORT, kind="validation", extra={"fields": fields})
        if end > ctx.now:
            raise bad(envelope.MSG_INVALID_REPORT, "timespan.to", "must not be in the future")
        if end <= start:
            raise bad(envelope.MSG_INVALID_REPORT, "timespan.to", "must be after timespan.from")
        if end - start > MAX_SPAN:
            raise bad(envelope.MSG_INVALID_REPORT, "timespan", "must not be longer than 31 days")
        kind = ctx.params["type"]
        active = sum(1 for j in ctx.state.jobs.values() if lifecycle.status_at(j.schedule, ctx.now) in ACTIVE)
        if active >= QUOTA:
            raise VendorError(429, envelope.MSG_QUOTA.format(limit=QUOTA), kind="rate_limited")
        job = self.jobs.create(ctx.state, kind, {
            "name": body.get("name"), "timezone": str(zone_name), "format": body.get("format", "csv"),
            "start": start, "end": end, **_payload_attr(kind, self._calls_payload(ctx.state)),
        }, ctx=ctx)
        return Reply(202, self._document(ctx, job))

    def _zone(self, name: str) -> ZoneInfo:
        if self._zones is None:
            self._zones = available_timezones()
        if name not in self._zones and name != "UTC":
            raise bad(envelope.MSG_INVALID_REPORT, "timezone", f"{name} is not an IANA time zone")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(envelope.MSG_INVALID_REPORT, "timezone", f"{name} is not an IANA time zone") from None

    async def list_report_jobs(self, ctx: Context) -> Reply:
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
        items = [{**self._job_view(ctx, j), "_links": self._links(ctx, j)} for j in jobs]
        # the keys of Talkdesk's published document (data-reports-type-jobs-get): no page counters
        return Reply(200, {"total": total, "count": len(items), "_embedded": {"jobs": items}, "_links": links})

    def _job(self, ctx: Context) -> Job:
        job = ctx.state.jobs.get(ctx.params["id"])
        if job is None or job.collection != ctx.params["type"]:
            raise VendorError(404, envelope.MSG_JOB_NOT_FOUND, kind="not_found")
        return job

    async def get_report_job(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        document = self._document(ctx, job)
        if document["job"]["status"] != "done":
            return Reply(200, document)
        # Done: 300 with a relative Location (seed 002), written with the fake's mount in front so that it
        # resolves here (DESIGN "Redirect targets keep the mount"); 302/303 for clients that must follow it.
        mount = self.mount if ctx.base.endswith(self.mount) else ""
        location = f"{mount}/data/reports/{job.collection}/files/{job.id}"
        return Reply(int(self.config["done_status"]), document, headers={"Location": location})

    async def cancel_report_job(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        status = lifecycle.status_at(job.schedule, ctx.now)
        if status in ACTIVE:
            # A.8 (legacy docs): 200 while the report is not produced yet; the job is canceled.
            self.jobs.rewrite(ctx.state, job, [("canceled", None)])
        elif status != "canceled":
            raise VendorError(403, envelope.MSG_ALREADY_DONE.format(status=status), kind="forbidden")
        return Reply(200, self._document(ctx, job))

    async def get_report_file(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        if lifecycle.status_at(job.schedule, ctx.now) in ACTIVE:
            # Not done yet: 200 with the job, the reference page's "200 (report job execution result)"
            # (docs.talkdesk.com/reference/download-a-report); public clients poll here until the body has entries.
            return Reply(200, self._document(ctx, job))
        if not self._downloadable(job, ctx.now):
            # failed, canceled, deleted or past its 30 days: "its file cannot be accessed" (seed 002, for failed
            # and deleted; canceled INFERRED alike), a 404 as after a delete (A.8)
            raise VendorError(404, envelope.MSG_FILE_NOT_FOUND, kind="not_found")
        link = ctx.presign(_file_key(job))
        # 303 to the file, with the job in the body as the reference page shows (docs.talkdesk.com/reference/
        # download-a-report)
        return Reply(303, self._document(ctx, job), headers={"Location": link})

    async def delete_report_file(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        if not self._downloadable(job, ctx.now):
            raise VendorError(404, envelope.MSG_FILE_NOT_FOUND, kind="not_found")
        self.jobs.rewrite(ctx.state, job, [("deleted", None)])
        return Reply(204)

    def _downloadable(self, job: Job, now: float) -> bool:
        if lifecycle.status_at(job.schedule, now) != "done":
            return False
        done_at = lifecycle.time_of(job.schedule, "done")
        return done_at is not None and now < done_at + FILE_DAYS * 86400

    # --- file format (A.6, A.13) ------------------------------------------------------------------------
    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        match = re.fullmatch(r"reports/(\w+)/([0-9a-f-]{36})\.(csv|json|jsonl)", key)
        state = self.runtime.store.find(self.name, tenant)
        if match is None or state is None:
            return None
        job = state.jobs.get(match.group(2))
        if job is None or not self._downloadable(job, self.runtime.clock.now()):
            return None
        return self._file(tenant, job)

    def file_keys(self, state: TenantState, job: Job) -> list[str]:
        return [_file_key(job)] if self._downloadable(job, self.runtime.clock.now()) else []

    def _file(self, tenant: str, job: Job) -> FileBody:
        fmt = job.attrs["format"]

        keys = records.file_keys(job.collection, _payload(job))

        def chunks() -> Any:
            return batched_lines(records.encode(fmt, self._records(tenant, job), keys))

        content_type = {"csv": "text/csv", "json": "application/json", "json_bulk": "application/x-ndjson"}[fmt]
        return FileBody(content_type, chunks, key=("talkdesk", tenant, job.id), sizes=self.runtime.sizes,
                        filename=_file_key(job).rsplit("/", 1)[1])

    def _records(self, tenant: str, job: Job) -> Any:
        """The report's records (records/talkdesk.py): times in UTC, whatever the job's zone (the docs say
        start_at and end_at are UTC, and the current calls payload writes them with Z)."""
        a = job.attrs
        return records.records(job.collection, seed=self.runtime.settings.seed, tenant=tenant, job_id=job.id,
                               start=a["start"], end=a["end"], pools=self.runtime.pools,
                               count=records_for(a.get("volume"), a["start"], a["end"]), payload=_payload(job))


# --- helpers ------------------------------------------------------------------------------------------
def _payload_attr(kind: str, payload: str) -> dict[str, str]:
    """The calls payload a job keeps for its life (only the reports that have two)."""
    return {"calls_payload": payload} if kind in records.PAYLOAD_REPORTS else {}


def _payload(job: Job) -> str:
    # a job without one was made before the setting existed (a state file of then): the default payload
    return str(job.attrs.get("calls_payload", records.PAYLOADS[0]))


def _file_key(job: Job) -> str:
    ext = {"csv": "csv", "json": "json", "json_bulk": "jsonl"}[job.attrs["format"]]
    return f"reports/{job.collection}/{job.id}.{ext}"


VENDOR = Talkdesk
