"""DIDWW's wire details: API versions (B0), the JSON:API error envelope and its titles (B6), the callback
signature (B8). Section numbers are those of vendors/didww.md."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from ...kit import VendorError, Violation

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

# --- the stack's headers -------------------------------------------------------------------------------------
# On every answer of the 2022 recordings, JSON:API, errors and the file alike: nginx, and Rails' default security
# headers (didww-api3-postman@71547df, 2021-12-15 and 2022-05-10 collections, recorded January 2022). CORS headers
# came with the recordings' Origin (the docs site, echoed back): sent here when a request has an Origin, echoing it
# (INFERRED: which origins DIDWW allows is not published). Never Strict-Transport-Security.
STACK = {"Server": "nginx", "X-Frame-Options": "SAMEORIGIN", "X-XSS-Protection": "1; mode=block",
         "X-Content-Type-Options": "nosniff", "X-Download-Options": "noopen",
         "X-Permitted-Cross-Domain-Policies": "none", "Referrer-Policy": "strict-origin-when-cross-origin"}
CORS = {"Access-Control-Allow-Headers": "Origin, X-Requested-With, Content-Type, Accept, auth-key, x-api-key, "
                                        "api-key, x-api-token, x-admin-session-token, Cache-Control",
        "Access-Control-Allow-Methods": "GET, POST, DELETE, PUT, PATCH, OPTIONS",
        "Access-Control-Allow-Credentials": "true"}


def stack_headers(request: web.Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    return {**STACK, "Access-Control-Allow-Origin": origin, **CORS} if origin else dict(STACK)


# --- auth -> tenant (B5) ------------------------------------------------------------------------------------
PRINTABLE = re.compile(r"^[\x21-\x7e]+$")

# --- envelope (B6) ------------------------------------------------------------------------------------------
# Titles, details and codes of the JSON:API errors follow the bodies in B6; those B6 does not show are
# jsonapi-resources' (the library behind DIDWW's v3 API: 101 invalid resource, 102 filter not allowed,
# 104 invalid field, 105 param not allowed, 106 missing parameter, 110 key not in URL, 114 invalid sort,
# 118 invalid page value) and are INFERRED. jsonapi-resources checks the Content-Type of writes only (415), then
# every request's Accept (406): blank, exactly application/vnd.api+json, or */* (cerebris/jsonapi-resources@e92afc6
# lib/jsonapi/acts_as_resource_controller.rb verify_content_type_header, verify_accept_header; locales/en.yml).
ERRORS: dict[str, tuple[int, str, str, str]] = {  # name: (status, code, title, detail)
    "unauthorized": (401, "401", "Unauthorized", "Authorization failed"),
    "not_found": (404, "404", "Record not found", "The record identified by {id} could not be found."),
    "filter": (400, "102", "Filter not allowed", "{name} is not allowed."),
    "sort": (400, "114", "Invalid sort criteria", "{name} is not a valid sort criteria for exports"),
    "field": (400, "104", "Invalid field", "{name} is not a valid field for exports."),
    "page": (400, "118", "Invalid page value", "{value} is not a valid value for {name} page parameter."),
    "param": (400, "105", "Param not allowed", "{name} is not allowed."),
    "missing": (400, "106", "Missing Parameter", "The required parameter, {name}, is missing."),
    "resource": (400, "101", "Invalid resource", "{name} is not a valid resource."),
    "key": (400, "110", "Key is not included in URL", "The URL does not support the key {id}"),
    "media": (415, "415", "Unsupported media type",
              "All requests that create or update must use the 'application/vnd.api+json' Content-Type. "
              "This request specified '{media}'."),
    "accept": (406, "406", "Not acceptable",
               "All requests must use the 'application/vnd.api+json' Accept without media type parameters. "
               "This request specified '{accept}'."),
    "bad_request": (400, "400", "Bad Request", "{detail}"),
}
KINDS = {401: "auth", 404: "not_found"}
D_BAD_VERSION = "{value} is not a valid API version; supported: 2021-12-15, 2022-05-10, 2026-04-16, 2026-11-19."
TITLES = {401: "Unauthorized", 404: "Record not found", 405: "Method Not Allowed", 413: "Payload Too Large",
          429: "Too Many Requests"}


def error(which: str, /, **values: Any) -> VendorError:
    """One of ERRORS, its detail filled in with ``values``."""
    status, code, title, detail = ERRORS[which]
    return VendorError(status, detail.format(**values), code=code, kind=KINDS.get(status, "validation"),
                       extra={"title": title})


def document(err: VendorError) -> dict[str, Any]:
    """{"errors": [{title, detail, code, status, source.pointer}]}: JSON:API's error object as DIDWW fills it. A 429
    (the rate limit, or a fault) is the bare object DIDWW documents for it, {"status": "429", "detail": "Too Many
    Requests"} (throttle.py), whatever the fault's message."""
    if err.status == 429:
        return {"errors": [{"status": "429", "detail": TITLES[429]}]}
    title = err.extra.get("title") or TITLES.get(
        err.status, "Bad Request" if err.status == 400 else "Internal Server Error" if err.status >= 500 else "Error")
    item: dict[str, Any] = {"title": title, "detail": err.message,
                            "code": str(err.code if err.code is not None else err.status), "status": str(err.status)}
    if "pointer" in err.extra:
        item["source"] = {"pointer": err.extra["pointer"]}
    return {"errors": [item]}


def from_violation(v: Violation, request: web.Request) -> VendorError:
    """A query, header or body that breaks the spec, in the words jsonapi-resources uses for it."""
    if v.location == "query":
        if v.name.startswith("filter"):
            return error("filter", name=v.name.split(".", 1)[1] if "." in v.name else v.name)
        if v.name in ("page[number]", "page[size]"):
            return error("page", value=request.query.get(v.name, ""), name=v.name[5:-1])
        return error("bad_request", detail=f"{v.name} - {v.message}")
    if v.location == "header":
        return error("bad_request", detail=f"{v.name} - {v.message}")
    if v.rule == "content-type":
        return error("media", media=request.headers.get("Content-Type", ""))
    if v.rule in ("json", "encoding"):
        return error("bad_request", detail=v.message)
    parts = v.name.split(".")
    if v.rule == "additionalProperties":
        return error("param", name=parts[-1])
    if parts[:2] == ["data", "attributes"] and len(parts) > 2:
        field = parts[2]
        title = {"required": "can't be blank", "enum": "is not included in the list",
                 "maxLength": "is too long (maximum is 100 characters)"}.get(v.rule, "is invalid")
        return invalid(field, title, f"/data/attributes/{field}")
    if parts == ["data", "type"] and v.rule != "required":
        return error("resource", name=v.value)
    if v.rule == "required":
        return error("missing", name=parts[-1] if parts != [""] else "data")
    return error("bad_request", detail=f"{v.name or 'request body'} - {v.message}")


WINDOW = "must be within the current and 2 previous months"


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


def not_found(export_id: str) -> VendorError:
    return error("not_found", id=export_id)


def invalid(field: str, title: str, pointer: str | None = None) -> VendorError:
    # B6: {"title": "from not valid", "detail": "filters - from not valid", "code": "100", source.pointer}
    return VendorError(422, f"{field} - {title}", code="100", kind="validation",
                       extra={"title": title, "pointer": pointer or f"/data/attributes/{field}"})
