"""Handwritten functions fit on a screen: none is longer than MOST_LINES (its docstring aside) unless a
``# long: <reason>`` comment stands right above it (its decorators included). Complexity is ruff's
(mccabe, at most 15, in ``nox -s lint``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HANDWRITTEN = [ROOT / "src" / "aioclicksend", ROOT / "codegen"]
MOST_LINES = 55
REASON = "# long:"


def functions(path: Path) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int]]:
    """Each function of a file, with its length in lines past its docstring."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = node.lineno
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                start = first.end_lineno or start
            yield node, (node.end_lineno or start) - start


def reasoned(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    top = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return lines[top - 2].strip().startswith(REASON)


def test_no_handwritten_function_is_long_without_a_reason() -> None:
    long = []
    for folder in HANDWRITTEN:
        for path in folder.rglob("*.py"):
            if "_generated" in path.parts:
                continue
            lines = path.read_text().splitlines()
            long += [
                f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"
                for node, length in functions(path)
                if length > MOST_LINES and not reasoned(lines, node)
            ]
    assert not long, "longer than a screen, with no '# long: why' above:\n" + "\n".join(long)
