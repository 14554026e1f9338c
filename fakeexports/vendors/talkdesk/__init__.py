"""Talkdesk Explore reports: declaration.py declares it, wire.py and handlers.py register its hooks and operations
on that declaration; records*.py make its report files."""

from __future__ import annotations

from . import handlers, wire
from .declaration import VENDOR

__all__ = ["VENDOR", "handlers", "wire"]
