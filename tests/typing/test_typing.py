"""The types a user's editor sees, checked as a user's type checker checks them (issue 23, item 7).

Each snippet of ``snippets/`` is a user's script: ``pass_*.py`` must type-check, and ``fail_*.py`` must give
exactly the errors marked on their lines, ``# E: <codes>`` listing the mypy error codes and pyright rules
any of which the line's errors may have (besides the :data:`CONSEQUENCES` of an error: its Any or Unknown). mypy --strict and pyright in strict mode each run once, over the
whole folder, and every snippet is then judged against both. Every python block of README.md is checked by
pyright in strict mode too: a block that is a fragment names its prelude in an HTML comment on the line
before it (``<!-- typing: prelude NAME -->``), ``readme/NAME.py``, whose ``pass  # the README block`` line
the block replaces, indented as that line is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SNIPPETS = HERE / "snippets"
PRELUDES = HERE / "readme"
README = ROOT / "README.md"
EXPECTED = re.compile(r"#\s*E:\s*(?P<codes>.+)$")
PRELUDE_COMMENT = re.compile(r"<!--\s*typing:\s*prelude\s+(?P<name>[\w-]+)\s*-->")
BLOCK_MARKER = "pass  # the README block"
CHECKERS = ("mypy", "pyright")
CONSEQUENCES = {
    "no-any-return",
    "reportUnknownArgumentType",
    "reportUnknownMemberType",
    "reportUnknownVariableType",
}
"""What a marked error brings on its own line, and nothing else can there: the Any (mypy) or Unknown
(pyright) type of what the mistake named, then returned or passed on."""


@dataclass(frozen=True)
class Diagnostic:
    """One error a checker reported: where (1-based line), its code (mypy) or rule (pyright), its text."""

    path: Path
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: [{self.code}] {self.message}"


@dataclass(frozen=True)
class ReadmeBlock:
    """A python block of README.md, as the file pyright checks (its prelude around it)."""

    line: int
    """The README line of the block's first line of code."""
    path: Path
    first: int
    """The checked file's line that holds the block's first line."""
    length: int

    def readme_line(self, line: int) -> str:
        inside = self.first <= line < self.first + self.length
        return f"README.md:{self.line + line - self.first}" if inside else f"its prelude's line {line}"


def snippets() -> list[Path]:
    return sorted(SNIPPETS.glob("*.py"))


def expected_errors(path: Path) -> dict[int, set[str]]:
    """The lines a snippet marks as errors, with the codes either checker may report there."""
    expected = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = EXPECTED.search(text)
        if found:
            expected[number] = set(found["codes"].split())
    return expected


def readme_blocks(directory: Path) -> list[ReadmeBlock]:
    """Every python block of README.md (a list item's too, dedented), each written to ``directory`` inside
    its prelude, if it names one."""
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks = []
    for start, text in enumerate(lines):
        if text.strip() != "```python":
            continue
        fence = text[: text.index("`")]
        end = lines.index(f"{fence}```", start + 1)
        code = [line.removeprefix(fence) for line in lines[start + 1 : end]]
        wanted = PRELUDE_COMMENT.fullmatch(lines[start - 1].strip()) if start else None
        before, after = prelude(wanted["name"]) if wanted else ([], [])
        if before:
            indent = before.pop()
            code = [indent + line if line.strip() else line for line in code]
        path = directory / f"readme_line_{start + 2}.py"
        path.write_text("\n".join([*before, *code, *after]) + "\n", encoding="utf-8")
        blocks.append(ReadmeBlock(start + 2, path, len(before) + 1, len(code)))
    return blocks


def prelude(name: str) -> tuple[list[str], list[str]]:
    """A prelude's lines before its block (the last one: the block's indentation) and after it."""
    lines = (PRELUDES / f"{name}.py").read_text(encoding="utf-8").splitlines()
    marker = [number for number, line in enumerate(lines) if line.strip() == BLOCK_MARKER]
    assert len(marker) == 1, f"readme/{name}.py must have one line {BLOCK_MARKER!r}"
    line = lines[marker[0]]
    return [*lines[: marker[0]], line[: len(line) - len(line.lstrip())]], lines[marker[0] + 1 :]


def run_mypy(paths: list[Path]) -> list[Diagnostic]:
    """mypy --strict as pyproject.toml configures it, on the checkout's package (not an installed one)."""
    command = [sys.executable, "-m", "mypy", "--strict", "--show-error-codes", "--no-error-summary"]
    command += ["--no-pretty", "--hide-error-context", *map(str, paths)]
    environment = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False)
    diagnostics = []
    for line in result.stdout.splitlines():
        found = re.match(
            r"(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$", line
        )
        if found:
            diagnostics.append(
                Diagnostic(ROOT / found["path"], int(found["line"]), found["code"] or "", found["message"])
            )
    assert result.returncode in (0, 1) and (diagnostics or result.returncode == 0), (
        result.stdout + result.stderr
    )
    return diagnostics


def run_pyright(paths: list[Path], scratch: Path) -> list[Diagnostic]:
    """pyright in strict mode, for Python 3.10, on the checkout's package (its src/ first on the path)."""
    config = scratch / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.10",
                "extraPaths": [str(ROOT / "src")],
            }
        ),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pyright", "--outputjson", "--project", str(config)]
    command += ["--pythonpath", sys.executable, *map(str, paths)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return [
        Diagnostic(
            Path(found["file"]),
            found["range"]["start"]["line"] + 1,
            found.get("rule", ""),
            found["message"],
        )
        for found in json.loads(result.stdout)["generalDiagnostics"]
        if found["severity"] == "error"
    ]


@dataclass(frozen=True)
class Checked:
    """What each checker reported, once for the session."""

    errors: dict[str, list[Diagnostic]]
    readme: list[ReadmeBlock]

    def of(self, checker: str, path: Path) -> list[Diagnostic]:
        return [error for error in self.errors[checker] if error.path.resolve() == path.resolve()]


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    scratch = tmp_path_factory.mktemp("typing")
    blocks = readme_blocks(scratch)
    yield Checked(
        {
            "mypy": run_mypy(snippets()),
            "pyright": run_pyright([SNIPPETS, *(block.path for block in blocks)], scratch),
        },
        blocks,
    )


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("snippet", snippets(), ids=lambda path: path.name)
def test_each_snippet_gives_the_errors_marked_on_its_lines(
    checked: Checked, snippet: Path, checker: str
) -> None:
    expected = expected_errors(snippet)
    assert snippet.name.startswith("fail_") == bool(expected), (
        "fail_*.py snippets mark errors, pass_*.py none"
    )
    reported = checked.of(checker, snippet)
    unexpected = [
        str(error)
        for error in reported
        if error.line not in expected or error.code not in expected[error.line] | CONSEQUENCES
    ]
    missing = [
        f"{snippet.name}:{line}: none of {sorted(codes)}"
        for line, codes in expected.items()
        if not any(error.line == line and error.code in codes for error in reported)
    ]
    assert not unexpected and not missing, f"{checker}: unexpected {unexpected}, missing {missing}"


def test_every_readme_python_block_type_checks_under_pyright_strict(checked: Checked) -> None:
    assert len(checked.readme) == README.read_text(encoding="utf-8").count("```python")
    problems = [
        f"{block.readme_line(error.line)}: [{error.code}] {error.message}"
        for block in checked.readme
        for error in checked.of("pyright", block.path)
    ]
    assert not problems, "\n".join(problems)
