"""Developer tasks: `nox -s tests` (what CI runs), `nox -s lint`, `nox -s codegen`, `nox -s codegen_check`."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

LINT_PATHS = ["src", "tests", "codegen", "noxfile.py"]


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)
    session.run("mypy", "--strict", "src/aioclicksend")


def _codegen_check(session: nox.Session) -> None:
    session.run("python", "-m", "codegen", "--check")


@nox.session
def tests(session: nox.Session) -> None:
    """Lint, type-check, check the generated code against the spec, and run the test suite."""
    session.install("-e", ".[test,lint,codegen]")
    _lint(session)
    _codegen_check(session)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict."""
    session.install("-e", ".[lint]")
    _lint(session)


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate src/aioclicksend/_generated/ from openapi/."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen")


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail if the committed generated code differs from what the spec gives."""
    session.install("-e", ".[codegen]")
    _codegen_check(session)
