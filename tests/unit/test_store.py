"""The store: tenant isolation, keyset pages whose cost does not depend on the collection's size, and
cheap reset."""

from __future__ import annotations

from fakeexports.store import Collection, Job, Store


def job(seq: int, coll: str = "Messages") -> Job:
    return Job(f"J{seq}", seq, coll, 0.0, ((0.0, "Submitted"),), {})


def test_keyset_pages_newest_first_and_oldest_first() -> None:
    coll = Collection()
    for seq in range(1, 11):
        coll.add(job(seq))
    page, more = coll.newest_first(None, 0, 4)
    assert [j.seq for j in page] == [10, 9, 8, 7] and more
    page, more = coll.newest_first(7, 0, 4)
    assert [j.seq for j in page] == [6, 5, 4, 3] and more
    page, more = coll.newest_first(3, 0, 4)
    assert [j.seq for j in page] == [2, 1] and not more
    page, more = coll.newest_first(None, 8, 4)  # offset (Page without a token)
    assert [j.seq for j in page] == [2, 1] and not more
    assert coll.newest_first(None, 20, 4) == ([], False)
    page, more = coll.oldest_first(4, 0, 3)
    assert [j.seq for j in page] == [5, 6, 7] and more
    coll.remove(coll.jobs[0])
    assert [j.seq for j in coll.oldest_first(None, 0, 2)[0]] == [2, 3]
    coll.add(job(0))  # an older job (a fixture) goes in order
    assert coll.seqs[0] == 0


def test_tenants_are_isolated_and_reset_is_scoped() -> None:
    store = Store()
    a = store.tenant("twilio", "A")
    b = store.tenant("twilio", "B")
    d = store.tenant("didww", "A")
    a.add_job(job(store.next_seq()))
    assert not b.jobs and not d.jobs
    assert store.job_count() == 1
    assert store.reset("twilio", "A") == 1
    assert not a.alive and b.alive and d.alive
    assert store.tenant("twilio", "A") is not a
    assert store.reset("twilio") == 2
    assert store.reset() == 1


def test_changes_invalidate_the_tenants_cache() -> None:
    store = Store()
    t = store.tenant("twilio", "A")
    t.cache["page"] = b"..."
    t.put("days", "2026-01-01", {"size": 1})
    assert t.cache == {}
    t.cache["page"] = b"..."
    j = t.add_job(job(1))
    assert t.cache == {}
    t.cache["page"] = b"..."
    t.update_job(j, schedule=((0.0, "Running"),), note="x")
    assert t.cache == {} and j.version == 1 and j.attrs["note"] == "x"
    t.remove_job(j)
    assert t.jobs == {} and len(t.collection("Messages")) == 0
