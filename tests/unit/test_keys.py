"""The server's keys (keys.py): random per server, never the seed's; kept in the store with --state, where a key
the store already holds (read back from the file) wins, and put back after a reset drops it."""

from __future__ import annotations

from fakeexports.keys import CORE, KIND, Keys
from fakeexports.store import Store


def test_keys_are_random_per_server_and_stable_within_one() -> None:
    one, two = Keys(), Keys()
    assert one.get("s3-links") == one.get("s3-links")
    assert len(one.get("s3-links")) == 32
    assert one.get("s3-links") != two.get("s3-links")
    assert one.get("s3-links") != one.get("acme-tokens")


def test_kept_in_a_store_the_stores_key_wins_and_new_keys_go_into_it() -> None:
    store = Store()
    first = Keys()
    first.keep_in(store)
    made = first.get("s3-links")  # made after keep_in: put in the store at once
    assert store.common(CORE).get(KIND, "s3-links") == made.hex()
    # a restart: a new server reads the store back and takes the key it holds
    restarted = Keys()
    mine = restarted.get("acme-tokens")  # made before keep_in: put in the store then
    restarted.keep_in(store)
    assert restarted.get("s3-links") == made
    assert store.common(CORE).get(KIND, "acme-tokens") == mine.hex()


def test_a_reset_drops_the_core_entry_and_the_keys_go_back_into_it() -> None:
    store, keys = Store(), Keys()
    keys.keep_in(store)
    made = keys.get("s3-links")
    store.reset()
    assert store.find(CORE, "") is None
    keys.kept_after_reset()
    assert store.common(CORE).get(KIND, "s3-links") == made.hex()
    assert keys.get("s3-links") == made


def test_in_memory_a_reset_keeps_the_keys_and_the_store_stays_empty() -> None:
    store, keys = Store(), Keys()
    made = keys.get("s3-links")
    keys.kept_after_reset()
    assert keys.get("s3-links") == made
    assert store.find(CORE, "") is None
