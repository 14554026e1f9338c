"""The columns of DIDWW v3 export files per API version and export type: the CSV header rows, with their sources.
A file keeps the columns of the version its export was created under."""

from __future__ import annotations

# Sources, by tag:
# [PY-DL]   didww/didww-api-3-python-sdk@4926800:tests/fixtures/exports/download.yaml (15 columns, one row)
# [PM-2112] didww/didww-api3-postman@71547df:"DIDWW API3 2021-12-15.postman_collection.json", Get CSV File of Export
#           (a 13-column sample whose values match the 15-column layout's)
# [PM-2604] didww/didww-api3-postman@71547df:"DIDWW API3 2026-04-16 (Latest).postman_collection.json", Get CSV File
#           of Export: the cdr_in (22) and cdr_out (19) column tables and three sample rows each
# [DOC-1119] https://doc.didww.com/api3/2026-11-19/export/get-csv-file-of-export.html (as vendors/didww.md quotes it)
# [OAI-SRC] didww/didww-api-3-openapi@c6fdd13:openapi/sources/api.json, ExportCreateRequest filters (2026-10-22)
# [SMS-LOG] https://doc.didww.com/logs-analytics/sms-logs/inbound-logs.html (the User Panel's inbound SMS log)
# [SMS-IN]  https://doc.didww.com/services/incoming-sms/index.html

_START, _CONNECT, _END = "Date/Time Start (UTC)", "Date/Time Connect (UTC)", "Date/Time End (UTC)"

# 2021-12-15 (and 2022-05-10) cdr_in: [PY-DL]; the row there shows a failed call with empty connect/end times.
CDR_IN_2021 = (_START, _CONNECT, _END, "Source", "DID", "Destination", "Duration (secs)", "Disconnect Initiator",
               "Disconnect Code", "Response", "TollFree Amount (USD)", "Termination Amount (USD)",
               "Metered Channels Amount (USD)", "Customer ID", "Sell Amount (Points)")
# 2021-12-15 cdr_out: INFERRED. No public header row exists (vendors/didww.md B7); the columns the fake wrote so far.
CDR_OUT_2021 = (_START, _CONNECT, _END, "Source", "Destination", "Duration (secs)", "Disconnect Initiator",
                "Disconnect Code", "Response", "Voice Out Trunk ID", "Rate (USD/min)", "Amount (USD)", "Customer ID")
CDR_IN_2026_04 = (_START, _CONNECT, _END, "Status", "Source", "Source Name", "Destination DID", "Duration (sec)",
                  "Attempt", "Disconnect Code", "Response", "Disconnect Initiator", "Voice IN Trunk", "Destination",
                  "Trunk Group", "Capacity Group", "Toll-free (USD)", "PSTN (USD)", "Metered (USD)", "CNAM IN (USD)",
                  "Total (USD)", "Call ID")  # [PM-2604]
CDR_OUT_2026_04 = (_START, _CONNECT, _END, "Status", "Source", "CLI", "Destination Number", "Call Duration (sec)",
                   "Billing Duration (sec)", "Disconnect Code", "Disconnect Reason", "Voice OUT Trunk",
                   "Destination Country", "Network", "Call Type", "Rate (USD)", "Charged (USD)", "P-Charge-Info",
                   "Call ID")  # [PM-2604]
# 2026-11-19 cdr_in: the first ten columns are [DOC-1119]'s (its excerpt stops at Destination DID). INFERRED: the
# rest are the 2026-04-16 columns after Destination DID, all fifteen kept in their order (Duration (sec) to Call ID):
# none is superseded by the new Source columns.
CDR_IN_2026_11 = (_START, _CONNECT, _END, "Status", "Source Number", "Source Number Out", "Source Name",
                  "Source Country", "Source Network", "Destination DID", *CDR_IN_2026_04[7:])
# 2026-11-19 cdr_out: INFERRED. The 2026-04-16 columns with cdr_in's one rename that applies, Source -> Source Number
# (CLI and Destination Number already say what they hold). Against it: [OAI-SRC] still names the filter `source`.
CDR_OUT_2026_11 = (*CDR_OUT_2026_04[:4], "Source Number", *CDR_OUT_2026_04[5:])
# sms_in: INFERRED, no column list is public. The fields of the inbound SMS log [SMS-LOG], its "Trunk / Type" split
# in two because the export filters trunk (sms_trunk.id) and type (trunk_type) apart [OAI-SRC].
SMS_IN_2026_11 = ("Time Received (UTC)", "Time Sent (UTC)", "Status", "Reason", "Source Address",
                  "Destination Address", "Trunk", "Trunk Type", "Destination", "Fragments", "Attempt", "SMS ID")
# sms_out: INFERRED. sms_in's times, status, addresses and trunk, a column per sms_out filter [OAI-SRC]
# (service_type, sender_id_verification.id), and cdr_out's destination and charge columns [PM-2604].
SMS_OUT_2026_11 = ("Time Received (UTC)", "Time Sent (UTC)", "Status", "Reason", "Source Address",
                   "Destination Address", "Trunk", "Service Type", "Sender ID Verification", "Destination Country",
                   "Network", "Fragments", "Rate (USD)", "Charged (USD)", "SMS ID")

# Empty cells: DIDWW writes an empty string as "" and a missing value (nil) as nothing, as Ruby's CSV does. The columns
# whose empty cells are empty strings: Source in [PM-2112] (its Customer ID is bare); Source, Source Name and, on a
# failed call, the connect and end times in [PM-2604] (its Capacity Group, Call ID and P-Charge-Info are bare). The
# 2018 sandbox file [PY-DL] has bare connect and end times: an older writer. INFERRED: 2021-12-15 cdr_out as cdr_in,
# 2026-11-19 as 2026-04-16 under its new names; the SMS files' empty cells bare.
QUOTED_EMPTY: dict[tuple[str, str], frozenset[str]] = {
    ("2021-12-15", "cdr_in"): frozenset({"Source"}), ("2021-12-15", "cdr_out"): frozenset({"Source"}),
    ("2026-04-16", "cdr_in"): frozenset({_CONNECT, _END, "Source", "Source Name"}),
    ("2026-04-16", "cdr_out"): frozenset({_CONNECT, _END}),
    ("2026-11-19", "cdr_in"): frozenset({_CONNECT, _END, "Source Number", "Source Name"}),
    ("2026-11-19", "cdr_out"): frozenset({_CONNECT, _END}),
}

LAYOUTS: tuple[str, ...] = ("2021-12-15", "2026-04-16", "2026-11-19")
_COLUMNS = {
    ("2021-12-15", "cdr_in"): CDR_IN_2021, ("2021-12-15", "cdr_out"): CDR_OUT_2021,
    ("2026-04-16", "cdr_in"): CDR_IN_2026_04, ("2026-04-16", "cdr_out"): CDR_OUT_2026_04,
    ("2026-11-19", "cdr_in"): CDR_IN_2026_11, ("2026-11-19", "cdr_out"): CDR_OUT_2026_11,
    ("2026-11-19", "sms_in"): SMS_IN_2026_11, ("2026-11-19", "sms_out"): SMS_OUT_2026_11}
# export_type enums: cdr_in/cdr_out until 2026-04-16, sms_in/sms_out added later [OAI-SRC; vendors/didww.md B0]
EXPORT_TYPES: dict[str, tuple[str, ...]] = {
    layout: tuple(t for (lay, t) in _COLUMNS if lay == layout) for layout in LAYOUTS}


def columns(layout: str, export_type: str) -> tuple[str, ...]:
    """The CSV header row of an export created under API version ``layout`` (one of LAYOUTS; 2022-05-10 exports
    have the 2021-12-15 layout). Exports keep their creation version's columns [DOC-1119]."""
    try:
        return _COLUMNS[layout, export_type]
    except KeyError:
        raise ValueError(f"no DIDWW {export_type!r} layout for API version {layout!r}") from None
