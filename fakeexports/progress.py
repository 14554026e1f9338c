"""Progress of long work on a terminal (tqdm): a bar on stderr when stderr is a terminal, nothing otherwise (a CI
log, a pipe, a test). tqdm rather than rich: one small pure-Python package that does exactly this, and stays quiet
by itself when it has no terminal.

Two forms. ``bar`` for a loop that can tick. ``watching`` for work that cannot (a vendor loading a fixture's
million jobs in its own loop): a thread reads a count every quarter second and moves the bar; the work itself is
not touched, so it costs nothing when no bar is shown."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
EVERY = 0.25  # seconds between two readings of a watched count


def shown(file: IO[str] | None = None) -> bool:
    """Whether a bar would be drawn: only on a terminal."""
    out = sys.stderr if file is None else file
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


def bar(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "it",
        file: IO[str] | None = None) -> Iterator[T]:
    """``items`` as they come, with a bar on a terminal."""
    if not shown(file):
        yield from items
        return
    with tqdm(items, total=total, desc=desc, unit=unit, file=file or sys.stderr, dynamic_ncols=True,
              leave=False) as progress:
        yield from progress


@contextmanager
def watching(count: Callable[[], int], total: int, *, desc: str, unit: str = "it",
             file: IO[str] | None = None) -> Iterator[None]:
    """A bar of ``count()`` out of ``total`` while the block runs, moved by a thread; nothing without a terminal.
    The bar ends at what ``count()`` says when the block ends, and is left on the screen as a record."""
    if not shown(file):
        yield
        return
    done = threading.Event()
    progress: Any = tqdm(total=total, desc=desc, unit=unit, file=file or sys.stderr, dynamic_ncols=True,
                         unit_scale=total >= 10_000)

    def follow() -> None:
        while not done.wait(EVERY):
            try:
                progress.update(count() - progress.n)
            except RuntimeError:  # the count read a dict the work was growing: the next reading will do
                continue

    thread = threading.Thread(target=follow, name="fakeexports-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        progress.update(count() - progress.n)
        progress.close()


@contextmanager
def status(desc: str, *, file: IO[str] | None = None) -> Iterator[Callable[[str], None]]:
    """A one-line status on a terminal for work whose end is unknown (a real job being polled): ``say(text)``
    shows the text beside the time spent; nothing without a terminal."""
    if not shown(file):
        yield lambda text: None
        return
    line: Any = tqdm(total=None, desc=desc, file=file or sys.stderr, leave=False,
                     bar_format="{desc}: {postfix} [{elapsed}]")
    try:
        yield lambda text: line.set_postfix_str(text)
    finally:
        line.close()
