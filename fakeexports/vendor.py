"""A vendor as its package declares it, and as one app serves it. The contract (docs/vendors.md has it whole):

- ``Vendor(...)`` declares the facts as data: name, mount, hosts, spec files per API version, lifecycle, ids,
  options, recipe, timed records. A package defines one, ``VENDOR``, in ``fakeexports/vendors/<name>/__init__.py``
  (or anywhere, registered through the ``fakeexports.vendors`` entry point).
- Functions in any module of the package register on it by decorator: ``@VENDOR.operation("OperationId")`` for every
  operation of its specs (a missing or an unknown one is a startup error), ``@VENDOR.effect("name")`` for every
  Effect its lifecycle names, and ``@VENDOR.hook`` for the hooks it needs beyond the defaults, by name.
- Hooks are small protocols, each with a default (HOOKS lists them): the wire (authenticate and render_error are
  required), the vendor's part of its jobs' lives, tenants, files, callbacks and its own per-app state.
- A VendorApp is the vendor in one app: its options now (with a version counter), its job engine, its hooks bound,
  and ``local``, the per-app object its ``setup`` hook made. Handlers, effects and hooks receive it; two apps in one
  process share nothing.

A vendor author imports everything from ``fakeexports.kit``."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from . import options as opts
from .errors import SpecError, VendorError, Violation
from .files import FileBody
from .jobs import Ids, Jobs, Timed
from .lifecycle import Lifecycle
from .options import Option
from .recipe import Recipe
from .rules import Rule
from .schemacheck import SchemaCheck
from .specs import Operation, data_dir
from .store import VOLUME, VOLUME_LIMIT, Job, TenantState

if TYPE_CHECKING:
    from .runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
ANSWER_ID = web.RequestKey("fakeexports_answer_id", str)


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
    # a GET's answer holds until then unless the tenant's state or the options change (kept.py); None: made each time
    fresh_until: float | None = None


@dataclass(slots=True)
class Context:
    """One request as a handler sees it: who (tenant), what (params, body), and where to point URLs."""

    request: web.Request
    runtime: Runtime
    vendor: VendorApp
    op: Operation
    tenant: str
    params: dict[str, Any]  # checked path, query and header values; shared by identical requests: read only
    body: Any
    base: str  # origin + mount, e.g. http://127.0.0.1:8080/twilio
    made: str | None = None  # the job this request created (the job engine says; the journal keeps it)

    @property
    def now(self) -> float:
        return self.runtime.clock.now()

    @property
    def state(self) -> TenantState:
        return self.runtime.store.tenant(self.vendor.name, self.tenant)

    @property
    def answer_id(self) -> str | None:
        """This answer's id in the vendor's form (a request id), the same one its headers carry."""
        return self.vendor.answer_id(self.request)

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
        return self.runtime.signer.presign(self.origin, self.vendor.name, self.tenant, key, ttl,
                                           shown=self.vendor.tenant_label(self.tenant))


# --- the hooks: small protocols, each with its default -----------------------------------------------------------
def _first_spec(v: VendorApp, request: web.Request) -> str:
    return next(iter(v.specs))


def _nothing(*args: Any) -> None:
    return None


def _authenticate_again(v: VendorApp, request: web.Request, op: Operation, tenant: str | None) -> str | None:
    return v.authenticate(request, op)


def _violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    return VendorError(400, problem.message, kind="validation")


def _not_found(v: VendorApp, request: web.Request) -> VendorError:
    return VendorError(404, f"The requested resource {request.path} was not found", kind="not_found")


def _not_allowed(v: VendorApp, request: web.Request, allowed: list[str]) -> VendorError:
    return VendorError(405, f"Method {request.method} not allowed", kind="method",
                       headers={"Allow": ", ".join(allowed)})


def _as_given(v: VendorApp, tenant: str, spec: dict[str, Any]) -> dict[str, Any]:
    return spec


def _no_tenant_settings(v: VendorApp, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
    raise VendorError(400, f"{v.name} has no tenant settings", kind="validation")


def _tenant_settings(v: VendorApp, state: TenantState) -> dict[str, Any]:
    return dict(state.items("settings"))


def _as_it_is(v: VendorApp, tenant: str) -> str:
    return tenant


def _volume_state(v: VendorApp, tenant: str) -> TenantState:
    return v.runtime.store.tenant(v.name, tenant)


def _outcome_status(v: VendorApp, outcome: str) -> str:
    return outcome


def _force(v: VendorApp, state: TenantState, job: Job, status: str) -> None:
    v.jobs.force(state, job, status)


def _no_extra(v: VendorApp, state: TenantState, job: Job) -> dict[str, Any]:
    return {}


def _no_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:
    return []


# name -> (group, default, what it does). The wire: how requests are read and answers written; jobs: the vendor's
# part in its jobs' lives (the engine times them); tenants: their data and settings; files: what the S3 stand-in
# serves; callbacks: signing outgoing calls; local: the vendor's own per-app state.
HOOKS: dict[str, tuple[str, Callable[..., Any] | None, str]] = {
    "authenticate": ("wire", None, "(v, request, op) -> tenant: the tenant the credential names, or VendorError"),
    "readmit": ("wire", _authenticate_again, "(v, request, op, tenant) -> tenant: a kept answer's request again, "
                "its headers byte for byte those that named tenant: admission (a rate limit) without reading the "
                "credential again, or VendorError; by default authenticate"),
    "render_error": ("wire", None, "(v, error, request) -> Reply: the vendor's own error envelope"),
    "spec_key": ("wire", _first_spec, "(v, request) -> which spec document (API version) routes the request"),
    "negotiate": ("wire", _nothing, "(v, request, op): content negotiation before the body is read"),
    "violation": ("wire", _violation, "(v, violation, op, request) -> VendorError: a validation failure, worded"),
    "route_not_found": ("wire", _not_found, "(v, request) -> VendorError: a path the vendor does not have"),
    "method_not_allowed": ("wire", _not_allowed, "(v, request, allowed) -> VendorError: a method it lacks"),
    "response_headers": ("wire", _nothing, "(v, request, reply) -> headers the vendor adds to every answer"),
    "answer_id": ("wire", _nothing, "(v) -> a new answer's id (a request id), or None: the vendor has none"),
    "outcome_status": ("jobs", _outcome_status, "(v, text) -> the lifecycle status an outcome's text names"),
    "force": ("jobs", _force, "(v, state, job, text): force an outcome (the text may carry more, e.g. a message)"),
    "created": ("jobs", _nothing, "(v, state, job): a job was just made; what the vendor keeps with it"),
    "forced": ("jobs", _nothing, "(v, state, job, outcome, previous): a job was forced"),
    "removed": ("jobs", _nothing, "(v, state, job): a job is about to leave the store"),
    "describe": ("jobs", _no_extra, "(v, state, job) -> what the control API's job view adds"),
    "read_tenant": ("tenants", _as_given, "(v, tenant, spec) -> what load_tenant loads: a tenant's part of a fixture "
                    "document (its schema checked) read, FixtureError for what the schema cannot say; changes nothing"),
    "load_tenant": ("tenants", _nothing, "(v, tenant, read): load what read_tenant made of a tenant's part"),
    "configure_tenant": ("tenants", _no_tenant_settings, "(v, state, settings) -> the tenant's settings changed"),
    "tenant_settings": ("tenants", _tenant_settings, "(v, state) -> the tenant's settings now"),
    "fresh_credentials": ("tenants", _nothing, "(v, token) -> ({field: value}, {header: value}): credentials of a "
                          "tenant nobody has used, made from ``token`` (random hex): what its client is configured "
                          "with and the headers that carry them (the pytest fixture's handle.credentials), or None"),
    "tenant_label": ("tenants", _as_it_is, "(v, tenant) -> the tenant as views show it (a secret key masked)"),
    "credential_tenant": ("tenants", _nothing, "(v, headers) -> the tenant a request's credential names, read "
                          "without admitting it (no count, no refusal), or None: a clock's tenants are found by it "
                          "(clocks.py); a vendor without it cannot put tenants on a clock"),
    "volume_state": ("tenants", _volume_state, "(v, tenant) -> the state that holds a tenant's records_per_day"),
    "s3_object": ("files", _nothing, "(v, tenant, key) -> FileBody or None: the file behind a presigned link"),
    "file_keys": ("files", _no_keys, "(v, state, job) -> the S3 keys of the job's files that exist now"),
    "webhook_headers": ("callbacks", _nothing, "(v, tenant, method, url, payload) -> headers signing a callback"),
    "setup": ("local", _nothing, "(v) -> the vendor's per-app object (VendorApp.local)"),
    "configured": ("local", _nothing, "(v, changed): options changed at run time"),
    "reset": ("local", _nothing, "(v, tenant): the store dropped this vendor's state (all, or one tenant's)"),
}


class Vendor:
    """A vendor's declaration. Facts are data; handlers, effects and hooks register by decorator."""

    def __init__(self, name: str, *, mount: str, specs: Mapping[str, str], hosts: tuple[str, ...] = (),
                 host_path: str = "", json_type: str = "application/json", trailing_slash: bool = False,
                 lifecycle: Lifecycle | None = None, ids: Ids | None = None, options: tuple[Option, ...] = (),
                 recipe: Recipe | None = None, fixture_ids: tuple[str, ...] = ("id",), fixtures: str | None = None,
                 fixture_schema: Mapping[str, Any] | None = None, timed: tuple[Timed, ...] = (),
                 lint: tuple[Rule, ...] = ()):
        self.name, self.mount, self.specs = name, mount, dict(specs)
        self.hosts, self.host_path = hosts, host_path  # real host names (wildcards: *.example.com); paths' prefix
        self.json_type, self.trailing_slash = json_type, trailing_slash  # every path also with a trailing "/"
        self.lifecycle = lifecycle or Lifecycle(steps=(("created", None),))
        self.ids = ids or Ids(f"{name}-job")
        self.options, self.recipe = options, recipe  # recipe: how a client drives an export (the shared suite)
        self.fixture_ids = fixture_ids  # fixture keys naming one job: never repeated (fixtures.py)
        self.fixtures = fixtures  # a vendor from another package: its fixture file, beside its module
        self.fixture_schema = fixture_schema  # JSON Schema of a tenant's part of a fixture document (fixtures.py)
        # Walked, not compiled: compiling cost 10-15 ms a vendor on a process's first fixture document (schemacheck.py)
        self.fixture_validator = SchemaCheck(fixture_schema) if fixture_schema is not None else None
        self.timed = timed  # indexes whose records expire on the clock (Twilio's day files)
        self.lint = lint  # how its clients are judged (lint.py): rules as data, each with its source
        self.module: str = str(sys._getframe(1).f_globals.get("__name__", ""))  # its files' home: where declared
        self.operations: dict[str, Callable[[Context], Awaitable[Reply]]] = {}
        self.effects: dict[str, Callable[..., None]] = {}
        self.hooks: dict[str, Callable[..., Any]] = {}

    def operation(self, operation_id: str) -> Callable[[F], F]:
        """Register the handler of a spec operation: ``async def (ctx) -> Reply``."""
        def register(fn: F) -> F:
            if operation_id in self.operations:
                raise SpecError(f"{self.name}: two handlers for {operation_id}")
            self.operations[operation_id] = fn
            return fn
        return register

    def effect(self, name: str) -> Callable[[F], F]:
        """Register an effect the lifecycle names: ``(v, state, job, at[, index])``."""
        def register(fn: F) -> F:
            self.effects[name] = fn
            return fn
        return register

    def hook(self, fn: F) -> F:
        """Register a hook under its function's name, which must be one of HOOKS."""
        if fn.__name__ not in HOOKS:
            raise SpecError(f"{self.name}: {fn.__name__} is not a hook; hooks: {', '.join(HOOKS)}")
        self.hooks[fn.__name__] = fn
        return fn

    def check(self) -> None:
        """What a vendor must provide: the required hooks, and a function for every effect its lifecycle names."""
        missing = [name for name, (_, default, _) in HOOKS.items() if default is None and name not in self.hooks]
        named = {fx.name for fxs in self.lifecycle.on_enter.values() for fx in fxs if fx.name != "remove"}
        if self.lifecycle.progress is not None:
            named.add(self.lifecycle.progress.effect.name)
        missing += [f"effect {name}" for name in sorted(named - set(self.effects))]
        missing += [f"operation {op} (lint rule {rule.id})" for rule in self.lint for op in rule.operations
                    if op not in self.operations]
        if missing:
            raise SpecError(f"vendor {self.name}: missing {', '.join(missing)}")

    # --- its files ------------------------------------------------------------------------------------------------
    def bundled(self) -> bool:
        return self.module.startswith("fakeexports.vendors.")

    def resources(self) -> Path:
        """Where the vendor's spec and fixture files are: the bundled specs/ for the vendors of this package, the
        declaring module's own folder for a vendor from another package."""
        if self.bundled():
            return data_dir("specs")
        return Path(sys.modules[self.module].__file__ or ".").resolve().parent

    def spec_path(self, filename: str) -> Path:
        return self.resources() / filename

    def fixture_path(self) -> Path | None:
        """A vendor from another package: its own fixture file, loaded with the bundled fixtures/."""
        return None if self.fixtures is None or self.bundled() else self.resources() / self.fixtures


class VendorApp:
    """A vendor in one app: its declaration's facts, its options now, its job engine and its hooks, bound."""

    def __init__(self, decl: Vendor, runtime: Runtime):
        decl.check()
        self.decl, self.runtime = decl, runtime
        self.name, self.mount, self.specs, self.hosts = decl.name, decl.mount, decl.specs, decl.hosts
        self.host_path, self.json_type, self.trailing_slash = decl.host_path, decl.json_type, decl.trailing_slash
        self.lifecycle, self.ids, self.options, self.recipe = decl.lifecycle, decl.ids, decl.options, decl.recipe
        self.fixture_ids = decl.fixture_ids
        self.fixture_validator = decl.fixture_validator
        given = dict(runtime.settings.options)
        self.config: dict[str, Any] = {}  # the declared options' values now (settings, then the control API)
        for option in self.options:
            value = given.get(opts.key(self.name, option), option.default)
            try:
                self.config[option.name] = option.check(value)
            except ValueError as exc:
                raise ValueError(f"{opts.key(self.name, option)}: {exc}") from None
        self.config_version = 0  # bumped by every configure(): what depended on the options is void
        self.hooks: dict[str, Callable[..., Any]] = {}
        for name, (_, default, _) in HOOKS.items():
            hook = decl.hooks.get(name) or default
            assert hook is not None, name  # Vendor.check: the required ones are there
            self.hooks[name] = hook
        # the hooks every request calls, bound once (the request path's cost)
        hooks = self.hooks
        self.authenticate: Callable[[web.Request, Operation], str] = partial(hooks["authenticate"], self)
        self.readmit: Callable[[web.Request, Operation, str | None], str | None] = partial(hooks["readmit"], self)
        self.render_error: Callable[[VendorError, web.Request], Reply] = partial(hooks["render_error"], self)
        self.spec_key: Callable[[web.Request], str] = partial(hooks["spec_key"], self)
        self.negotiate: Callable[[web.Request, Operation], None] = partial(hooks["negotiate"], self)
        self.response_headers: Callable[[web.Request, Reply], dict[str, str] | None] = partial(
            hooks["response_headers"], self)
        self._answer_id: Callable[[], str | None] = partial(hooks["answer_id"], self)
        self.answers_have_ids = "answer_id" in decl.hooks
        self.jobs = Jobs(self, decl.timed)
        self.local: Any = self.hooks["setup"](self)

    def _call(self, name: str, *args: Any) -> Any:
        return self.hooks[name](self, *args)

    # --- handlers and effects ------------------------------------------------------------------------------------
    def handler(self, op: Operation) -> Callable[[Context], Awaitable[Reply]] | None:
        return self.decl.operations.get(op.operation_id)

    def effect(self, name: str) -> Callable[..., None]:
        return self.decl.effects[name]

    # --- the wire --------------------------------------------------------------------------------------------------
    def violation(self, problem: Violation, op: Operation, request: web.Request) -> VendorError:
        error: VendorError = self.hooks["violation"](self, problem, op, request)
        return error

    def route_not_found(self, request: web.Request) -> VendorError:
        error: VendorError = self.hooks["route_not_found"](self, request)
        return error

    def method_not_allowed(self, request: web.Request, allowed: list[str]) -> VendorError:
        error: VendorError = self.hooks["method_not_allowed"](self, request, allowed)
        return error

    def answer_id(self, request: web.Request) -> str | None:
        """The id of the answer to ``request`` (the request path gives each answer its own: ``begin``)."""
        return request[ANSWER_ID] if self.answers_have_ids else None

    def begin(self, request: web.Request) -> None:
        """A new answer begins: it gets its id in the vendor's form, once (the ``answer_id`` hook)."""
        if self.answers_have_ids:
            answer = self._answer_id()
            if answer is not None:
                request[ANSWER_ID] = answer

    def webhook_headers(self, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str] | None:
        headers: dict[str, str] | None = self.hooks["webhook_headers"](self, tenant, method, url, payload)
        return headers

    # --- jobs ------------------------------------------------------------------------------------------------------
    def outcome_status(self, outcome: str) -> str:
        status: str = self.hooks["outcome_status"](self, outcome)
        return status

    def force(self, state: TenantState, job: Job, status: str) -> None:
        """Force a job into ``status`` from now on (faults, fixtures and the control API), as the lifecycle's
        ``forceable`` allows."""
        self.hooks["force"](self, state, job, status)

    def find_job(self, job_id: str) -> tuple[TenantState, Job] | None:
        for state in self.runtime.store.tenants(self.name):
            job = state.jobs.get(job_id)
            if job is not None:
                return state, job
        return None

    def describe_job(self, state: TenantState, job: Job) -> dict[str, Any]:
        """A vendor-neutral view of a job for the control API: its status now, its schedule, its next change."""
        return self.jobs.describe(state, job)

    # --- tenants ---------------------------------------------------------------------------------------------------
    def read_fixture_tenant(self, tenant: str, spec: dict[str, Any]) -> Any:
        """A tenant's part of a fixture document, its schema checked, as the vendor reads it (FixtureError)."""
        return self.hooks["read_tenant"](self, tenant, spec)

    def load_fixture_tenant(self, tenant: str, read: Any) -> None:
        self.hooks["load_tenant"](self, tenant, read)

    def configure_tenant(self, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self.hooks["configure_tenant"](self, state, settings)
        return out

    def credential_tenant(self, headers: Mapping[str, str]) -> str | None:
        """The tenant the credential in these request headers names (None: none, or the vendor cannot say)."""
        tenant: str | None = self.hooks["credential_tenant"](self, headers)
        return tenant

    def fresh_credentials(self, token: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """A new tenant's credentials from ``token`` (random hex): its client's fields and the headers carrying them."""
        made: tuple[dict[str, str], dict[str, str]] | None = self.hooks["fresh_credentials"](self, token)
        return made

    @property
    def names_tenants(self) -> bool:
        """The vendor has a credential_tenant hook: its tenants can be put on a clock."""
        return self.hooks["credential_tenant"] is not _nothing

    def tenant_label(self, tenant: str) -> str:
        """The tenant as the control API's views and the dashboard show it: a tenant named by a secret (DIDWW's API
        key) is shown masked, so that a shared instance does not hand one team's keys to the next."""
        label: str = self.hooks["tenant_label"](self, tenant)
        return label

    def tenant_settings(self, state: TenantState) -> dict[str, Any]:
        out: dict[str, Any] = self.hooks["tenant_settings"](self, state)
        return out

    def volume_state(self, tenant: str) -> TenantState:
        state: TenantState = self.hooks["volume_state"](self, tenant)
        return state

    def set_volume(self, tenant: str, value: Any) -> int:
        """``records_per_day``: how many records a day the tenant's files hold from now on (jobs made before keep
        theirs); every vendor has it. Returns the value set."""
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= VOLUME_LIMIT:
            raise VendorError(400, f"records_per_day must be a whole number from 0 to {VOLUME_LIMIT:,}",
                              kind="validation")
        self.volume_state(tenant).put(*VOLUME, value)
        return value

    # --- files -----------------------------------------------------------------------------------------------------
    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        body: FileBody | None = self.hooks["s3_object"](self, tenant, key)
        return body

    def file_keys(self, state: TenantState, job: Job) -> list[str]:
        keys: list[str] = self.hooks["file_keys"](self, state, job)
        return keys

    # --- options and resets ----------------------------------------------------------------------------------------
    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The control API's ``POST /_fakeexports/vendors/{vendor}``: change the declared options at run time
        (checked against their declarations); returns them all."""
        try:
            self.config = opts.update(self.options, self.config, changes)
        except ValueError as exc:
            raise VendorError(400, f"{self.name}: {exc}", kind="validation") from None
        self.config_version += 1
        self.hooks["configured"](self, set(changes))
        return dict(self.config)

    def reset(self, tenant: str | None) -> None:
        """The store dropped this vendor's state (all of it, or one tenant's): so do its engine and hooks."""
        self.jobs.reset(tenant)
        self.hooks["reset"](self, tenant)
