"""The dashboard at /_fakeexports/ui: one page of plain HTML, CSS and JavaScript (dashboard.html, served from the
package). No framework, no build step and nothing from a CDN: it is a timeline drawn in SVG, a few tables and forms
over the control API, which the browser's own fetch() and DOM do; a dependency would cost every user an install and
a supply chain for no feature the page needs. It works offline and under --control-token (it asks for the token
and sends it as a Bearer header). Where the control API is open to it, the page carries its first data (``page``),
so that its first paint is not empty while the first fetch is under way."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from .wire import dumps

# The page talks to this server only; inline script and style are its own (one file, no build step).
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


JOBS_SHOWN = 500  # the jobs table's rows (the page asks for as many)
# where the page's first data goes: JSON in a script element the browser never runs (the CSP allows no other)
INITIAL = b'<script id="initial" type="application/json">null</script>'


@cache
def _static() -> bytes:
    page = files("fakeexports").joinpath("dashboard.html").read_bytes()
    assert INITIAL in page, "dashboard.html lost its initial-data element"
    return page


def page(initial: Any = None) -> bytes:
    """The dashboard, with ``initial`` (the control API's views) as its first data. Every ``<`` in the JSON is
    written ``\\u003c``, so that no text a client sent can close the script element."""
    if initial is None:
        return _static()
    data = dumps(initial).replace(b"<", b"\\u003c")
    return _static().replace(INITIAL, INITIAL.replace(b">null<", b">" + data + b"<"), 1)
