"""A catalogue of hostile inputs thrown at every operation of every vendor (found from the specs, so a new
vendor is covered without touching this file): the answer is never a 500, always in the vendor's own
content type, and the server keeps serving and keeps its state."""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME

AUTH_HEADERS = {
    "twilio": {"Authorization": "Basic " + base64.b64encode(b"AC" + b"5" * 32 + b":pw").decode()},
    "didww": {"Api-Key": "hostile"},
    "talkdesk": {},  # a Bearer token, fetched first
    "hookbridge": {"Authorization": "Bearer hb_test_hostile"},
}
VALUES = ["", "0", "-1", "99999999999999999999", "null", "%00", "\u202e\u0000", "../../etc/passwd", "a" * 5000,
          "2026-02-30", "JS" + "z" * 32, "[]", "{}", "' OR 1=1 --"]
BODIES: list[tuple[str, bytes]] = [
    ("application/json", b""),
    ("application/json", b"\xff\xfe\xfd"),
    ("application/json", b"[" * 5000 + b"]" * 5000),
    ("application/json", b'{"data": ' * 200 + b"1" + b"}" * 200),
    ("application/json", b'{"data": {"type": "exports", "attributes": "x"}}'),
    ("application/json", b'{"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": []}}}'),
    ("application/json", b'{"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": '
                         b'{"year": {"a": 1}, "month": [1], "from": 5, "to": null}}}}'),
    ("application/vnd.api+json", b'{"data": {"type": "exports", "id": 5, "attributes": {"external_reference_id": 7}}}'),
    ("application/x-www-form-urlencoded", b"StartDay=%ZZ&EndDay=\x00&FriendlyName="),
    ("application/x-www-form-urlencoded", b"&&==&StartDay=2026-01-01&StartDay=2026-01-02&EndDay=2026-01-03"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--"),
    ("text/plain", b"hello"),
]


def concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value.replace("/", "%2F") or "x", path)


async def test_hostile_inputs_never_get_a_500(client_for: Any) -> None:
    client = await client_for(fixtures="none", max_body=64 * 1024)
    runtime = client.app[RUNTIME]
    registry = client.app[REGISTRY]
    token = await (await client.post("/talkdesk/oauth/token?grant_type=client_credentials",
                                     headers={"Authorization": "Basic " + base64.b64encode(b"c:s").decode()})).json()
    AUTH_HEADERS["talkdesk"] = {"Authorization": "Bearer " + token["access_token"]}
    assert set(AUTH_HEADERS) == set(registry.routes), "give the new vendor working credentials here"
    sent = 0
    for name, routes in registry.routes.items():
        vendor = registry.vendors[name]
        auth = AUTH_HEADERS[name]
        expected_type = vendor.json_type
        for (method, path), _ in routes.table.items():
            for value, (ctype, payload) in itertools.islice(zip(itertools.cycle(VALUES), BODIES * 2), 24):
                url = vendor.mount + concrete(path, value)
                query = {"PageSize": value, "Page": value, "PageToken": value, "page[size]": value,
                         "page[number]": value, "sort": value, "filter[id]": value, "fields[exports]": value}
                for headers in (auth, {}, {**auth, "X-DIDWW-API-Version": value[:40].replace("\x00", "").replace("\u202e", "")}):
                    resp = await client.request(method, url, params=query, data=payload,
                                                headers={**headers, "Content-Type": ctype})
                    sent += 1
                    assert resp.status < 500, (method, url, value, ctype, await resp.text())
                    body = await resp.read()
                    if body:
                        assert resp.headers["Content-Type"].startswith(expected_type), (method, url)
    assert sent > 500
    assert not runtime.journal.errors
    # still serving, state intact
    resp = await client.get("/_fakeexports/health")
    assert (await resp.json())["status"] == "ok"
