"""Result files: deterministic randomness from the seed, faker-seeded value pools (built once, lazily,
so startup stays fast and rows cost no faker calls), and gzip streamed in chunks so that a large file
costs no more memory than a small one. The same seed and key always give byte-identical bytes. Files are made,
to be measured or sent, in one thread per app (``FileThread``), so that a big one never holds the event loop."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import heapq
import io
import queue
import random
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future
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
T = TypeVar("T")


class FileThread:
    """The one thread of an app where its files are generated, a step at a time (a chunk made, or made and counted):
    the event loop only awaits each step's result and answers other requests meanwhile. CPython hands the loop the
    interpreter within its switch interval (5 ms) whenever the loop has work, so a request waits a few ms for another's
    file, never the whole file. Steps run in the order they are asked for: two downloads take turns chunk by chunk. A
    daemon thread, started on first use and ended by ``close`` (an exit never waits for a file half made)."""

    def __init__(self) -> None:
        self._steps: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def run(self, step: Callable[[], T]) -> T:
        """``step()`` run in the thread; cancelling the wait drops a step that has not begun."""
        future: Future[T] = Future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, args=(self._steps,), name="fakeexports-files",
                                            daemon=True)
            self._thread.start()
        self._steps.put((future, step))
        return await asyncio.wrap_future(future)

    @staticmethod
    def _work(steps: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None]) -> None:
        while (item := steps.get()) is not None:
            future, step = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(step())
                except BaseException as exc:  # not handled here: raised again in the request that awaits the step
                    future.set_exception(exc)

    def close(self) -> None:
        if self._thread is not None:
            self._steps.put(None)
            self._steps, self._thread = queue.SimpleQueue(), None


class _Cursor:
    """A file's chunks, advanced by the file thread one step at a time (the generator is made there too)."""

    __slots__ = ("_chunks", "_it")

    def __init__(self, chunks: Chunks):
        self._chunks = chunks
        self._it: Iterator[bytes] | None = None

    def next(self) -> bytes | None:
        if self._it is None:
            self._it = self._chunks()
        return next(self._it, None)

    def length(self) -> int:
        chunk = self.next()
        return -1 if chunk is None else len(chunk)


class _Measuring:
    __slots__ = ("task", "waiters")

    def __init__(self) -> None:
        self.task: asyncio.Future[int] | None = None
        self.waiters = 0


class Sizes:
    """The sizes of generated files, by the file's identity ``(vendor, tenant, its job or day...)``, and the file
    thread that makes files off the event loop. A size is measured by making the file in that thread, chunk by chunk,
    and counting; whoever asks for the same file's size meanwhile waits for that one measurement, which stops if all
    who asked go away. At most ``limit`` sizes are kept (the oldest go first; one that goes is measured again if it
    is asked for), none with the cache ``sizes`` off (caches.py: a second download then makes its file twice).

    A job's file is forgotten when the job is removed, and a reset forgets the sizes in its scope: job ids are made
    again from the tenant's counters, so the same key may name another file after it. A measurement under way
    across a reset still answers those who asked before it, and keeps nothing. Nothing here reads any clock."""

    def __init__(self, enabled: bool = True, limit: int = 20_000):
        self.enabled, self.limit = enabled, limit
        self.name, self.stored = "sizes", 0  # as caches.Caches counts it (a Holder)
        self.thread = FileThread()
        self._sizes: OrderedDict[Hashable, int] = OrderedDict()
        self._measuring: dict[Hashable, _Measuring] = {}

    async def measure(self, key: Hashable, chunks: Chunks) -> int:
        """The size of the file ``chunks`` makes, known as ``key`` (None: kept nowhere, shared with no one)."""
        size = self._sizes.get(key) if key is not None else None
        if size is not None:
            return size
        run = self._measuring.get(key) if key is not None else None
        if run is None:
            run = _Measuring()
            run.task = asyncio.ensure_future(self._count(key, chunks, run))
            if key is not None:
                self._measuring[key] = run
        assert run.task is not None
        run.waiters += 1
        try:
            return await asyncio.shield(run.task)
        finally:
            run.waiters -= 1
            if not run.waiters and not run.task.done():  # everyone who asked went away
                run.task.cancel()
                if self._measuring.get(key) is run:
                    del self._measuring[key]

    async def _count(self, key: Hashable, chunks: Chunks, run: _Measuring) -> int:
        cursor, total = _Cursor(chunks), 0
        try:
            while (n := await self.thread.run(cursor.length)) >= 0:
                total += n
        finally:
            current = key is not None and self._measuring.get(key) is run
            if current:
                del self._measuring[key]
        if current and self.enabled:
            self._sizes[key] = total
            self.stored += 1
            if len(self._sizes) > self.limit:
                self._sizes.popitem(last=False)
        return total

    async def stream(self, chunks: Chunks) -> AsyncIterator[bytes]:
        """The file's chunks, each made in the file thread while the loop serves others."""
        cursor = _Cursor(chunks)
        while (chunk := await self.thread.run(cursor.next)) is not None:
            yield chunk

    def __len__(self) -> int:
        return len(self._sizes)

    def forget(self, key: Hashable) -> None:
        self._sizes.pop(key, None)

    def reset(self, vendor: str | None = None, tenant: str | None = None) -> None:
        """A reset dropped the state of every vendor, of one, or of one tenant: the sizes of their files go."""
        if vendor is None and tenant is None:
            self._sizes.clear()
            self._measuring.clear()
            return

        def dropped(key: Hashable) -> bool:
            return (isinstance(key, tuple) and len(key) >= 2 and (vendor is None or key[0] == vendor)
                    and (tenant is None or key[1] == tenant))

        for table in (self._sizes, self._measuring):
            for key in [k for k in table if dropped(k)]:
                del table[key]

    def close(self) -> None:
        """The app is done: measurements stop and the file thread ends."""
        for run in self._measuring.values():
            if run.task is not None:
                run.task.cancel()
        self._measuring.clear()
        self.thread.close()


class FileBody:
    """A file ready to serve: its chunks are produced on demand (``chunks()`` may be called again, giving the same
    bytes; the core calls it in the app's file thread). Its exact size is ``size`` when the vendor knows it, else
    kept in ``sizes`` under ``key`` once measured: ``await body.measure()`` (never on the event loop)."""

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

    async def measure(self, sizes: Sizes | None = None) -> int:
        """The exact size: known, or measured in the file thread of ``self.sizes`` (else of ``sizes``)."""
        if self._size is None:
            owner = self.sizes if self.sizes is not None else sizes  # a Sizes with no entries yet is falsy
            if owner is None:
                raise ValueError("a FileBody of unknown size needs the app's sizes (runtime.sizes) to be measured")
            self._size = await owner.measure(self.key, self._chunks)
        return self._size

    def chunks(self) -> Iterator[bytes]:
        return self._chunks()


def measure(chunks: Iterable[bytes]) -> int:
    """The size of ``chunks``, counted where it is called (in the file thread: ``await sizes.thread.run(...)``)."""
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
        self._lock = threading.Lock()

    @cached_property
    def _faker(self) -> object:
        from faker import Faker  # imported on first use: faker costs ~100 ms of startup

        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        return fake

    # faker's draws come from one seeded instance, so each list depends on the ones drawn before it: all are drawn
    # together, in this order, the first time any is needed, whichever thread (the loop, the file thread) asks
    # first. Drawn one by one as each was first needed, a file's values depended on which file came first in the
    # process, and a file differed after a restart (bench/crash.py found it).
    DRAWN = (("sentences", "sentence"), ("names", "name"), ("companies", "company"), ("emails", "email"),
             ("cities", "city"))

    @cached_property
    def _drawn(self) -> dict[str, list[str]]:
        fake = self._faker
        return {name: [str(getattr(fake, method)()) for _ in range(self.SIZE)] for name, method in self.DRAWN}

    def _draw(self, name: str) -> list[str]:
        with self._lock:
            return self._drawn[name]

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
        return self._draw("sentences")

    @cached_property
    def names(self) -> list[str]:
        return self._draw("names")

    @cached_property
    def companies(self) -> list[str]:
        return self._draw("companies")

    @cached_property
    def emails(self) -> list[str]:
        return self._draw("emails")

    @cached_property
    def cities(self) -> list[str]:
        return self._draw("cities")


class FileResponse(web.StreamResponse):
    """A generated file streamed in chunks with its exact Content-Length, both made in the app's file thread
    (``sizes``): the size is measured, if it is not known, before the headers go."""

    def __init__(self, status: int, file: FileBody, headers: dict[str, str], sizes: Sizes):
        super().__init__(status=status, headers=headers)
        self.file = file
        self.sizes = sizes
        self.content_type = file.content_type
        if file.filename:
            self.headers["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        if file.content_encoding:
            self.headers["Content-Encoding"] = file.content_encoding

    async def prepare(self, request: web.BaseRequest) -> Any:
        self.content_length = await self.file.measure(self.sizes)
        writer = await super().prepare(request)
        if request.method != "HEAD":
            async for chunk in self.sizes.stream(self.file.chunks):
                await self.write(chunk)
        await self.write_eof()
        return writer
