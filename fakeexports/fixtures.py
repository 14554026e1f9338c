"""Fixture files: seed data (fixtures/<vendor>.yaml) loaded at startup and again after a reset. A file
names its vendor and, per tenant, what that tenant holds; the vendor module interprets its own part:

    vendor: twilio
    tenants:
      ACaaaa...:
        jobs: [...]

An item of any list may say ``repeat: N``: it stands for N items alike (a realistic account of a million jobs in
a few lines). The copies are made one at a time as the vendor reads them, so the list is never built."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .specs import data_dir, load_yaml

if TYPE_CHECKING:
    from .vendor import VendorApp


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
            raise FixtureError(f"{path}: a fixture file is a mapping with a 'vendor' key")
        doc.setdefault("tenants", {})
        doc["_path"] = str(path)
        docs.append(doc)
    return docs


class FixtureError(ValueError):
    """A fixture document that cannot be loaded: the message names the document, the tenant and what is wrong."""


REPEAT_LIMIT = 10_000_000
FREEZE_AFTER = 10_000  # jobs a load must add before what it made is taken out of the cycle collector's way


class Repeated:
    """A fixture list with its ``repeat`` items expanded lazily. The vendor iterates it like the list."""

    def __init__(self, items: list[Any], unique: Iterable[str], where: str):
        self.items = items
        for item in items:
            if not isinstance(item, dict) or "repeat" not in item:
                continue
            n = item["repeat"]
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= REPEAT_LIMIT:
                raise FixtureError(f"{where}: 'repeat' must be a whole number from 0 to {REPEAT_LIMIT:,}")
            clash = sorted(k for k in unique if k in item)
            if clash and n > 1:
                raise FixtureError(f"{where}: an item repeated {n} times cannot give {', '.join(clash)} (ids are "
                                   "unique)")

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            if isinstance(item, dict) and "repeat" in item:
                copy = {k: v for k, v in item.items() if k != "repeat"}
                for _ in range(item["repeat"]):
                    yield copy
            else:
                yield item


def expand(spec: Mapping[str, Any], unique: Iterable[str], where: str) -> dict[str, Any]:
    """A tenant's fixture with every list's ``repeat`` items standing for that many copies."""
    if not isinstance(spec, Mapping):
        raise FixtureError(f"{where}: a tenant's fixture is a mapping")
    return {k: Repeated(v, unique, f"{where}: {k}") if isinstance(v, list) else v for k, v in spec.items()}


def load_into(vendors: Mapping[str, VendorApp], docs: list[dict[str, Any]], vendor: str | None = None,
              tenant: str | None = None) -> int:
    """Load the fixture documents (for one vendor or tenant only, after a partial reset); returns the
    number of tenants loaded."""
    loaded = 0
    store = next(iter(vendors.values())).runtime.store if vendors else None
    before = store.job_count() if store is not None else 0
    for doc in docs:
        v = vendors.get(doc["vendor"])
        if v is None or (vendor is not None and doc["vendor"] != vendor):
            continue
        for tenant_id, spec in (doc.get("tenants") or {}).items():
            if tenant is not None and str(tenant_id) != tenant:
                continue
            where = f"{doc.get('_path', 'fixture')}: {tenant_id}"
            spec = expand(spec or {}, v.fixture_ids, where)
            try:
                if "records_per_day" in spec:  # every vendor's: set before its jobs are made, which keep it
                    v.set_volume(str(tenant_id), spec.pop("records_per_day"))
                v.load_fixture_tenant(str(tenant_id), spec)
            except FixtureError:
                raise
            except (ValueError, TypeError, KeyError) as exc:
                # A vendor reads its part of the document as data (int(), a missing key): a value of the wrong shape
                # is the document's fault, said with where it is. Only while reading a document.
                raise FixtureError(f"{where}: {type(exc).__name__}: {exc}") from exc
            loaded += 1
    if store is not None and store.job_count() - before >= FREEZE_AFTER:
        # A big fixture lives until a reset: the cycle collector need not walk it again and again (with a
        # million jobs each full collection would stall the server for a second). Refcounting still frees it.
        gc.collect()
        gc.freeze()
    return loaded
