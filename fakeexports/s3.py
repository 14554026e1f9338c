"""The S3 stand-in mounted at /_s3/: where a vendor hands out a presigned S3 link, the fake hands out a
link here, signed (HMAC over path, tenant and expiry with the server's random link key: links.py) and expiring on the
fake clock. Whatever a client sends here is answered in S3's own XML error envelope with S3's status (a bad
X-Amz-Expires, a tampered or expired link, another method, a path without a key), journaled with that status, and
changes nothing."""

from __future__ import annotations

import hmac
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from aiohttp import web

from .clocks import CLOCKS, ClockError, refused, tunnel_clock
from .errors import StateWriteError, VendorError
from .files import FileResponse, hex_id
from .links import AMZ_DATE, BUCKET_PREFIX, MAX_EXPIRES, MOUNT
from .pipeline import JOURNALED, tunnel_of
from .routing import ROUTER

if TYPE_CHECKING:
    from .registry import Registry
    from .runtime import Runtime
    from .vendor import VendorApp

# S3's words. AWS publishes no list of them for presigned links; these are the ones S3-compatible servers that
# imitate it answer (OpenStack Swift's s3api s3request.py, MinIO's api-errors.go): a malformed, negative or
# over-a-week X-Amz-Expires is a 400 AuthorizationQueryParametersError, a missing parameter, a bad date, a bad
# signature or an expired link a 403.
MSG_MISSING = ("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
               "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
MSG_EXPIRES_NUMBER = "X-Amz-Expires should be a number"
MSG_EXPIRES_NEGATIVE = "X-Amz-Expires must be non-negative"
MSG_EXPIRES_WEEK = (f"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
                    f"less than {MAX_EXPIRES} seconds")
MSG_DATE = "X-Amz-Date must be in the ISO8601 Long Format"
MSG_SIGNATURE = ("The request signature we calculated does not match the signature you provided. Check your key "
                 "and signing method.")
MSG_EXPIRED = "Request has expired"
MSG_NO_BUCKET = "The specified bucket does not exist"
MSG_NO_KEY = "The specified key does not exist."
MSG_DENIED = "Access Denied"
MSG_METHOD = "The specified method is not allowed against this resource."
MSG_INTERNAL = "We encountered an internal error. Please try again."
# S3 answers 503 ServiceUnavailable when it cannot serve (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
MSG_UNAVAILABLE = "Reduce your request rate."
QUERY_ERROR = "AuthorizationQueryParametersError"
INT63 = 2**63  # past a signed 64-bit number X-Amz-Expires "should be a number" (s3api)


def s3_error(error: VendorError, request_id: str) -> web.Response:
    """S3's XML error envelope: Code, Message, the error's own members, RequestId and HostId."""
    parts = [f"<Code>{error.code}</Code>", f"<Message>{escape(error.message)}</Message>"]
    parts += [f"<{k}>{escape(str(v))}</{k}>" for k, v in error.extra.items()]
    parts += [f"<RequestId>{request_id}</RequestId>", f"<HostId>{request_id}{request_id}</HostId>"]
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>"
    return web.Response(status=error.status, body=body.encode(), content_type="application/xml",
                        headers={"x-amz-request-id": request_id, **error.headers})


KINDS = {400: "validation", 403: "auth", 404: "not_found", 405: "method", 500: "internal", 503: "internal"}


def _refused(status: int, code: str, message: str, kind: str | None = None, **extra: str) -> VendorError:
    return VendorError(status, message, code=code, kind=kind or KINDS[status], extra=extra)


# whose file a link names, once its signature says (the journal's tenant, and the vendor the lint rules give it to)
OWNER = web.RequestKey("fakeexports_s3_owner", dict)


def expires_of(text: str) -> int:
    """X-Amz-Expires as a number of seconds, or S3's 400 for anything else: ASCII digits only (``²`` is a digit to
    ``str.isdigit`` but no number), at most a week."""
    negative = text.startswith("-")
    written = text[1:] if negative else text
    digits = written.lstrip("0") or "0"
    if not (written.isascii() and written.isdigit()) or len(digits) > 19 or int(digits) >= INT63:
        raise _refused(400, QUERY_ERROR, MSG_EXPIRES_NUMBER)
    if negative and digits != "0":
        raise _refused(400, QUERY_ERROR, MSG_EXPIRES_NEGATIVE)
    seconds = int(digits)
    if seconds > MAX_EXPIRES:
        raise _refused(400, QUERY_ERROR, MSG_EXPIRES_WEEK)
    return seconds


def signed_at_of(date: str) -> float:
    """X-Amz-Date (``20260115T120000Z``) as a time, or S3's 403."""
    try:
        if not date.isascii():
            raise ValueError(date)
        return datetime.strptime(date, AMZ_DATE).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise _refused(403, "AccessDenied", MSG_DATE) from None


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_for(runtime: Runtime, vendor: VendorApp, named: str, key: str, date: str, expires: int,
               sig: str) -> str | None:
    """The tenant a link was signed for: the one its path names, or, where the path shows a masked key (Vendor hook
    tenant_label), the tenant shown so whose signature it is; None if the signature fits none."""
    if not sig.isascii():  # compare_digest takes ASCII str only
        return None
    signer = runtime.signer
    for tenant in (named, *(s.tenant for s in runtime.store.tenants(vendor.name)
                            if s.tenant != named and vendor.tenant_label(s.tenant) == named)):
        if hmac.compare_digest(signer.signature(vendor.name, tenant, key, date, expires), sig):
            return tenant
    return None


def get_object(runtime: Runtime, vendor: VendorApp | None, request: web.Request, now: float) -> web.StreamResponse:
    """The file a presigned link names, or why not, in the order S3 checks: the bucket, the query's parameters,
    the signature, the lifetime, the key."""
    bucket, named, key = (request.match_info[k] for k in ("bucket", "tenant", "key"))
    if vendor is None:
        raise _refused(404, "NoSuchBucket", MSG_NO_BUCKET, BucketName=bucket)
    q = request.query
    date, sig, expires_text = q.get("X-Amz-Date"), q.get("X-Amz-Signature"), q.get("X-Amz-Expires")
    if not date or not sig or expires_text is None:
        raise _refused(403, "AccessDenied", MSG_MISSING)
    expires = expires_of(expires_text)
    signed_at = signed_at_of(date)
    tenant = signed_for(runtime, vendor, named, key, date, expires, sig)
    if tenant is None:
        raise _refused(403, "SignatureDoesNotMatch", MSG_SIGNATURE)
    request[OWNER] = {"vendor": vendor.name, "tenant": tenant, "key": key}  # the path may show a masked tenant
    ends = signed_at + runtime.clock.lasts(expires)  # --speed: the link's seconds of wall time (clock.py)
    if now > ends:
        raise _refused(403, "AccessDenied", MSG_EXPIRED, "expired", **{
            "X-Amz-Expires": str(expires), "Expires": _stamp(ends), "ServerTime": _stamp(now)})
    body = vendor.s3_object(tenant, key)
    if body is None:
        raise _refused(404, "NoSuchKey", MSG_NO_KEY, Key=key)
    # an object's ETag names its content, the same for every link to it: from the seed, as the file is
    etag = hex_id(runtime.settings.seed, "s3-etag", vendor.name, tenant, key)
    return FileResponse(200, body, {"ETag": f'"{etag}"'}, runtime.sizes)


def bucket_vendor(registry: Registry, request: web.Request, bucket: str) -> VendorApp | None:
    """The vendor whose files a bucket holds; None for no vendor's, or another vendor's inside a proxy tunnel (there
    only the tunnel's vendor is)."""
    name = bucket[len(BUCKET_PREFIX):] if bucket.startswith(BUCKET_PREFIX) else ""
    tunnel = tunnel_of(request)
    home = request.app[ROUTER].for_host(tunnel) if tunnel is not None else None
    return None if home is not None and name != home.vendor else registry.vendors.get(name)


def elsewhere(registry: Registry, request: web.Request) -> web.StreamResponse:
    """Any other method, or a path that names no object: a bucket that is not there is a 404; listing one (no key)
    is refused, as for any anonymous request to a private bucket; other methods are not allowed on an object."""
    bucket = request.match_info.get("tail", "").split("/", 1)[0]
    if not bucket:  # the list of buckets: refused to an anonymous request
        raise _refused(403, "AccessDenied", MSG_DENIED)
    if bucket_vendor(registry, request, bucket) is None:
        raise _refused(404, "NoSuchBucket", MSG_NO_BUCKET, BucketName=bucket)
    if request.method not in ("GET", "HEAD"):
        error = _refused(405, "MethodNotAllowed", MSG_METHOD, Method=request.method, ResourceType="OBJECT")
        error.headers["Allow"] = "GET, HEAD"
        raise error
    raise _refused(403, "AccessDenied", MSG_DENIED)


Answer = Callable[[web.Request, float], web.StreamResponse]


def make_s3_handler(runtime: Runtime, answer: Answer, operation: str | None) -> Callable[
        [web.Request], Awaitable[web.StreamResponse]]:
    """The request path of the S3 stand-in: catch up on the clock, answer (or S3's error), write what came due
    (--state), journal the status sent."""

    async def handle(request: web.Request) -> web.StreamResponse:
        now = runtime.clock.now()
        if runtime.scheduler.has_due(now):
            runtime.scheduler.run_due(now)
        request_id = hex_id(runtime.settings.seed, "s3", runtime.journal.mark, length=16).upper()
        refusal: VendorError | None = None
        try:
            if not _written(runtime):  # --state: the disk is full or read-only; nothing is shown until it is written
                raise _refused(503, "ServiceUnavailable", MSG_UNAVAILABLE)
            response = answer(request, now)
            response.headers["x-amz-request-id"] = request_id
        except VendorError as err:
            refusal, response = err, s3_error(err, request_id)
        except Exception as exc:  # our bug: journaled loudly (the pytest plugin fails the test), answered as S3's 500
            runtime.journal.server_error(now, f"s3 {request.method} {request.path}", repr(exc), traceback.format_exc())
            response = s3_error(_refused(500, "InternalError", MSG_INTERNAL), request_id)
        response.headers["Date"] = runtime.date()  # the fake clock's, as every answer's
        runtime.try_flush()  # --state: a file's size, where it is kept, is written too
        owner = request.get(OWNER)
        entry = runtime.journal.record(now, "s3", request.match_info.get("tenant"), request.method, request.path_qs,
                               response.status, operation, None if refusal is None else refusal.kind,
                               None if refusal is None else refusal.message, params=owner, sent=request.headers,
                               answered=response.headers, answer=response.body if type(response) is web.Response
                               and isinstance(response.body, bytes) else None, refusal=refusal,
                               streamed=type(response) is not web.Response)
        if response.status >= 400:
            response[JOURNALED] = entry
        return response

    return handle


def _written(runtime: Runtime) -> bool:
    """Whether what came due is in the state file (--state), so that an answer may show it."""
    try:
        runtime.flush()
    except StateWriteError:
        return False
    return True


def add_routes(app: web.Application, runtime: Runtime, registry: Registry) -> None:
    def vendor_of(request: web.Request) -> VendorApp | None:
        return bucket_vendor(registry, request, request.match_info["bucket"])

    get = make_s3_handler(runtime, lambda request, now: get_object(runtime, vendor_of(request), request, now),
                          "GetObject")

    async def get_here_or_on_its_clock(request: web.Request) -> web.StreamResponse:
        """A link to the files of a tenant on a clock is that clock's to answer (its time says if it expired), by
        whatever way it came: a link a tunnel carries names no clock, only its tenant."""
        clocks = request.app.get(CLOCKS)
        try:
            on_clock = tunnel_clock(clocks, request)  # a tunnel whose CONNECT named a clock
        except ClockError as exc:
            return refused(exc, request)
        if on_clock is not None:
            return await on_clock.forward(request)
        vendor = vendor_of(request)
        if clocks is not None and vendor is not None and clocks.bound.get(vendor.name):
            tenants = clocks.bound[vendor.name]
            named = request.match_info["tenant"]
            timeline = tenants.get(named)
            if timeline is None:  # a masked key (tenant_label) names one tenant at most
                on = {t for tenant, t in tenants.items() if vendor.tenant_label(tenant) == named}
                timeline = on.pop() if len(on) == 1 else None
            if timeline is not None:
                return await timeline.forward(request)
        return await get(request)

    app.router.add_get(MOUNT + "/{bucket}/{tenant}/{key:.+}", get_here_or_on_its_clock)
    other = make_s3_handler(runtime, lambda request, now: elsewhere(registry, request), None)
    app.router.add_route("*", MOUNT, other)
    app.router.add_route("*", MOUNT + "/{tail:[\\s\\S]*}", other)
