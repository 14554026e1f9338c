"""Contract test: Twilio's official SDK (twilio-python) against a running fake, configured by base URL only
(vendors/twilio.md A9), through the whole export lifecycle."""

from __future__ import annotations

import gzip
import json

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


@pytest.fixture
def client(fakeexports, monkeypatch):  # type: ignore[no-untyped-def]
    for var in ("TWILIO_REGION", "TWILIO_EDGE"):  # either would rewrite the host (A9)
        monkeypatch.delenv(var, raising=False)
    mine = fakeexports.credentials("twilio")  # a tenant of this test's own (on its own clock on a shared server)
    c = Client(mine["account_sid"], mine["auth_token"])
    c.bulkexports.base_url = fakeexports.vendor_url("twilio")
    return c


def test_export_lifecycle_through_the_official_sdk(fakeexports, client):  # type: ignore[no-untyped-def]
    jobs = client.bulkexports.v1.exports("Messages").export_custom_jobs

    # create: five jobs, the clock stands at 2026-01-15, so EndDay may be 2026-01-13 at the latest
    created = [
        jobs.create(start_day=f"2026-01-0{i}", end_day="2026-01-13", friendly_name=f"export {i}")
        for i in range(1, 6)
    ]
    assert all(j.job_sid.startswith("JS") and len(j.job_sid) == 34 for j in created)
    assert created[0].resource_type == "Messages"
    assert created[0].details is None  # a create answers details null, as real creates do
    assert [j.job_queue_position for j in created] == ["1", "2", "3", "4", "5"]

    # list across several pages: the SDK follows meta.next_page_url verbatim
    listed = jobs.list(page_size=2)
    assert [j.job_sid for j in listed] == [j.job_sid for j in reversed(created)]
    pages = [e for e in fakeexports.journal("twilio") if e.operation == "ListExportCustomJob"]
    assert len(pages) == 3

    # fetch one: it carries its own url on the fake
    first = client.bulkexports.v1.exports.jobs(created[0].job_sid).fetch()
    assert first.url == f"{fakeexports.vendor_url('twilio')}/v1/Exports/Jobs/{created[0].job_sid}"
    assert first.friendly_name == "export 1"

    # advance the clock: 60 s in Submitted, then 30 s a day, three jobs at a time; the first job has 13 days
    fakeexports.advance(60 + 5 * 30 + 1)
    running = client.bulkexports.v1.exports.jobs(created[0].job_sid).fetch()
    statuses = {d["status"]: d["count"] for d in running.details}
    assert statuses["Running"] == 1
    assert sum(statuses.values()) == 13
    assert statuses.get("Completed", 0) + statuses.get("CompletedEmptyRecords", 0) == 5

    fakeexports.advance(8 * 30)
    done = client.bulkexports.v1.exports.jobs(created[0].job_sid).fetch()
    assert {d["status"] for d in done.details} <= {"Completed", "CompletedEmptyRecords"}
    assert sum(d["count"] for d in done.details) == 13
    assert done.job_queue_position is None
    # the second and third (12 and 11 days) ran beside it and are done too; the fourth and fifth took their slots
    assert [client.bulkexports.v1.exports.jobs(j.job_sid).fetch().job_queue_position for j in created[1:]] == [
        None, None, "1", "2"]

    # list days: the days the first job made a file for; a day without records has none and is not listed
    completed = sorted(day for d in done.details if d["status"] == "Completed" for day in d["days"])
    empty = [day for d in done.details if d["status"] == "CompletedEmptyRecords" for day in d["days"]]
    assert empty, "seed 0 gives this range at least one day without records"
    days = client.bulkexports.v1.exports("Messages").days.list()
    assert [d.day for d in days] == completed
    assert len(completed) + len(empty) == 13
    # a day names the job that made it last: jobs running side by side make the same days
    assert all(d.resource_type == "Messages" and d.friendly_name in {f"export {i}" for i in range(1, 6)} for d in days)
    assert days[0].friendly_name == "export 1"

    # fetch a day: a 307 whose body names a presigned link on the fake's S3 stand-in
    target = next(d for d in days if d.size > 100)
    day = client.bulkexports.v1.exports("Messages").days(target.day).fetch()
    assert day.redirect_to.startswith(fakeexports.url + "/_s3/")

    # download and parse: gzipped JSON lines whose byte count is the listed size
    response = requests.get(day.redirect_to, timeout=10)
    assert response.status_code == 200
    assert len(response.content) == target.size
    lines = gzip.decompress(response.content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    account = fakeexports.credentials("twilio")["account_sid"]
    assert records and all(r["account_sid"] == account and r["sid"].startswith("SM") for r in records)
    assert all(r["date_created"].startswith(target.day) and r["date_created"].endswith("Z") for r in records)
    assert "price_units" not in records[0] and "uri" not in records[0]

    # delete -> 204 -> 404 with Twilio's code
    assert client.bulkexports.v1.exports.jobs(created[0].job_sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        client.bulkexports.v1.exports.jobs(created[0].job_sid).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404
    # the days it produced stay (A: deleting a job leaves its days)
    assert len(client.bulkexports.v1.exports("Messages").days.list()) == len(completed)
    # a day without records is not listed, but its Day endpoint gives an empty file ("CompletedEmptyRecords — …
    # An empty file will be available at the Day endpoint", twilio.com/docs/usage/bulkexport/job)
    link = client.bulkexports.v1.exports("Messages").days(empty[0]).fetch().redirect_to
    response = requests.get(link, timeout=10)
    assert response.status_code == 200 and gzip.decompress(response.content) == b""

    # judged by the vendor's lint rules, the flow is clean: the README's "What the official clients do" says so
    assert fakeexports.lint() == [], [f.line() for f in fakeexports.lint()]


def test_wrong_credentials_are_a_401_with_code_20003(fakeexports):  # type: ignore[no-untyped-def]
    bad = Client("not-an-account-sid", "whatever")
    bad.bulkexports.base_url = fakeexports.vendor_url("twilio")
    with pytest.raises(TwilioRestException) as raised:
        bad.bulkexports.v1.exports.jobs("JS" + "0" * 32).fetch()
    assert raised.value.status == 401
    assert raised.value.code == 20003


def test_a_tenant_sees_only_its_own_jobs(fakeexports):  # type: ignore[no-untyped-def]
    creds = fakeexports.credentials("twilio")
    mine = Client(creds["account_sid"], creds["auth_token"])
    mine.bulkexports.base_url = fakeexports.vendor_url("twilio")
    theirs = Client("AC" + "9" * 32, "theirs")
    theirs.bulkexports.base_url = fakeexports.vendor_url("twilio")
    job = mine.bulkexports.v1.exports("Calls").export_custom_jobs.create(
        start_day="2026-01-10", end_day="2026-01-11", friendly_name="mine")
    assert theirs.bulkexports.v1.exports("Calls").export_custom_jobs.list() == []
    with pytest.raises(TwilioRestException) as raised:
        theirs.bulkexports.v1.exports.jobs(job.job_sid).fetch()
    assert raised.value.status == 404


def test_configuration_round_trip(fakeexports, client):  # type: ignore[no-untyped-def]
    config = client.bulkexports.v1.export_configuration("Calls").fetch()
    assert (config.enabled, config.webhook_url, config.webhook_method) == (False, None, None)  # unset: null
    updated = client.bulkexports.v1.export_configuration("Calls").update(
        enabled=True, webhook_url="https://hooks.example.test/done", webhook_method="POST")
    assert updated.enabled is True
    assert client.bulkexports.v1.export_configuration("Calls").fetch().webhook_url == (
        "https://hooks.example.test/done")
    export = client.bulkexports.v1.exports("Calls").fetch()
    assert export.links["days"] == f"{fakeexports.vendor_url('twilio')}/v1/Exports/Calls/Days"
