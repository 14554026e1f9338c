"""The vendors: each package here declares ``VENDOR``, a fakeexports.vendor.Vendor, and so may any installed package
through the ``fakeexports.vendors`` entry-point group (``name = "pkg.module:VENDOR"``, or a module with ``VENDOR``).
The vendors of this package are found the same way as another package's. Adding a vendor touches its package, its
spec and its fixtures only."""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from ..vendor import Vendor

GROUP = "fakeexports.vendors"


def discover() -> dict[str, Vendor]:
    """Every vendor's declaration, by name: this package's, then those registered by other packages."""
    found: dict[str, Vendor] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            _add(found, importlib.import_module(f"{__name__}.{info.name}"), f"{__name__}.{info.name}")
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        _add(found, entry.load(), f"entry point {entry.name} = {entry.value}")
    return found


def _add(found: dict[str, Vendor], obj: Any, where: str) -> None:
    decl = getattr(obj, "VENDOR", None) if isinstance(obj, ModuleType) else obj
    if not isinstance(decl, Vendor):
        raise TypeError(f"{where}: not a fakeexports Vendor (a Vendor declaration, or a module with VENDOR)")
    if decl.name in found and found[decl.name] is not decl:
        raise TypeError(f"{where}: a vendor named {decl.name!r} is already there ({found[decl.name].module})")
    found[decl.name] = decl
