"""Talkdesk Explore exchanges: the reference pages (seed 002 is "Check a report status"), the report pages' example
files, the token endpoint's pages, the published OpenAPI as generated types give it, and the Airbyte connector's
record schemas where they are the only source of a report's records."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from fakeexports.shape import Rules

from .corpus import Advance, Call, Example, Replay, Req, VendorConfig

CLIENT = "conformance"
MOUNT = "/talkdesk"

SEED = "seeds/002_c8d794c7f8c20c0f.txt (https://docs.talkdesk.com/reference/check-a-report-status)"
DOWNLOAD = "https://docs.talkdesk.com/reference/download-a-report"
TOKEN = "https://docs.talkdesk.com/reference/cc-basic"
OAUTH_ERRORS = "https://docs.talkdesk.com/reference/client-credentials-sts-token (400, 401)"
# Generated TypeScript types of Talkdesk's published OpenAPI document; the code index names no repository
# (research talkdesk.md §0 TS-spec).
TS = "[IDX:56533201702] generated DTOs of Talkdesk's OpenAPI, operation "
AB = "airbytehq/airbyte@{}:airbyte-integrations/connectors/source-talkdesk-explore/source_talkdesk_explore/"
AB_STREAMS = AB.format("0cfe786c16f67fde63cb98b3640a36458e8c54fa") + "streams.py"
CALLS_PAGE = "https://docs.talkdesk.com/docs/calls-report"

# Why an example may differ (each reason is in the README's "Known divergences").
JOB_KEYS = ("a real job (quoted in Airbyte's streams.py, 2022) has created_at and type, which the reference pages "
            "leave out; the fake writes both")
FLAT_CREATE = ("the published schema answers a flat job, but Airbyte, a GUI extractor, an Airflow DAG and a Go client "
               "all read job.id (research talkdesk.md §5.1): the fake answers the status page's {job, _links}")
ELIDED = "the connector's comment quotes the job in part (\"...\"); the status page's job has timezone and timespan"
ELIDED_LINKS = "the connector's comment quotes the job in part (\"...\"); the status page's document has _links"
PLACEHOLDER_USER = ("the page's user_id is a placeholder; a real account's user ids are 24 hex digits (a Go client's "
                    "records, [IDX:55920745784])")
NONE_TEXT = ("Airbyte's examples write \"None\" (Python's str(None)) for absent values; its schema types them "
             "nullable and a real account's are null or ids ([IDX:55920745784])")
REAL_CONTACT_KEYS = ("a real account's contacts have disconnected_by_agent and last_contact ([IDX:55920745784]), and "
                     "a client of the contacts CSV a 45th column, Data Status (Valid / Damaged) ([IDX:5875306615], "
                     "taken as data_status: INFERRED); Airbyte's schema is older")
NO_VOICEMAIL = ("time_to_voicemail \"never returns a value\" in a real account ([IDX:55920745784]): null, which "
                "Airbyte's schema allows")
OUTBOUND_CONTACT = ("the schema's one contact is an answered inbound one; the fake's first is an outbound Connected "
                    "one, with connected_at and no answered_at (nullable in the schema)")
NO_DISPOSITION = ("the page's one call has a disposition; the fake's first has none: disposition_code null (nullable "
                  "in Airbyte's schemas/calls.json), disposition_set and nested_disposition \"\" (INFERRED)")
OLD_CALL_EMPTY = ("the page's one call has every optional value; the fake's first (outbound) has no description, "
                  "disposition, IVR options, recording, survey or rating, written \"\" (INFERRED: the page shows no "
                  "null)")
OUTBOUND_MESSAGES = ("the page's two messages are inbound, without a user; the fake's first two are outbound, which "
                     "carry their agent (INFERRED)")
DONE_300 = ("the fake answers a done job 300 with a relative Location, as the Explore status page (seed 002) "
            "documents; done_status=303 gives the legacy API's answer")
LEGACY_JOB = "the legacy Reporting API (dead since 2022-12-01) answered a flat job; Explore wraps it in job"

RULES = Rules(words=frozenset({"status", "format", "type", "token_type", "version"}), hosts=("api.talkdeskapp.com",),
              mount=MOUNT)


def basic(client: str = CLIENT, secret: str = "conformance") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()}


async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    # client credentials, as tests/vendors/test_talkdesk.py gets a token (A.2)
    resp = await client.post(MOUNT + "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic())
    assert resp.status == 200, await resp.text()
    return {"Authorization": "Bearer " + (await resp.json())["access_token"]}


CONFIG = VendorConfig(RULES, auth)


def execute(kind: str = "calls", start: str = "2026-01-14T10:00:00Z", end: str = "2026-01-14T11:00:00Z",
            fmt: str = "json") -> Call:
    body = {"name": "Calls", "timezone": "UTC", "format": fmt, "timespan": {"from": start, "to": end}}
    return Call(Req("POST", f"/data/reports/{kind}/jobs", json=body), 202, save={"job": "job.id"})


DONE = Advance(60)  # 5 s created, 20 s processing, 5 s uploading: any job is done a minute later


def report(kind: str, seconds: int, start: str = "2026-01-14T10:00:00Z") -> list[Any]:
    """A finished json job over ``seconds`` from ``start``: at the fake's rate for the report (calls 40 an hour,
    user_status 48, studio_flow_execution 150, ...) that span holds as many entries as the recording."""
    end = datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return [execute(kind, start, end.strftime("%Y-%m-%dT%H:%M:%SZ")), DONE]


async def older_payload(run: Replay) -> None:
    """The conformance client's tenant setting: the interaction_id payload for its calls and explore_calls jobs."""
    resp = await run.client.post(f"/_fakeexports/tenants/talkdesk/{CLIENT}", json={"calls_payload": "interaction_id"})
    assert resp.status == 200, await resp.text()


def file(kind: str) -> Req:
    return Req("GET", f"/data/reports/{kind}/files/{{job}}")


# The job document of the reference pages (seed 002, download-a-report): they give types, not values, so its
# strings are placeholders (a string equal to its key matches any string) but for the vocabulary.
def job_document(status: str) -> dict[str, Any]:
    return {"job": {"id": "id", "name": "name", "timezone": "timezone", "status": status, "format": "json",
                    "timespan": {"from": "from", "to": "to"}},
            "_links": {"self": {"href": "http://api-docs.talkdesk.org/data/reports/:type/jobs/:id"},
                       "files": {"href": "http://api-docs.talkdesk.org/data/reports/:type/files/:id"}}}


LEGACY = "https://api.talkdeskdev.com/reports/calls/"
# Seed 002's error envelope (types only): code, message, description and fields of {name, description}.
ERROR = {"code": "code", "message": "message", "description": "description",
         "fields": [{"name": "name", "description": "description"}]}

# --- the report pages' example files -----------------------------------------------------------------
# The stored pages hide e-mail addresses ("[email protected]"); they are written as addresses here.
CALLS_NEW = {"type": "calls", "version": "v1", "entries": [{
    "call_id": "17378a31cf7546d3acb9621f29a4e883", "callsid": "CA16eb3f3ac603f3856dd91e35c573aab4",
    "type": "outbound", "start_at": "2026-04-23T10:22:26Z", "end_at": "2026-04-23T10:22:50Z",
    "talkdesk_phone_number": "+12025550102", "talkdesk_phone_display_name": "support",
    "contact_phone_number": "+12025550103", "user_id": "67b3696b5b004334e155e996", "user_name": "Jordan Smith",
    "user_email": "jordan.smith@example.com", "total_time": 24, "talk_time": 20, "wait_time": 0, "hold_time": 0,
    "abandon_time": 0, "total_ringing_time": 0, "disposition_code": "Attempting Contact", "notes": None,
    "user_voice_rating": 0, "ring_groups": "agents", "ivr_options": "", "is_in_business_hours": True,
    "is_callback_from_queue": False, "is_transfer": False, "handling_user_id": "6214d14c79c2f9152b3c5b36",
    "handling_user_name": "Sam Rivera", "handling_user_email": "sam.rivera@example.com",
    "recording_url": "https://api.example.com/calls/17378a31cf7546d3acb9621f29a4e883/recordings",
    "is_external_transfer": False, "is_if_no_answer": False, "is_call_forwarding": False, "csat_score": None,
    "csat_survey_time": "", "team_id": "005488465d0e434298375f2e9769ceb3", "team_name": "Sales Team A",
    "rating_reason": "", "agent_disconnected": "No", "data_status": "Valid", "int_custom_field_n1": None,
    "int_custom_field_n2": None, "float_custom_field_n1": None, "float_custom_field_n2": None,
    "text_custom_field_n1": None, "text_custom_field_n2": None, "text_custom_field_n3": None,
    "text_custom_field_n4": None, "timestamp_custom_field_n1": None, "disposition_set": "Outbound",
    "nested_disposition": "No Budget"}], "total": 1}
# The interaction_id payload ("valid until May 11, 2026" on an older version of the calls page; the explore_calls
# page has the same without disposition_set and nested_disposition): the fake's with calls_payload=interaction_id.
CALL_OLD = {
    "interaction_id": "74458c259bc04bf1988697e3c5623ae2", "call_type": "inbound", "start_time": "2022-06-30 16:42:24",
    "end_time": "2022-06-30 16:42:38", "talkdesk_phone_number": "+14704678413",
    "customer_phone_number": "+17753827775", "talk_time": 0.000069444446, "record": "/recordings/cads13d23123asdfa413",
    "hangup": "disconnected", "in_business_hours?": "TRUE", "callback_from_queue?": "FALSE",
    "waiting_time": 0.00005787037, "agent_speed_to_answer": 0.000046296296, "holding_time": 0.0, "rating": 2,
    "description": "They were not interested", "agent_name": "Alice Eve", "phone_display_name": "support",
    "disposition_code": "Not Interested", "transfer?": "No", "handling_agent": "Mark Jones", "tags": "agents+rg1",
    "ivr_options": "1,2,1", "csat_score": 1, "csat_survey_time": "2022-06-30 16:44:40", "team": "Team 2",
    "rating_reason": "dasdfdfsf", "agent_disconnected": "Yes"}
CALLS_OLD = {"entries": [{**CALL_OLD, "disposition_set": "Legal Outbounds",
                          "nested_disposition": "Not ready to purchase"}], "total": 1}
EXPLORE_CALLS_OLD = {"entries": [CALL_OLD], "total": 1}
# The page's example is not valid JSON (no commas after team_id and team_name); ring_groups is a string there.
USER_STATUS = {"total": 2, "type": "user_status", "version": "v1", "entries": [
    {"user_name": "Robert Sur", "user_email": "robert.sur@example.com", "user_id": "13da-3ccd-3423",
     "status_label": "Away", "status_start_at": "2016-01-29 10:30:00", "status_end_at": "2016-01-29 10:30:14",
     "status_time": 14, "is_user_active": True, "team_id": "69bd4bed944f4de99cb79736f2ca15b1",
     "team_name": "The A-Team", "ring_groups": '["rg1", "rg2"]'},
    {"user_name": "Robert Sur", "user_email": "robert.sur@example.com", "user_id": "13da-3ccd-3423",
     "status_label": "On A Call", "status_start_at": "2016-01-29 10:30:15", "status_end_at": "2016-01-29 10:31:15",
     "status_time": 60, "is_user_active": False, "team_id": "69bd4bed944f4de99cb79736f2ca15b1",
     "team_name": "The A-Team", "ring_groups": '["rg1", "rg2"]'}]}
SFE_FINISHED = "studio_flow_executions_aggregated.flow_execution_finished_time"
STUDIO_FLOW_EXECUTION = {"entries": [
    {"call_sid": "CAddaa4a68290834e94ee8d4ad072fee2f", "interaction_id": "789a975d44bf41578f2e6271457238f2",
     "destination_number": "+12222222222", "origin_number": "+13333333333", "flow_name": "flow A",
     "flow_id": "383357fb5a8244afb6dd3c92b6a80843", "component_title": "Incoming call", "step_name": "Initial step",
     "exit": "ok", "time_in_step": 1.6087963e-06, "timestamp": "2023-10-25 14:32:05",
     SFE_FINISHED: "2023-10-25 14:32:15", "step_execution_order": 0},
    {"call_sid": "CAddaa4a68290834e94ee8d4ad072fee2f", "interaction_id": "789a975d44bf41578f2e6271457238f2",
     "destination_number": "+14444444444", "origin_number": "+1555555555", "flow_name": "SG_Consecutive A&D RG->AG",
     "flow_id": "383357fb5a8244afb6dd3c92b6a80843", "component_title": "Play Audio",
     "step_name": "play audio - welcome message", "exit": "ok", "time_in_step": 8.716435e-05,
     "timestamp": "2023-10-25 14:32:05", SFE_FINISHED: "2023-10-25 14:32:15", "step_execution_order": 1}],
    "total": 2}
# The stored page stops after the first entry; "total" is INFERRED (every other Explore file has it).
MESSAGING_CONTACTS = {"entries": [{
    "channel_type": "SMS", "contact_assigned_at": "2022-08-19 07:46:11", "contact_duration": 0.0009259259,
    "contact_finished_at": "2022-08-19 07:47:31", "contact_finished_reason": "MANUALLY CLOSED",
    "contact_handle_time": "0d 0h 0m 42s", "contact_id": "dc840686-9159-43a5-94fb-54fa2b0ee83a",
    "contact_person_channel_identifier": "+13308993827", "contact_person_id": "618ccc879fe88900194d5317",
    "contact_person_name": "", "contact_started_at": "2022-08-19 07:46:11",
    "conversation": "https://demo.talkdeskapp.com/atlas/apps/conversation-history/SMS/35d4a62d02ce473b878c20a8b3a3b7ce",
    "direct_assignment_user_id": None, "direct_assignment_user": None, "direction": "Outbound",
    "disposition_name": None, "first_response_time": "0d 0h 0m 30s", "handling_queues": "agents + julie",
    "interaction_duration": 0.0009837963, "interaction_finished_at": "2022-08-19 07:47:36",
    "interaction_handle_time": "0d 0h 0m 42s", "interaction_id": "35d4a62d02ce473b878c20a8b3a3b7ce",
    "interaction_started_at": "2022-08-19 07:46:11", "interaction_status": "CLOSED", "is_virtual_agent": "NO",
    "notes": None, "queues": "agents + julie", "touchpoint_identifier": "+17742512323",
    "touchpoint_name": "xianyan test111", "transfer_out": "No", "user_id": "620f632ce8eca350158310d0",
    "user_name": "Pablo Diego", "virtual_agent_id": None, "virtual_agent_name": None,
    "wrap-up_duration": 0.00005787037}], "total": 1}
MESSAGING_TRAFFIC = {"entries": [
    {"contact_id": "f2bd0d65-3a68-4189-a322-16edbe16ef90", "channel_type": "EMAIL",
     "contact_person_id": "customer@example.com", "contact_person_name": "",
     "interaction_id": "7b8ae824abf4460f8baec54e344b1905", "message_created_at": "2022-08-22 19:49:12",
     "message_direction": "Inbound", "message_id": "da0b5b91-e7fd-488f-ae02-922a52a18e60", "user_id": None,
     "user_name": None},
    {"contact_id": "d9024365-c940-4515-a8d4-80508466c0a8", "channel_type": "EMAIL",
     "contact_person_id": "customer@example.com", "contact_person_name": "",
     "interaction_id": "fc032d083df846a7b9164a279c47a8e3", "message_created_at": "2022-08-22 18:36:06",
     "message_direction": "Inbound", "message_id": "72405c25-3e5c-4f89-bb14-f18873c83188", "user_id": None,
     "user_name": None}], "total": 49}
AUDIT_LOGS = {"entries": [{
    "actor_id": "f04f963055ef4cbeba80141f21ec1827", "generator_name": "ring-groups-api",
    "ip_addresses": ["85.240.88.175"], "operation": "read_ring_groups",
    "platform_tid": "013cce17-7603-7204-1035-638c3e371209", "resource_id": "/ring-groups",
    "operation_status": "success",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/109.0.0.0 Safari/537.36",
    "timestamp": "2023-02-10 17:07:22.809", "user_id": "123456789ID", "agent_name": "Jonh Doe",
    "agent_email": "jonh.doe@example.com"}], "total": 1}

# --- a client of the contacts CSV ([IDX:5875306615]) ---------------------------------------------------
# Its 45 column titles, "Interaction ID" ... "Last Contact (Yes / No)", "Data Status (Valid / Damaged)", written here as
# the keys Airbyte's schema and a real account's records ([IDX:55920745784]) give the first 44, in its order; the
# 45th, "Data Status", as data_status (the calls payload's key). The mapping from titles to keys is INFERRED.
CONTACTS_COLUMNS = (
    "interaction_id", "contact_id", "company_number", "phone_display_name", "contact_person_number",
    "external_phone_number", "direction", "contact_type", "started_at", "wait_time", "time_to_missed", "abandon_time",
    "short_abandon_time", "time_to_voicemail", "ring_time", "connect_time", "answered_at", "connected_at", "talk_time",
    "hard_hold_time", "soft_hold_time", "hold_time", "after_call_work_time", "finished_at", "duration", "handle_time",
    "inside_business_hours", "inside_service_level", "within_service_level_threshold", "transfer_out",
    "transfer_out_type", "transfer_in", "transfer_in_type", "callback", "ring_groups", "user_name",
    "direct_assignment_user", "team_name", "user_id", "direct_assignment_ids", "team_id", "handling_ring_groups",
    "disconnected_by_agent", "last_contact", "data_status")

# --- the Airbyte connector's record schemas (the only source of these two reports' records) -----------
# Each property's "examples" value; the connector reads the file's entries only.
CONTACT = {
    "interaction_id": "9a7c39081c3a4606b82462a092a6c2e1", "contact_id": "a1ea1e41d2cb1d85d184fc0c1f9c1462",
    "company_number": "+345345345", "phone_display_name": "Phone neame - Caller", "contact_person_number": "+4343434",
    "external_phone_number": "None", "direction": "IN", "contact_type": "Answered", "started_at": "2022-01-19 09:59:42",
    "wait_time": 29, "time_to_missed": 0, "abandon_time": 0, "short_abandon_time": 0, "time_to_voicemail": 0,
    "ring_time": 27, "connect_time": 0, "answered_at": "2022-01-19 10:00:12", "connected_at": "2022-01-19 10:00:12",
    "talk_time": 268, "hard_hold_time": 0, "soft_hold_time": 0, "hold_time": 0, "after_call_work_time": 30,
    "finished_at": "2022-01-19 10:05:11", "duration": 328, "handle_time": 228, "inside_business_hours": "Yes",
    "inside_service_level": "Yes", "within_service_level_threshold": "Yes", "transfer_out": "No",
    "transfer_out_type": "None", "transfer_in": "No", "transfer_in_type": "None", "callback": "None",
    "ring_groups": "cs_storyous_cz", "user_name": "The User", "direct_assignment_user": "None", "team_name": "None",
    "user_id": "618255e0fba4741asad4fsdf", "direct_assignment_ids": "None", "team_id": "None",
    "handling_ring_groups": "awesome_ring_group"}
RING_ATTEMPT = {
    "interaction_id": "a1428598ddce4554af93d7b163a67d2f", "contact_id": "2a003e24939d3523a54ddc028c005672",
    "batch_ring_id": "520dbf1887a44ce095ec52467abf799e", "ring_attempt_id": "1ca68b85ae9c4f84d3630310f25c98b44510021f",
    "attempt_type": "Ignored", "ring_started_at_time": "2022-01-19 09:54:52",
    "ring_finished_at_time": "2022-01-19 09:54:52", "ring_attempt_duration": 20, "user_name": "The Unicorn",
    "user_email": "unicorn@talkdesk.com", "team_name": "None"}


def examples() -> list[Example]:
    status = Req("GET", "/data/reports/calls/jobs/{job}")
    unknown = "/data/reports/calls/jobs/00000000-0000-4000-8000-000000000000"
    span = {"from": "2026-01-14T10:00:00Z", "to": "2026-01-14T11:00:00Z"}
    create = Req("POST", "/data/reports/calls/jobs", json={"name": "Calls", "timezone": "UTC", "format": "json",
                                                            "timespan": span})
    job_keys = {"keys ['type', 'created_at'] in the fake": JOB_KEYS}
    return [
        # The token endpoint (client credentials) and its OAuth errors.
        Example("talkdesk", "ref/token", TOKEN + " 200",
                Req("POST", "/oauth/token", form={"grant_type": "client_credentials"}, auth=basic()), 200,
                "application/json",
                # expires_in: an integer (the page gives no value)
                {"access_token": "access_token", "token_type": "Bearer", "expires_in": 600, "scope": "scope"}),
        Example("talkdesk", "ref/token-no-client", OAUTH_ERRORS,
                Req("POST", "/oauth/token", form={"grant_type": "client_credentials"}, auth=None), 401,
                "application/json", {"error": "error", "error_description": "error_description"}),
        Example("talkdesk", "ref/token-no-grant", OAUTH_ERRORS,
                Req("POST", "/oauth/token", form={"scope": "data-reports:read"}, auth=basic()), 400,
                "application/json", {"error": "error", "error_description": "error_description"}),
        # Create: 202 with the job document, which real clients read (job.id); the published schema is flat.
        Example("talkdesk", "ref/execute-report", "https://docs.talkdesk.com/reference/execute-a-report (202, "
                "vendors/talkdesk.md A.4) with the job document of " + SEED, create, 202, "application/json",
                job_document("created"), accepted=job_keys),
        Example("talkdesk", "ts/execute-report", TS + "data-reports-type-jobs-post", create, 202, "application/json",
                {"id": "id", "name": "name", "timezone": "timezone", "status": "created", "format": "json",
                 "timespan": {"from": "from", "to": "to"}},
                accepted={"(body): keys ['id', 'name', 'timezone', 'status', 'format', 'timespan'] recorded":
                          FLAT_CREATE, "(body): keys ['job', '_links'] in the fake": FLAT_CREATE}),
        # Seed 002: the job status while the job runs, and once it is done (300 and a relative Location).
        Example("talkdesk", "seed/status-created", SEED + " 200", status, 200, "application/json",
                job_document("created"), steps=[execute()], accepted=job_keys),
        Example("talkdesk", "seed/status-done", SEED + " 300", status, 300, "application/json", job_document("done"),
                # the page's relative Location, under the fake's mount
                headers={"Location": r"(/talkdesk)?/data/reports/calls/files/[0-9a-f-]{36}"},
                steps=[execute(), DONE], accepted=job_keys),
        Example("talkdesk", "seed/status-invalid-type", SEED + " 400",
                Req("GET", "/data/reports/no_such_report/jobs/00000000-0000-4000-8000-000000000000"), 400,
                "application/json", ERROR),
        Example("talkdesk", "seed/status-unauthorized", SEED + " 401", Req("GET", unknown, auth=None), 401,
                "application/json", {**ERROR, "fields": []}),
        Example("talkdesk", "seed/status-not-found", SEED + " 404", Req("GET", unknown), 404, "application/json",
                {**ERROR, "fields": []}),
        # A real job that is not ready yet, as the Airbyte connector's comment quotes it (2022-01-13).
        Example("talkdesk", "airbyte/job-processing", AB_STREAMS + " (ReadReportStream.should_retry: a job that is "
                "not ready)", status, 200, "application/json",
                {"job": {"id": "369f88a5-d5a3-42c6-a135-8aec4215553e", "name": "Calls",
                         "created_at": "2022-01-13T10:17:15", "status": "processing", "type": "calls",
                         "format": "json"}},
                steps=[execute(start="2022-01-12T00:00:00Z", end="2022-01-13T00:00:00Z"), Advance(10)],
                start="2022-01-13T10:17:15Z",
                accepted={"(body): keys ['_links'] in the fake": ELIDED_LINKS,
                          "job: keys ['timezone', 'timespan'] in the fake": ELIDED}),
        # The legacy Reporting API's done job (303, flat): the fake answers as Explore does.
        Example("talkdesk", "legacy/status-done", "https://docs.talkdesk.com/docs/checking-a-report-job-status (the "
                "Reporting API: 303 once done, the body unchanged but for status)", status, 303, "application/json",
                {"id": "57add63204c799583700028e", "status": "done",
                 "timespan": {"from": "2016-07-29 00:00:00 UTC", "to": "2016-07-29 23:59:59 UTC"},
                 "_links": {"self": {"href": LEGACY + "jobs/57add63204c799583700028e"},
                            "files": {"href": LEGACY + "files/57add63204c799583700028e"}}},
                headers={"Location": r"\S*/reports/calls/files/\S+"}, steps=[execute(), DONE],
                accepted={"status: 303 recorded, 300 in the fake": DONE_300,
                          "(body): keys ['id', 'status', 'timespan'] recorded": LEGACY_JOB,
                          "(body): keys ['job'] in the fake": LEGACY_JOB}),
        # The download: 200 with the job while it is not done, then 303 to the file with the job in the body.
        Example("talkdesk", "ref/download-not-done", DOWNLOAD + " 200 (report job execution result)", file("calls"),
                200, "application/json", job_document("processing"), absent_headers=("Location",),
                steps=[execute(), Advance(10)], accepted=job_keys),
        Example("talkdesk", "ref/download", DOWNLOAD + " 303", file("calls"), 303, "application/json",
                job_document("done"), headers={"Location": r"https?://.+"}, steps=[execute(), DONE],
                accepted=job_keys),
        # The files behind it (json): the report pages' examples, then Airbyte's schemas.
        # calls: the call_id payload by default, on the default clock (2026-01-15) as on any date (issue 18).
        Example("talkdesk", "file/calls", CALLS_PAGE + " (its current example), the payload the Reporting API's sample "
                "file (https://docs.talkdesk.com/docs/downloading-a-report-file), Airbyte's Calls stream (call_id, "
                "end_at: " + AB_STREAMS + ") and a real account's client ([IDX:55920745784]) show",
                file("calls"), 200, "application/json", CALLS_NEW, follow=True, steps=report("calls", 90),
                accepted={"disposition_code: text 'Attempting Contact' recorded, null": NO_DISPOSITION,
                          "recorded, empty '' in the fake": NO_DISPOSITION}),
        Example("talkdesk", "file/calls-interaction_id", CALLS_PAGE + " (older version: the payload \"valid until "
                "May 11, 2026\"), with the option calls_payload=interaction_id", file("calls"), 200,
                "application/json", CALLS_OLD, follow=True, steps=report("calls", 90),
                settings={"talkdesk_calls_payload": "interaction_id"},
                accepted={"recorded, empty '' in the fake": OLD_CALL_EMPTY}),
        Example("talkdesk", "file/explore_calls-interaction_id", "https://docs.talkdesk.com/docs/explore-calls-report "
                "(the payload \"valid until May 11, 2026\"), with the client's setting calls_payload=interaction_id",
                file("explore_calls"), 200, "application/json", EXPLORE_CALLS_OLD, follow=True,
                steps=[older_payload, *report("explore_calls", 90)],
                accepted={"recorded, empty '' in the fake": OLD_CALL_EMPTY}),
        Example("talkdesk", "file/user_status", "https://docs.talkdesk.com/docs/user-status-explore",
                file("user_status"), 200, "application/json", USER_STATUS, follow=True,
                steps=report("user_status", 150),
                accepted={"user_id: text '13da-3ccd-3423' recorded": PLACEHOLDER_USER}),
        Example("talkdesk", "file/studio_flow_execution", "https://docs.talkdesk.com/docs/studio-flow-execution-report",
                file("studio_flow_execution"), 200, "application/json", STUDIO_FLOW_EXECUTION, follow=True,
                steps=report("studio_flow_execution", 48)),
        Example("talkdesk", "file/messaging_contacts", "https://docs.talkdesk.com/docs/messaging-contacts-report "
                "(its first entry)", file("messaging_contacts"), 200, "application/json", MESSAGING_CONTACTS,
                follow=True, steps=report("messaging_contacts", 360)),
        Example("talkdesk", "file/messaging_traffic", "https://docs.talkdesk.com/docs/messaging-traffic-report",
                file("messaging_traffic"), 200, "application/json", MESSAGING_TRAFFIC, follow=True,
                steps=report("messaging_traffic", 180),
                accepted={"user_id: null recorded": OUTBOUND_MESSAGES, "user_name: null recorded": OUTBOUND_MESSAGES}),
        Example("talkdesk", "file/audit_logs", "https://docs.talkdesk.com/docs/audit-logs-report", file("audit_logs"),
                200, "application/json", AUDIT_LOGS, follow=True, steps=report("audit_logs", 240),
                accepted={"user_id: text '123456789ID' recorded": PLACEHOLDER_USER}),
        Example("talkdesk", "airbyte/contacts", AB.format("c4984c93beba055dabeea7f406d3466dfbccd7f9")
                + "schemas/contacts.json (examples)", file("contacts"), 200, "application/json",
                {"entries": [CONTACT], "total": 1}, follow=True, steps=report("contacts", 90),
                accepted={"keys ['disconnected_by_agent', 'last_contact', 'data_status'] in the fake":
                          REAL_CONTACT_KEYS,
                          "text 'None' recorded": NONE_TEXT,
                          "time_to_voicemail: integer 0 recorded, null": NO_VOICEMAIL,
                          "answered_at: datetime-space(naive) '2022-01-19 10:00:12' recorded, null": OUTBOUND_CONTACT,
                          "user_id: text '618255e0fba4741asad4fsdf' recorded": PLACEHOLDER_USER}),
        Example("talkdesk", "client/contacts-csv", "[IDX:5875306615] a public client of the contacts CSV (its 45 "
                "column titles; their keys INFERRED)", file("contacts"), 200, "text/csv", follow=True,
                csv_header=CONTACTS_COLUMNS, steps=[execute("contacts", fmt="csv"), DONE]),
        Example("talkdesk", "airbyte/ring_attempts", AB.format("3007cbccb413aa46864754760ef0d2303fbd9f86")
                + "schemas/ring_attempts.json (examples)", file("ring_attempts"), 200, "application/json",
                {"entries": [RING_ATTEMPT], "total": 1}, follow=True, steps=report("ring_attempts", 45)),
        # The list (the published document's keys: no page counters) and the file's delete (no success body
        # is published: 204 INFERRED).
        Example("talkdesk", "ts/list-jobs", TS + "data-reports-type-jobs-get", Req("GET", "/data/reports/calls/jobs"),
                200, "application/json",
                {"total": 1, "count": 1, "_embedded": {"jobs": [{
                    "id": "id", "name": "name", "timezone": "timezone", "status": "created", "format": "json",
                    "timespan": {"from": "from", "to": "to"},
                    "_links": {"self": {"href": "href"}, "files": {"href": "href"}}}]},
                 "_links": {"self": {"href": "href"}}},
                steps=[execute()], accepted=job_keys),
        Example("talkdesk", "ts/delete-file", TS + "data-reports-type-files-id-delete (no success body) and a Go "
                "client's reportsDelete (DELETE data/reports/{type}/files/{id}, [IDX:56053681033])",
                Req("DELETE", "/data/reports/calls/files/{job}"), 204, steps=[execute(), DONE]),
    ]
