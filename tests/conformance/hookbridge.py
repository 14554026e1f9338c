"""HookBridge exports exchanges: the "Get export" page (seed 003) and the other export operation pages, the
official Go and PHP SDKs' mocked exchanges, the CLI's mocked errors, and the documented 429s (replayed with
the fake's rate limits switched on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from aiohttp.test_utils import TestClient

from fakeexports.shape import Rules
from fakeexports.specs import data_dir

from .corpus import Advance, Call, Example, Replay, Req, VendorConfig

SEED = "seeds/003_2a29ebdbb954a091.txt (https://docs.hookbridge.io/api/operations/getexport)"
DOWNLOAD = "https://docs.hookbridge.io/api/operations/downloadexport"
DELETE = "https://docs.hookbridge.io/api/operations/deleteexport"
ERRORS = "https://docs.hookbridge.io/guides/product/error-handling"
GO = "hookbridge/hookbridge-go@196b6700756ae439587dbeccbf0d930997744519:spec_parity_test.go "
PHP = "hookbridge/hookbridge-php@180860e7cdb3049a88c0bae365f56e39eb323bd0:tests/SpecParityTest.php "
CLI = "hookbridge/hookbridge-cli@9314d8c3e5da1fa3d636b06961dd3eda7844e7ea:internal/api/client_test.go "

RULES = Rules(words=frozenset({"status", "direction", "code", "filter_status"}), hosts=("api.hookbridge.io",),
              mount="/hookbridge")


async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    return {"Authorization": "Bearer hb_test_conformance"}


CONFIG = VendorConfig(RULES, auth)
EXPORTS = "/v1/exports"
SPAN = {"start_time": "2025-12-01T00:00:00Z", "end_time": "2025-12-06T23:59:59Z"}  # the docs' and SDKs' range
UNKNOWN = EXPORTS + "/01935abc-def0-7123-8567-890abcdef099"  # a well-formed UUIDv7 no project holds
SEED_ID = "01935abc-def0-7123-8567-890abcdef012"  # seed 003's export id with valid variant bits (the fixture's)


def create(**body: Any) -> Call:
    return Call(Req("POST", EXPORTS, json={**SPAN, **body}), 201, save={"export": "data.id"})


COMPLETED = Advance(120)  # 10 s pending, 60 s processing: an export is completed two minutes later
EXPIRED = Advance(7 * 86400 + 120)  # its link expires seven days after completion


def configure(**settings: Any) -> Callable[[Replay], Awaitable[None]]:
    """A step that sets the fake's HookBridge options (its rate limits) through the control API."""
    async def step(run: Replay) -> None:
        resp = await run.client.post("/_fakeexports/vendors/hookbridge", json=settings)
        assert resp.status == 200, await resp.text()
    return step


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}, "meta": {"request_id": "req_xyz123"}}


def seed_fixture() -> dict[str, Any]:
    """The bundled fixture that holds seed 003's export (project proj_abc123, key hb_test_seed)."""
    doc = yaml.safe_load((data_dir("fixtures") / "hookbridge.yaml").read_text())
    return {"tenants": doc["tenants"]}


# Seed 003's example export; the bundled fixture holds it with the id's variant bits made valid (…-8567-…).
SEED_EXPORT = {"data": {
    "id": "01935abc-def0-7123-4567-890abcdef012", "project_id": "proj_abc123", "status": "completed",
    "filter_start_time": "2025-12-01T00:00:00Z", "filter_end_time": "2025-12-06T23:59:59Z",
    "filter_status": "failed_permanent", "row_count": 5000, "file_size_bytes": 1024000,
    "started_at": "2025-12-06T12:00:30Z", "completed_at": "2025-12-06T12:05:00Z",
    "expires_at": "2025-12-13T12:05:00Z", "created_at": "2025-12-06T12:00:00Z"}, "meta": {"request_id": "req_xyz123"}}

# The SDKs' mocked exports (research hookbridge.md §1.1).
GO_PENDING = {"id": "exp_1", "project_id": "proj_1", "status": "pending", "filter_start_time": "2025-12-01T00:00:00Z",
              "filter_end_time": "2025-12-06T23:59:59Z", "created_at": "2025-12-06T12:00:00Z"}
GO_COMPLETED = {**GO_PENDING, "status": "completed"}
PHP_ID = "01935abc-def0-7123-4567-890abcdef077"
PHP_COMPLETED = {"id": PHP_ID, "project_id": "proj_abc123", "status": "completed",
                 "filter_start_time": "2025-12-01T00:00:00Z", "filter_end_time": "2025-12-06T23:59:59Z",
                 "created_at": "2025-12-06T12:00:00Z"}
MOCKED = ("X-Request-Id",)  # the mocks' answers carry only the headers they set

# Why an example may differ (each reason is in the README's "Known divergences").
MOCK_200 = ("the SDKs' mocks answer every JSON call 200 (Go writes no status, PHP's jsonResponse defaults to 200); "
            "HookBridge's CLI mocks a create with 201 (hookbridge-cli@9314d8c internal/api/client_test.go), as "
            "the fake answers")
REQUEST_ID = ("the fake sends meta.request_id as X-Request-Id on every answer (specs/hookbridge.yaml); the mocks send "
              "no such header and no SDK reads one (UNVERIFIED)")
DIRECTION = ("the fake always writes direction (outbound by default, a field of HookBridge's schema); the docs' and "
             "SDKs' examples leave it out")
MOCK_ID = "the Go mock's ids (exp_1) are placeholders; HookBridge's export ids are UUIDv7 (seed 003)"
MOCK_FIELDS = ("the SDK mocks write only the fields their tests assert; a completed export has row_count, "
               "file_size_bytes, started_at, completed_at and expires_at (seed 003)")
NO_META = ("the mock leaves meta out; every HookBridge answer, errors included, has meta.request_id (seed 003, "
           "guides/product/error-handling)")
PHP_OFFSET = ("the PHP mock echoes its request's +00:00 offsets; HookBridge's documents write every time with Z "
              "(seed 003, createexport)")
PHP_FILTER = ("the PHP mock leaves out the endpoint filter it sent; HookBridge returns it as filter_endpoint_id, "
              "\"stored as UUID\" (seed 003)")
MOCKED_ONLY = {"header X-Request-Id: in the fake": REQUEST_ID}


def examples() -> list[Example]:
    start = "2025-12-06T12:00:00Z"  # the docs' and SDKs' created_at
    return [
        # Seed 003 and its documented error answers.
        Example("hookbridge", "seed/get", SEED + " 200",
                Req("GET", f"{EXPORTS}/{SEED_ID}", auth={"Authorization": "Bearer hb_test_seed"}), 200,
                "application/json", SEED_EXPORT, fixtures=seed_fixture(), start="2025-12-06T12:10:00Z",
                accepted={"data: keys ['direction'] in the fake": DIRECTION}),
        Example("hookbridge", "seed/get-invalid-request", SEED + " 400 (the schema's example)",
                Req("GET", EXPORTS + "/not-an-export-id"), 400, "application/json",
                error("INVALID_REQUEST", "endpoint must be a valid HTTPS URL")),
        Example("hookbridge", "seed/invalid-endpoint-id", SEED + " 400 \"Invalid endpoint ID format\", sent to "
                "createexport with the endpoint filter in UUID form",
                Req("POST", EXPORTS, json={**SPAN, "status": "failed_permanent",
                                           "endpoint_id": "550e8400-e29b-41d4-a716-446655440000"}),
                400, "application/json", error("INVALID_REQUEST", "endpoint_id must be in format ep_xxx")),
        Example("hookbridge", "seed/invalid-payload", SEED + " 400 \"Invalid payload\", sent to createexport",
                Req("POST", EXPORTS, headers={"Content-Type": "application/json"}, body=b'{"start_time": '),
                400, "application/json", error("INVALID_REQUEST", "payload must be valid JSON")),
        Example("hookbridge", "seed/unauthorized", SEED + " 401",
                Req("GET", UNKNOWN, auth=None), 401, "application/json",
                error("UNAUTHORIZED", "Invalid or missing API key")),
        Example("hookbridge", "seed/not-found", SEED + " 404",
                Req("GET", UNKNOWN), 404, "application/json", error("NOT_FOUND", "Message not found")),
        # The download and delete pages' error answers. The stored download page does not show the status of
        # EXPORT_NOT_READY: 409 is the error guide's "state conflict" (INFERRED, research hookbridge.md §3.2).
        Example("hookbridge", "download/not-ready", DOWNLOAD + " (Export not ready for download)",
                Req("GET", EXPORTS + "/{export}/download"), 409, "application/json",
                error("EXPORT_NOT_READY", "Export is not yet completed"), steps=[create()]),
        # The page's message is cut after "Export d"; the response's description is the sentence below.
        Example("hookbridge", "download/expired", DOWNLOAD + " (Export download link has expired) and " + ERRORS
                + " (410)", Req("GET", EXPORTS + "/{export}/download"), 410, "application/json",
                error("EXPORT_EXPIRED", "Export download link has expired"), steps=[create(), EXPIRED]),
        Example("hookbridge", "download/unauthorized", DOWNLOAD + " (401)",
                Req("GET", UNKNOWN + "/download", auth=None), 401, "application/json",
                error("UNAUTHORIZED", "Invalid or missing API key")),
        Example("hookbridge", "download/not-found", DOWNLOAD + " (Resource not found)",
                Req("GET", UNKNOWN + "/download"), 404, "application/json", error("NOT_FOUND", "Message not found")),
        Example("hookbridge", "delete/active", DELETE + " (Export is pending or in progress)",
                Req("DELETE", EXPORTS + "/{export}"), 409, "application/json",
                error("EXPORT_ACTIVE", "Cannot delete an export that is pending or in progress. Please try again in "
                                       "a moment."), steps=[create()]),
        Example("hookbridge", "delete/unauthorized", DELETE + " (401)",
                Req("DELETE", UNKNOWN, auth=None), 401, "application/json",
                error("UNAUTHORIZED", "Invalid or missing API key")),
        Example("hookbridge", "delete/not-found", DELETE + " (404)",
                Req("DELETE", UNKNOWN), 404, "application/json", error("NOT_FOUND", "Message not found")),
        # The Go SDK's mocked exchanges.
        Example("hookbridge", "go/create", GO + "TestSpecParityBillingAndExports (POST /v1/exports)",
                Req("POST", EXPORTS, json=SPAN), 200, "application/json",
                {"data": GO_PENDING, "meta": {"request_id": "req_5"}}, absent_headers=MOCKED, start=start,
                accepted={**MOCKED_ONLY, "status: 200 recorded, 201": MOCK_200,
                          "data: keys ['direction'] in the fake": DIRECTION, "data.id: text 'exp_1'": MOCK_ID}),
        Example("hookbridge", "go/download", GO + "TestSpecParityBillingAndExports (GET /v1/exports/exp_1/download)",
                Req("GET", EXPORTS + "/{export}/download"), 302, headers={"Location": r"https?://.+"},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start, accepted=MOCKED_ONLY),
        Example("hookbridge", "go/list", GO + "TestSpecParityInboundManagementAndExports (GET /v1/exports)",
                Req("GET", EXPORTS), 200, "application/json",
                {"data": [{**GO_COMPLETED, "row_count": 125}], "meta": {"request_id": "req_9"}},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start,
                accepted={**MOCKED_ONLY, "data[]: keys ['direction', 'file_size_bytes', 'started_at', 'completed_at', "
                          "'expires_at'] in the fake": MOCK_FIELDS, "data[].id: text 'exp_1'": MOCK_ID}),
        Example("hookbridge", "go/get", GO + "TestSpecParityInboundManagementAndExports (GET /v1/exports/exp_1)",
                Req("GET", EXPORTS + "/{export}"), 200, "application/json",
                {"data": {**GO_COMPLETED, "file_size_bytes": 2048}, "meta": {"request_id": "req_10"}},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start,
                accepted={**MOCKED_ONLY, "data: keys ['direction', 'row_count', 'started_at', 'completed_at', "
                          "'expires_at'] in the fake": MOCK_FIELDS, "data.id: text 'exp_1'": MOCK_ID}),
        # The PHP SDK's mocked exchanges.
        Example("hookbridge", "php/create", PHP + "testCreateExportSerializesDateTimeImmutable",
                Req("POST", EXPORTS, json={"start_time": "2025-12-01T00:00:00+00:00",
                                           "end_time": "2025-12-06T23:59:59+00:00",
                                           "endpoint_id": "ep_550e8400e29b41d4a716446655440000"}),
                200, "application/json",
                {"data": {"id": PHP_ID, "project_id": "proj_abc123", "status": "pending",
                          "filter_start_time": "2025-12-01T00:00:00+00:00",
                          "filter_end_time": "2025-12-06T23:59:59+00:00", "created_at": "2025-12-06T12:00:00Z"},
                 "meta": {"request_id": "req-12345"}}, absent_headers=MOCKED, start=start,
                accepted={**MOCKED_ONLY, "status: 200 recorded, 201": MOCK_200,
                          "data: keys ['filter_endpoint_id', 'direction'] in the fake": PHP_FILTER,
                          "datetime(offset) '2025-12-0": PHP_OFFSET}),
        Example("hookbridge", "php/delete", PHP + "testAdditionalEndpointSurface (deleteExport) and " + DELETE,
                Req("DELETE", EXPORTS + "/{export}"), 204, absent_headers=MOCKED, steps=[create(), COMPLETED],
                start=start, accepted=MOCKED_ONLY),
        Example("hookbridge", "php/list", PHP + "testOutboundAdminAndExportSurface (listExports)",
                Req("GET", EXPORTS), 200, "application/json", {"data": [{**PHP_COMPLETED, "row_count": 125}]},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start,
                accepted={**MOCKED_ONLY, "(body): keys ['meta'] in the fake": NO_META,
                          "data[]: keys ['direction', 'file_size_bytes', 'started_at', 'completed_at', 'expires_at'] "
                          "in the fake": MOCK_FIELDS}),
        Example("hookbridge", "php/get", PHP + "testOutboundAdminAndExportSurface (getExport)",
                Req("GET", EXPORTS + "/{export}"), 200, "application/json",
                {"data": {**PHP_COMPLETED, "file_size_bytes": 2048, "expires_at": "2025-12-13T12:00:00Z"}},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start,
                accepted={**MOCKED_ONLY, "(body): keys ['meta'] in the fake": NO_META,
                          "data: keys ['direction', 'row_count', 'started_at', 'completed_at'] in the fake":
                          MOCK_FIELDS}),
        Example("hookbridge", "php/download", PHP + "testOutboundAdminAndExportSurface (downloadExport)",
                Req("GET", EXPORTS + "/{export}/download"), 302, headers={"Location": r"https?://.+"},
                absent_headers=MOCKED, steps=[create(), COMPLETED], start=start, accepted=MOCKED_ONLY),
        # The CLI's mocked errors (of GET /v1/projects/...), replayed on the exports.
        Example("hookbridge", "cli/unauthorized", CLI + "TestClient_GetProject_Unauthorized",
                Req("GET", EXPORTS, auth=None), 401, "application/json",
                {"error": {"code": "UNAUTHORIZED", "message": "Invalid API key"}}, absent_headers=MOCKED,
                accepted={**MOCKED_ONLY, "(body): keys ['meta'] in the fake": NO_META}),
        # RATE_LIMITED is "Too many failed authentication attempts" (the error-handling guide): one failure
        # is made the fake's threshold.
        Example("hookbridge", "cli/rate-limited", CLI + "TestClient_GetProject_RateLimited and " + ERRORS
                + " (RATE_LIMITED)", Req("GET", EXPORTS), 429, "application/json",
                {"error": {"code": "RATE_LIMITED", "message": "Too many requests"}}, absent_headers=MOCKED,
                steps=[configure(rate_limits=True, auth_failures=1), Call(Req("GET", EXPORTS, auth=None), 401)],
                accepted={**MOCKED_ONLY, "(body): keys ['meta'] in the fake": NO_META}),
        # The project's burst ceiling: its number is unpublished; one request a second here. Where
        # retry_after_ms sits is not published either: error.details is the envelope's place for context.
        Example("hookbridge", "burst/exceeded", "https://docs.hookbridge.io/guides/outbound/rate-limiting (Project-"
                "Level Burst Protection: 429, BURST_LIMIT_…) and https://raw.githubusercontent.com/api-evangelist/"
                "hookbridge/refs/heads/main/rate-limits/hookbridge-rate-limits.yml (BURST_LIMIT_EXCEEDED, "
                "retry_after_ms)", Req("GET", EXPORTS), 429, "application/json",
                # the message is unpublished: a placeholder
                {"error": {"code": "BURST_LIMIT_EXCEEDED", "message": "message", "details": {"retry_after_ms": 1000}},
                 "meta": {"request_id": "req_xyz123"}},
                steps=[configure(rate_limits=True, burst=1), Call(Req("GET", EXPORTS), 200)]),
    ]
