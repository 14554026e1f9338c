"""Shared test helpers. The ``fakeexports`` pytest fixture itself comes from the package's plugin
(fakeexports.pytest_plugin), exactly as users get it."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fakeexports import create_app
from fakeexports.app import make_runner
from fakeexports.settings import Settings

# CI runs the suite twice: as it is, and with FAKEEXPORTS_NO_CACHES=all, every cache of every app off (caches.py): the
# answers must be the same. Every app the tests make is made through settings(), which takes that setting.
NO_CACHES = Settings.from_env({k: v for k, v in os.environ.items() if k == "FAKEEXPORTS_NO_CACHES"}).no_caches


def settings(**fields: Any) -> Settings:
    """Settings for an app of the tests: these fields (and vendor options), and the caches CI turns off."""
    return Settings(no_caches=NO_CACHES).with_(**fields)


@pytest.fixture(scope="session")
def fakeexports_settings() -> Settings:
    """The plugin's session server, as the plugin makes it, with the caches CI turns off."""
    return settings(clock="virtual", strict=True, port=0)


ACCOUNT = "AC" + "1" * 32
TOKEN = "secret-token"
OTHER_ACCOUNT = "AC" + "2" * 32


def basic(user: str = ACCOUNT, password: str = TOKEN) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ClientFactory = Callable[..., Any]


class FakeServer(TestServer):
    """aiohttp's test server, its runner made as ``fakeexports serve`` makes it (app.make_runner: the same timeouts,
    no lingering, and a handler not cancelled when its client hangs up)."""

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return make_runner(self.app)


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFactory]:
    """An aiohttp test client on a fresh in-process app: ``await client_for(seed=3, fixtures="none")``.
    Virtual clock and strict mode unless the test says otherwise."""
    clients: list[TestClient[Any, Any]] = []

    async def make(**overrides: Any) -> TestClient[Any, Any]:
        app_settings = settings(clock="virtual", strict=True).with_(**overrides)
        client: TestClient[Any, Any] = TestClient(FakeServer(create_app(app_settings)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        errors = list(client.app[_runtime_key()].journal.errors) if client.app else []
        await client.close()
        assert not errors, f"server-side errors: {errors}"


def _runtime_key() -> Any:
    from fakeexports.runtime import RUNTIME

    return RUNTIME


async def recording_receiver(aiohttp_server: Any, record: Callable[[web.Request], Any]) -> tuple[Any, list[Any]]:
    """A webhook receiver on 127.0.0.1 answering 200 at /hook (any method); what ``record`` makes of each
    request it got, in order."""
    got: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(record(request))
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/hook", hook)
    return await aiohttp_server(app, host="127.0.0.1"), got
