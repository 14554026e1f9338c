"""The vendor modules. Each defines ``VENDOR``, a fakeexports.vendor.Vendor subclass; they are found by
scanning this package, so adding a vendor touches its module, spec and fixtures only."""

from __future__ import annotations

import importlib
import pkgutil

from ..vendor import Vendor


def discover() -> dict[str, type[Vendor]]:
    found: dict[str, type[Vendor]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "VENDOR", None)
        if isinstance(cls, type) and issubclass(cls, Vendor):
            found[cls.name] = cls
    return found
