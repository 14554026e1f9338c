"""Fixture files: seed data (fixtures/<vendor>.yaml) loaded at startup and again after a reset. A file
names its vendor and, per tenant, what that tenant holds; the vendor module interprets its own part:

    vendor: twilio
    tenants:
      ACaaaa...:
        jobs: [...]

An item of any list may say ``repeat: N``: it stands for N items alike (a realistic account of a million jobs in
a few lines). The copies are made one at a time as the vendor loads them, so the list is never built.

A document is checked before anything of it is loaded: for each tenant in scope the core's keys (``records_per_day``,
``repeat``), then its vendor's JSON Schema (``Vendor(fixture_schema=...)``, compiled once), then the vendor
reads it (``read_tenant``: what a schema cannot say, a date that must exist, a time zone that must be one, raised as
FixtureError). Only when every tenant has been read are they loaded (``load_tenant``). So a document that is wrong
loads nothing, and its error names the file, the tenant and the path in the document; an exception of any other type
while loading is a bug of the fake and is let through (the control API's journaled 500, a traceback at start-up)."""

from __future__ import annotations

import difflib
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import fastjsonschema

from .errors import VendorError
from .progress import watching
from .specs import data_dir, load_yaml
from .store import VOLUME_LIMIT

if TYPE_CHECKING:
    from .vendor import VendorApp


TENANTS_MAP = "'tenants' must map tenant ids to what each holds"


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
        doc = _plain(load_yaml(path, cache))
        if not isinstance(doc, dict) or not isinstance(doc.get("vendor"), str):
            raise FixtureError("a fixture file is a mapping with a 'vendor' key (the vendor's name)",
                               document=str(path))
        if doc.get("tenants") is None:
            doc["tenants"] = {}
        elif not isinstance(doc["tenants"], dict):
            raise FixtureError(TENANTS_MAP, document=str(path))
        doc["_path"] = str(path)
        docs.append(doc)
    return docs


def _plain(value: Any) -> Any:
    """A YAML document with its dates and times as the ISO text they were written as (YAML reads an unquoted
    2026-01-01 as a date; the JSON copy in the cache holds text): fixtures and their schemas see strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


class FixtureError(ValueError):
    """A fixture document that cannot be loaded, said where: the document, the tenant, the path in that tenant's
    part (``jobs[0].start_day``) and what is wrong. A vendor raises it while reading its part with ``at`` only;
    the core adds the document and the tenant."""

    def __init__(self, problem: str, at: str = "", *, document: str = "", tenant: str | None = None):
        self.problem, self.at, self.document, self.tenant = problem, at, document, tenant
        parts = [document] if document else []
        parts += [f"tenant {tenant}"] if tenant is not None else []
        parts += [at] if at else []
        super().__init__(": ".join([*parts, problem]))

    def located(self, document: str, tenant: str | None) -> FixtureError:
        """This error said in ``document`` (and ``tenant``'s part) when it does not say where yet."""
        return FixtureError(self.problem, self.at, document=self.document or document,
                            tenant=self.tenant if self.tenant is not None else tenant)


# A fixture job's ``age_seconds``, every vendor's: at most about 317 years, so that a job made that long before the
# earliest clock (1970) still has a four-digit year (times.writable); a larger age was a 500 as the job was made.
AGE_LIMIT = 10_000_000_000
FIXTURE_AGE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": AGE_LIMIT}


# --- repeat ----------------------------------------------------------------------------------------------------
REPEAT_LIMIT = 10_000_000
PROGRESS_FROM = 50_000  # items a load stands for before it shows a bar on a terminal (a few seconds of loading)
FREEZE_AFTER = 10_000  # jobs a load must add before what it made is taken out of the cycle collector's way


class FixtureItem(NamedTuple):
    """An item of a tenant's list as the document gives it: where it is (``exports[2]``), the item without its
    ``repeat``, and how many items alike it stands for."""

    at: str
    item: Any
    copies: int


class Repeated:
    """A fixture list with its ``repeat`` items expanded lazily. The vendor iterates it like the list, or reads each
    item once with ``entries()`` (or ``fixture_items``) and makes it ``copies`` times."""

    def __init__(self, key: str, items: list[Any], unique: Iterable[str]):
        self.key, self.items = key, items
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "repeat" not in item:
                continue
            n = item["repeat"]
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= REPEAT_LIMIT:
                raise FixtureError(f"'repeat' must be a whole number from 0 to {REPEAT_LIMIT:,}", f"{key}[{i}]")
            clash = sorted(k for k in unique if k in item)
            if clash and n > 1:
                raise FixtureError(f"an item repeated {n} times cannot give {', '.join(clash)} (ids are unique)",
                                   f"{key}[{i}]")

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Any]:
        for entry in self.entries():
            for _ in range(entry.copies):
                yield entry.item

    def entries(self) -> Iterator[FixtureItem]:
        for i, item in enumerate(self.items):
            if isinstance(item, dict) and "repeat" in item:
                yield FixtureItem(f"{self.key}[{i}]", {k: v for k, v in item.items() if k != "repeat"},
                                  item["repeat"])
            else:
                yield FixtureItem(f"{self.key}[{i}]", item, 1)

    def as_given(self) -> list[Any]:
        """The items without their ``repeat`` (what the vendor's schema checks)."""
        return [entry.item for entry in self.entries()]


def fixture_items(spec: Mapping[str, Any], key: str) -> Iterator[FixtureItem]:
    """The items of a tenant's list ``key``, each once: where it is, the item, and how many items alike it stands
    for (its ``repeat``). A vendor reads each once and loads it that many times."""
    value = spec.get(key)
    if isinstance(value, Repeated):
        return value.entries()
    return (FixtureItem(f"{key}[{i}]", item, 1) for i, item in enumerate(value or ()))


def expand(spec: Mapping[str, Any], unique: Iterable[str]) -> dict[str, Any]:
    """A tenant's fixture with every list's ``repeat`` items standing for that many copies."""
    return {k: Repeated(k, v, unique) if isinstance(v, list) else v for k, v in spec.items()}


# --- checking -------------------------------------------------------------------------------------------------
WORDS = {"integer": "a whole number", "number": "a number", "string": "a string", "boolean": "true or false",
         "object": "a mapping", "array": "a list", "null": "null"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(exc: fastjsonschema.JsonSchemaValueException) -> str:
    known = list((exc.definition or {}).get("properties") or {})
    extra = sorted(str(k) for k in exc.value if k not in known) if isinstance(exc.value, dict) else []
    key = extra[0] if extra else "?"
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}" if known else "it has none"
    return f"unknown key {key!r} ({hint})"


def _must_be(rule: str, expected: Any, definition: Mapping[str, Any]) -> str:
    if definition.get("description"):
        return str(definition["description"])
    if rule == "type":  # null, where a schema allows it, stands for an empty value: not worth naming
        kinds = [str(k) for k in (expected if isinstance(expected, list) else [expected])]
        return " or ".join(WORDS.get(k, k) for k in kinds if k != "null" or len(kinds) == 1)
    if rule == "minLength" and expected == 1:
        return "a text that is not empty"
    if rule in ("enum", "const"):
        options = expected if rule == "enum" else [expected]
        return "one of " + ", ".join(str(o) for o in options if o is not None)
    bounds = {"minimum": "at least {}", "maximum": "at most {}", "exclusiveMinimum": "more than {}",
              "exclusiveMaximum": "less than {}", "minLength": "at least {} characters long",
              "maxLength": "at most {} characters long", "pattern": "text matching {}", "format": "a {}",
              "minItems": "a list of at least {} items", "maxItems": "a list of at most {} items"}
    shown = f"{expected:,}" if isinstance(expected, int) and not isinstance(expected, bool) else expected
    return bounds[rule].format(shown) if rule in bounds else f"valid ({rule} {expected})"


def worded(exc: fastjsonschema.JsonSchemaValueException) -> FixtureError:
    """A schema violation in a user's words, at its path in the tenant's part (``jobs[0].start_day``)."""
    name = str(exc.name or "data")
    at = name[5:] if name.startswith("data.") else name[4:] if name.startswith("data") else name
    if exc.rule == "required" and isinstance(exc.value, dict):
        missing = next((k for k in exc.rule_definition or () if k not in exc.value), "?")
        return FixtureError(f"{missing} is required", at)
    if exc.rule == "additionalProperties":
        return FixtureError(_unknown_key(exc), at)
    must = _must_be(str(exc.rule), exc.rule_definition, exc.definition or {})
    return FixtureError(f"must be {must}, not {_shown(exc.value)}", at)


@dataclass(frozen=True, slots=True)
class Read:
    """A tenant's part, checked and read by its vendor: ready to load."""

    vendor: VendorApp
    document: str
    tenant: str
    volume: int | None
    reading: Any
    items: int  # the items its lists stand for (each ``repeat`` counted): what loading it makes, about


def read_tenant(v: VendorApp, tenant: str, spec: Any) -> tuple[int | None, Any]:
    """One tenant's part checked (the core's keys, the vendor's schema) and read by its vendor: the tenant's
    ``records_per_day`` and what the vendor will load. Changes nothing; FixtureError without document and tenant."""
    spec = {} if spec is None else spec
    if not isinstance(spec, Mapping):
        raise FixtureError("a tenant's fixture is a mapping")
    volume = spec.get("records_per_day")
    if "records_per_day" in spec and (not isinstance(volume, int) or isinstance(volume, bool)
                                      or not 0 <= volume <= VOLUME_LIMIT):
        raise FixtureError(f"must be a whole number from 0 to {VOLUME_LIMIT:,}, not {_shown(volume)}",
                           "records_per_day")
    part = expand({k: value for k, value in spec.items() if k != "records_per_day"}, v.fixture_ids)
    if v.fixture_validator is not None:
        try:
            v.fixture_validator({k: value.as_given() if isinstance(value, Repeated) else value
                                 for k, value in part.items()})
        except fastjsonschema.JsonSchemaValueException as exc:
            raise worded(exc) from None
    _unique(part, v.fixture_ids)
    return volume, v.read_fixture_tenant(tenant, part)


def _unique(part: Mapping[str, Any], unique: Iterable[str]) -> None:
    """No id (``fixture_ids``) given twice in a tenant's part: the second job would take the first's place."""
    seen: dict[tuple[str, str], str] = {}
    for value in part.values():
        entries = value.entries() if isinstance(value, Repeated) else ()
        for entry in entries:
            for key in unique:
                given = entry.item.get(key) if isinstance(entry.item, dict) else None
                if not isinstance(given, str | int):
                    continue
                first = seen.setdefault((key, str(given)), entry.at)
                if first != entry.at:
                    raise FixtureError(f"{key} {given!r} is given by {first} too (ids are unique)", f"{entry.at}.{key}")


def _read(vendors: Mapping[str, VendorApp], doc: dict[str, Any], vendor: str | None,
          tenant: str | None) -> Iterator[Read]:
    document = str(doc.get("_path", "fixture"))
    v = vendors.get(doc["vendor"])
    if v is None or (vendor is not None and doc["vendor"] != vendor):
        return
    tenants = doc.get("tenants") or {}
    if not isinstance(tenants, Mapping):
        raise FixtureError(TENANTS_MAP, document=document)
    for tenant_id, spec in tenants.items():
        name = str(tenant_id)
        if tenant is not None and name != tenant:
            continue
        try:
            volume, reading = read_tenant(v, name, spec)
        except FixtureError as exc:
            raise exc.located(document, name) from None
        yield Read(v, document, name, volume, reading, _items(spec))


def _items(spec: Any) -> int:
    """How many items a tenant's lists stand for, each ``repeat`` counted (the spec is a checked mapping)."""
    lists = (value for value in spec.values() if isinstance(value, list))
    return sum(item["repeat"] if isinstance(item, dict) and isinstance(item.get("repeat"), int) else 1
               for items in lists for item in items)


def load_into(vendors: Mapping[str, VendorApp], docs: list[dict[str, Any]], vendor: str | None = None,
              tenant: str | None = None) -> int:
    """Load the fixture documents (for one vendor or tenant only, after a partial reset); returns the number of
    tenants loaded. Every tenant in scope is checked and read before any is loaded: a FixtureError loads nothing.
    A big load shows a bar of the jobs made on a terminal (progress.py)."""
    store = next(iter(vendors.values())).runtime.store if vendors else None
    before = store.job_count() if store is not None else 0
    reads = [read for doc in docs for read in _read(vendors, doc, vendor, tenant)]
    total = sum(read.items for read in reads)
    if store is not None and total >= PROGRESS_FROM:
        with watching(lambda: store.job_count() - before, total, desc="loading fixtures", unit="jobs"):
            _load(reads)
    else:
        _load(reads)
    if store is not None and store.job_count() - before >= FREEZE_AFTER:
        # A big fixture lives until a reset: the cycle collector need not walk it again and again (with a
        # million jobs each full collection would stall the server for a second). Refcounting still frees it.
        gc.collect()
        gc.freeze()
    return len(reads)


def _load(reads: list[Read]) -> None:
    for read in reads:
        v = read.vendor
        if read.volume is not None:  # every vendor's: set before its jobs are made, which keep it
            v.set_volume(read.tenant, read.volume)
        try:
            v.load_fixture_tenant(read.tenant, read.reading)
        except VendorError as exc:
            # A rule only the job engine knows (an outcome forced on a job that has already ended): the document's
            # mistake, found while loading, so the tenants before this one stay loaded.
            raise FixtureError(exc.message, document=read.document, tenant=read.tenant) from exc
