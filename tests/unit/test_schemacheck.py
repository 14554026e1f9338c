"""schemacheck.SchemaCheck walks a fixture schema instead of compiling it; it must fail exactly where fastjsonschema's
compiled check fails (the same first failure: path and rule), since fixtures.worded words either. Both run here on
every vendor's fixture schema over its own fixture documents and thousands of mutations of them."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
import yaml
from fastjsonschema import JsonSchemaDefinitionException, JsonSchemaValueException

from fakeexports.schemacheck import SchemaCheck
from fakeexports.validation import FORMATS
from fakeexports.vendors import discover
from tests.acme.fakeexports_acme import VENDOR as ACME  # a vendor from another package, with its own schema

ROOT = Path(__file__).resolve().parents[2]
VENDORS = {**{name: v for name, v in discover().items() if v.fixture_schema}, "acme": ACME}
# what a user might write anywhere in a document
ODD: list[Any] = [None, True, False, 0, -1, 7, 1.5, 3.0, 10**12, "", "x", "2026-01-01T00:00:00Z", "2026-01-01",
                  "proj_abc", "01935abc-def0-7123-8567-890abcdef012", "completed", "cdr_in", "Messages", [], [1],
                  {}, {"zz": 1}]


def outcome(check: Any, doc: Any) -> tuple[str, str] | None:
    try:
        check(doc)
    except JsonSchemaValueException as exc:
        return str(exc.name), str(exc.rule)
    return None


def parts(vendor: str) -> list[Any]:
    """The tenants' parts of the vendor's own fixture document (the core's keys left out, as fixtures.py does)."""
    path = ROOT / "fixtures" / f"{vendor}.yaml"
    if vendor == "acme":  # its fixture file lives in its package
        path = Path(importlib.import_module(ACME.module).__file__ or "").with_name(ACME.fixtures or "")
    doc = yaml.safe_load(path.read_text())
    return [{k: v for k, v in (part or {}).items() if k != "records_per_day"}
            for part in (doc.get("tenants") or {}).values()]


def mutations(doc: Any) -> Iterator[Any]:
    """The document with each value in turn replaced by each odd value, and with an unknown key beside each key."""
    def walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        yield path
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, (*path, i))

    def at(root: Any, path: tuple[Any, ...]) -> Any:
        for step in path:
            root = root[step]
        return root

    for path in walk(doc, ()):
        if not path:
            continue
        for value in ODD:
            changed = copy.deepcopy(doc)
            at(changed, path[:-1])[path[-1]] = value
            yield changed
        parent = at(doc, path[:-1])
        if isinstance(parent, dict):
            changed = copy.deepcopy(doc)
            at(changed, path[:-1])["expire_at"] = 1
            yield changed
            changed = copy.deepcopy(doc)
            del at(changed, path[:-1])[path[-1]]
            yield changed


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_the_walked_check_fails_where_the_compiled_one_does(vendor: str) -> None:
    schema = VENDORS[vendor].fixture_schema
    compiled = fastjsonschema.compile(dict(schema), formats=FORMATS, use_default=False)
    walked = SchemaCheck(schema)
    compared = failed = 0
    for part in parts(vendor):
        for doc in [part, *mutations(part)]:
            expected = outcome(compiled, copy.deepcopy(doc))
            assert outcome(walked, doc) == expected, doc
            compared += 1
            failed += expected is not None
    assert compared > 100 and failed > 50, (compared, failed)  # the corpus reaches the schema's failures


def test_a_keyword_it_does_not_know_is_refused_when_made() -> None:
    with pytest.raises(JsonSchemaDefinitionException, match=r"data.a: schemacheck does not know \['oneOf'\]"):
        SchemaCheck({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
