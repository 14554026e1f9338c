"""Rows of HookBridge export files (CSV of webhook deliveries). The columns are not published: they follow the
message fields of HookBridge's SDKs (hookbridge/hookbridge-go types.go MessageSummary), INFERRED."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...kit import FileBody, Pools, Sizes, csv_lines, measure, records_for, rng, sorted_compact, stamp, uuid4_from

COLUMNS = ("message_id", "endpoint_id", "endpoint", "direction", "status", "attempt_count", "idempotency_key",
           "created_at", "delivered_at", "response_status", "response_latency_ms", "size_bytes", "last_error")
IDEM_LENGTH = 17  # "idem-" and 12 hex digits


def row_count(seed: int, project: str, export_id: str, start: float, end: float, volume: int | None = None) -> int:
    """How many deliveries the period holds: 2 to 12 an hour, none for about one export in twenty; ``volume``
    records a day if the project has that setting."""
    if volume is not None:
        return records_for(volume, start, end) or 0
    r = rng(seed, "hb-rows", project, export_id)
    hours = max(1.0, (end - start) / 3600)
    return 0 if r.random() < 0.05 else min(50000, int(hours * r.uniform(2, 12)))


def rows(seed: int, export_id: str, attrs: Mapping[str, Any], pools: Pools, trim: int = 0,
         pad: int = 0) -> Iterator[list[Any]]:
    """The export's rows in time order, honouring its filters. ``trim``: so many first rows have no idempotency
    key; ``pad``: that many characters more of ``last_error``, spread over the rows (both fit a fixture's file to
    an exact size)."""
    a = attrs
    r = rng(seed, "hb-rows", a["project_id"], export_id)
    r.random()  # the draw row_count made
    endpoints = [a["filter_endpoint_id"]] if a.get("filter_endpoint_id") else (
        [a["filter_inbound_endpoint_id"]] if a.get("filter_inbound_endpoint_id") else
        [uuid4_from(seed, "hb-endpoint", a["project_id"], i) for i in range(4)])
    hosts = [f"https://{c.split()[0].lower().strip(',.')}.example.com/webhooks" for c in pools.companies[:4]]
    span = a["end"] - a["start"]
    each, rest = divmod(pad, a["rows"]) if a["rows"] else (0, 0)
    # Random's own steps, called directly (choice(s) is s[_randbelow(len(s))], randint(a, b) a + _randbelow(b - a +
    # 1), uniform(a, b) a + (b - a) * random()): the same draws in the same order, without a frame each
    below: Callable[[int], int] = r._randbelow  # type: ignore[attr-defined]
    rnd = r.random
    statuses = ("succeeded",) * 6 + ("pending_retry", "failed_permanent", "delivering", "queued")
    fixed_status = a.get("filter_status")
    direction, n_endpoints = a["direction"], len(endpoints)
    message = f"({seed!r}, 'hb-message', {export_id!r}, "  # repr((seed, "hb-message", export_id, i)) up to i
    idem = f"({seed!r}, 'idem', {export_id!r}, "
    blake2b = hashlib.blake2b
    for i, ts in enumerate(sorted_compact(a["start"] + rnd() * span for _ in range(a["rows"]))):
        status = fixed_status or statuses[below(10)]
        delivered = status == "succeeded"
        attempts = 1 if delivered and rnd() < 0.8 else 1 + below(8)
        code = _DELIVERED[below(4)] if delivered else _FAILED[below(6)]
        endpoint = below(n_endpoints)
        x = blake2b(f"{message}{i!r})".encode(), digest_size=16).hexdigest()  # uuid4_from, its bits set below
        yield [
            f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:]}", endpoints[endpoint],
            hosts[endpoint % len(hosts)], direction, status, attempts,
            "" if i < trim else "idem-" + blake2b(f"{idem}{i!r})".encode(), digest_size=6).hexdigest(),
            stamp(ts), stamp(ts + (0.05 + 29.95 * rnd()) * attempts) if delivered else "",
            code if status != "queued" else "", 20 + below(2481) if code else "",
            120 + below(63881), ("" if delivered else (_ERRORS[0], _ERRORS[1], f"HTTP {code}" if code else
                                                       "DNS error")[below(3)])
            + _filler(each + (1 if i < rest else 0)),
        ]


_DELIVERED = (200, 200, 202, 204)
_FAILED = (500, 502, 503, 404, 410, 0)
_ERRORS = ("connection refused", "timeout after 30s")


def _filler(n: int) -> str:
    """``n`` characters of plain text that a CSV writer never quotes (no comma, quote or newline)."""
    if n <= 0:
        return ""
    text = " response body: upstream returned an error page"
    return (text * (n // len(text) + 1))[:n]


def fit(seed: int, export_id: str, a: Mapping[str, Any], pools: Pools) -> tuple[int, int, int]:
    """``(trim, pad, size)`` that meet a fixture's stated file_size_bytes (``target_size``) exactly: first rows lose
    their idempotency key (IDEM_LENGTH bytes each) while the file is too big, then the rows' last_error grows by what
    is left. It makes the file up to three times: the file thread runs it."""

    def size(trim: int, pad: int) -> int:
        return measure(csv_lines(COLUMNS, rows(seed, export_id, a, pools, trim, pad)))

    trim = pad = 0
    made = size(0, 0)
    target = a.get("target_size")
    if target is not None and a["rows"]:
        if made > target:
            trim = min(a["rows"], -(-(made - target) // IDEM_LENGTH))
            made = size(trim, 0)
        if made < target:
            pad = target - made
            made = size(trim, pad)
    return trim, pad, made


def export_file(export_id: str, a: Mapping[str, Any], seed: int, pools: Pools, sizes: Sizes,
                key: tuple[str, ...]) -> FileBody:
    """The export's CSV (B.7). Its size, once known, is kept in the job (``file_size``), with the ``trim`` and ``pad``
    that fit a fixture's stated size; a file fetched before they are known (a link used again after a restart)
    works them out first, where it is made."""

    def chunks() -> Iterator[bytes]:
        trim, pad = a.get("trim", 0), a.get("pad", 0)
        if "file_size" not in a and a.get("target_size") is not None:
            trim, pad, _ = fit(seed, export_id, a, pools)
        return csv_lines(COLUMNS, rows(seed, export_id, a, pools, trim, pad))

    return FileBody("text/csv", chunks, key=key, sizes=sizes, size=a.get("file_size"),
                    filename=f"export-{export_id}.csv")
