"""Fixture files: seed data (fixtures/<vendor>.yaml) loaded at startup and again after a reset. A file
names its vendor and, per tenant, what that tenant holds; the vendor module interprets its own part:

    vendor: twilio
    tenants:
      ACaaaa...:
        jobs: [...]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .specs import data_dir, load_yaml

if TYPE_CHECKING:
    from .vendor import Vendor


def fixture_paths(setting: str | None) -> list[Path]:
    """None: the bundled fixtures/; "" or "none": nothing; else a file or a folder of *.yaml/*.json."""
    if setting is not None and setting.strip().lower() in ("", "none"):
        return []
    root = data_dir("fixtures") if setting is None else Path(setting)
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    if not root.exists():
        raise FileNotFoundError(f"fixtures: {root} does not exist")
    return [root]


def read_fixtures(setting: str | None, cache: Path | None = None,
                  vendor_files: Iterable[Path | None] = ()) -> list[dict[str, Any]]:
    """The fixture documents: ``setting``'s, and by default (None) the bundled ones with those of vendors from
    other packages (``vendor_files``)."""
    docs = []
    paths = fixture_paths(setting)
    if setting is None:
        paths += [p for p in vendor_files if p is not None and p.exists()]
    for path in paths:
        doc = load_yaml(path, cache)
        if not isinstance(doc, dict) or "vendor" not in doc:
            raise ValueError(f"{path}: a fixture file is a mapping with a 'vendor' key")
        doc.setdefault("tenants", {})
        doc["_path"] = str(path)
        docs.append(doc)
    return docs


def load_into(vendors: Mapping[str, Vendor], docs: list[dict[str, Any]], vendor: str | None = None,
              tenant: str | None = None) -> int:
    """Load the fixture documents (for one vendor or tenant only, after a partial reset); returns the
    number of tenants loaded."""
    loaded = 0
    for doc in docs:
        v = vendors.get(doc["vendor"])
        if v is None or (vendor is not None and doc["vendor"] != vendor):
            continue
        for tenant_id, spec in (doc.get("tenants") or {}).items():
            if tenant is not None and str(tenant_id) != tenant:
                continue
            v.load_fixture_tenant(str(tenant_id), spec or {})
            loaded += 1
    return loaded
