"""The fake's own routing (routing.Dispatch): a newline or other control character in a path still reaches
the vendor, the control API or the root, each answering in its own envelope (aiohttp's ``.*`` stops at a
newline and its plain-text 404 would answer instead)."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from fakeexports.vendors import discover


@pytest.mark.parametrize("path", [f"{cls.mount}/x%0Ay/%0D%0A" for cls in discover().values()]
                         + ["/_fakeexports/x%0Ay", "/nothing%0A"])
async def test_a_newline_in_a_path_is_answered_in_an_envelope(client_for: Any, path: str) -> None:
    client = await client_for(fixtures="none")
    r = await client.get(URL(path, encoded=True))
    assert r.status in (401, 403, 404, 405), (path, r.status)
    assert "json" in r.headers.get("Content-Type", "") or "xml" in r.headers.get("Content-Type", ""), (
        path, r.headers.get("Content-Type"), await r.text())


async def test_every_kind_of_answer_has_the_fake_clocks_date(client_for: Any) -> None:
    client = await client_for(fixtures="none")  # the virtual clock starts at 2026-01-15T12:00:00Z
    paths = ["/_fakeexports/health", "/_fakeexports/nope", "/nothing", "/_s3/fakeexports-twilio/AC1/x",
             "/_s3/nobucket/t/k", *(cls.mount + "/nope" for cls in discover().values())]
    for _ in range(2):  # the second time, what can be kept is answered from what was kept
        for path in paths:
            r = await client.get(path)
            assert r.headers["Date"] == "Thu, 15 Jan 2026 12:00:00 GMT", (path, r.status)
    await client.post("/_fakeexports/clock/advance", json={"seconds": 86400})
    for path in paths:
        assert (await client.get(path)).headers["Date"] == "Fri, 16 Jan 2026 12:00:00 GMT", path
