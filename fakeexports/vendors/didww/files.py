"""DIDWW's export file (B7): what ``GET /v3/exports/{file_id}.csv.gz`` serves, also reachable on the S3 stand-in
for the dashboard's links (DIDWW itself serves it from the API, behind the Api-Key)."""

from __future__ import annotations

import re

from ... import lifecycle
from ...files import FileBody
from ...records import didww as records
from ...store import Job, TenantState
from ...vendor import Vendor

KEY = re.compile(r"exports/([0-9a-f-]{36})\.csv\.gz")


class ExportFiles(Vendor):
    """Didww's base: its files."""

    def file_id(self, state: TenantState, job: Job) -> str:
        raise NotImplementedError  # Didww's

    def _file(self, tenant: str, job: Job) -> FileBody:
        return records.export_file(job.id, self.file_id(self.runtime.store.tenant(self.name, tenant), job),
                                   job.attrs, tenant, self.runtime.settings.seed, self.runtime.pools,
                                   self.runtime.sizes)

    def file_keys(self, state: TenantState, job: Job) -> list[str]:
        if lifecycle.status_at(job.schedule, self.runtime.clock.now()) != "completed":
            return []
        return [f"exports/{self.file_id(state, job)}.csv.gz"]

    def s3_object(self, tenant: str, key: str) -> FileBody | None:
        match, state = KEY.fullmatch(key), self.runtime.store.find(self.name, tenant)
        export_id = state.get("didww_files", match.group(1)) if match and state else None
        job = state.jobs.get(export_id) if state is not None and export_id else None
        return self._file(tenant, job) if job is not None and state is not None and self.file_keys(state, job) else None
