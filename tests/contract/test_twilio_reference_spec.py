"""Conformance: the fake's Twilio responses validate against Twilio's own OpenAPI document
(reference-specs/twilio_bulkexports_v1.json, servers rewritten to the fake's mount), checked by
openapi-core's response validator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.conftest import basic
from tests.contract.conftest import reference_spec


@pytest.fixture(scope="module")
def reference() -> OpenAPI:
    return reference_spec("twilio_bulkexports_v1.json", "/twilio")


async def test_responses_validate_against_twilios_reference_spec(client_for: Any, reference: OpenAPI) -> None:
    client = await client_for(fixtures="none")
    auth = basic()
    calls: list[tuple[str, str, dict[str, str] | None]] = [
        ("POST", "/twilio/v1/Exports/Messages/Jobs", {"StartDay": "2026-01-10", "EndDay": "2026-01-12", "FriendlyName": "a"}),
        ("POST", "/twilio/v1/Exports/Messages/Jobs", {"StartDay": "2026-01-11", "EndDay": "2026-01-12", "FriendlyName": "b",
                                                      "WebhookUrl": "https://h.test/x", "WebhookMethod": "POST"}),
        ("ADVANCE", "200", None),
        ("GET", "/twilio/v1/Exports/Messages/Jobs?PageSize=1", None),
        ("GET", "/twilio/v1/Exports/Messages", None),
        ("GET", "/twilio/v1/Exports/Messages/Configuration", None),
        ("POST", "/twilio/v1/Exports/Messages/Configuration", {"Enabled": "true", "WebhookUrl": "https://h.test/c",
                                                               "WebhookMethod": "GET"}),
        ("GET", "/twilio/v1/Exports/Messages/Days?PageSize=2", None),
        ("GET", "/twilio/v1/Exports/Messages/Days/2026-01-10", None),
    ]
    checked = 0
    for method, path, form in calls:
        if method == "ADVANCE":
            await client.post("/_fakeexports/clock/advance", json={"seconds": float(path)})
            continue
        resp = await client.request(method, path, data=form, headers=auth, allow_redirects=False)
        body = await resp.read()
        split = urlsplit(path)
        request = MockRequest("http://fake", method.lower(), split.path,
                              args=dict(p.split("=") for p in split.query.split("&")) if split.query else None,
                              headers=auth, data=None)
        response = MockResponse(body, status_code=resp.status, content_type=resp.headers["Content-Type"].split(";")[0],
                                headers=dict(resp.headers))
        reference.validate_response(request, response)
        checked += 1
    assert checked == 8
