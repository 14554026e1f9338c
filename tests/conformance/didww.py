"""DIDWW API v3 exports exchanges: the official SDKs' fixtures (Python, TypeScript, Go, Java, Ruby, and PHP's
with the headers DIDWW answered in 2019), the PHP SDK's real 401 recordings of 2022, and (when
FAKEEXPORTS_REFERENCE_DIR holds them) every example response of DIDWW's Postman collections for 2021-12-15,
2022-05-10 and 2026-04-16."""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from fakeexports.shape import Rules
from tests.reference import available, reference_file

from .corpus import MISSING, Call, Example, Req, VendorConfig

KEY = "conformance-api-key"
JSONAPI = "application/vnd.api+json"
REFUSED = "PLACEYOURAPIKEYHERE"  # the key of the PHP SDK's recordings, which DIDWW refused
# Only the credentials listed there are accepted: REFUSED is not among them.
CREDENTIALS = str(Path(__file__).resolve().parents[1] / "data" / "credentials.yaml")

PY = "didww/didww-api-3-python-sdk@4926800:tests/fixtures/exports/"
PHP = "didww/didww-api-3-php-sdk@eaad6c1:tests/fixtures/exports.yml"
PHP_2022 = "didww/didww-api-3-php-sdk@62f9176:tests/fixtures/exports.yml"
RUBY = "didww/didww-v3-ruby@f97f668:"
GO = "didww/didww-api-3-go-sdk@4f3a26a:testdata/fixtures/exports/"
TS = "didww/didww-api-3-typescript-sdk@ffde235:tests/fixtures/exports/"
JAVA = "didww/didww-api-3-java-sdk@c2e233a:src/test/resources/fixtures/exports/"
PM = "didww/didww-api3-postman@71547df:"
# (the extract in FAKEEXPORTS_REFERENCE_DIR/didww-postman, the API version, the collection it is the Export folder of)
COLLECTIONS = (("exports-2021-12-15.json", "2021-12-15", "DIDWW API3 2021-12-15.postman_collection.json"),
               ("exports-2022-05-10.json", "2022-05-10", "DIDWW API3 2022-05-10.postman_collection.json"),
               ("exports-2026-04-16.json", "2026-04-16", "DIDWW API3 2026-04-16 (Latest).postman_collection.json"))

# Why an example may differ (each reason is in the README's "Known divergences").
SDK_NO_META = ("the SDKs' hand-made bodies leave out meta.api_version; every real and Postman document has it "
               "(OpenAPI: meta is required)")
SDK_NO_FILTERS = ("the SDKs' hand-made 2026-04-16 bodies leave out filters (and some external_reference_id); "
                  "Postman 2026-04-16 and the OpenAPI document show both on every export")
SDK_FILE_LAYOUT = ("the Go SDK's file has a synthetic 17-column header no DIDWW document has; 2026-04-16 files "
                   "have Postman's 22 columns")
SDK_SHORT_FILE_NAME = "the Go SDK shortens the file name to 02bf6df4; DIDWW's file names are UUIDs"
NO_ACCEPT_RANGES = "the fake sends no Accept-Ranges: it serves no range requests"
VARY_2019 = "DIDWW's 2019 answers (PHP) had no Vary; its 2022 ones (Postman, PHP's 401) have Vary: Accept, as the fake"
SHOW_ETAG_2019 = ("in 2019 a single GET was cached like a list (PHP: ETag, max-age=0); the 2022 recordings "
                  "answer no-cache and no ETag, as the fake")
OCTET_STREAM = ("the fake answers a download with application/octet-stream, as DIDWW's nginx did for the PHP SDK "
                "and the SDKs' fixtures show (README), not Postman's text/csv")
CSV_2017 = ("Postman's 2021-12-15/2022-05-10 sample file is the 2017 cdr_exports layout (13 columns, rows of June "
            "2017); the SDKs' files of that era have the 15 cdr_in columns, which the fake writes")
FILTERS_KEPT = ("an export keeps the filter keys of the version that created it (year/month before 2026-04-16); "
                "Postman 2026-04-16 shows such exports with from/to in places and year/month in others")

RULES = Rules(words=frozenset({"status", "type", "export_type", "callback_method", "api_version", "code", "title",
                               "pointer"}),
              base_path="/v3", mount="/didww/v3", hosts=("api.didww.com", "sandbox-api.didww.com"))


async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    return {"Api-Key": KEY, "Accept": JSONAPI, "Content-Type": JSONAPI}


CONFIG = VendorConfig(RULES, auth)

# The forms of the recorded headers that matter (their values are the vendor's: ids, timings, hashes).
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
FORMS = {
    "x-request-id": UUID,
    "x-runtime": r"\d+\.\d{6}",
    "last-modified": r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
    "content-disposition": r'attachment; filename="[0-9a-f-]+\.csv(\.gz)?"',
}
EXACT = ("vary", "cache-control", "accept-ranges")
# Headers a full real recording (one with Server and Date) shows by their absence.
ABSENT = ("ETag", "Vary", "X-Request-Id", "X-Runtime", "WWW-Authenticate")


FILE_2022 = ("DIDWW's 2019 download came from nginx (ETag, Last-Modified, no request id); its 2022 recordings (Postman's "
             "download, the PHP SDK's refused download) show Rails' headers, which the fake follows")
CSV_2017 = ("the .csv file paths of 2017-era exports are not served (files are .csv.gz since 2021-12-15): the fake "
            "answers such a path as an unknown export, with the JSON:API 401 for a refused key")

def header_forms(recorded: Mapping[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """The recorded headers that matter, as name -> the form of the value, and those a full recording lacks."""
    expected: dict[str, str | None] = {}
    names = {k.lower(): k for k in recorded}
    for lower, name in names.items():
        value = recorded[name]
        if lower in FORMS:
            expected[name] = FORMS[lower]
        elif lower in EXACT:
            expected[name] = re.escape(value)
        elif lower == "etag":  # Rails' weak digest, or nginx's "<mtime>-<size>" in hex
            expected[name] = r'W/"[0-9a-f]{32}"' if value.startswith("W/") else r'"[0-9a-f]+-[0-9a-f]+"'
        elif lower == "content-type" and ";" in value:
            expected[name] = re.escape(value)
    full = "server" in names and "date" in names
    absent = [h for h in ABSENT if full and h.lower() not in names]
    return expected, absent


def export(id: str | None, created_at: str, export_type: str, status: str, filters: Mapping[str, Any],
           file_id: str | None = None, api_version: str | None = None, **attrs: Any) -> dict[str, Any]:
    """One export of a fixture document (fixtures/didww.yaml's format), held in its recorded status."""
    item: dict[str, Any] = {"created_at": created_at, "export_type": export_type, "status": status,
                            "filters": dict(filters), **attrs}
    if id:
        item["id"] = id
    if file_id:
        item["file_id"] = file_id
    if api_version:
        item["api_version"] = api_version
    return item


def tenant(*exports: dict[str, Any]) -> dict[str, Any]:
    return {"tenants": {KEY: {"exports": list(exports)}}}


def sdk(version: str = "2026-04-16", **headers: str) -> dict[str, str]:
    """What an SDK sends on its JSON:API calls: the credential, the media types and its API version."""
    return {"Api-Key": KEY, "Accept": JSONAPI, "Content-Type": JSONAPI, "X-DIDWW-API-Version": version, **headers}


APRIL = {"from": "2026-04-01 00:00:00", "to": "2026-04-15 23:59:59"}
AFTER_APRIL_15 = "2026-04-16T12:00:00Z"  # the SDKs' filters end 2026-04-15: a day later they are valid
SDK_ID = "da15f006-5da4-45ca-b0df-735baeadf423"
SDK_FILE = "e5352384-6f64-4132-bba1-cda18fbc5896"
SDK_DOWNLOAD = "02bf6df4-3af9-416c-96be-16e5b7eeb651"
SDK_CREATED = "2019-01-02T10:23:00.897Z"
LINKS = {"first": "https://sandbox-api.didww.com/v3/exports?page%5Bnumber%5D=1&page%5Bsize%5D=50",
         "last": "https://sandbox-api.didww.com/v3/exports?page%5Bnumber%5D=1&page%5Bsize%5D=50"}
NOT_FOUND_ID = "21e02b15-806d-44b3-b67f-434ea6c44f61"
NOT_FOUND = {"errors": [{"title": "Record not found",
                         "detail": f"The record identified by {NOT_FOUND_ID} could not be found.", "code": "404",
                         "status": "404"}]}
UNAUTHORIZED = {"errors": [{"title": "Unauthorized", "detail": "Authorization failed", "code": "401",
                            "status": "401"}]}
CREATE_BODY = {"data": {"type": "exports", "attributes": {"export_type": "cdr_in",
                                                          "filters": {"did_number": "1234556789", **APRIL}}}}


def sdk_resource(status: str = "completed", export_type: str = "cdr_in", **extra: Any) -> dict[str, Any]:
    url = f"https://sandbox-api.didww.com/v3/exports/{SDK_FILE}.csv.gz" if status == "completed" else None
    return {"id": SDK_ID, "type": "exports",
            "attributes": {"status": status, "created_at": SDK_CREATED, "url": url, "callback_url": None,
                           "callback_method": None, "export_type": export_type, **extra}}


# The one export the Python, PHP, TypeScript and Java list, show and update fixtures are about.
SDK_EXPORT = export(SDK_ID, SDK_CREATED, "cdr_in", "completed", {"did_number": "1234556789", **APRIL},
                    file_id=SDK_FILE, api_version="2026-04-16")
# The file the Python and PHP fixtures download: the 15 cdr_in columns and a row of 2018-12-06, that is a file of
# an export made under 2021-12-15 (an export keeps its version's columns) for December 2018.
SDK_DOWNLOADED = export(None, SDK_CREATED, "cdr_in", "completed", {"year": 2018, "month": 12}, file_id=SDK_DOWNLOAD,
                        api_version="2021-12-15")
# The Go SDK's export (update.json): its file name "02bf6df4" is the start of the Python and PHP fixtures' file
# name, which it stands for here (the fake's file names are UUIDs, as DIDWW's).
GO_EXPORT = export(SDK_ID, "2019-09-03T14:42:22.000Z", "cdr_in", "completed", APRIL, file_id=SDK_DOWNLOAD,
                   api_version="2026-04-16")
CDR_IN_2021 = ["Date/Time Start (UTC)", "Date/Time Connect (UTC)", "Date/Time End (UTC)", "Source", "DID",
               "Destination", "Duration (secs)", "Disconnect Initiator", "Disconnect Code", "Response",
               "TollFree Amount (USD)", "Termination Amount (USD)", "Metered Channels Amount (USD)", "Customer ID",
               "Sell Amount (Points)"]
GO_CSV = ["Date/Time Start (UTC)", "Date/Time Answer (UTC)", "Date/Time End (UTC)", "Duration", "DID Number", "Trunk",
          "CLI", "CLD", "RTP Src Addr Fwd", "RTP Src Addr Bwd", "Country", "City", "Rate", "Cost",
          "Disconnect Initiator", "Disconnect Code", "Disconnect Reason"]

# The headers DIDWW answered the PHP SDK with (2019-01-02, sandbox-api.didww.com); security and CORS headers left
# out. The bodies of the same fixture were edited since to the 2026-04-16 shapes.
PHP_CREATED = {"Server": "nginx", "Date": "Wed, 02 Jan 2019 10:23:00 GMT", "Content-Type": JSONAPI,
               "ETag": 'W/"96d611c3e9699c77553e49c0aedccac6"', "Cache-Control": "max-age=0, private, must-revalidate",
               "X-Request-Id": "3f540391-ec00-42d9-93b6-f4add6840770", "X-Runtime": "0.217836"}
PHP_LISTED = {**PHP_CREATED, "Date": "Wed, 02 Jan 2019 10:23:44 GMT", "ETag": 'W/"ec5b465be60de31831704ef59abeb3a1"',
              "X-Request-Id": "78798ddb-78c1-4cdd-8dd0-81cd4134d502", "X-Runtime": "0.192358"}
PHP_SHOWN = {**PHP_CREATED, "Date": "Wed, 02 Jan 2019 10:35:41 GMT", "ETag": 'W/"35a0264c38ea4383fda506fa25913136"',
             "X-Request-Id": "ede6cf40-7baf-4a08-b751-d8ac712968aa", "X-Runtime": "0.038676"}
PHP_FILE = {"Server": "nginx", "Date": "Wed, 02 Jan 2019 12:09:13 GMT", "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{SDK_DOWNLOAD}.csv.gz"', "Cache-Control": "no-cache",
            "Last-Modified": "Wed, 02 Jan 2019 11:32:50 GMT", "ETag": '"5c2ca162-1fb44"', "Accept-Ranges": "bytes"}
# Real answers to a refused key, 2022-02-02 (PHP_2022).
PHP_REFUSED_FILE = {"server": "nginx", "date": "Wed, 02 Feb 2022 11:50:21 GMT",
                    "content-type": "text/html; charset=utf-8", "cache-control": "no-cache",
                    "x-request-id": "aaae9c90-6bdb-47d2-8295-6251b1f4a501", "x-runtime": "0.047036"}
PHP_REFUSED = {"Server": "nginx", "Date": "Wed, 02 Feb 2022 12:47:16 GMT", "Content-Type": JSONAPI, "Vary": "Accept",
               "Cache-Control": "no-cache", "X-Request-Id": "b7aa3548-d1b5-42f3-8f6f-964e5d8034f8",
               "X-Runtime": "0.059721"}


def recorded(name: str, source: str, request: Req, status: int, content_type: str | None, body: Any = MISSING,
             headers: Mapping[str, str] | None = None, **kw: Any) -> Example:
    """An example whose recorded headers (if any) are compared by form."""
    expected, absent = header_forms(headers or {})
    return Example("didww", name, source, request, status, content_type, body, headers=expected,
                   absent_headers=absent, **kw)


def examples() -> list[Example]:
    no_reference = {"external_reference_id": None}
    rows = [
        # The Python SDK: hand-made cassettes of 2026-04-16 (only Content-Type recorded). The client sends the
        # session's X-DIDWW-API-Version 2026-04-16 with every call (src/didww/client.py); on the download it drops
        # Accept and Content-Type.
        recorded("py/create", PY + "create.yaml", Req("POST", "/exports", json=CREATE_BODY, auth=sdk()), 201,
                 JSONAPI, {"data": sdk_resource("pending")}, start=AFTER_APRIL_15,
                 accepted={"keys ['filters', 'external_reference_id'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        recorded("py/list", PY + "list.yaml", Req("GET", "/exports", auth=sdk()), 200, JSONAPI,
                 {"data": [sdk_resource()], "meta": {"total_records": 1}, "links": LINKS},
                 start=AFTER_APRIL_15, fixtures=tenant(SDK_EXPORT),
                 accepted={"keys ['filters', 'external_reference_id'] in the fake": SDK_NO_FILTERS,
                           "meta: keys ['api_version'] in the fake": SDK_NO_META}),
        recorded("py/show", PY + "show.yaml", Req("GET", f"/exports/{SDK_ID}", auth=sdk()), 200, JSONAPI,
                 {"data": sdk_resource(external_reference_id="monthly-cdr-2026-04"),
                  "meta": {"api_version": "2026-04-16"}},
                 start=AFTER_APRIL_15,
                 fixtures=tenant({**SDK_EXPORT, "external_reference_id": "monthly-cdr-2026-04"}),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS}),
        recorded("py/update", PY + "update.yaml",
                 Req("PATCH", f"/exports/{SDK_ID}", auth=sdk(),
                     json={"data": {"type": "exports", "id": SDK_ID,
                                    "attributes": {"external_reference_id": "renamed-ref-99"}}}),
                 200, JSONAPI,
                 {"data": sdk_resource(external_reference_id="renamed-ref-99"), "meta": {"api_version": "2026-04-16"}},
                 start=AFTER_APRIL_15, fixtures=tenant(SDK_EXPORT),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS}),
        *(recorded(f"py/{name}", PY + f"{name}.yaml",
                   Req("GET", f"/exports/{SDK_DOWNLOAD}.csv.gz",
                       auth={"Api-Key": KEY, "X-DIDWW-API-Version": "2026-04-16",
                             "User-Agent": "didww-python-sdk/3.0.0"}),
                   200, "application/octet-stream",
                   headers={"Content-Type": "application/octet-stream",
                            "Content-Disposition": f'attachment; filename="{SDK_DOWNLOAD}.csv.gz"'},
                   csv_header=CDR_IN_2021, start=AFTER_APRIL_15, fixtures=tenant(SDK_DOWNLOADED))
          for name in ("download", "download_decompress")),
        # The PHP SDK: the headers DIDWW answered in 2019, the bodies edited since to 2026-04-16's (afc8a6e). The
        # client sends x-didww-api-version 2026-04-16 (src/Client.php), which the 2019 recording predates.
        recorded("php/create-cdr-in", PHP + " #1 (POST /v3/exports, cdr_in)",
                 Req("POST", "/exports", json=CREATE_BODY, auth=sdk(**{"User-Agent": "GuzzleHttp/7"})), 201,
                 JSONAPI, {"data": sdk_resource("pending", **no_reference)}, headers=PHP_CREATED, start=AFTER_APRIL_15,
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META, "header Vary": VARY_2019}),
        recorded("php/create-cdr-out", PHP + " #2 (POST /v3/exports, cdr_out)",
                 Req("POST", "/exports", auth=sdk(**{"User-Agent": "GuzzleHttp/7"}),
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_out", "filters": {
                         "voice_out_trunk.id": "1f6fc2bd-f081-4202-9b1a-d9cb88d942b9", **APRIL}}}}),
                 201, JSONAPI, {"data": sdk_resource("pending", "cdr_out", **no_reference)}, headers=PHP_CREATED,
                 start=AFTER_APRIL_15,
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META, "header Vary": VARY_2019}),
        recorded("php/list", PHP + " #3 (GET /v3/exports)", Req("GET", "/exports", auth=sdk()), 200, JSONAPI,
                 {"data": [sdk_resource(**no_reference)], "meta": {"total_records": 1}, "links": LINKS},
                 headers=PHP_LISTED, start=AFTER_APRIL_15, fixtures=tenant(SDK_EXPORT),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "meta: keys ['api_version'] in the fake": SDK_NO_META, "header Vary": VARY_2019}),
        recorded("php/show", PHP + " #4 (GET /v3/exports/{id})", Req("GET", f"/exports/{SDK_ID}", auth=sdk()), 200,
                 JSONAPI, {"data": sdk_resource(**no_reference)}, headers=PHP_SHOWN, start=AFTER_APRIL_15,
                 fixtures=tenant(SDK_EXPORT),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META, "header Vary": VARY_2019,
                           "header ETag": SHOW_ETAG_2019, "header Cache-Control": SHOW_ETAG_2019}),
        recorded("php/update", PHP + " #5 (PATCH /v3/exports/{id}; the SDK sends an empty filters)",
                 Req("PATCH", f"/exports/{SDK_ID}", auth=sdk(**{"User-Agent": "GuzzleHttp/7"}),
                     json={"data": {"type": "exports", "id": SDK_ID,
                                    "attributes": {"external_reference_id": "updated-ref-export", "filters": []}}}),
                 200, JSONAPI, {"data": sdk_resource(external_reference_id="updated-ref-export")},
                 start=AFTER_APRIL_15, fixtures=tenant(SDK_EXPORT),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        recorded("php/download", PHP + " #6 (GET /v3/exports/{file}.csv.gz)",
                 Req("GET", f"/exports/{SDK_DOWNLOAD}.csv.gz",
                     auth={"Api-Key": KEY, "User-Agent": "didww-php-sdk/dev-master",
                           "X-DIDWW-API-Version": "2026-04-16"}),
                 200, "application/octet-stream", headers=PHP_FILE, csv_header=CDR_IN_2021, start=AFTER_APRIL_15,
                 fixtures=tenant(SDK_DOWNLOADED),
                 accepted={"header Accept-Ranges": NO_ACCEPT_RANGES, "header Last-Modified": FILE_2022,
                           "header ETag": FILE_2022, "header X-Request-Id": FILE_2022,
                           "header X-Runtime": FILE_2022}),
        # Real answers to a refused key (2022-02-02): the download's has no body at all.
        recorded("php/refused-download", PHP_2022 + " (GET /v3/exports/{file}.csv with a refused key)",
                 Req("GET", f"/exports/{SDK_DOWNLOAD}.csv", auth={"api-key": REFUSED}), 401, None,
                 headers=PHP_REFUSED_FILE, start="2022-02-02T11:50:21Z", settings={"credentials": CREDENTIALS},
                 accepted={"body: none recorded": CSV_2017, "header content-type": CSV_2017,
                           "header Vary": CSV_2017}),
        recorded("php/refused-create", PHP_2022 + " (POST /v3/exports with a refused key)",
                 Req("POST", "/exports", auth={"Accept": JSONAPI, "Content-Type": JSONAPI, "api-key": REFUSED,
                                               "User-Agent": "GuzzleHttp/7"},
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
                         "did_number": "1234556789", "year": "2019", "month": "01"}}}}),
                 401, JSONAPI, UNAUTHORIZED, headers=PHP_REFUSED, start="2022-02-02T12:47:16Z",
                 settings={"credentials": CREDENTIALS}),
        # The Ruby gem (API version 2022-05-10, lib/didww/client.rb): its 404 body is DIDWW's (Postman's recording).
        recorded("ruby/not-found", RUBY + "spec/fixtures/exports/id/get/without_includes/404.json",
                 Req("GET", f"/exports/{NOT_FOUND_ID}", auth=sdk("2022-05-10")), 404, JSONAPI, NOT_FOUND,
                 start="2022-06-01T12:00:00Z"),
        recorded("ruby/download-not-found", RUBY + "spec/didww/resources/export_spec.rb (#download when file is not "
                                                   "found: 404, no body; doc.didww.com 2021-12-15 Get CSV File)",
                 Req("GET", "/exports/a4f6b765-f20c-45c7-98d2-80c2f3a41517.csv.gz",
                     auth={"Api-Key": KEY, "x-didww-api-version": "2022-05-10"}), 404, None,
                 start="2022-06-01T12:00:00Z"),
        # Go, TypeScript and Java: hand-made bodies, where they differ from the Python SDK's.
        recorded("go/create-cdr-out", GO + "create_cdr_out.json (exports_test.go TestExportsCreateCdrOut)",
                 Req("POST", "/exports", auth=sdk(),
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_out", "filters": {
                         "from": "2026-04-01 00:00:00", "to": "2026-04-30 23:59:59"}}}}),
                 201, JSONAPI, {"data": sdk_resource("pending", "cdr_out")}, start="2026-05-01T12:00:00Z",
                 accepted={"keys ['filters', 'external_reference_id'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        recorded("go/update", GO + "update.json, update_request.json",
                 Req("PATCH", f"/exports/{SDK_ID}", auth=sdk(),
                     json={"data": {"id": SDK_ID, "type": "exports",
                                    "attributes": {"external_reference_id": "export-ext-ref"}}}),
                 200, JSONAPI,
                 {"data": {"id": SDK_ID, "type": "exports", "attributes": {
                     "status": "completed", "created_at": "2019-09-03T14:42:22.000Z",
                     "url": "https://sandbox-api.didww.com/v3/exports/02bf6df4.csv.gz", "callback_url": None,
                     "callback_method": None, "export_type": "cdr_in", "filters": APRIL,
                     "external_reference_id": "export-ext-ref"}},
                  "meta": {"api_version": "2026-04-16"}},
                 start=AFTER_APRIL_15, fixtures=tenant(GO_EXPORT),
                 accepted={"link path '/exports/02bf6df4.csv.gz' recorded": SDK_SHORT_FILE_NAME}),
        recorded("go/create-unauthorized", GO + "create_error_unauthorized.json (TestExportsCreateUnauthorized)",
                 Req("POST", "/exports", auth={**sdk(), "Api-Key": REFUSED},
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_in"}}}),
                 401, JSONAPI, UNAUTHORIZED, start=AFTER_APRIL_15, settings={"credentials": CREDENTIALS}),
        recorded("go/download", GO + "download.csv.gz (exports_test.go TestDownloadExport, GET /v3/exports/02bf6df4.csv.gz)",
                 Req("GET", f"/exports/{SDK_DOWNLOAD}.csv.gz",
                     auth={"Api-Key": KEY, "X-DIDWW-API-Version": "2026-04-16", "User-Agent": "didww-go-sdk/3.1.0"}),
                 200, "application/octet-stream", csv_header=GO_CSV, start=AFTER_APRIL_15, fixtures=tenant(GO_EXPORT),
                 accepted={"csv header: 17 columns recorded": SDK_FILE_LAYOUT}),
        # TypeScript's exports are for January 2019: the clock is at the start of February 2019.
        recorded("ts/create", TS + "create.yaml",
                 Req("POST", "/exports", auth=sdk(),
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_in", "filters": {
                         "did_number": "1234556789", "from": "2019-01-01 00:00:00", "to": "2019-01-31 23:59:59"}}}}),
                 201, JSONAPI, {"data": sdk_resource("pending")}, start="2019-02-01T00:00:00Z",
                 accepted={"keys ['filters', 'external_reference_id'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        recorded("ts/create-cdr-out", TS + "create_1.yaml (the request of tests/resources/exports.test.ts 'creates "
                                           "a cdr_out export'; the cassette keeps no request body)",
                 Req("POST", "/exports", auth=sdk(),
                     json={"data": {"type": "exports", "attributes": {"export_type": "cdr_out", "filters": {
                         "from": "2019-01-01 00:00:00", "to": "2019-01-31 23:59:59"}}}}),
                 201, JSONAPI, {"data": sdk_resource("pending", "cdr_out")}, start="2019-02-01T00:00:00Z",
                 accepted={"keys ['filters', 'external_reference_id'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        recorded("ts/list", TS + "list.yaml", Req("GET", "/exports", auth=sdk()), 200, JSONAPI,
                 {"data": [sdk_resource(external_reference_id="exp-ref-001")], "meta": {"total_records": 1},
                  "links": LINKS},
                 start=AFTER_APRIL_15, fixtures=tenant({**SDK_EXPORT, "external_reference_id": "exp-ref-001"}),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "meta: keys ['api_version'] in the fake": SDK_NO_META}),
        recorded("java/show", JAVA + "show.json (ExportTest.testFindExport)",
                 Req("GET", f"/exports/{SDK_ID}", auth=sdk()), 200, JSONAPI,
                 {"data": sdk_resource(external_reference_id="exp-ref-001")}, start=AFTER_APRIL_15,
                 fixtures=tenant({**SDK_EXPORT, "external_reference_id": "exp-ref-001"}),
                 accepted={"keys ['filters'] in the fake": SDK_NO_FILTERS,
                           "(body): keys ['meta'] in the fake": SDK_NO_META}),
        *issue_18(),
    ]
    return rows + reference_examples()


# --- Issue 18 (third audit): what DIDWW documents and recorded, each with its source ------------------------------
DEC_2021 = export("6fee87b1-5f86-470c-80ca-9c3922653de9", "2021-12-13T20:02:07.798Z", "cdr_in", "completed",
                  {"year": 2021, "month": 12})
STACK = {"Server": "nginx", "X-Frame-Options": "SAMEORIGIN", "X-XSS-Protection": re.escape("1; mode=block"),
         "X-Content-Type-Options": "nosniff", "X-Download-Options": "noopen",
         "X-Permitted-Cross-Domain-Policies": "none", "Referrer-Policy": "strict-origin-when-cross-origin"}
# Postman 2021-12-15 "Get CSV File of Export" (recorded 2022-01-08): an empty Source is "", a Customer ID nothing.
CSV_2022 = """Date/Time (UTC),Source,DID,Destination,Duration (secs),Disconnect Initiator,Disconnect Code,Response,\
TollFree Amount (USD),Termination Amount (USD),Metered Channels Amount (USD),Customer ID,Sell Amount (Points)
2017-06-26 01:11:42,4,97286259404,sip:test@example.com,0,Destination,404,Not Found,0.000,0.000,0.000,,0.000
2017-06-17 08:50:47,"",97286259413,iax:324@34234234,54,Origination,200,Bye,0.000,0.000,0.003,,0.000
"""
# Postman 2026-04-16 "Get CSV File of Export", CDR In sample rows.
CSV_2026 = """Date/Time Start (UTC),Date/Time Connect (UTC),Date/Time End (UTC),Status,Source,Source Name,\
Destination DID,Duration (sec),Attempt,Disconnect Code,Response,Disconnect Initiator,Voice IN Trunk,Destination,\
Trunk Group,Capacity Group,Toll-free (USD),PSTN (USD),Metered (USD),CNAM IN (USD),Total (USD),Call ID
2026-03-02 08:50:47,2026-03-02 08:50:48,2026-03-02 08:51:42,Completed,"","",97286259413,54,1,200,Bye,Origination,\
SIP Trunk,iax:324@34234234,Trunk Group B,,0.000,0.003,0.000,0.000,0.003,def456
2026-03-03 14:23:25,"","",Failed,4,"",97286259407,0,1,404,Not Found,Origination,SIP Trunk,sip:fail@example.com,\
Trunk Group A,,0.000,0.000,0.000,0.000,0.000,
"""


def issue_18() -> list[Example]:
    jan_2022 = "2022-01-08T17:18:33Z"
    return [
        recorded("docs/fields-filters", "seed 001 (doc.didww.com/api3/2021-12-15/export/get-exports.html, the "
                                        "Fielding table lists filters)",
                 Req("GET", "/exports", query={"fields[exports]": "filters"}, auth=sdk("2021-12-15")), 200, JSONAPI,
                 {"data": [{"id": DEC_2021["id"], "type": "exports",
                            "attributes": {"filters": {"year": 2021, "month": 12}}}],
                  "meta": {"total_records": 1, "api_version": "2021-12-15"}, "links": {
                      "first": "https://api.didww.com/v3/exports?fields%5Bexports%5D=filters&page%5Bnumber%5D=1&"
                               "page%5Bsize%5D=50",
                      "last": "https://api.didww.com/v3/exports?fields%5Bexports%5D=filters&page%5Bnumber%5D=1&"
                              "page%5Bsize%5D=50"}},
                 start="2022-01-08T12:00:00Z", fixtures=tenant(DEC_2021)),
        recorded("postman/rate-limit", PM + " every collection's description, \"Rate Limits\"",
                 Req("GET", "/exports", auth=sdk("2022-05-10")), 429, JSONAPI,
                 {"errors": [{"status": "429", "detail": "Too Many Requests"}]},
                 settings={"didww_rate_limits": True, "didww_per_second": 1},
                 steps=[Call(Req("GET", "/exports", auth=sdk("2022-05-10")), 200)]),
        recorded("docs/iso-from-to", "https://doc.didww.com/api3/2026-04-16/export/create-export.html (the request "
                                     "sends ISO 8601; its get-exports page answers the space form)",
                 Req("POST", "/exports", auth=sdk(), json={"data": {"type": "exports", "attributes": {
                     "export_type": "cdr_in", "filters": {"from": "2025-12-01T00:00:00Z", "to": "2025-12-31T23:59:59Z",
                                                          "did_number": "123456789"}}}}),
                 201, JSONAPI, {"data": {"id": SDK_ID, "type": "exports", "attributes": {
                     "export_type": "cdr_in", "status": "pending", "url": None,
                     "filters": {"from": "2025-12-01 00:00:00", "to": "2025-12-31 23:59:59", "did_number": "123456789"},
                     "callback_url": None, "callback_method": None, "external_reference_id": None,
                     "created_at": "2026-01-15T12:00:00.000Z"}}, "meta": {"api_version": "2026-04-16"}},
                 start="2026-01-15T12:00:00Z"),
        Example("didww", "postman/stack-headers", PM + " 2021-12-15 Export/\"Get Exports\"/200 (recorded 2022-01-08, "
                                                   "with the docs site's Origin)",
                Req("GET", "/exports", auth={**sdk("2021-12-15"), "Origin": "https://doc.in.didww.com"}), 200, JSONAPI,
                headers={**STACK, "Access-Control-Allow-Origin": re.escape("https://doc.in.didww.com"),
                         "Access-Control-Allow-Credentials": "true",
                         "Access-Control-Allow-Methods": "GET, POST, DELETE, PUT, PATCH, OPTIONS"},
                absent_headers=("Strict-Transport-Security",), start=jan_2022, fixtures=tenant(DEC_2021)),
        Example("didww", "postman/stack-headers-on-an-error", PM + " 2021-12-15 Export/\"Get Export\"/404",
                Req("GET", f"/exports/{NOT_FOUND_ID}", auth=sdk("2021-12-15")), 404, JSONAPI, NOT_FOUND,
                headers=STACK, start=jan_2022),
        Example("didww", "postman/empty-cells-2021", PM + " 2021-12-15 Export/\"Get CSV File of Export\"/200",
                Req("GET", f"/exports/{SDK_DOWNLOAD}.csv.gz", auth={"Api-Key": KEY}), 200,
                "application/octet-stream", headers=STACK, csv_sample=CSV_2022, start=jan_2022,
                fixtures=tenant(export(None, "2022-01-01T00:00:00.000Z", "cdr_in", "completed",
                                       {"year": 2021, "month": 12}, file_id=SDK_DOWNLOAD, api_version="2021-12-15"))),
        Example("didww", "postman/empty-cells-2026", PM + " 2026-04-16 Export/\"Get CSV File of Export\" (CDR In)",
                Req("GET", f"/exports/{SDK_DOWNLOAD}.csv.gz", auth={"Api-Key": KEY}), 200,
                "application/octet-stream", csv_sample=CSV_2026, start="2026-04-02T00:00:00Z",
                fixtures=tenant(export(None, "2026-04-01T00:00:00.000Z", "cdr_in", "completed",
                                       {"from": "2026-03-01 00:00:00", "to": "2026-03-31 23:59:59"},
                                       file_id=SDK_DOWNLOAD, api_version="2026-04-16"))),
    ]


# --- Postman: every example response of the three collections -----------------------------------------------
def _made_under(created_at: str) -> str:
    """The API version an export of the recordings was created under: 2022-05-10 came out in May 2022."""
    return "2021-12-15" if created_at < "2022-05-10" else "2022-05-10" if created_at < "2026-04-16" else "2026-04-16"


def _fixture_export(resource: Mapping[str, Any], patched: bool) -> dict[str, Any]:
    """A recorded resource as a fixture export: an export made before 2026-04-16 keeps year/month (the month of
    its from, or of its creation when the version shows no filters); a patched one had no external reference."""
    a = resource["attributes"]
    version = _made_under(a["created_at"])
    filters = dict(a.get("filters") or {})
    if version < "2026-04-16" and "from" in filters:
        start = str(filters.pop("from"))
        filters.pop("to", None)
        filters = {"year": int(start[:4]), "month": int(start[5:7]), **filters}
    elif not filters:
        filters = {"year": int(a["created_at"][:4]), "month": int(a["created_at"][5:7])}
    url = a.get("url")
    return export(resource["id"], a["created_at"], a["export_type"], a["status"], filters,
                  file_id=url.rsplit("/", 1)[1].removesuffix(".csv.gz") if url else None, api_version=version,
                  callback_url=a.get("callback_url"), callback_method=a.get("callback_method"),
                  external_reference_id=None if patched else a.get("external_reference_id"))


def _file_export(file_id: str, version: str, example: str, start: str) -> dict[str, Any]:
    """The completed export behind a recorded download: of the example's type, made under the collection's version
    at midnight of the recording's day, for the month before it."""
    kind = "cdr_out" if "CDR Out" in example else "cdr_in"
    day = start[:10]
    months = int(day[:4]) * 12 + int(day[5:7]) - 2  # the month before, counted from year 0
    year, month = divmod(months, 12)
    month += 1
    filters: dict[str, Any] = {"year": year, "month": month}
    if version >= "2026-04-16":
        last = calendar.monthrange(year, month)[1]
        filters = {"from": f"{year}-{month:02d}-01 00:00:00", "to": f"{year}-{month:02d}-{last} 23:59:59"}
    return export(None, f"{day}T00:00:00.000Z", kind, "completed", filters, file_id=file_id, api_version=version)


def _accepted(version: str, item: str, code: int, media: str | None) -> dict[str, str]:
    accepted: dict[str, str] = {}
    if media == "text/csv":
        accepted["content type: text/csv recorded"] = OCTET_STREAM
        if version < "2026-04-16":
            accepted["csv header: 13 columns recorded"] = CSV_2017
    if version == "2026-04-16" and item in ("Get Export", "Get Exports", "Update Export") and code == 200:
        accepted["filters: keys ['from', 'to'] recorded"] = FILTERS_KEPT
        accepted["filters: keys ['year', 'month'] in the fake"] = FILTERS_KEPT
    return accepted


def postman_examples(file: str, version: str, collection: str) -> list[Example]:
    doc = json.loads(reference_file("didww-postman", file).read_text())
    rows = []
    for item in doc["item"]:
        for response in item["response"]:
            original = response["originalRequest"]
            url = urlsplit(original["url"]["raw"])
            path = url.path.removeprefix("/v3")
            sent = {h["key"]: (KEY if h["key"].lower() == "api-key" else h["value"])
                    for h in original.get("header", []) if not h.get("disabled")}
            raw = (original.get("body") or {}).get("raw") or ""
            request = Req(original["method"], path, auth={**sent, "X-DIDWW-API-Version": version},
                          body=raw.encode() if raw else None)
            got = {h["key"]: h["value"] for h in response.get("header") or []}
            media = next((v.split(";")[0].strip() for k, v in got.items() if k.lower() == "content-type"), None)
            start = (parsedate_to_datetime(got["Date"]).strftime("%Y-%m-%dT%H:%M:%SZ") if "Date" in got
                     else "2026-04-16T12:00:00Z")
            body: Any = MISSING
            csv_header = None
            fixtures = None
            if media == "text/csv":
                csv_header = next(csv.reader(io.StringIO(response["body"])))
                fixtures = tenant(_file_export(path.rsplit("/", 1)[1].removesuffix(".csv.gz"), version,
                                               response["name"], start))
            elif response.get("body"):
                body = json.loads(response["body"])
                data = body.get("data")
                if original["method"] in ("GET", "PATCH") and data:
                    resources = data if isinstance(data, list) else [data]
                    fixtures = tenant(*(_fixture_export(r, original["method"] == "PATCH") for r in resources))
            expected, absent = header_forms(got)
            rows.append(Example(
                "didww", f"postman-{version}/{item['name']}/{response['name']}",
                f"{PM}{collection} (Export folder; reference file didww-postman/{file}) {item['name']} > "
                f"{response['name']}", request, int(response["code"]), media, body,
                headers=expected, absent_headers=absent, csv_header=csv_header, start=start, fixtures=fixtures,
                accepted=_accepted(version, item["name"], int(response["code"]), media),
                reference=True))
    return rows


def reference_examples() -> list[Example]:
    if not all(available("didww-postman", file) for file, _, _ in COLLECTIONS):
        return [Example("didww", "postman/(reference document)", f"{PM}DIDWW API3 *.postman_collection.json (Export "
                        "folders; reference files didww-postman/exports-*.json)", Req("GET", "/exports"), 200,
                        reference=True)]
    return [row for file, version, collection in COLLECTIONS for row in postman_examples(file, version, collection)]
