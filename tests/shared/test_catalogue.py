"""A catalogue of named hostile inputs, each sent to every vendor through its recipe's own calls: malformed and
mistyped bodies, invalid UTF-8 in bodies, paths, queries and headers, a body over the limit, integers past 64
bits, deep nesting, huge arrays, unknown parameters, path traversal, unicode. Each is answered below 500, in
the vendor's own content type and envelope (the keys of its own 404), the server keeps serving, and a refused
request changes no state (the control API's view of every job, before and after)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from yarl import URL

from fakeexports.recipe import Call, fill

from .conftest import VENDORS, WITH_RECIPES, driver, recipe_of, two_tenants

MAX_BODY = 64 * 1024
BIG = 2**70  # past 64 bits, signed or not


@dataclass(frozen=True)
class Hostile:
    """How to turn a vendor's create call (or its poll, ``on="poll"``) into a hostile request."""

    name: str
    on: str  # "create" or "poll"
    body: Callable[[Call], bytes | None] | None = None  # the raw body (None: the call's own)
    content_type: str | None = None
    path: Callable[[str], str] | None = None  # the path, changed
    query: str = ""
    headers: dict[str, str] | None = None
    status: tuple[int, ...] | None = None  # the statuses it must get: None, some 4xx; ANY, anything below 500


def _doc(call: Call) -> dict[str, Any]:
    return dict(call.json or call.form or {})


def _encode(call: Call, doc: Any) -> bytes:
    """``doc`` as the call sends its body: a form for a form call, JSON otherwise (json, not orjson: it writes
    integers of any size)."""
    if call.form is not None:
        return urlencode({k: str(v) for k, v in doc.items()}).encode()
    return json.dumps(doc).encode()


def _with(value: Any) -> Callable[[Call], bytes]:
    """The create body with its first string member (the deepest first one) replaced by ``value``."""
    def swap(node: Any) -> tuple[Any, bool]:
        if isinstance(node, dict):
            for k, v in node.items():
                new, done = swap(v)
                if done:
                    return {**node, k: new}, True
        if isinstance(node, str):
            return value, True
        return node, False

    return lambda call: _encode(call, swap(_doc(call))[0])


ANY: tuple[int, ...] = ()  # any answer below 500 (the default is: some 4xx)


CASES = [
    Hostile("malformed-json", "create", body=lambda c: b'{"data": {"type": "exports", "attr'),
    Hostile("json-array-not-object", "create", body=lambda c: b"[1, 2, 3]"),
    Hostile("json-null", "create", body=lambda c: b"null"),
    Hostile("empty-body", "create", body=lambda c: b""),
    Hostile("wrong-content-type", "create", content_type="text/plain"),
    Hostile("form-where-json-or-json-where-form", "create",
            content_type="application/x-www-form-urlencoded", body=lambda c: b"a=1&b=%ZZ&&=="),
    Hostile("invalid-utf8-body", "create", body=lambda c: b'{"x": "\xff\xfe\xfd"}'),
    # 413, or the vendor's own answer to it (HookBridge: 400 PAYLOAD_TOO_LARGE, B.6)
    Hostile("body-over-the-limit", "create", body=lambda c: b'{"x": "' + b"a" * (MAX_BODY + 10) + b'"}',
            status=(413, 400)),
    Hostile("integer-past-64-bits-in-body", "create", body=_with(BIG)),
    Hostile("negative-integer-past-64-bits-in-body", "create", body=_with(-BIG)),
    Hostile("float-overflow-in-body", "create", body=_with(float("inf"))),
    Hostile("deep-nesting", "create", body=lambda c: b'{"x": ' * 3000 + b"1" + b"}" * 3000),
    Hostile("huge-array", "create", body=lambda c: b'{"x": [' + b",".join([b"0"] * 20000) + b"]}"),
    Hostile("unknown-body-member", "create", body=lambda c: _encode(c, {**_doc(c), "no_such_member": "x"}),
            status=ANY),
    Hostile("unicode-everywhere", "create", body=_with("\u202e\u0000\U0001f4a9 \u00e9\u4e2d\u6587"), status=ANY),
    Hostile("invalid-utf8-in-path", "poll", path=lambda p: p.rsplit("/", 1)[0] + "/%ff%fe%fd"),
    Hostile("path-traversal", "poll", path=lambda p: p.rsplit("/", 1)[0] + "/..%2F..%2F..%2Fetc%2Fpasswd"),
    Hostile("encoded-dot-segments", "poll", path=lambda p: p.rsplit("/", 1)[0] + "/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
    Hostile("nul-in-path", "poll", path=lambda p: p.rsplit("/", 1)[0] + "/%00"),
    Hostile("very-long-id", "poll", path=lambda p: p.rsplit("/", 1)[0] + "/" + "a" * 6000),
    Hostile("invalid-utf8-in-query", "poll", query="?page%ff=%fe&cursor=%ff%fe&PageToken=%c3%28", status=ANY),
    Hostile("invalid-utf8-in-list-parameters", "listing", status=ANY,
            query="&PageToken=%ff%fe&PageSize=%c3%28&cursor=%ff&limit=%fe&page[size]=%ff&per_page=%c3"),
    Hostile("integers-past-64-bits-in-list-parameters", "listing", status=ANY,
            query=f"&PageSize={BIG}&Page={BIG}&limit={BIG}&page[size]={BIG}&page[number]={BIG}&per_page={BIG}"),
    Hostile("tampered-list-token", "listing", status=ANY,
            query="&PageToken=PT" + "0" * 40 + "&cursor=eyJ4IjoxfQ&page[number]=-1"),
    Hostile("integer-past-64-bits-in-query", "poll",
            query=f"?PageSize={BIG}&Page={BIG}&limit={BIG}&page[size]={BIG}&page[number]={BIG}&per_page={BIG}",
            status=ANY),
    Hostile("unknown-query-parameters", "poll", query="?no_such_param=1&filter[nope]=2&fields[x]=y", status=ANY),
    Hostile("latin1-bytes-in-a-header", "poll", headers={"X-Anything": "\xff\xfe caf\xe9"}, status=ANY),
    Hostile("unicode-in-a-header", "poll", headers={"Accept-Language": "\u00e9\u00e8"}, status=ANY),
]


@dataclass(frozen=True)
class Case:
    vendor: str
    hostile: Hostile


def _cases() -> list[Any]:
    out = []
    for vendor in WITH_RECIPES:
        for hostile in CASES:
            out.append(pytest.param(Case(vendor, hostile), id=f"{vendor}-{hostile.name}"))
    return out


async def _view(client: Any) -> Any:
    return (await (await client.get("/_fakeexports/jobs")).json())["jobs"]


@pytest.mark.parametrize("case", _cases())
async def test_a_hostile_request_is_refused_in_the_vendors_envelope_and_changes_nothing(
        client_for: Any, case: Case) -> None:
    vendor, hostile = case.vendor, case.hostile
    cls, recipe = VENDORS[vendor], recipe_of(vendor)
    client = await client_for(fixtures="none", max_body=MAX_BODY)
    a, b = await two_tenants(client, vendor)
    job = await a.create()
    # the vendor's own error envelope: its 404 for a job that is not the client's
    poll_path = cls.mount + fill(recipe.poll.path, a.vars, 0)
    nf = await client.get(poll_path, headers=await b.headers())
    assert nf.status in recipe.gone
    envelope = set(await nf.json())

    call = {"create": recipe.create, "poll": recipe.poll, "listing": recipe.listing}[hostile.on]
    headers = {**await a.headers(), **{k: fill(v, a.vars, 0) for k, v in call.headers.items()}}
    now = float((await (await client.get("/_fakeexports/clock")).json())["epoch"])
    if hostile.on == "create":
        method, path = call.method, cls.mount + fill(call.path, a.vars, now)
        body = hostile.body(call) if hostile.body else _encode(call, fill(_doc(call), a.vars, now))
        headers["Content-Type"] = hostile.content_type or headers.get("Content-Type") or (
            "application/json" if call.json is not None else "application/x-www-form-urlencoded")
    elif hostile.on == "poll":
        method, path, body = call.method, poll_path, None
    else:
        method, path, body = call.method, cls.mount + fill(call.path, a.vars, now), None
        path += "" if "?" in path else "?"
    if hostile.path:
        path = hostile.path(path)
    headers.update(hostile.headers or {})
    before = await _view(client)
    resp = await client.request(method, URL(path + hostile.query, encoded=True), data=body, headers=headers)
    raw = await resp.read()
    assert resp.status < 500, (resp.status, raw[:500])
    if hostile.status is None:
        assert 400 <= resp.status < 500, (resp.status, raw[:300])
    elif hostile.status:
        assert resp.status in hostile.status, (resp.status, raw[:300])
    if resp.status >= 400:
        assert resp.headers["Content-Type"].startswith(cls.json_type), resp.headers.get("Content-Type")
        assert envelope <= set(orjson.loads(raw)), (raw[:300], envelope)
        assert await _view(client) == before, "a refused request changed the state"
    # still serving, the job intact
    assert await a.status(job)
    assert job in await a.ids()


CALLING = [n for n in WITH_RECIPES if recipe_of(n).callback is not None]


@pytest.mark.parametrize("vendor", CALLING)
@pytest.mark.parametrize("suffix", ["\r\nX-Injected: 1", "%0d%0aX-Injected:%201", " HTTP/1.1\r\nHost: evil",
                                    "\u2028X-Injected: 1"])
async def test_no_header_is_injected_through_a_callback_url(client_for: Any, aiohttp_server: Any, vendor: str,
                                                            suffix: str) -> None:
    from aiohttp import web

    seen: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hook)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none")
    a = driver(client, vendor, 0)
    await a.login()
    before = await _view(client)
    try:
        await a.create(callback=str(receiver.make_url("/hook")) + suffix)
    except Exception as exc:  # refused: in the vendor's envelope, and nothing changed
        assert "answered 4" in str(exc), exc
        assert await _view(client) == before
        return
    await a.until_done()
    assert all("X-Injected" not in h and h.get("Host", "").startswith("127.0.0.1") for h in seen), seen
    attempts = (await (await client.get("/_fakeexports/webhooks")).json())["attempts"]
    assert attempts and all(a["status"] is not None or a["error"] for a in attempts)
