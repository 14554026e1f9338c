"""Non-call records of Talkdesk Explore: user_status, messaging_contacts, messaging_traffic, audit_logs, the
per-agent time and volume reports, and qm_evaluation_analysis. Source tags are resolved in records.py."""

from __future__ import annotations

import random
from collections.abc import Iterator
from operator import itemgetter

from ...kit import hex_id, sorted_compact, uuid4_from
from .records_base import Build, Ctx, Record, cumulative, dhms, fit, pick, ri

# status_label: "Away", "On A Call" [TD-us], "offline" [GO-rep]; "Available", "Busy", "After Call Work" INFERRED
_STATUSES = ("Available", "On A Call", "After Call Work", "Away", "Busy", "offline")


def user_status(ctx: Ctx, r: random.Random, n: int) -> Iterator[Record]:
    # each user's statuses follow one another over the timespan (a status ends when the next begins), n records in all;
    # status_time in seconds; ring_groups "+"-joined as in real data [GO-rep] (the doc's "[\"rg1\", \"rg2\"]" is not
    # used); team_id/team_name nullable [TD-us, AB-s-us]
    rnd, width, rows = r.random, ctx.hi - ctx.lo + 1, []
    for u, user in enumerate(ctx.users):
        k = n // 24 + (u < n % 24)
        if not k:
            continue
        bounds = [ctx.lo, *sorted(ctx.lo + int(rnd() * width) for _ in range(k - 1)), ctx.hi]
        groups, label = "+".join(user.ring_groups), ""
        for j in range(k):
            label = _STATUSES[(_STATUSES.index(label) + ri(rnd(), 1, 5)) % 6] if label else _STATUSES[int(rnd() * 6)]
            a, b = bounds[j], bounds[j + 1]
            rows.append((a, {
                "user_name": user.name, "user_email": user.email, "user_id": user.id, "status_label": label,
                "status_start_at": ctx.naive(a), "status_end_at": ctx.naive(b), "status_time": b - a,
                "is_user_active": user.active, "team_id": user.team_id, "team_name": user.team_name,
                "ring_groups": groups,
            }))
    rows.sort(key=itemgetter(0))
    return (record for _, record in rows)


# contact_finished_reason: the dictionary's "Manually Closed, Manually Sent to Queue, Timed Out to Queue" in the
# example's upper case ("MANUALLY CLOSED") [TD-mc]; the weights are the fake's
_FINISHED = cumulative(("MANUALLY CLOSED", 0.85), ("MANUALLY SENT TO QUEUE", 0.1), ("TIMED OUT TO QUEUE", 0.05))
_MESSAGING_DISPOSITIONS = ("Resolved", "Follow-up Required", "Not Interested")  # INFERRED


def messaging_contact(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
    # fields and order of the docs' example: channel "SMS", contact_id a UUID, durations fractions of a day, handle
    # and response times "0d 0h 0m 42s", direction "Inbound"/"Outbound", queues " + "-joined, the literal key
    # "wrap-up_duration" [TD-mc]. INFERRED: one contact per interaction; contact_duration runs from contact start
    rnd = r.random
    email, inbound = rnd() < 0.3, rnd() < 0.7
    channel = "EMAIL" if email else "SMS"  # "EMAIL" as in messaging_traffic [TD-mt]
    person, number = ctx.persons[int(rnd() * 100)], ctx.numbers[int(rnd() * 4)]
    agents = ctx.members[number.ring_group]
    user = agents[int(rnd() * len(agents))]
    lead, queue, talk, wrap, tail = fit(ctx.hi - t, ri(rnd(), 0, 10), ri(rnd(), 0, 120) if inbound else 0,
                                        ri(rnd(), 30, 1800), ri(rnd(), 0, 60), ri(rnd(), 0, 3))
    handle, first = min(talk, ri(rnd(), 20, 600)), min(talk, ri(rnd(), 5, 120))
    started, assigned = t + lead, t + lead + queue
    finished = assigned + talk + wrap
    interaction = ctx.ids("td-conversation", i)
    reason = pick(rnd(), _FINISHED)
    queues = "agents" if number.ring_group == "agents" else "agents + " + number.ring_group
    direct = rnd() < 0.05
    return {
        "channel_type": channel, "contact_assigned_at": ctx.naive(assigned),
        "contact_duration": (finished - started) / 86400, "contact_finished_at": ctx.naive(finished),
        "contact_finished_reason": reason, "contact_handle_time": dhms(handle),
        "contact_id": uuid4_from(ctx.seed, "td-message-contact", ctx.tenant, ctx.job_id, i),
        "contact_person_channel_identifier": person.email if email else person.phone,
        "contact_person_id": person.id, "contact_person_name": person.name if rnd() < 0.4 else "",
        "contact_started_at": ctx.naive(started),
        "conversation": f"https://{ctx.account}.talkdeskapp.com/atlas/apps/conversation-history/{channel}/{interaction}",
        "direct_assignment_user_id": user.id if direct else None,
        "direct_assignment_user": user.name if direct else None,
        "direction": "Inbound" if inbound else "Outbound",
        "disposition_name": _MESSAGING_DISPOSITIONS[int(rnd() * 3)] if rnd() < 0.2 else None,
        "first_response_time": dhms(first), "handling_queues": queues,
        "interaction_duration": (finished + tail - t) / 86400, "interaction_finished_at": ctx.naive(finished + tail),
        "interaction_handle_time": dhms(handle), "interaction_id": interaction, "interaction_started_at": ctx.naive(t),
        "interaction_status": "CLOSED", "is_virtual_agent": "NO",
        "notes": ctx.sentences[int(rnd() * 512)] if rnd() < 0.05 else None, "queues": queues,
        "touchpoint_identifier": f"support@{ctx.domain}" if email else number.e164,
        "touchpoint_name": "Support email" if email else number.display_name,
        "transfer_out": "Yes" if reason == "MANUALLY SENT TO QUEUE" else "No", "user_id": user.id,
        "user_name": user.name, "virtual_agent_id": None, "virtual_agent_name": None,
        "wrap-up_duration": wrap / 86400,
    }


def messages(ctx: Ctx, r: random.Random, g: int, t: int) -> list[tuple[int, Record]]:
    # one conversation's messages: contact_id and message_id UUIDs, interaction_id 32 hex, message_direction
    # "Inbound" with user_id/user_name null [TD-mt]. INFERRED: an outbound message carries its agent
    rnd = r.random
    email = rnd() < 0.5
    person, user = ctx.persons[int(rnd() * 100)], ctx.users[int(rnd() * 24)]
    contact_id = uuid4_from(ctx.seed, "td-traffic-contact", ctx.tenant, ctx.job_id, g)
    interaction, inbound, rows = ctx.ids("td-traffic", g), rnd() < 0.8, []
    for k in range(ri(rnd(), 2, 8)):
        rows.append((t, {
            "contact_id": contact_id, "channel_type": "EMAIL" if email else "SMS",
            "contact_person_id": person.email if email else person.phone, "contact_person_name": "",
            "interaction_id": interaction, "message_created_at": ctx.naive(t),
            "message_direction": "Inbound" if inbound else "Outbound",
            "message_id": uuid4_from(ctx.seed, "td-message", ctx.tenant, ctx.job_id, g, k),
            "user_id": None if inbound else user.id, "user_name": None if inbound else user.name,
        }))
        t += ri(rnd(), 10, 600)
        if t > ctx.hi:
            break
        inbound = not inbound if rnd() < 0.8 else inbound
    return rows


# (generator_name, operation, resource_id): the first row is the docs' example [TD-audit], "TALKDESK-ID" a generator
# in the dictionary [TD-audit dictionary]; the rest INFERRED
_AUDIT = (("ring-groups-api", "read_ring_groups", "/ring-groups"), ("ring-groups-api", "update_ring_groups",
          "/ring-groups"), ("users-api", "read_users", "/users"), ("users-api", "update_users", "/users"),
          ("TALKDESK-ID", "login", "/login"), ("data-reports-api", "create_report_job", "/data/reports"))
_BROWSERS = (  # INFERRED: the docs' example is "a browser UA"
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0")


def audit_logs(ctx: Ctx, r: random.Random, n: int) -> Iterator[Record]:
    # timestamps with milliseconds, ip_addresses an array, platform_tid a dashed 32-hex id (INFERRED: the tenant's,
    # constant) [TD-audit]
    rnd, lo = r.random, ctx.lo * 1000
    width = ctx.hi_ms - lo + 1
    tid = hex_id(ctx.seed, "td-tid", ctx.tenant)
    tid = f"{tid[:8]}-{tid[8:12]}-{tid[12:16]}-{tid[16:20]}-{tid[20:]}"
    for ms in sorted_compact((lo + int(rnd() * width) for _ in range(n)), "q"):
        user = ctx.users[int(rnd() * 24)]
        generator, operation, resource = _AUDIT[int(rnd() * 6)]
        a = user.actor_id
        yield {
            "actor_id": a, "generator_name": generator,
            "ip_addresses": [f"{11 + int(a[:2], 16) % 212}.{int(a[2:4], 16)}.{int(a[4:6], 16)}.{int(a[6:8], 16) or 1}"],
            "operation": operation, "platform_tid": tid, "resource_id": resource,
            "operation_status": "success" if rnd() < 0.97 else "failure",  # "success" [TD-audit]; "failure" INFERRED
            "user_agent": _BROWSERS[int(a[8:10], 16) % 3], "timestamp": f"{ctx.naive(ms // 1000)}.{ms % 1000:03d}",
            "user_id": user.id, "agent_name": user.name, "agent_email": user.email,
        }


def per_agent(value_key: str, shortest: int, longest: int, ring_group: bool = True) -> Build:
    """A per-agent report (acw/hold/talk time, inbound volume, online time): agent_id, ring_groups_name, team_id
    (nullable), started_at, one integer [GO-rep]. INFERRED: a row per contact (the real values are small: 9, 85, 1)."""
    def build(ctx: Ctx, r: random.Random, i: int, t: int) -> Record:
        rnd = r.random
        user = ctx.users[int(rnd() * 24)]
        record: Record = {"agent_id": user.id}
        if ring_group:
            record["ring_groups_name"] = user.ring_groups[int(rnd() * len(user.ring_groups))]
        record["team_id"], record["started_at"] = user.team_id, ctx.naive(t)
        record[value_key] = ri(rnd(), shortest, longest)
        return record
    return build


# (section, questions) of each tenant form: (text, type, max score or None for text questions). form and section
# "Existing Patient Evaluation v1", "HIPAA Compliance", question "Compliance Failures (Type none if none)", types
# MultipleChoiceQuestion / TextQuestion [GO-rep]; the rest INFERRED
_FORMS = (
    ("Existing Patient Evaluation v1", (
        ("HIPAA Compliance", (("Verified the patient's identity", "MultipleChoiceQuestion", 2),
                              ("Compliance Failures (Type none if none)", "TextQuestion", None))),
        ("Customer Experience", (("Greeting and introduction", "MultipleChoiceQuestion", 1),
                                 ("Empathy and tone", "MultipleChoiceQuestion", 5),
                                 ("Overall service", "MultipleChoiceQuestion", 5))))),
    ("Customer Service Evaluation v2", (
        ("Opening", (("Used the standard greeting", "MultipleChoiceQuestion", 1),)),
        ("Resolution", (("Resolved the issue on the first contact", "MultipleChoiceQuestion", 5),
                        ("Followed the escalation process", "MultipleChoiceQuestion", 3),
                        ("Comments", "TextQuestion", None))))),
)


def evaluation(ctx: Ctx, r: random.Random, g: int, t: int) -> list[tuple[int, Record]]:
    # one evaluation, a row per question, the section and evaluation scores summed from the questions; question scores
    # null for text questions (INFERRED); never-populated keys kept as null [GO-rep]
    rnd = r.random
    f = int(rnd() * 2)
    form_name, sections = _FORMS[f]
    agent, evaluator = ctx.users[2 + int(rnd() * 22)], ctx.evaluators[int(rnd() * 2)]
    scores = [[ri(rnd(), 0, top) if top else None for _, _, top in questions] for _, questions in sections]
    total = sum(s for row in scores for s in row if s is not None)
    top_total = sum(top or 0 for _, questions in sections for _, _, top in questions)
    common = {
        "agent": f"{agent.name} ({agent.email}) [{agent.id}]", "agent_email": agent.email, "agent_id": agent.id,
        "agent_name": agent.name, "evaluation_id": uuid4_from(ctx.seed, "td-evaluation", ctx.tenant, ctx.job_id, g),
        "evaluator_id": evaluator.id, "evaluator_name": evaluator.name,
        "form_id": hex_id(ctx.seed, "td-form", ctx.tenant, f), "form_name": form_name,
        "interaction_id": ctx.ids("td-evaluated", g)}
    rows = []
    for s, (section, questions) in enumerate(sections):
        obtained = sum(x for x in scores[s] if x is not None)
        section_top = sum(top or 0 for _, _, top in questions)
        for q, (text, kind, top) in enumerate(questions):
            score = scores[s][q]
            if score is None or top is None:
                answer = "none" if rnd() < 0.7 else ctx.sentences[int(rnd() * 512)]
            elif top == 1:
                answer = "Yes" if score else "No"
            else:  # "Above and Beyond" [GO-rep]; the others INFERRED
                answer = "Above and Beyond" if score == top else "Meets Expectations" if 2 * score >= top else "Below"
            rows.append((t, {
                **common, "question_answer": answer,
                "question_id": hex_id(ctx.seed, "td-question", ctx.tenant, f, s, q),
                "question_text": text, "ring_group_names": agent.ring_groups[-1],
                "section_id": hex_id(ctx.seed, "td-section", ctx.tenant, f, s), "section_name": section,
                "team_name": agent.team_name, "question_type": kind, "evaluation_time": ctx.naive(t),
                "evaluation_max_score": top_total, "evaluation_obtained_score": total, "evaluation_version": 0,
                "section_obtained_score": obtained,
                "section_max_score": section_top, "question_max_score": top,
                "question_obtained_score": score, "branch_to": None, "first_evaluated_on": None, "header_id": None,
                "header_text": None, "interaction_reference": None,
            }))
    return rows
