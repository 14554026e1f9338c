"""The one settings object. Precedence: CLI flag, FAKEEXPORTS_* environment variable, pytest marker or
ini, default. Nothing else in the package reads the environment. Vendors' own options (options.py) travel in
``options`` under their settings keys (``talkdesk_done_status``) and are checked when the vendors load."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .options import Option

ENV_PREFIX = "FAKEEXPORTS_"


@dataclass(frozen=True)
class Settings:
    """How a fakeexports server behaves. Every field can be set as ``FAKEEXPORTS_<NAME>``."""

    host: str = "127.0.0.1"
    port: int = 8080
    clock: str = "real"  # real | virtual
    speed: float = 1.0  # real clock only: 60 makes a minute pass every second
    start: str | None = None  # virtual clock only: RFC 3339 start time (default 2026-01-15T12:00:00Z)
    seed: int = 0
    fixtures: str | None = None  # None: the bundled fixtures/; "" or "none": no fixtures; else a path
    strict: bool = False  # validate every response against the spec
    public_url: str | None = None  # origin for every emitted URL, instead of the request's
    credentials: str | None = None  # a credentials file: only the credentials it lists are accepted
    journal_size: int = 1000
    max_body: int = 1024 * 1024  # bytes; a larger request body gets the vendor's 413
    vendors: tuple[str, ...] = ()  # () = all discovered vendors
    options: tuple[tuple[str, Any], ...] = ()  # vendors' options by settings key, e.g. ("talkdesk_done_status", 303)
    download_ttl: int = 3600  # seconds a presigned download link stays valid, on the fake clock
    cache_dir: str | None = None  # JSON copies of the YAML specs and fixtures; None: the user cache, "": off
    control_token: str | None = None  # required by /_fakeexports/ (but its health check) when set
    webhook_allow: tuple[str, ...] = ()  # hosts (fnmatch patterns) or networks webhooks may call; () = any
    state: str | None = None  # an SQLite file that keeps the store across restarts; None: memory only
    webhook_timeout: float = 5.0  # real seconds a webhook or callback attempt may take before it counts as failed
    proxy: bool = True  # answer CONNECT for the vendors' real host names (proxy.py)
    ca_dir: str | None = None  # where the fake's CA lives; None: $XDG_DATA_HOME/fakeexports/ca (ca.py)
    tls: bool = False  # the port speaks HTTPS (a certificate from the fake's CA, or tls_cert/tls_key)
    tls_cert: str | None = None  # PEM certificate chain (may hold the key too) for --tls
    tls_key: str | None = None

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
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and f.name != "options":
                values[f.name] = parse_value(f.name, raw)
        extra: dict[str, Any] = {}
        for key, option in options:
            raw = env.get(ENV_PREFIX + key.upper())
            if raw is not None:
                try:
                    extra[key] = option.parse(raw)
                except ValueError as exc:
                    raise ValueError(f"{ENV_PREFIX}{key.upper()}: {exc}") from None
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update({k: v for k, v in given.items() if k in {f.name for f in fields(cls)}})
        extra.update({k: v for k, v in given.items() if k not in values})
        settings = cls(**values).with_(**extra)
        settings.check()
        return settings

    def check(self) -> None:
        if self.clock not in ("real", "virtual"):
            raise ValueError(f"clock must be 'real' or 'virtual', not {self.clock!r}")
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be 0..65535")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        if not 0 < self.webhook_timeout <= 300:
            raise ValueError("webhook_timeout must be more than 0 and at most 300 seconds")
        if self.control_token is not None and not self.control_token.strip():
            raise ValueError("control_token must not be empty")
        if self.tls_key and not self.tls_cert:
            raise ValueError("tls_key needs tls_cert")
        from .webhooks import Allow

        Allow(self.webhook_allow)  # checks the patterns


def parse_value(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    text = str(kind)
    if "bool" in text:
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()}: expected a boolean, got {raw!r}")
    if "tuple" in text:
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    if text.startswith("int"):
        return int(raw)
    if text.startswith("float"):
        return float(raw)
    return raw
