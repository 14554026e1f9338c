"""Options a vendor declares for itself (``Vendor.options``): from one declaration come the CLI flag
(``--talkdesk-done-status``), the environment variable (``FAKEEXPORTS_TALKDESK_DONE_STATUS``), the pytest marker
keyword (``talkdesk_done_status=303``), the control API's validation (``POST /_fakeexports/vendors/talkdesk
{"done_status": 303}``) and the help text. The core names no vendor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None

    def parse(self, raw: str) -> Any:
        """A value from a string (a flag or an environment variable)."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"{self.name}: expected a boolean, got {raw!r}")
        try:
            value = self.type(text)
        except ValueError:
            raise ValueError(f"{self.name}: expected {self.type.__name__}, got {raw!r}") from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        """A value from JSON or Python (the control API, a pytest marker); ValueError when it does not fit."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false")
        elif self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                    self.type is int and not isinstance(value, int)):
                raise ValueError(f"{self.name} must be a {'whole ' if self.type is int else ''}number")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{self.name} must be at least {self.minimum:g}")
        elif not isinstance(value, self.type):
            raise ValueError(f"{self.name} must be a {self.type.__name__}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(map(str, self.choices))}")
        return value


def key(vendor: str, option: Option) -> str:
    """The name of a vendor's option among the settings: ``talkdesk_done_status``."""
    return f"{vendor}_{option.name}"


def update(declared: Iterable[Option], current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` (option names, checked); ValueError names unknown options."""
    by_name = {o.name: o for o in declared}
    unknown = sorted(set(changes) - set(by_name))
    if unknown:
        raise ValueError(f"unknown settings {unknown}; known: {sorted(by_name)}")
    return {**current, **{name: by_name[name].check(value) for name, value in changes.items()}}
