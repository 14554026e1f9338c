"""The dashboard at /_fakeexports/ui: one static page of plain HTML, CSS and JavaScript (dashboard.html, served
from the package). No framework, no build step and nothing from a CDN: it is a few tables and forms over the
control API, which the browser's own fetch() and DOM do; a dependency would cost every user an install and a
supply chain for no feature the page needs. It works offline and under --control-token (it asks for the token
and sends it as a Bearer header)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

# The page talks to this server only; inline script and style are its own (one file, no build step).
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@cache
def page() -> bytes:
    return files("fakeexports").joinpath("dashboard.html").read_bytes()
