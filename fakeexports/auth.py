"""Credential plumbing shared by the vendors: parsing Basic and Bearer headers, and the credentials file
that turns on exact checking (only the secrets it lists are accepted).

The file (YAML or JSON) has one list per vendor; each vendor module reads its own entries:

    twilio:
      - {account_sid: AC..., auth_token: ...}
      - {api_key: SK..., secret: ..., account_sid: AC...}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from pathlib import Path
from typing import Any

import orjson


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``Basic base64(user:password)`` -> (user, password); None when missing or malformed."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def basic_header(user: str, password: str) -> str:
    """The ``Authorization`` value of HTTP Basic for ``user`` and ``password``."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def masked(secret: str) -> str:
    """A secret shown so that its owner recognises it and nobody else learns it: its first and last four characters
    when it is long enough that those are a small part of it, else its last four, else nothing."""
    if len(secret) >= 20:
        return f"{secret[:4]}…{secret[-4:]}"
    return f"…{secret[-4:]}" if len(secret) >= 8 else "…"


def sign_jwt(key: bytes, claims: dict[str, Any]) -> str:
    """An HS256 JWT of ``claims`` (for vendors whose access tokens are JWTs): nothing to store, the token
    carries its own subject, scope and expiry."""
    header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    payload = _b64(orjson.dumps(claims))
    signature = _b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def read_jwt(key: bytes, token: str) -> dict[str, Any] | None:
    """The claims of a JWT ``sign_jwt`` made with ``key``; None for anything else (expiry is the caller's)."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 4096:
        return None
    header, payload, signature = parts
    want = _b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not signature.isascii() or not hmac.compare_digest(want, signature):  # compare_digest takes ASCII str only
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def bearer_token(header: str | None) -> str | None:
    if not header or header[:7].lower() != "bearer ":
        return None
    token = header[7:].strip()
    return token or None


class Credentials:
    """Accepted credentials per vendor. ``entries(vendor)`` is None when no file restricts that vendor."""

    def __init__(self, data: dict[str, list[dict[str, Any]]] | None = None):
        self.data = data

    @classmethod
    def load(cls, path: str | None) -> Credentials:
        if not path:
            return cls(None)
        import yaml  # credentials files are rare: keep the import off the startup path

        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict) or not all(isinstance(v, list) for v in doc.values()):
            raise ValueError(f"{path}: a credentials file maps each vendor to a list of entries")
        return cls({str(k): [dict(e) for e in v] for k, v in doc.items()})

    @property
    def restricted(self) -> bool:
        """Whether a credentials file was given: then only what it lists is accepted (a vendor it does not name
        accepts nothing); otherwise any well-formed credential."""
        return self.data is not None

    def find(self, vendor: str, **fields: Any) -> dict[str, Any] | None:
        """The vendor's listed entry whose fields have these values (``api_key="..."``), or None."""
        return next((e for e in self.entries(vendor) or [] if all(e.get(k) == v for k, v in fields.items())), None)

    def entries(self, vendor: str) -> list[dict[str, Any]] | None:
        if self.data is None:
            return None
        return self.data.get(vendor, [])
