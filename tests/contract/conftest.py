"""Helpers of the conformance tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_core import OpenAPI

REFERENCE_SPECS = Path(__file__).resolve().parents[3] / "shared" / "reference-specs"


def reference_spec(filename: str, mount: str) -> OpenAPI:
    """A vendor's own OpenAPI document (shared/reference-specs/), its servers rewritten to the fake's mount."""
    path = REFERENCE_SPECS / filename
    if not path.exists():
        pytest.fail(f"the reference spec is missing: {path} (shared/ must sit beside the checkout)")
    doc = json.loads(path.read_text())
    doc["servers"] = [{"url": f"http://fake{mount}"}]
    for item in doc["paths"].values():  # Twilio's document names its host on every path too
        item.pop("servers", None)
    return OpenAPI.from_dict(doc)
