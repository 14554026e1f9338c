"""HTTP edges every vendor keeps, through its recipe's own calls: HEAD is answered like GET without a body;
``Expect: 100-continue`` with a body over the limit gets the vendor's refusal, not a go-ahead; a client that hangs
up mid-body is journaled (499), not a server error; a body that arrives too slowly gets the vendor's 408; the URLs
it emits honour a reverse proxy's X-Forwarded-Proto/-Host only where they are http(s) and a host name."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import orjson
import pytest
from yarl import URL

from fakeexports.recipe import Answer, Driver, fill
from fakeexports.registry import REGISTRY
from fakeexports.runtime import RUNTIME

from .conftest import VENDORS, driver, recipe_of

MAX_BODY = 64 * 1024


async def _raw(client: Any, head: str, body: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection of its own to the test server, the request head (and any body) sent."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader, timeout: float = 10) -> tuple[str, dict[str, str], bytes]:
    """The next answer's status line, headers (lower-case names) and body (to Content-Length)."""
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)).decode("latin-1")
    line, *fields = head.rstrip("\r\n").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), timeout)
    return line, headers, body


async def _create_head(client: Any, vendor: str, length: int, expect: bool = False) -> str:
    """The head of the recipe's create request for tenant 0 (logged in), declaring a body of ``length`` bytes."""
    d = driver(client, vendor)
    await d.login()
    recipe = recipe_of(vendor)
    now = float((await (await client.get("/_fakeexports/clock")).json())["epoch"])
    path = VENDORS[vendor].mount + _fill(recipe.create.path, d, now)
    headers = {**await d.headers(), "Content-Type": "application/json" if recipe.create.json is not None
               else "application/x-www-form-urlencoded",
               **{k: _fill(v, d, now) for k, v in recipe.create.headers.items()}, "Content-Length": str(length)}
    if expect:
        headers["Expect"] = "100-continue"
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"{recipe.create.method} {path} HTTP/1.1\r\nHost: {client.server.host}:{client.server.port}\r\n{lines}\r\n"


def _fill(template: str, d: Driver, now: float) -> str:
    return str(fill(template, d.vars, now))


async def _journal(client: Any, vendor: str) -> list[dict[str, Any]]:
    return list((await (await client.get(f"/_fakeexports/journal?vendor={vendor}")).json())["entries"])


# --- HEAD -----------------------------------------------------------------------------------------------------------
async def test_head_is_answered_like_get_without_a_body(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    d = driver(client, vendor)
    await d.login()
    await d.create()
    recipe = recipe_of(vendor)
    now = float((await (await client.get("/_fakeexports/clock")).json())["epoch"])
    headers = await d.headers()
    for call in (recipe.poll, recipe.listing):
        url = URL(VENDORS[vendor].mount + _fill(call.path, d, now), encoded=True)
        got = await client.get(url, headers=headers, allow_redirects=False)
        body = await got.read()
        head = await client.head(url, headers=headers, allow_redirects=False)
        # the same answer: status, type, the GET's Content-Length; no body
        assert (head.status, head.headers.get("Content-Type")) == (got.status, got.headers.get("Content-Type"))
        assert int(head.headers["Content-Length"]) == len(body) > 0
        assert await head.read() == b""
        # through the same pipeline: authenticated, journaled as a HEAD of the same operation
        entry = (await _journal(client, vendor))[-1]
        assert (entry["method"], entry["status"]) == ("HEAD", got.status)
        assert entry["operation"] == (await _journal(client, vendor))[-2]["operation"]
    refused = await client.head(URL(VENDORS[vendor].mount + _fill(recipe.poll.path, d, now), encoded=True))
    assert refused.status in (401, 403) and await refused.read() == b""


async def test_head_of_the_health_check_and_of_what_has_no_get(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    got = await client.get("/_fakeexports/health")
    head = await client.head("/_fakeexports/health")
    assert head.status == 200 and await head.read() == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"]
    # a path with no GET still refuses a HEAD (405 from the vendor), and a path nobody serves is a 404
    mount, path = next((VENDORS[name].mount, p) for name, ops in client.app[REGISTRY].operations.items()
                       for (m, p) in ops.table if m == "POST" and "{" not in p and ("GET", p) not in ops.table)
    assert (await client.head(mount + path)).status == 405  # Talkdesk's token endpoint
    assert (await client.head("/nothing")).status == 404


# --- bodies --------------------------------------------------------------------------------------------------------
async def test_expect_continue_with_a_body_over_the_limit_is_refused_before_it_is_sent(client_for: Any,
                                                                                       vendor: str) -> None:
    client = await client_for(fixtures="none", max_body=MAX_BODY)
    reader, writer = await _raw(client, await _create_head(client, vendor, MAX_BODY + 1, expect=True))
    line, headers, body = await _answer(reader)  # no body was sent: the answer comes at once
    assert line.split(" ")[1] in ("413", "400"), line  # HookBridge's is a 400 PAYLOAD_TOO_LARGE (B.6)
    assert headers["content-type"].startswith(VENDORS[vendor].json_type) and orjson.loads(body)
    assert headers["connection"] == "close" and await reader.read() == b""  # the body never sent: nothing more
    writer.close()
    # a body within the limit still gets the go-ahead
    reader, writer = await _raw(client, await _create_head(client, vendor, 10, expect=True))
    assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10) == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.close()


async def test_a_client_that_hangs_up_mid_body_is_journaled_not_a_server_error(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    head = await _create_head(client, vendor, 1000, expect=True)
    before = len(await _journal(client, vendor))
    reader, writer = await _raw(client, head)
    # the go-ahead: the request is being handled and its body waited for; then part of it, and the client hangs up
    assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10) == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b'{"partial')
    writer.close()
    await writer.wait_closed()
    entries = await _journal(client, vendor)
    for _ in range(1000):  # each look is a round trip: the server sees the hang-up meanwhile
        if len(entries) > before:
            break
        entries = await _journal(client, vendor)
    assert len(entries) > before, "the request was never journaled"
    assert entries[-1]["status"] == 499 and entries[-1]["method"] == recipe_of(vendor).create.method
    assert not client.app[RUNTIME].journal.errors  # (client_for asserts it again at the end)
    assert (await client.get("/_fakeexports/health")).status == 200


async def test_a_body_slower_than_the_body_timeout_gets_a_408_and_the_connection_ends(client_for: Any,
                                                                                     vendor: str) -> None:
    client = await client_for(fixtures="none", body_timeout=0.5)
    reader, writer = await _raw(client, await _create_head(client, vendor, 1000), b'{"partial')
    line, headers, body = await _answer(reader, timeout=5)  # 0.5 s after the head, with the rest never sent
    assert line.startswith("HTTP/1.1 408 "), line
    assert headers["content-type"].startswith(VENDORS[vendor].json_type) and orjson.loads(body)
    assert headers["connection"] == "close" and await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


@pytest.mark.parametrize("case", ["over-the-limit", "hang-up", "slow"])
async def test_the_control_api_keeps_the_same_edges(client_for: Any, case: str) -> None:
    client = await client_for(fixtures="none", max_body=MAX_BODY, body_timeout=0.5)
    origin = f"{client.server.host}:{client.server.port}"
    length = MAX_BODY + 1 if case == "over-the-limit" else 1000
    head = (f"POST /_fakeexports/clock/advance HTTP/1.1\r\nHost: {origin}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n")
    reader, writer = await _raw(client, head)
    if case == "over-the-limit":
        line, headers, _ = await _answer(reader)
        assert line.startswith("HTTP/1.1 413 ") and headers["connection"] == "close"
    else:
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b'{"seconds"')
        if case == "slow":
            line, headers, _ = await _answer(reader, timeout=5)
            assert line.startswith("HTTP/1.1 408 ") and headers["connection"] == "close"
        else:
            writer.close()
            await writer.wait_closed()
    writer.close()
    assert (await client.get("/_fakeexports/health")).status == 200
    assert not client.app[RUNTIME].journal.errors


# --- the origin of emitted URLs --------------------------------------------------------------------------------------
_URL = re.compile(rb"""[A-Za-z][A-Za-z0-9+.-]*://[^"'\s<>\\]+""")


@pytest.mark.parametrize(("proto", "host", "origin"), [
    ("https", "fake.example.test:8443", "https://fake.example.test:8443"),  # a reverse proxy in front: honoured
    ("HTTP", "fake.example.test", "http://fake.example.test"),
    ("javascript", "evil.example", "{own_scheme}://evil.example"),  # a scheme that is not http(s): ignored
    ("https", "evil.example/x?", "https://{own}"),  # a host that is no host name: ignored
    ("javascript", "evil.example#.test", "{own_scheme}://{own}"),
    ("https, http", "fake.example.test, other.test", "https://fake.example.test"),  # the first of a list
])
async def test_emitted_urls_honour_forwarded_headers_only_when_they_are_http_and_a_host(
        client_for: Any, vendor: str, proto: str, host: str, origin: str) -> None:
    client = await client_for(fixtures="none")
    own = f"{client.server.host}:{client.server.port}"
    origin = origin.format(own=own, own_scheme="http")
    seen: list[bytes] = []

    async def send(method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
        if target.startswith(origin):  # a link the fake gave: back to the test server
            target = target[len(origin):]
        assert not target.startswith(("http:", "https:", "javascript:")), f"a link elsewhere: {target}"
        resp = await client.request(method, URL(target, encoded=True), data=data, allow_redirects=False,
                                    headers={**headers, "X-Forwarded-Proto": proto, "X-Forwarded-Host": host})
        answer = Answer(resp.status, dict(resp.headers), await resp.read())
        body = answer.body if "json" in answer.headers.get("Content-Type", "") else b""  # not an export's rows
        seen.append(body + b" " + answer.headers.get("Location", "").encode())
        return answer

    base = driver(client, vendor)
    d = Driver(recipe_of(vendor), recipe_of(vendor).tenants[0], send=send, advance=base.advance, now=base.now,
               mount=VENDORS[vendor].mount)
    await d.login()
    await d.create()
    await d.until_done()
    await d.download()
    urls = {m.group().decode() for chunk in seen for m in _URL.finditer(chunk)}
    assert urls, f"{vendor} emitted no URL"
    assert all(url.startswith(origin + "/") for url in urls), sorted(urls)[:5]


async def test_a_host_header_that_is_no_host_name_is_a_400_in_the_vendors_envelope(client_for: Any,
                                                                                   vendor: str) -> None:
    client = await client_for(fixtures="none")
    d = driver(client, vendor)
    await d.login()
    recipe = recipe_of(vendor)
    now = float((await (await client.get("/_fakeexports/clock")).json())["epoch"])
    url = URL(VENDORS[vendor].mount + _fill(recipe.listing.path, d, now), encoded=True)
    resp = await client.get(url, headers={**await d.headers(), "Host": "evil.example/x?#"})
    assert resp.status == 400 and resp.headers["Content-Type"].startswith(VENDORS[vendor].json_type)
    assert b"evil.example" not in await resp.read()
