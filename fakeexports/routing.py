"""From a request to its Pipeline. The specs route: each vendor's operations are compiled once (Operations), and
each mount of a vendor gets a Dispatch that matches a method and path against the spec's path templates. The
Router is one table from where a request arrived to a Dispatch: the path's mount (``/twilio``), or the Host a
client reached through the proxy or a hosts-file entry (``bulkexports.twilio.com``, ``*.talkdeskid.com``).

Why a router beside aiohttp's: aiohttp tries every resource under a common prefix in turn, each through a
coroutine, for every request; a poller repeating one URL should cost a dict lookup. So aiohttp gets one route per
mount key (its prefix index finds it at once) and one catch-all for the host keys, and each Dispatch resolves the
rest: the path by the specs' own templates, most specific first (keeping what a method and path resolve to earned
4-8% on bench/throughput.py: not enough for a cache, so there is none)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from .caches import Caches
from .clocks import ClockError, refused, tunnel_clock
from .errors import SpecError
from .kept import KeptAnswers
from .pipeline import Entry, Pipeline, tunnel_of
from .specs import SpecDoc
from .validation import RequestValidator, ResponseValidator
from .vendor import VendorApp

if TYPE_CHECKING:
    from .clocks import Clocks
    from .runtime import Runtime

_PARAM = re.compile(r"\{([^}/]+)\}")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # one DNS label, as a wildcard host's first one
Endpoint = Callable[[web.Request, Mapping[str, str]], Awaitable[web.StreamResponse]]
Found = tuple[Endpoint, dict[str, str]]


def _specificity(path: str) -> tuple[int, int, int]:
    # Literal segments first: /v1/Exports/Jobs/{JobSid} must win over /v1/Exports/{ResourceType}/Days,
    # and /exports/{file_id}.csv.gz over /exports/{id}.
    parts = path.strip("/").split("/")
    literal = sum(1 for p in parts if not _PARAM.search(p))
    return (-literal, -len(parts), -len(_PARAM.sub("", path)))


class Operations:
    """The compiled operations of one vendor, shared by its mounts: (method, path) -> API version -> Entry."""

    def __init__(self, vendor: VendorApp, docs: dict[str, SpecDoc], caches: Caches):
        self.vendor = vendor
        self.docs = docs
        self.table: dict[tuple[str, str], dict[str, Entry]] = {}
        missing = []
        for key, doc in docs.items():
            for op in doc.operations:
                handler = vendor.handler(op)
                if handler is None:
                    missing.append(f"{op.operation_id} ({op.method} {op.path})")
                    continue
                validator = RequestValidator(op, caches.memo("params", 4096))
                self.table.setdefault((op.method, op.path), {})[key] = Entry(op, handler, validator,
                                                                               ResponseValidator(op))
        if missing:
            raise SpecError(f"vendor {vendor.name}: operations without a handler: " + "; ".join(sorted(missing)))
        known = {op.operation_id for doc in docs.values() for op in doc.operations}
        stray = sorted(set(vendor.decl.operations) - known)
        if stray:
            raise SpecError(f"vendor {vendor.name}: handlers of operations its specs do not have: {', '.join(stray)}")

    def paths(self) -> list[str]:
        return sorted({path for _, path in self.table}, key=_specificity)

    def methods(self, path: str) -> list[str]:
        return sorted(m for m, p in self.table if p == path)

    def allowed(self, path: str, key: str) -> list[str]:
        """The methods ``path`` has in the API version ``key`` (the Allow header of a 405)."""
        return sorted(m for (m, p), by_key in self.table.items() if p == path and key in by_key)

    def entries(self) -> list[Entry]:
        return [entry for by_key in self.table.values() for entry in by_key.values()]


def _pattern(path: str, prefix: str = "") -> str:
    """An OpenAPI path template as a regular expression: each ``{name}`` one path segment (as aiohttp reads
    them) in the group ``prefix + name``, the rest literal."""
    out, pos = [], 0
    for m in _PARAM.finditer(path):
        out.append(re.escape(path[pos:m.start()]))
        out.append(f"(?P<{prefix}{m.group(1)}>[^{{}}/]+)")
        pos = m.end()
    out.append(re.escape(path[pos:]))
    return "".join(out)


def _unquote(value: str) -> str:  # what aiohttp does to a matched segment of path_safe
    return value if "%" not in value else value.replace("%2F", "/").replace("%25", "%")


def _with_head(by_method: dict[str, Endpoint]) -> dict[str, Endpoint]:
    """HEAD wherever there is a GET, through the GET's own pipeline (authenticated, journaled, the vendor's headers
    and the GET's Content-Length); aiohttp sends no body for a HEAD."""
    if "GET" in by_method:
        by_method.setdefault("HEAD", by_method["GET"])
    return by_method


class Dispatch:
    """One vendor's paths under one mount ("" for a host-name route): the most specific path first, the
    trailing-slash variant where the vendor has one; a path's other methods and unknown paths get a Pipeline whose
    route step answers the vendor's 405 or 404."""

    def __init__(self, runtime: Runtime, operations: Operations, mount: str):
        vendor = operations.vendor
        self.vendor = vendor.name
        self.app_vendor = vendor  # its VendorApp (a clock routes by its credential_tenant hook)
        self.mount = mount
        slash = "/?" if vendor.trailing_slash else ""
        kept = runtime.caches.enabled("kept")

        def pipeline(path: str | None, method: str | None) -> Endpoint:
            def allowed(key: str) -> list[str]:
                return operations.allowed(path, key) if path is not None else []

            by_key = operations.table.get((method, path), {}) if method and path else {}
            p = Pipeline(runtime, vendor, mount, path, by_key, allowed)
            return KeptAnswers(p, kept) if method == "GET" and by_key else p

        paths = operations.paths()
        # one expression for every path, most specific first: one match finds the path (its group ``_<i>``) and
        # its parameters (``p<i>_<name>``), where a loop over the paths cost a match each
        self.pattern = re.compile("|".join(f"(?P<_{i}>{_pattern(path, f'p{i}_')}{slash})"
                                           for i, path in enumerate(paths)))
        self.paths = {f"_{i}": (_with_head({m: pipeline(path, m) for m in operations.methods(path)}),
                                pipeline(path, None), [(f"p{i}_{name}", name) for name in _PARAM.findall(path)])
                      for i, path in enumerate(paths)}
        self.missing = pipeline(None, None)

    def find(self, method: str, path: str) -> Found:
        """What a method and path under this mount resolve to: the pipeline and the path's parameters."""
        if not path.startswith(self.mount):
            return self.missing, {}
        m = self.pattern.fullmatch(path, len(self.mount))
        if m is None or m.lastgroup is None:
            return self.missing, {}
        by_method, other, params = self.paths[m.lastgroup]
        return by_method.get(method, other), {name: _unquote(m.group(group)) for group, name in params}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        endpoint, match = self.find(request.method, request.rel_url.path_safe)
        if match:
            request.match_info.update(match)  # as aiohttp's own routes would have it
        return await endpoint(request, match)


class Router:
    """One table from where a request arrived to its vendor's Dispatch: a mount (the path's first one or two
    segments) or a host name (exact, or one label under a ``*.`` wildcard). A request that came through one of the
    proxy's tunnels reaches that host's vendor only, at its root, whatever its path or Host say."""

    def __init__(self) -> None:
        self.clocks: Clocks | None = None  # a server's: a request whose credential names a tenant on one goes there
        self.mounts: dict[str, Dispatch] = {}
        self.hosts: dict[str, Dispatch] = {}
        self.wildcards: dict[str, Dispatch] = {}  # ".talkdeskid.com": dispatch

    def add(self, runtime: Runtime, operations: Operations) -> None:
        vendor = operations.vendor
        self.mounts[vendor.mount] = Dispatch(runtime, operations, vendor.mount)
        by_host = Dispatch(runtime, operations, vendor.host_path)
        for host in vendor.hosts:
            if host.startswith("*."):
                self.wildcards[host[1:].lower()] = by_host
            else:
                self.hosts[host.lower()] = by_host

    def wildcard(self, name: str) -> str | None:
        """The ``.domain`` of a wildcard pattern ``name`` is one label under, or None."""
        dot = name.find(".")
        if dot > 0 and name[dot:] in self.wildcards and _LABEL.fullmatch(name, 0, dot):
            return name[dot:]
        return None

    def for_host(self, host: str) -> Dispatch | None:
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        found = self.hosts.get(name)
        if found is None and self.wildcards:
            suffix = self.wildcard(name)
            found = self.wildcards[suffix] if suffix is not None else None
        return found

    def for_path(self, path: str) -> Dispatch | None:
        first = path.find("/", 1)
        found = self.mounts.get(path if first < 0 else path[:first])
        if found is None and first > 0:  # a two-segment mount (/didww/v3)
            second = path.find("/", first + 1)
            found = self.mounts.get(path if second < 0 else path[:second])
        return found

    def entry(self, dispatch: Dispatch) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The aiohttp handler of a mount's routes: its Dispatch, unless the request came through a tunnel."""
        async def mounted(request: web.Request) -> web.StreamResponse:
            host = tunnel_of(request)
            if host is not None:
                return await self.tunneled(request, host)
            return await self.answer(dispatch, request)

        return mounted

    async def tunneled(self, request: web.Request, host: str) -> web.StreamResponse:
        """A request inside a tunnel to ``host`` (a host some vendor answers for, or proxy.Front had not opened it):
        that vendor's answer, at its root; its 404 for another vendor's mount or the control API."""
        on_clock = await self.tunneled_on_clock(request)
        if on_clock is not None:
            return on_clock
        dispatch = self.for_host(host)
        assert dispatch is not None, host
        return await self.answer(dispatch, request)

    async def answer(self, dispatch: Dispatch, request: web.Request) -> web.StreamResponse:
        """The vendor's answer: from the clock its tenant is attached to, if the credential names one."""
        clocks = self.clocks
        if clocks is not None and clocks.bound:
            timeline = clocks.route(dispatch.app_vendor, request)
            if timeline is not None:
                return await timeline.forward(request)
        return await dispatch.handle(request)

    async def tunneled_on_clock(self, request: web.Request) -> web.StreamResponse | None:
        """A request in a tunnel whose CONNECT named a clock: that clock's answer (a 407 for a wrong token)."""
        try:
            timeline = tunnel_clock(self.clocks, request)
        except ClockError as exc:
            return refused(exc, request)
        return await timeline.forward(request) if timeline is not None else None

    async def dispatch(self, request: web.Request) -> web.StreamResponse | None:
        """The vendor's answer to a request that reached one of its hosts or mounts; None for anything else."""
        host = tunnel_of(request)
        if host is not None:
            return await self.tunneled(request, host)
        dispatch = self.for_path(request.rel_url.path_safe) or self.for_host(request.host)  # a mount wins
        return None if dispatch is None else await self.answer(dispatch, request)


# Where each vendor is reached, its mounts and host names (proxy.py opens tunnels to those hosts only).
ROUTER = web.AppKey("fakeexports_router", Router)
