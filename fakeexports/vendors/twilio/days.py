"""A Twilio account's day files (A7): each finished day with records is listed in its resource type's Days and
served from the S3 stand-in until RETENTION_SECONDS after it was made; a day made again keeps its one expiry
event, moved on. A finished day without records is not listed but is still fetchable, as an empty file
("CompletedEmptyRecords — … An empty file will be available at the Day endpoint",
https://www.twilio.com/docs/usage/bulkexport/job): it is kept in the index ``empty/<type>``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ...files import FileBody
from ...records import twilio as records
from ...store import TenantState
from . import envelope
from .queue import RETENTION_SECONDS

if TYPE_CHECKING:
    from ...runtime import Runtime


class DayFiles:
    name: ClassVar[str]
    runtime: Runtime

    def _expire_at(self, state: TenantState, index: str, day: str, made_at: float) -> None:
        self.runtime.scheduler.at(made_at + RETENTION_SECONDS, self._expire_day, state, index, day, made_at,
                                  label="twilio day expiry")

    def _expire_day(self, state: TenantState, index: str, day: str, made_at: float) -> None:
        record = state.index(index).get(day)
        if not state.alive or record is None:
            return
        if record["made_at"] != made_at:  # made again since: it goes 7 days after that
            self._expire_at(state, index, day, record["made_at"])
        else:
            state.index_drop(index, day)
            self.runtime.sizes.forget(records.file_identity(state.tenant, record["resource_type"], day,
                                                            record.get("volume")))

    def restored(self, state: TenantState) -> None:
        for name, days in state.indexes.items():  # each day file goes 7 days after it was made
            for key, record in days.pairs():
                self._expire_at(state, name, key, record["made_at"])

    def _day_record(self, state: TenantState | None, rt: str, day: str) -> dict[str, Any] | None:
        """The day's file as made: one with records, else an empty one; None when it was never made or expired."""
        if state is None:
            return None
        found: dict[str, Any] | None = state.index(f"days/{rt}").get(day) or state.index(f"empty/{rt}").get(day)
        return found

    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        match = envelope.FILE_KEY.fullmatch(key)
        if match is None or match.group(3) != tenant or match.group(2) not in records.RESOURCE_TYPES:
            return None
        day, rt = match.group(1), match.group(2)
        record = self._day_record(self.runtime.store.find(self.name, tenant), rt, day)
        if record is None:
            return None  # expired (7 days) or never made
        return self._file(tenant, rt, day, record.get("volume"))

    def _record_count(self, tenant: str, rt: str, day: str) -> int:
        return records.record_count(self.runtime.settings.seed, tenant, rt, day)

    def _file(self, tenant: str, rt: str, day: str, volume: int | None) -> FileBody:
        return records.day_file(self.runtime.settings.seed, tenant, rt, day, self.runtime.pools, self.runtime.sizes,
                                volume)
