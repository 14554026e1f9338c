"""Twilio Bulk Exports exchanges: twilio-python's own integration fixtures, real answers a developer recorded
with curl and the CLI, Twilio's docs, and (when FAKEEXPORTS_REFERENCE_DIR holds it) every response example of
Twilio's OpenAPI document."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp.test_utils import TestClient

from fakeexports.shape import Rules
from tests.reference import available, reference_file

from .corpus import Advance, Call, Example, Replay, Req, VendorConfig

ACCOUNT = "AC" + "1" * 32

PY = "twilio/twilio-python@598a020:tests/integration/bulkexports/v1/"
TF = "tigerfarm/work@388d561:twiliocli/README.md"
OAI = "twilio/twilio-oai@d50069b:spec/json/twilio_bulkexports_v1.json (FAKEEXPORTS_REFERENCE_DIR)"

# Why an example may differ (each reason is in the README's "Known divergences").
SDK_PLACEHOLDER_DETAILS = "the SDK fixtures write details as {}; real answers and Twilio's spec have an array"
EMPTY_WEBHOOK = ("Twilio's examples write unset webhook fields as \"\", its own schema declares a nullable uri: "
                 "the fake answers null (issue 8)")
LINKS_2025 = "links.export_custom_jobs and links.jobs were added in 2025 (twilio-oai ef3ca5d); the fixture is older"
FIELDS_2021 = "job_queue_position and estimated_completion_time came in 2021 (twilio-python 68acfd5); this is 2020"
REAL_CREATE_DETAILS = "two real creates (2020, 2022) answered details null; the spec's example has an array"
NULL_RESOURCE_TYPE = ("a 2020 answer had resource_type null; Twilio's spec examples and a 2022 answer have it, "
                      "so the fake fills it")

RULES = Rules(words=frozenset({"key", "status", "resource_type", "webhook_method"}), hosts=("bulkexports.twilio.com",),
              mount="/twilio")


async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:conformance".encode()).decode()}


CONFIG = VendorConfig(RULES, auth)
JOBS = "/v1/Exports/Messages/Jobs"
DAYS = "/v1/Exports/Messages/Days"


def create_job(start: str = "2026-01-05", end: str = "2026-01-05", **form: str) -> Call:
    return Call(Req("POST", JOBS, form={"StartDay": start, "EndDay": end, "FriendlyName": "friendly_name", **form}),
                201, save={"job": "job_sid"})


FINISHED = Advance(3600)
OLD_401 = ("the 2018 body had detail; the answers of today have none (a live curl, Twilio support): the fake serves "
           "today's (issue 18)")
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers")


async def force_empty(replay: Replay) -> None:
    """The job created by the step before finishes with no records from now on (CompletedEmptyRecords)."""
    resp = await replay.client.post(f"/_fakeexports/jobs/twilio/{replay.saved['job']}/force",
                                     json={"status": "CompletedEmptyRecords"})
    assert resp.status == 200, await resp.text()  # 60 s queued and 30 s a day: any job here is done an hour later

LIST_META = {"previous_page_url": None, "url": "https://bulkexports.twilio.com/v1/Exports/Messages/Jobs?PageSize=50&Page=0",
             "page_size": 50, "key": "jobs", "next_page_url": None, "page": 0,
             "first_page_url": "https://bulkexports.twilio.com/v1/Exports/Messages/Jobs?PageSize=50&Page=0"}
DAYS_META = {"page": 0, "page_size": 50, "previous_page_url": None, "next_page_url": None, "key": "days",
             "first_page_url": "https://bulkexports.twilio.com/v1/Exports/Messages/Days?PageSize=50&Page=0",
             "url": "https://bulkexports.twilio.com/v1/Exports/Messages/Days?PageSize=50&Page=0"}
SDK_JOB = {"start_day": "start_day", "job_sid": "JSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "friendly_name": "friendly_name",
           "webhook_method": "webhook_method", "details": {}, "end_day": "end_day", "webhook_url": "webhook_url",
           "email": "email", "resource_type": "resource_type", "job_queue_position": "1",
           "estimated_completion_time": "2021-03-15T20:20:14.547"}
SDK_CONFIG = {"url": "https://bulkexports.twilio.com/v1/Exports/Messages/Configuration", "enabled": True,
              "webhook_url": "", "webhook_method": "", "resource_type": "Messages"}
DOUBLE_EMPTY = {"webhook_url: empty '' recorded": EMPTY_WEBHOOK, "webhook_method: empty '' recorded": EMPTY_WEBHOOK}

# Two real lines of a Messages day file (TF, 2020-07-26; account sids redacted there, written whole here).
MESSAGE_LINES = [
    {"status": "delivered", "account_sid": "AC" + "a" * 32, "from": "+16505551111", "to": "+16505552222",
     "body": "+16505551111 : Hey there... do you want to try?", "num_segments": 1, "date_sent": "2020-07-26T22:21:20Z",
     "date_updated": "2020-07-26T22:21:20Z", "price": "-0.00750", "date_created": "2020-07-26T22:21:20Z",
     "error_code": 0, "sid": "SM21f63b5f7629f4b69cd079b5c5225dcb", "flags": 65618, "messaging_service_sid": None,
     "direction": "outbound-reply", "start": "2020-07-26", "num_media": 0},
    {"status": "received", "account_sid": "AC" + "a" * 32, "from": "+16505551111", "to": "+16505552222",
     "body": "Hey there... do you want to try?", "num_segments": 1, "date_sent": "2020-07-26T22:21:20Z",
     "date_updated": "2020-07-26T22:21:20Z", "price": "-0.00750", "date_created": "2020-07-26T22:21:20Z",
     "error_code": 0, "sid": "SM4ff301c8b05cbfd0ff415473190fd6f1", "flags": 17,
     # The docs' sample line has a messaging service: the field is a sid or null
     # (https://www.twilio.com/docs/usage/bulkexport/day).
     "messaging_service_sid": "MG1ef70550624e8b354860a98d787ee1f1", "direction": "inbound", "start": "2020-07-26",
     "num_media": 0},
]


def examples() -> list[Example]:
    rows = [
        Example("twilio", "sdk/fetch-export", PY + "test_export.py::test_fetch_response",
                Req("GET", "/v1/Exports/Messages"), 200, "application/json",
                {"resource_type": "Messages", "url": "https://bulkexports.twilio.com/v1/Exports/Messages",
                 "links": {"days": "https://bulkexports.twilio.com/v1/Exports/Messages/Days"}},
                accepted={"keys ['export_custom_jobs', 'jobs'] in the fake": LINKS_2025}),
        Example("twilio", "sdk/fetch-configuration", PY + "test_export_configuration.py::test_fetch_response",
                Req("GET", "/v1/Exports/Messages/Configuration"), 200, "application/json", SDK_CONFIG,
                accepted=DOUBLE_EMPTY),
        Example("twilio", "sdk/update-configuration", PY + "test_export_configuration.py::test_update_response",
                Req("POST", "/v1/Exports/Messages/Configuration", form={"Enabled": "true"}), 200, "application/json",
                SDK_CONFIG, accepted=DOUBLE_EMPTY),
        Example("twilio", "sdk/list-jobs-empty", PY + "export/test_export_custom_job.py::test_read_empty_response",
                Req("GET", JOBS), 200, "application/json", {"meta": LIST_META, "jobs": []}),
        Example("twilio", "sdk/list-jobs-full", PY + "export/test_export_custom_job.py::test_read_full_response",
                Req("GET", JOBS), 200, "application/json", {"meta": LIST_META, "jobs": [SDK_JOB]},
                steps=[create_job()], accepted={"details: object recorded, array": SDK_PLACEHOLDER_DETAILS}),
        Example("twilio", "sdk/create-job", PY + "export/test_export_custom_job.py::test_create_response",
                Req("POST", JOBS, form={"StartDay": "2026-01-05", "EndDay": "2026-01-06",
                                        "FriendlyName": "friendly_name"}),
                201, "application/json", SDK_JOB, accepted={"details: object recorded": SDK_PLACEHOLDER_DETAILS}),
        Example("twilio", "sdk/fetch-job", PY + "export/test_job.py::test_fetch_response",
                Req("GET", "/v1/Exports/Jobs/{job}"), 200, "application/json",
                {**SDK_JOB, "url": "https://bulkexports.twilio.com/v1/Exports/Jobs/JSaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "webhook_url": "https://webhookexample.com"},
                steps=[create_job(WebhookUrl="https://webhookexample.com", WebhookMethod="POST")],
                accepted={"details: object recorded": SDK_PLACEHOLDER_DETAILS}),
        Example("twilio", "sdk/delete-job", PY + "export/test_job.py::test_delete_response",
                Req("DELETE", "/v1/Exports/Jobs/{job}"), 204, steps=[create_job()]),
        Example("twilio", "sdk/fetch-day", PY + "export/test_day.py::test_fetch_response",
                Req("GET", DAYS + "/2026-01-05"), 200, "application/json", {"redirect_to": "https://www.twilio.com"},
                steps=[create_job(), FINISHED],
                accepted={"status: 200 recorded, 307": "the SDK fixture mocks a 200; Twilio's spec declares 307 and "
                                                       "real answers are 307 (twilio/twilio-python#531)"}),
        Example("twilio", "sdk/list-days-empty", PY + "export/test_day.py::test_read_empty_response",
                Req("GET", DAYS), 200, "application/json", {"days": [], "meta": DAYS_META}),
        Example("twilio", "sdk/list-days-full", PY + "export/test_day.py::test_read_full_response",
                Req("GET", DAYS), 200, "application/json",
                {"days": [{"day": "2017-04-01", "size": 100, "resource_type": "Messages", "create_date": "2017-04-02",
                           "friendly_name": "friendly_name"}], "meta": DAYS_META},
                steps=[create_job(), FINISHED]),
        # Real answers (2020 and 2022) recorded by a Twilio developer.
        Example("twilio", "real/create-2020", TF + " (BulkExport using cURL: create a job)",
                Req("POST", JOBS, form={"StartDay": "2020-07-01", "EndDay": "2020-07-27", "FriendlyName": "ExportJuly27",
                                        "Email": "dave@example.com", "WebhookMethod": "GET",
                                        "WebhookUrl": "http://www.example.com/echo"}),
                201, "application/json",
                {"start_day": "2020-07-01", "job_sid": "JS1dca2e0dfb7815c1fea2362d9f61c16c",
                 "friendly_name": "ExportJuly27", "webhook_method": "GET", "details": None, "end_day": "2020-07-27",
                 "webhook_url": "http://www.example.com/echo", "email": "dthurston@twilio.com", "resource_type": None},
                start="2020-07-29T18:00:00Z",
                accepted={"keys ['job_queue_position', 'estimated_completion_time'] in the fake": FIELDS_2021,
                          "resource_type: null recorded": NULL_RESOURCE_TYPE}),
        Example("twilio", "real/create-2022", TF + " (a create listed by the CLI, 2022-09: Details null, "
                                                   "Job Queue Position 2)",
                Req("POST", "/v1/Exports/Calls/Jobs", form={"StartDay": "2022-09-07", "EndDay": "2022-09-07",
                                                            "FriendlyName": "ExportJobs", "WebhookMethod": "GET",
                                                            "WebhookUrl": "https://example.com/ExportJob2"}),
                201, "application/json",
                {"details": None, "email": None, "end_day": "2022-09-07",
                 "estimated_completion_time": "2022-09-10T00:13:27.977", "friendly_name": "ExportJobs",
                 "job_queue_position": "2", "job_sid": "JSe1134e3eb0586e268fa340af53673b53", "resource_type": "Calls",
                 "start_day": "2022-09-07", "webhook_method": "GET", "webhook_url": "https://example.com/ExportJob2"},
                steps=[Call(Req("POST", "/v1/Exports/Calls/Jobs", form={"StartDay": "2022-09-01", "EndDay": "2022-09-02",
                                                                        "FriendlyName": "ahead"}), 201)],
                start="2022-09-09T18:00:00Z"),
        Example("twilio", "real/fetch-2020", TF + " (BulkExport using cURL: get job information)",
                Req("GET", "/v1/Exports/Jobs/{job}"), 200, "application/json",
                {"job_sid": "JS1dca2e0dfb7815c1fea2362d9f61c16c", "start_day": "2020-07-01", "end_day": "2020-07-27",
                 "url": "https://bulkexports.twilio.com/v1/Exports/Jobs/JS1dca2e0dfb7815c1fea2362d9f61c16c",
                 "friendly_name": "ExportJuly27", "webhook_method": "GET", "webhook_url": "http://www.example.com/echo",
                 "email": "dave@example.com", "resource_type": "Messages",
                 "details": [{"status": "Submitted", "count": 27, "days": None}]},
                steps=[create_job("2020-07-01", "2020-07-27", Email="dave@example.com", WebhookMethod="GET",
                                  WebhookUrl="http://www.example.com/echo")],
                start="2020-07-29T18:00:00Z",
                accepted={"keys ['job_queue_position', 'estimated_completion_time'] in the fake": FIELDS_2021}),
        Example("twilio", "real/list-days-trailing-slash", TF + " (a job's information that is processing days)",
                Req("GET", DAYS + "/"), 200, "application/json",
                {"meta": DAYS_META, "days": [{"friendly_name": "ExportJuly27b", "create_date": "2020-07-27",
                                              "day": "2020-07-01", "resource_type": None, "size": 750}]},
                steps=[create_job("2020-07-01", "2020-07-01"), FINISHED], start="2020-07-27T18:00:00Z",
                accepted={"resource_type: null recorded": NULL_RESOURCE_TYPE}),
        Example("twilio", "real/list-days-page-size", TF + " (Days?PageSize=20, no days yet)",
                Req("GET", DAYS, query={"PageSize": "20"}), 200, "application/json",
                {"meta": {**DAYS_META, "page_size": 20,
                          "first_page_url": "https://bulkexports.twilio.com/v1/Exports/Messages/Days?PageSize=20&Page=0",
                          "url": "https://bulkexports.twilio.com/v1/Exports/Messages/Days?PageSize=20&Page=0"},
                 "days": []}),
        Example("twilio", "real/fetch-day", TF + " (information for a specific job report day)",
                Req("GET", DAYS + "/2026-01-05"), 307, "application/json",
                {"redirect_to": "https://com-twilio-prod-exports.s3.amazonaws.com/daily/day%3D2020-07-26/"
                                "type%3DMessages/account%3DACa/x"},
                headers={"Location": r"https?://.+"}, steps=[create_job(), FINISHED]),
        Example("twilio", "real/messages-file", TF + " (two lines of a Messages file) and "
                                                     "https://www.twilio.com/docs/usage/bulkexport/day",
                Req("GET", DAYS + "/2026-01-05"), 200, "application/octet-stream", lines=MESSAGE_LINES, follow=True,
                steps=[create_job(), FINISHED]),
        Example("twilio", "real/not-found", "https://github.com/TwilioDevEd/sdk-starter-ruby/issues/4 (a product "
                                            "API 404) and Twilio-Request-Id in twilio/twilio-cli#173",
                Req("GET", "/v1/Exports/Jobs/JS" + "0" * 32), 404, "application/json",
                {"code": 20404, "message": "The requested resource /Sync/Services was not found",
                 "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404},
                headers={"Twilio-Request-Id": r"RQ[0-9a-f]{32}"}),
        # Issue 18 (third audit): what Twilio answers now.
        Example("twilio", "real/no-credentials", "a live unauthenticated curl of api.twilio.com quoted in public audit "
                                                 "notes (vendors/twilio.md, Findings of 2026-12-07)",
                Req("GET", JOBS, auth=None), 401, "application/json",
                {"code": 20003, "message": "Authentication Error - No credentials provided",
                 "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401},
                headers={"Twilio-Request-Id": r"RQ[0-9a-f]{32}"}),
        Example("twilio", "real/bad-credentials", "https://support.twilio.com/hc/en-us/articles/50301225354651",
                Req("GET", JOBS, auth={"Authorization": "Basic " + base64.b64encode(b"nobody:x").decode()}), 401,
                "application/json",
                {"code": 20003, "message": "Authentication Error - invalid username",
                 "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}),
        Example("twilio", "real/unauthorized-2018", "vendors/twilio.md A6 (an observed 401 body)",
                Req("GET", JOBS, auth={"Authorization": "Basic " + base64.b64encode(b"nobody:x").decode()}), 401,
                "application/json",
                {"code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.",
                 "message": "Authentication Error - No credentials provided",
                 "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401},
                headers={"Twilio-Request-Id": r"RQ[0-9a-f]{32}"},
                accepted={"keys ['detail'] recorded": OLD_401}),
        Example("twilio", "real/platform-headers", "keploy/samples-python fastapi-twilio (a 2023 recording) and "
                                                   "twilio-python logs of 2025-11 and 2026-04; "
                                                   "https://www.twilio.com/docs/api/errors/45780",
                Req("GET", JOBS), 200, "application/json",
                headers={"Twilio-Concurrent-Requests": r"[1-9][0-9]*", "Twilio-Request-Duration": r"[0-9]+\.[0-9]{3}",
                         "Twilio-Request-Id": r"RQ[0-9a-f]{32}", "Vary": "Origin"},
                absent_headers=CORS_HEADERS),
        Example("twilio", "real/platform-headers-on-an-error", "keploy/samples-python fastapi-twilio (a 400, 2023)",
                Req("POST", JOBS, form={"StartDay": "2026-01-05"}), 400, "application/json",
                headers={"Twilio-Concurrent-Requests": r"[1-9][0-9]*", "Twilio-Request-Duration": r"[0-9]+\.[0-9]{3}"}),
        Example("twilio", "docs/cors-for-an-origin", OAI.replace(" (FAKEEXPORTS_REFERENCE_DIR)", "") + " (every "
                "operation's headers); values as recorded 2016-2023 (a tigerfarm/arduino sample, keploy 2023)",
                Req("GET", JOBS, headers={"Origin": "https://app.example.com"}), 200, "application/json",
                headers={"Access-Control-Allow-Origin": r"\*", "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                         "Access-Control-Allow-Headers": r"Accept, Authorization, Content-Type, .*",
                         "Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": "ETag"}),
        Example("twilio", "docs/empty-day-fetchable", "https://www.twilio.com/docs/usage/bulkexport/job "
                "(CompletedEmptyRecords: \"An empty file will be available at the Day endpoint\")",
                Req("GET", DAYS + "/2026-01-05"), 307, "application/json", {"redirect_to": "https://www.twilio.com"},
                headers={"Location": r"https?://.+"},
                steps=[create_job(), Advance(60), force_empty, FINISHED]),
    ]
    return rows + reference_examples()


# Every response example of Twilio's own OpenAPI document, with the request and state that produce it.
OAI_CASES: dict[tuple[str, str], tuple[Req, list[Any]]] = {
    ("FetchDay", "fetch"): (Req("GET", DAYS + "/2026-01-05"), [create_job(), FINISHED]),
    ("ListDay", "readEmpty"): (Req("GET", DAYS), []),
    ("ListDay", "readFull"): (Req("GET", DAYS), [create_job(), FINISHED]),
    ("FetchExport", "fetch"): (Req("GET", "/v1/Exports/Messages"), []),
    ("FetchExportConfiguration", "fetch"): (Req("GET", "/v1/Exports/Messages/Configuration"), []),
    ("UpdateExportConfiguration", "update"): (Req("POST", "/v1/Exports/Messages/Configuration",
                                                  form={"Enabled": "true"}), []),
    ("ListExportCustomJob", "readEmpty"): (Req("GET", JOBS), []),
    ("ListExportCustomJob", "readFull"): (Req("GET", JOBS), [create_job()]),
    ("CreateExportCustomJob", "create"): (Req("POST", JOBS, form={"StartDay": "2026-01-05", "EndDay": "2026-01-06",
                                                                  "FriendlyName": "friendly_name"}), []),
    ("FetchJob", "fetch"): (Req("GET", "/v1/Exports/Jobs/{job}"),
                            [create_job(WebhookUrl="https://webhookexample.com", WebhookMethod="POST")]),
}


def reference_examples() -> list[Example]:
    if not available("twilio_bulkexports_v1.json"):
        return [Example("twilio", "oai/(reference document)", OAI, Req("GET", JOBS), 200, reference=True)]
    doc = json.loads(reference_file("twilio_bulkexports_v1.json").read_text())
    rows = []
    for item in doc["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for code, response in op["responses"].items():
                for media, content in (response.get("content") or {}).items():
                    for name, example in (content.get("examples") or {}).items():
                        req, steps = OAI_CASES[(op["operationId"], name)]
                        accepted = DOUBLE_EMPTY if "Configuration" in op["operationId"] else (
                            {"details: array recorded, null": REAL_CREATE_DETAILS} if name == "create" else {})
                        rows.append(Example("twilio", f"oai/{op['operationId']}/{name}", f"{OAI} {op['operationId']}"
                                            f" {code} {name}", req, int(code), media, example["value"],
                                            steps=steps, accepted=accepted, reference=True))
    return rows
