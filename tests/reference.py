"""Data from outside the repository: the vendors' own reference documents (OpenAPI files, DIDWW's Postman
collections), which the project never copies. Tests find them through one setting,
FAKEEXPORTS_REFERENCE_DIR (default: ../shared/reference-specs beside the checkout). When the folder is
absent a test that needs it is skipped with a message naming the setting, except under CI=true, where it
fails: CI always has the data, and a missing folder there is a broken pipeline, not a reason to pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "FAKEEXPORTS_REFERENCE_DIR"
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "reference-specs"


def reference_dir() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT)


def available(*parts: str) -> bool:
    return reference_dir().joinpath(*parts).exists()


def reference_file(*parts: str) -> Path:
    """The path of a reference file; skips the test (fails it under CI=true) when it is not there."""
    path = reference_dir().joinpath(*parts)
    if not path.exists():
        missing(path)
    return path


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def skip_or_fail(message: str) -> None:
    """Skip the test with ``message``, or fail it under CI=true, where what it needs is always there."""
    if under_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def missing(path: Path) -> None:
    skip_or_fail(f"reference data not found: {path}; set {ENV} to the folder of the vendors' reference "
                 f"documents (default {DEFAULT})")
