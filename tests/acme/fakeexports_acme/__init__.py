"""Acme Exports, a fifth vendor in a package of its own: a generic asynchronous export API, of fakeexports' design
(acme.yaml). It is three files (this module, its spec and its fixtures) and a pyproject.toml entry point, and it
uses only the core's declarations and hooks: a Lifecycle with a forceable failure, a callback and a day of
retention; ids; an option; keyset pages with opaque tokens; a CSV file sized lazily behind a presigned link;
and a Recipe, by which the shared contract suite tests it like every other vendor."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from aiohttp import web

from fakeexports.errors import VendorError, Violation
from fakeexports.files import FileBody, csv_lines, hex_id, rng
from fakeexports.jobs import Ids
from fakeexports.lifecycle import Effect, Lifecycle
from fakeexports.options import Option
from fakeexports.recipe import Call, Recipe
from fakeexports.specs import Operation
from fakeexports.store import Job, TenantState, records_for
from fakeexports.times import parse_rfc3339, stamp
from fakeexports.vendor import Context, Reply, Vendor

KEY = re.compile(r"^ak_[a-z0-9_]{3,40}$")
FILE_KEY = re.compile(r"exports/(exp_[0-9a-f]{32})\.csv")
CODES = {400: "invalid_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 429: "rate_limited"}
COLUMNS = {"events": ("event_id", "occurred_at", "kind", "amount"),
           "invoices": ("invoice_id", "issued_at", "customer", "total_cents")}
ENDED = (Effect("notify", notify=True),)


class Acme(Vendor):
    name: ClassVar[str] = "acme"
    mount: ClassVar[str] = "/acme"
    hosts: ClassVar[tuple[str, ...]] = ("api.acme.test",)
    specs: ClassVar[dict[str, str]] = {"v1": "acme.yaml"}
    fixtures_file: ClassVar[str | None] = "fixtures.yaml"
    lifecycle: ClassVar[Lifecycle] = Lifecycle(
        steps=(("queued", 5.0), ("running", 20.0), ("succeeded", None)),
        terminal=frozenset({"succeeded", "failed"}),
        forceable={"failed": frozenset({"queued", "running"}), "succeeded": frozenset({"queued", "running"})},
        on_enter={"succeeded": ENDED, "failed": ENDED},
        retention={"succeeded": 86400.0, "failed": 86400.0},
    )
    ids: ClassVar[Ids] = Ids("acme-export", kind="sid", prefix="exp_")
    options: ClassVar[tuple[Option, ...]] = (
        Option("link_seconds", int, 300, "how long a file link stays valid", minimum=1),
    )
    recipe: ClassVar[Recipe] = Recipe(
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
    )

    # --- auth -> tenant, envelope ---------------------------------------------------------------------
    def authenticate(self, request: web.Request, op: Operation) -> str:
        key = request.headers.get("X-Api-Key", "")
        if not KEY.match(key):
            raise VendorError(401, "A valid X-Api-Key header is required", kind="auth")
        return key

    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        code = err.code or CODES.get(err.status, "unavailable" if err.status >= 500 else "error")
        return Reply(err.status, {"error": {"code": str(code), "message": err.message}}, headers=err.headers or None)

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        if v.location == "path":
            return VendorError(404, "No such export", kind="not_found")
        return VendorError(400, f"{v.name or v.location}: {v.message}", kind="validation")

    # --- lifecycle --------------------------------------------------------------------------------------
    def notify(self, state: TenantState, job: Job, at: float) -> None:
        url = job.attrs.get("callback_url")
        if url:
            self.runtime.webhooks.schedule(self.name, state.tenant, "POST", url,
                                           {"id": job.id, "status": self.jobs.status(job, at)})

    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """fixtures.yaml: per API key, ``exports`` (dataset, from, to, age_seconds, outcome)."""
        state = self.runtime.store.tenant(self.name, tenant)
        now = self.runtime.clock.now()
        for item in spec.get("exports") or []:
            attrs = {"dataset": str(item["dataset"]), "from": parse_rfc3339(str(item["from"])),
                     "to": parse_rfc3339(str(item["to"])), "callback_url": None}
            job = self.jobs.create(state, "exports", attrs, created=now - float(item.get("age_seconds", 0)),
                                   fixture=True)
            if item.get("outcome"):
                self.force(state, job, str(item["outcome"]))

    # --- handlers (by operationId) ----------------------------------------------------------------------
    async def create_export(self, ctx: Context) -> Reply:
        body = ctx.body
        start, end = parse_rfc3339(body["from"]), parse_rfc3339(body["to"])
        if not start < end <= ctx.now:
            raise VendorError(400, "from must be before to, and to not in the future", kind="validation")
        job = self.jobs.create(ctx.state, "exports", {"dataset": body["dataset"], "from": start, "to": end,
                                                      "callback_url": body.get("callback_url")}, ctx=ctx)
        return Reply(202, self._export(ctx.tenant, job, ctx.now))

    async def list_exports(self, ctx: Context) -> Reply:
        limit, cursor = ctx.params.get("limit", 20), ctx.params.get("cursor")
        scope = f"acme/{ctx.tenant}/exports"
        before = None
        if cursor:
            found = self.runtime.tokens.decode(cursor, scope)
            if found is None or not found[1].isdigit():
                raise VendorError(400, "cursor: not a cursor this list gave", kind="validation")
            before = int(found[1])
        page = ctx.state.collection("exports").descending(limit, before=before)
        token = self.runtime.tokens.encode(scope, "n", page.items[-1].seq) if page.more and page.items else None
        return Reply(200, {"items": [self._export(ctx.tenant, j, ctx.now) for j in page.items], "next_cursor": token})

    async def get_export(self, ctx: Context) -> Reply:
        return Reply(200, self._export(ctx.tenant, self._job(ctx), ctx.now))

    async def download_export(self, ctx: Context) -> Reply:
        job = self._job(ctx)
        if self.jobs.status(job, ctx.now) != "succeeded":
            raise VendorError(409, "The export has no file: it has not succeeded", kind="conflict")
        link = ctx.presign(f"exports/{job.id}.csv", ttl=int(self.config["link_seconds"]))
        return Reply(302, None, headers={"Location": link})

    async def delete_export(self, ctx: Context) -> Reply:
        self.jobs.remove(ctx.state, self._job(ctx))
        return Reply(204)

    def _job(self, ctx: Context) -> Job:
        job = ctx.state.jobs.get(ctx.params["export_id"])
        if job is None:
            raise VendorError(404, "No such export", kind="not_found")
        return job

    def _export(self, tenant: str, job: Job, now: float) -> dict[str, Any]:
        status = self.jobs.status(job, now)
        done = status == "succeeded"
        finished = job.schedule[-1][0] if status in self.lifecycle.terminal else None
        return {"id": job.id, "dataset": job.attrs["dataset"], "status": status,
                "from": stamp(job.attrs["from"]), "to": stamp(job.attrs["to"]), "created_at": stamp(job.created),
                "finished_at": stamp(finished) if finished is not None else None,
                "rows": self._rows(tenant, job) if done else None,
                "bytes": self._file(tenant, job).size if done else None}

    # --- file -------------------------------------------------------------------------------------------
    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        match = FILE_KEY.fullmatch(key)
        state = self.runtime.store.find(self.name, tenant)
        job = state.jobs.get(match.group(1)) if match and state else None
        if job is None or self.jobs.status(job, self.runtime.clock.now()) != "succeeded":
            return None
        return self._file(tenant, job)

    def file_keys(self, state: TenantState, job: Job) -> list[str]:
        return [f"exports/{job.id}.csv"] if self.jobs.status(job, self.runtime.clock.now()) == "succeeded" else []

    def _rows(self, tenant: str, job: Job) -> int:  # the tenant's records_per_day when it was made, if it had one
        volume = records_for(job.attrs.get("volume"), job.attrs["from"], job.attrs["to"])
        return rng(self.runtime.settings.seed, "acme-rows", tenant, job.id).randint(5, 200) if volume is None else volume

    def _file(self, tenant: str, job: Job) -> FileBody:
        seed, dataset = self.runtime.settings.seed, job.attrs["dataset"]
        start, span, n = job.attrs["from"], job.attrs["to"] - job.attrs["from"], self._rows(tenant, job)

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
                        sizes=self.runtime.sizes, filename=f"{job.id}.csv")


VENDOR = Acme
