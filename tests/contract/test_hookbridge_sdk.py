"""Contract test: HookBridge's official Python SDK against a running fake, configured by base_url only
(vendors/hookbridge.md B.8), through the export lifecycle and its errors."""

from __future__ import annotations

import csv
import io
import urllib.request

import pytest
from hookbridge import HookBridge
from hookbridge.errors import AuthenticationError, HookBridgeError, NotFoundError, RateLimitError, ValidationError

KEY = "hb_test_contract"


@pytest.fixture
def client(fakeexports):  # type: ignore[no-untyped-def]
    key = fakeexports.credentials("hookbridge")["api_key"]  # this test's own (its own clock on a shared server)
    with HookBridge(key, base_url=fakeexports.vendor_url("hookbridge"), retries=0) as c:
        yield c


def test_export_lifecycle_through_the_official_sdk(fakeexports, client):  # type: ignore[no-untyped-def]
    # create: pending, filters echoed, the endpoint id in UUID form
    made = client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-15T00:00:00Z",
                                status="failed_permanent", endpoint_id="ep_550e8400e29b41d4a716446655440000")
    assert made.status == "pending" and made.project_id.startswith("proj_")
    assert made.filter_endpoint_id == "550e8400-e29b-41d4-a716-446655440000"
    assert made.id[14] == "7"  # UUIDv7

    # list and get
    assert [e.id for e in client.list_exports()] == [made.id]
    assert client.get_export(made.id).filter_status == "failed_permanent"

    # before completion: download is a 409 EXPORT_NOT_READY and delete a 409 EXPORT_ACTIVE
    with pytest.raises(HookBridgeError) as raised:
        client.download_export(made.id)
    assert (raised.value.status_code, raised.value.code) == (409, "EXPORT_NOT_READY")
    with pytest.raises(HookBridgeError) as raised:
        client.delete_export(made.id)
    assert (raised.value.status_code, raised.value.code) == (409, "EXPORT_ACTIVE")

    # advance: pending 10 s, processing 60 s
    fakeexports.advance(10)
    processing = client.get_export(made.id)
    assert processing.status == "processing" and processing.started_at is not None
    fakeexports.advance(60)
    done = client.get_export(made.id)
    assert done.status == "completed"
    assert (done.expires_at - done.completed_at).days == 7

    # download: the Location of the 302, a presigned link; the file's rows and bytes are the reported ones
    location = client.download_export(made.id)
    assert location.startswith(fakeexports.url + "/_s3/")
    with urllib.request.urlopen(location) as resp:
        data = resp.read()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(data) == done.file_size_bytes
    assert len(rows) == done.row_count
    assert all(r["status"] == "failed_permanent" and r["endpoint_id"] == done.filter_endpoint_id for r in rows)

    # delete, then 404 NOT_FOUND
    client.delete_export(made.id)
    with pytest.raises(NotFoundError) as missing:
        client.get_export(made.id)
    assert str(missing.value).startswith("Export not found") and missing.value.request_id.startswith("req_")

    # judged by the vendor's lint rules, the flow is clean: the README's "What the official clients do" says so
    assert fakeexports.lint() == [], [f.line() for f in fakeexports.lint()]


def test_expired_exports_answer_410(fakeexports, client):  # type: ignore[no-untyped-def]
    made = client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-14T01:00:00Z")
    fakeexports.advance(70 + 7 * 86400)
    assert client.get_export(made.id).status == "expired"
    with pytest.raises(HookBridgeError) as raised:
        client.download_export(made.id)
    assert (raised.value.status_code, raised.value.code) == (410, "EXPORT_EXPIRED")


def test_errors_are_raised_as_the_sdks_classes(fakeexports, client):  # type: ignore[no-untyped-def]
    with pytest.raises(AuthenticationError) as raised:
        HookBridge("sk_live_wrong", base_url=fakeexports.vendor_url("hookbridge"), retries=0).list_exports()
    assert str(raised.value).startswith("Invalid or missing API key")
    with pytest.raises(HookBridgeError) as raised:
        client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-13T00:00:00Z")
    assert (raised.value.status_code, raised.value.code) == (400, "INVALID_REQUEST")
    assert "end_time" in str(raised.value)
    with pytest.raises(HookBridgeError) as raised:
        client.create_export(start_time="2026-01-14T00:00:00Z", end_time="2026-01-15T00:00:00Z", endpoint_id="ep_1")
    assert str(raised.value).startswith("endpoint_id must be in format ep_xxx")
    with pytest.raises(HookBridgeError) as raised:
        client.get_export("not-a-uuid")
    assert raised.value.status_code == 400
    assert not isinstance(raised.value, ValidationError)  # the SDK maps 400s to its base class


@pytest.mark.fakeexports(hookbridge_rate_limits=True, hookbridge_burst=5)
def test_rate_limits_are_raised_as_rate_limit_error_with_retry_after(fakeexports):  # type: ignore[no-untyped-def]
    with HookBridge(KEY, base_url=fakeexports.vendor_url("hookbridge"), retries=0) as c:
        for _ in range(5):
            c.list_exports()
        with pytest.raises(RateLimitError) as raised:
            c.list_exports()
        assert raised.value.retry_after == 1
        fakeexports.advance(1)
        c.list_exports()
