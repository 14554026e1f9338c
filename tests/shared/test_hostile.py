"""A catalogue of hostile inputs thrown at every operation of every vendor (found from the specs, with
credentials from the vendor's recipe, so a new vendor is covered without touching this file): the answer is never a 500, always in the vendor's own
content type, and the server keeps serving and keeps its state."""

from __future__ import annotations

import itertools
import re
from typing import Any

from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME

from .conftest import VENDORS, driver

VALUES = ["", "0", "-1", "99999999999999999999", "null", "%00", "\u202e\u0000", "../../etc/passwd", "a" * 5000,
          "2026-02-30", "JS" + "z" * 32, "[]", "{}", "' OR 1=1 --",
          "9" * 5000,  # past the 4,300 digits Python reads as an integer (issue 20)
          "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"]  # in year 0 and 10000 in UTC (issue 20)
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
    # times whose UTC year is not four digits, where a vendor reads them (issue 20)
    ("application/json", b'{"start_time": "0001-01-01T00:00:00+01:00", "end_time": "9999-12-31T23:00:00-05:00", '
                         b'"type": "calls", "format": "csv", "timezone": "UTC", "from": "0001-01-01T00:00:00+01:00", '
                         b'"to": "9999-12-31T23:00:00-05:00"}'),
    ("application/json", b'{"start_time": "2026-01-01T00:00:00Z", "end_time": "9999-12-31T23:00:00-05:00", '
                         b'"type": "calls", "format": "csv", "timezone": "UTC", "from": "2026-01-01T00:00:00Z", '
                         b'"to": "9999-12-31T23:00:00-05:00"}'),
]


def concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value.replace("/", "%2F") or "x", path)


async def test_hostile_inputs_never_get_a_500(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none", max_body=64 * 1024)
    runtime = client.app[RUNTIME]
    routes = client.app[REGISTRY].operations[vendor]
    cls = VENDORS[vendor]
    d = driver(client, vendor)
    await d.login()
    job = await d.create()  # a real job among the garbage: it must survive
    auth = await d.headers()
    sent = 0
    for (method, path), _ in routes.table.items():
        for value, (ctype, payload) in itertools.islice(zip(itertools.cycle(VALUES), BODIES * 2), 24):
            url = cls.mount + concrete(path, value)
            query = {"PageSize": value, "Page": value, "PageToken": value, "page[size]": value,
                     "page[number]": value, "sort": value, "filter[id]": value, "fields[exports]": value,
                     "cursor": value, "limit": value}
            version = value[:40].replace("\x00", "").replace("\u202e", "")
            for headers in (auth, {}, {**auth, "X-DIDWW-API-Version": version}):
                resp = await client.request(method, url, params=query, data=payload,
                                            headers={**headers, "Content-Type": ctype})
                sent += 1
                assert resp.status < 500, (method, url, value, ctype, await resp.text())
                body = await resp.read()
                if body:
                    assert resp.headers["Content-Type"].startswith(cls.json_type), (method, url, resp.status)
    assert sent > 100
    assert not runtime.journal.errors
    # still serving, state intact
    resp = await client.get("/_fakeexports/health")
    assert (await resp.json())["status"] == "ok"
    assert job in await d.ids()
