"""Shared parts of the Talkdesk Explore record generators: a tenant's roster (users, teams, ring groups, numbers,
flows, contact persons), the report files' UTC time formats, and the two drivers that emit records in time order.
Source tags ([GO-rep] ...) are resolved in the legend of records.py."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, TypeVar

from ...kit import Pools, hex_id, rng, sorted_compact

V = TypeVar("V")
Record = dict[str, Any]
Build = Callable[["Ctx", random.Random, int, int], Record]
BuildGroup = Callable[["Ctx", random.Random, int, int], list[tuple[int, Record]]]
Generate = Callable[["Ctx", random.Random, int], Iterator[Record]]

_HM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}" for s in range(60))
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class User:
    id: str  # 24 hex, e.g. 629e83be24976642c60a216d [GO-rep]
    name: str
    email: str
    team_id: str | None  # 32 hex, e.g. 69bd4bed944f4de99cb79736f2ca15b1 [TD-us]; null for a user without a team
    team_name: str | None
    ring_groups: tuple[str, ...]  # lowercase names, "agents" first [GO-rep user_status ring_groups]
    actor_id: str  # audit_logs actor_id, 32 hex [TD-audit]
    active: bool


@dataclass(frozen=True, slots=True)
class Number:
    e164: str
    display_name: str  # "support" [TD-calls-new], "Seattle [Bay Side (PT)]" [GO-rep]
    ring_group: str
    flow: int


@dataclass(frozen=True, slots=True)
class Person:
    id: str  # contact_person_id, 24 hex [TD-mc]
    name: str
    email: str
    phone: str


def cumulative(*pairs: tuple[V, float]) -> tuple[tuple[float, V], ...]:
    """A table for ``pick``: (value, weight) pairs to (cumulative edge, value), the weights summing to 1."""
    edges, total = [], 0.0
    for value, weight in pairs:
        total += weight
        edges.append((total, value))
    return tuple(edges)


def pick(u: float, table: tuple[tuple[float, V], ...]) -> V:
    for edge, value in table:
        if u < edge:
            return value
    return table[-1][1]


def ri(u: float, a: int, b: int) -> int:
    """An integer in [a, b] from a uniform u in [0, 1)."""
    return a + int(u * (b - a + 1))


def fit(room: int, *parts: int) -> list[int]:
    """Cut consecutive phase lengths so that they end within ``room`` seconds (records never leave the timespan)."""
    out = []
    for part in parts:
        part = min(part, room)
        room -= part
        out.append(part)
    return out


def dhms(seconds: int) -> str:
    # messaging handle times are strings like "0d 0h 0m 42s" [TD-mc]
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    d, h = divmod(hours, 24)
    return f"{d}d {h}h {m}m {s}s"


class Ctx:
    """One job's view of its tenant: the roster (stable for a seed and tenant, whatever the job), the job's ids and
    the timespan as whole UTC seconds lo..hi (every second in it lies in [start, end))."""

    def __init__(self, seed: int, tenant: str, job_id: str, start: float, end: float, pools: Pools) -> None:
        self.seed, self.tenant, self.job_id = seed, tenant, job_id
        self.lo, self.hi = math.ceil(start), math.ceil(end) - 1
        self.hi_ms = math.ceil(end * 1000) - 1
        while self.hi_ms / 1000 >= end:  # end * 1000 may round up
            self.hi_ms -= 1
        self._days: dict[int, str] = {}
        r = rng(seed, "talkdesk-tenant", tenant)
        names = [n for n in pools.names if len(n.split()) == 2 and n.replace(" ", "").isalpha()] or ["Alice Eve"]
        picked = [names[k % len(names)] for k in r.sample(range(max(len(names), 130)), 130)]
        company = "".join(c for c in pools.companies[r.randrange(len(pools.companies))].lower() if c.isalnum())
        self.domain = (company or "example") + ".com"
        self.account = "".join(c for c in tenant.lower() if c.isalnum() or c == "-")[:40] or "demo"
        cities = [c.lower() for c in r.sample(pools.cities, 3)]
        # ring groups are lowercase, "agents" plus site groups such as "seattle csr", "kansas city sales" [GO-rep]
        self.ring_groups = ("agents", *(f"{c} {g}" for c in cities for g in ("csr", "sales")))
        # team names like "Team GT", "Team Ashley" [GO-rep]; one of the 24 users has none (team_id is nullable [GO-rep])
        teams = [(hex_id(seed, "td-team", tenant, k), f"Team {picked[k].split()[1]}") for k in range(3)]
        users = []
        for i in range(24):
            name = picked[3 + i]
            team = teams[i % 3] if i != 23 else (None, None)
            extra = tuple(g for g in self.ring_groups[1:] if r.random() < 0.35) or (self.ring_groups[1 + i % 6],)
            users.append(User(hex_id(seed, "td-user", tenant, i, length=24), name, _email(name, self.domain),
                              team[0], team[1], ("agents", *extra), hex_id(seed, "td-actor", tenant, i), i != 22))
        self.users = tuple(users)
        # the agents a contact routed to a ring group can reach
        self.members = {g: tuple(u for u in users if g in u.ring_groups) or self.users for g in self.ring_groups}
        self.evaluators = self.users[:2]
        self.campaigns = tuple(hex_id(seed, "td-campaign", tenant, k) for k in range(2))
        # flow names "flow A", "SG_Consecutive A&D RG->AG" [TD-sfe], "Seattle Patient IVR - imported" [GO-rep]
        self.flows = tuple((hex_id(seed, "td-flow", tenant, k), name) for k, name in enumerate(
            (f"{cities[0].title()} Patient IVR - imported", "flow A", "SG_Consecutive A&D RG->AG")))
        phones = r.sample(pools.e164, 4)
        labels = (f"{cities[0].title()} [Main line]", "support", "sales", f"{cities[1].title()} [Front desk]")
        self.numbers = tuple(Number(phones[k], labels[k], self.ring_groups[(1, 0, 2, 3)[k]], (0, 1, 2, 0)[k])
                             for k in range(4))
        self.phones = pools.e164
        self.persons = tuple(Person(hex_id(seed, "td-person", tenant, k, length=24), picked[27 + k],
                                    pools.emails[k % len(pools.emails)], pools.e164[(k * 5 + 7) % len(pools.e164)])
                             for k in range(100))
        self.sentences = pools.sentences

    def ids(self, label: str, i: object, length: int = 32) -> str:
        """Deterministic hex from (seed, label, tenant, job, i): the same job gives the same ids."""
        return hex_id(self.seed, label, self.tenant, self.job_id, i, length=length)

    def day(self, t: int) -> str:
        d = t // 86400
        text = self._days.get(d)
        if text is None:
            text = self._days[d] = date.fromordinal(_EPOCH + d).isoformat()
        return text

    def naive(self, t: int) -> str:
        """"YYYY-MM-DD HH:MM:SS" in UTC, the old Explore payloads' format [TD-calls-old, TD-us, AB-s-contacts]."""
        day = self._days.get(t // 86400) or self.day(t)
        return day + " " + _HM[t % 86400 // 60] + _SS[t % 60]

    def iso(self, t: int) -> str:
        """"YYYY-MM-DDTHH:MM:SSZ", the new calls payload's format [TD-calls-new]."""
        return self.day(t) + "T" + _HM[t % 86400 // 60] + _SS[t % 60] + "Z"

    @staticmethod
    def business(t: int) -> bool:
        # INFERRED: the tenant's business hours are 08:00-20:00 UTC, Monday to Friday (1970-01-01 was a Thursday)
        return (t // 86400 + 3) % 7 < 5 and 8 <= t % 86400 // 3600 < 20


def _email(name: str, domain: str) -> str:
    first, last = name.lower().split()
    return f"{first}.{last}@{domain}"


def singles(build: Build) -> Generate:
    """A report with one record per event: n start times drawn over the timespan, sorted, one record each."""
    def generate(ctx: Ctx, r: random.Random, n: int) -> Iterator[Record]:
        rnd, lo, width = r.random, ctx.lo, ctx.hi - ctx.lo + 1
        for i, t in enumerate(sorted_compact((lo + int(rnd() * width) for _ in range(n)), "q")):
            yield build(ctx, r, i, t)
    return generate


def grouped(build: BuildGroup) -> Generate:
    """A report whose records come in groups (the steps of a flow, the rings of a contact...): groups are built at
    random start times until there are n records, the last group is cut to fit, and all are sorted by time."""
    def generate(ctx: Ctx, r: random.Random, n: int) -> Iterator[Record]:
        rows: list[tuple[int, Record]] = []
        width, g = ctx.hi - ctx.lo + 1, 0
        while len(rows) < n:
            rows.extend(build(ctx, r, g, ctx.lo + int(r.random() * width)))
            g += 1
        del rows[n:]
        rows.sort(key=itemgetter(0))
        return (record for _, record in rows)
    return generate
