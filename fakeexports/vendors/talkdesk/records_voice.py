"""Voice records of Talkdesk Explore: calls (both payload shapes), explore_calls, contacts, ring_attempts,
studio_flow_execution and advanced_dialer_calls_report. Source tags are resolved in records.py."""

from __future__ import annotations

import random

from .records_base import Ctx, Number, Record, User, cumulative, fit, pick, ri

# calls `type` values: abandoned, inbound, missed, outbound, outbound_missed, short_abandoned, voicemail
# [TD-calls-legacy, GO-rep, AB-s-calls]; the weights are the fake's
_CALL_TYPES = cumulative(("inbound", 0.55), ("outbound", 0.2), ("missed", 0.07), ("abandoned", 0.07),
                         ("short_abandoned", 0.03), ("voicemail", 0.04), ("outbound_missed", 0.04))
# (disposition_set, disposition_code, nested_disposition): the first two rows are the docs' examples
# [TD-calls-new, TD-calls-old], the others INFERRED
_DISPOSITIONS = (("Outbound", "Attempting Contact", "No Budget"),
                 ("Legal Outbounds", "Not Interested", "Not ready to purchase"),
                 ("Inbound", "Resolved", "First Contact Resolution"), ("Inbound", "Follow-up Required", "Callback"),
                 ("Outbound", "Left Voicemail", "No Answer"))
_BY_DIRECTION = {out: tuple(d for d in _DISPOSITIONS if (d[0] != "Inbound") == out) for out in (False, True)}
_IVR = ("1", "2", "1,2", "1,2,1", "3", "2,1")  # digits pressed, "1,2,1" [TD-calls-old]; the others INFERRED
_RATING_REASONS = ("Echo", "Choppy audio", "Dropped call", "Background noise")  # INFERRED (only "dasdfdfsf" seen)
_RECORDINGS = "https://api.talkdeskapp.com/calls/{}/recordings"  # recording_url of a real account [GO-rep]
_CALL = tuple[str, User, Number, str, int, int, int, int, int]


def _call_core(ctx: Ctx, r: random.Random, t: int) -> _CALL:
    """(type, user, number, customer, wait, ring, talk, hold, voicemail) of one call starting at t, cut to fit."""
    rnd = r.random
    kind = pick(rnd(), _CALL_TYPES)
    wait = ring = talk = hold = message = 0
    if kind == "inbound":
        wait, ring, talk = ri(rnd(), 3, 90), ri(rnd(), 2, 25), ri(rnd(), 20, 900)
    elif kind == "outbound":
        ring, talk = ri(rnd(), 3, 25), ri(rnd(), 10, 600)
    elif kind == "outbound_missed":
        ring = ri(rnd(), 10, 40)
    elif kind == "missed":
        wait, ring = ri(rnd(), 20, 120), ri(rnd(), 10, 30)
    elif kind == "abandoned":
        wait, ring = ri(rnd(), 10, 180), ri(rnd(), 0, 20)
    elif kind == "short_abandoned":
        wait = ri(rnd(), 1, 9)  # INFERRED: a 10 s short-abandon threshold
    else:
        wait, ring, message = ri(rnd(), 15, 40), ri(rnd(), 10, 30), ri(rnd(), 10, 90)
    if talk and rnd() < 0.25:
        hold = ri(rnd(), 5, 120)
    outbound = kind.startswith("outbound")
    # an inbound call rings agents while it waits; an outbound one rings the customer before the talk
    wait, out_ring, talk, hold, message = fit(ctx.hi - t, wait, ring if outbound else 0, talk, hold, message)
    ring = out_ring if outbound else min(ring, wait)
    number = ctx.numbers[int(rnd() * 4)]
    agents = ctx.users if outbound else ctx.members[number.ring_group]
    user = agents[int(rnd() * len(agents))]
    return kind, user, number, ctx.phones[int(rnd() * 512)], wait, ring, talk, hold, message


def _extras(ctx: Ctx, r: random.Random, kind: str, end: int) -> tuple[tuple[str, str, str] | None, int, int, int]:
    """(disposition, voice rating, csat score, csat survey time) of a call ending at end; 0 means none."""
    rnd = r.random
    handled = kind in ("inbound", "outbound")
    sets = _BY_DIRECTION[kind == "outbound"]
    disposition = sets[int(rnd() * len(sets))] if handled and rnd() < 0.6 else None
    rating = ri(rnd(), 1, 5) if handled and rnd() < 0.1 else 0
    survey = end + ri(rnd(), 5, 120) if kind == "inbound" and rnd() < 0.15 else 0
    return disposition, rating, ri(rnd(), 1, 5) if 0 < survey <= ctx.hi else 0, survey if survey <= ctx.hi else 0


def calls_new(ctx: Ctx, r: random.Random, i: int, t: int, id_key: str = "call_id") -> Record:
    # the call_id payload (the default, records.py PAYLOADS): its fields in the docs' order, times "…Z",
    # durations whole seconds, csat_survey_time "" when absent, data_status "Valid", custom fields null [TD-calls-new,
    # TD-calls-old]
    rnd = r.random
    kind, user, number, customer, wait, ring, talk, hold, message = _call_core(ctx, r, t)
    ids = ctx.ids("td-call", i, 64)
    call_id, outbound, handled = ids[:32], kind.startswith("outbound"), kind in ("inbound", "outbound")
    total = wait + (ring if outbound else 0) + talk + hold + message
    disposition, rating, csat, survey = _extras(ctx, r, kind, t + total)
    transfer = handled and rnd() < 0.08
    handler = user if handled else None
    return {
        id_key: call_id, "callsid": "CA" + ids[32:], "type": kind, "start_at": ctx.iso(t), "end_at": ctx.iso(t + total),
        "talkdesk_phone_number": number.e164, "talkdesk_phone_display_name": number.display_name,
        "contact_phone_number": customer, "user_id": user.id, "user_name": user.name, "user_email": user.email,
        "total_time": total, "talk_time": talk, "wait_time": wait, "hold_time": hold,
        "abandon_time": wait if kind in ("abandoned", "short_abandoned") else 0, "total_ringing_time": ring,
        "disposition_code": disposition[1] if disposition else None,
        "notes": ctx.sentences[int(rnd() * 512)] if handled and rnd() < 0.1 else None, "user_voice_rating": rating,
        "ring_groups": "agents" if outbound else number.ring_group,
        "ivr_options": _IVR[int(rnd() * 6)] if not outbound and number.flow == 0 else "",
        "is_in_business_hours": ctx.business(t), "is_callback_from_queue": kind == "inbound" and rnd() < 0.03,
        "is_transfer": transfer, "handling_user_id": handler.id if handler else None,
        "handling_user_name": handler.name if handler else None,
        "handling_user_email": handler.email if handler else None,
        "recording_url": _RECORDINGS.format(call_id) if talk or message else None,
        "is_external_transfer": transfer and rnd() < 0.2, "is_if_no_answer": kind == "missed" and rnd() < 0.2,
        "is_call_forwarding": kind == "inbound" and rnd() < 0.02, "csat_score": csat or None,
        "csat_survey_time": ctx.iso(survey) if csat else "", "team_id": user.team_id, "team_name": user.team_name,
        "rating_reason": _RATING_REASONS[int(rnd() * 4)] if 0 < rating <= 3 else "",
        "agent_disconnected": "Yes" if handled and rnd() < 0.45 else "No", "data_status": "Valid",
        "int_custom_field_n1": None, "int_custom_field_n2": None, "float_custom_field_n1": None,
        "float_custom_field_n2": None, "text_custom_field_n1": None, "text_custom_field_n2": None,
        "text_custom_field_n3": None, "text_custom_field_n4": None, "timestamp_custom_field_n1": None,
        "disposition_set": disposition[0] if disposition else "",
        "nested_disposition": disposition[2] if disposition else "",
    }


def explore_calls_new(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
    # INFERRED: the docs show the updated explore_calls payload (its default here) only up to its first key,
    # interaction_id [TD-xcalls]; the rest is taken to be the call_id payload's field set
    return calls_new(ctx, r, i, t, "interaction_id")


def calls_old(ctx: Ctx, r: random.Random, i: int, t: int, dispositions: bool = True) -> Record:
    # the interaction_id payload (the docs' "valid until May 11, 2026"): naive times, durations as fractions of a day,
    # "TRUE"/"FALSE" in the keys that end in "?", Yes/No elsewhere [TD-calls-old]. INFERRED: absent values are "" and
    # 0 (the example has no null)
    rnd = r.random
    kind, user, number, customer, wait, ring, talk, hold, message = _call_core(ctx, r, t)
    interaction, outbound, handled = ctx.ids("td-call", i), kind.startswith("outbound"), kind in ("inbound", "outbound")
    total = wait + (ring if outbound else 0) + talk + hold + message
    disposition, rating, csat, survey = _extras(ctx, r, kind, t + total)
    record: Record = {
        "interaction_id": interaction, "call_type": kind, "start_time": ctx.naive(t),
        "end_time": ctx.naive(t + total), "talkdesk_phone_number": number.e164, "customer_phone_number": customer,
        "talk_time": talk / 86400, "record": f"/recordings/{interaction[:20]}" if talk or message else "",
        "hangup": "disconnected",  # the only value seen [TD-calls-old]; INFERRED for every call
        "in_business_hours?": "TRUE" if ctx.business(t) else "FALSE",
        "callback_from_queue?": "TRUE" if kind == "inbound" and rnd() < 0.03 else "FALSE",
        "waiting_time": wait / 86400, "agent_speed_to_answer": (ring if kind == "inbound" else 0) / 86400,
        "holding_time": hold / 86400, "rating": rating,
        "description": ctx.sentences[int(rnd() * 512)] if handled and rnd() < 0.1 else "",
        "agent_name": user.name, "phone_display_name": number.display_name,
        "disposition_code": disposition[1] if disposition else "",
        "transfer?": "Yes" if handled and rnd() < 0.08 else "No", "handling_agent": user.name if handled else "",
        # ring groups joined with "+", e.g. "agents+rg1" [TD-calls-old]
        "tags": "agents" if outbound or number.ring_group == "agents" else "agents+" + number.ring_group,
        "ivr_options": _IVR[int(rnd() * 6)] if not outbound and number.flow == 0 else "", "csat_score": csat,
        "csat_survey_time": ctx.naive(survey) if csat else "", "team": user.team_name or "",
        "rating_reason": _RATING_REASONS[int(rnd() * 4)] if 0 < rating <= 3 else "",
        "agent_disconnected": "Yes" if handled and rnd() < 0.45 else "No",
    }
    if dispositions:  # the calls page has these two, the explore_calls page does not [TD-calls-old, TD-xcalls]
        record["disposition_set"] = disposition[0] if disposition else ""
        record["nested_disposition"] = disposition[2] if disposition else ""
    return record


def explore_calls_old(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
    return calls_old(ctx, r, i, t, dispositions=False)


# contacts: direction IN/OUT; contact_type Answered, Missed, Abandoned, Short Abandoned (IN) and Connected, Not
# Connected (OUT) [GO-rep, AB-s-contacts, TD-dd-contacts]; the weights are the fake's
_CONTACT_IN = cumulative(("Answered", 0.75), ("Missed", 0.08), ("Abandoned", 0.12), ("Short Abandoned", 0.05))
_CONTACT_OUT = cumulative(("Connected", 0.7), ("Not Connected", 0.3))
_SERVICE_LEVEL = 20  # INFERRED: the service-level threshold, seconds
_DAMAGED = 0.01  # INFERRED: the share of contacts whose data_status is "Damaged"


def contact(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
    # fields of AB-s-contacts plus disconnected_by_agent and last_contact of real data [GO-rep], then data_status: the
    # 45 column titles of a client of the contacts CSV [CL-contacts] in this order, the last "Data Status (Valid /
    # Damaged)". INFERRED: that title is the key data_status (the calls payload has data_status "Valid"
    # [TD-calls-new]), and one contact in a hundred is "Damaged".
    # INFERRED rules: a phase the contact never reached counts 0 (the AB sample's Answered IN contact has
    # time_to_missed 0); time_to_voicemail is null ("never returns a value" [GO-rep]); hold_time is hard_hold_time
    # (34/144/34 in GO-rep); handle_time = talk + hold + after-call work; null instead of the AB sample's "None"
    rnd = r.random
    inbound = rnd() < 0.75
    kind = pick(rnd(), _CONTACT_IN if inbound else _CONTACT_OUT)
    reached = kind in ("Answered", "Connected")
    number = ctx.numbers[int(rnd() * 4)]
    agents = ctx.members[number.ring_group] if inbound else ctx.users
    user = agents[int(rnd() * len(agents))]
    if kind == "Answered":
        first, ring = ri(rnd(), 3, 90), ri(rnd(), 2, 25)
    elif kind == "Missed":
        first, ring = ri(rnd(), 20, 60), ri(rnd(), 10, 30)
    elif kind == "Abandoned":
        first, ring = ri(rnd(), 10, 180), ri(rnd(), 0, 20)
    elif kind == "Short Abandoned":
        first, ring = ri(rnd(), 1, 9), 0
    else:  # OUT: ringing at the customer
        first = ring = ri(rnd(), 3, 30) if kind == "Connected" else ri(rnd(), 5, 40)
    talk = ri(rnd(), 20, 900) if reached else 0
    hard = ri(rnd(), 5, 120) if reached and rnd() < 0.25 else 0
    acw = ri(rnd(), 5, 120) if reached else 0
    first, talk, hard, acw = fit(ctx.hi - t, first, talk, hard, acw)
    ring = min(ring, first)
    soft = min(talk, ri(rnd(), 5, 150)) if talk and rnd() < 0.1 else 0
    finish = t + first + talk + hard + acw
    at = ctx.naive(t + first) if reached else None
    agent = user if reached or not inbound else None
    out = "Yes" if reached and rnd() < 0.08 else "No"
    into = "Yes" if reached and out == "No" and rnd() < 0.05 else "No"
    direct = int(rnd() * 40) if inbound else 9  # 0: to a user, 1: to an external number [GO-rep]
    groups = number.ring_group if inbound else user.ring_groups[-1]
    ids = ctx.ids("td-contact", i, 64)
    return {
        "interaction_id": ids[:32], "contact_id": ids[32:],
        "company_number": number.e164, "phone_display_name": number.display_name,
        "contact_person_number": ctx.phones[int(rnd() * 512)],
        "external_phone_number": ctx.phones[i % 512] if direct == 1 else None, "direction": "IN" if inbound else "OUT",
        "contact_type": kind, "started_at": ctx.naive(t), "wait_time": first if inbound else 0,
        "time_to_missed": first if kind == "Missed" else 0, "abandon_time": first if kind == "Abandoned" else 0,
        "short_abandon_time": first if kind == "Short Abandoned" else 0, "time_to_voicemail": None,
        "ring_time": ring, "connect_time": first if kind == "Connected" else 0,
        "answered_at": at if inbound else None, "connected_at": at, "talk_time": talk, "hard_hold_time": hard,
        "soft_hold_time": soft, "hold_time": hard, "after_call_work_time": acw, "finished_at": ctx.naive(finish),
        "duration": finish - t, "handle_time": talk + hard + acw,
        "inside_business_hours": "Yes" if ctx.business(t) else "No",
        "inside_service_level": "Yes" if kind == "Answered" and first <= _SERVICE_LEVEL else "No",
        "within_service_level_threshold": "Yes" if inbound and first <= _SERVICE_LEVEL else "No",
        "transfer_out": out, "transfer_out_type": ("Warm" if rnd() < 0.5 else "Blind") if out == "Yes" else None,
        "transfer_in": into, "transfer_in_type": ("Warm" if rnd() < 0.5 else "Blind") if into == "Yes" else None,
        "callback": "Yes" if not inbound and rnd() < 0.05 else "No", "ring_groups": groups,
        "user_name": agent.name if agent else None,
        "direct_assignment_user": user.name if direct == 0 else "External Phone Number" if direct == 1 else None,
        "team_name": agent.team_name if agent else None, "user_id": agent.id if agent else None,
        "direct_assignment_ids": (user.id if direct == 0 else ctx.ids("td-direct", i, 24)) if direct < 2 else None,
        "team_id": agent.team_id if agent else None, "handling_ring_groups": groups if reached else None,
        "disconnected_by_agent": ("Yes" if rnd() < 0.45 else "No") if reached else None,
        "last_contact": "No" if out == "Yes" else "Yes", "data_status": "Damaged" if rnd() < _DAMAGED else "Valid",
    }


# attempt_type: Answered / Canceled / Device Unavailable / Ignored / Rejected [GO-rep]; the weights are the fake's
_UNANSWERED_RING = cumulative(("Ignored", 0.6), ("Rejected", 0.25), ("Device Unavailable", 0.15))


def ring_attempts(ctx: Ctx, r: random.Random, g: int, t: int) -> list[tuple[int, Record]]:
    # one contact's rings: 1-3 batches (batch_ring_id) that ring 1-3 agents at once; the last batch is answered by one
    # agent (the others Canceled) or Canceled when the caller leaves (INFERRED model). ring_attempt_id is 40 hex
    # [AB-s-ring, GO-rep]
    rnd = r.random
    ids = ctx.ids("td-contact", g, 64)
    interaction, contact_id = ids[:32], ids[32:]
    agents = ctx.members[ctx.ring_groups[int(rnd() * len(ctx.ring_groups))]]
    batches, answered, rows = ri(rnd(), 1, 3), rnd() < 0.7, []
    for b in range(batches):
        if t > ctx.hi:
            break
        batch, timeout, last = ctx.ids("td-batch", (g, b)), ri(rnd(), 15, 30), b == batches - 1
        stop = ri(rnd(), 2, timeout) if last else timeout
        first, width = int(rnd() * len(agents)), min(ri(rnd(), 1, 3), len(agents))
        for k in range(width):
            user = agents[(first + k) % len(agents)]
            if last:
                kind, length = ("Answered" if answered and k == 0 else "Canceled"), stop
            else:
                kind = pick(rnd(), _UNANSWERED_RING)
                length = timeout if kind == "Ignored" else ri(rnd(), 1, timeout - 1) if kind == "Rejected" else 1
            length = min(length, ctx.hi - t)
            rows.append((t, {
                "interaction_id": interaction, "contact_id": contact_id, "batch_ring_id": batch,
                "ring_attempt_id": ctx.ids("td-ring", (g, b, k), 40), "attempt_type": kind,
                "ring_started_at_time": ctx.naive(t), "ring_finished_at_time": ctx.naive(t + length),
                "ring_attempt_duration": length, "user_name": user.name, "user_email": user.email,
                "team_name": user.team_name,
            }))
        t += stop + ri(rnd(), 1, 3)
    return rows


# (component_title, step_name, shortest and longest milliseconds) of each tenant flow. "Incoming call"/"Initial step",
# "Play Audio"/"play audio - welcome message" [TD-sfe], "End Flow"/"END" [GO-rep]; the other steps INFERRED from
# Studio's component names
_START = ("Incoming call", "Initial step", 40, 400)
_WELCOME = ("Play Audio", "play audio - welcome message", 3000, 12000)
_HOURS = ("Business Hours", "check business hours", 10, 200)
_DIAL = ("Assignment and Dial", "assign to ring group", 5000, 240000)
_END = ("End Flow", "END", 20, 300)
_FLOW_STEPS = ((_START, _WELCOME, _HOURS, ("Menu", "main menu", 2000, 15000), _DIAL, _END),
               (_START, _WELCOME, _DIAL, ("Voicemail", "leave a voicemail", 10000, 60000), _END),
               (_START, _HOURS, _DIAL, _END))


def flow_steps(ctx: Ctx, r: random.Random, g: int, t: int) -> list[tuple[int, Record]]:
    # one flow execution, a record per step (step_execution_order from 0); time_in_step a fraction of a day; the
    # finished time, under its literal dotted key, is the execution's [TD-sfe, AB-streams]. A caller who hangs up ends
    # the flow early with the hidden exit "call_aborted" [TD-sfe dictionary]
    rnd = r.random
    number = ctx.numbers[int(rnd() * 4)]
    flow_id, flow_name = ctx.flows[number.flow]
    steps = _FLOW_STEPS[number.flow]
    ids = ctx.ids("td-execution", g, 64)
    origin = ctx.phones[int(rnd() * 512)]
    abort = ri(rnd(), 1, len(steps) - 1) if rnd() < 0.15 else len(steps)
    at = min(t * 1000 + int(rnd() * 1000), ctx.hi_ms)
    marks = []
    for k, (title, name, shortest, longest) in enumerate(steps[:abort + 1]):
        length = min(ri(rnd(), shortest, longest), ctx.hi_ms - at)
        marks.append((at, length, title, name, "call_aborted" if k == abort else "ok"))
        at += length
        if at >= ctx.hi_ms:
            break
    finished = ctx.naive(at // 1000)
    return [(s // 1000, {
        "call_sid": "CA" + ids[:32], "interaction_id": ids[32:], "destination_number": number.e164,
        "origin_number": origin, "flow_name": flow_name, "flow_id": flow_id, "component_title": title,
        "step_name": name, "exit": exit_, "time_in_step": length / 86_400_000, "timestamp": ctx.naive(s // 1000),
        "studio_flow_executions_aggregated.flow_execution_finished_time": finished, "step_execution_order": k,
    }) for k, (s, length, title, name, exit_) in enumerate(marks)]


# INFERRED, all of advanced_dialer_calls_report: its fields are unknown [DAG-adc]; these are FT-erd's
# outbound_dialer_calls columns, with types and values the fake's. outcome: (disposition, system disposition, SIP code)
_DIALER = cumulative((("Connected", "ANSWERED", 200), 0.45), (("No Answer", "NO_ANSWER", 487), 0.3),
                     (("Busy", "BUSY", 486), 0.1), (("Voicemail", "ANSWERING_MACHINE", 200), 0.1),
                     (("Failed", "FAILED", 503), 0.05))
_ATTEMPTS = cumulative((1, 0.7), (2, 0.2), (3, 0.1))


def dialer_call(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
    rnd = r.random
    disposition, system, sip = pick(rnd(), _DIALER)
    answered = system == "ANSWERED"
    user, number = ctx.users[int(rnd() * 24)], ctx.numbers[int(rnd() * 4)]
    at_customer, queue, at_agent, talk = fit(ctx.hi - t, ri(rnd(), 3, 30), ri(rnd(), 0, 15) if answered else 0,
                                             ri(rnd(), 1, 5) if answered else 0, ri(rnd(), 15, 900) if answered else 0)
    total = at_customer + queue + at_agent + talk
    transferred = ctx.users[int(rnd() * 24)] if answered and rnd() < 0.05 else None
    return {
        "interaction_id": ctx.ids("td-dialer", i), "campaign_agent_id": user.id if answered else None,
        "campaign_id": ctx.campaigns[int(rnd() * 2)],
        "campaign_transferred_agent_id": transferred.id if transferred else None,
        "record_id": ctx.ids("td-dialer-record", i), "attempt_number": pick(rnd(), _ATTEMPTS),
        "call_finished_time": ctx.naive(t + total), "call_started_time": ctx.naive(t), "callback_mode": None,
        "create_calls_analysis_in_queue": queue, "create_calls_analysis_outbound_dialer_record_extra_data": None,
        "create_calls_analysis_proactive_outbound_phone_type": "mobile" if rnd() < 0.6 else "landline",
        "create_calls_analysis_ringing_at_agent": at_agent, "create_calls_analysis_ringing_at_customer": at_customer,
        "customer_phone_number": ctx.phones[int(rnd() * 512)],
        "description": ctx.sentences[int(rnd() * 512)] if answered and rnd() < 0.1 else "", "disposition": disposition,
        "outbound_dialer_system_disposition": system, "sip_hangup_code": sip, "talkdesk_phone_number": number.e164,
        "team_name": user.team_name if answered else None, "total_duration": total,
    }
