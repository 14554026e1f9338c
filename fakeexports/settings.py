"""The one settings object, each setting declared once: its field here is its CLI flag (``--public-url``), its
environment variable (``FAKEEXPORTS_PUBLIC_URL``), its pytest marker keyword (``public_url=...``), its check and
its help text, as a vendor's options are (options.py). Precedence: CLI flag, environment variable, pytest marker or
ini, default. Nothing else in the package reads the environment. Vendors' own options travel in ``options`` under
their settings keys (``talkdesk_done_status``) and are checked when the vendors load."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .options import Option

ENV_PREFIX = "FAKEEXPORTS_"


def setting(default: Any, help: str, *, flag: bool = True, choices: tuple[Any, ...] | None = None,
            check: Callable[[Any], str | None] | None = None, metavar: str | None = None,
            short: str | None = None) -> Any:
    """A field of Settings: ``help`` for --help, ``flag`` False for a setting with no CLI flag (the environment and
    Python only), ``choices`` the values it takes, ``check`` a problem with a value (None: fine), ``short`` a
    one-letter flag beside the long one (``-v``)."""
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices, "check": check,
                                            "metavar": metavar, "short": short})


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be positive"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "must be 0..65535"


def _url(value: str | None) -> str | None:
    return None if not value or value.startswith(("http://", "https://")) else "must start with http:// or https://"


def _timeout(value: float) -> str | None:
    return None if 0 < value <= 300 else "must be more than 0 and at most 300 seconds"


def _idle(value: float) -> str | None:
    return None if 1 <= value <= 30 * 86400 else "must be from 1 second to 30 days (2592000)"


def _start(value: str | None) -> str | None:
    from .times import EARLIEST, LATEST, parse_rfc3339, stamp

    if value is None:
        return None
    try:
        when = parse_rfc3339(value)
    except ValueError:
        return f"must be an RFC 3339 time, not {value!r}"
    return None if EARLIEST <= when <= LATEST else f"must be between {stamp(EARLIEST)} and {stamp(LATEST)}"


def _link_ttl(value: int) -> str | None:
    return None if 0 < value <= 604800 else "must be 1..604800 seconds (S3 presigns a week at most)"


def _cap(value: int) -> str | None:
    return None if value >= 0 else "must be 0 (automatic) or more"


def _token(value: str | None) -> str | None:
    return None if value is None or value.strip() else "must not be empty"


def _caches(value: tuple[str, ...]) -> str | None:
    from .caches import Caches

    try:
        Caches(value)
    except ValueError as exc:
        return str(exc)
    return None


def _allow(value: tuple[str, ...]) -> str | None:
    from .webhooks import Allow

    try:
        Allow(value)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Settings:
    """How a fakeexports server behaves. Every field can be set as ``FAKEEXPORTS_<NAME>``."""

    host: str = setting("127.0.0.1", "interface to bind (default 127.0.0.1; 0.0.0.0 in Docker)")
    port: int = setting(8080, "TCP port (default 8080; 0 picks a free one)", check=_port)
    clock: str = setting("real", "real: wall time, optionally sped up; virtual: stands still until "
                         "POST /_fakeexports/clock/advance (default real)", choices=("real", "virtual"))
    speed: float = setting(1.0, "real clock only: how many fake seconds pass per real second (default 1)",
                           check=_positive)
    lifetimes: str = setting("wall", "real clock only: wall (default): a token or download link lasts the vendor's "
                             "seconds of wall time however fast --speed runs the clock, as the client times it; "
                             "clock: the vendor's seconds of the sped-up clock (to see them expire quickly)",
                             choices=("wall", "clock"))
    start: str | None = setting(None, "virtual clock only: start time, RFC 3339 (default 2026-01-15T12:00:00Z)",
                                check=_start)
    seed: int = setting(0, "random seed for every id and generated record (default 0)")
    fixtures: str | None = setting(None, "fixture file or folder to load at start and after each reset (default: "
                                   "the bundled fixtures/; 'none' for nothing)")
    strict: bool = setting(False, "validate every response against the spec; a mismatch answers 500 and is "
                           "journaled (default off for serve, on in tests)")
    public_url: str | None = setting(None, "origin for every URL the fake emits (links, Location, downloads), e.g. "
                                     "https://fake.example.test", check=_url)
    credentials: str | None = setting(None, "credentials file: accept only the credentials it lists")
    journal_size: int = setting(1000, "requests the journal keeps", flag=False)
    max_body: int = setting(1024 * 1024, "bytes a request body may have; a larger one gets the vendor's 413",
                            flag=False)
    vendors: tuple[str, ...] = setting((), "comma-separated vendors to serve (default all)")
    # vendors' options by settings key, e.g. ("talkdesk_done_status", 303): each vendor's declarations give the flags
    options: tuple[tuple[str, Any], ...] = field(default=(), metadata={"flag": False, "help": "", "env": False})
    download_ttl: int = setting(3600, "seconds a presigned download link stays valid, on the fake clock (at most "
                                "604800, S3's week)", flag=False, check=_link_ttl)
    cache_dir: str | None = setting(None, "JSON copies of the YAML specs and fixtures; default the user cache, "
                                    "'' for none", flag=False)
    control_token: str | None = setting(None, "require 'Authorization: Bearer <token>' on the control API "
                                        "/_fakeexports/ (its health check stays open); for a fake shared by a team "
                                        "or a fleet", check=_token)
    clock_idle: float = setting(3600.0, "real seconds a clock made through POST /_fakeexports/clocks may go unused "
                                "before it is dropped with its tenants (default 3600)", check=_idle, metavar="S")
    webhook_allow: tuple[str, ...] = setting((), "comma-separated hosts (wildcards: *.example.com) and networks "
                                             "(10.0.0.0/8) webhooks and callbacks may call; others are refused and "
                                             "logged (default: any)", check=_allow)
    state: str | None = setting(None, "keep the state in this SQLite file (WAL) across restarts: every answer is "
                                "sent after its change is written; a new file starts from the fixtures",
                                metavar="PATH")
    webhook_timeout: float = setting(5.0, "real seconds a webhook or callback attempt may take before it counts as "
                                     "failed and is retried on the clock (default 5)", check=_timeout)
    proxy: bool = setting(True, "also answer HTTP CONNECT for the vendors' real host names (HTTPS_PROXY=<this "
                          "server>), terminating TLS with certificates from the fake's own CA; other hosts get a "
                          "403, nothing is forwarded (default on)")
    record: str | None = setting(None, "record mode (off by default): the proxy's tunnels to --record-hosts go to "
                                 "the real vendor, and each exchange is saved in this folder as a transcript, secrets "
                                 "removed, for `fakeexports import`; what clients send those hosts leaves the machine",
                                 metavar="DIR")
    record_hosts: str | None = setting(None, "with --record: the hosts whose tunnels go to the real vendor, "
                                       "comma-separated (fnmatch patterns: the API's host and its files' host)",
                                       metavar="HOSTS")
    upstreams: str | None = setting(None, "with --record: HOST=URL pairs, comma-separated: where a host's requests "
                                    "go instead of https://HOST (a vendor's sandbox, a test's second fake)",
                                    metavar="MAP")
    ca_dir: str | None = setting(None, "where the fake's CA is made and kept (default $XDG_DATA_HOME/fakeexports/ca, "
                                 "i.e. ~/.local/share/fakeexports/ca)")
    tls: bool = setting(False, "serve HTTPS on the port, with a certificate from the fake's CA for localhost, "
                        "127.0.0.1 and the --public-url host (or --tls-cert/--tls-key)")
    tls_cert: str | None = setting(None, "PEM certificate chain for --tls (may hold the key too); implies --tls")
    tls_key: str | None = setting(None, "PEM private key for --tls-cert")
    header_timeout: float = setting(10.0, "real seconds a connection may take to send a whole request head, from "
                                    "when it opens or its previous answer ends; a slower one (or an idle keep-alive "
                                    "one) is closed. Also the limit of a TLS handshake (default 10)", check=_timeout,
                                    metavar="S")
    body_timeout: float = setting(30.0, "real seconds a request body may take to arrive in full; a slower one gets "
                                  "the vendor's 408 and the connection is closed (default 30)", check=_timeout,
                                  metavar="S")
    max_connections: int = setting(0, "connections open at once, in all; at the cap a newcomer takes the place of the "
                                   "oldest connection that has not sent a whole request head yet, or is closed "
                                   "(default 0: the open-file limit less 128, never more)", check=_cap, metavar="N")
    max_connections_per_address: int = setting(0, "connections open at once from one client address, the same way "
                                               "(default 0: half of --max-connections)", check=_cap, metavar="N")
    verbose: bool = setting(False, "print a line per vendor request as it is answered (method, path, status, ms) "
                            "and, for each 4xx, a line with its reason (default off: quiet)", short="-v")
    no_caches: tuple[str, ...] = setting((), "comma-separated caches to turn off, or 'all' (kept, params, moments, "
                                         "shared, sizes, changes, waiting): every answer stays the same, only slower "
                                         "(caches.py)",
                                         check=_caches, metavar="NAMES")

    @property
    def https(self) -> bool:
        """The port speaks TLS (--tls, or a certificate was given)."""
        return self.tls or bool(self.tls_cert)

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    def cache_path(self) -> Path | None:
        if self.cache_dir is not None:
            return Path(self.cache_dir) if self.cache_dir.strip() else None
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "fakeexports"

    def with_(self, **changes: Any) -> Settings:
        """These settings changed: own fields by name, anything else a vendor option by its settings key."""
        own = {f.name for f in fields(self)}
        plain = {k: v for k, v in changes.items() if k in own}
        extra = {k: v for k, v in changes.items() if k not in own}
        if extra:
            plain["options"] = tuple(sorted({**dict(plain.get("options", self.options)), **extra}.items()))
        return replace(self, **plain)

    def option(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, options: Iterable[tuple[str, Option]] = (),
                 **overrides: Any) -> Settings:
        """Defaults, then ``FAKEEXPORTS_*`` variables, then ``overrides`` (flags that were given). ``options``:
        the vendors' declared options by settings key, read as ``FAKEEXPORTS_<KEY>`` too."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in declared():
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = parse_value(f.name, raw, ENV_PREFIX + f.name.upper())
        extra: dict[str, Any] = {}
        for key, option in options:
            raw = env.get(ENV_PREFIX + key.upper())
            if raw is not None:
                try:
                    extra[key] = option.parse(raw)
                except ValueError as exc:
                    raise ValueError(f"{ENV_PREFIX}{key.upper()}: {exc}") from None
        given = {k: v for k, v in overrides.items() if v is not None}
        names = {f.name for f in fields(cls)}
        values.update({k: v for k, v in given.items() if k in names})
        extra.update({k: v for k, v in given.items() if k not in names})
        settings = cls(**values).with_(**extra)
        settings.check()
        return settings

    def check(self) -> None:
        """Each setting's own check, then those between settings."""
        for f in declared():
            value = getattr(self, f.name)
            choices, check = f.metadata["choices"], f.metadata["check"]
            if choices is not None and value not in choices:
                raise ValueError(f"{f.name} must be one of {', '.join(map(repr, choices))}, not {value!r}")
            problem = check(value) if check is not None else None
            if problem:
                raise ValueError(f"{f.name} {problem}" if not problem.startswith(f.name) else problem)
        if self.tls_key and not self.tls_cert:
            raise ValueError("tls_key needs tls_cert")


def declared() -> Iterator[Field[Any]]:
    """The settings a flag, a variable or a marker can set (all but the vendors' options, which have their own)."""
    return (f for f in fields(Settings) if f.metadata.get("env", True))


def kind(name: str) -> str:
    """A setting's type, as written: ``int``, ``float | None``, ``tuple[str, ...]``..."""
    return str(next(f.type for f in fields(Settings) if f.name == name))


def parse_value(name: str, raw: str, where: str | None = None) -> Any:
    """A setting's value from a string (a flag or an environment variable); ``where`` names it in errors."""
    text, label = kind(name), where or name
    if "bool" in text:
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{label}: expected a boolean, got {raw!r}")
    if "tuple" in text:
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    try:
        if text.startswith("int"):
            return int(raw)
        if text.startswith("float"):
            return float(raw)
    except ValueError:
        raise ValueError(f"{label}: expected {text.split(' ')[0]}, got {raw!r}") from None
    return raw
