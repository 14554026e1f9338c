"""Rows of HookBridge export files (CSV of webhook deliveries). The columns are not published: they follow the
message fields of HookBridge's SDKs (hookbridge/hookbridge-go types.go MessageSummary), INFERRED."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..files import FileBody, Pools, csv_lines, hex_id, measure, rng, sorted_compact, uuid4_from
from ..store import records_for
from ..wire import stamp

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
    for i, ts in enumerate(sorted_compact(a["start"] + r.random() * span for _ in range(a["rows"]))):
        status = a.get("filter_status") or r.choice(("succeeded",) * 6 + ("pending_retry", "failed_permanent",
                                                                          "delivering", "queued"))
        attempts = 1 if status == "succeeded" and r.random() < 0.8 else r.randint(1, 8)
        delivered = status == "succeeded"
        code = r.choice((200, 200, 202, 204)) if delivered else r.choice((500, 502, 503, 404, 410, 0))
        endpoint = r.randrange(len(endpoints))
        yield [
            uuid4_from(seed, "hb-message", export_id, i), endpoints[endpoint], hosts[endpoint % len(hosts)],
            a["direction"], status, attempts,
            "" if i < trim else f"idem-{hex_id(seed, 'idem', export_id, i, length=IDEM_LENGTH - 5)}", stamp(ts),
            stamp(ts + r.uniform(0.05, 30) * attempts) if delivered else "",
            code if status not in ("queued",) else "", r.randint(20, 2500) if code else "",
            r.randint(120, 64000), ("" if delivered else r.choice(("connection refused", "timeout after 30s",
                                                                   f"HTTP {code}" if code else "DNS error")))
            + _filler(each + (1 if i < rest else 0)),
        ]


def _filler(n: int) -> str:
    """``n`` characters of plain text that a CSV writer never quotes (no comma, quote or newline)."""
    if n <= 0:
        return ""
    text = " response body: upstream returned an error page"
    return (text * (n // len(text) + 1))[:n]


def export_file(export_id: str, a: dict[str, Any], seed: int, pools: Pools) -> FileBody:
    """The export's CSV (B.7). Its size is derived from the job's own data and kept in ``a`` (it dies with the
    job); a fixture's stated file_size_bytes (``target_size``) is met exactly: first rows lose their idempotency
    key (IDEM_LENGTH bytes each) while the file is too big, then the rows' last_error grows by what is left."""

    def chunks() -> Iterator[bytes]:
        return csv_lines(COLUMNS, rows(seed, export_id, a, pools, a.get("trim", 0), a.get("pad", 0)))

    size = a.get("file_size")
    if size is None:
        size = measure(chunks())
        target = a.get("target_size")
        if target is not None and a["rows"]:
            if size > target:
                a["trim"] = min(a["rows"], -(-(size - target) // IDEM_LENGTH))
                size = measure(chunks())
            if size < target:
                a["pad"] = target - size
                size = measure(chunks())
        a["file_size"] = size
    return FileBody("text/csv", chunks, size=size, filename=f"export-{export_id}.csv")
