"""The S3 stand-in mounted at /_s3/: where a vendor hands out a presigned S3 link, the fake hands out a
link here, signed (HMAC over path, tenant and expiry with a per-server secret) and expiring on the fake
clock. An expired or tampered link gets S3's own XML error, since that is what the real client sees."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from aiohttp import web

from .files import FileResponse, hex_id
from .links import AMZ_DATE, BUCKET_PREFIX, MOUNT

if TYPE_CHECKING:
    from .registry import Registry
    from .runtime import Runtime

def s3_error(status: int, code: str, message: str, request_id: str, **extra: str) -> web.Response:
    parts = [f"<Code>{code}</Code>", f"<Message>{escape(message)}</Message>"]
    parts += [f"<{k}>{escape(v)}</{k}>" for k, v in extra.items()]
    parts += [f"<RequestId>{request_id}</RequestId>", f"<HostId>{request_id}{request_id}</HostId>"]
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>"
    return web.Response(
        status=status, body=body.encode(), content_type="application/xml", headers={"x-amz-request-id": request_id}
    )


def make_s3_handler(runtime: Runtime, registry: Registry):  # type: ignore[no-untyped-def]
    async def s3_get(request: web.Request) -> web.StreamResponse:
        response = await answer(request)
        response.headers["Date"] = runtime.date()  # the fake clock's, as every answer's
        return response

    async def answer(request: web.Request) -> web.StreamResponse:
        now = runtime.clock.now()
        if runtime.scheduler.has_due(now):
            runtime.scheduler.run_due(now)
        request_id = hex_id(runtime.settings.seed, "s3", runtime.journal.mark, length=16).upper()
        bucket = request.match_info["bucket"]
        tenant = request.match_info["tenant"]
        key = request.match_info["key"]
        q = request.query
        vendor_name = bucket[len(BUCKET_PREFIX) :] if bucket.startswith(BUCKET_PREFIX) else ""
        vendor = registry.vendors.get(vendor_name)
        status_for_journal = 403
        try:
            if vendor is None:
                status_for_journal = 404
                return s3_error(404, "NoSuchBucket", "The specified bucket does not exist", request_id,
                                BucketName=bucket)
            date, sig, expires_text = q.get("X-Amz-Date"), q.get("X-Amz-Signature"), q.get("X-Amz-Expires")
            if not (date and sig and expires_text and expires_text.isdigit()):
                return s3_error(403, "AccessDenied",
                                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                                "and X-Amz-Expires parameters.", request_id)
            expires = int(expires_text)
            want = runtime.signer.signature(vendor_name, tenant, key, date, expires)
            if not hmac.compare_digest(want, sig):
                return s3_error(403, "SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you "
                                "provided. Check your key and signing method.", request_id)
            try:
                signed_at = datetime.strptime(date, AMZ_DATE).replace(tzinfo=UTC).timestamp()
            except ValueError:
                return s3_error(403, "AccessDenied", "X-Amz-Date must be in the ISO8601 Long Format", request_id)
            if now > signed_at + expires:
                fmt = "%Y-%m-%dT%H:%M:%SZ"
                return s3_error(
                    403, "AccessDenied", "Request has expired", request_id,
                    **{"X-Amz-Expires": str(expires),
                       "Expires": datetime.fromtimestamp(signed_at + expires, UTC).strftime(fmt),
                       "ServerTime": datetime.fromtimestamp(now, UTC).strftime(fmt)},
                )
            body = vendor.s3_object(tenant, key)
            if body is None:
                status_for_journal = 404
                return s3_error(404, "NoSuchKey", "The specified key does not exist.", request_id, Key=key)
            status_for_journal = 200
            return FileResponse(200, body, {"x-amz-request-id": request_id, "ETag": f'"{sig[:32]}"'}, runtime.sizes)
        finally:
            runtime.flush()  # --state: what came due is written first
            runtime.journal.record(now, "s3", tenant, request.method, request.path_qs, status_for_journal, "GetObject")

    return s3_get


def add_routes(app: web.Application, runtime: Runtime, registry: Registry) -> None:
    app.router.add_get(MOUNT + "/{bucket}/{tenant}/{key:.+}", make_s3_handler(runtime, registry))
