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
from pathlib import Path
from typing import Any


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

    def restricted(self) -> bool:
        return self.data is not None

    def restricts(self, vendor: str) -> bool:
        """Whether a credentials file lists this vendor's accepted credentials (otherwise any well-formed one
        is accepted)."""
        return self.data is not None

    def find(self, vendor: str, **fields: Any) -> dict[str, Any] | None:
        """The vendor's listed entry whose fields have these values (``api_key="..."``), or None."""
        return next((e for e in self.entries(vendor) or [] if all(e.get(k) == v for k, v in fields.items())), None)

    def entries(self, vendor: str) -> list[dict[str, Any]] | None:
        if self.data is None:
            return None
        return self.data.get(vendor, [])
