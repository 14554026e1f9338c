"""Records of Talkdesk Explore report files (/data/reports/{type}/files/{id}), deterministic from a seed. Fields,
order, JSON types and vocabulary follow Talkdesk's docs and public clients, cited below by the tags of the legend;
values the sources do not give are marked INFERRED."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from ...kit import Pools, csv_lines, rng
from . import records_other as other
from . import records_voice as voice
from .records_base import Ctx, Generate, grouped, singles

# Legend of the source tags (AB… paths are under airbyte-integrations/connectors/source-talkdesk-explore/):
#   AB-streams      airbytehq/airbyte@0cfe786c16f67fde63cb98b3640a36458e8c54fa:…/source_talkdesk_explore/streams.py
#   AB-s-calls      airbytehq/airbyte@d64d8af952aede0448973e4f928b5e102ecdddf2:…/schemas/calls.json
#   AB-s-contacts   airbytehq/airbyte@c4984c93beba055dabeea7f406d3466dfbccd7f9:…/schemas/contacts.json
#   AB-s-ring       airbytehq/airbyte@3007cbccb413aa46864754760ef0d2303fbd9f86:…/schemas/ring_attempts.json
#   AB-s-sfe        airbytehq/airbyte@292989fe6c51b05c056b098dfdd64376a254cf8a:…/schemas/studio_flow_execution.json
#   AB-s-us         airbytehq/airbyte@1c4ae82892aec3f1410d4891ed9ab931db17bd75:…/schemas/user_status.json
#   GO-rep          [IDX:55920745784] a Go Talkdesk client's report types and response structs (real-account values)
#   FT-erd          [IDX:31319659474] a Talkdesk warehouse schema (probably Fivetran's)
#   DAG-adc         [IDX:16970376820] an Airflow DAG pulling calls, user_status, advanced_dialer_calls_report
#   TD-calls-new    https://docs.talkdesk.com/docs/calls-report (its current version's example; an older version
#                   calls it "the updated JSON payload, effective May 11, 2026")
#   TD-calls-old    https://docs.talkdesk.com/docs/calls-report (older version: "the current payload structure remains
#                   valid until May 11, 2026")
#   TD-download     https://docs.talkdesk.com/docs/downloading-a-report-file (the Reporting API's sample calls file:
#                   type "calls", version "v1", entries with call_id)
#   CL-contacts     [IDX:5875306615] a public client of the contacts CSV (its 45 column titles)
#   TD-calls-legacy https://docs.talkdesk.com/docs/calls-report-reporting
#   TD-xcalls       https://docs.talkdesk.com/docs/explore-calls-report
#   TD-us           https://docs.talkdesk.com/docs/user-status-explore
#   TD-sfe          https://docs.talkdesk.com/docs/studio-flow-execution-report (dictionary:
#                   https://data-dictionary.talkdesk.com/docs/studio-flow-execution-report)
#   TD-mc           https://docs.talkdesk.com/docs/messaging-contacts-report (dictionary:
#                   https://data-dictionary.talkdesk.com/docs/digital-engagement-digital-contacts)
#   TD-mt           https://docs.talkdesk.com/docs/messaging-traffic-report
#   TD-audit        https://docs.talkdesk.com/docs/audit-logs-report (dictionary:
#                   https://data-dictionary.talkdesk.com/docs/audit-logs-data-dictionary)
#   TD-dd-contacts  https://data-dictionary.talkdesk.com/docs/contacts-report

# The types with evidence of real data: the docs' pages, Airbyte's streams, GO-rep's enum and DAG-adc.
# csat_score, feedback and outbound_dialer_calls are left out: GO-rep's account returned no entries for them.
REPORT_TYPES: tuple[str, ...] = (
    "calls", "explore_calls", "user_status", "studio_flow_execution", "messaging_contacts", "messaging_traffic",
    "audit_logs", "contacts", "ring_attempts", "acw_time_data", "contact_online_time", "hold_time_data",
    "inbound_contact_volume", "qm_evaluation_analysis", "talk_time_data", "advanced_dialer_calls_report",
)
# The calls payloads (a job keeps the one it was created with; never chosen by the fake clock's date):
#   "call_id"         {"type": "calls", "version": "v1", "entries", "total"}, entries with call_id, "…Z" times and
#                     integer seconds [TD-calls-new]. The default: what the vendor serves now and its clients read.
#                     The Reporting API's sample file [TD-download], Airbyte's Calls stream (primary key call_id,
#                     cursor end_at [AB-streams, AB-s-calls]) and a client of a real account [GO-rep] all show this
#                     shape, years before the date [TD-calls-old] gives for it; Airbyte's get_updated_state raises on
#                     records without end_at.
#   "interaction_id"  {"entries", "total"}, entries with interaction_id, naive times and durations in fractions of a
#                     day [TD-calls-old]: what the calls page showed as "valid until May 11, 2026".
# explore_calls follows the same choice. Its page [TD-xcalls] is its only source: it shows the interaction_id payload
# "valid until May 11, 2026" and an updated one from then on, so the default is the updated one (what the vendor says
# it serves now; only its first key, interaction_id, is known, the rest INFERRED), the older one with
# "interaction_id".
PAYLOADS: tuple[str, ...] = ("call_id", "interaction_id")
PAYLOAD_REPORTS: tuple[str, ...] = ("calls", "explore_calls")
_MAX_RECORDS = 20000

# INFERRED: records an hour of a mid-sized contact centre (24 users), for count=None
_RATES = {
    "calls": 40, "explore_calls": 40, "user_status": 48, "studio_flow_execution": 150, "messaging_contacts": 10,
    "messaging_traffic": 40, "audit_logs": 15, "contacts": 40, "ring_attempts": 80, "acw_time_data": 30,
    "contact_online_time": 30, "hold_time_data": 10, "inbound_contact_volume": 30, "qm_evaluation_analysis": 12,
    "talk_time_data": 30, "advanced_dialer_calls_report": 30,
}
_GENERATORS: dict[str, Generate] = {
    "user_status": other.user_status,
    "studio_flow_execution": grouped(voice.flow_steps),
    "messaging_contacts": singles(other.messaging_contact),
    "messaging_traffic": grouped(other.messages),
    "audit_logs": other.audit_logs,
    "contacts": singles(voice.contact),
    "ring_attempts": grouped(voice.ring_attempts),
    # per-agent reports [GO-rep]; the value ranges INFERRED around its examples (9, 1, 85, 1, 1)
    "acw_time_data": singles(other.per_agent("acw_time_seconds_total", 3, 180)),
    "contact_online_time": singles(other.per_agent("status_duration_seconds", 1, 1800, ring_group=False)),
    "hold_time_data": singles(other.per_agent("hold_time_seconds_total", 5, 300)),
    "inbound_contact_volume": singles(other.per_agent("in_contact_volume", 1, 1)),
    "qm_evaluation_analysis": grouped(other.evaluation),
    "talk_time_data": singles(other.per_agent("talk_time_seconds_total", 1, 1200)),
    "advanced_dialer_calls_report": singles(voice.dialer_call),
}
_CALLS = {("calls", "interaction_id"): singles(voice.calls_old), ("calls", "call_id"): singles(voice.calls_new),
          ("explore_calls", "interaction_id"): singles(voice.explore_calls_old),
          ("explore_calls", "call_id"): singles(voice.explore_calls_new)}
_MSG_UNKNOWN_TYPE = "unknown Talkdesk report type {kind!r}"


def file_keys(kind: str, payload: str = "call_id") -> dict[str, str]:
    """The JSON file's top-level keys besides entries and total, in order: {"type": "calls", "version": "v1"} for the
    calls report in the call_id payload, {"type": "user_status", "version": "v1"} for user_status, {} for the others."""
    _check(kind, payload)
    # the call_id calls file and the user_status file carry type and version [TD-calls-new, TD-download, TD-us,
    # GO-rep]; the interaction_id calls file and the others only entries and total [TD-calls-old, TD-sfe, TD-mt,
    # TD-audit]
    if kind == "user_status" or (kind == "calls" and payload == "call_id"):
        return {"type": kind, "version": "v1"}
    return {}


def records(kind: str, *, seed: int, tenant: str, job_id: str, start: float, end: float, pools: Pools,
            count: int | None = None, payload: str = "call_id") -> Iterator[dict[str, Any]]:
    """The report's records for the timespan [start, end) (epoch seconds), in time order. count: how many records
    (None: the report's own rate times the hours of the timespan, capped at 20000). payload: the calls and
    explore_calls payload, one of PAYLOADS (the other reports have one).

    Times are whole UTC seconds (audit_logs: milliseconds) inside [start, end): a record's later times are cut short
    rather than fall after end, and a timespan holding no whole second has no records. The same arguments give the
    same records; a tenant has the same users, teams, ring groups, numbers and flows in every job."""
    _check(kind, payload)
    if count is None:
        count = min(_MAX_RECORDS, int(_RATES[kind] * max(0.0, end - start) / 3600))
    elif count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    generate = _CALLS.get((kind, payload)) or _GENERATORS[kind]
    ctx = Ctx(seed, tenant, job_id, start, end, pools)
    if ctx.hi < ctx.lo or not count:
        return iter(())
    return generate(ctx, rng(seed, "talkdesk-rows", kind, tenant, job_id), count)


def _check(kind: str, payload: str) -> None:
    if kind not in REPORT_TYPES:
        raise ValueError(_MSG_UNKNOWN_TYPE.format(kind=kind))
    if payload not in PAYLOADS:
        raise ValueError(f"payload must be one of {PAYLOADS}, not {payload!r}")


def encode(fmt: str, rows: Iterable[dict[str, Any]], keys: dict[str, str]) -> Iterator[bytes]:
    """csv: a header row and rows; json: {"entries": [...], "total": N} (A.6), after the report's own
    top-level keys (file_keys: the call_id calls report's "type" and "version"); json_bulk: one record per
    line (its layout is undocumented, A.6)."""
    if fmt == "json_bulk":
        for record in rows:
            yield orjson.dumps(record) + b"\n"
        return
    if fmt == "json":
        yield orjson.dumps(keys)[:-1] + b',"entries":[' if keys else b'{"entries":['
        total = 0
        for record in rows:
            yield (b"," if total else b"") + orjson.dumps(record)
            total += 1
        yield b'],"total":' + str(total).encode() + b"}"
        return
    records = iter(rows)
    first = next(records, None)
    if first is None:
        return
    # a list (audit_logs' ip_addresses) is written as JSON, None as an empty cell
    yield from csv_lines(list(first), ([("" if v is None else orjson.dumps(v).decode() if isinstance(v, list)
                                         else v) for v in record.values()]
                                       for record in itertools.chain((first,), records)))
