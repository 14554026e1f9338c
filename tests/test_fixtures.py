"""Fixture documents checked before they load: each vendor's JSON Schema and reading rules refuse a bad document with
a 400 naming the document, the tenant and the path in it, and nothing of it is loaded; an exception of any other kind
while loading is our bug (a journaled 500), never the document's fault; the shipped fixtures pass their schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fakeexports import fixtures
from fakeexports.app import create_app
from fakeexports.fixtures import FixtureError
from fakeexports.registry import REGISTRY, load_vendors
from fakeexports.runtime import make_runtime
from fakeexports.vendors import discover
from tests.conftest import settings

POSTED = "POST /_fakeexports/fixtures"
# per vendor: the tenant list's key, a good tenant and a bad one, and an item the vendor takes
VENDORS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "twilio": ("jobs", "AC" + "1" * 32, "AC" + "2" * 32, {"resource_type": "Messages", "start_day": -9, "end_day": -3}),
    "didww": ("exports", "good-key", "bad-key", {"export_type": "cdr_in", "filters": {"year": 2026, "month": 1}}),
    "talkdesk": ("jobs", "good-client", "bad-client",
                 {"type": "calls", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
    "hookbridge": ("exports", "hb_test_good", "hb_test_bad",
                   {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-02T00:00:00Z"}),
    "acme": ("exports", "ak_good", "ak_bad",
             {"dataset": "events", "from": "2026-01-10T00:00:00Z", "to": "2026-01-11T00:00:00Z"}),
}


SID_JOB = {**VENDORS["twilio"][3], "job_sid": "JS" + "a" * 32}
FILE_ID = "00000000-0000-4000-8000-00000000000f"


def bad_item(vendor: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    """A document whose first tenant is good and whose second has a good item, then the vendor's good item with
    ``changes`` (None drops a key): nothing of it may load. Returns the bad tenant and the document."""
    key, good, bad, item = VENDORS[vendor]
    wrong = {k: v for k, v in {**item, **changes}.items() if v is not None}
    return bad, {"vendor": vendor, "tenants": {good: {key: [item]}, bad: {key: [item, wrong]}}}


def bad_part(vendor: str, **part: Any) -> tuple[str, dict[str, Any]]:
    """A document whose second tenant's part is ``part`` beside a good item."""
    key, good, bad, item = VENDORS[vendor]
    return bad, {"vendor": vendor, "tenants": {good: {key: [item]}, bad: {key: [item], **part}}}


# (vendor, (bad tenant, document), where in the tenant's part, words of the message)
BAD = [
    # Twilio
    ("twilio", bad_item("twilio", age_seconds="ten"), "jobs[1].age_seconds", "must be a number, not 'ten'"),
    ("twilio", bad_item("twilio", resource_type="Faxes"), "jobs[1].resource_type",
     "must be one of Messages, Calls, Conferences, Participants, not 'Faxes'"),
    ("twilio", bad_item("twilio", start_day="2026-02-30"), "jobs[1].start_day",
     "'2026-02-30' is not a day of the calendar"),
    ("twilio", bad_item("twilio", end_day="next week"), "jobs[1].end_day",
     "must be an ISO date (YYYY-MM-DD) or a whole number of days from today"),
    ("twilio", bad_item("twilio", start_day=-2, end_day=-5), "jobs[1]", "must not be after end_day"),
    ("twilio", bad_item("twilio", age_seconds=-60), "jobs[1].age_seconds", "must be at least 0, not -60"),
    ("twilio", bad_item("twilio", outcome="Exploded"), "jobs[1].outcome", "must be one of ErrorDuringRun, Failed"),
    ("twilio", bad_item("twilio", friendly_nam="x"), "jobs[1]", "unknown key 'friendly_nam' (did you mean "
                                                              "'friendly_name'?)"),
    ("twilio", bad_item("twilio", end_day=None), "jobs[1]", "end_day is required"),
    ("twilio", bad_item("twilio", age_seconds=1e12), "jobs[1].age_seconds",
     "must be at most 10,000,000,000, not 1000000000000.0"),
    ("twilio", bad_item("twilio", start_day=1e30, end_day=1e30), "jobs[1].start_day",
     "1e+30 days from today is not a day of the calendar"),
    ("twilio", bad_part("twilio", jobs=[SID_JOB, VENDORS["twilio"][3], SID_JOB]), "jobs[2].job_sid",
     f"job_sid '{SID_JOB['job_sid']}' is given by jobs[0] too (ids are unique)"),
    ("twilio", bad_part("twilio", settings={"auth_token": 5}), "settings.auth_token", "must be a string, not 5"),
    ("twilio", bad_part("twilio", configuration={"Faxes": {"enabled": True}}), "configuration",
     "unknown key 'Faxes'"),
    # DIDWW
    ("didww", bad_item("didww", filters="january"), "exports[1].filters", "must be a mapping, not 'january'"),
    ("didww", bad_item("didww", export_type="cdr_sideways"), "exports[1].export_type",
     "must be one of cdr_in, cdr_out, sms_in, sms_out, not 'cdr_sideways'"),
    ("didww", bad_item("didww", created_at="2026-13-01T00:00:00Z"), "exports[1].created_at",
     "must be an RFC 3339 date-time"),
    ("didww", bad_item("didww", filters={"year": 2026, "month": 2, "day": 30}), "exports[1].filters",
     "year, month and day must make a day of the calendar"),
    ("didww", bad_item("didww", filters={"year": 2026, "month": 13}), "exports[1].filters.month",
     "must be a month from 1 to 12, not 13"),
    ("didww", bad_item("didww", status="done"), "exports[1].status", "must be one of pending, processing"),
    ("didww", bad_item("didww", callback_uri="http://example.com"), "exports[1]",
     "unknown key 'callback_uri' (did you mean 'callback_url'?)"),
    ("didww", bad_item("didww", repeat=-1), "exports[1]", "'repeat' must be a whole number from 0 to 10,000,000"),
    ("didww", bad_part("didww", exports=[{**VENDORS["didww"][3], "file_id": FILE_ID}, {"file_id": FILE_ID}]),
     "exports[1].file_id", f"file_id '{FILE_ID}' is given by exports[0] too"),
    ("didww", bad_part("didww", settings={"default_api_version": "2020-01-01"}), "settings.default_api_version",
     "must be one of 2021-12-15"),
    # Talkdesk
    ("talkdesk", bad_item("talkdesk", name=5), "jobs[1].name", "must be a string, not 5"),
    ("talkdesk", bad_item("talkdesk", type="calls2"), "jobs[1].type", "must be one of calls, explore_calls"),
    ("talkdesk", bad_item("talkdesk", to="2026-01-02T25:00:00Z"), "jobs[1].to", "must be an ISO 8601 date-time"),
    ("talkdesk", bad_item("talkdesk", timezone="Europe/Atlantis"), "jobs[1].timezone",
     "'Europe/Atlantis' is not an IANA time zone"),
    ("talkdesk", bad_item("talkdesk", age_seconds=-1), "jobs[1].age_seconds", "must be at least 0, not -1"),
    ("talkdesk", bad_item("talkdesk", age_seconds=2e10), "jobs[1].age_seconds", "must be at most 10,000,000,000"),
    ("talkdesk", bad_item("talkdesk", timezon="UTC"), "jobs[1]", "unknown key 'timezon' (did you mean 'timezone'?)"),
    ("talkdesk", bad_part("talkdesk", settings={"calls_payload": "everything"}), "settings.calls_payload",
     "must be one of call_id, interaction_id"),
    # HookBridge
    ("hookbridge", bad_item("hookbridge", row_count="many"), "exports[1].row_count", "must be a whole number"),
    ("hookbridge", bad_item("hookbridge", row_count=10**12), "exports[1].row_count",
     "must be at most 100,000,000, not 1000000000000"),
    ("hookbridge", bad_item("hookbridge", status="delivered"), "exports[1].status", "must be one of queued"),
    ("hookbridge", bad_item("hookbridge", completed_at="2026-01-02T24:61:00Z"), "exports[1].completed_at",
     "must be an RFC 3339 date-time"),
    ("hookbridge", bad_item("hookbridge", endpoint_id="ep_nothex"), "exports[1]", "endpoint_id must be in format"),
    ("hookbridge", bad_item("hookbridge", age_seconds=-5), "exports[1].age_seconds", "must be at least 0"),
    ("hookbridge", bad_item("hookbridge", expire_at="2026-02-01T00:00:00Z"), "exports[1]",
     "did you mean 'expires_at'?"),
    ("hookbridge", bad_part("hookbridge", project_id=7), "project_id", "must be a string, not 7"),
    ("hookbridge", bad_part("hookbridge", project_id="proj_elsewhere"), "project_id",
     "must be text matching ^proj_[0-9a-f]+$"),
    # Acme, a vendor from another package
    ("acme", bad_item("acme", dataset="orders"), "exports[1].dataset", "must be one of events, invoices"),
    ("acme", bad_item("acme", to="tomorrow"), "exports[1]", "from and to must be an RFC 3339 date-time"),
    ("acme", bad_item("acme", age_seconds=-1), "exports[1].age_seconds", "must be at least 0"),
    ("acme", bad_item("acme", outcome="exploded"), "exports[1].outcome", "must be one of failed, succeeded"),
    # the core's keys, any vendor
    ("twilio", bad_part("twilio", records_per_day="lots"), "records_per_day",
     "must be a whole number from 0 to 100,000,000, not 'lots'"),
    ("didww", bad_part("didww", export=[]), "", "unknown key 'export' (did you mean 'exports'?)"),
]


async def state_of(client: Any) -> tuple[Any, Any]:
    vendors = await (await client.get("/_fakeexports/vendors")).json()
    jobs = await (await client.get("/_fakeexports/jobs")).json()
    return vendors, jobs


@pytest.mark.parametrize(("vendor", "doc", "at", "words"), BAD,
                         ids=[f"{v}-{at or 'tenant'}-{words[:24]}" for v, _, at, words in BAD])
async def test_a_bad_document_is_refused_where_it_is_wrong_and_loads_nothing(
        client_for: Any, vendor: str, doc: tuple[str, dict[str, Any]], at: str, words: str) -> None:
    client = await client_for(fixtures="none")
    before = await state_of(client)
    tenant, body = doc
    r = await client.post("/_fakeexports/fixtures", json=body)
    error = (await r.json())["error"]
    assert r.status == 400
    assert error.startswith(f"{POSTED}: tenant {tenant}: {at + ': ' if at else ''}"), error
    assert words in error
    assert await state_of(client) == before  # not the good tenant, not the good item before the bad one


@pytest.mark.parametrize("vendor", sorted(VENDORS))
async def test_the_good_documents_of_that_table_load(client_for: Any, vendor: str) -> None:
    """The table's documents differ from these in the one change that makes them wrong."""
    key, good, other, item = VENDORS[vendor]
    client = await client_for(fixtures="none")
    r = await client.post("/_fakeexports/fixtures", json={"vendor": vendor, "tenants": {good: {key: [item]},
                                                                                       other: {key: [item, item]}}})
    assert (r.status, await r.json()) == (201, {"tenants": 2, "jobs_added": 3})


@pytest.mark.parametrize("bug", [ValueError("a bug of ours"), TypeError("a bug of ours"), KeyError("ours")])
async def test_our_own_bug_while_loading_is_a_journaled_500_not_the_documents_fault(
        client_for: Any, bug: Exception) -> None:
    client = await client_for(fixtures="none")
    didww = client.app[REGISTRY].vendors["didww"]

    def created(v: Any, state: Any, job: Any) -> None:  # a bug injected on purpose: a hook of the job engine
        raise bug                                          # failing as a fixture job is made

    didww.hooks["created"] = created
    r = await client.post("/_fakeexports/fixtures", json={"vendor": "didww", "tenants": {
        "key": {"exports": [VENDORS["didww"][3]]}}})
    assert r.status == 500
    assert (await r.json())["error"] == f"internal error of the fake: {bug!r}"
    errors = (await (await client.get("/_fakeexports/journal")).json())["errors"]
    assert [(e["where"], e["message"]) for e in errors] == [(f"control {POSTED}", repr(bug))]
    assert type(bug).__name__ in errors[0]["traceback"]
    await client.delete("/_fakeexports/journal")  # expected here: the fixture fails a test on any server error


async def test_a_refusal_of_the_job_engine_while_loading_names_the_tenant(client_for: Any) -> None:
    """An outcome forced on a job that has already ended is found only as the job is made: a 400 naming the tenant."""
    client = await client_for(fixtures="none")
    key, _, tenant, item = VENDORS["twilio"]
    r = await client.post("/_fakeexports/fixtures", json={"vendor": "twilio", "tenants": {
        tenant: {key: [{**item, "age_seconds": 86400, "outcome": "Failed"}]}}})
    assert (r.status, await r.json()) == (400, {"error": f"{POSTED}: tenant {tenant}: the job is already Completed"})


@pytest.mark.parametrize("vendor", ["twilio", "didww", "talkdesk", "hookbridge"])
async def test_a_job_id_loaded_again_is_refused_not_a_second_job_under_it(client_for: Any, vendor: str) -> None:
    """Before, the second job took the first's place in the store while both stayed in its lists."""
    key, tenant, _, item = VENDORS[vendor]
    given = {"twilio": {"job_sid": "JS" + "b" * 32}}.get(vendor, {"id": "00000000-0000-4000-8000-0000000000b0"})
    doc = {"vendor": vendor, "tenants": {tenant: {key: [{**item, **given}]}}}
    client = await client_for(fixtures="none")
    assert (await client.post("/_fakeexports/fixtures", json=doc)).status == 201
    before = await state_of(client)
    r = await client.post("/_fakeexports/fixtures", json=doc)
    assert (r.status, await r.json()) == (400, {"error": f"{POSTED}: tenant {tenant}: a job {next(iter(given.values()))} "
                                                         "exists already"})
    assert await state_of(client) == before


@pytest.mark.parametrize(("doc", "words"), [
    ({"vendor": ["twilio"], "tenants": {}}, "'vendor' must be one of"),
    ({"vendor": "twilio", "tenants": {"AC" + "1" * 32: ["jobs"]}}, f"{POSTED}: tenant {'AC' + '1' * 32}: a tenant's "
                                                                    "fixture is a mapping"),
])
async def test_a_document_of_the_wrong_shape_is_a_400(client_for: Any, doc: dict[str, Any], words: str) -> None:
    client = await client_for(fixtures="none")
    r = await client.post("/_fakeexports/fixtures", json=doc)
    assert r.status == 400 and words in (await r.json())["error"]


def test_a_bad_fixture_file_stops_the_start_naming_file_tenant_and_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("vendor: talkdesk\ntenants:\n  my-client:\n    jobs:\n"
                    "      - {from: '2026-01-01T00:00:00', to: '2026-01-02T00:00:00', timezone: Lisbon}\n")
    with pytest.raises(FixtureError) as caught:
        create_app(settings(clock="virtual", fixtures=str(path), cache_dir=""))
    assert str(caught.value) == f"{path}: tenant my-client: jobs[0].timezone: 'Lisbon' is not an IANA time zone"


@pytest.mark.parametrize("bug", [ValueError("a bug of ours"), OSError("a bug of ours"), KeyError("ours")])
def test_our_own_bug_while_loading_at_start_up_leaves_with_its_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bug: Exception) -> None:
    """The CLI says a FixtureError (a ValueError) or an OSError in one line, as the user's mistake: a bug must not
    leave as one of those (a KeyError already does not)."""
    import fakeexports_acme

    def load_tenant(v: Any, tenant: str, read: Any) -> None:  # acme's load_tenant, failing as ours might
        raise bug

    monkeypatch.setitem(fakeexports_acme.VENDOR.hooks, "load_tenant", load_tenant)
    path = tmp_path / "acme.yaml"
    path.write_text("vendor: acme\ntenants:\n  ak_one:\n    exports:\n"
                    "      - {dataset: events, from: '2026-01-10T00:00:00Z', to: '2026-01-11T00:00:00Z'}\n")
    with pytest.raises(Exception) as caught:
        create_app(settings(clock="virtual", fixtures=str(path), cache_dir=""))
    assert not isinstance(caught.value, FixtureError | ValueError | OSError)
    assert caught.value is bug or caught.value.__cause__ is bug


@pytest.mark.parametrize("cache", [False, True])
def test_unquoted_yaml_dates_are_read_as_the_text_they_were_written_as(tmp_path: Path, cache: bool) -> None:
    """YAML reads 2026-01-01 as a date (the JSON copy in the cache holds text): either way it is the day it says."""
    path = tmp_path / "dates.yaml"
    path.write_text(f"vendor: twilio\ntenants:\n  {'AC' + '3' * 32}:\n    jobs:\n"
                    "      - {resource_type: Calls, start_day: 2026-01-01, end_day: 2026-01-02}\n")
    cache_dir = str(tmp_path / "cache") if cache else ""
    for _ in range(2):  # the second start reads the cached copy
        app = create_app(settings(clock="virtual", fixtures=str(path), cache_dir=cache_dir))
        (job,) = app[REGISTRY].vendors["twilio"].runtime.store.tenant("twilio", "AC" + "3" * 32).jobs.values()
        assert (job.attrs["start_day"], job.attrs["end_day"]) == ("2026-01-01", "2026-01-02")


# --- the schemas ----------------------------------------------------------------------------------------------------
DECLARED = discover()


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_vendor_declares_a_valid_schema_that_refuses_unknown_keys(name: str) -> None:
    schema = DECLARED[name].fixture_schema
    assert schema is not None, f"{name} declares no fixture_schema"
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema.get("additionalProperties") is False


def test_the_shipped_fixtures_pass_their_vendors_schemas_and_rules() -> None:
    registry = load_vendors(make_runtime(settings(clock="virtual")))
    docs = fixtures.read_fixtures(None, None, [v.decl.fixture_path() for v in registry.vendors.values()])
    checked = set()
    for doc in docs:
        vendor = registry.vendors[doc["vendor"]]
        for tenant, spec in doc["tenants"].items():
            fixtures.read_tenant(vendor, str(tenant), spec)  # FixtureError if not
            checked.add(doc["vendor"])
    assert checked == set(registry.vendors)  # every vendor ships fixtures, and each was checked
