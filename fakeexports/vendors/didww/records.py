"""Records of DIDWW v3 export files (.csv.gz): the header row of each API version's layout and export type, and
seeded data rows for a period that honour the export's own filters. Facts: vendors/didww.md ("Findings of
2026-12-01"); each one below cites its source by tag, the tags being expanded in the first comment."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from time import gmtime, strftime
from typing import Any

from ...kit import FileBody, Pools, Sizes, csv_lines, gzip_chunks, records_for, rng, uuid4_from
from .columns import EXPORT_TYPES, LAYOUTS, QUOTED_EMPTY, columns

__all__ = ["EXPORT_TYPES", "LAYOUTS", "columns", "export_file", "rows"]

# The sources' tags are expanded in columns.py.
Row = list[str]

# Values. The samples' SIP answers: 200 Bye, 404 Not Found, 408 SIP transaction timeout ([PM-2112], [PY-DL]), 486
# "Busy here" and 200 "Normal call clearing" on cdr_out [PM-2604]; the other failures are INFERRED. The samples
# name the initiators Origination and Destination [PM-2112].
_FAIL_IN = ((404, "Not Found", "Destination"), (408, "SIP transaction timeout", "Destination"),
            (486, "Busy here", "Destination"), (480, "Temporarily Unavailable", "Destination"),
            (487, "Request Terminated", "Origination"), (603, "Decline", "Destination"))
_FAIL_OUT = ((486, "Busy here"), (480, "Temporarily unavailable"), (404, "Unallocated number"),
             (487, "Request terminated"), (503, "Service unavailable"), (603, "Call rejected"))
# Country code, ISO, name (as cdr_out writes Destination Country [PM-2604]), networks, voice rates national and
# international, SMS rate (thousandths of USD). INFERRED but for United Kingdom/BT and United States/AT&T at 0.010
# and 0.012 international [PM-2604]; the codes are those of Pools.e164, plus Israel of the samples' 972 DIDs.
_COUNTRIES = (
    ("1", "US", "United States", ("AT&T", "Verizon", "T-Mobile"), 6, 12, 8),
    ("44", "GB", "United Kingdom", ("BT", "Vodafone", "EE", "O2"), 8, 10, 35),
    ("49", "DE", "Germany", ("Deutsche Telekom", "Vodafone", "Telefonica"), 9, 14, 75),
    ("33", "FR", "France", ("Orange", "SFR", "Bouygues Telecom"), 9, 13, 60),
    ("34", "ES", "Spain", ("Movistar", "Vodafone", "Orange"), 8, 12, 55),
    ("61", "AU", "Australia", ("Telstra", "Optus", "Vodafone"), 10, 16, 45),
    ("31", "NL", "Netherlands", ("KPN", "Vodafone", "Odido"), 9, 13, 80),
    ("46", "SE", "Sweden", ("Telia", "Tele2", "Telenor"), 8, 12, 50),
    ("972", "IL", "Israel", ("Bezeq", "Partner", "Cellcom"), 10, 15, 40))
_BY_CODE, _BY_ISO = {c[0]: c for c in _COUNTRIES}, {c[1]: c for c in _COUNTRIES}
_UNKNOWN: tuple[Any, ...] = ("", "", "", ("",), 20, 30, 60)
_TOLL_FREE = ("1800", "1833", "1844", "1855", "1866", "1877", "1888", "44800", "44808")
_VOICE_IN_NAMES = ("SIP Trunk", "Office PBX", "Call Center", "Asterisk", "FreeSWITCH", "Backup SIP")  # 1st [PM-2604]
_VOICE_OUT_NAMES = ("Voice OUT Trunk", "Outbound Main", "Sales Dialer", "Support Out", "Backup Route")  # 1st [PM-2604]
_SMS_TRUNK_NAMES = ("Main SMS", "OTP Gateway", "Support Desk", "CRM Inbox", "Marketing", "Backup SMS")
_HOSTS = ("pbx.example.com", "sip.example.net", "voip.example.org", "203.0.113.10:5060")
# Statuses and trunk types of the SMS exports and their filters [OAI-SRC]; the weights are INFERRED.
_SMS_IN_STATUSES = (("Success", 0.9), ("Failed", 0.97), ("Queued", 1.0))
_SMS_OUT_STATUSES = (("Success", 0.85), ("In Progress", 0.9), ("Queued", 0.92), ("Failed", 0.97),
                     ("Routing Error", 1.0))
_SMS_IN_TYPES, _SERVICES = ("SMPP SMSC", "SMPP ESME", "Email", "HTTP IN"), ("A2P", "P2P")
_SMS_IN_REASONS = ("Connection refused", "Connection timed out", "HTTP 500 Internal Server Error",
                   "SMPP bind not found", "TTL expired")  # TTL: retried for 3600 s [SMS-IN]; INFERRED texts
_SMS_OUT_REASONS = {"Failed": ("Undeliverable", "Rejected by carrier", "Expired", "Invalid destination number"),
                    "Routing Error": ("No route to destination", "Destination not allowed")}  # INFERRED
_SENDERS = ("Google", "WhatsApp", "Microsoft", "Telegram", "Amazon", "PayPal", "Uber")  # INFERRED
_HM, _SS = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)), tuple(f"{s:02d}" for s in range(60))
_MILLS = tuple(f"{i / 1000:.3f}" for i in range(4000))


def rows(layout: str, export_type: str, *, seed: int, tenant: str, export_id: str, start: float, end: float,
         filters: Mapping[str, Any], pools: Pools, count: int | None = None) -> Iterator[Row]:
    """The data rows (each a list of cell strings, in the order of columns()) for [start, end) (epoch seconds, UTC),
    in time order; ``filters`` are the export's own filters (did_number, voice_out_trunk.id, source_number, cli,
    destination, sms filters ...): rows honour them (e.g. every cdr_in row has that Destination DID; an sms_out export
    with status=Failed has only Failed rows). count None: a plausible number for the period (3..40 a day, about 1
    export in 20 empty); count=N: exactly N, unless the filters can match nothing (an unknown status or trunk_type,
    a source_address_eq without its source_address_cont) or the period holds no whole second: then none.
    Deterministic in (seed, tenant, export_id); every time lies in [start, end); empty cells are ""."""
    columns(layout, export_type)
    c = _Ctx(seed, tenant, export_id, start, end, pools)
    return _BUILDERS[export_type](c, layout, filters, count)


class _Ctx:
    """What the rows of one export draw on: its Random, the period, the tenant's numbers and trunks."""

    def __init__(self, seed: int, tenant: str, export_id: str, start: float, end: float, pools: Pools) -> None:
        self.seed, self.tenant, self.pools = seed, tenant, pools
        self.r = rng(seed, "didww-records", tenant, export_id)
        self.rnd = self.r.random
        self.lo, self.last = math.ceil(start), math.ceil(end) - 1  # the whole seconds s with start <= s < end
        self.days = max(1, round((end - start) / 86400))
        self.nums = [n.lstrip("+") for n in pools.e164]  # DIDWW writes numbers E.164 without "+" [PM-2604]
        self.own = rng(seed, "didww-dids", tenant).sample(self.nums, 12)  # the tenant's DIDs
        self._day: dict[int, str] = {}

    def count(self, count: int | None) -> int:  # None: 3..40 a day, 1 export in 20 empty, as the fake had it
        return max(0, count) if count is not None else 0 if self.rnd() < 0.05 else self.r.randint(3, 40) * self.days

    def seconds(self, n: int) -> Iterator[int]:
        """``n`` uniform whole seconds of the period, ascending, without a list or a sort: each the minimum of the
        uniforms still to come (sequential order statistics)."""
        span = self.last - self.lo + 1
        if span <= 0:
            return
        x, rnd, lo = 0.0, self.rnd, self.lo
        for k in range(n, 0, -1):
            x += (1.0 - x) * (1.0 - rnd() ** (1.0 / k))
            yield lo + min(int(x * span), span - 1)

    def at(self, s: int) -> str:
        d, rem = divmod(s, 86400)
        day = self._day.get(d)
        if day is None:
            day = self._day[d] = strftime("%Y-%m-%d ", gmtime(d * 86400))
        return day + _HM[rem // 60] + _SS[rem % 60]

    def caller(self, number: str, iso: str | None = None) -> tuple[str, str, str, str]:
        """number, national form, country name, network."""
        c = (_BY_ISO.get(iso.upper()) or ("", "", iso.upper(), ("",))) if iso else _country(number)
        code = c[0] if number.startswith(c[0]) else ""
        national = number[len(code):] if code == "1" else "0" + number[len(code):]
        nets = c[3]
        return number, national, c[2], nets[(ord(number[-1]) if number else 0) % len(nets)]

    def callers(self, iso: str | None) -> list[tuple[str, str, str, str]]:
        if iso is None:
            return [self.caller(n) for n in self.nums]
        code = _BY_ISO[iso.upper()][0] if iso.upper() in _BY_ISO else ""
        return [self.caller(code + n[len(_country(n)[0]):] if code else n, iso) for n in self.nums]

    def trunk_ids(self, key: str, n: int) -> list[str]:  # the tenant's own, stable across its exports
        return [uuid4_from(self.seed, key, self.tenant, i) for i in range(n)]


def _cdr_in(c: _Ctx, layout: str, f: Mapping[str, Any], count: int | None) -> Iterator[Row]:
    rnd, at, last, mills, getrandbits = c.rnd, c.at, c.last, _money, c.r.getrandbits
    dids = [did] if (did := _one(f, "did_number")) else c.own
    iso, src_f, out_f = _one(f, "source_country_iso"), _one(f, "source_number"), _one(f, "source_number_out")
    callers = [c.caller(src_f, iso)] if src_f else c.callers(iso)
    anonymous = 0.0 if iso or src_f or out_f else 0.08  # a caller without a number has no country either
    names = (t := rng(c.seed, "didww-voice-in", c.tenant)).sample(_VOICE_IN_NAMES, 3)
    # Names and groups shaped like [PM-2604]'s "SIP Trunk", "Trunk Group A", "Shared Cap A"
    trunks = [(names[i], t.choice(_HOSTS), "Trunk Group " + "AB"[i % 2], "Shared Cap A" if i == 0 else "")
              for i in range(3)]
    home = {d: sum(map(ord, d)) % 3 for d in dids}
    toll_free = {d for d in dids if d.startswith(_TOLL_FREE)}
    cnam = {d for d in dids if d.startswith("1")}  # CNAM lookups are a North American service: INFERRED
    people, nd, nc = c.pools.names, len(dids), len(callers)
    for s in c.seconds(c.count(count)):
        d = dids[int(rnd() * nd)]
        if rnd() < anonymous:
            num = out = name = country = network = ""  # [PM-2604] sample row 2: Source and Source Name ""
        else:
            num, national, country, network = callers[int(rnd() * nc)]
            out = out_f or (num if rnd() < 0.8 else national)  # as the trunk's number format made it: INFERRED
            name = people[int(rnd() * len(people))] if rnd() < 0.35 else ""
        attempt = 2 if rnd() < 0.05 else 1  # failover to the DID's next trunk
        tname, host, group, cap = trunks[(home[d] + attempt - 1) % 3]
        answered = rnd() < 0.8
        if answered:
            ct = min(s + 1 + int(rnd() * 2), last)  # connected a second or two after start [PM-2604]
            et = min(ct + 1 + int(-150.0 * math.log(1.0 - rnd())), ct + 3600, last)
            dur = et - ct
            code, response, initiator = 200, "Bye", "Origination" if rnd() < 0.6 else "Destination"
            connect, ending, status, minutes = at(ct), at(et), "Completed", (dur + 59) // 60
        else:
            code, response, initiator = _FAIL_IN[int(rnd() * len(_FAIL_IN))]
            dur, connect, ending, status, minutes = 0, "", "", "Failed", 0  # [PY-DL], [PM-2604] row 3
        tf = 15 * minutes if d in toll_free else 0
        per_minute = 3 * minutes  # 0.003 a started minute, as in the samples [PM-2112], [PM-2604]
        dest = f"sip:{d}@{host}"
        if layout == "2021-12-15":  # Customer ID and Sell Amount as in every sample: empty and 0.000 [PM-2112]
            yield [at(s), connect, ending, num, d, dest, str(dur), initiator, str(code), response, mills(tf), "0.000",
                   mills(per_minute), "", "0.000"]
            continue
        lookup = 4 if name and d in cnam else 0
        call_id = f"{getrandbits(128):032x}" if answered else ""  # a failed call has no Call ID [PM-2604] row 3
        tail = [str(dur), str(attempt), str(code), response, initiator, tname, dest, group, cap, mills(tf),
                mills(per_minute), "0.000", mills(lookup), mills(tf + per_minute + lookup), call_id]
        if layout == "2026-04-16":
            yield [at(s), connect, ending, status, num, name, d, *tail]
        else:
            yield [at(s), connect, ending, status, num, out, name, country, network, d, *tail]


def _cdr_out(c: _Ctx, layout: str, f: Mapping[str, Any], count: int | None) -> Iterator[Row]:
    rnd, at, last, mills, getrandbits = c.rnd, c.at, c.last, _money, c.r.getrandbits
    # without the filter, the ids fakeexports/vendors/didww.py gave the tenant's trunks so far
    trunks = [trunk] if (trunk := _one(f, "voice_out_trunk.id")) else c.trunk_ids("trunk", 3)
    names = [_label(_VOICE_OUT_NAMES, t) for t in trunks]
    src_f, cli_f, dst_f = _one(f, "source"), _one(f, "cli"), _one(f, "destination")
    sources = [src_f] if src_f else c.own
    home = {n: _country(n)[1] for n in sources}
    dests = [c.caller(dst_f)] if dst_f else c.callers(None)
    rates = {n[0]: _country(n[0]) for n in dests}
    customer = str(rng(c.seed, "didww-customer", c.tenant).randint(10000, 99999))
    ns, nd, nt = len(sources), len(dests), len(trunks)
    for s in c.seconds(c.count(count)):
        src = sources[int(rnd() * ns)]
        cli = cli_f or (src if rnd() < 0.85 else c.own[int(rnd() * 12)])  # the trunk may present another DID
        dst, _, country, network = dests[int(rnd() * nd)]
        k = int(rnd() * nt)
        cc = rates[dst]
        national = cc[1] == home[src] and cc[1] != ""
        rate = cc[4] if national else cc[5]
        answered = rnd() < 0.75
        j = int(rnd() * 6)
        if answered:
            ct = min(s + 1 + int(rnd() * 3), last)
            et = min(ct + 1 + int(-120.0 * math.log(1.0 - rnd())), ct + 3600, last)
            dur = et - ct
            connect, ending, status, minutes = at(ct), at(et), "Completed", (dur + 59) // 60
            code, reason = 200, "Normal call clearing"
        else:
            dur, connect, ending, status, minutes = 0, "", "", "Failed", 0
            code, reason = _FAIL_OUT[j]
        if layout == "2021-12-15":  # INFERRED layout: the cdr_in file's SIP answers and initiators
            code, reason, initiator = (200, "Bye", "Origination" if rnd() < 0.6 else "Destination") if answered \
                else _FAIL_IN[j]
            yield [at(s), connect, ending, src, dst, str(dur), initiator, str(code), reason, trunks[k],
                   f"{rate / 1000:.4f}", f"{dur / 60 * rate / 1000:.4f}", customer]
            continue
        pci = f"sip:{src}@{_HOSTS[k % 3]}" if rnd() < 0.1 else ""  # P-Charge-Info: INFERRED ([PM-2604]: all empty)
        # Billed in whole minutes, 59 s giving 60; a failed call has no billing duration, country, network nor rate,
        # and Charged "0" [PM-2604] rows 1 and 3.
        yield [at(s), connect, ending, status, src, cli, dst, str(dur), str(minutes * 60) if answered else "",
               str(code), reason, names[k], country if answered else "", network if answered else "",
               "National" if national else "International", mills(rate) if answered else "",
               mills(rate * minutes) if answered else "0", pci, f"{getrandbits(128):032x}"]


def _sms(c: _Ctx, layout: str, f: Mapping[str, Any], count: int | None, inbound: bool) -> Iterator[Row]:
    """A row a fragment, "k/n", the fragments of a message sharing its time and SMS ID [SMS-LOG]."""
    rnd, at, last = c.rnd, c.at, c.last
    statuses = _SMS_IN_STATUSES if inbound else _SMS_OUT_STATUSES
    status_f, service_f = _pick(f, "status", [s for s, _ in statuses]), _pick(f, "service_type", _SERVICES)
    types_f = _pick(f, "trunk_type", _SMS_IN_TYPES) if inbound else None
    src_eq, src_cont = _one(f, "source_address_eq"), _one(f, "source_address_cont")
    dst_eq, dst_cont = _one(f, "destination_address_eq"), _one(f, "destination_address_cont")
    sms_id, ids, verifications = _one(f, "sms_id"), _many(f, "sms_trunk.id"), _many(f, "sender_id_verification.id")
    if [] in (status_f, types_f, service_f) or (src_eq and src_cont and src_cont not in src_eq) \
            or (dst_eq and dst_cont and dst_cont not in dst_eq):
        return  # filters no message can meet
    if inbound:  # the tenant has a trunk of each type; a trunk asked for by id keeps its type if it is the tenant's
        own = dict(zip(c.trunk_ids("didww-sms-trunk", 4), _SMS_IN_TYPES, strict=True))
        pairs = [(t, own.get(t) or _label(_SMS_IN_TYPES, t)) for t in ids] if ids else list(own.items())
        if types_f:
            pairs = [p for p in pairs if p[1] in types_f] or [(t, _label(types_f, t)) for t, _ in pairs]
    else:
        pairs = [(t, "") for t in ids or c.trunk_ids("didww-sms-out-trunk", 2)]
    # Destination: an IP for SMPP trunks, the address for SMS to Email [SMS-LOG], the URL for HTTP (INFERRED)
    trunks = [(_label(_SMS_TRUNK_NAMES, t), kind, c.pools.emails[h % Pools.SIZE] if kind == "Email" else
               f"https://sms.example.com/didww/{h % 97}" if kind == "HTTP IN" else f"203.0.113.{h % 250 + 1}:2775")
              for t, kind in pairs for h in (zlib.crc32(t.encode()),)]
    senders, receivers = ([*c.nums, *_SENDERS], c.own) if inbound else (c.own, c.nums)
    brands = [b for b in ("".join(ch for ch in co if ch.isalnum())[:11] for co in
                          (() if inbound else c.pools.companies[:40])) if b]
    own_ids, nt = c.trunk_ids("didww-sender-id", 2), len(trunks)
    n = c.count(count) if count is not None or not sms_id else (0 if rnd() < 0.05 else 1 + int(rnd() * 3))
    stream, left = c.seconds(n), n
    for s in stream:
        name, kind, endpoint = trunks[int(rnd() * nt)]
        u = rnd()
        frags = min(left if sms_id else 1 if u < 0.85 or kind == "Email" else 2 if u < 0.95 else 3, left)
        left -= frags
        for _ in range(frags - 1):
            next(stream)  # the fragments share the first one's time
        u = rnd()
        status = status_f[int(u * len(status_f))] if status_f else next(x for x, top in statuses if u < top)
        dst = dst_eq or _splice(rnd, receivers[int(rnd() * len(receivers))], dst_cont)
        if inbound:
            src = src_eq or _splice(rnd, senders[int(rnd() * len(senders))], src_cont)
            attempt = (1 if rnd() < 0.9 else 2 + int(rnd() * 2)) if status == "Success" else \
                0 if status == "Queued" else 3 + int(rnd() * 8)  # retried until the TTL, 3600 s [SMS-IN]
            # Time Sent is when the trunk got the message [SMS-LOG]: none unless delivered (INFERRED)
            sent = at(min(s + 60 * (attempt - 1) + int(rnd() * 3), last)) if status == "Success" else ""
            reason = _SMS_IN_REASONS[int(rnd() * len(_SMS_IN_REASONS))] if status == "Failed" else ""
            cells, tail = [sent, status, reason, src, dst, name, kind, endpoint], [str(attempt)]
        else:
            service = (service_f or _SERVICES)[0 if rnd() < 0.6 else -1]
            # A2P traffic mostly goes out under an alphanumeric sender ID, 11 characters at most: INFERRED
            src = src_eq or _splice(rnd, brands[int(rnd() * len(brands))] if service == "A2P" and rnd() < 0.7
                                    else senders[int(rnd() * 12)], src_cont)
            sender = verifications[int(rnd() * len(verifications))] if verifications else \
                own_ids[int(rnd() * 2)] if service == "A2P" else ""
            cc = _country(dst)
            sent = at(min(s + int(rnd() * 3), last)) if status in ("Success", "In Progress", "Failed") else ""
            reasons = _SMS_OUT_REASONS.get(status, ("",))
            cells = [sent, status, reasons[int(rnd() * len(reasons))], src, dst, name, service, sender, cc[2],
                     cc[3][ord(dst[-1]) % len(cc[3])]]
            tail = ["" if status == "Routing Error" else _money(cc[6]),
                    _money(cc[6]) if status in ("Success", "In Progress") else "0.000"]
        uid = sms_id or _uuid(c.r.getrandbits(128))  # SMS IDs are UUIDs ({SMS_UUID} [SMS-IN])
        t = at(s)
        for k in range(1, frags + 1):
            yield [t, *cells, f"{k}/{frags}", *tail, uid]


def _country(number: str) -> tuple[Any, ...]:
    return _BY_CODE.get(number[:1]) or _BY_CODE.get(number[:2]) or _BY_CODE.get(number[:3]) or _UNKNOWN


def _money(mills: int) -> str:  # thousandths of USD, written with 3 decimals as in [PM-2604]
    return _MILLS[mills] if mills < len(_MILLS) else f"{mills / 1000:.3f}"


def _label(names: Sequence[str], ident: str) -> str:
    """A name for an id: the same id always gets the same name."""
    return names[zlib.crc32(ident.encode()) % len(names)]


def _splice(rnd: Callable[[], float], value: str, part: str | None) -> str:
    """``value`` made to contain ``part`` (a *_cont filter), near its start."""
    if not part or not value or part in value:
        return value
    cut = int(rnd() * min(4, len(value) + 1))
    return value[:cut] + part + value[cut + len(part):]


def _uuid(bits: int) -> str:
    x = f"{bits:032x}"
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:]}"


def _one(f: Mapping[str, Any], key: str) -> str | None:
    value = f.get(key)
    return None if value is None or value == "" or isinstance(value, list | tuple | dict) else str(value)


def _many(f: Mapping[str, Any], key: str) -> list[str] | None:
    value = f.get(key)
    return ([str(v) for v in value] if isinstance(value, list | tuple) else [str(value)] if value not in (None, "")
            else []) or None


def _pick(f: Mapping[str, Any], key: str, allowed: Sequence[str]) -> list[str] | None:
    """A filter of one value or a list, matched to ``allowed`` in any letter case: None if absent, [] if none match."""
    lowered = {v.lower() for v in _many(f, key) or ()}
    return [a for a in allowed if a.lower() in lowered] if lowered else None


_BUILDERS: dict[str, Callable[[_Ctx, str, Mapping[str, Any], int | None], Iterator[Row]]] = {
    "cdr_in": _cdr_in, "cdr_out": _cdr_out, "sms_in": partial(_sms, inbound=True),
    "sms_out": partial(_sms, inbound=False)}


_EMPTY_MARK = "\x00\x00"  # no CSV quoting needed, in no record: stands for "" until the chunk is made


def csv_text(header: Sequence[str], quoted: frozenset[str], data: Iterator[Row]) -> Iterator[bytes]:
    """The file's CSV: an empty cell of a ``quoted`` column written as "" (an empty string), any other bare (nil),
    as DIDWW's files have them (didww_columns.QUOTED_EMPTY). The csv module quotes no empty field but a lone one:
    such cells go through it as a mark, replaced in each chunk, which always ends at a row's end."""
    where = [i for i, name in enumerate(header) if name in quoted]
    if not where:
        return csv_lines(header, data)

    def marked() -> Iterator[Row]:
        for row in data:
            for i in where:
                if row[i] == "":
                    row[i] = _EMPTY_MARK
            yield row

    mark = _EMPTY_MARK.encode()
    return (chunk.replace(mark, b'""') for chunk in csv_lines(header, marked()))


def export_file(export_id: str, file_id: str, a: Mapping[str, Any], tenant: str, seed: int, pools: Pools,
                sizes: Sizes) -> FileBody:
    """The export's gzipped CSV (B7): the columns of the API version that created it (DIDWW's 2026-11-19 docs:
    exports made under earlier versions keep their CSV columns)."""
    layout = a.get("layout", "2021-12-15")
    header = columns(layout, a["export_type"])

    def chunks() -> Iterator[bytes]:
        return gzip_chunks(csv_text(header, QUOTED_EMPTY.get((layout, a["export_type"]), frozenset()), rows(
            layout, a["export_type"], seed=seed, tenant=tenant, export_id=export_id, start=a["start"], end=a["end"],
            filters=a["filters"], pools=pools, count=records_for(a.get("volume"), a["start"], a["end"]))))

    return FileBody("application/octet-stream", chunks, key=("didww", tenant, export_id), sizes=sizes,
                    filename=f"{file_id}.csv.gz")
