"""Helpers of the conformance tests."""

from __future__ import annotations

import json

from openapi_core import OpenAPI

from tests.reference import reference_file


def reference_spec(filename: str, mount: str) -> OpenAPI:
    """A vendor's own OpenAPI document (FAKEEXPORTS_REFERENCE_DIR), its servers rewritten to the fake's mount."""
    path = reference_file(filename)
    doc = json.loads(path.read_text())
    doc["servers"] = [{"url": f"http://fake{mount}"}]
    for item in doc["paths"].values():  # Twilio's document names its host on every path too
        item.pop("servers", None)
    return OpenAPI.from_dict(doc)
