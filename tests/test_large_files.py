"""Large files never hold the event loop (issue 20): while a big file is measured for the size an answer states, or
streamed, the server answers other requests: its health, another vendor's fetch. The big file here is one tenant's,
made big by its ``records_per_day``; the other answers must arrive while the big one still waits for its size
(ordering, not timing: the big file takes about a second of making, the others milliseconds). And a reset forgets
the sizes of the files it dropped: a job id made again after it names another file."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fakeexports import create_app
from tests.conftest import ACCOUNT, basic, settings

BIG = 40_000  # records in the big file: about a second of making (Twilio 17 µs a record, DIDWW 11)
DAY = "2026-01-05"
JSONAPI = "application/vnd.api+json"
DIDWW = {"Api-Key": "big-key", "Content-Type": JSONAPI, "Accept": JSONAPI, "X-DIDWW-API-Version": "2026-04-16"}
HOOKBRIDGE = {"Authorization": "Bearer hb_test_small"}


class Fake:
    """An in-process app whose middleware says when a request for ``watch`` has reached the server."""

    def __init__(self) -> None:
        self.watch = ""
        self.arrived = asyncio.Event()
        app = create_app(settings(clock="virtual", strict=True, fixtures="none"))

        @web.middleware
        async def arrival(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
            if self.watch and request.path.startswith(self.watch):
                self.arrived.set()
            return await handler(request)

        app.middlewares.append(arrival)
        self.client: TestClient[Any, Any] = TestClient(TestServer(app))

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.client.request(method, path, allow_redirects=False, **kwargs)
        assert resp.status < 400, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json(content_type=None) if resp.content_length else None


@pytest.fixture
async def fake() -> AsyncIterator[Fake]:
    made = Fake()
    await made.client.start_server()
    yield made
    await made.client.close()


async def twilio_day(fake: Fake) -> str:
    """A Twilio day of BIG messages, done: the path of its Days list, which states each day's size."""
    await fake.ok("POST", f"/_fakeexports/tenants/twilio/{ACCOUNT}", json={"records_per_day": BIG})
    await fake.ok("POST", "/twilio/v1/Exports/Messages/Jobs", headers=basic(),
                  data={"StartDay": DAY, "EndDay": DAY, "FriendlyName": "big"})
    return "/twilio/v1/Exports/Messages/Days"


async def didww_export(fake: Fake, volume: int = BIG, kind: str = "cdr_in") -> str:
    """A DIDWW export of one day at ``volume`` records a day: the id of the export (done after an advance)."""
    await fake.ok("POST", "/_fakeexports/tenants/didww/big-key", json={"records_per_day": volume})
    body = {"data": {"type": "exports", "attributes": {"export_type": kind, "filters": {
        "from": "2026-01-10 00:00:00", "to": "2026-01-11 00:00:00"}}}}
    made = await fake.ok("POST", "/didww/v3/exports", data=json.dumps(body), headers=DIDWW)
    return str(made["data"]["id"])


async def didww_file_path(fake: Fake, export_id: str) -> str:
    doc = await fake.ok("GET", f"/didww/v3/exports/{export_id}", headers=DIDWW)
    return urlsplit(doc["data"]["attributes"]["url"]).path


async def test_a_big_files_size_holds_neither_health_nor_another_vendor(fake: Fake) -> None:
    # a big Twilio day and a big DIDWW export, and a small HookBridge export, all done
    days = await twilio_day(fake)
    export_id = await didww_export(fake)
    small = await fake.ok("POST", "/hookbridge/v1/exports", headers=HOOKBRIDGE, json={
        "start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-14T02:00:00Z"})
    await fake.ok("POST", "/_fakeexports/clock/advance", json={"seconds": 3600})
    download = await didww_file_path(fake, export_id)

    for path, headers in ((days, basic()), (download, {"Api-Key": "big-key"})):
        # the big request reaches the server, which needs the file's size before it can answer
        fake.watch, fake.arrived = path, asyncio.Event()
        big = asyncio.ensure_future(fake.client.get(path, headers=headers))
        await fake.arrived.wait()
        # meanwhile: health, and another vendor's fetch (which measures its own small file), answered first
        health = await fake.client.get("/_fakeexports/health")
        assert health.status == 200 and not big.done(), path
        other = await fake.ok("GET", f"/hookbridge/v1/exports/{small['data']['id']}", headers=HOOKBRIDGE)
        assert other["data"]["file_size_bytes"] > 0 and not big.done(), path
        # then the big answer, its size the bytes it serves
        resp = await big
        assert resp.status == 200
        if path == days:
            size = (await resp.json())["days"][0]["size"]
            link = (await fake.ok("GET", f"{days}/{DAY}", headers=basic()))["redirect_to"]
            resp = await fake.client.get(urlsplit(link).path + "?" + urlsplit(link).query)
            assert resp.status == 200 and resp.content_length == size
        # the body streams while other requests are answered
        body = asyncio.ensure_future(resp.read())
        assert (await fake.client.get("/_fakeexports/health")).status == 200 and not body.done()
        data = await body
        assert len(data) == resp.content_length
        assert gzip.decompress(data).count(b"\n") >= BIG  # whole: every record (and DIDWW's header)


async def test_a_reset_forgets_the_sizes_of_the_files_it_dropped(fake: Fake) -> None:
    """After a reset the tenant's job counter starts again, so the next export has the same id as one before it
    but another file: its Content-Length is its own (it was the old file's, and the download cut short)."""
    made = []
    for kind in ("cdr_in", "cdr_out"):
        export_id = await didww_export(fake, volume=2000, kind=kind)
        await fake.ok("POST", "/_fakeexports/clock/advance", json={"seconds": 300})
        resp = await fake.client.get(await didww_file_path(fake, export_id), headers={"Api-Key": "big-key"})
        data = await resp.read()
        assert resp.status == 200 and len(data) == resp.content_length
        made.append((export_id, gzip.decompress(data).splitlines()[0]))
        await fake.ok("POST", "/_fakeexports/reset", json={})
    assert made[0][0] == made[1][0] and made[0][1] != made[1][1]  # one id, two files (their CSV headers differ)
