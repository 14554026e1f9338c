"""Twilio Bulk Exports: declaration.py declares it; wire.py, days.py and handlers.py register its hooks, effects
and operations on that declaration; queue.py times an account's jobs; records.py makes its day files."""

from __future__ import annotations

from . import days, handlers, wire
from .declaration import VENDOR

__all__ = ["VENDOR", "days", "handlers", "wire"]
