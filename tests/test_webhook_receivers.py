"""Webhook receivers cannot hurt the fake: a slow, hanging, refusing, erroring or redirecting receiver gets a
bounded attempt (--webhook-timeout), is retried on the fake clock, every attempt is visible in the control API,
and requests that have nothing to do with it are answered while it hangs."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp import web

from tests.conftest import basic

JOBS = "/twilio/v1/Exports/Messages/Jobs"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once it is closed


async def test_every_kind_of_bad_receiver_is_bounded_retried_and_visible(client_for: Any, aiohttp_server: Any) -> None:
    hanging = asyncio.Event()
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.Response()

    async def hang(request: web.Request) -> web.Response:
        hanging.set()
        await release.wait()
        return web.Response()

    async def error(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/slow")

    async def garbage(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.write(b"this is not HTTP\r\n\r\n")
        request.transport.close()
        return web.Response()

    app = web.Application()
    for name, handler in (("slow", slow), ("hang", hang), ("error", error), ("redirect", redirect),
                          ("garbage", garbage)):
        app.router.add_route("POST", f"/{name}", handler)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    client = await client_for(fixtures="none", webhook_timeout=0.5)
    targets = {name: str(receiver.make_url(f"/{name}")) for name in ("slow", "hang", "error", "redirect", "garbage")}
    targets["refused"] = f"http://127.0.0.1:{_closed_port()}/hook"
    targets["unresolvable"] = "http://no-such-host.invalid/hook"
    for i, (name, url) in enumerate(targets.items()):
        resp = await client.post(JOBS, data={"StartDay": "2026-01-10", "EndDay": "2026-01-10", "FriendlyName": name,
                                             "WebhookUrl": url, "WebhookMethod": "POST"}, headers=basic())
        assert resp.status == 201, (i, await resp.text())

    # the jobs finish (three at a time, each a minute in Submitted and 30 s a day): the clock moves in a task,
    # and while the hanging receiver holds its attempt, unrelated requests are answered
    advance = asyncio.create_task(client.post("/_fakeexports/clock/advance", json={"seconds": 600}))
    await asyncio.wait_for(hanging.wait(), 10)
    for _ in range(20):
        assert (await client.get(JOBS, headers=basic("AC" + "9" * 32))).status == 200
        assert (await client.get("/_fakeexports/health")).status == 200
    assert not advance.done()  # the clock waits for the attempts it started, within their bound
    assert (await advance).status == 200
    release.set()

    attempts = (await (await client.get("/_fakeexports/webhooks?vendor=twilio")).json())["attempts"]
    by_url = {a["url"]: a for a in attempts if a["attempt"] == 1}
    assert set(by_url) == set(targets.values())
    assert by_url[targets["slow"]]["status"] == 200 and not by_url[targets["slow"]]["will_retry"]
    assert by_url[targets["error"]]["status"] == 503
    assert by_url[targets["redirect"]]["status"] == 302  # not followed: a webhook is delivered where it was sent
    for name in ("hang", "refused", "unresolvable", "garbage"):
        assert by_url[targets[name]]["status"] is None and by_url[targets[name]]["error"], name
    assert "Timeout" in by_url[targets["hang"]]["error"]
    for name in ("hang", "error", "redirect", "refused", "unresolvable", "garbage"):
        assert by_url[targets[name]]["will_retry"], name

    # retries come on the fake clock (30 s, 60 s, 120 s, 240 s), then they stop
    release.set()
    await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})
    attempts = (await (await client.get("/_fakeexports/webhooks?vendor=twilio")).json())["attempts"]
    counts = {name: sum(1 for a in attempts if a["url"] == url) for name, url in targets.items()}
    assert counts["slow"] == 1
    assert all(counts[n] == 5 for n in ("error", "redirect", "refused", "unresolvable", "garbage")), counts
    assert counts["hang"] >= 2  # released: the next attempt is delivered
    await client.post("/_fakeexports/clock/advance", json={"seconds": 86400})
    later = (await (await client.get("/_fakeexports/webhooks?vendor=twilio")).json())["attempts"]
    assert len(later) == len(attempts)
