"""Twilio's hooks for the wire: HTTP Basic accounts (A5), the platform's headers, the error envelope (A6), the
account's settings, and the X-Twilio-Signature of its completion webhooks (A3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ...kit import Context, Operation, Reply, TenantState, VendorApp, VendorError, Violation, basic_header, hex_id
from . import envelope
from .declaration import VENDOR

TENANT = web.RequestKey("twilio_account", str)


@dataclass
class Local:
    """Twilio in one app: its answers so far (request ids), and each account's requests in flight."""

    requests: int = 0
    inflight: dict[str, int] = field(default_factory=dict)  # between authentication and answer


@VENDOR.hook
def setup(v: VendorApp) -> Local:
    return Local()


# --- auth -> tenant (A5) ----------------------------------------------------------------------------------------
@VENDOR.hook
def authenticate(v: VendorApp, request: web.Request, op: Operation) -> str:
    return readmit(v, request, op, _account(v, request.headers.get("Authorization")))


@VENDOR.hook
def readmit(v: VendorApp, request: web.Request, op: Operation, tenant: str) -> str:
    """The account's requests in flight count this one until its answer (response_headers). A kept answer's request
    again takes only this: its Authorization header is byte for byte the one that named ``tenant`` (and the
    credentials file does not change while the server runs)."""
    request[TENANT] = tenant
    inflight = v.local.inflight
    inflight[tenant] = inflight.get(tenant, 0) + 1
    return tenant


@VENDOR.hook
def credential_tenant(v: VendorApp, headers: Mapping[str, str]) -> str | None:
    """The account a Basic header names (an API key's account with a credentials file), as authenticate reads it."""
    try:
        return envelope.account(v.runtime.credentials, headers.get("Authorization"))[0]
    except VendorError:
        return None


@VENDOR.hook
def fresh_credentials(v: VendorApp, token: str) -> tuple[dict[str, str], dict[str, str]]:
    sid, secret = "AC" + token[:32].rjust(32, "0"), token[:32]
    return {"account_sid": sid, "auth_token": secret}, {"Authorization": basic_header(sid, secret)}


def _account(v: VendorApp, header: str | None) -> str:
    tenant, password = envelope.account(v.runtime.credentials, header)
    state = v.runtime.store.find(v.name, tenant)
    kept = state.get("twilio", "auth_token") if state is not None else None
    if state is not None and kept is not None and password is not None and kept != password:
        state.put("twilio", "auth_token", password)  # its webhooks are signed with the token it last gave
    return tenant


def remember_token(ctx: Context) -> None:
    """A job with a webhook: keep the token the account authenticated with, to sign the webhook with, unless the
    account's settings or the credentials file give one. Only then: a password is kept (and, with --state, written
    to the state file) only where signing needs it."""
    v, state = ctx.vendor, ctx.state
    if state.get("settings", "auth_token") or _listed_token(v, state.tenant):
        return
    _, password = envelope.account(v.runtime.credentials, ctx.request.headers.get("Authorization"))
    if password is not None and state.get("twilio", "auth_token") != password:
        state.put("twilio", "auth_token", password)


def _listed_token(v: VendorApp, tenant: str) -> str | None:
    listed = [e["auth_token"] for e in v.runtime.credentials.entries(v.name) or []
              if e.get("account_sid") == tenant and e.get("auth_token")]
    return str(listed[0]) if listed else None


# --- the platform's headers and the envelope (A6) -----------------------------------------------------------------
@VENDOR.hook
def answer_id(v: VendorApp) -> str:
    v.local.requests += 1
    return "RQ" + hex_id(v.runtime.settings.seed, "twilio-request", v.local.requests)


@VENDOR.hook
def response_headers(v: VendorApp, request: web.Request, reply: Reply) -> dict[str, str]:
    """The platform's headers (envelope.CORS has the sources): a request id, the account's requests in flight
    (counted from authentication to this answer), the duration, Vary: Origin, and CORS for a request with an
    Origin."""
    request_id = str(v.answer_id(request))
    tenant, inflight = request.get(TENANT), v.local.inflight
    concurrent = inflight.pop(tenant, 1) if tenant is not None else 1
    if concurrent > 1:
        inflight[tenant] = concurrent - 1  # type: ignore[index]
    headers = {"Twilio-Concurrent-Requests": str(concurrent), "Twilio-Request-Id": request_id,
               "Twilio-Request-Duration": f"{0.03 + (v.local.requests % 97) / 1000:.3f}", "Vary": "Origin"}
    if "Origin" in request.headers:
        headers.update(envelope.CORS)
    return headers


@VENDOR.hook
def render_error(v: VendorApp, err: VendorError, request: web.Request) -> Reply:
    return Reply(err.status, envelope.error_body(err), headers=err.headers or None)


@VENDOR.hook
def violation(v: VendorApp, problem: Violation, op: Operation, request: web.Request) -> VendorError:
    if problem.location == "path":
        # A malformed JobSid, Day or unknown ResourceType names no resource: Twilio answers 404.
        return route_not_found(v, request)
    if problem.rule == "required":
        return VendorError(400, envelope.MSG_REQUIRED.format(name=problem.name), kind="validation")
    name = problem.name or ("request body" if problem.location == "body" else problem.location)
    return VendorError(400, envelope.MSG_INVALID.format(name=name, detail=problem.message), kind="validation")


@VENDOR.hook
def route_not_found(v: VendorApp, request: web.Request) -> VendorError:
    path = request.path
    path = path[len(v.mount):] if path.startswith(v.mount + "/") else path
    return VendorError(404, envelope.MSG_NOT_FOUND.format(path=path), kind="not_found")


# --- the account's settings and its webhooks' signature (A3) --------------------------------------------------------
@VENDOR.hook
def configure_tenant(v: VendorApp, state: TenantState, settings: dict[str, Any]) -> dict[str, Any]:
    """``auth_token``: what the account's webhooks are signed with (by default the credentials file's, or the token
    the account last authenticated with)."""
    unknown = sorted(set(settings) - {"auth_token"})
    if unknown:
        raise VendorError(400, f"unknown Twilio tenant settings {unknown}; known: ['auth_token']")
    token = settings.get("auth_token")
    if token is not None:
        if not isinstance(token, str) or not token:
            raise VendorError(400, "auth_token must be a non-empty string")
        state.put("settings", "auth_token", token)
    return dict(state.items("settings"))


@VENDOR.hook
def webhook_headers(v: VendorApp, tenant: str, method: str, url: str, payload: dict[str, Any]) -> dict[str, str] | None:
    """X-Twilio-Signature: base64 HMAC-SHA1 keyed with the account's auth token over the URL as sent, then for a POST
    each parameter's name and value sorted by name (twilio.com/docs/usage/webhooks/webhooks-security;
    twilio/twilio-python twilio/request_validator.py checks it). No known auth token: no header."""
    state = v.runtime.store.find(v.name, tenant)
    token = (state.get("settings", "auth_token") if state else None) or _listed_token(v, tenant) or (
        state.get("twilio", "auth_token") if state else None)
    if not token:
        return None
    return {"X-Twilio-Signature": envelope.signature(str(token), method, url, payload)}
