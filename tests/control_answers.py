"""Control answers checked on the client's side against the control API's own document (specs/control.yaml), with
the project's response validator (validation.ResponseValidator, through control.ControlDoc): whatever the server's
strict mode says, a test that watches its answers fails on one the document does not describe. The CLI's tests watch
urllib (what ``fakeexports`` control commands use), the control API's tests aiohttp's test client."""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from fakeexports.control import ControlDoc
from fakeexports.errors import StrictModeError
from fakeexports.specs import to_json_schema
from fakeexports.validation import ResponseValidator, compile_schema

CONTROL_PATH = re.compile(r"^(?:/_clocks/[^/]+)?/_fakeexports(?:/|$)")


class ControlAnswers:
    """Every control answer seen, checked: ``seen`` lists them as ``"GET /_fakeexports/clock 200"``."""

    def __init__(self) -> None:
        self.doc = ControlDoc()
        self.seen: list[str] = []
        self.checkers: dict[tuple[str, str], ResponseValidator] = {}
        self.origins: list[str] = []  # the servers whose answers watch_urllib checks

    def check(self, method: str, path: str, status: int, content_type: str | None, body: bytes,
              headers: Mapping[str, str]) -> None:
        """AssertionError naming the operation and the field unless the document describes this answer. A path
        no endpoint has gets the control API's 404, described by its Error schema."""
        if not CONTROL_PATH.match(path):
            return
        op = self.doc.operation_at(method, path)
        self.seen.append(f"{method} {path} {status}")
        if op is None:
            assert status == 404, f"{method} {path}: no operation of specs/control.yaml, and answered {status}"
            error = self.doc.spec.document["components"]["schemas"]["Error"]
            compile_schema(to_json_schema(error))(orjson.loads(body))
            return
        key = (op.method, op.path)
        checker = self.checkers.get(key) or self.checkers.setdefault(key, ResponseValidator(op))
        try:
            checker.check(status, content_type, body, headers)
        except StrictModeError as exc:
            raise AssertionError(f"a control answer the document does not describe: {exc}") from None

    def watch_urllib(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Check every answer urllib gets from one of ``origins`` (the CLI's Control client and health check),
        success or HTTPError."""
        opener = urllib.request.urlopen

        def urlopen(request: Any, *args: Any, **kwargs: Any) -> Any:
            url = request.full_url if isinstance(request, urllib.request.Request) else str(request)
            origin = next((o for o in self.origins if url.startswith(o + "/")), None)
            method = request.get_method() if isinstance(request, urllib.request.Request) else "GET"
            try:
                resp = opener(request, *args, **kwargs)
            except urllib.error.HTTPError as exc:
                body = exc.read()
                if origin is not None:
                    self.check(method, _path(url, origin), exc.code, exc.headers.get_content_type(), body,
                               exc.headers)
                raise urllib.error.HTTPError(exc.url, exc.code, exc.msg, exc.headers, io.BytesIO(body)) from None
            if origin is None:
                return resp
            with resp:
                body = resp.read()
            self.check(method, _path(url, origin), resp.status, resp.headers.get_content_type(), body, resp.headers)
            return _Answer(body, resp.status, resp.headers)

        monkeypatch.setattr(urllib.request, "urlopen", urlopen)

    def watch_test_clients(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Check every control answer an aiohttp TestClient gets (its body read at once, as .json() would)."""
        request = TestClient._request

        async def checked(client: TestClient[Any, Any], method: str, path: Any, **kwargs: Any) -> Any:
            resp = await request(client, method, path, **kwargs)
            if CONTROL_PATH.match(resp.url.raw_path):
                self.check(method, resp.url.raw_path, resp.status, resp.content_type, await resp.read(), resp.headers)
            return resp

        monkeypatch.setattr(TestClient, "_request", checked)


def _path(url: str, origin: str) -> str:
    return url[len(origin):].split("?", 1)[0]


class _Answer(io.BytesIO):
    """An answer urllib gave, its body already read (and checked)."""

    def __init__(self, body: bytes, status: int, headers: Any):
        super().__init__(body)
        self.status = self.code = status
        self.headers = headers
