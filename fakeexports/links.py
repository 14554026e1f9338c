"""Presigned download links for the S3 stand-in (s3.py serves them): an HMAC over vendor, tenant, key, date and
lifetime with the server's random link key (keys.py: never from the seed, so nobody can mint a link), in the query
form of S3's own presigned URLs, expiring on the fake clock. The access key id in them is public, and seeded."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

from .clock import Clock
from .files import hex_id
from .keys import Keys

MOUNT = "/_s3"
BUCKET_PREFIX = "fakeexports-"
AMZ_DATE = "%Y%m%dT%H%M%SZ"
MAX_EXPIRES = 604800  # S3's longest presigned lifetime, a week (its AuthorizationQueryParametersError past it)
PURPOSE = "s3-links"  # the name of the link key among the server's keys


class Signer:
    def __init__(self, keys: Keys, seed: int, clock: Clock, ttl: int):
        self.keys = keys
        self.clock = clock
        self.ttl = ttl
        self.access_key = "FAKEEXPORTS" + hex_id(seed, "akid", length=12).upper()

    def signature(self, vendor: str, tenant: str, key: str, date: str, expires: int) -> str:
        message = f"{vendor}\n{tenant}\n{key}\n{date}\n{expires}".encode()
        return hmac.new(self.keys.get(PURPOSE), message, hashlib.sha256).hexdigest()

    def presign(self, origin: str, vendor: str, tenant: str, key: str, ttl: int | None = None, *,
                shown: str | None = None) -> str:
        """A GET link to ``key`` of ``vendor``'s bucket, bound to ``tenant``, valid ``ttl`` seconds (default: the
        server's download_ttl) of fake time. Its path names the tenant as ``shown`` (a secret key masked: the
        signature tells the S3 stand-in which tenant of that name it is)."""
        expires = min(self.ttl if ttl is None else ttl, MAX_EXPIRES)  # S3 signs a week at most
        date = datetime.fromtimestamp(int(self.clock.now()), UTC).strftime(AMZ_DATE)
        sig = self.signature(vendor, tenant, key, date, expires)
        credential = f"{self.access_key}/{date[:8]}/us-east-1/s3/aws4_request"
        return (
            f"{origin}{MOUNT}/{BUCKET_PREFIX}{vendor}/{quote(shown or tenant, safe='')}/{quote(key, safe='/')}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={quote(credential, safe='')}"
            f"&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}"
        )
