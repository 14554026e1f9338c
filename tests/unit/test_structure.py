"""The shape of the code base, checked: simple functions, no import cycles, a core that names no vendor. These keep
"a vendor is one package on a declarative core" true as the project grows."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeexports.vendors import discover

PACKAGE = Path(__file__).resolve().parents[2] / "fakeexports"
MAX_COMPLEXITY = 15  # McCabe, per function (ruff's C901); also pyproject.toml's [tool.ruff.lint.mccabe]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports (``from . import x`` counts x, ``from .x import y`` counts x)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = {f"{target}.{a.name}" for a in node.names} & MODULES.keys()
            out |= subs if subs and len(subs) == len(node.names) else ({target} | subs) & MODULES.keys()
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names} & MODULES.keys()
    out.discard(name)
    return out


def test_no_function_is_too_complex() -> None:
    """The limit is per function, where the hard-to-read code is, not per file: split a function when it does two
    things (a file may grow as its vendor does)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is a test dependency"
    acme = PACKAGE.parent / "tests" / "acme"
    proc = subprocess.run([ruff, "check", "--no-cache", "--select", "C901", "--config",
                           f"lint.mccabe.max-complexity = {MAX_COMPLEXITY}", "--output-format", "concise",
                           str(PACKAGE), str(acme)], capture_output=True, text=True)
    assert proc.returncode == 0, f"functions above complexity {MAX_COMPLEXITY}:\n{proc.stdout}"


def test_no_import_cycles() -> None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # a vendor package imports its own modules (vendors/twilio -> .queue); one of them importing the package back,
    # even for typing only, is a cycle like any other
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            cycle = [*trail[trail.index(node):], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*trail, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Identifiers and string constants of a module, without its docstrings."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.alias):
            out.append((node.lineno, node.name))
    return out


def _package_of(name: str) -> str | None:
    """The vendor package a module belongs to (``twilio`` for fakeexports.vendors.twilio.days), or None."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "vendors" else None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_a_vendors_own_package_names_it(name: str) -> None:
    """The core works for any vendor and a vendor's package is all of it: no module outside
    fakeexports/vendors/<name>/ names that vendor in its code (its prose may)."""
    own = _package_of(name)
    others = [v.lower() for v in discover() if v != own]
    tree = ast.parse(MODULES[name].read_text())
    named = [(line, text) for line, text in _code_strings(tree) if any(v in text.lower() for v in others)]
    assert not named, f"{name} names another vendor in code: {named[:5]}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _package_of(n)))
def test_a_vendor_imports_the_core_through_the_kit_only(name: str) -> None:
    """A vendor author imports from one module, fakeexports.kit; the built-in vendors too."""
    package = name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]
    home = f"fakeexports.vendors.{_package_of(name)}"
    core = {m for m in _imports(name, MODULES[name]) if not m.startswith(home)}
    assert core <= {"fakeexports.kit"}, f"{name} ({package}) imports {sorted(core)} besides the kit"
