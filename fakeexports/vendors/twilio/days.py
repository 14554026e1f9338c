"""A Twilio job's lifetime and its day files (A2, A7): the queue's bookkeeping as jobs come and go, each finished day
published as it is done, the completion webhook (A3), and the files on the S3 stand-in.

A finished day with records is listed in its resource type's Days (the index ``days/<type>``); a day without records
is not listed but is still fetchable, as an empty file ("CompletedEmptyRecords — … An empty file will be available
at the Day endpoint", https://www.twilio.com/docs/usage/bulkexport/job), in ``empty/<type>``. Both are timed records
of the engine: each goes 7 days after it was made (a day made again goes 7 days after that)."""

from __future__ import annotations

from typing import Any

from ...kit import FileBody, Job, TenantState, VendorApp, stamp, status_at, time_in
from . import envelope, queue, records
from .declaration import VENDOR
from .queue import DAY_SECONDS


def day_statuses(v: VendorApp, state: TenantState, job: Job, now: float) -> list[tuple[str, str]]:
    return queue.day_statuses(job, now, lambda index, day: empty(v, state, job, index, day))


def empty(v: VendorApp, state: TenantState, job: Job, index: int, day: str) -> bool:
    """A day without records (or after a forced CompletedEmptyRecords) is not listed: a real Days list skipped such
    days (tigerfarm/work twiliocli/README.md; AbdoJohanen/twilio-bulkexport-csv-tool download.js)."""
    empty_from = job.attrs.get("empty_from")
    if empty_from is not None and index >= empty_from:
        return True
    volume = job.attrs.get("volume")
    count = volume if volume is not None else records.record_count(v.runtime.settings.seed, state.tenant,
                                                                   job.collection, day)
    return count == 0


def day_record(state: TenantState | None, rt: str, day: str) -> dict[str, Any] | None:
    """The day's file as made: one with records, else an empty one; None when it was never made or expired."""
    if state is None:
        return None
    found: dict[str, Any] | None = state.index(f"days/{rt}").get(day) or state.index(f"empty/{rt}").get(day)
    return found


def day_file(v: VendorApp, tenant: str, rt: str, day: str, volume: int | None) -> FileBody:
    return records.day_file(v.runtime.settings.seed, tenant, rt, day, v.runtime.pools, v.runtime.sizes, volume)


# --- effects (the declaration's lifecycle names them) ---------------------------------------------------------------
@VENDOR.effect("publish_day")
def publish_day(v: VendorApp, state: TenantState, job: Job, at: float, index: int) -> None:
    """A day of the job is done: its file appears in the Days list, or, without records, only at its Day endpoint
    as an empty file (a file with records made for that day before stays)."""
    day = queue.days(job.attrs["start_day"], job.attrs["n_days"])[index]
    rt = job.collection
    no_records = empty(v, state, job, index, day)
    if no_records and state.index(f"days/{rt}").get(day) is not None:
        return
    if not no_records:
        state.index_drop(f"empty/{rt}", day)
    v.jobs.keep(state, f"empty/{rt}" if no_records else f"days/{rt}", day, {
        "day": day, "resource_type": rt, "friendly_name": job.attrs["friendly_name"], "made_at": at,
        "create_date": stamp(at, "date"), "volume": 0 if no_records else job.attrs.get("volume")})


@VENDOR.effect("finished")
def finished(v: VendorApp, state: TenantState, job: Job, at: float) -> None:
    state.touch()  # the queue moved on: positions of the jobs behind changed


@VENDOR.effect("notify")
def notify(v: VendorApp, state: TenantState, job: Job, at: float) -> None:
    """A3: a finished job calls its webhook with form data including status=completed; the rest of the payload is
    UNVERIFIED."""
    if job.attrs.get("webhook_url"):
        status = status_at(job.schedule, at)
        v.runtime.webhooks.schedule(v.name, state.tenant, job.attrs.get("webhook_method") or "POST",
                                    job.attrs["webhook_url"], {
                                        "AccountSid": state.tenant, "JobSid": job.id, "ResourceType": job.collection,
                                        "FriendlyName": job.attrs["friendly_name"],
                                        "status": "failed" if status == "Failed" else "completed"}, job=job.id)


# --- the job's part in the queue (queue.py) ---------------------------------------------------------------------------
@VENDOR.hook
def created(v: VendorApp, state: TenantState, job: Job) -> None:
    state.put("twilio", "queue", [*(state.get("twilio", "queue") or []), job.id])


@VENDOR.hook
def removed(v: VendorApp, state: TenantState, job: Job) -> None:
    ids = state.get("twilio", "queue") or []
    if job.id in ids:
        state.put("twilio", "queue", [i for i in ids if i != job.id])


@VENDOR.hook
def forced(v: VendorApp, state: TenantState, job: Job, outcome: str, previous: str) -> None:
    if outcome == "CompletedEmptyRecords":  # the days finished before keep their files, the rest have none
        ran = time_in(job.schedule, "Running", v.runtime.clock.now())
        job.own()["empty_from"] = min(int(job.attrs["n_days"]), int(ran // DAY_SECONDS))


@VENDOR.hook
def describe(v: VendorApp, state: TenantState, job: Job) -> dict[str, Any]:
    return {"days": dict(day_statuses(v, state, job, v.runtime.clock.now()))}


# --- files on the S3 stand-in (A7) ----------------------------------------------------------------------------------
@VENDOR.hook
def file_keys(v: VendorApp, state: TenantState, job: Job) -> list[str]:  # the job's finished days, while kept
    return [envelope.file_key(state.tenant, job.collection, day) for day, status in
            day_statuses(v, state, job, v.runtime.clock.now())
            if status in ("Completed", "CompletedEmptyRecords") and day_record(state, job.collection, day)]


@VENDOR.hook
def s3_object(v: VendorApp, tenant: str, key: str) -> FileBody | None:
    match = envelope.FILE_KEY.fullmatch(key)
    if match is None or match.group(3) != tenant or match.group(2) not in records.RESOURCE_TYPES:
        return None
    day, rt = match.group(1), match.group(2)
    record = day_record(v.runtime.store.find(v.name, tenant), rt, day)
    if record is None:
        return None  # expired (7 days) or never made
    return day_file(v, tenant, rt, day, record.get("volume"))
