"""DIDWW API v3 exports over raw HTTP (in-process app, virtual clock, strict mode): version selection, the
2021-12-15 lifecycle and the seed's list shape, JSON:API paging, sorting and fieldsets, downloads,
retention, signed callbacks, and every operation's bad input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from didww.callback.request_validator import RequestValidator

from tests.conftest import recording_receiver

JSONAPI = "application/vnd.api+json"
KEY = "test-key"
EXPORTS = "/didww/v3/exports"
# The example list of the seed document (seeds/001, "Get Exports"), kept as the project's own test data.
SEED_LIST = Path(__file__).resolve().parents[1] / "data" / "didww_seed_list.json"


def headers(version: str | None = None, key: str | None = KEY) -> dict[str, str]:
    h = {"Content-Type": JSONAPI, "Accept": JSONAPI}
    if key is not None:
        h["Api-Key"] = key
    if version:
        h["X-DIDWW-API-Version"] = version
    return h


def body(kind: str = "cdr_in", **attrs: Any) -> bytes:
    filters = attrs.pop("filters", {"year": 2026, "month": 1} if "2026" not in str(attrs.get("v", "")) else {})
    attrs.pop("v", None)
    return json.dumps({"data": {"type": "exports", "attributes": {"export_type": kind, "filters": filters,
                                                                  **attrs}}}).encode()


async def create(client: Any, version: str | None = None, **kw: Any) -> dict[str, Any]:
    resp = await client.post(EXPORTS, data=body(**kw), headers=headers(version))
    assert resp.status == 201, await resp.text()
    assert resp.headers["Content-Type"].startswith(JSONAPI)
    doc: dict[str, Any] = await resp.json(content_type=None)
    return doc


async def advance(client: Any, seconds: float) -> None:
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})).status == 200


async def get(client: Any, path: str, version: str | None = None, key: str | None = KEY) -> tuple[int, Any]:
    resp = await client.get(path, headers=headers(version, key))
    raw = await resp.read()
    return resp.status, (json.loads(raw) if raw else None)


async def test_the_seed_list_has_the_seed_documents_exact_shape(client_for: Any) -> None:
    client = await client_for()
    status, doc = await get(client, EXPORTS, key="seed-api-key")
    assert status == 200
    seed = json.loads(SEED_LIST.read_text())
    origin = str(client.make_url("")).rstrip("/") + "/didww/v3"

    def on_fake(url: str | None) -> str | None:
        return url.replace("https://api.didww.com/v3", origin) if url else url

    for item in seed["data"]:
        item["attributes"]["url"] = on_fake(item["attributes"]["url"])
    seed["links"] = {k: on_fake(v) for k, v in seed["links"].items()}
    assert doc == seed  # every key, value and order, urls on the fake


async def test_a_2021_export_runs_pending_processing_completed_and_expires(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    made = await create(client, filters={"year": "2026", "month": "1", "did_number": "4930111"})
    data = made["data"]
    assert made["meta"] == {"api_version": "2021-12-15"}
    assert list(data["attributes"]) == ["status", "created_at", "url", "callback_url", "callback_method",
                                        "export_type"]
    assert data["attributes"]["status"] == "Pending" and data["attributes"]["url"] is None

    await advance(client, 30)
    _, doc = await get(client, f"{EXPORTS}/{data['id']}")
    assert doc["data"]["attributes"]["status"] == "Processing"
    await advance(client, 90)
    _, doc = await get(client, f"{EXPORTS}/{data['id']}")
    url = doc["data"]["attributes"]["url"]
    assert doc["data"]["attributes"]["status"] == "Completed"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/didww/v3/exports/[0-9a-f-]{36}\.csv\.gz", url)

    path = url.split(str(client.make_url("")).rstrip("/"), 1)[1]
    resp = await client.get(path, headers={"Api-Key": KEY})
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{path.rsplit("/", 1)[1]}"'
    rows = gzip.decompress(await resp.read()).decode().splitlines()
    assert rows[0].startswith("Date/Time Start (UTC),") and len(rows[0].split(",")) == 15
    assert all(",4930111," in r for r in rows[1:])

    # the download needs the key (401 without a body, text/html: a recording of 2022-02-02,
    # didww-api-3-php-sdk@62f9176 tests/fixtures/exports.yml) and another tenant sees no such file (404, no body)
    unauthorized = await client.get(path)
    assert unauthorized.status == 401
    assert await unauthorized.read() == b"" and unauthorized.headers["Content-Type"].startswith("text/html")
    other = await client.get(path, headers={"Api-Key": "someone-else"})
    assert other.status == 404 and await other.read() == b""

    # removed one month after completion
    await advance(client, 30 * 86400)
    status, _ = await get(client, f"{EXPORTS}/{data['id']}")
    assert status == 404
    assert (await client.get(path, headers={"Api-Key": KEY})).status == 404


async def test_versions_are_chosen_by_header_and_never_older_than_the_default(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    made = await create(client, version="2026-04-16",
                        filters={"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"})
    eid = made["data"]["id"]
    assert made["data"]["attributes"]["status"] == "pending"
    for version, status_word, answered in (("2021-12-15", "Pending", "2021-12-15"),
                                           ("2022-05-10", "Pending", "2022-05-10"),
                                           ("2026-04-16", "pending", "2026-04-16"),
                                           (None, "Pending", "2021-12-15")):
        _, doc = await get(client, f"{EXPORTS}/{eid}", version)
        assert (doc["data"]["attributes"]["status"], doc["meta"]["api_version"]) == (status_word, answered)
    # the header name is case-insensitive
    resp = await client.get(f"{EXPORTS}/{eid}", headers={"api-key": KEY, "x-didww-api-version": "2026-04-16"})
    assert (await resp.json(content_type=None))["meta"]["api_version"] == "2026-04-16"
    # an invalid, unknown or older version is ignored: "The invalid value of X-DIDWW-API-Version header will be
    # ignored" (didww-api3-postman@71547df); an older one "will be ignored" (doc.didww.com/api3/api-versioning)
    for ignored in ("latest", "2021-13-45", "2017-09-18", "2021-04-19", "2099-01-01", ""):
        status, doc = await get(client, f"{EXPORTS}/{eid}", ignored)
        assert (status, doc["meta"]["api_version"]) == (200, "2021-12-15"), ignored

    # a key whose default is 2026-04-16 ignores an older requested version
    resp = await client.post(f"/_fakeexports/tenants/didww/{KEY}", json={"default_api_version": "2026-04-16"})
    assert resp.status == 200
    _, doc = await get(client, f"{EXPORTS}/{eid}", "2021-12-15")
    assert doc["meta"]["api_version"] == "2026-04-16"
    assert doc["data"]["attributes"]["filters"] == {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}


async def test_paging_sorting_filters_and_fieldsets(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    ids = []
    for i in range(5):
        ids.append((await create(client, kind="cdr_in" if i % 2 else "cdr_out"))["data"]["id"])
        await advance(client, 10)
    _, doc = await get(client, EXPORTS + "?page[number]=2&page[size]=2")
    assert [e["id"] for e in doc["data"]] == ids[2:4]
    assert doc["meta"] == {"total_records": 5, "api_version": "2021-12-15"}
    base = str(client.make_url("/didww/v3/exports"))
    assert doc["links"] == {
        "first": f"{base}?page%5Bnumber%5D=1&page%5Bsize%5D=2",
        "last": f"{base}?page%5Bnumber%5D=3&page%5Bsize%5D=2",
        "prev": f"{base}?page%5Bnumber%5D=1&page%5Bsize%5D=2",
        "next": f"{base}?page%5Bnumber%5D=3&page%5Bsize%5D=2",
    }
    _, last = await get(client, EXPORTS + "?page[number]=3&page[size]=2")
    assert "next" not in last["links"] and len(last["data"]) == 1
    _, first = await get(client, EXPORTS + "?page[size]=2")
    assert "prev" not in first["links"]

    # status sorts after the clock moved some on; created_at descending
    await advance(client, 95)  # created 10 s apart, done 120 s after: three Completed, two Processing
    _, doc = await get(client, EXPORTS + "?sort=status,-created_at")
    assert [e["attributes"]["status"] for e in doc["data"]] == ["Completed"] * 3 + ["Processing"] * 2
    assert [e["id"] for e in doc["data"]] == [ids[2], ids[1], ids[0], ids[4], ids[3]]
    _, doc = await get(client, EXPORTS + f"?filter[id]={ids[1]},{ids[3]}&fields[exports]=status,export_type")
    assert [(e["id"], e["attributes"]) for e in doc["data"]] == [
        (ids[1], {"status": "Completed", "export_type": "cdr_in"}),
        (ids[3], {"status": "Processing", "export_type": "cdr_in"})]
    assert "filter%5Bid%5D=" in doc["links"]["first"] and "fields%5Bexports%5D=" in doc["links"]["first"]


@pytest.mark.parametrize("version", ["2021-12-15", "2022-05-10"])
async def test_the_documented_filters_fieldset_answers_an_exports_filters(client_for: Any, version: str) -> None:
    # seed 001's Fielding table and doc.didww.com/api3/2022-05-10/export/get-exports.html ("Sparse Fieldsets:
    # filters — The filters attribute"): left out of the default answer, given when fields[exports] names it
    client = await client_for(fixtures="none")
    eid = (await create(client, version))["data"]["id"]
    _, plain = await get(client, EXPORTS, version)
    assert "filters" not in plain["data"][0]["attributes"]
    _, doc = await get(client, EXPORTS + "?fields[exports]=filters", version)
    assert doc["data"] == [{"id": eid, "type": "exports", "attributes": {"filters": {"year": 2026, "month": 1}}}]
    _, one = await get(client, f"{EXPORTS}/{eid}?fields[exports]=filters,status", version)
    assert one["data"]["attributes"] == {"filters": {"year": 2026, "month": 1}, "status": "Pending"}
    status, bad = await get(client, f"{EXPORTS}/{eid}?fields[exports]=filterz", version)
    assert status == 400 and bad["errors"][0]["code"] == "104"


async def test_completion_callbacks_are_signed_and_retried(client_for: Any, aiohttp_server: Any) -> None:
    from aiohttp import web

    seen: list[tuple[str, dict[str, str], str, str]] = []
    answers = {"POST": [503, 200], "GET": [200]}  # callbacks due together go out side by side: keyed by method

    async def hook(request: web.Request) -> web.Response:
        payload = dict(request.query) if request.method == "GET" else dict(await request.post())
        # the URL as the receiver got it, undecoded (Rails' request.original_url)
        seen.append((request.method, payload, request.headers.get("X-DIDWW-Signature", ""),
                     f"http://{request.host}{request.raw_path}"))
        return web.Response(status=answers[request.method].pop(0))

    app = web.Application()
    app.router.add_route("*", "/cb", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    callback = str(receiver.make_url("/cb"))
    client = await client_for(fixtures="none")
    await client.post(f"/_fakeexports/tenants/didww/{KEY}", json={"callback_secret": "s3cr3t"})
    made = await create(client, callback_url=callback, callback_method="POST")
    await create(client, version="2026-04-16", callback_url=callback, callback_method="get",
                 filters={"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"})

    await advance(client, 120)  # both complete: the POST gets a 503, the GET a 200
    seen.sort(key=lambda s: s[0] == "GET")
    assert [(m, p["status"], p["type"]) for m, p, _, _ in seen] == [("POST", "completed", "exports"),
                                                                    ("GET", "completed", "exports")]
    assert seen[0][1]["id"] == made["data"]["id"]
    # the 2026-04-16 callback carries the file's url (Postman 2026-04-16 changelog); the 2021 one does not
    assert "url" not in seen[0][1] and seen[1][1]["url"].endswith(".csv.gz")
    # the SDK's validator, as a receiver runs it: over the URL it was called at (for GET, with the query the fake
    # appended, sorted) and the callback's parameters
    validator = RequestValidator("s3cr3t")
    assert validator.validate(callback, seen[0][1], seen[0][2])
    assert seen[1][3] == callback + "?" + urlencode(sorted(seen[1][1].items()))
    assert validator.validate(seen[1][3], seen[1][1], seen[1][2])
    assert not validator.validate(callback, seen[1][1], seen[1][2])  # the bare URL is not what was signed
    assert not RequestValidator("wrong").validate(callback, seen[0][1], seen[0][2])

    await advance(client, 60)  # the retry of the POST, a minute later (DIDWW's first retry)
    assert len(seen) == 3 and seen[2][0] == "POST"
    attempts = (await (await client.get("/_fakeexports/webhooks?vendor=didww")).json())["attempts"]
    assert sorted((a["method"], a["attempt"], a["status"]) for a in attempts) == [
        ("GET", 1, 200), ("POST", 1, 503), ("POST", 2, 200)]


async def test_the_default_callback_secret_is_the_api_key(client_for: Any, aiohttp_server: Any) -> None:
    from aiohttp import web

    seen: list[tuple[dict[str, str], str]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append((dict(await request.post()), request.headers["X-DIDWW-Signature"]))
        return web.Response()

    app = web.Application()
    app.router.add_post("/cb", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    await create(client, callback_url=str(receiver.make_url("/cb")), callback_method="POST")
    await advance(client, 120)
    assert RequestValidator(KEY).validate(str(receiver.make_url("/cb")), *seen[0])


V26 = "2026-04-16"
GOOD_26 = {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}
BAD_INPUT = [
    # (method, path, version, key, body, status, code, title fragment, pointer)
    ("GET", EXPORTS, None, None, None, 401, "401", "Unauthorized", None),
    ("GET", EXPORTS, None, "bad key", None, 401, "401", "Unauthorized", None),
    ("GET", EXPORTS + "?filter[bogus]=1", None, KEY, None, 400, "102", "Filter not allowed", None),
    ("GET", EXPORTS + "?filter[external_reference_id]=x", None, KEY, None, 400, "102", "Filter not allowed", None),
    ("GET", EXPORTS + "?page[size]=1001", None, KEY, None, 400, "118", "Invalid page value", None),
    ("GET", EXPORTS + "?page[number]=0", None, KEY, None, 400, "118", "Invalid page value", None),
    ("GET", EXPORTS + "?page[number]=two", None, KEY, None, 400, "118", "Invalid page value", None),
    ("GET", EXPORTS + "?sort=color", None, KEY, None, 400, "114", "Invalid sort criteria", None),
    ("GET", EXPORTS + "?sort=external_reference_id", None, KEY, None, 400, "114", "Invalid sort criteria", None),
    ("GET", EXPORTS + "?fields[exports]=status,secret", None, KEY, None, 400, "104", "Invalid field", None),
    ("GET", EXPORTS + "/00000000-0000-4000-8000-000000000000", None, KEY, None, 404, "404", "Record not found", None),
    ("GET", EXPORTS + "/not-a-uuid", None, KEY, None, 404, "404", "Record not found", None),
    ("POST", EXPORTS, None, KEY, b"{not json", 400, "400", "Bad Request", None),
    ("POST", EXPORTS, None, KEY, b"[]", 400, "400", "Bad Request", None),
    ("POST", EXPORTS, None, KEY, b"{}", 400, "106", "Missing Parameter", None),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "imports", "attributes": {}}}, 400, "101", "Invalid resource", None),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"filters": {"year": 2026, "month": 1}}}},
     422, "100", "can't be blank", "/data/attributes/export_type"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "sms_in", "filters": {}}}},
     422, "100", "is not included in the list", "/data/attributes/export_type"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {},
                                                                            "color": "red"}}},
     400, "105", "Param not allowed", None),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026}}}}, 422, "100", "month can't be blank", "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2025, "month": 10}}}}, 422, "100", "month must be within the current and 2 previous months",
     "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026, "month": 2}}}}, 422, "100", "month can't be in the future", "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026, "month": 13}}}}, 422, "100", "must form a valid date", "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026, "month": 1, "day": 3}}}}, 422, "100", "day is not allowed", "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026, "month": 1, "did_number": " "}}}}, 422, "100", "did_number can't be blank",
     "/data/attributes/filters"),
    ("POST", EXPORTS, None, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "year": 2026, "month": 1}, "callback_method": "get"}}}, 422, "100", "is not included in the list",
     "/data/attributes/callback_method"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "from": "2026-01-01"}}}}, 422, "100", "from not valid", "/data/attributes/filters"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "from": "2026-01-01 00:00:00"}}}}, 422, "100", "to can't be blank", "/data/attributes/filters"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "from": "2026-01-05 00:00:00", "to": "2026-01-02 00:00:00"}}}}, 422, "100", "from must be before to",
     "/data/attributes/filters"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
        "from": "2026-01-01 00:00:00", "to": "2026-01-20 00:00:00"}}}}, 422, "100", "to can't be in the future",
     "/data/attributes/filters"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_out", "filters": {
        **GOOD_26, "did_number": "1"}}}}, 422, "100", "did_number is not allowed", "/data/attributes/filters"),
    ("POST", EXPORTS, V26, KEY, {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": GOOD_26,
                                                                           "external_reference_id": "x" * 101}}},
     422, "100", "is too long", "/data/attributes/external_reference_id"),
    ("PATCH", EXPORTS + "/00000000-0000-4000-8000-000000000000", V26, KEY,
     {"data": {"type": "exports", "id": "00000000-0000-4000-8000-000000000000"}}, 404, "404", "Record not found", None),
    ("PATCH", EXPORTS + "/00000000-0000-4000-8000-000000000000", "2021-12-15", KEY,
     {"data": {"type": "exports", "id": "00000000-0000-4000-8000-000000000000"}}, 405, "405", "Method Not Allowed", None),
    ("PUT", EXPORTS + "/00000000-0000-4000-8000-000000000000", V26, KEY, {"data": {"type": "exports"}},
     400, "106", "Missing Parameter", None),
    ("DELETE", EXPORTS + "/00000000-0000-4000-8000-000000000000", None, KEY, None, 405, "405", "Method Not Allowed", None),
    ("GET", "/didww/v3/nothing", None, KEY, None, 404, "404", "Route not found", None),
]


@pytest.mark.parametrize(("method", "path", "version", "key", "payload", "status", "code", "title", "pointer"),
                         BAD_INPUT)
async def test_bad_input_gets_didwws_json_api_errors(client_for: Any, method: str, path: str, version: str | None,
                                                     key: str | None, payload: Any, status: int, code: str,
                                                     title: str, pointer: str | None) -> None:
    client = await client_for(fixtures="none")
    data = payload if isinstance(payload, bytes) or payload is None else json.dumps(payload).encode()
    resp = await client.request(method, path, data=data, headers=headers(version, key))
    assert resp.status == status, await resp.text()
    assert resp.headers["Content-Type"].startswith(JSONAPI)
    doc = await resp.json(content_type=None)
    assert list(doc) == ["errors"] and len(doc["errors"]) == 1
    err = doc["errors"][0]
    assert (err["code"], err["status"]) == (code, str(status))
    assert title in err["title"] or title in err["detail"]
    assert err.get("source", {}).get("pointer") == pointer
    assert (await client.get(EXPORTS, headers=headers())).status == 200


async def test_update_checks_the_id_and_an_unknown_media_type_is_a_415(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    made = await create(client, version=V26, filters=GOOD_26)
    eid = made["data"]["id"]
    other = "00000000-0000-4000-8000-000000000000"
    resp = await client.patch(f"{EXPORTS}/{eid}", data=json.dumps({"data": {"type": "exports", "id": other}}),
                              headers=headers(V26))
    assert resp.status == 400
    assert (await resp.json(content_type=None))["errors"][0]["code"] == "110"
    resp = await client.put(f"{EXPORTS}/{eid}", data=json.dumps(
        {"data": {"type": "exports", "id": eid, "attributes": {"external_reference_id": "r1"}}}), headers=headers(V26))
    assert resp.status == 200
    assert (await resp.json(content_type=None))["data"]["attributes"]["external_reference_id"] == "r1"
    resp = await client.post(EXPORTS, data=b"export_type=cdr_in",
                             headers={**headers(), "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 415
    assert (await resp.json(content_type=None))["errors"][0]["code"] == "415"


async def test_unknown_files_are_404s_without_a_body(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    for path in (EXPORTS + "/00000000-0000-4000-8000-000000000000.csv.gz", EXPORTS + "/nope.csv.gz"):
        resp = await client.get(path, headers={"Api-Key": KEY})
        assert resp.status == 404
        assert await resp.read() == b""


async def test_a_405_lists_the_methods_of_the_requests_api_version(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    path = f"{EXPORTS}/00000000-0000-4000-8000-000000000000"
    for version, allowed in (("2021-12-15", "GET"), ("2026-04-16", "GET, PATCH, PUT")):
        for method in ("DELETE", "OPTIONS"):
            resp = await client.request(method, path, headers=headers(version))
            assert (resp.status, resp.headers["Allow"]) == (405, allowed)
    resp = await client.patch(path, data=b"{}", headers=headers("2021-12-15"))
    assert (resp.status, resp.headers["Allow"]) == (405, "GET")


V1119 = "2026-11-19"


async def test_2026_11_19_serves_sms_exports_with_their_filters_and_columns(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    span = {"from": "2026-01-01 00:00:00", "to": "2026-01-03 00:00:00"}
    sms = await create(client, V1119, kind="sms_out", filters={**span, "status": "Failed", "service_type": "A2P"})
    attrs = sms["data"]["attributes"]
    assert sms["meta"] == {"api_version": V1119}
    assert (attrs["export_type"], attrs["status"], attrs["filters"]) == (
        "sms_out", "pending", {**span, "status": "Failed", "service_type": "A2P"})
    # a filter of another type, a value outside its set, and a callback url without its method are 422s
    for kind, filters, extra, pointer in (
            ("sms_in", {**span, "service_type": "A2P"}, {}, "/data/attributes/filters"),
            ("sms_in", {**span, "status": "Delivered"}, {}, "/data/attributes/filters"),
            ("cdr_in", {**span, "source_country_iso": "GB"}, {"callback_url": "https://h.test/cb"},
             "/data/attributes/callback_method")):
        resp = await client.post(EXPORTS, data=body(kind, filters=filters, **extra), headers=headers(V1119))
        assert resp.status == 422, (kind, filters)
        assert (await resp.json(content_type=None))["errors"][0]["source"]["pointer"] == pointer
    # sms exports do not exist before 2026-11-19
    resp = await client.post(EXPORTS, data=body("sms_in", filters=span), headers=headers(V26))
    assert resp.status == 422  # not in the 2026-04-16 export_type list
    assert (await resp.json(content_type=None))["errors"][0]["title"] == "is not included in the list"
    # the file: the sms_out columns of the records module, every row Failed
    await advance(client, 120)
    _, done = await get(client, f"{EXPORTS}/{sms['data']['id']}", V1119)
    path = done["data"]["attributes"]["url"].split("/didww/v3", 1)[1]
    rows = gzip.decompress(await (await client.get("/didww/v3" + path, headers={"Api-Key": KEY})).read()).decode()
    header, *lines = [line.split(",") for line in rows.splitlines()]
    assert header[:3] == ["Time Received (UTC)", "Time Sent (UTC)", "Status"]
    assert lines and all(line[2] == "Failed" for line in lines)


async def test_2026_11_19_lists_filter_by_type_status_and_creation_time(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    span = {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}
    a = (await create(client, V1119, kind="cdr_in", filters=span))["data"]["id"]
    await advance(client, 3600)
    b = (await create(client, V1119, kind="sms_in", filters=span))["data"]["id"]
    for query, ids in (("filter[export_type]=sms_in,sms_out", [b]), ("filter[status]=completed", [a]),
                       ("filter[status]=pending,completed", [a, b]),
                       ("filter[created_at_gteq]=2026-01-15 12:30:00", [b]),
                       ("filter[created_at_lteq]=2026-01-15T12:30:00Z", [a])):
        status, doc = await get(client, f"{EXPORTS}?{query}", V1119)
        assert status == 200 and [d["id"] for d in doc["data"]] == ids, query
    status, doc = await get(client, f"{EXPORTS}?filter[created_at_gteq]=yesterday", V1119)
    assert status == 400 and doc["errors"][0]["code"] == "107"
    status, doc = await get(client, f"{EXPORTS}?page[size]=101", V1119)  # at most 100 in this version
    assert status == 400 and doc["errors"][0]["code"] == "118"
    status, doc = await get(client, f"{EXPORTS}?filter[export_type]=cdr_in", V26)  # not a 2026-04-16 filter
    assert status == 400 and doc["errors"][0]["code"] == "102"


async def test_an_export_keeps_the_filters_of_the_version_that_made_it(client_for: Any) -> None:
    # "An export created at an earlier API version carries that version's keys" (didww-api-3-openapi@c6fdd13)
    client = await client_for(fixtures="none")
    old = (await create(client, filters={"year": "2026", "month": "1", "did_number": "4930111"}))["data"]["id"]
    for version in (V26, V1119):
        _, doc = await get(client, f"{EXPORTS}/{old}", version)
        assert doc["data"]["attributes"]["filters"] == {"year": 2026, "month": 1, "did_number": "4930111"}
    # and its file keeps its columns: 15 for 2021-12-15, wherever it is read from
    await advance(client, 120)
    _, doc = await get(client, f"{EXPORTS}/{old}", V26)
    path = doc["data"]["attributes"]["url"].split("/didww/v3", 1)[1]
    csv_text = gzip.decompress(await (await client.get("/didww/v3" + path, headers={"Api-Key": KEY})).read())
    assert len(csv_text.decode().splitlines()[0].split(",")) == 15


@pytest.mark.parametrize(("method", "content_type", "accept", "status"), [
    # jsonapi-resources (cerebris/jsonapi-resources@e92afc6 acts_as_resource_controller.rb): the Content-Type
    # of writes only, then every request's Accept: blank, exactly the JSON:API type, or */*
    ("POST", "application/json", JSONAPI, 415),
    ("POST", "", JSONAPI, 415),
    ("POST", JSONAPI, "application/json", 406),
    ("POST", JSONAPI, "application/vnd.api+json; charset=utf-8", 406),
    ("POST", "application/json", "application/json", 415),  # 415 is checked first
    ("GET", "application/json", JSONAPI, 200),  # a read's Content-Type is not checked
    ("GET", "", "", 200),
    ("GET", "", "text/html,*/*;q=0.8", 200),
    ("GET", "", "application/json", 406),
])
async def test_media_types_are_negotiated_as_json_api_resources_does(
        client_for: Any, method: str, content_type: str, accept: str, status: int) -> None:
    client = await client_for(fixtures="none")
    hdrs = {"Api-Key": KEY, **({"Content-Type": content_type} if content_type else {}),
            **({"Accept": accept} if accept else {})}
    data = body(filters={"year": 2026, "month": 1}) if method == "POST" else None
    resp = await client.request(method, EXPORTS, data=data, headers=hdrs)
    assert resp.status == status or (status == 200 and method == "POST" and resp.status == 201)
    if status >= 400:
        error = (await resp.json(content_type=None))["errors"][0]
        assert error["code"] == str(status)
        assert error["title"] == {415: "Unsupported media type", 406: "Not acceptable"}[status]


async def test_answers_carry_the_headers_of_didwws_rails_stack(client_for: Any) -> None:
    # didww-api3-postman@71547df (2021-12-15 recordings): X-Request-Id, X-Runtime, Vary: Accept; lists and
    # creates a weak ETag with max-age=0, single reads and errors no-cache; the file no-cache without Vary
    client = await client_for(fixtures="none")
    created = await client.post(EXPORTS, data=body(), headers=headers())
    listed = await client.get(EXPORTS, headers=headers())
    one = await client.get(f"{EXPORTS}/{(await created.json(content_type=None))['data']['id']}", headers=headers())
    missing = await client.get(f"{EXPORTS}/00000000-0000-4000-8000-000000000000", headers=headers())
    for resp, cache, etag in ((created, "max-age=0, private, must-revalidate", True),
                              (listed, "max-age=0, private, must-revalidate", True),
                              (one, "no-cache", False), (missing, "no-cache", False)):
        assert re.fullmatch(r"[0-9a-f-]{36}", resp.headers["X-Request-Id"])
        assert re.fullmatch(r"\d\.\d{6}", resp.headers["X-Runtime"])
        assert resp.headers["Vary"] == "Accept" and resp.headers["Cache-Control"] == cache
        assert ("ETag" in resp.headers) == etag and (not etag or resp.headers["ETag"].startswith('W/"'))
    await advance(client, 120)
    _, doc = await get(client, EXPORTS)
    path = doc["data"][0]["attributes"]["url"].split("/didww/v3", 1)[1]
    download = await client.get("/didww/v3" + path, headers={"Api-Key": KEY})
    assert download.status == 200 and download.headers["Cache-Control"] == "no-cache"
    assert "X-Request-Id" in download.headers and "Vary" not in download.headers and "ETag" not in download.headers


async def test_a_callback_url_without_a_scheme_is_http_and_other_schemes_are_invalid(client_for: Any,
                                                                                     aiohttp_server: Any) -> None:
    # didww-api-3-openapi@c6fdd13:openapi/sources/api.json (2026-10-22): no scheme is read as http://, only
    # http and https are allowed
    receiver, got = await recording_receiver(aiohttp_server, lambda request: request.path)
    client = await client_for(fixtures="none")
    bare = f"127.0.0.1:{receiver.port}/hook"
    doc = await create(client, callback_url=bare, callback_method="POST")
    assert doc["data"]["attributes"]["callback_url"] == bare  # echoed as sent
    await advance(client, 120)
    assert got == ["/hook"]
    for bad in ("ftp://files.example.com/x", "http://", "http://a b/c", "javascript:alert(1)"):
        resp = await client.post(EXPORTS, data=body(callback_url=bad, callback_method="POST"), headers=headers())
        assert resp.status == 422, (bad, await resp.text())
        error = (await resp.json(content_type=None))["errors"][0]
        assert error["detail"] == "callback_url - is invalid" and error["source"]["pointer"] == \
            "/data/attributes/callback_url"


async def test_the_rate_limit_is_per_api_key_on_the_fake_clock_and_off_by_default(client_for: Any) -> None:
    # "Rate limits are 10 requests per second and are applied to API-KEY instead of IP … 429 …
    # {"errors":[{"status":"429","detail":"Too Many Requests"}]}" (didww-api3-postman@71547df, Rate Limits)
    client = await client_for(fixtures="none")
    for _ in range(30):
        assert (await get(client, EXPORTS))[0] == 200  # off by default
    assert (await client.post("/_fakeexports/vendors/didww", json={"rate_limits": True})).status == 200
    answers = [await client.get(EXPORTS, headers=headers()) for _ in range(11)]
    assert [r.status for r in answers] == [200] * 10 + [429]
    assert await answers[-1].json(content_type=None) == {"errors": [{"status": "429", "detail": "Too Many Requests"}]}
    assert answers[-1].headers["Content-Type"].startswith(JSONAPI)
    assert (await get(client, EXPORTS, key="another-key"))[0] == 200  # per key, not per address
    await advance(client, 1)
    assert (await get(client, EXPORTS))[0] == 200  # a second later, room again
    assert (await client.post("/_fakeexports/vendors/didww", json={"per_second": 2})).status == 200
    assert [(await get(client, EXPORTS))[0] for _ in range(3)] == [200, 200, 429]


async def test_an_injected_429_has_the_rate_limits_envelope(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    await client.post("/_fakeexports/faults", json={"vendor": "didww", "operation": "ListExports", "status": 429})
    status, doc = await get(client, EXPORTS)
    assert (status, doc) == (429, {"errors": [{"status": "429", "detail": "Too Many Requests"}]})


async def test_every_answer_carries_nginx_and_rails_headers_and_cors_only_for_an_origin(client_for: Any) -> None:
    # didww-api3-postman@71547df (2021-12-15 and 2022-05-10 recordings, January 2022): Server nginx and Rails'
    # security headers on the JSON:API answers, the errors and the file; CORS where the request had an Origin
    stack = {"Server": "nginx", "X-Frame-Options": "SAMEORIGIN", "X-XSS-Protection": "1; mode=block",
             "X-Content-Type-Options": "nosniff", "X-Download-Options": "noopen",
             "X-Permitted-Cross-Domain-Policies": "none", "Referrer-Policy": "strict-origin-when-cross-origin"}
    client = await client_for(fixtures="none")
    eid = (await create(client))["data"]["id"]
    await advance(client, 200)
    done = await (await client.get(f"{EXPORTS}/{eid}", headers=headers())).json(content_type=None)
    file_path = "/didww/v3/exports/" + done["data"]["attributes"]["url"].rsplit("/", 1)[1]
    for path, key in ((EXPORTS, KEY), (f"{EXPORTS}/nope", KEY), (EXPORTS, None), (file_path, KEY)):
        resp = await client.get(path, headers=headers(None, key))
        assert {k: resp.headers.get(k) for k in stack} == stack, path
        assert "Access-Control-Allow-Origin" not in resp.headers and "Strict-Transport-Security" not in resp.headers
    resp = await client.get(EXPORTS, headers={**headers(), "Origin": "https://doc.in.didww.com"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://doc.in.didww.com"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert resp.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE, PUT, PATCH, OPTIONS"


@pytest.mark.parametrize(("sent", "kept"), [
    (("2026-01-01 00:00:00", "2026-01-02 00:00:00"), ("2026-01-01 00:00:00", "2026-01-02 00:00:00")),  # documented
    # the Python SDK's README, and DIDWW's own 2026-04-16 create-export page with Z
    (("2026-01-01T00:00:00", "2026-01-02T00:00:00"), ("2026-01-01 00:00:00", "2026-01-02 00:00:00")),
    (("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), ("2026-01-01 00:00:00", "2026-01-02 00:00:00")),
    (("2026-01-01T02:00:00+02:00", "2026-01-02T00:00:00.000Z"), ("2026-01-01 00:00:00", "2026-01-02 00:00:00")),
])
async def test_from_and_to_take_the_documented_form_and_iso_8601(client_for: Any, sent: tuple[str, str],
                                                                kept: tuple[str, str]) -> None:
    client = await client_for(fixtures="none")
    doc = await create(client, "2026-04-16", filters={"from": sent[0], "to": sent[1]})
    assert doc["data"]["attributes"]["filters"] == {"from": kept[0], "to": kept[1]}


@pytest.mark.parametrize("bad", ["2026-01-01", "01/01/2026 00:00:00", "2026-01-01T00:00", "0000-12-31T23:00:00-02:00"])
async def test_other_from_forms_are_not_valid(client_for: Any, bad: str) -> None:
    client = await client_for(fixtures="none")
    resp = await client.post(EXPORTS, data=body(filters={"from": bad, "to": "2026-01-02 00:00:00"}),
                             headers=headers("2026-04-16"))
    assert resp.status == 422
    assert (await resp.json(content_type=None))["errors"][0]["title"] == "from not valid"
