"""The sandbox is a second opinion on the SDK: it imports no private SDK module but the operation tables.

Were it to count parts, page or check hosts with the SDK's own code, a mistake there would show up in
neither. It may read the generated operation tables (and the types they are made of), and use what the
SDK makes public.
"""

from __future__ import annotations

import ast
from pathlib import Path

import aioclicksend.sandbox

SANDBOX = Path(aioclicksend.sandbox.__file__).parent
TABLES = {"aioclicksend._generated.operations", "aioclicksend.kazoo._generated.operations"}
TABLE_TYPES = "aioclicksend._core.operation"
"""The module of the table's types (``Operation``, ``Parameter``)."""


def imported(source: str) -> set[str]:
    """The absolute names of the modules a sandbox module imports (``from .x import y`` resolved)."""
    package = ["aioclicksend", "sandbox"]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names.add(".".join([*base, *(node.module or "").split(".")]).rstrip("."))
    return names


def is_private(module: str) -> bool:
    """An SDK module outside the sandbox with a private part in its name."""
    parts = module.split(".")
    return parts[0] == "aioclicksend" and parts[1:2] != ["sandbox"] and any(p.startswith("_") for p in parts)


def test_the_sandbox_imports_no_private_sdk_module_but_the_operation_tables() -> None:
    modules = sorted(SANDBOX.glob("*.py"))
    assert modules
    found = {
        f"{path.name}: {module}"
        for path in modules
        for module in imported(path.read_text(encoding="utf-8"))
        if is_private(module) and module not in {*TABLES, TABLE_TYPES}
    }
    assert found == set()


def test_imports_are_read_with_relative_ones_resolved_against_the_sandbox() -> None:
    source = "import json\nfrom .._generated.operations import X\nfrom ._parts import y\nfrom . import _app\n"
    assert imported(source) == {
        "json",
        "aioclicksend._generated.operations",
        "aioclicksend.sandbox._parts",
        "aioclicksend.sandbox",
    }
    assert [is_private(name) for name in sorted(imported(source))] == [True, False, False, False]
