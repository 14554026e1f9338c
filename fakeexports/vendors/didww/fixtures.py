"""fixtures/didww.yaml, read: per API key, ``settings`` (default_api_version, callback_secret) and ``exports`` (id,
export_type, created_at, filters, api_version (the version it was created under; by default 2021-12-15 for
year/month filters and 2026-04-16 for from/to), callback_url, callback_method, external_reference_id, file_id, and
``status`` to hold it in a status; without one it runs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...kit import parse_rfc3339
from . import envelope, rules


@dataclass(frozen=True)
class Item:
    attrs: dict[str, Any]
    created: float
    hold: str | None
    export_id: str | None


def exports(tenant: str, spec: dict[str, Any], now: float) -> Iterator[Item]:
    for item in spec.get("exports") or []:
        created = parse_rfc3339(str(item["created_at"])) if item.get("created_at") else now
        filters = dict(item.get("filters") or {})
        start, end = rules.period_of(filters, created)
        version = str(item.get("api_version") or ("2026-04-16" if "from" in filters else "2021-12-15"))
        if version not in envelope.VERSIONS:
            raise ValueError(f"didww fixture for {tenant}: api_version must be one of {sorted(envelope.VERSIONS)}")
        attrs = {"export_type": str(item.get("export_type", "cdr_in")), "start": start, "end": end,
                 "filters": filters, "layout": envelope.VERSIONS[version],
                 "callback_url": item.get("callback_url"),
                 "callback_method": str(item["callback_method"]).lower() if item.get("callback_method") else None,
                 "external_reference_id": item.get("external_reference_id")}
        if item.get("file_id"):
            attrs["file_id"] = str(item["file_id"])
        yield Item(attrs, created, str(item["status"]).lower() if item.get("status") else None,
                   str(item["id"]) if item.get("id") else None)
