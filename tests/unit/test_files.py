"""Sizes and the file thread (fakeexports/files.py): a file is made off the event loop, measured once however many ask
meanwhile, stopped when nobody waits any more, and forgotten on a reset. Each test orders the file thread and the
loop with events, never by time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from fakeexports.files import FileBody, Sizes


class Gated:
    """A file of ``n`` chunks of ``width`` bytes whose making waits for ``gate`` after the first chunk; it counts how
    often it was begun and how many chunks it made, and says (``started``) once the first chunk is made."""

    def __init__(self, n: int = 5, width: int = 10):
        self.n, self.width = n, width
        self.gate, self.started = threading.Event(), threading.Event()
        self.begun = self.made = 0

    def chunks(self) -> Iterator[bytes]:
        self.begun += 1
        return self._make()

    def _make(self) -> Iterator[bytes]:
        for i in range(self.n):
            if i == 1:
                self.started.set()
                assert self.gate.wait(10), "the test never opened the gate"
            self.made += 1
            yield b"x" * self.width


async def until(event: threading.Event) -> None:
    """Wait, on the loop, for an event the file thread sets (the loop stays free meanwhile)."""
    assert await asyncio.to_thread(event.wait, 10)


async def test_two_who_ask_at_once_share_one_measurement_and_the_size_is_kept() -> None:
    sizes, file = Sizes(), Gated()
    first = asyncio.ensure_future(sizes.measure(("v", "t", "job"), file.chunks))
    await until(file.started)
    second = asyncio.ensure_future(sizes.measure(("v", "t", "job"), file.chunks))
    await asyncio.sleep(0)
    # the loop is free while the file is made: both wait, nothing is done
    assert not first.done() and not second.done()
    file.gate.set()
    assert await first == await second == 50
    assert file.begun == 1
    assert await sizes.measure(("v", "t", "job"), file.chunks) == 50 and file.begun == 1  # kept
    sizes.close()


async def test_with_the_cache_off_nothing_is_kept_but_askers_still_share() -> None:
    sizes, file = Sizes(enabled=False), Gated()
    file.gate.set()
    both = await asyncio.gather(sizes.measure("k", file.chunks), sizes.measure("k", file.chunks))
    assert both == [50, 50] and file.begun == 1
    assert await sizes.measure("k", file.chunks) == 50 and file.begun == 2
    sizes.close()


async def test_a_measurement_nobody_waits_for_stops() -> None:
    sizes, file = Sizes(), Gated(n=100)
    waiter = asyncio.ensure_future(sizes.measure(("v", "t", "job"), file.chunks))
    await until(file.started)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    file.gate.set()
    await sizes.thread.run(lambda: None)  # steps run in order: the one under way has ended
    assert file.made <= 2  # the chunk it was making, then no more
    again = Gated(n=3)
    again.gate.set()
    assert await sizes.measure(("v", "t", "job"), again.chunks) == 30  # a new measurement, not the stopped one
    sizes.close()


async def test_a_reset_forgets_sizes_and_a_measurement_across_it_keeps_nothing() -> None:
    sizes, old, new = Sizes(), Gated(n=5), Gated(n=7)
    other = Gated(n=2)
    other.gate.set()
    assert await sizes.measure(("v", "other-tenant", "job"), other.chunks) == 20
    before = asyncio.ensure_future(sizes.measure(("v", "t", "job"), old.chunks))
    await until(old.started)
    sizes.reset("v", "t")  # the tenant is dropped: its next job of that id is another file
    after = asyncio.ensure_future(sizes.measure(("v", "t", "job"), new.chunks))
    new.gate.set()
    old.gate.set()
    assert await before == 50  # who asked before the reset gets the file it asked for
    assert await after == 70 and new.begun == 1  # who asks after it, the new file: not the measurement under way
    assert await sizes.measure(("v", "t", "job"), old.chunks) == 70 and old.begun == 1  # the new file's size kept
    assert await sizes.measure(("v", "other-tenant", "job"), other.chunks) == 20 and other.begun == 1
    sizes.reset()
    assert await sizes.measure(("v", "other-tenant", "job"), other.chunks) == 20 and other.begun == 2
    sizes.close()


async def test_an_error_while_making_a_file_reaches_who_asked() -> None:
    sizes = Sizes()

    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise ZeroDivisionError("a bug in a generator")

    with pytest.raises(ZeroDivisionError):
        await sizes.measure("k", broken)
    fixed = Gated(n=1)
    assert await sizes.measure("k", fixed.chunks) == 10  # not left waiting on the failed one
    sizes.close()


async def test_a_body_streams_in_the_file_thread_and_knows_its_size_once_measured() -> None:
    sizes = Sizes()
    where: list[str] = []

    def chunks() -> Iterator[bytes]:
        for piece in (b"ab", b"cde"):
            where.append(threading.current_thread().name)
            yield piece

    body = FileBody("text/plain", chunks, key="k", sizes=sizes)
    assert await body.measure() == 5
    assert [chunk async for chunk in sizes.stream(body.chunks)] == [b"ab", b"cde"]
    assert set(where) == {"fakeexports-files"}
    with pytest.raises(ValueError, match="needs the app's sizes"):
        await FileBody("text/plain", chunks).measure()
    assert await FileBody("text/plain", chunks, size=5).measure() == 5
    sizes.close()


def test_the_value_pools_do_not_depend_on_which_is_needed_first() -> None:
    # drawn one by one from one seeded faker as each was first needed, a file's names depended on which file the
    # process made first, and a file differed after a restart (bench/crash.py)
    from fakeexports.files import Pools

    first, second = Pools(7), Pools(7)
    names, cities = first.names, first.cities
    assert second.cities == cities and second.names == names
    assert second.sentences == first.sentences and second.emails == first.emails
