"""The fake judges the client (fakeexports/lint.py): for every vendor and every lint rule it declares, a small
misbehaving client, driven through the vendor's own recipe, breaks exactly that rule and no other; a client that
waits, follows redirects, downloads once and gets a new token when told is judged clean. Each rule's figures and
sources are data on the vendor (fakeexports/vendors/<vendor>/lint.py)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import pytest

from fakeexports.lint import CHECKS, resource
from fakeexports.recipe import Call, Driver, RecipeError
from fakeexports.rules import SEVERITIES, STANDARD

from .conftest import VENDORS, driver, recipe_of

JUDGED = sorted(name for name, decl in VENDORS.items() if decl.lint)
TTL = 3600  # the server's --download-ttl


def rule_ids(vendor: str) -> dict[str, str]:
    """check -> rule id, of the rules the vendor declares."""
    return {r.check: r.id for r in VENDORS[vendor].lint}


def figure(vendor: str, check: str, name: str) -> Any:
    return next(r for r in VENDORS[vendor].lint if r.check == check).figures[name]


async def lint(client: Any, vendor: str, **query: str) -> list[dict[str, Any]]:
    resp = await client.get("/_fakeexports/lint", params={"vendor": vendor, **query})
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["findings"])


async def start(client_for: Any, vendor: str, **settings: Any) -> tuple[Any, Driver]:
    client = await client_for(fixtures="none", **settings)
    d = driver(client, vendor)
    await d.login()
    return client, d


async def done(d: Driver) -> None:
    await d.create()
    await d.until_done()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_operation(vendor: str) -> str:
    return next(r for r in VENDORS[vendor].lint if r.check == "duplicate_job").operations[0]


# --- the bad clients: each breaks one rule -------------------------------------------------------------------------
async def polls_too_fast(client: Any, d: Driver, vendor: str) -> None:
    await d.create()
    for _ in range(3):  # three reads at one instant of the fake clock, then it gives up
        await d.status()


async def polls_a_finished_job(client: Any, d: Driver, vendor: str) -> None:
    await done(d)
    await d.download()
    for _ in range(3):  # patient, but the job was done and its file taken already
        await d.advance(60)
        await d.status()


async def ignores_retry_after(client: Any, d: Driver, vendor: str) -> None:
    await fault(client, vendor, create_operation(vendor), times=2)
    for _ in range(2):  # the second create at once, the first 429 notwithstanding
        with pytest.raises(RecipeError):
            await d.create()


async def hits_a_quota(client: Any, d: Driver, vendor: str) -> None:
    await fault(client, vendor, create_operation(vendor), times=1)
    with pytest.raises(RecipeError):
        await d.create()
    await d.advance(120)  # it waits, then tries again, and is admitted
    await d.create()


async def never_follows_the_redirect(client: Any, d: Driver, vendor: str) -> None:
    await done(d)
    for call in recipe_of(vendor).download[:-1]:  # all but the last: it never fetches the file the answer names
        await d.call(call)


async def downloads_an_expired_link(client: Any, d: Driver, vendor: str) -> None:
    await done(d)
    *before, last = recipe_of(vendor).download
    for call in before:
        await d.call(call)
    await d.advance(TTL + 1)
    with pytest.raises(RecipeError):
        await d.call(last)


async def downloads_again_and_again(client: Any, d: Driver, vendor: str) -> None:
    await done(d)
    await d.download()
    for _ in range(int(figure(vendor, "repeated_download", "times")) - 1):
        await d.call(recipe_of(vendor).download[-1])  # the same link (or the same file) once more


async def repeats_a_refused_request(client: Any, d: Driver, vendor: str) -> None:
    missing = await d.create()
    await d.advance(1)
    await d.call(recipe_of(vendor).poll)  # its own job, once: fine
    for _ in range(3):
        with pytest.raises(RecipeError):
            await d.status(job=missing[:-4] + "0000" if missing[-4:] != "0000" else missing[:-4] + "1111")


async def creates_the_same_job_twice(client: Any, d: Driver, vendor: str) -> None:
    await d.create()
    await d.create()


async def has_a_failing_callback_receiver(client: Any, d: Driver, vendor: str) -> None:
    await d.create(callback=f"http://127.0.0.1:{_closed_port()}/hook")
    await d.until_done()
    await d.advance(120)  # the vendor retries


async def fault(client: Any, vendor: str, operation: str, times: int) -> None:
    resp = await client.post("/_fakeexports/faults", json={"vendor": vendor, "operation": operation, "status": 429,
                                                           "times": times})
    assert resp.status == 201, await resp.text()


BAD: dict[str, Callable[[Any, Driver, str], Awaitable[None]]] = {
    "poll_interval": polls_too_fast, "poll_finished": polls_a_finished_job, "retry_after": ignores_retry_after,
    "quota_hit": hits_a_quota, "redirect_unfollowed": never_follows_the_redirect,
    "expired_link": downloads_an_expired_link, "repeated_download": downloads_again_and_again,
    "refused_again": repeats_a_refused_request, "duplicate_job": creates_the_same_job_twice,
    "callback_failed": has_a_failing_callback_receiver,
}
CASES = [(vendor, check) for vendor in JUDGED for check in rule_ids(vendor)]


def test_every_check_has_a_bad_client_and_every_rule_a_source() -> None:
    assert set(BAD) == set(CHECKS) == set(STANDARD)
    for vendor in JUDGED:
        for rule in VENDORS[vendor].lint:
            assert rule.severity in SEVERITIES and rule.source.strip(), (vendor, rule.id)
            described = rule.describe()
            assert "{" not in described["message"] + described["advice"], (vendor, rule.id)


@pytest.mark.parametrize(("vendor", "check"), CASES, ids=[f"{v}-{c}" for v, c in CASES])
async def test_a_bad_client_breaks_exactly_its_rule(client_for: Any, vendor: str, check: str) -> None:
    client, d = await start(client_for, vendor, download_ttl=TTL)
    await BAD[check](client, d, vendor)
    found = await lint(client, vendor)
    assert [f["rule"] for f in found] == [rule_ids(vendor)[check]], found
    finding = found[0]
    assert finding["evidence"] and finding["count"] >= len(finding["evidence"])
    assert finding["source"] and finding["advice"] and finding["message"]
    tenant = finding["tenant"]
    assert (await lint(client, vendor, tenant=tenant)) == found  # as views show the tenant
    assert (await lint(client, vendor, tenant="someone-else")) == []


@pytest.mark.parametrize("vendor", JUDGED)
async def test_a_client_that_behaves_is_judged_clean(client_for: Any, vendor: str) -> None:
    """It polls a step of the recipe apart, follows every redirect, downloads once and lists its jobs."""
    client, d = await start(client_for, vendor)
    await d.create()
    await d.until_done()
    answer = await d.download()
    assert answer.status == 200 and answer.body
    await d.ids()
    assert await lint(client, vendor) == []


async def test_a_talkdesk_client_that_gets_a_new_token_when_told_is_clean(client_for: Any) -> None:
    """Talkdesk's tokens last 10 minutes and a 401 means 'get a new one' (docs.talkdesk.com): once is fine."""
    client, d = await start(client_for, "talkdesk")
    await d.create()
    await d.advance(700)
    with pytest.raises(RecipeError) as refused:
        await d.status()
    assert refused.value.status == 401
    await d.login()
    await d.until_done()
    await d.download()
    assert await lint(client, "talkdesk") == []


async def test_a_talkdesk_client_that_keeps_its_expired_token_is_told(client_for: Any) -> None:
    client, d = await start(client_for, "talkdesk")
    await d.create()
    await d.advance(700)
    for _ in range(2):
        with pytest.raises(RecipeError):
            await d.status()
    found = await lint(client, "talkdesk")
    assert [f["rule"] for f in found] == ["refused-again"]
    assert "The access token expired" in found[0]["message"]
    assert found[0]["tenant"] == recipe_of("talkdesk").tenants[0]  # the token's subject, though it was refused


async def test_a_real_quota_is_judged_as_a_fault_is(client_for: Any) -> None:
    """Not only injected 429s: Talkdesk's own quota (15 reports running or queued) refuses the 16th create."""
    client, d = await start(client_for, "talkdesk")
    for i in range(16):  # different timespans: sixteen different reports
        with pytest.raises(RecipeError) if i == 15 else nullcontext():
            await d.call(Call(
                "POST", "/data/reports/calls/jobs", json={"format": "csv", "timespan": {
                    "from": f"{{now:-{90000 + i * 60}:%Y-%m-%dT%H:%M:%SZ}}", "to": "{now:-3600:%Y-%m-%dT%H:%M:%SZ}"}},
                status=(202,), save={"job": "json:job.id"}))
    found = await lint(client, "talkdesk")
    assert [f["rule"] for f in found] == ["quota-hit"]
    assert "15" in found[0]["message"]


async def test_lint_refuses_what_it_cannot_read(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    for query, status in (({"since": "x"}, 400), ({"severity": "fatal"}, 400), ({"vendor": "nobody"}, 404)):
        resp = await client.get("/_fakeexports/lint", params=query)
        assert resp.status == status and "error" in await resp.json()
    rules = (await (await client.get("/_fakeexports/lint/rules")).json())["rules"]
    assert set(rules) == set(JUDGED)
    assert all(r["source"] for rs in rules.values() for r in rs)


@pytest.mark.parametrize(("url", "mount", "seen"), [
    ("/twilio/v1/Exports/Jobs/JS1?PageSize=2", "/twilio", "/v1/Exports/Jobs/JS1"),
    ("/_clocks/clk_1/talkdesk/data/reports/calls/files/f", "/talkdesk", "/data/reports/calls/files/f"),
    ("https://api.hookbridge.io/_s3/fakeexports-hookbridge/k/exports/e.csv?X-Amz-Date=1", "/hookbridge",
     "/_s3/fakeexports-hookbridge/k/exports/e.csv"),
    ("//[x?y", "/twilio", "//[x"),  # no IPv6 host to urlsplit: a client's path is cut, never parsed
    ("/a://b/c", "/a", "/a://b/c"),
])
def test_a_url_is_the_resource_the_vendor_knows(url: str, mount: str, seen: str) -> None:
    assert resource(url, mount) == seen


@pytest.mark.parametrize(("vendor", "limits"), [
    ("didww", {"didww_rate_limits": True, "didww_per_second": 2}),  # no Retry-After: the INFERRED 1 s
    ("hookbridge", {"hookbridge_rate_limits": True, "hookbridge_burst": 2}),  # Retry-After: 1
])
async def test_a_real_rate_limit_retried_at_once_is_retry_after_ignored(client_for: Any, vendor: str,
                                                                        limits: dict[str, Any]) -> None:
    client, d = await start(client_for, vendor, **limits)
    refused = 0
    for _ in range(4):  # the burst, and two more at the same instant
        try:
            await d.ids()
        except RecipeError as exc:
            assert exc.status == 429
            refused += 1
    assert refused == 2
    found = await lint(client, vendor)
    assert [f["rule"] for f in found] == ["retry-after-ignored"], found
    assert ("Retry-After: 1" if vendor == "hookbridge" else "the vendor's back-off is 1 s") in found[0]["message"]
    # a client that then waits as asked and comes back is not judged again for it
    await d.advance(2)
    await d.ids()
    assert [f["rule"] for f in await lint(client, vendor)] == ["retry-after-ignored"]


async def test_reads_before_a_client_deletes_its_finished_job_are_not_fast_polls(client_for: Any) -> None:
    """HookBridge's recipe reads the completed export for its details, downloads, deletes: the deleted job's status
    is no longer known, so nothing is said of its reads (a false poll-too-fast was)."""
    client, d = await start(client_for, "hookbridge")
    await done(d)
    await d.download()
    await d.delete()
    assert await lint(client, "hookbridge") == []


async def test_an_expired_export_downloaded_again_and_again_is_one_finding(client_for: Any) -> None:
    client, d = await start(client_for, "hookbridge")
    await done(d)
    await d.advance(8 * 86400)  # past expires_at: the export has expired
    for _ in range(3):
        with pytest.raises(RecipeError):
            await d.call(recipe_of("hookbridge").download[1])
    found = await lint(client, "hookbridge")
    assert [(f["rule"], f["count"]) for f in found] == [("expired-link", 3)], found


async def test_lint_since_takes_only_a_number(client_for: Any) -> None:
    client = await client_for(fixtures="none")
    for query in ({"since": "²"}, {"since": "-1"}):
        resp = await client.get("/_fakeexports/lint", params=query)
        assert resp.status == 400
    resp = await client.get("/_fakeexports/journal", params={"since": "²"})
    assert resp.status == 400
