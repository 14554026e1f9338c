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
