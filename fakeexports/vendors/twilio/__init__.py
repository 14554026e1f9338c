"""Twilio Bulk Exports v1 (https://bulkexports.twilio.com), mounted at /twilio. Spec: specs/twilio.yaml;
facts and sources: vendors/twilio.md (section numbers below are its). Custom jobs run day by day through
a per-account queue, up to three at a time; each finished day with records becomes a gzipped JSON-lines file
behind a presigned link."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web

from ... import lifecycle
from ...errors import VendorError, Violation
from ...files import hex_id
from ...jobs import Ids
from ...lifecycle import KEPT_SECONDS, REMOVE, Effect, Lifecycle, Progress
from ...options import Option
from ...pagination import Page
from ...recipe import Recipe
from ...records import twilio as records
from ...specs import Operation
from ...store import Job, TenantState
from ...times import stamp
from ...vendor import Context, Reply, Vendor
from ...wire import dumps
from . import envelope, fixtures, queue
from .days import DayFiles
from .queue import DAY_SECONDS, DELETE_SECONDS, FINISHED, OPEN, RETRY_SECONDS, SUBMIT_SECONDS
from .recipe import RECIPE

ENDED = (Effect("finished"), Effect("notify", notify=True))
TENANT = web.RequestKey("twilio_account", str)
RESOURCE_TYPES = records.RESOURCE_TYPES
DEFAULT_CONFIG = {"enabled": False, "webhook_url": None, "webhook_method": None}


class Twilio(DayFiles, Vendor):
    fixture_ids = ("job_sid",)
    name: ClassVar[str] = "twilio"
    mount: ClassVar[str] = "/twilio"
    hosts: ClassVar[tuple[str, ...]] = ("bulkexports.twilio.com",)
    specs: ClassVar[dict[str, str]] = {"v1": "twilio.yaml"}
    # A real curl of .../Messages/Days/ answered the list (tigerfarm/work twiliocli/README.md).
    trailing_slash: ClassVar[bool] = True
    # A2: Submitted -> Running, a day at a time -> Completed; ErrorDuringRun "is not a final status, the job will
    # be retried"; Failed is final; a deleted running job is RunningToBeDeleted, then gone. Each finished day's
    # file appears as it is done; a finished job calls its webhook (A3).
    lifecycle: ClassVar[Lifecycle] = Lifecycle(
        steps=(("Submitted", SUBMIT_SECONDS), ("Running", DAY_SECONDS), ("Completed", None)),
        terminal=FINISHED,
        forceable={status: OPEN for status in ("ErrorDuringRun", "Failed", "Completed", "CompletedEmptyRecords")},
        resumes={"ErrorDuringRun": RETRY_SECONDS},
        on_enter={"Completed": ENDED, "CompletedEmptyRecords": ENDED, "Failed": ENDED,
                  "DeletedByUserRequest": (REMOVE,)},
        # Twilio documents no retention for jobs (their files go after 7 days): KEPT_SECONDS, INFERRED
        retention={status: KEPT_SECONDS for status in ("Completed", "CompletedEmptyRecords", "Failed")},
        progress=Progress("Running", DAY_SECONDS, "n_days", Effect("publish_day"),
                          finish=frozenset({"Completed", "CompletedEmptyRecords"})),
    )
    ids: ClassVar[Ids] = Ids("twilio-job", kind="sid", prefix="JS")  # ^JS[0-9a-fA-F]{32}$ (A2)
    recipe: ClassVar[Recipe] = RECIPE
    options: ClassVar[tuple[Option, ...]] = (
        Option("days_per_day", int, 366, "days an account may request per UTC day (twilio.com/docs/usage/bulkexport; "
               "0 turns the quota off)", minimum=0),
    )

    def setup(self) -> None:
        self.requests = 0  # answers so far (Twilio-Request-Id)
        self._auth_cache: dict[str | None, str] = {}  # Authorization header -> tenant (credentials are fixed)
        self.inflight: dict[str, int] = {}  # an account's requests between authentication and answer

    # --- auth -> tenant ---------------------------------------------------------------------------------
    def authenticate(self, request: web.Request, op: Operation) -> str:
        tenant = self._account(request.headers.get("Authorization"))
        request[TENANT] = tenant
        self.inflight[tenant] = self.inflight.get(tenant, 0) + 1  # until its answer (response_headers)
        return tenant

    def _account(self, header: str | None) -> str:
        tenant = self._auth_cache.get(header) if header else None
        if tenant is None:
            tenant, password = envelope.account(self.runtime.credentials, header)
            state = self.runtime.store.tenant(self.name, tenant)
            if password is not None and state.get("twilio", "auth_token") != password:
                state.put("twilio", "auth_token", password)  # what the account's webhooks are signed with
            if len(self._auth_cache) > 4096:
                self._auth_cache.clear()
            self._auth_cache[header] = tenant
        return tenant

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        """``auth_token``: what the account's webhooks are signed with (by default the credentials file's, or the
        token the account last authenticated with)."""
        unknown = sorted(set(settings) - {"auth_token"})
        if unknown:
            raise VendorError(400, f"unknown Twilio tenant settings {unknown}; known: ['auth_token']")
        token = settings.get("auth_token")
        if token is not None:
            if not isinstance(token, str) or not token:
                raise VendorError(400, "auth_token must be a non-empty string")
            state.put("settings", "auth_token", token)
        return dict(state.items("settings"))

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str] | None:
        """X-Twilio-Signature: base64 HMAC-SHA1 keyed with the account's auth token over the URL as sent, then for a
        POST each parameter's name and value sorted by name (twilio.com/docs/usage/webhooks/webhooks-security;
        twilio/twilio-python twilio/request_validator.py checks it). No known auth token: no header."""
        state = self.runtime.store.find(self.name, tenant)
        listed = [e["auth_token"] for e in self.runtime.credentials.entries(self.name) or []
                  if e.get("account_sid") == tenant and e.get("auth_token")]
        token = (state.get("settings", "auth_token") if state else None) or (
            listed[0] if listed else state.get("twilio", "auth_token") if state else None)
        if not token:
            return None
        return {"X-Twilio-Signature": envelope.signature(str(token), method, url, payload)}

    # --- envelope ---------------------------------------------------------------------------------------
    def response_headers(self, request: web.Request, reply: Reply) -> dict[str, str]:
        """The platform's headers (envelope.CORS has the sources): a request id, the account's requests in flight
        (counted from authentication to this answer), the duration, Vary: Origin, and CORS for a request with an
        Origin."""
        self.requests += 1
        tenant = request.get(TENANT)
        concurrent = self.inflight.pop(tenant, 1) if tenant is not None else 1
        if concurrent > 1:
            self.inflight[tenant] = concurrent - 1  # type: ignore[index]
        headers = {"Twilio-Concurrent-Requests": str(concurrent),
                   "Twilio-Request-Id": "RQ" + hex_id(self.runtime.settings.seed, "twilio-request", self.requests),
                   "Twilio-Request-Duration": f"{0.03 + (self.requests % 97) / 1000:.3f}", "Vary": "Origin"}
        if "Origin" in request.headers:
            headers.update(envelope.CORS)
        return headers

    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        return Reply(err.status, envelope.error_body(err), headers=err.headers or None)

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        if v.location == "path":
            # A malformed JobSid, Day or unknown ResourceType names no resource: Twilio answers 404.
            return self.route_not_found(request)
        if v.rule == "required":
            return VendorError(400, envelope.MSG_REQUIRED.format(name=v.name), kind="validation")
        name = v.name or ("request body" if v.location == "body" else v.location)
        return VendorError(400, envelope.MSG_INVALID.format(name=name, detail=v.message), kind="validation")

    def route_not_found(self, request: web.Request) -> VendorError:
        return VendorError(404, envelope.MSG_NOT_FOUND.format(path=_vendor_path(request)), kind="not_found")

    # --- pagination (A4) --------------------------------------------------------------------------------
    def _mint(self, scope: str, direction: str, key: object) -> str:
        return self.runtime.tokens.encode(f"twilio/{scope}", direction, key, prefix="PT")

    def _token(self, token: str, scope: str, key_pattern: str) -> tuple[str, str]:
        return envelope.read_token(self.runtime.tokens, token, f"twilio/{scope}", key_pattern)

    # --- lifecycle --------------------------------------------------------------------------------------
    def _day_statuses(self, state: TenantState, job: Job, now: float) -> list[tuple[str, str]]:
        return queue.day_statuses(job, now, lambda index, day: self._empty(state, job, index, day))

    def _empty(self, state: TenantState, job: Job, index: int, day: str) -> bool:
        """A day without records (or after a forced CompletedEmptyRecords) is not listed: a real Days list skipped
        such days (tigerfarm/work twiliocli/README.md; AbdoJohanen/twilio-bulkexport-csv-tool download.js); its Day
        endpoint serves an empty file (days.py)."""
        empty_from = job.attrs.get("empty_from")
        if empty_from is not None and index >= empty_from:
            return True
        volume = job.attrs.get("volume")
        return (volume if volume is not None else self._record_count(state.tenant, job.collection, day)) == 0

    # effects (the lifecycle above names them)
    def publish_day(self, state: TenantState, job: Job, at: float, index: int) -> None:
        """A day of the job is done: its file appears in the Days list, or, without records, only at its Day
        endpoint as an empty file (a file with records made for that day before stays)."""
        day = queue.days(job.attrs["start_day"], job.attrs["n_days"])[index]
        rt = job.collection
        empty = self._empty(state, job, index, day)
        name = f"empty/{rt}" if empty else f"days/{rt}"
        if empty and state.index(f"days/{rt}").get(day) is not None:
            return
        if not empty:
            state.index_drop(f"empty/{rt}", day)
        new = state.index(name).get(day) is None  # a day made again keeps its one expiry event, moved on
        state.index_put(name, day, {"day": day, "resource_type": rt, "friendly_name": job.attrs["friendly_name"],
                                    "made_at": at, "create_date": stamp(at, "date"),
                                    "volume": 0 if empty else job.attrs.get("volume")})
        if new:
            self._expire_at(state, name, day, at)

    def finished(self, state: TenantState, job: Job, at: float) -> None:
        state.touch()  # the queue moved on: positions of the jobs behind changed

    def notify(self, state: TenantState, job: Job, at: float) -> None:
        """A3: a finished job calls its webhook with form data including status=completed; the rest of the
        payload is UNVERIFIED."""
        if job.attrs.get("webhook_url"):
            status = lifecycle.status_at(job.schedule, at)
            self.runtime.webhooks.schedule(self.name, state.tenant, job.attrs.get("webhook_method") or "POST",
                                           job.attrs["webhook_url"], {
                                               "AccountSid": state.tenant, "JobSid": job.id,
                                               "ResourceType": job.collection,
                                               "FriendlyName": job.attrs["friendly_name"],
                                               "status": "failed" if status == "Failed" else "completed",
                                           })

    def created(self, state: TenantState, job: Job) -> None:
        state.put("twilio", "queue", [*(state.get("twilio", "queue") or []), job.id])

    def removed(self, state: TenantState, job: Job) -> None:
        ids = state.get("twilio", "queue") or []
        if job.id in ids:
            state.put("twilio", "queue", [i for i in ids if i != job.id])

    def forced(self, state: TenantState, job: Job, outcome: str, previous: str) -> None:
        if outcome == "CompletedEmptyRecords":  # the days finished before keep their files, the rest have none
            ran = lifecycle.time_in(job.schedule, "Running", self.runtime.clock.now())
            job.own()["empty_from"] = min(int(job.attrs["n_days"]), int(ran // DAY_SECONDS))

    def describe_extra(self, state: TenantState, job: Job) -> dict[str, Any]:
        return {"days": dict(self._day_statuses(state, job, self.runtime.clock.now()))}

    def file_keys(self, state: TenantState, job: Job) -> list[str]:  # the job's finished days, while kept
        return [envelope.file_key(state.tenant, job.collection, day) for day, status in
                self._day_statuses(state, job, self.runtime.clock.now())
                if status in ("Completed", "CompletedEmptyRecords") and self._day_record(state, job.collection, day)]

    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        state = self.runtime.store.tenant(self.name, tenant)
        if spec.get("settings"):
            self.configure_tenant(state, dict(spec["settings"]))
        for item in fixtures.jobs(tenant, spec, self.runtime.clock.now()):
            job = self.create_job(state, item.resource_type, item.created, item.attrs, item.job_sid, fixture=True)
            if item.outcome:
                self.force(state, job, item.outcome)
        for rt, config in fixtures.configurations(spec).items():
            state.put("twilio_config", rt, config)

    # --- representation ---------------------------------------------------------------------------------
    def _job_body(self, state: TenantState, job: Job, now: float, position: int | None) -> dict[str, Any]:
        return envelope.job_body(job, self._day_statuses(state, job, now), position)

    def _positions(self, state: TenantState, now: float) -> dict[str, int]:
        return {j.id: i + 1 for i, j in enumerate(queue.queue(state, now))}

    def _job(self, ctx: Context) -> Job:
        job = ctx.state.jobs.get(ctx.params["JobSid"])
        if job is None or lifecycle.status_at(job.schedule, ctx.now) == "DeletedByUserRequest":
            raise self.route_not_found(ctx.request)
        return job

    # --- handlers (by operationId) ----------------------------------------------------------------------
    async def fetch_export(self, ctx: Context) -> Reply:
        rt = ctx.params["ResourceType"]
        return Reply(200, {"resource_type": rt, "url": ctx.url(f"/v1/Exports/{rt}"), "links": {
            "days": ctx.url(f"/v1/Exports/{rt}/Days"), "export_custom_jobs": ctx.url(f"/v1/Exports/{rt}/Jobs"),
            "jobs": ctx.url("/v1/Exports/Jobs")}})

    def _configuration(self, ctx: Context) -> dict[str, Any]:
        rt = ctx.params["ResourceType"]
        stored = ctx.state.get("twilio_config", rt) or DEFAULT_CONFIG
        return {**stored, "resource_type": rt, "url": ctx.url(f"/v1/Exports/{rt}/Configuration")}

    async def fetch_export_configuration(self, ctx: Context) -> Reply:
        return Reply(200, self._configuration(ctx))

    async def update_export_configuration(self, ctx: Context) -> Reply:
        rt = ctx.params["ResourceType"]
        body = ctx.body or {}
        current = dict(ctx.state.get("twilio_config", rt) or DEFAULT_CONFIG)
        for field, key in (("Enabled", "enabled"), ("WebhookUrl", "webhook_url"), ("WebhookMethod", "webhook_method")):
            if field in body:
                current[key] = body[field] if body[field] != "" else None  # an empty value clears it
        ctx.state.put("twilio_config", rt, current)
        return Reply(200, self._configuration(ctx))

    async def create_export_custom_job(self, ctx: Context) -> Reply:
        body = ctx.body
        rt = ctx.params["ResourceType"]
        start, end = envelope.parse_day(body["StartDay"], "StartDay"), envelope.parse_day(body["EndDay"], "EndDay")
        latest = datetime.fromtimestamp(ctx.now, UTC).date() - timedelta(days=2)
        if end > latest:
            raise VendorError(400, envelope.MSG_END_DAY_RECENT.format(latest=latest.isoformat()), kind="validation")
        if start > end:
            raise VendorError(400, envelope.MSG_DAY_ORDER, kind="validation")
        if ("WebhookUrl" in body) != ("WebhookMethod" in body):
            raise VendorError(400, envelope.MSG_WEBHOOK_PAIR, kind="validation")
        n_days = (end - start).days + 1
        queue.charge_quota(ctx.state, ctx.now, n_days, self.config["days_per_day"])
        job = self.create_job(ctx.state, rt, ctx.now, {
            "friendly_name": body["FriendlyName"], "start_day": start.isoformat(), "end_day": end.isoformat(),
            "webhook_url": body.get("WebhookUrl"), "webhook_method": body.get("WebhookMethod"),
            "email": body.get("Email"),
        }, ctx=ctx)
        body = self._job_body(ctx.state, job, ctx.now, self._positions(ctx.state, ctx.now).get(job.id))
        # A create answers details null: two real answers (2020 and 2022) show it so (tigerfarm/work@388d561
        # twiliocli/README.md); the days appear in details from the first fetch on.
        body["details"] = None
        return Reply(201, body)

    def create_job(self, state: TenantState, rt: str, created: float, attrs: dict[str, Any],
                   job_sid: str | None = None, *, ctx: Context | None = None, fixture: bool = False) -> Job:
        """A job of the API or a fixture, queued behind the account's other jobs: it starts when a slot is free."""
        n_days = (date.fromisoformat(attrs["end_day"]) - date.fromisoformat(attrs["start_day"])).days + 1
        start = queue.start_time(created, [j.schedule[-1][0] for j in queue.queue(state, self.runtime.clock.now())])
        return self.jobs.create(state, rt, {**attrs, "n_days": n_days}, created=created, job_id=job_sid,
                                schedule=queue.schedule(created, start, n_days), ctx=ctx, fixture=fixture)

    async def list_export_custom_job(self, ctx: Context) -> Reply:
        rt = ctx.params["ResourceType"]
        size, page, token = ctx.params.get("PageSize", 50), ctx.params.get("Page", 0), ctx.params.get("PageToken")
        state = ctx.state
        cache_key = ("jobs", rt, size, page, token, ctx.base)
        cached = state.cache.get(cache_key)
        if cached is not None and ctx.now < cached[1]:
            return Reply(200, cached[0], content_type="application/json", fresh_until=cached[1])
        scope = f"{state.tenant}/jobs/{rt}"
        direction, key = self._token(token, scope, r"\d+") if token else ("n", None)
        seq = int(key) if key is not None else None
        coll = state.collection(rt)
        if direction == "n":  # newest first: the page after `seq`, or the page number's
            found = coll.descending(size, before=seq, offset=0 if token else page * size)
            jobs, more, has_prev = found.items, found.more, page > 0
        else:  # a previous-page token: the `size` jobs just newer than `seq`, shown newest first
            found = coll.ascending(size, after=seq)
            jobs, more, has_prev = found.items[::-1], True, found.more
        positions = self._positions(state, ctx.now)
        body = {
            "jobs": [self._job_body(state, j, ctx.now, positions.get(j.id)) for j in jobs],
            "meta": envelope.page_meta(
                ctx, "jobs", f"/v1/Exports/{rt}/Jobs", size, page, token,
                self._mint(scope, "n", jobs[-1].seq) if jobs and more else None,
                self._mint(scope, "p", jobs[0].seq) if jobs and has_prev else None,
            ),
        }
        data = dumps(body)
        changes = [c for c in (queue.next_change(j, ctx.now) for j in queue.queue(state, ctx.now)) if c is not None]
        until = state.cache[cache_key] = (data, min(changes, default=float("inf")))
        return Reply(200, data, content_type="application/json", fresh_until=until[1])

    async def fetch_job(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        body = self._job_body(ctx.state, job, ctx.now, self._positions(ctx.state, ctx.now).get(job.id))
        body["url"] = ctx.url(f"/v1/Exports/Jobs/{job.id}")
        return Reply(200, body)

    async def delete_job(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        status = lifecycle.status_at(job.schedule, ctx.now)
        if status in ("Running", "ErrorDuringRun"):
            # A running job is marked and goes a short while later (A2: RunningToBeDeleted).
            self.jobs.rewrite(ctx.state, job, [("RunningToBeDeleted", DELETE_SECONDS), ("DeletedByUserRequest", None)])
        elif status != "RunningToBeDeleted":
            self.jobs.remove(ctx.state, job)
            if status == "Submitted":
                queue.requeue(self.jobs, ctx.state, ctx.now)
        return Reply(204)

    async def list_day(self, ctx: Context) -> Reply:
        rt = ctx.params["ResourceType"]
        size, page, token = ctx.params.get("PageSize", 50), ctx.params.get("Page", 0), ctx.params.get("PageToken")
        days = ctx.state.index(f"days/{rt}")
        scope = f"{ctx.tenant}/days/{rt}"
        if token:
            direction, key = self._token(token, scope, r"\d{4}-\d{2}-\d{2}")
            if direction == "n":
                found = days.ascending(size, after=key)
            else:  # the `size` days just before `key`
                back = days.descending(size, before=key)
                found = Page(back.items[::-1], True, back.more)
        else:
            found = days.ascending(size, offset=page * size)
        chunk, more, earlier = found.items, found.more, found.earlier
        body = {
            "days": [
                {"day": r["day"], "size": self._file(ctx.tenant, rt, r["day"], r.get("volume")).size,
                 "create_date": r["create_date"], "friendly_name": r["friendly_name"], "resource_type": rt}
                for r in chunk
            ],
            "meta": envelope.page_meta(
                ctx, "days", f"/v1/Exports/{rt}/Days", size, page, token,
                self._mint(scope, "n", chunk[-1]["day"]) if chunk and more else None,
                self._mint(scope, "p", chunk[0]["day"]) if chunk and earlier and page > 0 else None,
            ),
        }
        return Reply(200, body)

    async def fetch_day(self, ctx: Context) -> Reply:
        rt, day = ctx.params["ResourceType"], ctx.params["Day"]
        if self._day_record(ctx.state, rt, day) is None:  # a day without records too: its file is empty
            raise self.route_not_found(ctx.request)
        link = ctx.presign(envelope.file_key(ctx.tenant, rt, day))
        # 307 with a JSON body: the SDK reads redirect_to from the body and never follows Location (A7).
        return Reply(307, {"redirect_to": link}, headers={"Location": link})


def _vendor_path(request: web.Request) -> str:
    path = request.path
    return path[len(Twilio.mount):] if path.startswith(Twilio.mount + "/") else path


VENDOR = Twilio
