"""One seed drives every id and record: the same seed, requests and clock give byte-identical answers and
files from two servers; another seed gives others (DESIGN principle 7). The opaque secrets (access tokens, link
signatures) are the exception: each server signs with its own random key, so nobody can forge them from the seed."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

TWILIO = {"Authorization": "Basic " + base64.b64encode(b"AC" + b"7" * 32 + b":pw").decode()}
DIDWW = {"Api-Key": "det", "X-DIDWW-API-Version": "2026-04-16", "Content-Type": "application/vnd.api+json"}
HOOKBRIDGE = {"Authorization": "Bearer hb_test_det"}
TALKDESK_CLIENT = {"Authorization": "Basic " + base64.b64encode(b"det:secret").decode()}


async def script(client: Any) -> list[bytes]:
    """The same conversation with every vendor; returns every answer's bytes, files included."""
    out: list[bytes] = []

    async def keep(resp: Any) -> Any:
        out.append(await resp.read())
        return resp

    await keep(await client.post("/twilio/v1/Exports/Calls/Jobs", headers=TWILIO,
                                 data={"StartDay": "2026-01-10", "EndDay": "2026-01-11", "FriendlyName": "d"}))
    await keep(await client.post("/didww/v3/exports", headers=DIDWW, data=json.dumps({"data": {
        "type": "exports", "attributes": {"export_type": "cdr_in",
                                          "filters": {"from": "2026-01-01 00:00:00", "to": "2026-01-02 00:00:00"}}}})))
    await keep(await client.post("/hookbridge/v1/exports", headers=HOOKBRIDGE,
                                 json={"start_time": "2026-01-14T00:00:00Z", "end_time": "2026-01-14T02:00:00Z"}))
    token = (await (await keep(await client.post("/talkdesk/oauth/token?grant_type=client_credentials",
                                                 headers=TALKDESK_CLIENT))).json())["access_token"]
    talkdesk = {"Authorization": f"Bearer {token}"}
    await keep(await client.post("/talkdesk/data/reports/contacts/jobs", headers=talkdesk, json={
        "format": "csv", "timespan": {"from": "2026-01-14T00:00:00Z", "to": "2026-01-14T12:00:00Z"}}))
    await client.post("/_fakeexports/clock/advance", json={"seconds": 300})

    for path, headers in (("/twilio/v1/Exports/Calls/Jobs", TWILIO), ("/twilio/v1/Exports/Calls/Days", TWILIO),
                          ("/didww/v3/exports", DIDWW), ("/hookbridge/v1/exports", HOOKBRIDGE),
                          ("/talkdesk/data/reports/contacts/jobs", talkdesk)):
        await keep(await client.get(path, headers=headers))
    links = [
        (await client.get("/twilio/v1/Exports/Calls/Days/2026-01-10", headers=TWILIO, allow_redirects=False)),
        (await client.get(f"/hookbridge/v1/exports/{json.loads(out[2])['data']['id']}/download", headers=HOOKBRIDGE,
                          allow_redirects=False)),
        (await client.get(f"/talkdesk/data/reports/contacts/files/{json.loads(out[4])['job']['id']}",
                          headers=talkdesk, allow_redirects=False)),
    ]
    base = str(client.make_url("")).rstrip("/")
    for resp in links:
        await keep(await client.get(resp.headers["Location"].replace(base, "")))
    didww_url = json.loads(out[7])["data"][0]["attributes"]["url"].replace(base, "")
    await keep(await client.get(didww_url, headers={"Api-Key": "det"}))
    return out


SECRETS = re.compile(rb'"access_token":"[^"]+"|X-Amz-Signature=[0-9a-f]+')


def secrets_of(answers: list[bytes]) -> list[bytes]:
    return [found for a in answers for found in SECRETS.findall(a)]


def normalized(answers: list[bytes], client: Any) -> list[bytes]:
    origin = str(client.make_url("")).rstrip("/").encode()
    return [SECRETS.sub(b"<secret>", a.replace(origin, b"http://fake")) for a in answers]


async def test_the_same_seed_gives_byte_identical_answers_and_files(client_for: Any) -> None:
    one, two, other = [await client_for(fixtures="none", seed=s) for s in (11, 11, 12)]
    answers = [await script(c) for c in (one, two, other)]
    first, second, third = [normalized(a, c) for a, c in zip(answers, (one, two, other), strict=True)]
    assert len(first) == 14
    assert first == second
    assert first != third
    assert all(a for a in first[-4:])  # the four files are there
    # but not the secrets: two servers of one seed sign with keys of their own
    mine, theirs = secrets_of(answers[0]), secrets_of(answers[1])
    assert mine and len(mine) == len(theirs)
    assert not set(mine) & set(theirs)
