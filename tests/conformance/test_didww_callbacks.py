"""DIDWW's callback signature (X-DIDWW-Signature), which no HTTP exchange of the corpus covers: the fake's
``sign`` against the official SDKs' test vectors (didww/didww-api-3-python-sdk@4926800
tests/test_request_validator.py; the same vectors are in didww/didww-v3-ruby's "cross-SDK test vectors"), and the
fake's GET callbacks checked by the SDK's own validator over the URL the receiver sees."""

from __future__ import annotations

import json
from typing import Any

import pytest
from didww.callback.request_validator import RequestValidator

from fakeexports.vendors.didww import sign

VECTORS = "didww/didww-api-3-python-sdk@4926800:tests/test_request_validator.py"
ORDER = {"status": "completed", "id": "1dd7a68b-e235-402b-8912-fe73ee14243a", "type": "orders"}

# (test, key, url as given, payload, expected signature): a signature over the URL as given (for GET, with the
# payload already in its query) and the payload's pairs sorted by key.
SIGNED = [
    ("test_sandbox", "SOMEAPIKEY",
     "http://example.com/callback.php?id=7ae7c48f-d48a-499f-9dc1-c9217014b457&reject_reason=&status=approved"
     "&type=address_verifications",
     {"status": "approved", "id": "7ae7c48f-d48a-499f-9dc1-c9217014b457", "type": "address_verifications",
      "reject_reason": ""},
     "18050028b6b22d0ed516706fba1c1af8d6a8f9d5"),
    ("test_valid_request", "SOMEAPIKEY", "http://example.com/callbacks", ORDER,
     "fe99e416c3547f2f59002403ec856ea386d05b2f"),
    ("test_valid_request_with_query_and_fragment", "OTHERAPIKEY", "http://example.com/callbacks?foo=bar#baz", ORDER,
     "32754ba93ac1207e540c0cf90371e7786b3b1cde"),
    ("test_documentation_example", "szrdgh6547umt7tht7xbqhj6g9gdbyp7",
     "https://mycompany.com/didww_callbacks?opaque=123",
     {"id": "bf2cee72-6caa-4ae2-917e-bea01945691e", "status": "completed", "type": "orders"},
     "30f66e9d72eb5e193051fd02952f70d8e934b4ff"),
]
# URL_NORMALIZATION_VECTORS: key SOMEAPIKEY, the ORDER payload.
NORMALIZED = [
    ("http://foo.com/bar", "4d1ce2be656d20d064183bec2ab98a2ff3981f73"),
    ("http://foo.com:80/bar", "4d1ce2be656d20d064183bec2ab98a2ff3981f73"),
    ("http://foo.com:443/bar", "904eaa65c0759afac0e4d8912de424e2dfb96ea1"),
    ("http://foo.com:8182/bar", "eb8fcfb3d7ed4b4c2265d73cf93c31ba614384d1"),
    ("http://foo.com/bar?baz=boo", "78b00717a86ce9df06abf45ff818aa94537e1729"),
    ("http://user:pass@foo.com/bar", "88615a11a78c021c1da2e1e0bfb8cc165170afc5"),
    ("http://foo.com/bar#test", "b1c4391fcdab7c0521bb5b9eb4f41f08529b8418"),
    ("https://foo.com/bar", "f26a771c302319a7094accbe2989bad67fff2928"),
    ("https://foo.com:443/bar", "f26a771c302319a7094accbe2989bad67fff2928"),
    ("https://foo.com:80/bar", "bd45af5253b72f6383c6af7dc75250f12b73a4e1"),
    ("https://foo.com:8384/bar", "9c9fec4b7ebd6e1c461cb8e4ffe4f2987a19a5d3"),
    ("https://foo.com/bar?qwe=asd", "4a0e98ddf286acadd1d5be1b0ed85a4e541c3137"),
    ("https://qwe:asd@foo.com/bar", "7a8cd4a6c349910dfecaf9807e56a63787250bbd"),
    ("https://foo.com/bar#baz", "5024919770ea5ca2e3ccc07cb940323d79819508"),
    ("http://[::1]/bar", "e0e9b83e4046d097f54b3ae64b08cbb4a539f601"),
    ("http://[::1]:80/bar", "e0e9b83e4046d097f54b3ae64b08cbb4a539f601"),
    ("http://[::1]:9090/bar", "ebec110ec5debd0e0fd086ff2f02e48ca665b543"),
    ("https://[::1]/bar", "f3cfe6f523fdf1d4eaadc310fcd3ed92e1e324b0"),
    ("http://foo.com/hello%20world", "eb64035b2e8f356ff1442898a39ec94d5c3e2fc8"),
    ("http://foo.com/foo%2Fbar", "db24428442b012fa0972a453ba1ba98e755bba10"),
]


@pytest.mark.parametrize(("key", "url", "payload", "expected"), [v[1:] for v in SIGNED], ids=[v[0] for v in SIGNED])
def test_the_fake_signs_as_the_sdks_vectors(key: str, url: str, payload: dict[str, str], expected: str) -> None:
    assert sign(key, url, payload) == expected


@pytest.mark.parametrize(("url", "expected"), NORMALIZED, ids=[u for u, _ in NORMALIZED])
def test_the_fake_normalises_urls_as_the_sdks_vectors(url: str, expected: str) -> None:
    assert sign("SOMEAPIKEY", url, ORDER) == expected


def test_a_wrong_signature_is_not_the_fakes() -> None:
    # test_invalid_signature: a signature the validator rejects for this request
    assert sign("SOMEAPIKEY", "http://example.com/callbacks", ORDER) != "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"


JSONAPI = "application/vnd.api+json"
KEY = "callback-key"
SECRET = "callback-secret"
CREATES = [
    # (API version, callback_method, filters, the receiver's own query on the callback URL)
    ("2021-12-15", "GET", {"year": 2026, "month": 1}, ""),
    ("2026-04-16", "get", {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}, ""),
    ("2026-04-16", "get", {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}, "?opaque=123"),
]


@pytest.mark.parametrize(("version", "method", "filters", "own_query"), CREATES,
                         ids=[f"{v}{q or ''}" for v, _, _, q in CREATES])
async def test_a_get_callback_validates_with_the_sdks_validator(client_for: Any, aiohttp_server: Any, version: str,
                                                                method: str, filters: dict[str, Any],
                                                                own_query: str) -> None:
    from aiohttp import web

    seen: list[tuple[str, dict[str, str], str]] = []

    async def receiver(request: web.Request) -> web.Response:
        # As DIDWW's Rails sample receives it: the URL as called (request.original_url, undecoded), the callback's
        # parameters without the receiver's own (didww/didww-v3-rails-sample@c794bdf callbacks_controller.rb).
        payload = {k: v for k, v in request.query.items() if k != "opaque"}
        seen.append((f"http://{request.host}{request.raw_path}", payload, request.headers.get("X-DIDWW-Signature", "")))
        return web.Response()

    app = web.Application()
    app.router.add_get("/didww/callback.php", receiver)
    server = await aiohttp_server(app, host="127.0.0.1")
    callback = str(server.make_url("/didww/callback.php")) + own_query
    client = await client_for(fixtures="none")
    assert (await client.post(f"/_fakeexports/tenants/didww/{KEY}", json={"callback_secret": SECRET})).status == 200

    # create an export with a GET callback, then let it complete
    body = {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": filters,
                                                       "callback_url": callback, "callback_method": method}}}
    resp = await client.post("/didww/v3/exports", data=json.dumps(body),
                             headers={"Api-Key": KEY, "Accept": JSONAPI, "Content-Type": JSONAPI,
                                      "X-DIDWW-API-Version": version})
    assert resp.status == 201, await resp.text()
    made = (await resp.json(content_type=None))["data"]
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})).status == 200

    # the receiver got one GET, which the SDK's validator accepts over the URL it was called at
    assert len(seen) == 1
    url, payload, signature = seen[0]
    assert payload["id"] == made["id"] and payload["type"] == "exports" and payload["status"] == "completed"
    assert RequestValidator(SECRET).validate(url, payload, signature)
    assert not RequestValidator("another-secret").validate(url, payload, signature)
