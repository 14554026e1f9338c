"""Talkdesk Explore records: for every report type the fields, their order and JSON types, the vocabulary and the
times are those of the research notes (/tmp/research/talkdesk.md, section numbers below are its; source tags as in
the legend of fakeexports/vendors/talkdesk/records.py); the same inputs give the same records. calls and explore_calls have
two payloads (call_id, the default, and interaction_id), chosen, never dated."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise
from typing import Any

import pytest

from fakeexports.files import Pools
from fakeexports.vendors.talkdesk import records as td

NAIVE, ISO, MS = "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S.%f"
START = 1_778_371_200.25  # 2026-05-10 00:00:00.25 UTC, an odd fraction on purpose
END = START + 6 * 3600 + 0.5
NEW, OLD = td.PAYLOADS  # "call_id" (the default), "interaction_id"

# spec: JSON type alternatives joined with "|": str int num bool null list, or a time format (naive iso ms), "empty"
# (the empty string), "dhms" ("0d 0h 0m 42s")
CALLS_NEW = [  # §2.1 a [TD-calls-new]
    ("call_id", "str"), ("callsid", "str"), ("type", "str"), ("start_at", "iso"), ("end_at", "iso"),
    ("talkdesk_phone_number", "str"), ("talkdesk_phone_display_name", "str"), ("contact_phone_number", "str"),
    ("user_id", "str"), ("user_name", "str"), ("user_email", "str"), ("total_time", "int"), ("talk_time", "int"),
    ("wait_time", "int"), ("hold_time", "int"), ("abandon_time", "int"), ("total_ringing_time", "int"),
    ("disposition_code", "str|null"), ("notes", "str|null"), ("user_voice_rating", "int"), ("ring_groups", "str"),
    ("ivr_options", "str"), ("is_in_business_hours", "bool"), ("is_callback_from_queue", "bool"),
    ("is_transfer", "bool"), ("handling_user_id", "str|null"), ("handling_user_name", "str|null"),
    ("handling_user_email", "str|null"), ("recording_url", "str|null"), ("is_external_transfer", "bool"),
    ("is_if_no_answer", "bool"), ("is_call_forwarding", "bool"), ("csat_score", "int|null"),
    ("csat_survey_time", "iso|empty"), ("team_id", "str|null"), ("team_name", "str|null"), ("rating_reason", "str"),
    ("agent_disconnected", "str"), ("data_status", "str"), ("int_custom_field_n1", "int|null"),
    ("int_custom_field_n2", "int|null"), ("float_custom_field_n1", "num|null"), ("float_custom_field_n2", "num|null"),
    ("text_custom_field_n1", "str|null"), ("text_custom_field_n2", "str|null"), ("text_custom_field_n3", "str|null"),
    ("text_custom_field_n4", "str|null"), ("timestamp_custom_field_n1", "iso|null"), ("disposition_set", "str"),
    ("nested_disposition", "str"),
]
EXPLORE_OLD = [  # §2.1 b [TD-calls-old] less disposition_set / nested_disposition, §2.2 [TD-xcalls]
    ("interaction_id", "str"), ("call_type", "str"), ("start_time", "naive"), ("end_time", "naive"),
    ("talkdesk_phone_number", "str"), ("customer_phone_number", "str"), ("talk_time", "num"), ("record", "str"),
    ("hangup", "str"), ("in_business_hours?", "str"), ("callback_from_queue?", "str"), ("waiting_time", "num"),
    ("agent_speed_to_answer", "num"), ("holding_time", "num"), ("rating", "int"), ("description", "str"),
    ("agent_name", "str"), ("phone_display_name", "str"), ("disposition_code", "str"), ("transfer?", "str"),
    ("handling_agent", "str"), ("tags", "str"), ("ivr_options", "str"), ("csat_score", "int"),
    ("csat_survey_time", "naive|empty"), ("team", "str"), ("rating_reason", "str"), ("agent_disconnected", "str"),
]
CALLS_OLD = [*EXPLORE_OLD, ("disposition_set", "str"), ("nested_disposition", "str")]  # §2.1 b
EXPLORE_NEW = [("interaction_id", "str"), *CALLS_NEW[1:]]  # §2.2: only its first key is known (INFERRED rest)
PER_AGENT = [("agent_id", "str"), ("ring_groups_name", "str"), ("team_id", "str|null"), ("started_at", "naive")]
FIELDS: dict[str, list[tuple[str, str]]] = {
    "user_status": [  # §2.3 [TD-us, AB-s-us, GO-rep]
        ("user_name", "str"), ("user_email", "str"), ("user_id", "str"), ("status_label", "str"),
        ("status_start_at", "naive"), ("status_end_at", "naive"), ("status_time", "int"), ("is_user_active", "bool"),
        ("team_id", "str|null"), ("team_name", "str|null"), ("ring_groups", "str")],
    "studio_flow_execution": [  # §2.4 [TD-sfe, AB-s-sfe, GO-rep]
        ("call_sid", "str"), ("interaction_id", "str"), ("destination_number", "str|null"),
        ("origin_number", "str|null"), ("flow_name", "str|null"), ("flow_id", "str|null"),
        ("component_title", "str|null"), ("step_name", "str|null"), ("exit", "str|null"), ("time_in_step", "num"),
        ("timestamp", "naive"), ("studio_flow_executions_aggregated.flow_execution_finished_time", "naive"),
        ("step_execution_order", "int")],
    "messaging_contacts": [  # §2.7 [TD-mc]
        ("channel_type", "str"), ("contact_assigned_at", "naive"), ("contact_duration", "num"),
        ("contact_finished_at", "naive"), ("contact_finished_reason", "str"), ("contact_handle_time", "dhms"),
        ("contact_id", "str"), ("contact_person_channel_identifier", "str"), ("contact_person_id", "str"),
        ("contact_person_name", "str"), ("contact_started_at", "naive"), ("conversation", "str"),
        ("direct_assignment_user_id", "str|null"), ("direct_assignment_user", "str|null"), ("direction", "str"),
        ("disposition_name", "str|null"), ("first_response_time", "dhms"), ("handling_queues", "str"),
        ("interaction_duration", "num"), ("interaction_finished_at", "naive"), ("interaction_handle_time", "dhms"),
        ("interaction_id", "str"), ("interaction_started_at", "naive"), ("interaction_status", "str"),
        ("is_virtual_agent", "str"), ("notes", "str|null"), ("queues", "str"), ("touchpoint_identifier", "str"),
        ("touchpoint_name", "str"), ("transfer_out", "str"), ("user_id", "str"), ("user_name", "str"),
        ("virtual_agent_id", "str|null"), ("virtual_agent_name", "str|null"), ("wrap-up_duration", "num")],
    "messaging_traffic": [  # §2.8 [TD-mt]
        ("contact_id", "str"), ("channel_type", "str"), ("contact_person_id", "str"), ("contact_person_name", "str"),
        ("interaction_id", "str"), ("message_created_at", "naive"), ("message_direction", "str"),
        ("message_id", "str"), ("user_id", "str|null"), ("user_name", "str|null")],
    "audit_logs": [  # §2.9 [TD-audit]
        ("actor_id", "str"), ("generator_name", "str"), ("ip_addresses", "list"), ("operation", "str"),
        ("platform_tid", "str"), ("resource_id", "str"), ("operation_status", "str"), ("user_agent", "str"),
        ("timestamp", "ms"), ("user_id", "str"), ("agent_name", "str"), ("agent_email", "str")],
    "contacts": [  # §2.5 [AB-s-contacts] plus disconnected_by_agent and last_contact of real data [GO-rep]
        ("interaction_id", "str"), ("contact_id", "str"), ("company_number", "str"),
        ("phone_display_name", "str|null"), ("contact_person_number", "str"), ("external_phone_number", "str|null"),
        ("direction", "str"), ("contact_type", "str"), ("started_at", "naive"), ("wait_time", "int|null"),
        ("time_to_missed", "int|null"), ("abandon_time", "int|null"), ("short_abandon_time", "int|null"),
        ("time_to_voicemail", "int|null"), ("ring_time", "int|null"), ("connect_time", "int|null"),
        ("answered_at", "naive|null"), ("connected_at", "naive|null"), ("talk_time", "int|null"),
        ("hard_hold_time", "int|null"), ("soft_hold_time", "int|null"), ("hold_time", "int|null"),
        ("after_call_work_time", "int|null"), ("finished_at", "naive|null"), ("duration", "int|null"),
        ("handle_time", "int|null"), ("inside_business_hours", "str"), ("inside_service_level", "str"),
        ("within_service_level_threshold", "str"), ("transfer_out", "str"), ("transfer_out_type", "str|null"),
        ("transfer_in", "str|null"), ("transfer_in_type", "str|null"), ("callback", "str|null"),
        ("ring_groups", "str|null"), ("user_name", "str|null"), ("direct_assignment_user", "str|null"),
        ("team_name", "str|null"), ("user_id", "str|null"), ("direct_assignment_ids", "str|null"),
        ("team_id", "str|null"), ("handling_ring_groups", "str|null"), ("disconnected_by_agent", "str|null"),
        ("last_contact", "str|null"), ("data_status", "str")],  # the 45th column of a contacts CSV client [CL-contacts]
    "ring_attempts": [  # §2.6 [AB-s-ring, GO-rep]
        ("interaction_id", "str"), ("contact_id", "str"), ("batch_ring_id", "str"), ("ring_attempt_id", "str"),
        ("attempt_type", "str|null"), ("ring_started_at_time", "naive|null"), ("ring_finished_at_time", "naive|null"),
        ("ring_attempt_duration", "int|null"), ("user_name", "str|null"), ("user_email", "str|null"),
        ("team_name", "str|null")],
    # §2.10 [GO-rep]
    "acw_time_data": [*PER_AGENT, ("acw_time_seconds_total", "int")],
    "contact_online_time": [("agent_id", "str"), ("team_id", "str|null"), ("started_at", "naive"),
                            ("status_duration_seconds", "int")],
    "hold_time_data": [*PER_AGENT, ("hold_time_seconds_total", "int")],
    "inbound_contact_volume": [*PER_AGENT, ("in_contact_volume", "int")],
    "talk_time_data": [*PER_AGENT, ("talk_time_seconds_total", "int")],
    "qm_evaluation_analysis": [  # §2.11 [GO-rep], its never-populated fields last
        ("agent", "str"), ("agent_email", "str"), ("agent_id", "str"), ("agent_name", "str"),
        ("evaluation_id", "str"), ("evaluator_id", "str"), ("evaluator_name", "str"), ("form_id", "str"),
        ("form_name", "str"), ("interaction_id", "str"), ("question_answer", "str"), ("question_id", "str"),
        ("question_text", "str"), ("ring_group_names", "str"), ("section_id", "str"), ("section_name", "str"),
        ("team_name", "str|null"), ("question_type", "str"), ("evaluation_time", "naive"),
        ("evaluation_max_score", "int"), ("evaluation_obtained_score", "int"), ("evaluation_version", "int"),
        ("section_obtained_score", "int"), ("section_max_score", "int"), ("question_max_score", "int|null"),
        ("question_obtained_score", "int|null"), ("branch_to", "str|null"), ("first_evaluated_on", "str|null"),
        ("header_id", "str|null"), ("header_text", "str|null"), ("interaction_reference", "str|null")],
    "advanced_dialer_calls_report": [  # §2.12: FT-erd's outbound_dialer_calls columns (INFERRED types)
        ("interaction_id", "str"), ("campaign_agent_id", "str|null"), ("campaign_id", "str"),
        ("campaign_transferred_agent_id", "str|null"), ("record_id", "str"), ("attempt_number", "int"),
        ("call_finished_time", "naive"), ("call_started_time", "naive"), ("callback_mode", "str|null"),
        ("create_calls_analysis_in_queue", "int"),
        ("create_calls_analysis_outbound_dialer_record_extra_data", "str|null"),
        ("create_calls_analysis_proactive_outbound_phone_type", "str"),
        ("create_calls_analysis_ringing_at_agent", "int"), ("create_calls_analysis_ringing_at_customer", "int"),
        ("customer_phone_number", "str"), ("description", "str"), ("disposition", "str"),
        ("outbound_dialer_system_disposition", "str"), ("sip_hangup_code", "int"), ("talkdesk_phone_number", "str"),
        ("team_name", "str|null"), ("total_duration", "int")],
}
# (kind, payload) -> field table; every type but calls/explore_calls has one shape
SHAPES = {("calls", OLD): CALLS_OLD, ("calls", NEW): CALLS_NEW, ("explore_calls", OLD): EXPLORE_OLD,
          ("explore_calls", NEW): EXPLORE_NEW, **{(k, NEW): v for k, v in FIELDS.items()}}
CASES = sorted(SHAPES, key=lambda case: (td.REPORT_TYPES.index(case[0]), td.PAYLOADS.index(case[1])))
# the field that orders each report's records
ORDER = {"calls": ("start_time", "start_at"), "explore_calls": ("start_time", "start_at"),
         "user_status": ("status_start_at",), "studio_flow_execution": ("timestamp",),
         "messaging_contacts": ("interaction_started_at",), "messaging_traffic": ("message_created_at",),
         "audit_logs": ("timestamp",), "contacts": ("started_at",), "ring_attempts": ("ring_started_at_time",),
         "qm_evaluation_analysis": ("evaluation_time",), "advanced_dialer_calls_report": ("call_started_time",)}

YES_NO, CALL_TYPES = {"Yes", "No"}, {"abandoned", "inbound", "missed", "outbound", "outbound_missed",
                                     "short_abandoned", "voicemail"}  # §2.1 [TD-calls-legacy, GO-rep]
VOCABULARY: dict[tuple[str, str], set[Any]] = {
    ("calls", "type"): CALL_TYPES, ("calls", "call_type"): CALL_TYPES, ("explore_calls", "type"): CALL_TYPES,
    ("explore_calls", "call_type"): CALL_TYPES, ("calls", "agent_disconnected"): YES_NO,
    ("explore_calls", "agent_disconnected"): YES_NO, ("calls", "data_status"): {"Valid"},
    ("calls", "in_business_hours?"): {"TRUE", "FALSE"}, ("calls", "callback_from_queue?"): {"TRUE", "FALSE"},
    ("explore_calls", "in_business_hours?"): {"TRUE", "FALSE"}, ("calls", "transfer?"): YES_NO,
    ("explore_calls", "transfer?"): YES_NO, ("calls", "hangup"): {"disconnected"},
    # §4 [GO-rep, AB-s-contacts, TD-dd-contacts]
    ("contacts", "direction"): {"IN", "OUT"},
    ("contacts", "contact_type"): {"Answered", "Missed", "Abandoned", "Short Abandoned", "Connected", "Not Connected"},
    **{("contacts", f): YES_NO for f in ("callback", "transfer_in", "transfer_out", "inside_business_hours",
                                         "inside_service_level", "within_service_level_threshold")},
    ("contacts", "transfer_in_type"): {"Warm", "Blind", None}, ("contacts", "transfer_out_type"): {"Warm", "Blind", None},
    ("contacts", "disconnected_by_agent"): {"Yes", "No", None}, ("contacts", "last_contact"): {"Yes", "No", None},
    ("contacts", "time_to_voicemail"): {None},
    ("contacts", "data_status"): {"Valid", "Damaged"},  # [CL-contacts]
    # §2.6 [GO-rep]
    ("ring_attempts", "attempt_type"): {"Answered", "Canceled", "Device Unavailable", "Ignored", "Rejected"},
    # §2.3: Away, On A Call [TD-us], offline [GO-rep]; Available, Busy, After Call Work are the fake's (INFERRED)
    ("user_status", "status_label"): {"Away", "On A Call", "offline", "Available", "Busy", "After Call Work"},
    ("studio_flow_execution", "exit"): {"ok", "call_aborted"},  # §2.4 [TD-sfe]
    ("messaging_contacts", "channel_type"): {"SMS", "EMAIL"}, ("messaging_traffic", "channel_type"): {"SMS", "EMAIL"},
    ("messaging_contacts", "direction"): {"Inbound", "Outbound"},  # §2.7, §4 [TD-mc]
    ("messaging_contacts", "contact_finished_reason"): {"MANUALLY CLOSED", "MANUALLY SENT TO QUEUE",
                                                        "TIMED OUT TO QUEUE"},
    ("messaging_contacts", "interaction_status"): {"CLOSED"}, ("messaging_contacts", "is_virtual_agent"): {"NO"},
    ("messaging_contacts", "transfer_out"): YES_NO, ("messaging_traffic", "message_direction"): {"Inbound", "Outbound"},
    ("audit_logs", "operation_status"): {"success", "failure"},
    ("qm_evaluation_analysis", "question_type"): {"MultipleChoiceQuestion", "TextQuestion"},  # §2.11 [GO-rep]
    ("inbound_contact_volume", "in_contact_volume"): {1},
}
HEX = {n: re.compile(f"[0-9a-f]{{{n}}}") for n in (24, 32, 40)}
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
IDS = {  # §2 id shapes
    ("calls", "call_id"): HEX[32], ("calls", "callsid"): re.compile("CA[0-9a-f]{32}"), ("calls", "user_id"): HEX[24],
    ("calls", "team_id"): HEX[32], ("calls", "interaction_id"): HEX[32], ("explore_calls", "interaction_id"): HEX[32],
    ("contacts", "contact_id"): HEX[32], ("contacts", "user_id"): HEX[24], ("contacts", "team_id"): HEX[32],
    ("ring_attempts", "ring_attempt_id"): HEX[40], ("ring_attempts", "batch_ring_id"): HEX[32],
    ("studio_flow_execution", "call_sid"): re.compile("CA[0-9a-f]{32}"), ("studio_flow_execution", "flow_id"): HEX[32],
    ("user_status", "user_id"): HEX[24], ("messaging_contacts", "contact_id"): UUID4,
    ("messaging_contacts", "contact_person_id"): HEX[24], ("messaging_traffic", "contact_id"): UUID4,
    ("messaging_traffic", "message_id"): UUID4, ("audit_logs", "actor_id"): HEX[32],
    ("audit_logs", "platform_tid"): re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    ("qm_evaluation_analysis", "evaluation_id"): UUID4, ("qm_evaluation_analysis", "form_id"): HEX[32],
    ("acw_time_data", "agent_id"): HEX[24],
}
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
DHMS = re.compile(r"\d+d \d{1,2}h \d{1,2}m \d{1,2}s")


@cache
def pools() -> Pools:
    return Pools(11)


@cache
def sample(kind: str, payload: str, count: int | None = 400, start: float = START,
           end: float = END) -> tuple[dict[str, Any], ...]:
    return tuple(td.records(kind, seed=11, tenant="acme-health", job_id="job-1", start=start, end=end,
                            payload=payload, pools=pools(), count=count))


def parse(value: str, fmt: str) -> float:
    if fmt == "ms":
        assert re.fullmatch(r".* \d\d:\d\d:\d\d\.\d{3}", value), value
    return datetime.strptime(value, {"naive": NAIVE, "iso": ISO, "ms": MS}[fmt]).replace(tzinfo=UTC).timestamp()


def conforms(value: Any, spec: str, start: float, end: float) -> bool:
    for alternative in spec.split("|"):
        if alternative in ("naive", "iso", "ms") and isinstance(value, str) and value:
            assert start <= parse(value, alternative) < end, (value, start, end)
            return True
        if {"str": type(value) is str, "int": type(value) is int, "num": type(value) is float,
            "bool": type(value) is bool, "null": value is None, "list": type(value) is list, "empty": value == "",
            "dhms": type(value) is str and DHMS.fullmatch(value) is not None}.get(alternative):
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_fields_order_types_times_and_vocabulary(case: tuple[str, str]) -> None:
    kind = case[0]
    table, rows = SHAPES[case], sample(*case)
    assert len(rows) == 400
    for row in rows:
        # the fields and their order; JSON-serialisable as they are; no "None" strings (§2.5)
        assert list(row) == [name for name, _ in table]
        assert json.loads(json.dumps(row)) == row and "None" not in row.values()
        for name, spec in table:
            assert conforms(row[name], spec, START, END), (kind, name, row[name])
            if (kind, name) in VOCABULARY:
                assert row[name] in VOCABULARY[kind, name], (kind, name, row[name])
            if (kind, name) in IDS and row[name] is not None:
                assert IDS[kind, name].fullmatch(row[name]), (kind, name, row[name])
    # records come in time order
    for name in ORDER.get(kind, ("started_at",)):
        if name in row:
            fmt = dict(table)[name].split("|")[0]
            times = [parse(r[name], fmt) for r in rows]
            assert times == sorted(times)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_deterministic_per_job(case: tuple[str, str]) -> None:
    kind, payload = case

    def run(job: str, seed: int = 11) -> list[dict[str, Any]]:
        return list(td.records(kind, seed=seed, tenant="acme-health", job_id=job, start=START, end=END,
                               payload=payload, pools=pools(), count=50))

    assert run("job-1") == run("job-1") == list(sample(kind, payload, 50))
    assert run("job-2") != run("job-1") and run("job-1", seed=12) != run("job-1")


def test_count_exact_and_default_plausible() -> None:
    day = 86400.0
    for kind in td.REPORT_TYPES:
        for n in (0, 1, 57):
            assert len(sample(kind, NEW, n)) == n
        per_day = len(sample(kind, OLD, None, START, START + day))
        assert 5 <= per_day <= 5000, (kind, per_day)
        assert len(sample(kind, OLD, None, START, START + 3600)) <= per_day / 12
        assert len(sample(kind, OLD, None, START, START + 31 * day)) <= 20000
    assert len(sample("contacts", OLD, None, START, START + 31 * day)) == 20000
    assert sample("contacts", OLD, None, START, START) == () == sample("contacts", OLD, 5, START, START + 0.5)


def test_the_calls_payload_is_chosen_never_dated() -> None:
    # call_id by default, whatever the timespan (fakeexports/vendors/talkdesk/records.py PAYLOADS gives the sources); interaction_id on
    # request. The records take no date of request at all: a job's payload is chosen when it is created.
    default = td.records("calls", seed=11, tenant="acme-health", job_id="job-1", start=START, end=END, pools=pools(),
                         count=3)
    assert list(next(default)) == [n for n, _ in CALLS_NEW]
    for start in (1_262_304_000.0, START, 1_893_456_000.0):  # 2010, 2026-05-10, 2030
        assert list(sample("calls", NEW, 3, start, start + 3600)[0]) == [n for n, _ in CALLS_NEW]
        assert list(sample("calls", OLD, 3, start, start + 3600)[0]) == [n for n, _ in CALLS_OLD]
    assert next(iter(sample("explore_calls", NEW, 3)[0])) == "interaction_id"
    assert td.file_keys("calls") == td.file_keys("calls", NEW) == {"type": "calls", "version": "v1"}
    assert td.file_keys("calls", OLD) == {}
    with pytest.raises(ValueError):
        td.file_keys("calls", "2026-05-11")
    with pytest.raises(ValueError):
        sample("calls", "call-id")


def test_file_keys() -> None:
    for kind in td.REPORT_TYPES:
        for payload in td.PAYLOADS:
            expected = ({"type": kind, "version": "v1"} if kind == "user_status" or (kind, payload) == ("calls", NEW)
                        else {})
            assert td.file_keys(kind, payload) == expected
            assert list(td.file_keys(kind, payload)) == list(expected)
    with pytest.raises(ValueError):
        td.file_keys("csat_score", NEW)
    with pytest.raises(ValueError):
        td.records("feedback", seed=1, tenant="t", job_id="j", start=START, end=END, pools=pools())


def test_report_types_are_the_researched_ones() -> None:
    # §1.1: the 15 with data plus advanced_dialer_calls_report [DAG-adc]; csat_score, feedback, outbound_dialer_calls
    # returned no entries [GO-rep]
    assert set(td.REPORT_TYPES) == {k for k, _ in SHAPES} and len(td.REPORT_TYPES) == 16
    assert {"csat_score", "feedback", "outbound_dialer_calls"}.isdisjoint(td.REPORT_TYPES)


def test_contacts_data_status_is_mostly_valid() -> None:
    # "Data Status (Valid / Damaged)" [CL-contacts]; the share of Damaged is the fake's (INFERRED: 1 %)
    statuses = [r["data_status"] for r in sample("contacts", NEW, 5000, START, START + 86400)]
    assert 0 < statuses.count("Damaged") < len(statuses) * 0.03
    assert set(statuses) == {"Valid", "Damaged"}


def test_a_tenant_has_a_stable_roster() -> None:
    def users(job: str, kind: str = "user_status") -> set[tuple[str, str]]:
        return {(r["user_id"], r["user_name"]) for r in td.records(
            kind, seed=11, tenant="acme-health", job_id=job, start=START, end=END, pools=pools(),
            count=300)}

    assert users("job-1") == users("job-2") and len(users("job-1")) == 24
    assert {u for u, _ in users("job-3", "contacts") if u} <= {u for u, _ in users("job-1")}
    teams = {(r["team_id"], r["team_name"]) for r in sample("user_status", OLD)}
    assert len(teams) == 4 and (None, None) in teams  # 3 teams and a user without one


@pytest.mark.parametrize("span", [END - START, 600.0])
def test_internal_consistency(span: float) -> None:
    # a 10-minute timespan forces every record to be cut at its end
    def rows(kind: str, payload: str = OLD) -> tuple[dict[str, Any], ...]:
        return sample(kind, payload, 400, START, START + span)

    def t(value: str, fmt: str = "naive") -> float:
        return parse(value, fmt)

    for r in rows("calls", NEW):
        assert r["total_time"] == t(r["end_at"], "iso") - t(r["start_at"], "iso")
        assert r["total_time"] >= r["wait_time"] + r["talk_time"] + r["hold_time"]
        assert (r["handling_user_id"] is None) == (r["type"] not in ("inbound", "outbound"))
        assert (r["csat_score"] is None) == (r["csat_survey_time"] == "")
        assert r["abandon_time"] == (r["wait_time"] if "abandoned" in r["type"] else 0)
        assert r["recording_url"] in (None, f"https://api.talkdeskapp.com/calls/{r['call_id']}/recordings")
        assert E164.fullmatch(r["talkdesk_phone_number"]) and E164.fullmatch(r["contact_phone_number"])
        assert (r["disposition_set"] == "") == (r["disposition_code"] is None)
    for r in rows("calls"):
        parts = 86400 * (r["waiting_time"] + r["talk_time"] + r["holding_time"])
        assert t(r["end_time"]) - t(r["start_time"]) >= round(parts)
        assert (r["csat_score"] == 0) == (r["csat_survey_time"] == "")
    for r in rows("contacts"):
        started, finished = t(r["started_at"]), t(r["finished_at"])
        assert r["duration"] == finished - started
        assert r["direction"] == ("IN" if r["contact_type"] in ("Answered", "Missed", "Abandoned", "Short Abandoned")
                                  else "OUT")
        assert (r["answered_at"] is not None) == (r["contact_type"] == "Answered")
        assert (r["connected_at"] is not None) == (r["contact_type"] in ("Answered", "Connected"))
        if r["answered_at"]:
            assert t(r["answered_at"]) == started + r["wait_time"]
        assert r["handle_time"] == r["talk_time"] + r["hold_time"] + r["after_call_work_time"]
        assert (r["transfer_out_type"] is None) == (r["transfer_out"] == "No")
        assert (r["transfer_in_type"] is None) == (r["transfer_in"] == "No")
        assert not (r["transfer_in"] == "Yes" and r["transfer_out"] == "Yes")
        assert (r["user_id"] is None) == (r["direction"] == "IN" and r["contact_type"] != "Answered")
        assert r["direct_assignment_user"] is None or r["direct_assignment_ids"] is not None
    contacts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows("ring_attempts"):
        assert r["ring_attempt_duration"] == t(r["ring_finished_at_time"]) - t(r["ring_started_at_time"])
        contacts[r["contact_id"]].append(r)
    for attempts in contacts.values():
        assert sum(a["attempt_type"] == "Answered" for a in attempts) <= 1
        assert len({a["interaction_id"] for a in attempts}) == 1
    users: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows("user_status"):
        assert r["status_time"] == t(r["status_end_at"]) - t(r["status_start_at"])
        users[r["user_id"]].append(r)
    for statuses in users.values():  # one status follows another
        assert all(a["status_end_at"] == b["status_start_at"] and a["status_label"] != b["status_label"]
                   for a, b in pairwise(statuses))
    flows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows("studio_flow_execution"):
        flows[r["interaction_id"]].append(r)
    for steps in flows.values():
        finished = steps[0]["studio_flow_executions_aggregated.flow_execution_finished_time"]
        assert [s["step_execution_order"] for s in steps] == list(range(len(steps)))
        assert all(s["studio_flow_executions_aggregated.flow_execution_finished_time"] == finished for s in steps)
        assert all(t(s["timestamp"]) <= t(finished) for s in steps)
        assert all(s["exit"] == "ok" for s in steps[:-1])
        assert 86400 * sum(s["time_in_step"] for s in steps) <= t(finished) - t(steps[0]["timestamp"]) + 1
    for r in rows("messaging_contacts"):
        assert round(86400 * r["contact_duration"]) == t(r["contact_finished_at"]) - t(r["contact_started_at"])
        assert round(86400 * r["interaction_duration"]) == (t(r["interaction_finished_at"])
                                                             - t(r["interaction_started_at"]))
        assert t(r["interaction_started_at"]) <= t(r["contact_started_at"]) <= t(r["contact_assigned_at"])
        assert r["conversation"].endswith(f"/{r['channel_type']}/{r['interaction_id']}")
        d, h, m, s = (int(x[:-1]) for x in r["contact_handle_time"].split())  # "0d 0h 0m 42s" (§2.7)
        assert d * 86400 + h * 3600 + m * 60 + s <= t(r["contact_finished_at"]) - t(r["contact_assigned_at"])
    evaluations: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows("qm_evaluation_analysis"):
        evaluations[r["evaluation_id"]].append(r)
        if r["question_max_score"] is not None:
            assert 0 <= r["question_obtained_score"] <= r["question_max_score"]
        assert r["agent"] == f"{r['agent_name']} ({r['agent_email']}) [{r['agent_id']}]"
    for questions in evaluations.values():
        whole = {(q["evaluation_obtained_score"], q["evaluation_max_score"], q["evaluation_time"]) for q in questions}
        assert len(whole) == 1
    for r in rows("advanced_dialer_calls_report"):
        assert r["total_duration"] == t(r["call_finished_time"]) - t(r["call_started_time"])

