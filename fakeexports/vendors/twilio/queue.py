"""A Twilio account's queue of custom jobs (A2): each waits SUBMIT_SECONDS, runs once fewer than CONCURRENT_JOBS
of the account's jobs ahead of it are unfinished, and runs a day every DAY_SECONDS. Pure functions of the jobs'
schedules, so a list, a fetch and the engine agree on every job's position and days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from ...kit import Job, Jobs, TenantState, VendorError, next_change_at, stamp, status_at, time_in, time_of

# --- lifecycle (A2) -------------------------------------------------------------------------------------
SUBMIT_SECONDS = 60.0  # a job waits this long in Submitted before the account's queue picks it up
DAY_SECONDS = 30.0  # each day of a job takes this long to run
RETRY_SECONDS = 120.0  # ErrorDuringRun lasts this long before the job runs again
# "Multiple Jobs may run at the same time", and job_queue_position "will never increase"
# (https://www.twilio.com/docs/usage/bulkexport/export-custom-job): up to CONCURRENT_JOBS of an account run at
# once, the rest wait in creation order (the number is the fake's; Twilio publishes none).
CONCURRENT_JOBS = 3
DELETE_SECONDS = 10.0  # RunningToBeDeleted lasts this long before the job disappears
RETENTION_SECONDS = 7 * 86400.0  # day files are deleted 7 days after they were made (A1 notes)
FINISHED = frozenset({"Completed", "CompletedEmptyRecords", "Failed", "DeletedByUserRequest"})
OPEN = frozenset({"Submitted", "Running", "ErrorDuringRun"})
MSG_QUOTA = "Too many days requested: an account may request at most {limit} days per UTC day"


def queue(state: TenantState, now: float) -> list[Job]:
    """The account's unfinished jobs in creation order (jobs run side by side, so any may finish first); the
    finished ones leave the stored queue."""
    ids: list[str] = state.get("twilio", "queue") or []
    jobs = [state.jobs[i] for i in ids if i in state.jobs]
    unfinished = [j for j in jobs if status_at(j.schedule, now) not in FINISHED]
    if len(unfinished) != len(ids):
        state.put("twilio", "queue", [j.id for j in unfinished])
    return unfinished


def start_time(created: float, ahead: list[float]) -> float:
    """When a job starts running: SUBMIT_SECONDS after its creation, and once fewer than CONCURRENT_JOBS of the
    account's jobs ahead of it (ending at ``ahead``) are unfinished."""
    start = created + SUBMIT_SECONDS
    if len(ahead) >= CONCURRENT_JOBS:
        start = max(start, sorted(ahead)[-CONCURRENT_JOBS])
    return start


def schedule(created: float, start: float, n_days: int) -> tuple[tuple[float, str], ...]:
    return ((created, "Submitted"), (start, "Running"), (start + n_days * DAY_SECONDS, "Completed"))


def requeue(jobs: Jobs, state: TenantState, now: float) -> None:
    """A queued job was deleted: the jobs behind it that have not started move up."""
    ends: list[float] = []
    for job in queue(state, now):
        start = time_of(job.schedule, "Running")
        if start is None or start <= now or job.attrs.get("forced"):
            ends.append(job.schedule[-1][0])
            continue
        new_start = max(now, start_time(job.created, ends))
        jobs.reschedule(state, job, schedule(job.created, new_start, job.attrs["n_days"]))
        ends.append(new_start + job.attrs["n_days"] * DAY_SECONDS)


def days(start_day: str, n: int) -> list[str]:
    first = date.fromisoformat(start_day)
    return [(first + timedelta(days=i)).isoformat() for i in range(n)]


def days_done(job: Job, now: float) -> int:
    status = status_at(job.schedule, now)
    n = job.attrs["n_days"]
    if status in ("Completed", "CompletedEmptyRecords"):
        return int(n)
    return min(int(n), int(time_in(job.schedule, "Running", now) // DAY_SECONDS))


def day_statuses(job: Job, now: float, empty: Callable[[int, str], bool]) -> list[tuple[str, str]]:
    """Each day of the job with its status; ``empty(index, day)`` tells a finished day without records."""
    status = status_at(job.schedule, now)
    done = days_done(job, now)
    out = []
    for i, day in enumerate(days(job.attrs["start_day"], job.attrs["n_days"])):
        if i < done:
            out.append((day, "CompletedEmptyRecords" if empty(i, day) else "Completed"))
        elif status == "Failed":
            out.append((day, "Failed"))
        elif i == done and status in ("Running", "ErrorDuringRun", "RunningToBeDeleted"):
            out.append((day, status))
        else:
            out.append((day, "Submitted"))
    return out


def next_change(job: Job, now: float) -> float | None:
    """When this job's details next change: a schedule entry or the next day boundary."""
    nxt = next_change_at(job.schedule, now)
    if status_at(job.schedule, now) == "Running":
        ran = time_in(job.schedule, "Running", now)
        boundary = now + (DAY_SECONDS - ran % DAY_SECONDS)
        nxt = boundary if nxt is None else min(nxt, boundary)
    return nxt


def charge_quota(state: TenantState, now: float, n_days: int, limit: int) -> None:
    """An account may request ``limit`` days per UTC day (0: no quota); only today's count is kept."""
    if not limit:
        return
    today = stamp(now, "date")
    used = state.get("twilio_quota", today) or 0
    if used + n_days > limit:
        raise VendorError(429, MSG_QUOTA.format(limit=limit), kind="rate_limited")
    for day in [d for d in state.items("twilio_quota") if d != today]:
        state.drop("twilio_quota", day)
    state.put("twilio_quota", today, used + n_days)
