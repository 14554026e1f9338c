"""Result files: deterministic randomness from the seed, faker-seeded value pools (built once, lazily,
so startup stays fast and rows cost no faker calls), and gzip streamed in chunks so that a large file
costs no more memory than a small one. The same seed and key always give byte-identical bytes."""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import random
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from functools import cached_property
from typing import Any, TypeVar

from aiohttp import web

CHUNK = 64 * 1024


def rng(seed: int, *parts: object) -> random.Random:
    """A Random seeded from the server seed and a key (tenant, resource, day...): stable across runs and
    Python versions (no use of hash())."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def hex_id(seed: int, *parts: object, length: int = 32) -> str:
    """Deterministic lower-case hex of ``length`` characters."""
    return hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=(length + 1) // 2).hexdigest()[:length]


def uuid4_from(seed: int, *parts: object) -> str:
    """A deterministic, well-formed version-4 UUID."""
    h = bytearray(hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=16).digest())
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def uuid7_from(created: float, random_hex: str) -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, the rest from ``random_hex``."""
    ms = int(created * 1000) & ((1 << 48) - 1)
    rand = int(random_hex, 16)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 64) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    x = f"{value:032x}"
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def gzip_chunks(pieces: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """Gzip ``pieces`` into chunks of about CHUNK bytes. zlib's gzip wrapper writes mtime 0 and no file
    name, so the output depends on the input only."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    pending: list[bytes] = []
    size = 0
    for piece in pieces:
        out = comp.compress(piece)
        if out:
            pending.append(out)
            size += len(out)
            if size >= CHUNK:
                yield b"".join(pending)
                pending, size = [], 0
    pending.append(comp.flush())
    yield b"".join(pending)


Num = TypeVar("Num", int, float)


def sorted_compact(values: Iterable[Num], typecode: str = "d", chunk: int = 65536) -> Iterator[Num]:
    """``sorted(values)``, the same items in the same order, in 8 bytes an item instead of 32: ``values`` is read
    to its end at once (a seeded generator's draws stay in their order), sorted a chunk at a time into arrays,
    and merged lazily. A file of a million records keeps 8 MB of times, not 32."""
    runs: list[array[Any]] = []
    buf: list[Num] = []
    for value in values:
        buf.append(value)
        if len(buf) >= chunk:
            buf.sort()
            runs.append(array(typecode, buf))
            buf = []
    buf.sort()
    if not runs:
        return iter(buf)
    runs.append(array(typecode, buf))
    return heapq.merge(*runs)


def batched_lines(lines: Iterable[bytes], batch: int = 256) -> Iterator[bytes]:
    """Join lines into larger pieces (one zlib call, one socket write per piece instead of per row): ``batch``
    lines, or CHUNK bytes if that comes first (pieces that are already large pass through as they are)."""
    buf: list[bytes] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line)
        if len(buf) >= batch or size >= CHUNK:
            yield b"".join(buf)
            buf.clear()
            size = 0
    if buf:
        yield b"".join(buf)


Chunks = Callable[[], Iterator[bytes]]


class Sizes:
    """The sizes of generated files, by the file's identity (vendor, tenant, its job or day...): a file is
    generated once to be measured, and the size kept, at most ``limit`` of them (the oldest go first; one that
    goes is measured again if it is asked for). A job's file is keyed (vendor, tenant, job id), and forgotten
    when the job is removed."""

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self._sizes: OrderedDict[Hashable, int] = OrderedDict()

    def measure(self, key: Hashable, chunks: Chunks) -> int:
        size = self._sizes.get(key)
        if size is None:
            size = self._sizes[key] = sum(len(c) for c in chunks())
            if len(self._sizes) > self.limit:
                self._sizes.popitem(last=False)
        return size

    def forget(self, key: Hashable) -> None:
        self._sizes.pop(key, None)


class FileBody:
    """A file ready to serve: its chunks are produced on demand (``chunks()`` may be called again, giving the
    same bytes); ``size`` is exact, measured on first use (and kept in ``sizes`` under ``key``)."""

    __slots__ = ("_chunks", "_size", "content_encoding", "content_type", "filename", "key", "sizes")

    def __init__(self, content_type: str, chunks: Chunks, *, key: Hashable = None, sizes: Sizes | None = None,
                 filename: str | None = None, content_encoding: str | None = None, size: int | None = None):
        self.content_type = content_type
        self._chunks = chunks
        self.key = key
        self.sizes = sizes
        self.filename = filename
        self.content_encoding = content_encoding
        self._size = size

    @property
    def size(self) -> int:
        if self._size is None:
            if self.sizes is not None and self.key is not None:
                self._size = self.sizes.measure(self.key, self._chunks)
            else:
                self._size = sum(len(c) for c in self._chunks())
        return self._size

    def chunks(self) -> Iterator[bytes]:
        return self._chunks()


def measure(chunks: Iterable[bytes]) -> int:
    return sum(len(c) for c in chunks)


def csv_lines(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """A CSV file's lines, encoded (``\\n`` ends, the csv module's quoting), one writer for the whole file."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buf.tell() >= CHUNK:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    tail = buf.getvalue()
    if tail:
        yield tail.encode()


class Pools:
    """Realistic values drawn once from faker with the server seed. Rows pick from these lists with a
    seeded Random, which is ~100x cheaper than a faker call per field."""

    SIZE = 512

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @cached_property
    def _faker(self) -> object:
        from faker import Faker  # imported on first use: faker costs ~100 ms of startup

        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        return fake

    def _draw(self, method: str, n: int | None = None) -> list[str]:
        fake = self._faker
        return [str(getattr(fake, method)()) for _ in range(n or self.SIZE)]

    @cached_property
    def e164(self) -> list[str]:
        r = rng(self.seed, "e164")
        prefixes = ["+1", "+44", "+49", "+33", "+34", "+61", "+31", "+46"]
        return [
            p + "".join(str(r.randrange(10)) for _ in range(10 if p == "+1" else 9))
            for p in (prefixes[i % len(prefixes)] for i in range(self.SIZE))
        ]

    @cached_property
    def sentences(self) -> list[str]:
        return self._draw("sentence")

    @cached_property
    def names(self) -> list[str]:
        return self._draw("name")

    @cached_property
    def companies(self) -> list[str]:
        return self._draw("company")

    @cached_property
    def emails(self) -> list[str]:
        return self._draw("email")

    @cached_property
    def cities(self) -> list[str]:
        return self._draw("city")


class FileResponse(web.StreamResponse):
    """A generated file streamed in chunks, with its exact Content-Length."""

    def __init__(self, status: int, file: FileBody, headers: dict[str, str]):
        super().__init__(status=status, headers=headers)
        self.file = file
        self.content_type = file.content_type
        self.content_length = file.size
        if file.filename:
            self.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        if file.content_encoding:
            self.headers["Content-Encoding"] = file.content_encoding

    async def prepare(self, request: web.BaseRequest) -> Any:
        writer = await super().prepare(request)
        if request.method != "HEAD":
            for chunk in self.file.chunks():
                await self.write(chunk)
        await self.write_eof()
        return writer
