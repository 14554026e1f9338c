"""The one error type of the fake: handlers and validation raise VendorError, and each vendor module
renders it in that vendor's own envelope (vendors/<vendor>.py ``render_error``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class VendorError(Exception):
    """A client-visible error. ``code`` and ``message`` are the vendor's; ``kind`` names what went wrong
    in vendor-neutral words (``auth``, ``not_found``, ``validation``, ``method``, ``too_large``,
    ``rate_limited``, ``conflict``, ``internal``) so a vendor can pick its own code when none is given.
    ``extra`` carries envelope-specific members (a JSON:API ``source.pointer``, a ``Retry-After``...). ``where``
    names what was refused when a handler knows it (``body.end``, ``query.page``): the journal's explanation
    shows it (validation failures name theirs through their Violation); it never reaches the wire."""

    status: int
    message: str
    code: Any = None
    kind: str = "validation"
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    where: str | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.kind}: {self.message}")


class BodyError(VendorError):
    """A request body the fake stopped reading (over the limit, too slow, malformed): the rest of it may still be on
    the way, so the answer closes the connection."""


class ClientGone(Exception):
    """The client closed its connection before its request body arrived: there is no one to answer."""


@dataclass(frozen=True)
class Violation:
    """One request-validation failure, before a vendor turns it into its envelope.
    ``location`` is path, query, header, body or security; ``name`` is the parameter or field
    (dotted for nested body fields); ``rule`` is the JSON Schema keyword that failed; ``schema`` the schema it
    failed (the journal words the spec's rule and description from it)."""

    location: str
    name: str
    rule: str
    message: str
    value: Any = None
    schema: Any = None


class SpecError(Exception):
    """A spec or vendor module is inconsistent (an operation without a handler...): raised at startup."""


class StrictModeError(Exception):
    """A response of the fake does not match its own spec (strict mode)."""


class StateWriteError(Exception):
    """--state: what changed could not be written to the state file (the disk is full or read-only, an I/O error).
    The changes wait in memory for the next write; until then every answer is a 503 (persist.py)."""
