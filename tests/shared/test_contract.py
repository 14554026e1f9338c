"""The contract every vendor keeps, run through each discovered vendor's own recipe (fakeexports/recipe.py):
create -> advance -> done -> download with matching sizes, in strict mode and not; the vendor's host name;
outcome faults and force; tenant isolation; reset. A vendor added by a package is tested here unchanged."""

from __future__ import annotations

import ast
import gzip
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from fakeexports.recipe import RecipeError
from tests.reference import skip_or_fail

from .conftest import VENDORS, WITH_RECIPES, driver, recipe_of, two_tenants


def test_every_vendor_declares_a_recipe() -> None:
    assert sorted(VENDORS) == WITH_RECIPES, "declare a Recipe on the vendor: the shared suite runs it"


async def control(client: Any, method: str, path: str, **body: Any) -> Any:
    resp = await client.request(method, "/_fakeexports" + path, json=body if body else None)
    assert resp.status < 300, (path, resp.status, await resp.text())
    return await resp.json()


async def job_view(client: Any, vendor: str, job: str) -> dict[str, Any] | None:
    jobs = (await control(client, "GET", f"/jobs?vendor={vendor}"))["jobs"]
    return next((j for j in jobs if j["id"] == job), None)


@pytest.mark.parametrize("strict", [True, False])
async def test_an_export_runs_to_done_and_its_file_is_whole(client_for: Any, vendor: str, strict: bool) -> None:
    client = await client_for(fixtures="none", strict=strict)
    d = driver(client, vendor)
    await d.login()
    job = await d.create()
    seen = await d.until_done()
    assert len(seen) >= 2, f"a new job is not done before the clock moves: {seen}"
    assert job in await d.ids()
    view = await job_view(client, vendor, job)
    assert view is not None and view["tenant"] and view["next_change"] != view["schedule"][0]["at"]

    file = await d.download()
    assert file.body, "an empty file: pick a recipe period with records"
    assert int(file.headers["Content-Length"]) == len(file.body)
    if "size" in d.vars:  # the size the API states is the file's
        assert int(d.vars["size"]) == len(file.body)
    if file.body[:2] == b"\x1f\x8b":
        assert gzip.decompress(file.body)
    # the same file again, byte for byte (sizes are kept, bodies are deterministic)
    assert (await d.download()).body == file.body
    # the control view links to the job's files (the dashboard's links): the same bytes, without credentials
    links = (await job_view(client, vendor, job) or {})["files"]
    assert links, f"{vendor}: a done job with no file link"
    bodies = [await (await client.get(URL(link, encoded=True).path_qs)).read() for link in links]
    assert file.body in bodies


# a vendor that declares no host name (a package vendor may not) has nothing to reach by one
@pytest.mark.parametrize("vendor", [name for name in WITH_RECIPES if VENDORS[name].hosts])
async def test_the_vendors_own_host_name_reaches_it_at_the_root(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    by_host, by_mount = driver(client, vendor, by_host=True), driver(client, vendor)
    await by_host.login()
    job = await by_host.create()
    await by_mount.login()
    assert await by_mount.status(job) == await by_host.status(job)  # one store, whichever way in
    assert job in await by_host.ids()


async def test_an_outcome_fault_forces_the_next_job_once(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    recipe = recipe_of(vendor)
    forced, shown = recipe.outcome
    await control(client, "POST", "/faults", vendor=vendor, outcome=forced, times=1)
    d = driver(client, vendor)
    await d.login()
    faulted = await d.create()
    assert await d.status() == shown
    normal = await d.create()
    assert await d.status() != shown
    assert (await job_view(client, vendor, faulted) or {}).get("status") == forced
    assert await d.status(faulted) == shown and normal != faulted
    assert (await control(client, "GET", "/faults"))["faults"] == []  # used up


async def test_force_moves_a_job_as_the_lifecycle_allows(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    forced, shown = recipe_of(vendor).outcome
    d = driver(client, vendor)
    await d.login()
    job = await d.create()
    resp = await client.post(f"/_fakeexports/jobs/{vendor}/{job}/force", json={"status": forced})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["job"]["status"] == forced
    assert await d.status(job) == shown
    # a second force from a status the lifecycle does not allow it from is refused, and changes nothing
    again = await client.post(f"/_fakeexports/jobs/{vendor}/{job}/force", json={"status": forced})
    assert again.status == 409, await again.text()
    unknown = await client.post(f"/_fakeexports/jobs/{vendor}/{job}/force", json={"status": "no-such-status"})
    assert unknown.status == 400
    assert await d.status(job) == shown


async def test_tenants_do_not_see_each_others_jobs(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    a, b = await two_tenants(client, vendor)
    mine = await a.create()
    theirs = await b.create()
    assert mine in await a.ids() and theirs not in await a.ids()
    assert theirs in await b.ids() and mine not in await b.ids()
    with pytest.raises(RecipeError, match=r"answered 4\d\d"):
        await b.status(mine)
    a_view, b_view = await job_view(client, vendor, mine), await job_view(client, vendor, theirs)
    assert a_view and b_view and a_view["tenant"] != b_view["tenant"]


async def test_reset_drops_a_tenant_then_the_vendor(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    a, b = await two_tenants(client, vendor)
    mine, theirs = await a.create(), await b.create()
    tenant = (await job_view(client, vendor, mine) or {})["tenant"]
    assert (await control(client, "POST", "/reset", vendor=vendor, tenant=tenant))["tenants_dropped"] == 1
    await a.login()  # a token may have gone with the tenant
    assert await a.ids() == []
    assert await job_view(client, vendor, mine) is None and await job_view(client, vendor, theirs) is not None
    assert theirs in await b.ids()
    await control(client, "POST", "/reset", vendor=vendor)
    assert await job_view(client, vendor, theirs) is None
    await b.login()
    assert await b.ids() == []


async def test_a_response_fault_answers_once_in_the_vendors_own_envelope(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    a, b = await two_tenants(client, vendor)
    job = await a.create()
    resp = await client.get(f"{VENDORS[vendor].mount}{recipe_of(vendor).poll.path.replace('{job}', job)}",
                            headers=await b.headers())
    assert resp.status in recipe_of(vendor).gone
    not_found = await resp.json()

    await control(client, "POST", "/faults", vendor=vendor, status=503, message="Injected outage", times=1)
    with pytest.raises(RecipeError, match="answered 503") as caught:
        await a.ids()
    assert "Injected outage" in str(caught.value)
    assert job in await a.ids()  # used up: the next call is served
    entries = (await control(client, "GET", f"/journal?vendor={vendor}"))["entries"]
    injected = next(e for e in entries if e["status"] == 503)
    assert injected["operation"]
    # the same envelope as the vendor's own errors: compare with its 404 for another tenant's job
    await control(client, "POST", "/faults", vendor=vendor, status=503, times=1)
    outage = await client.get(f"{VENDORS[vendor].mount}{recipe_of(vendor).listing.path}", headers=await a.headers())
    assert outage.status == 503 and outage.headers["Content-Type"].startswith(VENDORS[vendor].json_type)
    body = await outage.json()
    assert set(body) == set(not_found) and type(body) is type(not_found)


ACME = Path(__file__).resolve().parents[1] / "acme" / "fakeexports_acme"


def test_the_fifth_vendor_is_three_files_in_a_package_of_its_own() -> None:
    """tests/acme: Acme Exports, registered through the fakeexports.vendors entry point. It must be installed for
    this suite to run it (``make test`` does; by hand: pip install ./tests/acme)."""
    if "acme" not in VENDORS:
        skip_or_fail("the fifth vendor is not installed: pip install ./tests/acme (make test installs it)")
    decl = VENDORS["acme"]
    assert not decl.module.startswith("fakeexports."), "it comes from its own package"
    shipped = {p.name for p in decl.resources().iterdir() if not p.name.startswith("__pycache__")}
    assert shipped == {"__init__.py", "acme.yaml", "fixtures.yaml"}  # its module, its spec, its fixtures
    source = {p.name for p in ACME.iterdir() if p.name != "__pycache__"}
    assert source == shipped
    # its author imports from one module of the core
    tree = ast.parse((ACME / "__init__.py").read_text())
    core = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("fakeexports")}
    assert core == {"fakeexports.kit"}


async def test_vendors_selects_among_all_discovered(client_for: Any) -> None:
    """--vendors picks from the package's vendors and those of other packages alike."""
    bundled = sorted(n for n in VENDORS if VENDORS[n].bundled())
    chosen = [bundled[0], *sorted(n for n in VENDORS if n not in bundled)]
    client = await client_for(fixtures="none", vendors=tuple(chosen))
    health = await control(client, "GET", "/health")
    assert sorted(health["vendors"]) == sorted(chosen)
    left_out = next(n for n in sorted(VENDORS) if n not in chosen)
    resp = await client.get(VENDORS[left_out].mount + recipe_of(left_out).listing.path)
    assert resp.status == 404


async def test_a_finished_job_goes_once_its_retention_has_passed(client_for: Any, vendor: str) -> None:
    """Nothing grows without limit: every vendor's finished jobs leave the store on the clock (the vendor's
    documented retention, or lifecycle.KEPT_SECONDS where it documents none)."""
    lifecycle = VENDORS[vendor].lifecycle
    assert lifecycle.retention, f"{vendor} declares no retention: its finished jobs would be kept for ever"
    client = await client_for(fixtures="none")
    d = driver(client, vendor)
    await d.login()
    job = await d.create()
    await d.until_done()
    forced = await d.create()
    await control(client, "POST", f"/jobs/{vendor}/{forced}/force", status=recipe_of(vendor).outcome[0])
    longest = max(lifecycle.retention.values()) + sum(s or 0 for _, s in lifecycle.steps)
    await control(client, "POST", "/clock/advance", seconds=longest + 86400)
    await d.login()  # a token may have expired meanwhile
    for gone in (job, forced):
        with pytest.raises(RecipeError, match=r"answered 4\d\d"):
            await d.status(gone)
        assert await job_view(client, vendor, gone) is None
    assert await d.ids() == []


def _records(body: bytes) -> int:
    """How many records a vendor's file holds, whatever its format."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    if body.startswith(b'{"') and b'"entries":[' in body[:4096] and b"\n" not in body.rstrip(b"\n"):
        import orjson

        return len(orjson.loads(body)["entries"])
    lines = [line for line in body.split(b"\n") if line]
    return len(lines) if lines and lines[0].startswith(b"{") else len(lines) - 1  # JSON lines, or CSV and header


async def test_a_tenants_volume_sets_how_many_records_its_files_hold(client_for: Any, vendor: str) -> None:
    """records_per_day (control API and fixtures) is every vendor's: a job made at twice the volume has twice the
    records (to one, as counts are rounded), and the jobs made before keep theirs."""
    client = await client_for(fixtures="none")
    d = driver(client, vendor)
    await d.login()
    view = await job_view(client, vendor, await d.create())
    assert view is not None
    tenant = view["tenant"]  # as the control API names it (HookBridge: the key's project)
    counts = []
    for volume in (600, 1200):
        state = await control(client, "POST", f"/tenants/{vendor}/{tenant}", records_per_day=volume)
        assert state["settings"]["records_per_day"] == volume
        await d.create()
        await d.until_done()
        counts.append(_records((await d.download()).body))
    # the second job's period may end later (a period up to now): within a percent
    assert counts[0] > 0 and abs(counts[1] - 2 * counts[0]) <= max(1, counts[1] // 100), counts


async def test_a_volume_is_a_whole_number(client_for: Any, vendor: str) -> None:
    client = await client_for(fixtures="none")
    for bad in (-1, 1.5, "many", True, 10**9):
        resp = await client.post(f"/_fakeexports/tenants/{vendor}/someone", json={"records_per_day": bad})
        assert resp.status == 400 and "records_per_day" in (await resp.json())["error"]
