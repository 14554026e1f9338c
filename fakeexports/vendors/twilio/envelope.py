"""Twilio's wire details: credentials, the error envelope and its codes (A5, A6), page metadata and tokens (A4),
the day files' S3 keys (A7). Section numbers are those of vendors/twilio.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from typing import Any

from ...kit import Context, Credentials, Job, Tokens, VendorError, basic_credentials, stamp
from .queue import FINISHED

# --- auth -> tenant (A5) ------------------------------------------------------------------------------
USER = re.compile(r"^(AC|SK)[0-9a-fA-F]{32}$")

# --- the platform's headers -------------------------------------------------------------------------------
# Every answer of Twilio's REST platform carries Twilio-Request-Id (RQ + 32 hex), Twilio-Concurrent-Requests (the
# account's requests in flight, "1" in every recording) and Twilio-Request-Duration (seconds, three decimals):
# recorded on 200, 201 and 400 answers 2020-2026 (e.g. keploy/samples-python fastapi-twilio, 2023; twilio-python
# logs of 2025 and 2026), named by twilio.com/docs/api/errors/20429 and /45780. CORS: twilio-oai declares the
# Access-Control-* headers on every operation but DELETE and seed 000 lists them, but since late 2025 a request
# without an Origin gets none and `Vary: Origin` (twilio-python logs, 2025-11 and 2026-04): the fake follows what
# Twilio serves now, and sends them, with the values recorded from 2016 to 2023, when a request has an Origin.
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, "
                                        "If-None-Match, If-Unmodified-Since, Idempotency-Key",
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Expose-Headers": "ETag",
        "Access-Control-Allow-Credentials": "true"}

# --- envelope (A6) --------------------------------------------------------------------------------------
# Codes: 20003 and 20404 are observed (A6); the others follow Twilio's error catalogue (20001 invalid
# parameter, 20004 method not allowed, 20429 too many requests, 20500 internal error) and are INFERRED.
CODES = {
    "auth": (401, 20003),
    "not_found": (404, 20404),
    "validation": (400, 20001),
    "method": (405, 20004),
    "too_large": (413, 20001),
    "rate_limited": (429, 20429),
    "internal": (500, 20500),
}
# 401 (A6, third audit): without an Authorization header, "Authentication Error - No credentials provided" (a live
# unauthenticated curl of api.twilio.com, no `detail`); with credentials Twilio does not accept, "Authentication Error
# - invalid username" (support.twilio.com/hc/en-us/articles/50301225354651). The older body ("Authenticate" with
# detail "Your AccountSid or AuthToken was incorrect.", 2018) is no longer served.
MSG_NO_CREDENTIALS = "Authentication Error - No credentials provided"
MSG_BAD_CREDENTIALS = "Authentication Error - invalid username"
MSG_NOT_FOUND = "The requested resource {path} was not found"
MSG_REQUIRED = "Missing required parameter {name} in the post body"
MSG_INVALID = "Invalid {name}: {detail}"
MSG_END_DAY_RECENT = "EndDay must be at least 2 days before the current UTC day ({latest} or earlier)"
MSG_DAY_ORDER = "StartDay must be on or before EndDay"
MSG_WEBHOOK_PAIR = "WebhookUrl and WebhookMethod must be provided together"
MSG_PAGE_TOKEN = "Invalid PageToken"
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"



def account(credentials: Credentials, header: str | None) -> tuple[str, str | None]:
    """The account a Basic Authorization header names (A5): an account SID with its auth token, or an API key
    with its secret; any well-formed pair unless a credentials file lists Twilio's. With it, the auth token to
    sign the account's webhooks with, when the header gave one and no file lists them."""
    if not header:
        raise VendorError(401, MSG_NO_CREDENTIALS, kind="auth")
    creds = basic_credentials(header)
    if creds is None or not USER.fullmatch(creds[0]) or not creds[1]:  # fullmatch: "$" takes a trailing newline
        raise VendorError(401, MSG_BAD_CREDENTIALS, kind="auth")
    user, password = creds
    if not credentials.restricted:
        return user, password if user.startswith("AC") else None
    if credentials.find("twilio", account_sid=user, auth_token=password) is not None:
        return user, None
    entry = credentials.find("twilio", api_key=user, secret=password)
    if entry is not None:
        return str(entry.get("account_sid") or user), None
    raise VendorError(401, MSG_BAD_CREDENTIALS, kind="auth")


def error_body(err: VendorError) -> dict[str, Any]:
    """{code, message, more_info, status} and, for a failed login, detail (A6)."""
    status, default_code = CODES.get(err.kind, (err.status, 20000 + err.status))
    code = err.code if err.code is not None else (default_code if status == err.status else 20000 + err.status)
    body: dict[str, Any] = {"code": code, "message": err.message, "more_info": MORE_INFO.format(code=code),
                            "status": err.status}
    if "detail" in err.extra:
        body["detail"] = err.extra["detail"]
    return body


def page_meta(ctx: Context, key: str, path: str, size: int, page: int, token: str | None,
              next_token: str | None, prev_token: str | None) -> dict[str, Any]:
    """A list's meta (A4): first, next and previous page URLs with PageSize, Page and PageToken."""
    def link(p: int, t: str | None) -> str:
        query: list[tuple[str, Any]] = [("PageSize", size), ("Page", p)]
        if t:
            query.append(("PageToken", t))
        return ctx.url(path, query)

    return {
        "first_page_url": link(0, None),
        "key": key,
        "next_page_url": link(page + 1, next_token) if next_token else None,
        "page": page,
        "page_size": size,
        "previous_page_url": link(page - 1, prev_token) if prev_token and page > 0 else None,
        "url": link(page, token),
    }


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise VendorError(400, MSG_INVALID.format(name=name, detail=f"{text!r} is not a date (yyyy-MM-dd)"),
                          kind="validation", where=f"body.{name}") from None


def file_key(tenant: str, rt: str, day: str) -> str:
    # The shape of the real S3 keys (A2 day-instance: daily/day=.../type=.../account=...).
    return f"daily/day={day}/type={rt}/account={tenant}/part-00000.json.gz"


FILE_KEY = re.compile(r"daily/day=(\d{4}-\d{2}-\d{2})/type=(\w+)/account=(\w+)/part-00000\.json\.gz")


def job_body(job: Job, day_statuses: list[tuple[str, str]], position: int | None) -> dict[str, Any]:
    """A job as Twilio writes it (A2): its days grouped by status in details, listed for finished statuses and
    null while waiting or running (a real Submitted item had days null)."""
    groups: dict[str, list[str]] = {}
    for day, status in day_statuses:
        groups.setdefault(status, []).append(day)
    a = job.attrs
    return {
        "friendly_name": a["friendly_name"],
        "resource_type": job.collection,
        "start_day": a["start_day"],
        "end_day": a["end_day"],
        "webhook_url": a.get("webhook_url"),
        "webhook_method": a.get("webhook_method"),
        "email": a.get("email"),
        "job_sid": job.id,
        "details": [{"status": s, "count": len(d), "days": d if s in FINISHED or s == "ErrorDuringRun" else None}
                    for s, d in groups.items()],
        "job_queue_position": str(position) if position is not None else None,
        "estimated_completion_time": stamp(job.schedule[-1][0], "naive-ms"),
    }


def signature(token: str, method: str, url: str, payload: dict[str, Any]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1, keyed with the account's auth token, over the URL as sent followed,
    for a POST, by each parameter's name and value sorted by name (twilio.com/docs/usage/webhooks/webhooks-security;
    twilio/twilio-python twilio/request_validator.py checks it)."""
    signed = url + ("" if method == "GET" else "".join(f"{k}{payload[k]}" for k in sorted(payload)))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def read_token(tokens: Tokens, token: str, scope: str, key_pattern: str) -> tuple[str, str]:
    """The direction and key of a PageToken minted for this list; a 400 for any other."""
    found = tokens.decode(token, scope, prefix="PT")
    if found is None or not re.fullmatch(key_pattern, found[1]):
        raise VendorError(400, MSG_PAGE_TOKEN, kind="validation")
    return found
