"""Compiled validation: OpenAPI -> JSON Schema conversion, coercion of strings, deepObject parameters,
violations naming the field; and a cross-check that our compiled validators agree with openapi-core's
per-request validator (the slow reference) on a table of Twilio requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from multidict import MultiDict
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from fakeexports.errors import SpecError
from fakeexports.specs import data_dir, load_spec, resolve_refs, snake_case, to_json_schema
from fakeexports.validation import RequestValidator, ResponseValidator

TWILIO = data_dir("specs") / "twilio.yaml"


def op(path: str, method: str = "GET") -> Any:
    spec = load_spec("twilio", "v1", TWILIO)
    return next(o for o in spec.operations if o.path == path and o.method == method)


def test_nullable_becomes_a_null_type() -> None:
    assert to_json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"], "enum": ["a", None]}
    assert to_json_schema({"allOf": [{"type": "object"}], "nullable": True}) == {
        "anyOf": [{"allOf": [{"type": "object"}]}, {"type": "null"}]}
    assert to_json_schema({"type": "integer", "example": 3}) == {"type": "integer"}


def test_annotations_drop_but_properties_of_the_same_name_stay() -> None:
    # a field called "example", "deprecated" or "nullable" is a name, not an OpenAPI annotation
    schema = {"type": "object", "x-vendor-note": "gone", "deprecated": True, "required": ["example"],
              "properties": {"example": {"type": "string", "example": "x"}, "nullable": {"type": "integer"},
                             "deprecated": {"type": "boolean", "x-internal": True}}}
    assert to_json_schema(schema) == {"type": "object", "required": ["example"], "properties": {
        "example": {"type": "string"}, "nullable": {"type": "integer"}, "deprecated": {"type": "boolean"}}}


def test_refs_resolve_and_cycles_are_spec_errors() -> None:
    doc = {"a": {"$ref": "#/components/schemas/X"}, "components": {"schemas": {"X": {"type": "string"}}}}
    assert resolve_refs(doc)["a"] == {"type": "string"}
    with pytest.raises(SpecError):
        resolve_refs({"a": {"$ref": "#/components/schemas/Y"}, "components": {"schemas": {"Y": {"$ref": "#/components/schemas/Y"}}}})
    with pytest.raises(SpecError):
        resolve_refs({"a": {"$ref": "other.yaml#/X"}})


def test_operation_ids_become_handler_names() -> None:
    assert snake_case("CreateExportCustomJob") == "create_export_custom_job"
    assert snake_case("getExportDownload") == "get_export_download"
    assert snake_case("ListDay") == "list_day"


def test_query_values_are_coerced_and_checked() -> None:
    v = RequestValidator(op("/v1/Exports/{ResourceType}/Jobs"))
    params, problem = v.params({"ResourceType": "Messages"}, MultiDict(PageSize="20", Page="0"), {})
    assert problem is None
    assert params == {"ResourceType": "Messages", "PageSize": 20, "Page": 0}
    _, problem = v.params({"ResourceType": "Messages"}, MultiDict(PageSize="2000"), {})
    assert problem is not None and (problem.location, problem.name, problem.rule) == ("query", "PageSize", "maximum")
    _, problem = v.params({"ResourceType": "Messages"}, MultiDict(PageSize="1.5"), {})
    assert problem is not None and problem.rule == "type"
    _, problem = v.params({"ResourceType": "Faxes"}, MultiDict(), {})
    assert problem is not None and problem.location == "path"


def test_form_bodies_name_the_missing_field() -> None:
    v = RequestValidator(op("/v1/Exports/{ResourceType}/Jobs", "POST"))
    body, problem = v.body("application/x-www-form-urlencoded", b"StartDay=2026-01-01&EndDay=2026-01-02&FriendlyName=x")
    assert problem is None and body["FriendlyName"] == "x"
    _, problem = v.body("application/x-www-form-urlencoded", b"StartDay=2026-01-01&EndDay=2026-01-02")
    assert problem is not None and (problem.name, problem.rule) == ("FriendlyName", "required")
    _, problem = v.body("", b"")
    assert problem is not None and problem.rule == "required"
    _, problem = v.body("application/json", b'{"StartDay": "2026-01-01"}')
    assert problem is not None and problem.rule == "content-type"


def test_deep_object_parameters(tmp_path: Path) -> None:
    # DIDWW's page[number]/filter[...] style, on a tiny spec of our own
    doc = {
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {"operationId": "ListThings", "parameters": [
            {"name": "page", "in": "query", "style": "deepObject", "explode": True, "schema": {
                "type": "object", "properties": {"number": {"type": "integer", "minimum": 1},
                                                 "size": {"type": "integer", "maximum": 1000}}}},
            {"name": "X-Version", "in": "header", "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
        ], "responses": {"200": {"description": "ok"}}}}},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(doc))
    spec = load_spec("tiny", "v", path)
    v = RequestValidator(spec.operations[0])
    params, problem = v.params({}, MultiDict({"page[number]": "2", "page[size]": "10"}), {"x-version": "2026-04-16"})
    assert problem is None
    assert params == {"page": {"number": 2, "size": 10}, "x-version": "2026-04-16"}
    _, problem = v.params({}, MultiDict({"page[size]": "5000"}), {})
    assert problem is not None and problem.name == "page.size"
    _, problem = v.params({}, MultiDict(), {"X-Version": "yesterday"})
    assert problem is not None and problem.location == "header"


def test_strict_mode_names_the_operation_and_the_field() -> None:
    checker = ResponseValidator(op("/v1/Exports/Jobs/{JobSid}"))
    with pytest.raises(Exception, match=r"FetchJob .* response 200: field friendly_name: .* is required"):
        checker.check(200, "application/json", {"job_sid": 5}, {})
    good = {"friendly_name": "x", "resource_type": "Messages", "start_day": "2026-01-01", "end_day": "2026-01-02",
            "webhook_url": None, "webhook_method": None, "email": None, "job_sid": "JS" + "a" * 32,
            "details": [], "job_queue_position": None, "estimated_completion_time": None,
            "url": "http://127.0.0.1/twilio/v1/Exports/Jobs/JS" + "a" * 32}
    checker.check(200, "application/json", good, {})
    with pytest.raises(Exception, match=r"response 200: field job_sid"):
        checker.check(200, "application/json", {**good, "job_sid": "JS1"}, {})
    with pytest.raises(Exception, match="response 302: content type '' is not one of"):
        ResponseValidator(op("/v1/Exports/{ResourceType}/Days/{Day}")).check(302, None, None, {})
    with pytest.raises(Exception, match="header 'location' is required"):
        ResponseValidator(op("/v1/Exports/{ResourceType}/Days/{Day}")).check(
            307, "application/json", {"redirect_to": "http://x/y"}, {})


ORACLE_CASES = [
    ("GET", "/v1/Exports/Messages/Jobs", {"PageSize": "50"}, None),
    ("GET", "/v1/Exports/Messages/Jobs", {"PageSize": "0"}, None),
    ("GET", "/v1/Exports/Messages/Jobs", {"PageSize": "1001"}, None),
    ("GET", "/v1/Exports/Messages/Jobs", {"PageSize": "x"}, None),
    ("GET", "/v1/Exports/Messages/Jobs", {"Page": "-1"}, None),
    ("GET", "/v1/Exports/Messages/Days", {"PageSize": "400"}, None),
    ("GET", "/v1/Exports/Messages/Days", {"PageSize": "401"}, None),
    ("GET", "/v1/Exports/Faxes/Days", {}, None),
    ("GET", "/v1/Exports/Jobs/JS" + "a" * 32, {}, None),
    ("GET", "/v1/Exports/Jobs/JSzz", {}, None),
    ("GET", "/v1/Exports/Messages/Days/2026-01-01", {}, None),
    ("GET", "/v1/Exports/Messages/Days/2026-1-1", {}, None),
    ("POST", "/v1/Exports/Messages/Jobs", {}, "StartDay=2026-01-01&EndDay=2026-01-02&FriendlyName=x"),
    ("POST", "/v1/Exports/Messages/Jobs", {}, "StartDay=2026-01-01&EndDay=2026-01-02"),
    ("POST", "/v1/Exports/Messages/Jobs", {}, "StartDay=01/01/2026&EndDay=2026-01-02&FriendlyName=x"),
    ("POST", "/v1/Exports/Messages/Jobs", {}, "StartDay=2026-01-01&EndDay=2026-01-02&FriendlyName=x&WebhookMethod=PUT"),
    ("POST", "/v1/Exports/Messages/Configuration", {}, "Enabled=true"),
    ("POST", "/v1/Exports/Messages/Configuration", {}, "Enabled=perhaps"),
]


@pytest.mark.parametrize(("method", "path", "query", "form"), ORACLE_CASES)
def test_compiled_validators_agree_with_openapi_core(method: str, path: str, query: dict[str, str], form: str | None) -> None:
    raw = yaml.safe_load(TWILIO.read_text())
    oracle = OpenAPI.from_dict(raw)
    request = MockRequest("https://bulkexports.twilio.com", method.lower(), path, args=query,
                          headers={"Authorization": "Basic QUM6eA=="}, data=form.encode() if form else None,
                          content_type="application/x-www-form-urlencoded" if form is not None else "application/json")
    try:
        oracle.validate_request(request)
        oracle_ok = True
    except Exception:
        oracle_ok = False

    spec = load_spec("twilio", "v1", TWILIO)
    ours_ok = False
    for operation in spec.operations:
        match = _match(operation.path, path)
        if operation.method != method or match is None:
            continue
        v = RequestValidator(operation)
        _, problem = v.params(match, MultiDict(query), {})
        if problem is None and form is not None:
            _, problem = v.body("application/x-www-form-urlencoded", form.encode())
        ours_ok = problem is None
        break
    assert ours_ok == oracle_ok


def _match(template: str, path: str) -> dict[str, str] | None:
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    if len(t) != len(p):
        return None
    out = {}
    for a, b in zip(t, p, strict=True):
        if a.startswith("{"):
            out[a[1:-1]] = b
        elif a != b:
            return None
    return out
