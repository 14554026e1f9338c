"""The core's job engine: every vendor's jobs are created, timed, forced, removed and described here, from the
vendor's declared Lifecycle (lifecycle.py); so are the vendor's timed records (a Twilio day file that expires).

Theory of operation. A job's status is a lookup in its schedule, never stored. What must happen at a moment (an
effect on entering a status, a unit of work done, the job's removal) waits in the vendor's heap of job moments:
one small entry per job, for its next moment, re-pushed whenever its schedule changes (an entry whose time is no
longer the job's ``due`` is stale and skipped). One scheduler event stands for the heap's earliest entry, so a
million jobs cost a million tuples, not a million timers. Outcome faults and ``force`` go through the same path.

The engine's record of a job is two fields of ``Job`` that only this module reads or writes. ``Job.note`` is a
tuple, interned (jobs made alike share one):

    mark   effects at moments before it have run, and those at it whose tags are in ``done``
    done   those tags (interned, sorted)
    quiet  when the job was loaded from a fixture: what it would have notified before then was notified (or None)
    held   frozen in its status by a fixture: no moments, no removal

``Job.due`` is the moment the heap holds for the job (None: none). It changes twice on every arm, so it is a plain
field: kept in the note it would cost an interned tuple per change, a tenth of the pytest plugin's reset.

Timed records are items of a tenant's index whose name starts with a declared Timed prefix: each goes ``seconds``
after its ``made_at``. They wait in a second heap behind one more scheduler event; after a restart or a snapshot's
restore, ``resume`` arms every job and record again from what the store holds, so no vendor re-arms anything."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol

from .clock import Timer
from .errors import VendorError
from .files import hex_id, uuid4_from, uuid7_from
from .lifecycle import REMOVE, Effect, Lifecycle, Schedule, next_change_at, rewrite, status_at, time_when
from .store import VOLUME, Job, TenantState
from .times import stamp

if TYPE_CHECKING:
    from .runtime import Runtime
    from .specs import Operation


@dataclass(frozen=True)
class Ids:
    """How a vendor's job ids look: ``uuid4``, ``uuid7`` (its time part from the creation) or ``sid`` (a Twilio
    style ``prefix`` and 32 hex digits); ``label`` keys them, so that one seed gives the same ids every run."""

    label: str
    kind: str = "uuid4"
    prefix: str = ""

    def make(self, seed: int, tenant: str, number: int, created: float) -> str:
        if self.kind == "sid":
            return self.prefix + hex_id(seed, self.label, tenant, number)
        if self.kind == "uuid7":
            return uuid7_from(created, hex_id(seed, self.label, tenant, number))
        return uuid4_from(seed, self.label, tenant, number)


@dataclass(frozen=True)
class Timed:
    """A vendor's records that expire on the clock: the items of each tenant index whose name starts with
    ``prefix`` go ``seconds`` after their ``made_at``."""

    prefix: str
    seconds: float


Moment = tuple[float, int, Effect, int | None]  # when, order at that time, effect, unit index
Note = tuple[float, tuple[str, ...], float | None, bool]  # mark, done, quiet, held
MARK, DONE, QUIET, HELD = range(4)


class Owner(Protocol):
    """What the engine needs of the vendor whose jobs it times (fakeexports.vendor.VendorApp is one)."""

    name: str
    runtime: Runtime
    lifecycle: Lifecycle
    ids: Ids
    hooks: dict[str, Callable[..., Any]]

    def effect(self, name: str) -> Callable[..., None]: ...
    def force(self, state: TenantState, job: Job, status: str) -> None: ...


class Creator(Protocol):
    """The request that creates a job, as the engine needs it (fakeexports.vendor.Context is one)."""

    op: Operation
    tenant: str
    made: str | None


class Changes:
    """The index of a vendor's jobs' next status changes (the cache ``changes``, caches.py): the clock's next event
    is the top of a heap instead of a pass over every job. Its entries are (when, job seq, tenant, job).

    Its owner is the engine: ``Jobs.arm`` pushes a job's next change whenever it arms the job after its schedule was
    set or changed (every change of one goes through ``arm``), and a snapshot's restore pushes each job it puts back.
    A job with no change to come (finished, held by a fixture) is never pushed, so a million finished jobs cost
    nothing. One invalidation rule, applied when read: an entry is good while its tenant is alive, the job is still
    that tenant's and the job's next change after now is the entry's time; an entry whose time has passed gives way
    to its job's next change, and any other entry is dropped (the push that made it wrong stands for it). A reset of
    all or of the vendor empties it; one tenant's leaves that tenant's entries to be dropped when read (compacted at
    once when the heap is large). A job pushed again (a changed schedule) leaves its old entry behind: once such
    entries may be half the heap, it is compacted to one entry a job."""

    __slots__ = ("_now", "_stale", "heap", "name", "stored", "vendor")
    FLOOR = 4096  # below this the heap is never compacted

    def __init__(self, vendor: str, now: Callable[[], float]):
        self.name, self.vendor, self.stored = "changes", vendor, 0  # as caches.Caches counts it (a Holder)
        self.heap: list[tuple[float, int, TenantState, Job]] = []
        self._stale = 0  # entries that may be no job's next change any more (pushed again since)
        self._now = now

    def push(self, state: TenantState, job: Job, now: float, *, again: bool = True) -> None:
        """The job's schedule was set or changed: its next change after ``now`` (if it has one) goes in. ``again``
        False: the job is new to the index (made now, or put back by a restore), so no older entry of it waits."""
        if again:
            self._stale += 1
        when = next_change_at(job.schedule, now)
        if when is not None and state.tenant:  # a vendor's shared state holds no tenant's jobs (Store.tenants)
            heapq.heappush(self.heap, (when, job.seq, state, job))
            self.stored += 1
        if self._stale * 2 >= len(self.heap) > self.FLOOR:
            self.compact(now)

    def first(self, now: float) -> tuple[float, TenantState, Job] | None:
        """The earliest next change after ``now`` (ties: the job made first), what the scan in Jobs.next_change
        would find."""
        heap = self.heap
        while heap:
            when, seq, state, job = heap[0]
            if not state.alive or state.jobs.get(job.id) is not job:
                heapq.heappop(heap)
            elif when <= now:  # passed: the job's next change takes its place
                later = next_change_at(job.schedule, now)
                if later is None:
                    heapq.heappop(heap)
                else:
                    heapq.heapreplace(heap, (later, seq, state, job))
                continue
            elif next_change_at(job.schedule, now) != when:  # its schedule changed since
                heapq.heappop(heap)
            else:
                return when, state, job
            self._stale = max(0, self._stale - 1)
        return None

    def compact(self, now: float) -> None:
        """One entry for each job that has a change to come, at that change."""
        seen: set[int] = set()
        kept: list[tuple[float, int, TenantState, Job]] = []
        for _, seq, state, job in self.heap:
            if seq in seen or not state.alive or state.jobs.get(job.id) is not job:
                continue
            seen.add(seq)
            when = next_change_at(job.schedule, now)
            if when is not None:
                kept.append((when, seq, state, job))
        heapq.heapify(kept)
        self.heap = kept
        self._stale = 0

    def reset(self, vendor: str | None, tenant: str | None) -> None:  # caches.Holder
        """A reset of all, of this vendor or of one of its tenants: the states it dropped are dead, and a full reset
        may put back a snapshot's jobs, which resume() pushes again."""
        if vendor is not None and vendor != self.vendor:
            return
        if tenant is None:
            self.heap.clear()
            self._stale = 0
        elif len(self.heap) > self.FLOOR:  # one tenant's: its jobs go now rather than when they come up
            self.compact(self._now())

    def __len__(self) -> int:
        return len(self.heap)


class Waiting:
    """How many jobs of each tenant wait for a moment in the engine's heap (the cache ``waiting``, caches.py): the
    control API's pending events without a pass over the heap. Its owner is the engine, which counts a job in when
    it sets the job's ``due`` and out when it clears it (armed again, its moment come, removed; a job another way
    removed is counted out when its moment comes up). One invalidation rule: a count whose tenant state is dead (a
    reset dropped it) is dropped when read; a reset of all or of the vendor empties it."""

    __slots__ = ("counts", "name", "stored", "vendor")

    def __init__(self, vendor: str):
        self.name, self.vendor, self.stored = "waiting", vendor, 0  # as caches.Caches counts it (a Holder)
        self.counts: dict[TenantState, int] = {}

    def add(self, state: TenantState, n: int) -> None:
        self.counts[state] = self.counts.get(state, 0) + n
        self.stored += 1

    def total(self) -> int:
        dead = [state for state in self.counts if not state.alive]
        for state in dead:
            del self.counts[state]
        return sum(self.counts.values())

    def reset(self, vendor: str | None, tenant: str | None) -> None:  # caches.Holder
        if vendor is None or vendor == self.vendor:
            if tenant is None:
                self.counts.clear()
            else:
                self.total()

    def __len__(self) -> int:
        return len(self.counts)


class Jobs:
    """One vendor's jobs (and timed records) on the clock."""

    def __init__(self, vendor: Owner, timed: Sequence[Timed] = ()):
        self.vendor = vendor
        self.runtime: Runtime = vendor.runtime
        self.lifecycle: Lifecycle = vendor.lifecycle
        self.heap: list[tuple[float, int, TenantState, Job]] = []  # (moment, job seq, its tenant, the job)
        self._timer: Timer | None = None  # the scheduler's event for the heap's earliest moment
        self._firing = False
        self.fired = 0  # the jobs' moments run so far
        self._moments = self.runtime.caches.memo("moments", 4096)  # (schedule, units, held) -> its moments
        self._stale = 0  # entries of the heap no longer any job's due
        self._done: dict[frozenset[str], tuple[str, ...]] = {}  # tags at a mark, one tuple for each set
        self.timed = tuple(timed)
        self._records: list[tuple[float, int, TenantState, str, Any]] = []  # (expiry, order, tenant, index, key)
        self._record_timer: Timer | None = None
        self._order = count()
        # the jobs' next status changes, for the clock's next event (None with the cache off: a pass over the jobs)
        self.changes: Changes | None = None
        if self.runtime.caches.enabled("changes"):
            self.changes = self.runtime.caches.holder(Changes(vendor.name, self.runtime.clock.now))
        # how many jobs of each tenant wait for a moment (None with the cache off: counted over the heap)
        self.waiting = self.runtime.caches.holder(Waiting(vendor.name)) if self.runtime.caches.enabled("waiting") \
            else None

    # --- notes ----------------------------------------------------------------------------------------------------
    def _set(self, job: Job, **changes: Any) -> None:
        mark, done, quiet, held = job.note
        note: Note = (changes.get("mark", mark), changes.get("done", done), changes.get("quiet", quiet),
                      changes.get("held", held))
        job.note = self.runtime.store.interning.value(note)

    def held(self, job: Job) -> bool:
        return bool(job.note[HELD])

    # --- creation -------------------------------------------------------------------------------------
    def create(self, state: TenantState, collection: str, attrs: dict[str, Any], *, created: float | None = None,
               job_id: str | None = None, durations: Mapping[str, float] | None = None,
               schedule: Schedule | None = None, hold: str | None = None, ctx: Creator | None = None,
               fixture: bool = False) -> Job:
        """The one way a job comes to be. ``durations`` override the lifecycle's for this job, ``schedule``
        replaces it (a queue decided when it starts), ``hold`` freezes the job in a status (a fixture's);
        ``ctx``: the request that created it, whose operation an outcome fault may be queued for; ``fixture``:
        loaded from a fixture file, so what it would have notified before now was already notified."""
        if job_id is not None and job_id in state.jobs:  # a fixture's id given again: it would hide the first job
            raise VendorError(409, f"a job {job_id} exists already", kind="conflict")
        now = self.runtime.clock.now()
        created = now if created is None else created
        number = int(state.get("counters", "jobs") or 0) + 1
        state.put("counters", "jobs", number)
        job_id = job_id or self.vendor.ids.make(self.runtime.settings.seed, state.tenant, number, created)
        volume = state.get(*VOLUME)
        if volume is not None:  # the tenant's records per day when the job was made: its file's size
            attrs["volume"] = volume
        if hold:
            schedule = ((created, hold),)
        elif schedule is None:
            schedule = self.lifecycle.schedule(created, durations)
        note: Note = (created - 1.0, (), now if fixture else None, bool(hold))
        job = Job(job_id, self.runtime.store.next_seq(), collection, created, schedule, attrs,
                  note=self.runtime.store.interning.value(note))
        state.add_job(job)
        self.vendor.hooks["created"](self.vendor, state, job)
        self.runtime.store.interning.attributes(job)  # one dict for every job made alike (copied on change)
        self.arm(state, job, new=True)
        if ctx is not None:
            ctx.made = job.id
        if ctx is not None and state.jobs.get(job.id) is job:
            outcome = self.runtime.faults.outcome(self.vendor.name, ctx.op.operation_id, ctx.tenant)
            if outcome:
                self.vendor.force(state, job, outcome)  # the vendor's, which may read more from the outcome's text
        return job

    # --- reading --------------------------------------------------------------------------------------
    def status(self, job: Job, now: float | None = None) -> str:
        return status_at(job.schedule, self.runtime.clock.now() if now is None else now)

    def describe(self, state: TenantState, job: Job) -> dict[str, Any]:
        """A vendor-neutral view for the control API: the status now, the schedule and the next change."""
        now = self.runtime.clock.now()
        nxt = next((step for step in job.schedule if step[0] > now), None)
        return {"id": job.id, "tenant": state.tenant, "collection": job.collection, "status": self.status(job, now),
                "schedule": [{"at": t, "status": s} for t, s in job.schedule],
                "next_change": stamp(nxt[0]) if nxt is not None else None,
                "next_status": nxt[1] if nxt is not None else None,
                **self.vendor.hooks["describe"](self.vendor, state, job)}

    def timeline(self, job: Job) -> dict[str, Any]:
        """What the dashboard's timeline draws of a job besides its schedule: when it was made, its effects on
        entering a status (past and to come; a unit of work's are left out), when it goes (None: it stays), whether
        a fixture holds it, and the outcome forced on it (faults, fixtures, the control API) with the time its
        schedule enters it."""
        effects = [{"at": when, "effect": fx.name} for when, _, fx, index in self.moments(job)
                   if index is None and fx is not REMOVE]
        forced = job.attrs.get("forced")
        forced_at = None
        if isinstance(forced, str):
            forced_at = next((t for t, s in reversed(job.schedule) if s == forced), None)
        return {"created": job.created, "effects": effects, "removal_at": self.removal_time(job),
                "held": self.held(job),
                "forced": {"status": forced, "at": forced_at} if isinstance(forced, str) else None}

    # --- changes --------------------------------------------------------------------------------------
    def rewrite(self, state: TenantState, job: Job, tail: Sequence[tuple[str, float | None]], **attrs: Any) -> None:
        """From now on the job follows ``tail`` (statuses with durations, None for the last)."""
        now = self.runtime.clock.now()
        state.update_job(job, schedule=rewrite(job.schedule, now, _offsets(tail)), **attrs)
        self.arm(state, job)

    def reschedule(self, state: TenantState, job: Job, schedule: Schedule, *, hold: bool | None = None) -> None:
        """The job follows ``schedule`` from now on; ``hold`` True freezes it there (a fixture's finished job)."""
        if hold is not None:
            self._set(job, held=hold)
        state.update_job(job, schedule=schedule)
        self.arm(state, job)

    def force(self, state: TenantState, job: Job, outcome: str) -> None:
        """Force ``outcome`` from now on, as the lifecycle allows (faults, fixtures and the control API)."""
        lc = self.lifecycle
        allowed = lc.forceable.get(outcome)
        if allowed is None:
            raise VendorError(400, f"status must be one of {', '.join(lc.forceable)}", kind="validation")
        now = self.runtime.clock.now()
        current = self.status(job, now)
        if current not in allowed:
            raise VendorError(409, f"the job is already {current}", kind="conflict")
        if outcome in lc.resumes:
            # pause: the outcome for so long, then the interrupted status again with the time it had left
            pause = lc.resumes[outcome]
            later = [(t + pause - now, s) for t, s in job.schedule if t > now]
            schedule = rewrite(job.schedule, now, [(0.0, outcome), (pause, current), *later])
            state.update_job(job, schedule=schedule, forced=outcome)
        else:
            tail = lc.tail_from(outcome)
            via = lc.through.get(outcome)
            if via is not None and not any(s == via and t <= now for t, s in job.schedule):
                tail = [(via, 0.0), *tail]
            state.update_job(job, schedule=rewrite(job.schedule, now, _offsets(tail)), forced=outcome)
        self._set(job, held=False)  # a job held in its status by a fixture goes on from what it was forced into
        self.vendor.hooks["forced"](self.vendor, state, job, outcome, current)
        self.arm(state, job)

    def remove(self, state: TenantState, job: Job) -> None:
        if job.due is not None:
            self._undue(state, job)
            self._stale += 1  # its entry in the heap is stale now
        if state.jobs.get(job.id) is job:
            self.vendor.hooks["removed"](self.vendor, state, job)
            state.remove_job(job)
            self.runtime.sizes.forget((self.vendor.name, state.tenant, job.id))

    def reset(self, tenant: str | None) -> None:
        """The store dropped this vendor's state (all, or one tenant's): its jobs' moments go too (those of a
        dropped tenant are skipped when they come up; the heap is compacted when it is large)."""
        if tenant is None:
            self.heap.clear()
            self._stale = 0
            self._records.clear()
        elif len(self.heap) > 4096:
            self._compact()
        if not self.heap and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._records and self._record_timer is not None:
            self._record_timer.cancel()
            self._record_timer = None

    def resume(self, state: TenantState, *, as_taken: bool = False) -> None:
        """A tenant's jobs and timed records, put back (a state file read at start, a snapshot restored): each job
        waits again for its next moment, running what came due meanwhile, and each record for its expiry.
        ``as_taken``: the jobs are copies taken with the clock where it is now (snapshot.py), so each one's ``due``
        is still right and goes back into the heap as it is; nothing can have come due."""
        for job in list(state.jobs.values()):
            if not as_taken:
                self.arm(state, job, new=True)
            else:
                if job.due is not None:
                    heapq.heappush(self.heap, (job.due, job.seq, state, job))
                    if self.waiting is not None:
                        self.waiting.add(state, 1)
                if self.changes is not None:
                    self.changes.push(state, job, self.runtime.clock.now(), again=False)
        if as_taken and self.heap:
            self._wake(self.heap[0][0])
        for name, index in state.indexes.items():
            for rule in self.timed:
                if name.startswith(rule.prefix):
                    for key, item in index.pairs():
                        self._expire_at(state, name, key, item["made_at"] + rule.seconds)

    def next_change(self, now: float) -> tuple[float, TenantState, Job] | None:
        """The earliest status change of any of the vendor's jobs after ``now`` (of two at once, the job made first),
        whether or not a moment waits for it (the heap holds moments with effects only): what a user calls the next
        event. Read from the index of changes (Changes), or with the cache ``changes`` off from ``scan``; the two
        answer alike (tests/test_next_event.py) and bench/clock.py measures both."""
        return self.changes.first(now) if self.changes is not None else self.scan(now)

    def scan(self, now: float) -> tuple[float, TenantState, Job] | None:
        """``next_change`` without the index: one pass over every job of every tenant, reading each schedule's last
        entry first (most jobs have ended)."""
        best: tuple[float, int, TenantState, Job] | None = None
        for state in self.runtime.store.tenants(self.vendor.name):
            for job in state.jobs.values():
                schedule = job.schedule
                if schedule[-1][0] <= now:
                    continue
                when = next_change_at(schedule, now)
                if when is not None and (best is None or (when, job.seq) < best[:2]):
                    best = (when, job.seq, state, job)
        return None if best is None else (best[0], best[2], best[3])

    def pending(self) -> int:
        """How many jobs wait for a moment (the control API's pending events): counted as they are armed (Waiting),
        or with the cache ``waiting`` off over the heap (a job pushed twice for one moment counts once)."""
        return self.waiting.total() if self.waiting is not None else self.pending_in_heap()

    def pending_in_heap(self) -> int:
        """``pending`` without the counts: one pass over the heap."""
        return len({job.seq for when, _, state, job in self.heap if job.due == when and state.alive})

    # --- timed records ----------------------------------------------------------------------------------------
    def keep(self, state: TenantState, index: str, key: Any, item: dict[str, Any]) -> None:
        """Put ``item`` (which has ``made_at``) into the tenant's index; it goes when its Timed rule says."""
        rule = next((r for r in self.timed if index.startswith(r.prefix)), None)
        if rule is None:
            raise ValueError(f"{self.vendor.name}: {index!r} is no timed index (Vendor(timed=...))")
        new = state.index(index).get(key) is None  # one waiting entry per record: one made again moves it on
        state.index_put(index, key, item)
        if new:
            self._expire_at(state, index, key, item["made_at"] + rule.seconds)

    def _expire_at(self, state: TenantState, index: str, key: Any, when: float) -> None:
        heapq.heappush(self._records, (when, next(self._order), state, index, key))
        timer = self._record_timer
        if timer is None or when < timer.when:
            if timer is not None:
                timer.cancel()
            self._record_timer = self.runtime.scheduler.at(when, self._expire, label=f"{self.vendor.name} records")

    def _expire(self) -> int:
        self._record_timer = None
        now, fired, heap = self.runtime.clock.now(), 0, self._records
        while heap and heap[0][0] <= now:
            _, _, state, index, key = heapq.heappop(heap)
            item = state.index(index).get(key) if state.alive else None
            rule = next(r for r in self.timed if index.startswith(r.prefix))
            if item is None:
                continue
            expiry = item["made_at"] + rule.seconds
            if expiry <= now:
                state.index_drop(index, key)
                fired += 1
            else:  # made again since: it goes that long after
                heapq.heappush(heap, (expiry, next(self._order), state, index, key))
        if heap:
            self._record_timer = self.runtime.scheduler.at(heap[0][0], self._expire,
                                                           label=f"{self.vendor.name} records")
        return fired

    # --- the heap of moments --------------------------------------------------------------------------
    def arm(self, state: TenantState, job: Job, *, changed: bool = True, new: bool = False) -> None:
        """Run what is due by now, then wait for the job's next moment. ``changed``: the job's schedule was set or
        changed since it was last armed (False: its moment came), so its next status change goes into the index;
        ``new``: the job was never armed in this app (made now, read from the state file)."""
        now = self.runtime.clock.now()
        if changed and self.changes is not None:
            self.changes.push(state, job, now, again=not new)
        if job.due is not None:
            self._undue(state, job)
            self._stale += 1  # its entry in the heap is stale now
        moments, version, schedule = self.moments(job), job.version, job.schedule
        if not self._run_due(state, job, now, moments):
            return
        if job.version != version or job.schedule is not schedule:  # an effect changed the job
            moments = self.moments(job)
        when = next((m[0] for m in moments if m[0] > now), None)  # moments are in time order
        if when is not None:
            job.due = when
            if self.waiting is not None:
                self.waiting.add(state, 1)
            heapq.heappush(self.heap, (when, job.seq, state, job))
            if self._stale > 1024 and self._stale * 4 >= len(self.heap):
                self._compact()
            if not self._firing:
                self._wake(when)

    def _undue(self, state: TenantState, job: Job) -> None:
        """The job waits for no moment now."""
        job.due = None
        if self.waiting is not None:
            self.waiting.add(state, -1)

    def _compact(self) -> None:
        self.heap[:] = [e for e in self.heap if e[3].due == e[0] and e[2].alive]  # in place: _fire holds it
        heapq.heapify(self.heap)
        self._stale = 0

    def _wake(self, when: float) -> None:
        timer = self._timer
        if timer is None or when < timer.when:
            if timer is not None:
                timer.cancel()
            self._timer = self.runtime.scheduler.at(when, self._fire, label=f"{self.vendor.name} jobs")

    def _fire(self) -> int:
        """The earliest moment came: every job due by now takes its turn, then the timer waits for the next.
        Returns how many of the jobs' moments ran (the scheduler counts them as events)."""
        self._timer = None
        before = self.fired
        heap, now = self.heap, self.runtime.clock.now()
        self._firing = True
        try:
            while heap and heap[0][0] <= now:
                when, _, state, job = heapq.heappop(heap)
                if job.due == when and state.alive:
                    self._undue(state, job)  # this entry is gone from the heap: not stale
                    if state.jobs.get(job.id) is job:  # (not removed by a vendor's handler meanwhile)
                        self.arm(state, job, changed=False)  # what an effect changes is armed (and indexed) by itself
                elif self._stale:
                    self._stale -= 1
        finally:
            self._firing = False
            while heap and (heap[0][3].due != heap[0][0] or not heap[0][2].alive):
                heapq.heappop(heap)  # stale: not worth a wake-up
                self._stale = max(0, self._stale - 1)
            if heap:
                self._wake(heap[0][0])
        return self.fired - before

    def moments(self, job: Job) -> list[Moment]:
        """Every moment of the job's schedule that has effects, in time order (not to be changed: jobs with equal
        schedules, units and hold share one list, the ``moments`` cache)."""
        progress = self.lifecycle.progress
        key = (job.schedule, job.attrs.get(progress.units, 0) if progress is not None else 0, job.note[HELD])
        found: list[Moment] | None = self._moments.get(key)
        if found is None:
            found = self._moments.put(key, self._moments_of(job))
        return found

    def _moments_of(self, job: Job) -> list[Moment]:
        lc = self.lifecycle
        out: list[Moment] = []
        for when, status in job.schedule:
            out.extend((when, 0, fx, None) for fx in lc.on_enter.get(status, ()))
        progress = lc.progress
        if progress is not None:
            finish = next((t for t, s in job.schedule if s in progress.finish), None)
            for i in range(int(job.attrs.get(progress.units, 0))):
                t = time_when(job.schedule, progress.status, (i + 1) * progress.seconds)
                if finish is not None and (t is None or t > finish):
                    t = finish  # the job was made to finish: what was left of the work is done then
                if t is None:
                    break
                out.append((t, 1, progress.effect, i))
        removal = self.removal_time(job)
        if removal is not None:
            out.append((removal, 2, REMOVE, None))
        out.sort(key=lambda m: (m[0], m[1], m[3] if m[3] is not None else -1))
        return out

    def removal_time(self, job: Job) -> float | None:
        if job.note[HELD]:
            return None
        when, status = job.schedule[-1]
        keep = self.lifecycle.retention.get(status)
        return None if keep is None else when + keep

    def _run_due(self, state: TenantState, job: Job, now: float, moments: list[Moment]) -> bool:
        """Run the effects due by ``now`` that have not run; False when the job is gone."""
        mark, done, quiet = job.note[MARK], job.note[DONE], job.note[QUIET]
        ran_now = set(done) if mark == now else set()
        for when, _, fx, index in moments:
            if when > now:
                break
            tag = fx.name if index is None else f"{fx.name}:{index}"
            if when < mark or (when == mark and tag in done):
                continue
            if not (fx.notify and quiet is not None and when <= quiet):
                self.fired += 1
                if fx is REMOVE:
                    self.remove(state, job)
                    return False
                effect = self.vendor.effect(fx.name)
                if index is None:
                    effect(self.vendor, state, job, when)
                else:
                    effect(self.vendor, state, job, when, index)
                if state.jobs.get(job.id) is not job:
                    return False
            if when == now:
                ran_now.add(tag)
        self._set(job, mark=now, done=self._tags(ran_now))
        state.mark(job)
        return True

    def _tags(self, tags: set[str]) -> tuple[str, ...]:
        """The tags as a sorted tuple, one for every job that ran the same effects at its mark."""
        if not tags:
            return ()
        key = frozenset(tags)
        done = self._done.get(key)
        if done is None:
            if len(self._done) >= 4096:
                self._done.clear()
            done = self._done[key] = tuple(sorted(tags))
        return done


def saved_note(job: Job) -> dict[str, Any]:
    """A job's note as a state file keeps it, in the job's attrs JSON (the format of state files since version 1)."""
    mark, done, quiet, held = job.note
    out: dict[str, Any] = {"fx": (mark, done)}
    if quiet is not None:
        out["quiet"] = quiet
    if held:
        out["held"] = True
    return out


def load_note(job: Job, saved: dict[str, Any]) -> None:
    """The inverse of ``saved_note``: the note out of a state file's attrs (taken out of them)."""
    fx = saved.pop("fx", None) or (job.created - 1.0, ())
    job.note = (float(fx[0]), tuple(fx[1]), saved.pop("quiet", None), bool(saved.pop("held", False)))


def _offsets(tail: Sequence[tuple[str, float | None]]) -> list[tuple[float, str]]:
    """Statuses with durations (None for the last) as offsets from now."""
    offsets: list[tuple[float, str]] = []
    at = 0.0
    for status, length in tail:
        offsets.append((at, status))
        if length is None:
            break
        at += length
    return offsets
