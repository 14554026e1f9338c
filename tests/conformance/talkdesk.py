"""talkdesk exchanges for the conformance corpus (to be filled)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .corpus import Example, VendorConfig
from .shape import Rules

RULES = Rules()


async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    return {}


CONFIG = VendorConfig(RULES, auth)


def examples() -> list[Example]:
    return []
