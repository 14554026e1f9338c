"""The control API and its own OpenAPI document (specs/control.yaml) held to each other: every control route is an
operation of the document and every operation a route (a HEAD is its GET's), the query parameters the handlers read are the ones it
declares, docs/control-api.md lists them all, the fake serves it, and strict mode turns an answer that drifts from it
into a journaled 500. (That it is valid OpenAPI: tests/unit/test_specs.py checks every document in specs/.)"""

from __future__ import annotations

import ast
import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from fakeexports import control, create_app
from fakeexports.control import CATCH_ALL, CONTROL_DOC, PREFIX, ControlDoc
from fakeexports.specs import HTTP_METHODS, data_dir
from tests.conftest import FakeServer, settings

DOC = data_dir("specs") / "control.yaml"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "control-api.md"
SHARED = ("401", "404", "500", "503")  # every endpoint can answer these (on a clock: 401 and 404 from the clock)


@cache
def _source() -> str:
    return json.dumps(yaml.load(DOC.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def _document() -> dict[str, Any]:
    """The document as written (a copy of its own, parsed once)."""
    doc: dict[str, Any] = json.loads(_source())
    return doc


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, item in _document()["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS}


def _canonical(route: str) -> str:
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route)  # aiohttp's canonical form of a route with a pattern


def test_every_control_route_is_an_operation_of_the_document_and_every_operation_a_route() -> None:
    """Routes as the app registers them (control.py's, and any other module's under /_fakeexports/), but the catch-all
    that answers 404 for a path no endpoint has."""
    app = create_app(settings(clock="virtual", fixtures="none"))
    routes = {(route.method, route.resource.canonical) for route in app.router.routes()
              if route.resource is not None and route.resource.canonical.startswith(PREFIX + "/")}
    routes.discard(("*", _canonical(PREFIX + CATCH_ALL)))
    routes -= {("HEAD", path) for method, path in routes if method == "GET"}  # aiohttp's, a GET without its body
    documented = set(_operations())
    assert routes - documented == set(), "control routes without an operation in specs/control.yaml"
    assert documented - routes == set(), "operations of specs/control.yaml that no control route serves"


def _query_names(fn: Any) -> set[str]:
    """The query parameters a handler reads: ``request.query.get("x")``, ``request.query["x"]``, and the same
    through a name bound to ``request.query`` (``q = request.query``)."""
    tree = ast.parse(inspect.getsource(fn).split("\n", 1)[1])  # the source without its decorator
    aliases = {"query"} | {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                           for target, value in _pairs(node)
                           if isinstance(value, ast.Attribute) and value.attr == "query"}

    def is_query(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr in aliases) or (
            isinstance(node, ast.Name) and node.id in aliases)

    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and is_query(node.func.value) and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and is_query(node.value) and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def _pairs(node: ast.Assign) -> list[tuple[ast.Name, ast.expr]]:
    """``a, q = x, request.query`` as [(a, x), (q, request.query)]; ``q = request.query`` as [(q, request.query)]."""
    out: list[tuple[ast.Name, ast.expr]] = []
    for target in node.targets:
        if isinstance(target, ast.Name):
            out.append((target, node.value))
        elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            out.extend((t, v) for t, v in zip(target.elts, node.value.elts, strict=False) if isinstance(t, ast.Name))
    return out


def _handlers() -> list[tuple[str, str, Any]]:
    """(method, route, handler function) of every endpoint of control.py, read from its @endpoint decorators."""
    found = []
    for _, fn in inspect.getmembers(control, inspect.iscoroutinefunction):
        source = inspect.getsource(fn)
        m = re.match(r'@endpoint\("([A-Z*]+)", (?:"([^"]+)"|CATCH_ALL)\)', source)
        if m and m.group(2):
            found.append((m.group(1), PREFIX + m.group(2), fn))
    return found


@pytest.mark.parametrize(("method", "route", "fn"), _handlers(), ids=[f"{m} {r}" for m, r, _ in _handlers()])
def test_the_query_parameters_a_handler_reads_are_the_ones_its_operation_declares(method: str, route: str,
                                                                                   fn: Any) -> None:
    op = _operations()[method, route]
    components = _document()["components"]["parameters"]
    params = [components[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in op.get("parameters", [])]
    declared = {p["name"] for p in params if p["in"] == "query"}
    assert _query_names(fn) == declared, f"{fn.__name__} reads {sorted(_query_names(fn))}"


def test_every_operation_declares_the_refusals_every_endpoint_can_give() -> None:
    missing = {f"{m} {p}": [s for s in SHARED if s not in op["responses"]] for (m, p), op in _operations().items()}
    assert {k: v for k, v in missing.items() if v} == {}


def test_the_docs_page_lists_every_endpoint_of_the_document() -> None:
    rows = re.findall(r"^\| (GET|POST|DELETE|PUT|PATCH) \| `([^`]+)` \|", PAGE.read_text(), re.MULTILINE)
    assert len(rows) == len(set(rows)), "a row twice in docs/control-api.md"
    assert set(rows) == set(_operations())


async def test_the_fake_serves_its_document_with_its_servers_at_the_fake(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    origin = str(client.make_url("")).rstrip("/")
    resp = await client.get("/_fakeexports/openapi.json")
    served = await resp.json()
    validate(served)
    assert resp.status == 200
    assert served == json.loads(json.dumps(_document()).replace("http://127.0.0.1:8080", origin))
    assert [s["url"] for s in served["servers"]] == [origin, origin + "/_clocks/{clock}"]
    assert served["paths"]["/_fakeexports/clocks"]["servers"][0]["url"] == origin
    as_yaml = await client.get("/_fakeexports/openapi.yaml")
    assert as_yaml.content_type == "application/yaml"
    assert yaml.safe_load(await as_yaml.text()) == served
    assert "# --- the fake clock" in await as_yaml.text()  # the file as written, its comments kept

    # on a clock: the same document, that clock's id as the clock server's default
    made = await (await client.post("/_fakeexports/clocks", json={})).json()
    token = {"Authorization": f"Bearer {made['token']}"}
    on_clock = await (await client.get(made["url"] + "/_fakeexports/openapi.json", headers=token)).json()
    assert on_clock["servers"][1]["variables"]["clock"]["default"] == made["id"]
    as_yaml = await client.get(made["url"] + "/_fakeexports/openapi.yaml", headers=token)
    assert yaml.safe_load(await as_yaml.text()) == on_clock


async def test_the_document_is_open_under_a_control_token(client_for: Any) -> None:
    client = await client_for(fixtures="none", control_token="s3cret")
    assert (await client.get("/_fakeexports/openapi.json")).status == 200
    assert (await client.get("/_fakeexports/openapi.yaml")).status == 200
    assert (await client.get("/_fakeexports/jobs")).status == 401


def _drifted(tmp_path: Path) -> Path:
    """The document with health's ``jobs`` declared a string: the fake's answer (a number) drifts from it."""
    doc = _document()
    doc["components"]["schemas"]["Health"]["properties"]["jobs"] = {"type": "string"}
    path = tmp_path / "control.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("strict", [True, False])
async def test_strict_mode_turns_an_answer_that_drifts_from_the_document_into_a_journaled_500(
        tmp_path: Path, strict: bool) -> None:
    app = create_app(settings(clock="virtual", strict=strict, fixtures="none"))
    app[CONTROL_DOC] = ControlDoc(path=_drifted(tmp_path))
    client: TestClient[Any, Any] = TestClient(FakeServer(app))
    await client.start_server()
    try:
        resp = await client.get("/_fakeexports/health")
        errors = list(app[control.RUNTIME].journal.errors)
        if not strict:  # nothing checked: the answer as the handler made it
            assert resp.status == 200 and errors == []
            return
        body = await resp.json()
        assert (resp.status, resp.headers["X-Fakeexports-Strict"]) == (500, "fail")
        assert body["error"] == ("strict mode: control getHealth (GET /_fakeexports/health) response 200: "
                                 "field jobs: jobs must be string")
        assert [(e.where, e.message) for e in errors] == [("strict mode", body["error"].removeprefix("strict mode: "))]
        # the refusal's own shape is checked too, and matches: no second error
        assert (await client.post("/_fakeexports/clock/advance", json={"seconds": -1})).status == 400
        assert len(app[control.RUNTIME].journal.errors) == 1
    finally:
        await client.close()


def test_a_request_path_names_its_operation_on_the_server_or_on_a_clock() -> None:
    doc = ControlDoc()
    force = doc.operation_at("POST", "/_fakeexports/jobs/acme/j-1/force")
    assert force is not None and force.operation_id == "forceJob"
    on_clock = doc.operation_at("GET", "/_clocks/clk_0123456789abcdef/_fakeexports/jobs")
    assert on_clock is not None and on_clock.operation_id == "listJobs"
    assert doc.operation_at("GET", "/_fakeexports/nothing") is None
    assert doc.operation_at("PUT", "/_fakeexports/jobs") is None
