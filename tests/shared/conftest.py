"""The shared contract suite's helpers: every discovered vendor with a recipe, and a Driver on an in-process test
client (virtual clock, strict mode) that drives it through the vendor's own API."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from fakeexports.recipe import Answer, Driver, Recipe
from fakeexports.vendor import Vendor
from fakeexports.vendors import discover

VENDORS: dict[str, Vendor] = discover()
WITH_RECIPES = sorted(name for name, cls in VENDORS.items() if cls.recipe is not None)


def recipe_of(name: str) -> Recipe:
    recipe = VENDORS[name].recipe
    assert recipe is not None
    return recipe


def driver(client: TestClient[Any, Any], name: str, tenant: int = 0, *, by_host: bool = False) -> Driver:
    """A Driver for the vendor's ``tenant``-th recipe tenant; ``by_host``: through the vendor's own host name at
    the root, as a client whose DNS points the vendor's host at the fake would call it."""
    cls, recipe = VENDORS[name], recipe_of(name)
    origin = str(client.make_url("")).rstrip("/")

    async def send(method: str, target: str, *, headers: dict[str, str], data: Any) -> Answer:
        url = URL(target, encoded=True) if target.startswith("http") else None
        if url is not None:
            assert str(url.origin()) == origin, f"a link off this server: {target}"
            target = url.raw_path_qs
        resp = await client.request(method, URL(target, encoded=True), headers=headers, data=data,
                                    allow_redirects=False)
        return Answer(resp.status, dict(resp.headers), await resp.read())

    async def advance(seconds: float) -> None:
        resp = await client.post("/_fakeexports/clock/advance", json={"seconds": seconds})
        assert resp.status == 200, await resp.text()

    async def now() -> float:
        return float((await (await client.get("/_fakeexports/clock")).json())["epoch"])

    host = cls.hosts[0] if by_host else None
    return Driver(recipe, recipe.tenants[tenant], send=send, advance=advance, now=now,
                  mount=cls.host_path if by_host else cls.mount, host=host)


@pytest.fixture(params=WITH_RECIPES)
def vendor(request: pytest.FixtureRequest) -> str:
    return str(request.param)

async def two_tenants(client: TestClient[Any, Any], vendor: str) -> tuple[Driver, Driver]:
    """Drivers for the recipe's two tenants, both logged in."""
    a, b = driver(client, vendor, 0), driver(client, vendor, 1)
    await a.login()
    await b.login()
    return a, b
