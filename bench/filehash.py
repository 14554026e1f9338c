"""The bytes of every vendor's files, hashed: a refactoring that must change nothing a client sees is checked by
running this before and after and comparing the printed digests (issue 19's rule: files byte-identical).

    .venv/bin/python bench/filehash.py [--json]

It drives a fresh in-process fake (virtual clock, seed 0, no fixtures) through the vendors' own APIs only, so it
runs unchanged against any version of the code: Twilio's four resource types over three days (one day forced
empty), DIDWW every export type of every API version, Talkdesk every report type in each of its three formats and
both calls payloads, HookBridge both directions. Each file is fetched as a client would (following the vendor's
redirect to the S3 stand-in) and hashed with SHA-256; the last line is the digest of them all."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fakeexports import create_app
from fakeexports.settings import Settings

ACCOUNT = "AC" + "5" * 32
TWILIO = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:hash".encode()).decode()}
JSONAPI = "application/vnd.api+json"
DIDWW = (("2021-12-15", "cdr_in", {"year": 2026, "month": 1}), ("2021-12-15", "cdr_out", {"year": 2026, "month": 1}),
         ("2026-04-16", "cdr_in", {"from": "2026-01-10 00:00:00", "to": "2026-01-12 00:00:00"}),
         ("2026-04-16", "cdr_out", {"from": "2026-01-10 00:00:00", "to": "2026-01-12 00:00:00"}),
         *(("2026-11-19", kind, {"from": "2026-01-10 00:00:00", "to": "2026-01-12 00:00:00"})
           for kind in ("cdr_in", "cdr_out", "sms_in", "sms_out")))
TALKDESK_TYPES = ("calls", "explore_calls", "user_status", "studio_flow_execution", "messaging_contacts",
                  "messaging_traffic", "audit_logs", "contacts", "ring_attempts", "acw_time_data",
                  "contact_online_time", "hold_time_data", "inbound_contact_volume", "qm_evaluation_analysis",
                  "talk_time_data", "advanced_dialer_calls_report")


class Run:
    def __init__(self, client: TestClient[Any, Any]):
        self.client = client
        self.hashes: dict[str, str] = {}

    async def advance(self, seconds: float) -> None:
        assert (await self.client.post("/_fakeexports/clock/advance", json={"seconds": seconds})).status == 200

    async def fetch(self, name: str, path: str, headers: dict[str, str]) -> None:
        """GET ``path``, following redirects on the fake (a relative Location keeps the headers), and hash it."""
        resp = await self.client.get(path, headers=headers, allow_redirects=False)
        hops = 0
        while resp.status in (300, 302, 303, 307) and hops < 3:
            location = resp.headers.get("Location") or (await resp.json(content_type=None))["redirect_to"]
            target = urlsplit(location)
            local = target.path + (f"?{target.query}" if target.query else "")
            resp = await self.client.get(local, headers=headers if not target.scheme else {}, allow_redirects=False)
            hops += 1
        data = await resp.read()
        assert resp.status == 200, f"{name}: {resp.status} {data[:200]!r}"
        self.hashes[name] = hashlib.sha256(data).hexdigest()

    async def twilio(self) -> None:
        sids = {}
        for rt in ("Messages", "Calls", "Conferences", "Participants"):
            resp = await self.client.post(f"/twilio/v1/Exports/{rt}/Jobs", headers=TWILIO, data={
                "StartDay": "2026-01-05", "EndDay": "2026-01-07", "FriendlyName": f"hash-{rt}"})
            assert resp.status == 201, await resp.text()
            sids[rt] = (await resp.json())["job_sid"]
        await self.advance(60 + 2 * 30)
        await self.client.post(f"/_fakeexports/jobs/twilio/{sids['Calls']}/force",
                               json={"status": "CompletedEmptyRecords"})
        await self.advance(3600)
        for rt in sids:
            for day in ("2026-01-05", "2026-01-06", "2026-01-07"):
                await self.fetch(f"twilio/{rt}/{day}", f"/twilio/v1/Exports/{rt}/Days/{day}", TWILIO)

    async def didww(self) -> None:
        made = []
        for version, kind, filters in DIDWW:
            headers = {"Api-Key": "hash-key", "Content-Type": JSONAPI, "Accept": JSONAPI,
                       "X-DIDWW-API-Version": version}
            body = {"data": {"type": "exports", "attributes": {"export_type": kind, "filters": filters}}}
            resp = await self.client.post("/didww/v3/exports", data=json.dumps(body), headers=headers)
            assert resp.status == 201, await resp.text()
            made.append((version, kind, (await resp.json(content_type=None))["data"]["id"], headers))
        await self.advance(300)
        for version, kind, export_id, headers in made:
            doc = await (await self.client.get(f"/didww/v3/exports/{export_id}", headers=headers)).json(
                content_type=None)
            url = urlsplit(doc["data"]["attributes"]["url"]).path
            await self.fetch(f"didww/{version}/{kind}", url, {"Api-Key": "hash-key"})

    async def talkdesk(self) -> None:
        basic = "Basic " + base64.b64encode(b"hash-client:secret").decode()
        token = (await (await self.client.post("/talkdesk/oauth/token", data={"grant_type": "client_credentials"},
                                                headers={"Authorization": basic})).json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        made = []
        span = {"from": "2026-01-14T00:00:00Z", "to": "2026-01-14T06:00:00Z"}
        for kind in TALKDESK_TYPES:
            for fmt in ("csv", "json", "json_bulk"):
                resp = await self.client.post(f"/talkdesk/data/reports/{kind}/jobs", headers=auth,
                                              json={"format": fmt, "timespan": span})
                assert resp.status == 202, await resp.text()
                made.append((f"{kind}/{fmt}", kind, (await resp.json())["job"]["id"]))
                if len(made) % 15 == 0:  # at most 15 running or queued jobs an account
                    await self.advance(60)
        await self.advance(60)
        for name, kind, job_id in made:
            await self.fetch(f"talkdesk/{name}", f"/talkdesk/data/reports/{kind}/files/{job_id}", auth)

    async def hookbridge(self) -> None:
        auth = {"Authorization": "Bearer hb_test_hash"}
        made = []
        for direction in ("outbound", "inbound"):
            resp = await self.client.post("/hookbridge/v1/exports", headers=auth, json={
                "start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-14T06:00:00Z", "direction": direction})
            assert resp.status == 201, await resp.text()
            made.append((direction, (await resp.json())["data"]["id"]))
        await self.advance(300)
        for direction, export_id in made:
            await self.fetch(f"hookbridge/{direction}", f"/hookbridge/v1/exports/{export_id}/download", auth)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print {file: sha256, ...} as JSON")
    args = parser.parse_args()
    settings = Settings(clock="virtual", strict=True, fixtures="none", cache_dir="",
                        vendors=("twilio", "didww", "talkdesk", "hookbridge"))
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    run = Run(client)
    try:
        for vendor in (run.twilio, run.didww, run.talkdesk, run.hookbridge):
            await vendor()
    finally:
        await client.close()
    total = hashlib.sha256("".join(f"{k}={v}\n" for k, v in sorted(run.hashes.items())).encode()).hexdigest()
    if args.json:
        print(json.dumps({**run.hashes, "all": total}, indent=1, sort_keys=True))
    else:
        for name, digest in sorted(run.hashes.items()):
            print(f"{digest}  {name}")
        print(f"{total}  all ({len(run.hashes)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
