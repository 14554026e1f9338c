"""The store: tenant isolation, keyset pages whose cost does not depend on the collection's size, and
cheap reset."""

from __future__ import annotations

from fakeexports.pagination import Index, Tokens
from fakeexports.store import Job, Store


def job(seq: int, coll: str = "Messages") -> Job:
    return Job(f"J{seq}", seq, coll, 0.0, ((0.0, "Submitted"),), {})


def test_keyset_and_offset_pages_newest_first_and_oldest_first() -> None:
    coll: Index[int, Job] = Index()
    for seq in range(1, 11):
        coll.put(seq, job(seq))
    page = coll.descending(4)
    assert [j.seq for j in page.items] == [10, 9, 8, 7] and page.more and not page.earlier
    page = coll.descending(4, before=7)
    assert [j.seq for j in page.items] == [6, 5, 4, 3] and page.more and page.earlier
    page = coll.descending(4, before=3)
    assert [j.seq for j in page.items] == [2, 1] and not page.more
    page = coll.descending(4, offset=8)  # a page number without a token
    assert [j.seq for j in page.items] == [2, 1] and not page.more
    assert coll.descending(4, offset=20).items == []
    page = coll.ascending(3, after=4)
    assert [j.seq for j in page.items] == [5, 6, 7] and page.more and page.earlier
    coll.discard(1)
    assert [j.seq for j in coll.ascending(2).items] == [2, 3]
    coll.put(0, job(0))  # an older job (a fixture) goes in order
    assert coll.keys[0] == 0 and coll.get(0) is not None and coll.get(1) is None


def test_page_tokens_are_opaque_checksummed_and_bound_to_their_list() -> None:
    tokens = Tokens(seed=0)
    token = tokens.encode("twilio/AC1/jobs/Messages", "n", 42, prefix="PT")
    assert token.startswith("PT") and "42" not in token
    assert tokens.decode(token, "twilio/AC1/jobs/Messages", prefix="PT") == ("n", "42")
    assert tokens.decode(token, "twilio/AC1/days/Messages", prefix="PT") is None  # another list's
    assert tokens.decode(token, "twilio/AC2/jobs/Messages", prefix="PT") is None  # another tenant's
    assert tokens.decode(token[:-2] + "AA", "twilio/AC1/jobs/Messages", prefix="PT") is None  # altered
    assert Tokens(seed=1).decode(token, "twilio/AC1/jobs/Messages", prefix="PT") is None  # another server's
    for junk in ("", "PT", "PT!!", "PTbm9wZQ", "x" * 5000):
        assert tokens.decode(junk, "twilio/AC1/jobs/Messages", prefix="PT") is None


def test_pages_of_a_large_index_are_right_at_either_end_and_in_the_middle() -> None:
    # structural, not timed: the page is a bisect and a slice, so it touches `size` items however many there are
    small: Index[int, int] = Index()
    large: Index[int, int] = Index()
    for i in range(1_000):
        small.put(i, i)
    for i in range(100_000):
        large.put(i, i)
    assert large.descending(50, before=99_000).items == list(range(98_999, 98_949, -1))
    assert large.ascending(50, offset=50_000).items == list(range(50_000, 50_050))
    assert small.ascending(50, after=999).items == []


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
    b.put("settings", "x", 1)
    d.put("settings", "x", 1)
    assert store.reset("twilio") == 1  # B; the new A never had state, so it is no tenant to drop
    assert store.reset() == 1


def test_every_change_moves_the_tenants_version_on() -> None:
    # what was made from a tenant's state (a kept answer) compares this version: every change must move it
    store = Store()
    t = store.tenant("twilio", "A")
    versions = [t.version]
    t.put("days", "2026-01-01", {"size": 1})
    versions.append(t.version)
    j = t.add_job(job(1))
    versions.append(t.version)
    t.update_job(j, schedule=((0.0, "Running"),), note="x")
    versions.append(t.version)
    assert j.version == 1 and j.attrs["note"] == "x"
    t.remove_job(j)
    versions.append(t.version)
    t.index_put("days/Messages", "2026-01-01", {})
    versions.append(t.version)
    assert versions == sorted(set(versions)) and len(versions) == 6
    assert t.jobs == {} and len(t.collection("Messages")) == 0


def test_an_index_agrees_with_a_sorted_list_under_any_mix_of_changes() -> None:
    # retention removes the oldest first (the head only moves on); deletes and back-dated inserts land anywhere
    import random

    r = random.Random(7)
    index: Index[int, int] = Index()
    model: dict[int, int] = {}
    for step in range(30_000):
        op = r.random()
        if op < 0.45:
            key = (max(model) + r.randint(1, 3)) if model and r.random() < 0.8 else r.randint(0, 40_000)
            index.put(key, step)
            model[key] = step
        elif op < 0.8 and model:
            key = min(model) if r.random() < 0.7 else r.choice(list(model))
            assert index.discard(key) == model.pop(key)
        else:
            assert index.discard(-1) is None
        if step % 997 == 0 or step > 29_900:
            keys = sorted(model)
            assert len(index) == len(keys) and list(index) == [model[k] for k in keys]
            assert [k for k, _ in index.pairs()] == keys
            if keys:
                pivot = r.choice(keys)
                assert index.get(pivot) == model[pivot]
                assert index.ascending(5, after=pivot).items == [model[k] for k in keys if k > pivot][:5]
                assert index.descending(5, before=pivot).items == [model[k] for k in reversed(keys) if k < pivot][:5]
                page = index.ascending(7, offset=len(keys) // 2)
                assert page.items == [model[k] for k in keys[len(keys) // 2:][:7]]
                assert page.earlier == (len(keys) // 2 > 0) and page.more == (len(keys) // 2 + 7 < len(keys))


def test_a_tenant_is_loose_until_its_first_change_and_a_reset_kills_a_loose_one() -> None:
    store = Store()
    loose = store.tenant("v", "t")
    assert store.find("v", "t") is None and list(store.all_states()) == []
    assert store.tenant("v", "t") is loose  # while anything holds it, one state per tenant
    loose.put("settings", "x", 1)
    assert store.find("v", "t") is loose
    other = store.tenant("v", "u")
    assert store.reset("v") == 1  # the held one counts; the loose one dies too
    other.put("settings", "x", 1)  # a request that held it across the reset: its write goes nowhere
    assert store.find("v", "u") is None and not other.alive
    gone = store.tenant("v", "w")
    del gone
    assert store.tenant("v", "w").version == 0  # nothing kept it: a fresh one
