"""A catalogue of hostile inputs thrown at every operation of every vendor (found from the specs, with
credentials from the vendor's recipe, so a new vendor is covered without touching this file): the answer is never a
500, always in the vendor's own content type, and the server keeps serving and keeps its state. The S3 stand-in's
links alike: every bad one gets S3's XML error with S3's status, journaled as sent, and changes nothing."""

from __future__ import annotations

import itertools
import re
from typing import Any
from xml.sax.saxutils import escape

import pytest
from yarl import URL

from fakeexports import s3
from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME

from .conftest import VENDORS, WITH_RECIPES, driver, recipe_of

VALUES = ["", "0", "-1", "99999999999999999999", "null", "%00", "\u202e\u0000", "../../etc/passwd", "a" * 5000,
          "2026-02-30", "JS" + "z" * 32, "[]", "{}", "' OR 1=1 --",
          "9" * 5000,  # past the 4,300 digits Python reads as an integer (issue 20)
          "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00",  # in year 0 and 10000 in UTC (issue 20)
          "PTbjEuw6k"]  # a page token whose checksum is not ASCII ("n1.\u00e9"): hmac.compare_digest raises on it
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
    # and the lint rules judge all of it (hostile paths, bodies and credentials among it) without an error
    for path in (f"/{vendor}//x://y", "/%00?%ff", "/" + "a" * 5000):
        await client.get(URL(path, encoded=True))
    resp = await client.get("/_fakeexports/lint")
    assert resp.status == 200, await resp.text()
    if cls.lint:  # a hostile client breaks rules: at least the same refusal repeated
        assert (await resp.json())["findings"]
    assert not runtime.journal.errors


# --- the S3 stand-in: every bad link gets S3's XML error with S3's status ------------------------------------------
LINKED = [n for n in WITH_RECIPES if any(c.link and not c.auth for c in recipe_of(n).download)]
NUMBER, NEGATIVE, WEEK = ("AuthorizationQueryParametersError", s3.MSG_EXPIRES_NUMBER), (
    "AuthorizationQueryParametersError", s3.MSG_EXPIRES_NEGATIVE), ("AuthorizationQueryParametersError",
                                                                      s3.MSG_EXPIRES_WEEK)
MISSING, DATE = ("AccessDenied", s3.MSG_MISSING), ("AccessDenied", s3.MSG_DATE)
SIGNATURE = ("SignatureDoesNotMatch", s3.MSG_SIGNATURE)


def edited(link: str, **query: str | None) -> str:
    """The link with these query parameters set (None: left out)."""
    url = URL(link, encoded=True)
    params = [(k, v) for k, v in url.query.items() if k not in query]
    params += [(k, v) for k, v in query.items() if v is not None]
    return str(url.with_query(params))


S3_BAD: list[tuple[str, str, dict[str, str | None], int, tuple[str, str]]] = [
    # (name, method, query parameters changed, status, (code, message))
    ("superscript", "GET", {"X-Amz-Expires": "\u00b2"}, 400, NUMBER),  # str.isdigit() is True, int() fails
    ("5000 digits", "GET", {"X-Amz-Expires": "9" * 5000}, 400, NUMBER),  # past int()'s 4300-digit limit
    ("2**63", "GET", {"X-Amz-Expires": str(2**63)}, 400, NUMBER),
    ("arabic digits", "GET", {"X-Amz-Expires": "\u0663\u0666\u0660\u0660"}, 400, NUMBER),  # int() reads 3600
    ("empty", "GET", {"X-Amz-Expires": ""}, 400, NUMBER),
    ("minus", "GET", {"X-Amz-Expires": "-"}, 400, NUMBER),
    ("exponent", "GET", {"X-Amz-Expires": "1e3"}, 400, NUMBER),
    ("negative", "GET", {"X-Amz-Expires": "-1"}, 400, NEGATIVE),
    ("over a week", "GET", {"X-Amz-Expires": "604801"}, 400, WEEK),
    ("longer than signed", "GET", {"X-Amz-Expires": "604800"}, 403, SIGNATURE),
    ("no expires", "GET", {"X-Amz-Expires": None}, 403, MISSING),
    ("no signature", "GET", {"X-Amz-Signature": None}, 403, MISSING),
    ("no date", "GET", {"X-Amz-Date": ""}, 403, MISSING),
    ("date without zone", "GET", {"X-Amz-Date": "20260115T120000"}, 403, DATE),
    ("fullwidth date", "GET", {"X-Amz-Date": "\uff12\uff10\uff12\uff16\uff10\uff11\uff11\uff15T120000Z"}, 403, DATE),
    ("other signature", "GET", {"X-Amz-Signature": "0" * 64}, 403, SIGNATURE),
    ("non-ASCII signature", "GET", {"X-Amz-Signature": "\u00e9"}, 403, SIGNATURE),  # compare_digest raises on it
    ("PUT", "PUT", {}, 405, ("MethodNotAllowed", s3.MSG_METHOD)),
    ("DELETE", "DELETE", {}, 405, ("MethodNotAllowed", s3.MSG_METHOD)),
]


async def good_link(client: Any) -> tuple[str, bytes]:
    """A presigned link of the first vendor that hands them out (path and query), and its file."""
    d = driver(client, LINKED[0])
    await d.login()
    await d.create()
    await d.until_done()
    body = (await d.download()).body
    return str(d.vars["link"]).split(str(client.make_url("")).rstrip("/"), 1)[1], body


async def s3_refusal(client: Any, method: str, target: str, status: int, code: str, message: str) -> None:
    """The answer is S3's XML error with S3's status, journaled with that status, and no server error."""
    resp = await client.request(method, URL(target, encoded=True))
    text = await resp.text()
    assert resp.status == status, text
    assert resp.headers["Content-Type"].startswith("application/xml")
    assert f"<Code>{code}</Code>" in text and f"<Message>{escape(message)}</Message>" in text, text
    entry = (await (await client.get("/_fakeexports/journal")).json())["entries"][-1]
    assert (entry["vendor"], entry["method"], entry["status"]) == ("s3", method, status)
    assert not client.app[RUNTIME].journal.errors


@pytest.mark.parametrize(("method", "query", "status", "error"), [case[1:] for case in S3_BAD],
                         ids=[case[0] for case in S3_BAD])
async def test_a_bad_link_gets_s3s_xml_error_and_changes_nothing(client_for: Any, method: str,
                                                                 query: dict[str, str | None], status: int,
                                                                 error: tuple[str, str]) -> None:
    client = await client_for(fixtures="none")
    link, file = await good_link(client)
    jobs = await (await client.get("/_fakeexports/jobs")).json()
    await s3_refusal(client, method, edited(link, **query), status, *error)
    assert await (await client.get("/_fakeexports/jobs")).json() == jobs
    resp = await client.get(URL(link, encoded=True))
    assert resp.status == 200 and await resp.read() == file


async def test_a_path_that_names_no_object_gets_s3s_xml_error(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    link, _ = await good_link(client)
    bucket, tenant = link.split("?", 1)[0].split("/")[2:4]
    for method, target, status, error in [
        ("GET", "/_s3/fakeexports-nobody/t/k.csv", 404, ("NoSuchBucket", s3.MSG_NO_BUCKET)),
        ("POST", "/_s3/nothing-here", 404, ("NoSuchBucket", s3.MSG_NO_BUCKET)),
        ("GET", f"/_s3/{bucket}/{tenant}", 403, ("AccessDenied", s3.MSG_DENIED)),  # listing: anonymous is refused
        ("GET", f"/_s3/{bucket}/{tenant}/", 403, ("AccessDenied", s3.MSG_DENIED)),
        ("GET", "/_s3/", 403, ("AccessDenied", s3.MSG_DENIED)),
        ("GET", "/_s3", 403, ("AccessDenied", s3.MSG_DENIED)),
        ("PATCH", f"/_s3/{bucket}/{tenant}/x", 405, ("MethodNotAllowed", s3.MSG_METHOD)),
    ]:
        await s3_refusal(client, method, target, status, *error)
