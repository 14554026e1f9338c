"""A fake shared by a team or a CI fleet: a control token guards /_fakeexports/ (its health check stays open),
webhooks and callbacks go only where --webhook-allow says, and binding beyond loopback without a token warns."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ACCOUNT, basic, recording_receiver

JOBS = "/twilio/v1/Exports/Messages/Jobs"


async def test_the_control_api_needs_the_token_when_one_is_set(client_for: Any) -> None:
    client = await client_for(fixtures="none", control_token="team-secret")
    assert (await client.get("/_fakeexports/health")).status == 200  # for load balancers and HEALTHCHECK
    job = await (await client.post(JOBS, data={"StartDay": "2026-01-10", "EndDay": "2026-01-10",
                                               "FriendlyName": "x"}, headers=basic())).json()
    for method, path, body in (("GET", "/jobs", None), ("POST", "/reset", {}), ("POST", "/clock/advance",
                               {"seconds": 60}), ("POST", "/faults", {"vendor": "twilio", "status": 503}),
                               ("GET", "/journal", None), ("GET", "/nothing-here", None)):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVhbS1zZWNyZXQ="}):
            resp = await client.request(method, "/_fakeexports" + path, json=body, headers=headers)
            assert resp.status == 401, (method, path, headers)
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    # nothing the refused calls asked for happened: the job is there, the clock did not move, no fault
    ok = {"Authorization": "Bearer team-secret"}
    view = await (await client.get("/_fakeexports/jobs", headers=ok)).json()
    assert [j["id"] for j in view["jobs"]] == [job["job_sid"]]
    assert (await (await client.get("/_fakeexports/clock", headers=ok)).json())["now"] == "2026-01-15T12:00:00Z"
    assert (await (await client.get("/_fakeexports/faults", headers=ok)).json())["faults"] == []
    assert (await client.get(JOBS, headers=basic())).status == 200  # the vendors' APIs are not guarded by it


@pytest.mark.parametrize(("allow", "delivered"), [
    ((), True), (("127.0.0.1",), True), (("127.0.0.0/8",), True), (("hooks.example.com", "*.internal"), False),
    (("10.0.0.0/8",), False),
])
async def test_webhooks_go_only_where_the_allow_list_says(client_for: Any, aiohttp_server: Any,
                                                         allow: tuple[str, ...], delivered: bool) -> None:
    receiver, got = await recording_receiver(aiohttp_server, lambda request: request.method)
    client = await client_for(fixtures="none", webhook_allow=allow)
    await client.post(JOBS, data={"StartDay": "2026-01-12", "EndDay": "2026-01-12", "FriendlyName": "x",
                                  "WebhookUrl": str(receiver.make_url("/hook")), "WebhookMethod": "POST"},
                      headers=basic())
    await client.post("/_fakeexports/clock/advance", json={"seconds": 90})
    await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})  # past every retry
    attempts = (await (await client.get("/_fakeexports/webhooks")).json())["attempts"]
    if delivered:
        assert got == ["POST"] and [a["status"] for a in attempts] == [200]
    else:
        assert got == []
        assert [(a["status"], a["will_retry"]) for a in attempts] == [(None, False)]  # refused once, not retried
        assert "not in --webhook-allow" in attempts[0]["error"] and attempts[0]["tenant"] == ACCOUNT


def test_bad_allow_patterns_and_an_empty_token_are_refused_at_start() -> None:
    env = {**os.environ, "FAKEEXPORTS_PORT": "0"}
    for args, message in ((["--webhook-allow", "http://x/"], "neither a host name pattern nor a network"),
                          (["--control-token", " "], "control_token must not be empty")):
        bad = subprocess.run([sys.executable, "-m", "fakeexports", "serve", *args], capture_output=True,
                             text=True, env=env, timeout=30)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr


@pytest.mark.parametrize(("token", "warned"), [(None, True), ("t0ken", False)])
def test_listening_beyond_loopback_without_a_token_warns(token: str | None, warned: bool) -> None:
    env = {**os.environ, "FAKEEXPORTS_PORT": "0", **({"FAKEEXPORTS_CONTROL_TOKEN": token} if token else {})}
    proc = subprocess.Popen([sys.executable, "-m", "fakeexports", "serve", "--host", "0.0.0.0", "--fixtures",
                             "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        while not (line := proc.stdout.readline()).startswith("control"):
            assert line, "the server stopped"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert ("WARNING: listening on 0.0.0.0 without --control-token" in err) is warned, err


async def test_the_bundled_fixtures_call_no_one(client_for: Any) -> None:
    """The seed documents' example URLs (example.com) are in the bundled fixtures: their jobs finished before
    the fake started, or are held, so nothing in the defaults calls a host the user did not name."""
    client = await client_for()  # the bundled fixtures
    jobs = (await (await client.get("/_fakeexports/jobs")).json())["jobs"]
    assert len(jobs) >= 8
    for _ in range(40):  # forty days, a day at a time: every schedule, retry and retention runs out
        await client.post("/_fakeexports/clock/advance", json={"seconds": 86400})
    assert (await (await client.get("/_fakeexports/webhooks")).json())["attempts"] == []


# --- a crowd of credentials costs nothing until it has state (issue 20, item 10) ----------------------------------
def _reader(vendor: str, i: int) -> tuple[str, dict[str, str]]:
    """A read of the vendor's job list with the i-th never-seen credential."""
    if vendor == "twilio":
        return JOBS, basic(f"AC{i:032x}", f"password-{i}")
    if vendor == "didww":
        return "/didww/v3/exports", {"Api-Key": f"didww-key-{i:04d}-abcdefghijkl", "Accept": "application/vnd.api+json"}
    return "/hookbridge/v1/exports", {"Authorization": f"Bearer hb_test_reader{i:04d}"}


@pytest.mark.parametrize(("vendor", "lists_kept"), [("twilio", True), ("didww", True), ("hookbridge", False)])
async def test_reads_with_new_credentials_leave_no_tenant_behind(client_for: Any, vendor: str,
                                                                 lists_kept: bool) -> None:
    from fakeexports.runtime import RUNTIME

    client = await client_for(fixtures="none")
    store = client.app[RUNTIME].store
    for i in range(200):
        path, headers = _reader(vendor, i)
        for _ in range(2):  # the second is answered from what was kept, which holds the (loose) tenant state
            resp = await client.get(path, headers=headers)
            assert resp.status == 200, await resp.text()
    assert list(store.all_states(vendor)) == []  # nobody has state: the store holds none
    view = (await (await client.get("/_fakeexports/vendors")).json())["vendors"][vendor]
    assert view["tenants"] == []
    caches = client.app[RUNTIME].caches
    assert (caches.stats()["kept"]["entries"] > 0) == (lists_kept and caches.enabled("kept"))
    resp = await client.post("/_fakeexports/reset", json={})
    assert resp.status == 200
    assert client.app[RUNTIME].caches.stats()["kept"]["entries"] == 0  # a reset gives the kept answers' memory back


async def test_a_tenant_is_held_from_its_first_change_and_only_one_state_exists_for_it(client_for: Any) -> None:
    from fakeexports.runtime import RUNTIME

    client = await client_for(fixtures="none")
    store = client.app[RUNTIME].store
    path, headers = _reader("twilio", 7)
    assert (await client.get(path, headers=headers)).status == 200  # kept: its state stays loose, and the same
    loose = store.tenant("twilio", f"AC{7:032x}")
    assert store.tenant("twilio", f"AC{7:032x}") is loose and store.find("twilio", f"AC{7:032x}") is None
    resp = await client.post(JOBS, data={"StartDay": "2026-01-10", "EndDay": "2026-01-10", "FriendlyName": "x"},
                             headers=headers)
    assert resp.status == 201
    assert store.find("twilio", f"AC{7:032x}") is loose  # the loose state was the one written, and is held now
    listed = await (await client.get(path, headers=headers)).json()  # the kept empty list is not served again
    assert [j["job_sid"] for j in listed["jobs"]] == [(await resp.json())["job_sid"]]


async def test_the_state_file_keeps_no_password_that_signing_does_not_need(client_for: Any, tmp_path: Any,
                                                                            aiohttp_server: Any) -> None:
    state = tmp_path / "state.db"
    client = await client_for(fixtures="none", state=str(state))
    for i in range(5):
        path, headers = _reader("twilio", i)
        assert (await client.get(path, headers=headers)).status == 200
    assert (await client.post(JOBS, data={"StartDay": "2026-01-10", "EndDay": "2026-01-10", "FriendlyName": "x"},
                              headers=basic()) ).status == 201  # a job without a webhook
    await client.close()
    assert b"password-" not in state.read_bytes() and b"secret-token" not in state.read_bytes()

    receiver, got = await recording_receiver(aiohttp_server, lambda r: r.headers.get("X-Twilio-Signature"))
    client = await client_for(fixtures="none", state=str(state))
    resp = await client.post(JOBS, data={"StartDay": "2026-01-11", "EndDay": "2026-01-11", "FriendlyName": "y",
                                         "WebhookUrl": str(receiver.make_url("/hook")), "WebhookMethod": "POST"},
                             headers=basic())
    assert resp.status == 201
    await client.close()
    assert b"secret-token" in state.read_bytes()  # its webhook is signed with it, after a restart too
    client = await client_for(fixtures="none", state=str(state))
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 120})).status == 200
    assert got and got[0]


async def test_didww_api_keys_are_shown_masked_in_every_view(client_for: Any, aiohttp_server: Any) -> None:
    key = "7f3c9a1e5b2d4f608a1c3e5b7d9f0a2c"
    client = await client_for(fixtures="none")
    headers = {"Api-Key": key, "Accept": "application/vnd.api+json", "Content-Type": "application/vnd.api+json"}
    body = {"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {"year": 2026,
                                                                                           "month": 1}}}}
    resp = await client.post("/didww/v3/exports", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    assert (await client.post("/_fakeexports/faults", json={"vendor": "didww", "tenant": key, "status": 503,
                                                            "times": 1})).status == 201
    assert (await client.post(f"/_fakeexports/tenants/didww/{key}", json={})).status == 200
    views = [await (await client.get(f"/_fakeexports/{view}")).text()
             for view in ("journal", "jobs", "vendors", "faults", "webhooks")]
    views.append(await (await client.post(f"/_fakeexports/tenants/didww/{key}", json={})).text())
    for text in views:
        assert key not in text, text[:300]
    assert "7f3c…0a2c" in views[0] and "7f3c…0a2c" in views[1] and "7f3c…0a2c" in views[2]
    # a filter takes the key or what the views show
    for wanted in (key, "7f3c…0a2c"):
        jobs = (await (await client.get("/_fakeexports/jobs", params={"tenant": wanted})).json())["jobs"]
        assert len(jobs) == 1
    # a done export's file link names the tenant masked too, and still downloads (its signature names the key)
    assert (await client.post("/_fakeexports/clock/advance", json={"seconds": 3600})).status == 200
    view = await (await client.get("/_fakeexports/jobs")).text()
    links = (await (await client.get("/_fakeexports/jobs")).json())["jobs"][0]["files"]
    assert len(links) == 1 and key not in view and "/fakeexports-didww/7f3c%E2%80%A60a2c/" in links[0]
    resp = await client.get("/_s3/" + links[0].split("/_s3/", 1)[1])
    assert resp.status == 200 and (await resp.read())[:2] == b"\x1f\x8b"  # the gzip file
    assert key not in await (await client.get("/_fakeexports/journal")).text()


async def test_a_masked_key_names_its_tenant_in_the_control_api(client_for: Any) -> None:
    key, other = "7f3c9a1e5b2d4f608a1c3e5b7d9f0a2c", "0b1d9a1e5b2d4f608a1c3e5b7d9f9999"
    client = await client_for(fixtures="none")
    for k, volume in ((key, 7), (other, 9)):
        assert (await client.post(f"/_fakeexports/tenants/didww/{k}", json={"records_per_day": volume})).status == 200
    resp = await client.post("/_fakeexports/tenants/didww/7f3c…0a2c", json={})  # the form the views show
    assert (await resp.json()) == {"tenant": "7f3c…0a2c", "settings": {"records_per_day": 7}}
    resp = await client.post("/_fakeexports/reset", json={"vendor": "didww", "tenant": "7f3c…0a2c"})
    assert (await resp.json())["tenants_dropped"] == 1
    views = (await (await client.get("/_fakeexports/vendors")).json())["vendors"]["didww"]["tenants"]
    assert [(t["tenant"], t["settings"]["records_per_day"]) for t in views] == [("0b1d…9999", 9)]
