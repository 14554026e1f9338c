"""The request journal is capped and marks what came later; faults are a queue of side effects that
matching requests or jobs use up."""

from __future__ import annotations

import pytest

from fakeexports.faults import Fault, Faults
from fakeexports.journal import Journal


def test_the_journal_keeps_the_last_entries_and_never_reuses_a_mark() -> None:
    journal = Journal(size=3)
    for i in range(5):
        journal.record(float(i), "twilio", "AC1", "GET", f"/p{i}", 200, "ListDay")
    assert [e.path for e in journal.since(0)] == ["/p2", "/p3", "/p4"]
    mark = journal.mark
    journal.record(9.0, "didww", None, "GET", "/x", 401, "ListExports")
    journal.server_error(9.0, "didww GET /x", "boom", "tb")
    assert [e.path for e in journal.since(mark)] == ["/x"]
    assert journal.since(mark, vendor="twilio") == []
    assert [e.message for e in journal.errors_since(mark)] == ["boom"]
    assert journal.to_json(mark)["mark"] == journal.mark == mark + 2


def test_faults_match_vendor_operation_and_tenant_and_are_used_up() -> None:
    faults = Faults()
    faults.add(Fault(vendor="twilio", operation="FetchJob", status=503, times=2))
    faults.add(Fault(vendor="twilio", tenant="AC2", status=429))
    faults.add(Fault(vendor="talkdesk", operation="ExecuteReport", outcome="failed"))
    assert faults.response_error("twilio", "ListDay", "AC1") is None
    first = faults.response_error("twilio", "FetchJob", "AC1")
    assert first is not None and first.status == 503
    assert faults.response_error("twilio", "FetchJob", "AC1") is not None
    assert faults.response_error("twilio", "FetchJob", "AC1") is None  # used up after two
    limited = faults.response_error("twilio", "ListDay", "AC2")
    assert limited is not None and limited.kind == "rate_limited"
    assert faults.outcome("talkdesk", "ExecuteReport", "c") == "failed"
    assert faults.outcome("talkdesk", "ExecuteReport", "c") is None
    forever = faults.add(Fault(vendor="hookbridge", status=500, times=0))
    for _ in range(5):
        assert faults.response_error("hookbridge", "ListExports", "p") is not None
    assert faults.to_json() == [{**forever.__dict__}]
    faults.clear("hookbridge")
    assert faults.queue == []
    with pytest.raises(ValueError):
        faults.add(Fault(vendor="twilio"))
    with pytest.raises(ValueError):
        faults.add(Fault(vendor="twilio", status=302))
