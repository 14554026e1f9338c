"""The vendors: each module of this package defines ``VENDOR``, a fakeexports.vendor.Vendor subclass, and so
may any installed package through the ``fakeexports.vendors`` entry-point group (``name = "pkg.module:Class"``
or a module with ``VENDOR``). Adding a vendor touches its spec, its module and its fixtures only."""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from ..vendor import Vendor

GROUP = "fakeexports.vendors"


def discover() -> dict[str, type[Vendor]]:
    """Every vendor, by name: this package's modules, then those registered by other packages."""
    found: dict[str, type[Vendor]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            _add(found, importlib.import_module(f"{__name__}.{info.name}"), f"{__name__}.{info.name}")
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        _add(found, entry.load(), f"entry point {entry.name} = {entry.value}")
    return found


def _add(found: dict[str, type[Vendor]], obj: Any, where: str) -> None:
    cls = getattr(obj, "VENDOR", None) if isinstance(obj, ModuleType) else obj
    if not (isinstance(cls, type) and issubclass(cls, Vendor)):
        raise TypeError(f"{where}: not a fakeexports Vendor (a Vendor subclass, or a module with VENDOR)")
    if cls.name in found and found[cls.name] is not cls:
        raise TypeError(f"{where}: a vendor named {cls.name!r} is already there ({found[cls.name].__module__})")
    found[cls.name] = cls
