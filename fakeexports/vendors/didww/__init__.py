"""DIDWW API v3 exports: declaration.py declares it, wire.py and handlers.py register its hooks, effect and
operations on that declaration; records.py and columns.py make its files."""

from __future__ import annotations

from . import handlers, wire
from .declaration import VENDOR
from .envelope import sign

__all__ = ["VENDOR", "handlers", "sign", "wire"]
