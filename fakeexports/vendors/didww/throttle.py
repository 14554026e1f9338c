"""DIDWW's rate limit (off unless asked for): "Rate limits are 10 requests per second and are applied to API-KEY
instead of IP. After exceeding the limit, 429 HTTP status code will be returned" with
``{"errors":[{"status":"429","detail":"Too Many Requests"}]}`` (didww/didww-api3-postman@71547df, every
collection's description, "Rate Limits"; doc.didww.com/user-panel/api.html also says 10 a second, while
doc.didww.com/api3/configuration.html says 20: the fake follows the two that agree, and the number is an option).
Counted on the fake clock, per API key, over a sliding second."""

from __future__ import annotations

from ...kit import Clock, VendorError, Window

DETAIL = "Too Many Requests"


class RateLimit:
    def __init__(self, clock: Clock, per_second: int):
        self.window = Window(clock, 1, per_second)

    def count(self, key: str) -> None:
        """One request of ``key``: a 429 once it has made ``per_second`` within the last second. No Retry-After:
        DIDWW documents none (the documented back-off is the limit itself, a second)."""
        if self.window.full(key) is not None:
            raise VendorError(429, DETAIL, kind="rate_limited")
        self.window.add(key)

    def clear(self, key: str | None = None) -> None:
        self.window.clear(key)
