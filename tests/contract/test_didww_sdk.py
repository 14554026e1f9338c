"""Contract test: DIDWW's official Python SDK (which sends X-DIDWW-API-Version 2026-04-16) against a running
fake, configured by base_url only (vendors/didww.md B9), through the export lifecycle and its errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from didww.client import DidwwClient
from didww.enums import CallbackMethod, ExportStatus, ExportType
from didww.exceptions import DidwwApiError
from didww.query_params import QueryParams
from didww.resources.export import Export

KEY = "sdk-test-key"  # listed in tests/data/credentials.yaml
CREDENTIALS = str(Path(__file__).resolve().parents[1] / "data" / "credentials.yaml")


@pytest.fixture
def client(fakeexports):  # type: ignore[no-untyped-def]
    return DidwwClient(fakeexports.credentials("didww")["api_key"], base_url=fakeexports.vendor_url("didww"))


def new_export(kind: ExportType = ExportType.CDR_IN, **filters: str) -> Export:
    export = Export()
    export.export_type = kind
    export.filters = {"from": "2026-01-01 00:00:00", "to": "2026-01-10 23:59:59", **filters}
    return export


def test_export_lifecycle_through_the_official_sdk(fakeexports, client, tmp_path: Path):  # type: ignore[no-untyped-def]
    # create: 201, pending in the 2026-04-16 spelling, no url yet
    made = client.exports().create(new_export(did_number="4930123456")).data
    assert made.status == ExportStatus.PENDING and made.is_pending
    assert made.url is None
    assert made.filters == {"from": "2026-01-01 00:00:00", "to": "2026-01-10 23:59:59", "did_number": "4930123456"}

    # list and find
    listed = client.exports().list()
    assert [e.id for e in listed.data] == [made.id]
    assert listed.meta == {"total_records": 1, "api_version": "2026-04-16"}
    found = client.exports().find(made.id).data
    assert found.export_type == ExportType.CDR_IN

    # advance the clock: pending 30 s, processing 90 s, then completed with a url on the fake
    fakeexports.advance(31)
    assert client.exports().find(made.id).data.is_processing
    fakeexports.advance(90)
    done = client.exports().find(made.id).data
    assert done.is_completed
    assert done.url.startswith(fakeexports.vendor_url("didww") + "/exports/") and done.url.endswith(".csv.gz")
    assert made.id not in done.url  # the file's UUID is not the export's id (B2)

    # download and decompress: the 22 cdr_in columns of 2026-04-16 (didww-api3-postman@71547df, "Get CSV File of
    # Export"), rows for the DID asked for
    out = tmp_path / "cdr.csv"
    client.download_and_decompress_export(done.url, str(out))
    rows = list(csv.reader(out.open()))
    assert rows[0][:3] == ["Date/Time Start (UTC)", "Date/Time Connect (UTC)", "Date/Time End (UTC)"]
    assert len(rows[0]) == 22 and rows[0][6] == "Destination DID"
    assert rows[1:] and all(r[6] == "4930123456" for r in rows[1:])
    assert all("2026-01-01" <= r[0] < "2026-01-11" for r in rows[1:])

    # update the external reference (2026-04-16 only)
    done.external_reference_id = "ref-42"
    updated = client.exports().update(done).data
    assert updated.external_reference_id == "ref-42"
    by_ref = client.exports().list(QueryParams().filter("external_reference_id", "ref-42"))
    assert [e.id for e in by_ref.data] == [made.id]

    # judged by the vendor's lint rules, the flow is clean: docs/lint.md's "What the official clients do" says so
    assert fakeexports.lint() == [], [f.line() for f in fakeexports.lint()]


def test_callback_method_and_paging_through_the_sdk(fakeexports, client):  # type: ignore[no-untyped-def]
    for _ in range(3):
        export = new_export(ExportType.CDR_OUT)
        export.callback_url = "http://127.0.0.1:9/never"
        export.callback_method = CallbackMethod.POST
        client.exports().create(export)
    page = client.exports().list(QueryParams().page(number=2, size=2).sort("-created_at"))
    assert len(page.data) == 1
    assert page.meta["total_records"] == 3
    assert page.data[0].callback_method == CallbackMethod.POST


def test_errors_are_raised_as_didww_api_errors(fakeexports, client):  # type: ignore[no-untyped-def]
    with pytest.raises(DidwwApiError) as raised:
        client.exports().find("00000000-0000-4000-8000-000000000000")
    assert raised.value.status_code == 404
    assert raised.value.errors == [{"title": "Record not found", "code": "404", "status": "404",
                                    "detail": "The record identified by 00000000-0000-4000-8000-000000000000 could not be found."}]

    with pytest.raises(DidwwApiError) as raised:
        client.exports().create(Export.build(None, export_type="cdr_in"))
    assert raised.value.status_code == 422
    assert raised.value.errors == [{"title": "can't be blank", "detail": "filters - can't be blank", "code": "100",
                                    "source": {"pointer": "/data/attributes/filters"}, "status": "422"}]

    with pytest.raises(DidwwApiError) as raised:
        client.exports().create(new_export(**{"from": "2025-06-01 00:00:00"}))
    assert raised.value.status_code == 422
    assert raised.value.errors[0]["detail"] == "filters - from must be within the current and 2 previous months"

    with pytest.raises(DidwwApiError) as raised:
        client.download_export(fakeexports.vendor_url("didww") + "/exports/00000000-0000-4000-8000-000000000000.csv.gz",
                               "/dev/null")
    assert raised.value.status_code == 404


@pytest.mark.fakeexports(credentials=CREDENTIALS)
def test_a_key_not_in_the_credentials_file_is_a_401(fakeexports):  # type: ignore[no-untyped-def]
    with pytest.raises(DidwwApiError) as raised:
        DidwwClient("not-listed", base_url=fakeexports.vendor_url("didww")).exports().list()
    assert raised.value.status_code == 401
    assert raised.value.errors == [{"title": "Unauthorized", "detail": "Authorization failed", "code": "401",
                                    "status": "401"}]
    listed = DidwwClient(KEY, base_url=fakeexports.vendor_url("didww")).exports().list()
    assert listed.meta["api_version"] == "2026-04-16"
