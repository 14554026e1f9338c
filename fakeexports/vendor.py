"""What every vendor module provides (fakeexports/vendors/<name>.py defines one Vendor subclass), and the
Context a handler receives and the Reply it returns. A vendor module's shape, in order: auth -> tenant,
envelope, pagination, lifecycle, handlers named after operationIds, file format."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web

from . import options as opts
from .errors import VendorError, Violation
from .files import FileBody
from .jobs import Ids, Jobs
from .lifecycle import Lifecycle
from .options import Option
from .recipe import Recipe
from .specs import Operation, data_dir
from .store import VOLUME, VOLUME_LIMIT, Job, TenantState

if TYPE_CHECKING:
    from .runtime import Runtime


@dataclass(slots=True)
class Reply:
    """What a handler answers. ``body``: a JSON-able value (serialized with orjson), raw ``bytes``, or None
    for no body; ``file``: a streamed file instead of a body; ``etag``: add a weak ETag of the body."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    content_type: str | None = None
    file: FileBody | None = None
    etag: bool = False
    # a GET's answer holds until then unless the tenant's state changes (fresh.py); None: made each time
    fresh_until: float | None = None


@dataclass(slots=True)
class Context:
    """One request as a handler sees it: who (tenant), what (params, body), and where to point URLs."""

    request: web.Request
    runtime: Runtime
    vendor: Vendor
    op: Operation
    tenant: str
    params: dict[str, Any]  # checked path, query and header values; shared by identical requests: read only
    body: Any
    base: str  # origin + mount, e.g. http://127.0.0.1:8080/twilio

    @property
    def now(self) -> float:
        return self.runtime.clock.now()

    @property
    def state(self) -> TenantState:
        return self.runtime.store.tenant(self.vendor.name, self.tenant)

    def url(self, path: str, query: dict[str, Any] | list[tuple[str, Any]] | None = None) -> str:
        """An absolute URL on the fake, under this vendor's mount."""
        text = self.base + path
        if query:
            text += "?" + urlencode(query, safe=",")
        return text

    @property
    def origin(self) -> str:
        """Scheme and host the client reached (the base without the vendor's mount)."""
        mount = self.vendor.mount
        return self.base[: len(self.base) - len(mount)] if mount and self.base.endswith(mount) else self.base

    def presign(self, key: str, ttl: int | None = None) -> str:
        """A presigned link to the tenant's file ``key`` on the S3 stand-in (valid ``ttl`` seconds)."""
        return self.runtime.signer.presign(self.origin, self.vendor.name, self.tenant, key, ttl)


class Vendor:
    """Base of the vendor modules. Class attributes describe the vendor; methods are hooks the generic
    request pipeline calls. Handlers are methods named after the spec's operationIds in snake case.
    One instance per app: per-app mutable state lives on it, never in the module."""

    name: ClassVar[str]
    mount: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]] = ()  # the real host names (wildcards: *.example.com), for the proxy too
    host_path: ClassVar[str] = ""  # where the spec's paths begin on those hosts (DIDWW: /v3)
    specs: ClassVar[dict[str, str]]  # spec key (an API version) -> file name in specs/
    json_type: ClassVar[str] = "application/json"
    trailing_slash: ClassVar[bool] = False  # whether every path also answers with a trailing "/"
    fixture_ids: ClassVar[tuple[str, ...]] = ("id",)  # fixture keys naming one job: never repeated (fixtures.py)
    fixtures_file: ClassVar[str | None] = None  # a vendor from another package: its fixture file, beside its module
    options: ClassVar[tuple[Option, ...]] = ()  # switches of the vendor's own (options.py)
    lifecycle: ClassVar[Lifecycle] = Lifecycle(steps=(("created", None),))  # its jobs' statuses (lifecycle.py)
    ids: ClassVar[Ids] = Ids("job")  # how its job ids look (jobs.py)
    recipe: ClassVar[Recipe | None] = None  # how a client drives an export end to end (recipe.py; the shared suite)

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.extra: dict[str, Any] = {}
        given = dict(runtime.settings.options)
        self.config: dict[str, Any] = {}  # the declared options' values now (settings, then the control API)
        self.config_version = 0  # bumped by every configure(): what depended on the options is void
        for option in self.options:
            value = given.get(opts.key(self.name, option), option.default)
            try:
                self.config[option.name] = option.check(value)
            except ValueError as exc:
                raise ValueError(f"{opts.key(self.name, option)}: {exc}") from None
        self.jobs = Jobs(self)
        self.setup()

    @classmethod
    def resources(cls) -> Path:
        """Where the vendor's spec and fixture files are: the bundled specs/ for the vendors of this package, the
        vendor module's own folder for a vendor from another package (the fakeexports.vendors entry point)."""
        if cls.__module__.startswith("fakeexports.vendors."):
            return data_dir("specs")
        return Path(sys.modules[cls.__module__].__file__ or ".").resolve().parent

    @classmethod
    def spec_path(cls, filename: str) -> Path:
        return cls.resources() / filename

    @classmethod
    def fixture_path(cls) -> Path | None:
        """The vendor's own fixture file, loaded with the bundled fixtures/ (a vendor from another package);
        None for the vendors of this package, whose fixtures are in fixtures/."""
        if cls.fixtures_file is None or cls.__module__.startswith("fakeexports.vendors."):
            return None
        return cls.resources() / cls.fixtures_file

    def setup(self) -> None:
        """Per-app state of the vendor (timers, caches)."""

    # --- requests -------------------------------------------------------------------------------
    def handler(self, op: Operation) -> Any:
        """The handler of an operation: the method named after its operationId, or None."""
        return getattr(self, op.handler_name, None)

    def spec_key(self, request: web.Request) -> str:
        """Which spec document routes and validates this request (DIDWW picks by version header)."""
        return next(iter(self.specs))

    def authenticate(self, request: web.Request, op: Operation) -> str:
        """The tenant the request's credential names; raise VendorError(401) otherwise."""
        raise NotImplementedError

    def negotiate(self, request: web.Request, op: Operation) -> None:
        """Content negotiation the vendor enforces before reading the request (DIDWW's 415 and 406): raise
        VendorError to refuse it."""

    def response_headers(self, request: web.Request, reply: Reply) -> dict[str, str] | None:
        """Headers the vendor adds to every answer."""
        return None

    # --- errors ---------------------------------------------------------------------------------
    def render_error(self, err: VendorError, request: web.Request) -> Reply:
        """The vendor's own error envelope for ``err``."""
        raise NotImplementedError

    def violation(self, v: Violation, op: Operation, request: web.Request) -> VendorError:
        """A request-validation failure in the vendor's words."""
        return VendorError(400, v.message, kind="validation")

    def route_not_found(self, request: web.Request) -> VendorError:
        return VendorError(404, f"The requested resource {request.path} was not found", kind="not_found")

    def method_not_allowed(self, request: web.Request, allowed: list[str]) -> VendorError:
        return VendorError(
            405, f"Method {request.method} not allowed", kind="method", headers={"Allow": ", ".join(allowed)}
        )

    # --- state hooks ----------------------------------------------------------------------------
    def load_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> None:
        """Load one tenant's part of a fixture file (fixtures/<vendor>.yaml) into the store."""

    def outcome_status(self, outcome: str) -> str:
        """The lifecycle status an outcome's text names (``force`` reads the same text): the text itself, unless the
        vendor spells it its own way (DIDWW's statuses in either version's case, HookBridge's ``failed:message``)."""
        return outcome

    def force(self, state: TenantState, job: Job, status: str) -> None:
        """Force a job into ``status`` from now on (faults, fixtures and the control API use this), as the
        lifecycle's ``forceable`` allows."""
        self.jobs.force(state, job, status)

    def created(self, state: TenantState, job: Job) -> None:
        """A job was just added, its id known, before any of its effects run: what the vendor keeps with it."""

    def forced(self, state: TenantState, job: Job, outcome: str, previous: str) -> None:
        """A job was forced into ``outcome`` from ``previous``: what the vendor keeps besides the schedule."""

    def removed(self, state: TenantState, job: Job) -> None:
        """A job is about to leave the store (its retention ran out, or it was deleted)."""

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The control API's ``POST /_fakeexports/vendors/{vendor}``: change the vendor's declared options at run
        time (checked against their declarations); returns them all."""
        try:
            self.config = opts.update(self.options, self.config, changes)
        except ValueError as exc:
            raise VendorError(400, f"{self.name}: {exc}", kind="validation") from None
        self.config_version += 1
        self.configured(set(changes))
        return dict(self.config)

    def configured(self, changed: set[str]) -> None:
        """Options changed at run time: drop what depended on them (HookBridge's rate windows...)."""

    def reset(self, tenant: str | None) -> None:
        """The store dropped this vendor's state (all of it, or one tenant's): drop per-app caches too."""
        self.jobs.reset(tenant)

    def tenant_settings(self, state: TenantState) -> dict[str, Any]:
        """The tenant's settings now (those ``configure_tenant`` keeps, under the data kind ``settings``)."""
        return dict(state.items("settings"))

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        """Per-tenant settings from the control API (DIDWW's default API version and callback secret...);
        returns the tenant's settings now."""
        raise VendorError(400, f"{self.name} has no tenant settings", kind="validation")

    def answer_token(self, request: web.Request) -> str | None:
        """A text of the answer's body that is this answer's own (a request id, once response_headers made it):
        a kept body (fresh.py) gets the repeat's own in its place. None: the body has none."""
        return None

    def volume_state(self, tenant: str) -> TenantState:
        """The state that holds the volume setting of ``tenant`` as fixtures and the control API name it."""
        return self.runtime.store.tenant(self.name, tenant)

    def set_volume(self, tenant: str, value: Any) -> int:
        """``records_per_day``: how many records a day the tenant's files hold from now on (jobs made before keep
        theirs); every vendor has it. Returns the value set."""
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= VOLUME_LIMIT:
            raise VendorError(400, f"records_per_day must be a whole number from 0 to {VOLUME_LIMIT:,}",
                              kind="validation")
        self.volume_state(tenant).put(*VOLUME, value)
        return value

    def find_job(self, job_id: str) -> tuple[TenantState, Job] | None:
        for state in self.runtime.store.tenants(self.name):
            job = state.jobs.get(job_id)
            if job is not None:
                return state, job
        return None

    def restored(self, state: TenantState) -> None:
        """A tenant's state was read back from a state file (--state) and its jobs re-armed: start again what
        else the vendor keeps on the clock (Twilio's day files expire)."""

    def describe_job(self, state: TenantState, job: Job) -> dict[str, Any]:
        """A vendor-neutral view of a job for the control API: its status now, its schedule, its next change."""
        return self.jobs.describe(state, job)

    def describe_extra(self, state: TenantState, job: Job) -> dict[str, Any]:
        """What the vendor adds to the control API's view of a job (Twilio's days, DIDWW's file id)."""
        return {}

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str] | None:
        """Headers that sign an outgoing webhook or callback, computed over the URL exactly as it is sent (for GET,
        with the payload in its query) and the payload."""
        return None

    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        """The file behind a presigned link on the S3 stand-in, or None."""
        return None

    def file_keys(self, state: TenantState, job: Job) -> list[str]:
        """The S3 stand-in keys of the job's files that can be downloaded now (the dashboard links to them)."""
        return []
