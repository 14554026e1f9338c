"""--state PATH: the store kept in SQLite (WAL), behind the store's own methods. Every change a request makes is
reported to a ``StateFile`` (the store's sink) and written in one transaction before the answer is sent; so
are the changes of scheduled events, webhook attempts and the control API. A restart on the same file finds
tenants, jobs with their schedules, vendors' records and settings, the clock, faults, vendor options and the
webhook queue as they were, and the engine re-arms every job's timers, so schedules resume on the clock.

A write that fails (the disk full or read-only, an I/O error) is never half done and never forgotten: SQLite
undoes the transaction, the changes stay pending in memory, and every answer is a 503 until they are written.
Every request tries again, and so does a timer every ``RETRY`` seconds, so the file catches up by itself when the
disk does. Memory may run ahead of the file only while no answer shows it: a client that got a 503 sees, from
then on, what the file has. We keep and retry rather than roll memory back because a change is not only the
request's: due events fired, the clock moved, webhook attempts ended and timers were re-armed along with it, and
undoing all that is more to get wrong than writing it later. So a 503 here means "not written yet", not "not
done": the change is written once the disk allows, or lost with the process if it is killed before (never
acknowledged either way). A scheduled event whose change cannot be written runs all the same (time does not
stop for a full disk); its change waits with the others.

One file, one server: ``<file>-lock`` beside it is locked (flock) while a server uses the file and names that
server's process, so a second server refuses to start. A file this server cannot use is refused with one line
naming it and the cause (StateError; the CLI exits 2). The file is created readable by its owner alone (0600;
SQLite gives its -wal and -shm files the same mode), and a tenant gets rows only once it has state.

What is not kept: the request journal and the webhook attempt log (diagnostics), rate-limit windows and
caches (they rebuild). SQLite's ``synchronous=NORMAL`` in WAL mode makes a committed answer survive the
process being killed; a power cut may lose the last transactions."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .clock import ClockRangeError
from .errors import StateWriteError, VendorError
from .faults import FIELDS, FaultError
from .fixtures import load_into
from .jobs import load_note, saved_note
from .pagination import Index
from .store import Job, Store, TenantState

if TYPE_CHECKING:
    from .registry import Registry
    from .runtime import Runtime
    from .vendor import VendorApp

FORMAT = "fakeexports-state"
VERSION = 1  # PRAGMA user_version of the files this code writes; older ones are migrated by MIGRATIONS
RETRY = 1.0  # seconds between tries to write changes that could not be written (wall time: this is I/O)
LOG = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tenants (vendor TEXT NOT NULL, tenant TEXT NOT NULL, PRIMARY KEY (vendor, tenant));
CREATE TABLE jobs (vendor TEXT NOT NULL, tenant TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                   collection TEXT NOT NULL, created REAL NOT NULL, schedule TEXT NOT NULL, attrs TEXT NOT NULL,
                   version INTEGER NOT NULL, PRIMARY KEY (vendor, tenant, id));
CREATE TABLE data (vendor TEXT NOT NULL, tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
                   value TEXT NOT NULL, PRIMARY KEY (vendor, tenant, kind, key));
CREATE TABLE indexes (vendor TEXT NOT NULL, tenant TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,
                      item TEXT NOT NULL, PRIMARY KEY (vendor, tenant, name, key));
CREATE TABLE webhooks (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
"""

# Migrations from older formats, by the version they upgrade from: each takes the connection to the next one.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}

# Why a file is refused at start (StateError): one line each, naming the file and the cause.
MSG_IN_USE = "{path} is in use by another fakeexports server ({holder}): stop that one, or give --state another path"
MSG_CANNOT_WRITE = ("{path}: cannot write {what} ({cause}); a server writes its state file and creates {name}-wal, "
                    "{name}-shm and {name}-lock beside it: fix the permissions or make room, or give --state "
                    "another path")
MSG_NO_DIRECTORY = "{path}: the directory {directory} does not exist; make it, or give --state another path"
MSG_IS_DIRECTORY = "{path} is a directory; give --state the path of a file"
MSG_FOREIGN = "{path} is not a fakeexports state file ({cause}); give --state another path"
MSG_DAMAGED = ("{path} is damaged, truncated or corrupted ({cause}); restore it from a copy, or move it away to "
               "start afresh")
MSG_BAD_ROW = ("{path}: {where} is not what fakeexports writes ({cause}); restore the file from a copy, or move "
               "it away to start afresh")
MSG_NEWER = ("{path} was written by a newer fakeexports (state format {version}; this one reads {ours} and "
             "older): upgrade fakeexports, or give --state another path")
MSG_MIGRATE = ("{path} has state format {version}, which this fakeexports cannot migrate (it reads {ours}); give "
               "--state another path")
MSG_SEED = ("{path} was made with --seed {seed}, this server has --seed {ours}: its ids and files would not match; "
            "use the same seed or another state file")
MSG_OUT_OF_RANGE = "{path}: {cause}; this file cannot be served"
MSG_LOCKED = "{path} is locked by another program ({cause}); stop it, or give --state another path"

# What a failed write says (StateWriteError), and what the operator reads, once per outage.
MSG_UNWRITTEN = "{path}: {cause}"
LOG_FAILING = "fakeexports: cannot write the state file %s (%s): answering 503 until it can be written"
LOG_WRITTEN = "fakeexports: the state file %s is written again"
LOG_LEFT = "fakeexports: %s: stopped with changes it could not write (none of them was acknowledged: each got a 503)"
LOG_DROPPED = "fakeexports: %s: a saved %s this server cannot use is dropped: %s"

# SQLite's primary result codes, as a person reads them (sqlite.org/rescode.html)
CAUSES = {"FULL": "the disk is full", "READONLY": "the file is read-only", "IOERR": "an I/O error",
          "CANTOPEN": "it cannot be opened", "PERM": "permission denied", "CORRUPT": "the file is damaged",
          "NOTADB": "not an SQLite database", "BUSY": "it is locked", "LOCKED": "it is locked"}


class StateError(Exception):
    """A state file this server cannot use; the message (one line) names it and says why and what to do."""


class _Bad(Exception):
    """A value in the file that is not what this code writes; the caller names the row it came from."""


def _put(db: sqlite3.Connection, table: str, columns: tuple[str, ...], key: tuple[Any, ...], value: Any) -> None:
    """One row of ``table`` (keyed by ``columns``, then a JSON ``value``) written, or deleted when ``value`` is
    None."""
    if value is None:
        db.execute(f"DELETE FROM {table} WHERE " + " AND ".join(f"{c}=?" for c in columns), key)
    else:
        db.execute(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * (len(key) + 1))})",
                   (*key, _dumps(value)))


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits: the json module writes it
        import json

        return json.dumps(value)


def _loads(text: object) -> Any:
    if not isinstance(text, str):
        raise _Bad(f"{type(text).__name__} where JSON text belongs")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _Bad(f"not JSON: {exc}") from None


def _code(exc: sqlite3.Error) -> str:
    """SQLite's primary result code without its prefix: ``FULL`` for SQLITE_FULL, ``IOERR`` for SQLITE_IOERR_WRITE."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.split("_")[1] if "_" in name else ""


def _cause(exc: BaseException) -> str:
    """A failed write or open in words: what it means, then what the system or SQLite said."""
    if isinstance(exc, sqlite3.Error):
        meaning = CAUSES.get(_code(exc))
        return f"{meaning}; SQLite says: {exc}" if meaning else f"SQLite says: {exc}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno)
    return str(exc)


def _has_state(state: TenantState) -> bool:
    """A tenant with anything to keep: jobs, data or records (one without gets no row in the file)."""
    return state.alive and bool(state.jobs or any(state.data.values()) or any(map(len, state.indexes.values())))


class StateFile:
    """The store's sink: changes are collected as they happen and written by ``flush`` in one transaction."""

    def __init__(self, path: str, seed: int):
        self.path = Path(path)
        self.seed = seed
        self._jobs: dict[tuple[str, str, str], TenantState] = {}
        self._data: dict[tuple[str, str, str, str], TenantState] = {}
        self._indexes: dict[tuple[str, str, str, str], tuple[TenantState, Any]] = {}
        self._resets: list[tuple[str | None, str | None]] = []
        self._webhooks: dict[int, Any] = {}  # pending attempts: id -> record, None once it went
        # what else to keep: name -> (a cheap token that changes when the value does, the value)
        self.meta: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
        self._meta_seen: dict[str, Any] = {}
        self.writes = 0
        self.failing: str | None = None  # why the last write failed, until one succeeds
        self.on_failure: Callable[[str], None] | None = None  # told once per outage (the journal)
        self._retry: asyncio.TimerHandle | None = None
        self._lock_path = self.path.with_name(self.path.name + "-lock")
        self._lock, made = self._take_lock()
        try:
            self.db = self._open()
        except BaseException:
            if made:  # a refused file gets nothing beside it
                with contextlib.suppress(OSError):
                    os.unlink(self._lock_path)
            os.close(self._lock)
            raise

    # --- opening ----------------------------------------------------------------------------------------
    def refuse(self, message: str, **fields: Any) -> StateError:
        """A StateError: ``message`` with this file's path and name."""
        return StateError(message.format(path=self.path, name=self.path.name, **fields))

    def _take_lock(self) -> tuple[int, bool]:
        """``<file>-lock``, locked for as long as this server uses the file; it names the process holding it.
        Returns its descriptor and whether it was made now."""
        path, lock = self.path, self._lock_path
        if path.is_dir():
            raise self.refuse(MSG_IS_DIRECTORY)
        if not path.parent.is_dir():
            raise self.refuse(MSG_NO_DIRECTORY, directory=path.parent)
        made = not lock.exists()
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            what = f"files in {path.parent.resolve()}" if made else lock.name
            raise self.refuse(MSG_CANNOT_WRITE, what=what, cause=_cause(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip() or "its process id is not known"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise self.refuse(MSG_IN_USE, holder=holder) from None
            raise self.refuse(MSG_CANNOT_WRITE, what="its lock", cause=_cause(exc)) from None
        with contextlib.suppress(OSError):  # the name is for the message of a second server; not having it is fine
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        return fd, made

    def _create(self) -> bool:
        """The file made (readable by its owner alone) if missing; True if it was. An existing one must be
        writable: a read-only file is said to be one, not taken for a foreign one."""
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
            return True
        except FileExistsError:
            pass
        except OSError as exc:
            raise self.refuse(MSG_CANNOT_WRITE, what="it", cause=_cause(exc)) from None
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CLOEXEC))
        except OSError as exc:
            raise self.refuse(MSG_CANNOT_WRITE, what="it", cause=_cause(exc)) from None
        return False

    def _unusable(self, exc: sqlite3.Error) -> StateError:
        code, said = _code(exc), f"SQLite says: {exc}"
        if code == "NOTADB":
            return self.refuse(MSG_FOREIGN, cause=said)
        if code == "CORRUPT":
            return self.refuse(MSG_DAMAGED, cause=said)
        if code in ("BUSY", "LOCKED"):
            return self.refuse(MSG_LOCKED, cause=said)
        return self.refuse(MSG_CANNOT_WRITE, what="it", cause=_cause(exc))

    def _open(self) -> sqlite3.Connection:
        created = self._create()
        fresh = created or self.path.stat().st_size == 0
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if not fresh:
                problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]  # 35 ms for 100,000 jobs
                if problem != "ok":
                    raise self.refuse(MSG_DAMAGED, cause="SQLite's check says: " + " ".join(str(problem).split()))
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if fresh or (version == 0 and not tables):
                self._initialize(db)
            else:
                self._check(db, version, tables)
            return db
        except BaseException as exc:
            if db is not None:
                db.close()
            if created:  # nothing of it is worth keeping
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        os.unlink(f"{self.path}{suffix}")
            if isinstance(exc, sqlite3.Error):
                raise self._unusable(exc) from None
            raise

    def _initialize(self, db: sqlite3.Connection) -> None:
        """A new file's tables, format and seed, in one transaction (a start that fails leaves no half file)."""
        db.execute("BEGIN")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version={VERSION}")
        db.execute("INSERT INTO meta VALUES ('format', ?), ('seed', ?)", (_dumps(FORMAT), _dumps(self.seed)))
        db.execute("COMMIT")

    def _check(self, db: sqlite3.Connection, version: int, tables: set[str]) -> None:
        """An existing file: ours, of a format this code reads (migrated to the current one), made with our seed."""
        fmt = self._meta_in(db, "format") if "meta" in tables else None
        if fmt != FORMAT:
            raise self.refuse(MSG_FOREIGN, cause="an SQLite file without fakeexports' tables")
        if version > VERSION:
            raise self.refuse(MSG_NEWER, version=version, ours=VERSION)
        while version < VERSION:
            migrate = MIGRATIONS.get(version)
            if migrate is None:
                raise self.refuse(MSG_MIGRATE, version=version, ours=VERSION)
            with db:
                migrate(db)
                version += 1
                db.execute(f"PRAGMA user_version={version}")
        seed = self._meta_in(db, "seed")
        if seed != self.seed:
            raise self.refuse(MSG_SEED, seed=seed, ours=self.seed)

    def _meta_in(self, db: sqlite3.Connection, name: str) -> Any:
        row = db.execute("SELECT value FROM meta WHERE key=?", (name,)).fetchone()
        if row is None:
            return None
        try:
            return _loads(row[0])
        except _Bad as exc:
            raise self.refuse(MSG_BAD_ROW, where=f"meta row {name!r}", cause=exc) from None

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self.on_failure is not None and self.unwritten():
            LOG.error(LOG_LEFT, self.path)
        self.db.close()
        os.close(self._lock)  # the lock goes with it

    # --- the sink ----------------------------------------------------------------------------------------
    def job(self, state: TenantState, job_id: str) -> None:
        self._jobs[(state.vendor, state.tenant, job_id)] = state

    def data(self, state: TenantState, kind: str, key: str) -> None:
        self._data[(state.vendor, state.tenant, kind, key)] = state

    def index(self, state: TenantState, name: str, key: Any) -> None:
        self._indexes[(state.vendor, state.tenant, name, _dumps(key))] = (state, key)

    def reset(self, vendor: str | None, tenant: str | None) -> None:
        def dropped(k: tuple[str, ...]) -> bool:
            return (vendor is None or k[0] == vendor) and (tenant is None or k[1] == tenant)

        # what was collected for the dropped tenants is moot: their rows go
        self._jobs = {k: v for k, v in self._jobs.items() if not dropped(k)}
        self._data = {k: v for k, v in self._data.items() if not dropped(k)}
        self._indexes = {k: v for k, v in self._indexes.items() if not dropped(k)}
        self._resets.append((vendor, tenant))

    def webhook(self, attempt_id: int, record: Any) -> None:
        """A pending webhook attempt (None: it is no longer pending)."""
        self._webhooks[attempt_id] = record

    def pending(self) -> bool:
        """Changes collected and not written yet (the kept values aside: ``unwritten`` compares them too)."""
        return bool(self._jobs or self._data or self._indexes or self._resets or self._webhooks)

    def unwritten(self) -> bool:
        """Anything the file does not have yet."""
        return self.pending() or any(self._meta_seen.get(name, self) != token() for name, (token, _) in
                                     self.meta.items())

    # --- writing -----------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what changed since the last flush, in one transaction. If it cannot be written (StateWriteError),
        nothing of it is: the changes wait, with those that come meanwhile, for the next flush."""
        changed = {name: token() for name, (token, _) in self.meta.items()}
        changed = {name: token for name, token in changed.items() if self._meta_seen.get(name, self) != token}
        if not (self.pending() or changed):
            return
        meta = {name: _dumps(self.meta[name][1]()) for name in changed}
        jobs, data, indexes, resets, webhooks = self._jobs, self._data, self._indexes, self._resets, self._webhooks
        self._jobs, self._data, self._indexes, self._resets, self._webhooks = {}, {}, {}, [], {}
        try:
            self._write(jobs, data, indexes, resets, webhooks, meta)
        except BaseException as exc:
            # nothing was written: keep it all to try again, older changes first, newer ones over them
            self._jobs = {**jobs, **self._jobs}
            self._data = {**data, **self._data}
            self._indexes = {**indexes, **self._indexes}
            self._webhooks = {**webhooks, **self._webhooks}
            self._resets[:0] = resets
            if isinstance(exc, sqlite3.Error | OSError):
                raise self._failed(exc) from exc
            raise
        self._meta_seen.update(changed)
        self.writes += 1
        if self.failing is not None:
            self.failing = None
            LOG.warning(LOG_WRITTEN, self.path)

    def _write(self, jobs: dict[tuple[str, str, str], TenantState],
               data: dict[tuple[str, str, str, str], TenantState],
               indexes: dict[tuple[str, str, str, str], tuple[TenantState, Any]],
               resets: list[tuple[str | None, str | None]], webhooks: dict[int, Any], meta: dict[str, str]) -> None:
        db = self.db
        if db.in_transaction:  # a rollback that failed last time
            db.execute("ROLLBACK")
        db.execute("BEGIN")
        try:
            for vendor, tenant in resets:
                where, args = _scope(vendor, tenant)
                for table in ("tenants", "jobs", "data", "indexes"):
                    db.execute(f"DELETE FROM {table}{where}", args)
            touched: dict[tuple[str, str], TenantState] = {}
            for (vendor, tenant, job_id), state in jobs.items():
                touched[(vendor, tenant)] = state
                job = state.jobs.get(job_id) if state.alive else None
                if job is None:
                    db.execute("DELETE FROM jobs WHERE vendor=? AND tenant=? AND id=?", (vendor, tenant, job_id))
                else:
                    db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (vendor, tenant, job.id, job.seq, job.collection, job.created,
                                _dumps(job.schedule), _dumps({**job.attrs, **saved_note(job)}), job.version))
            for (vendor, tenant, kind, key), state in data.items():
                touched[(vendor, tenant)] = state
                _put(db, "data", ("vendor", "tenant", "kind", "key"), (vendor, tenant, kind, key),
                     state.data.get(kind, {}).get(key) if state.alive else None)
            for (vendor, tenant, name, key_text), (state, key) in indexes.items():
                touched[(vendor, tenant)] = state
                _put(db, "indexes", ("vendor", "tenant", "name", "key"), (vendor, tenant, name, key_text),
                     state.indexes[name].get(key) if state.alive and name in state.indexes else None)
            kept = sorted(k for k, state in touched.items() if _has_state(state))
            db.executemany("INSERT OR IGNORE INTO tenants VALUES (?, ?)", kept)
            db.executemany("DELETE FROM tenants WHERE vendor=? AND tenant=?", sorted(set(touched) - set(kept)))
            for attempt_id, record in webhooks.items():
                if record is None:
                    db.execute("DELETE FROM webhooks WHERE id=?", (attempt_id,))
                else:
                    db.execute("INSERT OR REPLACE INTO webhooks VALUES (?, ?)", (attempt_id, _dumps(record)))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back by itself (a full disk): then there is none
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise

    def _failed(self, exc: sqlite3.Error | OSError) -> StateWriteError:
        """The error a failed write raises. Once the server runs (``on_failure`` set), the first of an outage is
        reported and a retry is set; at start the caller refuses the file instead."""
        cause = _cause(exc)
        if self.on_failure is not None:
            if self.failing is None:
                LOG.error(LOG_FAILING, self.path, cause)
                self.on_failure(MSG_UNWRITTEN.format(path=self.path, cause=cause))
            self.failing = cause
            self._arm_retry()
        return StateWriteError(MSG_UNWRITTEN.format(path=self.path, cause=cause))

    def _arm_retry(self) -> None:
        """Try again in RETRY seconds, whether or not a request comes (only on a running event loop)."""
        if self._retry is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._retry = loop.call_later(RETRY, self._try_again)

    def _try_again(self) -> None:
        self._retry = None
        with contextlib.suppress(StateWriteError):  # it said so when it began; the next retry is set
            self.flush()

    # --- reading ------------------------------------------------------------------------------------------
    def empty(self) -> bool:
        """No state written yet (a new file): the fixtures are loaded into it."""
        return self.db.execute("SELECT 1 FROM meta WHERE key='initialized'").fetchone() is None

    def get_meta(self, name: str, kind: type | tuple[type, ...] = object) -> Any:
        """A kept value (None if there is none); anything but a ``kind`` is refused with a StateError."""
        value = self._meta_in(self.db, name)
        if value is not None and not isinstance(value, kind):
            raise self.refuse(MSG_BAD_ROW, where=f"meta row {name!r}", cause=f"a {type(value).__name__}")
        return value

    def load(self, store: Store) -> int:
        """Fill ``store`` with what the file holds; returns the number of jobs. A file that cannot be read, or a
        row that is not what this code writes, is a StateError naming the file and the row."""
        try:
            return self._load(store)
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None

    def _load(self, store: Store) -> int:
        db = self.db
        count = 0
        for row in db.execute("SELECT vendor, tenant, id, seq, collection, created, schedule, attrs, version "
                              "FROM jobs ORDER BY seq"):
            try:
                job = _job(row)
            except _Bad as exc:
                raise self.refuse(MSG_BAD_ROW, where=f"the jobs row {tuple(row[:3])}", cause=exc) from None
            st = store.held(row[0], row[1])
            st.jobs[job.id] = job
            st.collections.setdefault(job.collection, Index()).put(job.seq, job)
            count += 1
        for vendor, tenant, kind, key, value in db.execute("SELECT vendor, tenant, kind, key, value FROM data"):
            decoded = self._value("data", (vendor, tenant, kind, key), value)
            store.held(vendor, tenant).data.setdefault(kind, {})[key] = decoded
        for vendor, tenant, name, key, item in db.execute("SELECT vendor, tenant, name, key, item FROM indexes"):
            where = (vendor, tenant, name, key)
            store.held(vendor, tenant).indexes.setdefault(name, Index()).put(
                self._value("indexes", where, key), self._value("indexes", where, item))
        return count

    def _value(self, table: str, where: tuple[Any, ...], text: object) -> Any:
        try:
            return _loads(text)
        except _Bad as exc:
            raise self.refuse(MSG_BAD_ROW, where=f"the {table} row {where}", cause=exc) from None

    def pending_webhooks(self) -> Iterator[tuple[int, Any]]:
        try:
            rows = self.db.execute("SELECT id, record FROM webhooks ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        for attempt_id, text in rows:
            record = self._value("webhooks", (attempt_id,), text)
            if not _webhook(record):
                raise self.refuse(MSG_BAD_ROW, where=f"the webhooks row ({attempt_id},)",
                                   cause="not a webhook attempt")
            yield int(attempt_id), record


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _job(row: tuple[Any, ...]) -> Job:
    """A job as its row holds it; _Bad says what is not as this code writes it."""
    _vendor, _tenant, job_id, seq, collection, created, schedule, attrs, version = row
    if not (isinstance(seq, int) and isinstance(version, int) and _number(created) and isinstance(collection, str)):
        raise _Bad("seq, created, collection or version is of the wrong type")
    steps = _loads(schedule)
    if not (isinstance(steps, list) and steps and all(
            isinstance(s, list) and len(s) == 2 and _number(s[0]) and isinstance(s[1], str) for s in steps)):
        raise _Bad("its schedule is not a list of [time, status] pairs")
    values = _loads(attrs)
    if not isinstance(values, dict):
        raise _Bad("its attrs are not a JSON object")
    fx = values.get("fx")
    if fx is not None and not (isinstance(fx, list) and len(fx) == 2 and _number(fx[0]) and isinstance(fx[1], list)):
        raise _Bad("its engine note is not [time, [effects]]")
    job = Job(job_id, seq, collection, created, tuple((float(t), s) for t, s in steps), {}, version)
    job.attrs = values
    load_note(job, job.attrs)
    return job


# a webhook attempt as Webhooks.schedule records it: each field's type
WEBHOOK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "at": (int, float), "vendor": str, "tenant": str, "method": str, "url": str, "payload": dict, "headers": dict,
    "backoff": list, "number": int}


def _webhook(record: Any) -> bool:
    return isinstance(record, dict) and all(isinstance(record.get(name), kind) for name, kind in WEBHOOK_FIELDS.items())


def _clock(saved: Any) -> bool:
    return isinstance(saved, dict) and (
        (saved.get("kind") == "virtual" and _number(saved.get("now")))
        or (saved.get("kind") == "real" and _number(saved.get("ahead", 0.0))))


def _scope(vendor: str | None, tenant: str | None) -> tuple[str, tuple[str, ...]]:
    if vendor is None:
        return "", ()
    if tenant is None:
        return " WHERE vendor=?", (vendor,)
    return " WHERE vendor=? AND tenant=?", (vendor, tenant)


def attach(runtime: Runtime, registry: Registry, path: str) -> StateFile:
    """Open the state file and make it the store's sink: a new one gets the fixtures; an existing one is read back
    (tenants, jobs, records, the clock, faults, vendor options, the webhook queue) and every job and timed record
    waits again on the clock, what came due while the server was down running now. StateError if it cannot be
    used (the file is closed again, its lock released)."""
    state_file = StateFile(path, runtime.settings.seed)
    try:
        _attach(runtime, registry, state_file)
    except BaseException:
        state_file.close()
        raise
    runtime.state_file = state_file
    return state_file


def _attach(runtime: Runtime, registry: Registry, state_file: StateFile) -> None:
    store, clock, webhooks = runtime.store, runtime.clock, runtime.webhooks
    if state_file.empty():
        store.sink = webhooks.sink = state_file
        load_into(registry.vendors, registry.fixture_docs)
    else:
        _restore(runtime, registry, state_file)
    state_file.meta.update({
        "initialized": (lambda: True, lambda: True),
        "seq": (store.last_seq, store.last_seq),
        "clock": (lambda: tuple(clock.snapshot().values()), clock.snapshot),
        "faults": (lambda: runtime.faults.version, runtime.faults.to_json),
        **{f"config/{name}": _options_of(vendor) for name, vendor in registry.vendors.items()},
    })
    webhooks.changed = runtime.try_flush  # an attempt ended: written now if the file can take it
    try:
        state_file.flush()
    except StateWriteError as exc:
        raise StateError(f"{exc}; a server must be able to write its state file to start") from None
    state_file.on_failure = lambda message: runtime.journal.server_error(clock.now(), "state file", message, "")


def _restore(runtime: Runtime, registry: Registry, state_file: StateFile) -> None:
    """What an existing file holds, back in the store, the clock, the faults, the options and the webhook queue."""
    store, clock, webhooks = runtime.store, runtime.clock, runtime.webhooks
    state_file.load(store)
    saved_clock = state_file.get_meta("clock", dict)
    if saved_clock is not None:
        if not _clock(saved_clock):
            raise state_file.refuse(MSG_BAD_ROW, where="meta row 'clock'", cause="not a clock's state")
        try:
            clock.restore(saved_clock)
        except ClockRangeError as exc:  # a file from before the clock had a range, moved past it
            raise state_file.refuse(MSG_OUT_OF_RANGE, cause=exc) from None
    store.restore_seq(state_file.get_meta("seq", int) or 0)
    for fault in state_file.get_meta("faults", list) or []:
        _restore_fault(runtime, registry, state_file, fault)
    for name, vendor in registry.vendors.items():
        saved = state_file.get_meta(f"config/{name}", dict)
        if saved:
            try:
                vendor.configure({k: v for k, v in saved.items() if k in vendor.config})
            except VendorError as exc:  # an option's declaration changed since: the default stands
                LOG.warning(LOG_DROPPED, state_file.path, f"{name} option", exc.message)
    for tenant in store.all_states():
        tenant.sink = state_file
    store.sink = webhooks.sink = state_file
    webhooks.restore(state_file.pending_webhooks())
    for name, vendor in registry.vendors.items():
        for tenant in store.all_states(name):
            vendor.jobs.resume(tenant)


def _restore_fault(runtime: Runtime, registry: Registry, state_file: StateFile, fault: Any) -> None:
    """A kept fault, checked as a client's would be; one this server cannot use (a vendor it does not serve, an
    operation renamed since) is dropped with a warning."""
    if not isinstance(fault, dict) or not set(fault) <= set(FIELDS):
        raise state_file.refuse(MSG_BAD_ROW, where="meta row 'faults'", cause=f"{fault!r} is not a fault")
    try:
        runtime.faults.add(registry.fault(fault))
    except FaultError as exc:
        LOG.warning(LOG_DROPPED, state_file.path, "fault", exc)


def _options_of(vendor: VendorApp) -> tuple[Callable[[], Any], Callable[[], dict[str, Any]]]:
    return (lambda: vendor.config_version), (lambda: dict(vendor.config))

