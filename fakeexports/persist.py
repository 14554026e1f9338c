"""--state PATH: the store kept in SQLite (WAL), behind the store's own methods. Every change a request makes is
reported to a ``StateFile`` (the store's sink) and written in one transaction before the answer is sent; so
are the changes of scheduled events, webhook attempts and the control API. A restart on the same file finds
tenants, jobs with their schedules, vendors' records and settings, the clock, faults, vendor options and the
webhook queue as they were, and the engine re-arms every job's timers, so schedules resume on the clock.

What is not kept: the request journal and the webhook attempt log (diagnostics), rate-limit windows and
caches (they rebuild). SQLite's ``synchronous=NORMAL`` in WAL mode makes a committed answer survive the
process being killed; a power cut may lose the last transactions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .clock import ClockRangeError
from .faults import Fault
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


class StateError(Exception):
    """A state file this server cannot use; the message says why and what to do."""


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
        return json.dumps(value)


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
        self.db = self._open()

    # --- opening ----------------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path} is not a fakeexports state file (SQLite says: {exc}); "
                             "give --state a new path, or delete the file to start afresh") from None
        if fresh or (version == 0 and not tables):
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version={VERSION}")
            db.execute("INSERT INTO meta VALUES ('format', ?), ('seed', ?)", (_dumps(FORMAT), _dumps(self.seed)))
            return db
        fmt = None
        if "meta" in tables:
            row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            fmt = orjson.loads(row[0]) if row else None
        if fmt != FORMAT:
            db.close()
            raise StateError(f"{self.path} is an SQLite file but not a fakeexports state file; give --state a "
                             "new path, or delete the file to start afresh")
        if version > VERSION:
            db.close()
            raise StateError(f"{self.path} was written by a newer fakeexports (state format {version}; this one "
                             f"reads {VERSION} and older): upgrade fakeexports, or start a new state file")
        while version < VERSION:
            migrate = MIGRATIONS.get(version)
            if migrate is None:
                db.close()
                raise StateError(f"{self.path} has state format {version}, which this fakeexports cannot "
                                 f"migrate (it reads {VERSION}); start a new state file")
            with db:
                migrate(db)
                version += 1
                db.execute(f"PRAGMA user_version={version}")
        seed = orjson.loads(db.execute("SELECT value FROM meta WHERE key='seed'").fetchone()[0])
        if seed != self.seed:
            db.close()
            raise StateError(f"{self.path} was made with --seed {seed}, this server has --seed {self.seed}: its "
                             "ids and files would not match; use the same seed or another state file")
        return db

    def close(self) -> None:
        self.db.close()

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

    # --- writing -----------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what changed since the last flush, in one transaction."""
        changed = {name: token() for name, (token, _) in self.meta.items()}
        changed = {name: token for name, token in changed.items() if self._meta_seen.get(name, self) != token}
        meta = {name: _dumps(self.meta[name][1]()) for name in changed}
        if not (self._jobs or self._data or self._indexes or self._resets or self._webhooks or meta):
            return
        jobs, data, indexes, resets, webhooks = self._jobs, self._data, self._indexes, self._resets, self._webhooks
        self._jobs, self._data, self._indexes, self._resets, self._webhooks = {}, {}, {}, [], {}
        db = self.db
        db.execute("BEGIN")
        try:
            for vendor, tenant in resets:
                where, args = _scope(vendor, tenant)
                for table in ("tenants", "jobs", "data", "indexes"):
                    db.execute(f"DELETE FROM {table}{where}", args)
            touched: set[tuple[str, str]] = set()
            for (vendor, tenant, job_id), state in jobs.items():
                touched.add((vendor, tenant))
                job = state.jobs.get(job_id) if state.alive else None
                if job is None:
                    db.execute("DELETE FROM jobs WHERE vendor=? AND tenant=? AND id=?", (vendor, tenant, job_id))
                else:
                    db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (vendor, tenant, job.id, job.seq, job.collection, job.created,
                                _dumps(job.schedule), _dumps({**job.attrs, **saved_note(job)}), job.version))
            for (vendor, tenant, kind, key), state in data.items():
                touched.add((vendor, tenant))
                _put(db, "data", ("vendor", "tenant", "kind", "key"), (vendor, tenant, kind, key),
                     state.data.get(kind, {}).get(key) if state.alive else None)
            for (vendor, tenant, name, key_text), (state, key) in indexes.items():
                touched.add((vendor, tenant))
                _put(db, "indexes", ("vendor", "tenant", "name", "key"), (vendor, tenant, name, key_text),
                     state.indexes[name].get(key) if state.alive and name in state.indexes else None)
            db.executemany("INSERT OR IGNORE INTO tenants VALUES (?, ?)", sorted(touched))
            for attempt_id, record in webhooks.items():
                if record is None:
                    db.execute("DELETE FROM webhooks WHERE id=?", (attempt_id,))
                else:
                    db.execute("INSERT OR REPLACE INTO webhooks VALUES (?, ?)", (attempt_id, _dumps(record)))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            # keep what was not written, to try again with the next flush
            self._jobs = {**jobs, **self._jobs}
            self._data = {**data, **self._data}
            self._indexes = {**indexes, **self._indexes}
            self._webhooks = {**webhooks, **self._webhooks}
            self._resets[:0] = resets
            raise
        self._meta_seen.update(changed)
        self.writes += 1

    # --- reading ------------------------------------------------------------------------------------------
    def empty(self) -> bool:
        """No state written yet (a new file): the fixtures are loaded into it."""
        return self.db.execute("SELECT 1 FROM meta WHERE key='initialized'").fetchone() is None

    def get_meta(self, name: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (name,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def load(self, store: Store) -> int:
        """Fill ``store`` with what the file holds; returns the number of jobs."""
        db = self.db
        states: dict[tuple[str, str], TenantState] = {}

        def state(vendor: str, tenant: str) -> TenantState:
            if (vendor, tenant) not in states:
                states[(vendor, tenant)] = store.held(vendor, tenant)
            return states[(vendor, tenant)]

        for vendor, tenant in db.execute("SELECT vendor, tenant FROM tenants"):
            state(vendor, tenant)
        count = 0
        for row in db.execute("SELECT vendor, tenant, id, seq, collection, created, schedule, attrs, version "
                              "FROM jobs ORDER BY seq"):
            vendor, tenant, job_id, seq, collection, created, schedule, attrs, version = row
            st = state(vendor, tenant)
            job = Job(job_id, seq, collection, created, tuple((float(t), s) for t, s in orjson.loads(schedule)),
                      {}, version)
            job.attrs = orjson.loads(attrs)
            load_note(job, job.attrs)
            st.jobs[job.id] = job
            st.collections.setdefault(collection, Index()).put(seq, job)
            count += 1
        for vendor, tenant, kind, key, value in db.execute("SELECT vendor, tenant, kind, key, value FROM data"):
            state(vendor, tenant).data.setdefault(kind, {})[key] = orjson.loads(value)
        for vendor, tenant, name, key, item in db.execute("SELECT vendor, tenant, name, key, item FROM indexes"):
            state(vendor, tenant).indexes.setdefault(name, Index()).put(orjson.loads(key), orjson.loads(item))
        return count

    def pending_webhooks(self) -> Iterator[tuple[int, Any]]:
        for attempt_id, record in self.db.execute("SELECT id, record FROM webhooks ORDER BY id"):
            yield int(attempt_id), orjson.loads(record)


def _scope(vendor: str | None, tenant: str | None) -> tuple[str, tuple[str, ...]]:
    if vendor is None:
        return "", ()
    if tenant is None:
        return " WHERE vendor=?", (vendor,)
    return " WHERE vendor=? AND tenant=?", (vendor, tenant)


def attach(runtime: Runtime, registry: Registry, path: str) -> StateFile:
    """Open the state file and make it the store's sink: a new one gets the fixtures; an existing one is read back
    (tenants, jobs, records, the clock, faults, vendor options, the webhook queue) and every job and timed record
    waits again on the clock, what came due while the server was down running now."""
    state_file = runtime.state_file = StateFile(path, runtime.settings.seed)
    store, clock, webhooks = runtime.store, runtime.clock, runtime.webhooks
    if state_file.empty():
        store.sink = webhooks.sink = state_file
        load_into(registry.vendors, registry.fixture_docs)
    else:
        state_file.load(store)
        saved_clock = state_file.get_meta("clock")
        if saved_clock:
            try:
                clock.restore(saved_clock)
            except ClockRangeError as exc:  # a file from before the clock had a range, moved past it
                raise StateError(f"{path}: {exc}; this file cannot be served") from None
        store.restore_seq(int(state_file.get_meta("seq") or 0))
        for fault in state_file.get_meta("faults") or []:
            runtime.faults.add(Fault(**fault))
        for name, vendor in registry.vendors.items():
            saved = state_file.get_meta(f"config/{name}")
            if saved:
                vendor.configure({k: v for k, v in saved.items() if k in vendor.config})
        for tenant in store.all_states():
            tenant.sink = state_file
        store.sink = webhooks.sink = state_file
        webhooks.restore(state_file.pending_webhooks())
        for name, vendor in registry.vendors.items():
            for tenant in store.all_states(name):
                vendor.jobs.resume(tenant)
    state_file.meta.update({
        "initialized": (lambda: True, lambda: True),
        "seq": (store.last_seq, store.last_seq),
        "clock": (lambda: tuple(clock.snapshot().values()), clock.snapshot),
        "faults": (lambda: runtime.faults.version, runtime.faults.to_json),
        **{f"config/{name}": _options_of(vendor) for name, vendor in registry.vendors.items()},
    })
    webhooks.changed = runtime.flush
    runtime.flush()
    return state_file


def _options_of(vendor: VendorApp) -> tuple[Callable[[], Any], Callable[[], dict[str, Any]]]:
    return (lambda: vendor.config_version), (lambda: dict(vendor.config))
