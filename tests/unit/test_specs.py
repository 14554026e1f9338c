"""Every spec is a valid OpenAPI document, every operation has a handler, and a missing handler stops
the server at startup instead of becoming a silent 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from fakeexports.errors import SpecError
from fakeexports.registry import load_vendors
from fakeexports.routing import Operations
from fakeexports.runtime import make_runtime
from fakeexports.specs import data_dir, load_spec
from fakeexports.vendor import Vendor, VendorApp
from fakeexports.vendors import discover
from tests.conftest import settings

SPECS = sorted(data_dir("specs").glob("*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_spec_is_valid_openapi(path: Path) -> None:
    validate(yaml.safe_load(path.read_text()))


def test_every_vendor_module_has_its_specs_and_handlers() -> None:
    registry = load_vendors(make_runtime(settings(clock="virtual")))
    assert set(registry.vendors) == set(discover())
    for name, operations in registry.operations.items():
        for entry in operations.entries():
            assert entry.handler.__name__ == entry.op.handler_name, (name, entry.op.operation_id)


def test_an_operation_without_a_handler_is_a_startup_error(tmp_path: Path) -> None:
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/things": {"get": {"operationId": "ListThings", "responses": {"200": {"description": "ok"}}},
                    "post": {"operationId": "CreateThing", "responses": {"201": {"description": "ok"}}}}}}
    path = tmp_path / "things.yaml"
    path.write_text(yaml.safe_dump(doc))

    things = Vendor("things", mount="/things", specs={"v": "things.yaml"})

    @things.hook
    def authenticate(v: Any, request: Any, op: Any) -> str:
        return "t"

    @things.hook
    def render_error(v: Any, err: Any, request: Any) -> Any:
        raise NotImplementedError

    @things.operation("ListThings")
    async def list_things(ctx: Any) -> Any:
        raise NotImplementedError

    runtime = make_runtime(settings(clock="virtual"))
    with pytest.raises(SpecError, match=r"operations without a handler: CreateThing \(POST /things\)"):
        Operations(VendorApp(things, runtime), {"v": load_spec("things", "v", path)}, runtime.caches)


def test_a_vendor_must_give_its_required_hooks_and_every_effect_its_lifecycle_names() -> None:
    from fakeexports.kit import Effect, Lifecycle

    bare = Vendor("bare", mount="/bare", specs={}, lifecycle=Lifecycle(
        steps=(("a", None),), on_enter={"a": (Effect("ping"),)}))
    with pytest.raises(SpecError, match="missing authenticate, render_error, effect ping"):
        bare.check()
    with pytest.raises(SpecError, match="authenticat is not a hook"):
        @bare.hook
        def authenticat(v: Any, request: Any, op: Any) -> str:
            return "t"
    with pytest.raises(SpecError, match="two handlers for X"):
        bare.operation("X")(list_things_twice)
        bare.operation("X")(list_things_twice)


async def list_things_twice(ctx: Any) -> Any:
    raise NotImplementedError


def test_yaml_documents_are_read_through_a_json_copy_keyed_by_their_hash(tmp_path: Path) -> None:
    from fakeexports.specs import load_yaml

    source = tmp_path / "doc.yaml"
    source.write_text("a: 1\nb: [x, y]\n")
    cache = tmp_path / "cache"
    assert load_yaml(source, cache) == {"a": 1, "b": ["x", "y"]}
    (copy,) = cache.glob("*.json")
    assert load_yaml(source, cache) == {"a": 1, "b": ["x", "y"]}
    copy.write_text("{broken")  # a damaged copy is ignored, the YAML read again
    assert load_yaml(source, cache) == {"a": 1, "b": ["x", "y"]}
    source.write_text("a: 2\n")  # a changed file has another hash
    assert load_yaml(source, cache) == {"a": 2}
    assert load_yaml(source, None) == {"a": 2}
