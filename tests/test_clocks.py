"""Clocks as resources (clocks.py): a clock moves only the tenants attached to it, whatever path their requests
take (the plain mounts, by credential; the clock's own /_clocks/{id}/ URLs its answers carry); its token drives it
and nothing else; deleting it (or leaving it idle) drops its tenants' state; the server's clock never moves."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fakeexports.clocks import CLOCKS, handle_in
from fakeexports.registry import REGISTRY
from fakeexports.vendor import HOOKS
from tests.conftest import basic

TWILIO = "/twilio/v1/Exports/Messages/Jobs"
A, B = "AC" + "a" * 32, "AC" + "b" * 32


async def make_clock(client: Any, *tenants: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = await client.post("/_fakeexports/clocks", json={"tenants": list(tenants), **body})
    assert r.status == 201, await r.text()
    return dict(await r.json())


def bearer(clock: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {clock['token']}"}


async def create_twilio(client: Any, account: str) -> str:
    r = await client.post(TWILIO, headers=basic(account), data={"StartDay": "2026-01-01", "EndDay": "2026-01-02",
                                                                "FriendlyName": "clocked"})
    assert r.status == 201, await r.text()
    return str((await r.json())["job_sid"])


async def twilio_status(client: Any, account: str, sid: str) -> tuple[int, Any]:
    r = await client.get(f"/twilio/v1/Exports/Jobs/{sid}", headers=basic(account))
    body = await r.json()
    return r.status, [d["status"] for d in body.get("details") or []] if r.status == 200 else body


async def test_advancing_one_clock_moves_only_its_tenants(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    one = await make_clock(client, {"vendor": "twilio", "headers": basic(A)})
    two = await make_clock(client, {"vendor": "twilio", "tenant": B})
    job_a, job_b = await create_twilio(client, A), await create_twilio(client, B)
    r = await client.post(f"/_clocks/{one['id']}/_fakeexports/clock/advance", headers=bearer(one),
                          json={"seconds": 600})
    assert r.status == 200 and (await r.json())["now"] == "2026-01-15T12:10:00Z"
    assert await twilio_status(client, A, job_a) == (200, ["Completed"])  # both days ran on its clock
    assert (await twilio_status(client, B, job_b))[1] == ["Submitted"]  # not started on the other clock
    server = await (await client.get("/_fakeexports/clock")).json()
    assert server["now"] == "2026-01-15T12:00:00Z"
    assert (await (await client.get("/_fakeexports/jobs")).json())["total"] == 0  # none on the server's clock
    journal = await (await client.get(f"/_clocks/{one['id']}/_fakeexports/journal", headers=bearer(one))).json()
    assert {e["tenant"] for e in journal["entries"]} == {A} and len(journal["entries"]) == 2
    assert [c["id"] for c in (await (await client.get("/_fakeexports/clocks")).json())["clocks"]] == [
        one["id"], two["id"]]


async def test_a_clocks_urls_lead_back_to_it(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    clock = await make_clock(client, {"vendor": "twilio", "tenant": A})
    sid = await create_twilio(client, A)
    await client.post(f"/_clocks/{clock['id']}/_fakeexports/clock/advance", headers=bearer(clock),
                      json={"seconds": 600})
    r = await client.get(f"/twilio/v1/Exports/Jobs/{sid}", headers=basic(A))
    url = (await r.json())["url"]
    assert url.endswith(f"/_clocks/{clock['id']}/twilio/v1/Exports/Jobs/{sid}")
    days = await (await client.get(f"/_clocks/{clock['id']}/twilio/v1/Exports/Messages/Days",
                                   headers=basic(A))).json()
    day = days["days"][0]["day"]
    r = await client.get(f"/twilio/v1/Exports/Messages/Days/{day}", headers=basic(A), allow_redirects=False)
    link = (await r.json())["redirect_to"]
    assert r.status == 307 and f"/_clocks/{clock['id']}/_s3/" in link
    r = await client.get(link[link.index("/_clocks/"):])  # a presigned link: no credential, its signature admits it
    assert r.status == 200 and len(await r.read()) > 0
    plain = link[link.index("/_s3/"):]  # as a proxy tunnel carries it: no clock in it, only the tenant
    assert (await client.get(plain)).status == 200
    await client.post(f"/_clocks/{clock['id']}/_fakeexports/clock/advance", headers=bearer(clock),
                      json={"seconds": 3601})
    r = await client.get(plain)  # expired on its tenant's clock (the server's has not moved)
    assert r.status == 403 and b"Request has expired" in await r.read()


async def test_every_vendor_routes_by_its_credential(client_for: Any) -> None:
    """A tenant of each vendor, attached by the headers its client sends, is served on the clock through the plain
    mount: Talkdesk's token request by its client's Basic header, then its calls by the token's subject."""
    client = await client_for(fixtures="none")
    hb = {"Authorization": "Bearer hb_test_clocked"}
    talkdesk_basic = {"Authorization": "Basic " + base64.b64encode(b"clocked-client:s3cret").decode()}
    clock = await make_clock(client, {"vendor": "didww", "headers": {"Api-Key": "clocked-key"}},
                             {"vendor": "hookbridge", "headers": hb},
                             {"vendor": "talkdesk", "headers": talkdesk_basic})
    r = await client.post("/hookbridge/v1/exports", headers=hb, json={"start_time": "2026-01-01T00:00:00Z",
                                                                       "end_time": "2026-01-02T00:00:00Z"})
    assert r.status in (200, 201, 202)
    r = await client.get("/didww/v3/exports", headers={"Api-Key": "clocked-key", "Accept": "application/vnd.api+json"})
    assert r.status == 200
    r = await client.post("/talkdesk/oauth/token", headers=talkdesk_basic,
                          data={"grant_type": "client_credentials", "scope": "data-reports:read data-reports:write"})
    assert r.status == 200, await r.text()
    token = (await r.json())["access_token"]
    r = await client.get("/talkdesk/data/reports/calls/jobs", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200, await r.text()
    view = await (await client.get(f"/_fakeexports/clocks/{clock['id']}", headers=bearer(clock))).json()
    assert sorted(t["vendor"] for t in view["tenants"]) == ["didww", "hookbridge", "talkdesk"]
    journal = await (await client.get(f"/_clocks/{clock['id']}/_fakeexports/journal", headers=bearer(clock))).json()
    assert sorted({e["vendor"] for e in journal["entries"]}) == ["didww", "hookbridge", "talkdesk"]
    server = await (await client.get("/_fakeexports/journal")).json()
    assert server["entries"] == []  # nothing of theirs reached the server's own vendors


async def test_a_clocks_token_drives_that_clock_and_nothing_else(client_for: Any) -> None:
    client = await client_for(fixtures="none", control_token="admin-token")
    one, two = await make_clock(client), await make_clock(client)
    path = f"/_clocks/{one['id']}/_fakeexports/clock/advance"
    assert (await client.post(path, json={"seconds": 1})).status == 401
    assert (await client.post(path, headers=bearer(two), json={"seconds": 1})).status == 401
    assert (await client.post(path, headers=bearer(one), json={"seconds": 1})).status == 200
    admin = {"Authorization": "Bearer admin-token"}
    assert (await client.post(path, headers=admin, json={"seconds": 1})).status == 200
    assert (await client.get("/_fakeexports/clocks", headers=bearer(one))).status == 401  # the list: admin only
    assert (await client.get("/_fakeexports/clocks", headers=admin)).status == 200
    assert (await client.post("/_fakeexports/clock/advance", headers=bearer(one), json={"seconds": 1})).status == 401
    r = await client.delete(f"/_fakeexports/clocks/{one['id']}", headers=bearer(two))
    assert r.status == 401 and "its token" in (await r.json())["error"]


async def test_deleting_a_clock_drops_its_tenants_state_and_frees_them(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    clock = await make_clock(client, {"vendor": "twilio", "tenant": A})
    sid = await create_twilio(client, A)
    r = await client.post(f"/_fakeexports/clocks/{clock['id']}/tenants", json={"vendor": "twilio", "tenant": A})
    assert r.status == 401  # without its token
    other = await make_clock(client)
    r = await client.post(f"/_fakeexports/clocks/{other['id']}/tenants", headers=bearer(other),
                          json={"vendor": "twilio", "tenant": A})
    assert r.status == 409 and "another clock" in (await r.json())["error"]
    r = await client.delete(f"/_fakeexports/clocks/{clock['id']}", headers=bearer(clock))
    assert (await r.json()) == {"deleted": clock["id"], "jobs_dropped": 1}
    assert (await twilio_status(client, A, sid))[0] == 404  # back on the server's clock, where it has nothing
    assert (await client.get(f"/_clocks/{clock['id']}/_fakeexports/jobs", headers=bearer(clock))).status == 404
    await create_twilio(client, A)  # now it has state on the server's clock: it cannot be moved onto one
    r = await client.post(f"/_fakeexports/clocks/{other['id']}/tenants", headers=bearer(other),
                          json={"vendor": "twilio", "tenant": A})
    assert r.status == 409 and "state on the server's clock" in (await r.json())["error"]


@pytest.mark.parametrize(("body", "words"), [
    ({"start": "yesterday"}, "'start' must be an RFC 3339 time"),
    ({"start": "1500-01-01T00:00:00Z"}, "a clock's start must stay between"),
    ({"tenants": [{"vendor": "nope", "tenant": "x"}]}, "unknown vendor 'nope'"),
    ({"tenants": [{"vendor": "twilio"}]}, "give 'tenant'"),
    ({"tenants": [{"vendor": "twilio", "headers": {"Authorization": "Basic !!"}}]}, "name no twilio tenant"),
    ({"tenants": "twilio"}, "'tenants' must be a list"),
    ({"fresh_tenants": True}, "'fresh_tenants' must be a text"),
])
async def test_a_clock_that_cannot_be_made_is_refused_and_nothing_is_made(client_for: Any, body: dict[str, Any],
                                                                            words: str) -> None:
    client = await client_for(fixtures="none")
    r = await client.post("/_fakeexports/clocks", json=body)
    assert r.status == 400 and words in (await r.json())["error"], await r.text()
    assert (await (await client.get("/_fakeexports/clocks")).json())["clocks"] == []


async def test_fresh_tenants_are_the_tests_own_and_the_same_for_the_same_test(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    one = await make_clock(client, fresh_tenants="tests/test_x.py::test_y")
    two = await make_clock(client, fresh_tenants="tests/test_x.py::test_y")
    other = await make_clock(client, fresh_tenants="tests/test_x.py::test_z")
    assert one["credentials"] == two["credentials"] != other["credentials"]
    assert set(one["credentials"]) >= {"twilio", "didww", "hookbridge", "talkdesk"}
    twilio = one["credentials"]["twilio"]
    assert twilio["fields"]["account_sid"].startswith("AC") and twilio["headers"]["Authorization"].startswith("Basic")
    for clock in (one, two):  # the same tenant on two clocks: each through its own base URL, apart
        r = await client.post(f"/_clocks/{clock['id']}{TWILIO}", headers=twilio["headers"], data={
            "StartDay": "2026-01-01", "EndDay": "2026-01-01", "FriendlyName": clock["id"]})
        assert r.status == 201
    for clock in (one, two):
        r = await client.get(f"/_clocks/{clock['id']}{TWILIO}", headers=twilio["headers"])
        assert [j["friendly_name"] for j in (await r.json())["jobs"]] == [clock["id"]]


async def test_an_idle_clock_is_dropped_with_its_tenants(client_for: Any) -> None:
    client = await client_for(fixtures="none", clock_idle=60)
    idle, used = await make_clock(client, {"vendor": "twilio", "tenant": A}), await make_clock(client)
    clocks = client.server.app[CLOCKS]
    clocks.by_id[idle["id"]].touched -= 61  # an hour of real time, without waiting for it
    assert await clocks.sweep(60) == 1
    assert list(clocks.by_id) == [used["id"]] and clocks.bound == {}


async def test_a_vendor_that_cannot_name_tenants_is_refused_by_name(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    twilio = client.server.app[REGISTRY].vendors["twilio"]
    saved = twilio.hooks["credential_tenant"]
    twilio.hooks["credential_tenant"] = HOOKS["credential_tenant"][1]  # the default: it cannot say
    try:
        r = await client.post("/_fakeexports/clocks", json={"tenants": [{"vendor": "twilio", "tenant": A}]})
        assert r.status == 400 and "credential_tenant" in (await r.json())["error"]
    finally:
        twilio.hooks["credential_tenant"] = saved


async def test_another_app_answers_a_request_through_aiohttps_handle() -> None:
    """clocks.handle_in calls aiohttp's private Application._handle: this fails loudly if aiohttp changes it."""
    inner = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"inner {request.match_info['name']} {request.app is inner}")

    inner.router.add_get("/hello/{name}", hello)
    inner.freeze()
    outer = web.Application()

    async def forward(request: web.Request) -> web.StreamResponse:
        return await handle_in(inner, request.clone(rel_url="/hello/" + request.match_info["name"]))

    outer.router.add_get("/{name}", forward)
    async with TestClient(TestServer(outer)) as client:
        r = await client.get("/world")
        assert (r.status, await r.text()) == (200, "inner world True")


def test_clocks_and_their_tenants_live_in_the_state_file(tmp_path: Any) -> None:
    """--state: a restart brings every clock back with its token, its tenants, its time and its tenants' jobs (each
    world in its own file beside the server's); deleting one removes its file."""
    import requests

    from fakeexports.server import ServerThread
    from tests.conftest import settings

    state = tmp_path / "state.sqlite"
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none", state=str(state))) as server:
        made = requests.post(server.url + "/_fakeexports/clocks", timeout=10,
                             json={"tenants": [{"vendor": "twilio", "tenant": A}]}).json()
        r = requests.post(server.url + TWILIO, headers=basic(A), timeout=10,
                          data={"StartDay": "2026-01-01", "EndDay": "2026-01-02", "FriendlyName": "kept"})
        sid = r.json()["job_sid"]
        requests.post(f"{server.url}/_clocks/{made['id']}/_fakeexports/clock/advance", headers=bearer(made),
                      json={"seconds": 75}, timeout=10)
    assert (tmp_path / "state.sqlite.clocks" / f"{made['id']}.sqlite").exists()
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none", state=str(state))) as server:
        view = requests.get(f"{server.url}/_fakeexports/clocks/{made['id']}", headers=bearer(made), timeout=10)
        assert view.status_code == 200 and view.json()["now"] == "2026-01-15T12:01:15Z"
        job = requests.get(f"{server.url}/twilio/v1/Exports/Jobs/{sid}", headers=basic(A), timeout=10).json()
        assert [d["status"] for d in job["details"]] == ["Running", "Submitted"]  # its first day, on its clock
        assert requests.get(server.url + "/_fakeexports/clock", timeout=10).json()["now"] == "2026-01-15T12:00:00Z"
        r = requests.delete(f"{server.url}/_fakeexports/clocks/{made['id']}", headers=bearer(made), timeout=10)
        assert r.json()["jobs_dropped"] == 1
    assert list((tmp_path / "state.sqlite.clocks").iterdir()) == []
    with ServerThread(settings(clock="virtual", strict=True, fixtures="none", state=str(state))) as server:
        assert requests.get(server.url + "/_fakeexports/clocks", timeout=10).json()["clocks"] == []
