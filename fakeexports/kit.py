"""Everything a vendor package uses, from one module: ``from fakeexports.kit import Vendor, Context, Reply, ...``.
The built-in vendors import only from here too, so what a third-party vendor can do is what they do. The contract
(what a vendor must provide, what it may override, what the core guarantees) is docs/vendors.md."""

from __future__ import annotations

from .auth import Credentials, basic_credentials, basic_header, bearer_token, masked, read_jwt, sign_jwt
from .caches import Memo
from .clock import Clock
from .errors import VendorError, Violation
from .files import (
    FileBody,
    Pools,
    Sizes,
    batched_lines,
    csv_lines,
    gzip_chunks,
    hex_id,
    measure,
    rng,
    sorted_compact,
    uuid4_from,
    uuid7_from,
)
from .fixtures import FIXTURE_AGE, FixtureError, FixtureItem, fixture_items
from .jobs import Ids, Jobs, Timed
from .lifecycle import (
    INF,
    KEPT_SECONDS,
    REMOVE,
    Effect,
    Lifecycle,
    Progress,
    Schedule,
    entered_at,
    next_change_at,
    status_at,
    time_in,
    time_of,
    time_when,
)
from .limits import Window
from .options import Option
from .pagination import Index, Page, Tokens
from .recipe import Call, Recipe
from .rules import REFUSED_AGAIN, Rule, standard
from .specs import Operation
from .store import VOLUME, Job, TenantState, records_for
from .times import parse_instant, parse_rfc3339, rfc3339, stamp, writable
from .vendor import Context, Reply, Vendor, VendorApp
from .wire import dumps

__all__ = [
    "FIXTURE_AGE", "INF", "KEPT_SECONDS", "REFUSED_AGAIN", "REMOVE", "VOLUME", "Call", "Clock", "Context",
    "Credentials", "Effect", "FileBody", "FixtureError", "FixtureItem", "Ids", "Index", "Job", "Jobs", "Lifecycle",
    "Memo", "Operation", "Option", "Page", "Pools", "Progress", "Recipe", "Reply", "Rule", "Schedule", "Sizes",
    "TenantState", "Timed", "Tokens", "Vendor", "VendorApp", "VendorError", "Violation", "Window",
    "basic_credentials", "basic_header", "batched_lines", "bearer_token", "csv_lines", "dumps", "entered_at",
    "fixture_items", "gzip_chunks", "hex_id", "masked", "measure", "next_change_at", "parse_instant", "parse_rfc3339",
    "read_jwt", "records_for", "rfc3339", "rng", "sign_jwt", "sorted_compact", "stamp", "standard", "status_at",
    "time_in", "time_of", "time_when", "uuid4_from", "uuid7_from", "writable",
]
