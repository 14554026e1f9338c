"""fakeexports: a stateful fake of vendors' export-job APIs (Twilio Bulk Exports, DIDWW, Talkdesk
Explore, HookBridge). ``create_app(settings)`` returns the aiohttp application."""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
__version__ = "0.1.0"
