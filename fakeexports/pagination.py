"""Pages of a list, the same way for every vendor. An Index keeps items sorted by a key (a job's creation
sequence, a Twilio day), so a keyset page (after or before a key) and an offset page (a page number) are a
bisect and a slice: their cost does not depend on how many items the list holds, and a keyset page stays right
while items are added. Tokens are opaque and checksummed: a token cannot be forged or altered, and one list's
token is refused by another's. Vendors only render their own links and meta."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", int, str)
T = TypeVar("T")


@dataclass(slots=True)
class Page(Generic[T]):
    """``items`` in the order asked for; ``more``: items follow in that order; ``earlier``: items precede."""

    items: list[T]
    more: bool
    earlier: bool


class Index(Generic[K, T]):
    """Items sorted by a unique key. Appending a key greater than the last is O(1); other inserts are a bisect
    (and a list insert, cheap for the short lists a fixture back-dates into). Removing the first item, as
    retention does oldest first, only moves ``head`` on (the lists are compacted once half of them is dead);
    removing another is a list delete."""

    __slots__ = ("head", "items", "keys")

    def __init__(self) -> None:
        self.keys: list[K] = []
        self.items: list[T] = []
        self.head = 0  # keys[:head] and items[:head] are gone

    def __len__(self) -> int:
        return len(self.keys) - self.head

    def __iter__(self) -> Iterator[T]:
        return iter(self.items[self.head:]) if self.head else iter(self.items)

    def pairs(self) -> list[tuple[K, T]]:
        return list(zip(self.keys[self.head:], self.items[self.head:], strict=True))

    def _find(self, key: K) -> int:
        return bisect_left(self.keys, key, self.head)

    def put(self, key: K, item: T) -> None:
        keys = self.keys
        if len(keys) == self.head or key > keys[-1]:
            keys.append(key)
            self.items.append(item)
            return
        i = self._find(key)
        if i < len(keys) and keys[i] == key:
            self.items[i] = item
        elif i == self.head and self.head:  # before the first: the freed slot just before it takes it
            self.head -= 1
            keys[self.head], self.items[self.head] = key, item
        else:
            keys.insert(i, key)
            self.items.insert(i, item)

    def get(self, key: K) -> T | None:
        i = self._find(key)
        return self.items[i] if i < len(self.keys) and self.keys[i] == key else None

    def discard(self, key: K) -> T | None:
        keys = self.keys
        i = self._find(key)
        if i >= len(keys) or keys[i] != key:
            return None
        item = self.items[i]
        if i == self.head:
            self.items[i] = None  # type: ignore[assignment]  # let the item go; its key stays as a bound
            self.head += 1
            if self.head == len(keys):
                keys.clear()
                self.items.clear()
                self.head = 0
            elif self.head > 1024 and self.head * 2 > len(keys):
                del keys[:self.head], self.items[:self.head]
                self.head = 0
        else:
            del keys[i], self.items[i]
        return item

    def ascending(self, size: int, after: K | None = None, offset: int = 0) -> Page[T]:
        """Up to ``size`` items in key order, after the key ``after`` (or from the first), skipping ``offset``."""
        start = (self.head if after is None else bisect_right(self.keys, after, self.head)) + max(0, offset)
        end = start + size
        return Page(self.items[start:end], end < len(self.keys), start > self.head)

    def descending(self, size: int, before: K | None = None, offset: int = 0) -> Page[T]:
        """Up to ``size`` items, greatest key first, before the key ``before`` (or from the last), skipping
        ``offset``."""
        head = self.head
        end = (len(self.keys) if before is None else self._find(before)) - max(0, offset)
        if end <= head:
            return Page([], False, before is not None or offset > 0)
        start = max(head, end - size)
        return Page(self.items[start:end][::-1], start > head, end < len(self.keys))


class Tokens:
    """Opaque page tokens: a direction ("n" for the next page, "p" for the previous one) and a keyset key, bound
    to one list (``scope``: vendor, tenant and list) by an HMAC; ``prefix`` is the vendor's own (Twilio's tokens
    start with PT). Its key comes from the seed on purpose: a page token authorises nothing (the list it pages is
    the authenticated tenant's own, so a forged one can only move through that), and tokens are in answers, which
    the seed keeps byte-identical. Keys that authorise are random (keys.py)."""

    def __init__(self, seed: int):
        self.secret = hashlib.blake2b(f"fakeexports-page-tokens-{seed}".encode(), digest_size=32).digest()

    def _mac(self, scope: str, raw: str) -> str:
        return hmac.new(self.secret, f"{scope}\n{raw}".encode(), hashlib.blake2b).hexdigest()[:12]

    def encode(self, scope: str, direction: str, key: Any, prefix: str = "") -> str:
        raw = f"{direction}{key}"
        text = f"{raw}.{self._mac(scope, raw)}"
        return prefix + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, token: str, scope: str, prefix: str = "") -> tuple[str, str] | None:
        """The direction and key of a token made for ``scope``; None for anything else."""
        if not token.startswith(prefix):
            return None
        text = token[len(prefix):]
        try:
            raw, _, mac = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().rpartition(".")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if not raw or raw[0] not in "np" or not mac.isascii() or not hmac.compare_digest(mac, self._mac(scope, raw)):
            return None
        return raw[0], raw[1:]
