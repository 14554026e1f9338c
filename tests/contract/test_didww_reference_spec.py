"""Conformance: the fake's DIDWW answers under API version 2026-04-16 validate against DIDWW's own OpenAPI
document (reference-specs/didww_exports.json, which describes that version only), checked by openapi-core."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.contract.conftest import reference_spec

HEADERS = {"Api-Key": "conformance", "X-DIDWW-API-Version": "2026-04-16", "Content-Type": "application/vnd.api+json"}


@pytest.fixture(scope="module")
def reference() -> OpenAPI:
    return reference_spec("didww_exports.json", "/didww/v3")


async def test_responses_validate_against_didwws_reference_spec(client_for: Any, reference: OpenAPI) -> None:
    client = await client_for(fixtures="none")
    create = {"data": {"type": "exports", "attributes": {
        "export_type": "cdr_out", "filters": {"from": "2026-01-01 00:00:00", "to": "2026-01-05 00:00:00",
                                              "voice_out_trunk.id": "457bf47d-446d-41cd-91c3-dfbda7bf0753"},
        "callback_url": "https://hooks.example.test/didww", "callback_method": "post",
        "external_reference_id": "ref-1"}}}
    resp = await client.post("/didww/v3/exports", data=json.dumps(create), headers=HEADERS)
    export_id = (await resp.json(content_type=None))["data"]["id"]
    await client.post("/_fakeexports/clock/advance", json={"seconds": 600})
    update = {"data": {"type": "exports", "id": export_id, "attributes": {"external_reference_id": "ref-2"}}}
    calls = [
        ("POST", "/didww/v3/exports", create),
        ("GET", "/didww/v3/exports?page[number]=1&page[size]=1&sort=-created_at", None),
        ("GET", f"/didww/v3/exports/{export_id}", None),
        ("PATCH", f"/didww/v3/exports/{export_id}", update),
        ("GET", "/didww/v3/exports/00000000-0000-4000-8000-000000000000", None),
        ("POST", "/didww/v3/exports", {"data": {"type": "exports", "attributes": {
            "export_type": "cdr_in", "filters": {"from": "2025-01-01 00:00:00", "to": "2025-01-02 00:00:00"}}}}),
    ]
    for method, path, payload in calls:
        resp = await client.request(method, path, data=json.dumps(payload) if payload else None, headers=HEADERS)
        body = await resp.read()
        split = urlsplit(path)
        request = MockRequest("http://fake", method.lower(), split.path, args=dict(parse_qsl(split.query)) or None,
                              headers=HEADERS, data=json.dumps(payload).encode() if payload else None,
                              content_type="application/vnd.api+json")
        response = MockResponse(body, status_code=resp.status, content_type=resp.headers["Content-Type"].split(";")[0],
                                headers=dict(resp.headers))
        if resp.status in (200, 201, 422):  # the statuses the reference declares for these operations
            reference.validate_response(request, response)
        assert resp.status in (200, 201, 404, 422)
