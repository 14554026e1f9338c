"""The server's own secrets: the keys that sign what authorises a request (a vendor's access tokens, the S3 stand-in's
download links). Each is random, made for one server on first use, and never derived from ``--seed``: the seed is
public, and a key made from it would let anyone mint a token or a link. With ``--state`` they are kept in the state
file, as data of the store's core entry, so that what was issued before a restart still works after it."""

from __future__ import annotations

import secrets

from .store import Store

CORE = "_fakeexports"  # the store's core-level entry: no vendor has this name, and no view lists it
KIND = "keys"


class Keys:
    """Random keys by purpose (``"s3-links"``, ``"<vendor>-tokens"``), made on first use. ``keep_in`` (``--state``)
    puts them in the store, which writes them to the file; a key the store already holds (read back from the file)
    wins over one made here."""

    __slots__ = ("_keys", "_store")

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._store: Store | None = None

    def get(self, purpose: str) -> bytes:
        key = self._keys.get(purpose)
        if key is None:
            key = self._keys[purpose] = secrets.token_bytes(32)
            if self._store is not None:
                self._store.common(CORE).put(KIND, purpose, key.hex())
        return key

    def keep_in(self, store: Store) -> None:
        """Keep the keys in ``store`` from now on: those it holds are taken, the others put in it (written with its
        next flush). Called once the state file is read, and again after each reset, which drops the core entry
        with everything else."""
        self._store = store
        state = store.common(CORE)
        for purpose, text in state.items(KIND).items():
            self._keys[purpose] = bytes.fromhex(text)
        for purpose, key in self._keys.items():
            if state.get(KIND, purpose) is None:
                state.put(KIND, purpose, key.hex())

    def kept_after_reset(self) -> None:
        """A reset dropped the store's state: put the keys back where they are kept (nothing to do in memory)."""
        if self._store is not None:
            self.keep_in(self._store)
