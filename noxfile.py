"""Developer tasks: `nox -s demo` (the main job), `nox -s tests` (what CI runs), lint, codegen…"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

LINT_PATHS = ["src", "tests", "codegen", "examples", "bench", "docs", "noxfile.py"]


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)
    session.run("mypy", "--strict")  # src, codegen, tests and examples: the files pyproject.toml lists
    session.run("lint-imports")  # the layout's contracts (pyproject.toml's [tool.importlinter])


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
def docs(session: nox.Session) -> None:
    """Build the docs site into site/ with --strict: a warning (a broken link or reference) fails it."""
    session.install("-e", ".[docs]")
    # NO_MKDOCS_2_WARNING: mkdocs-material's banner about its successor (see docs/contributing.md).
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def reference(session: nox.Session) -> None:
    """Check the spec against the documents it is written from (../shared/seeds, beside the checkout)."""
    session.install("-e", ".[test,codegen]")
    session.run("pytest", "-m", "reference", *session.posargs)


FUZZ_EXAMPLES = "20000"


@nox.session
def fuzz(session: nox.Session) -> None:
    """The long run of the hostile-server fuzz tests: `nox -s fuzz -- [EXAMPLES] [pytest arguments]`.

    EXAMPLES (default 20 000) are shared by the fuzz tests and drawn at random each run (the bounded
    run in `nox -s tests` is derandomized); a failure prints the blob that reproduces it.
    """
    session.install("-e", ".[test]")
    arguments = list(session.posargs)
    examples = arguments.pop(0) if arguments and arguments[0].isdigit() else FUZZ_EXAMPLES
    session.run("pytest", "tests/core/test_fuzz.py", *arguments, env={"AIOCLICKSEND_FUZZ_EXAMPLES": examples})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict (over the tests and codegen too, so they are installed)."""
    session.install("-e", ".[test,lint,codegen]")
    _lint(session)


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate src/aioclicksend/_generated/ from openapi/."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen")


@nox.session
def upstream(session: nox.Session) -> None:
    """What ClickSend's published spec and the Kazoo faxes document have that our specs lack or contradict:
    `nox -s upstream -- PATH`, PATH a local copy of the spec pinned in openapi/upstream.yaml (not vendored:
    its licence is unstated); without it, only the Kazoo report (from ../shared/seeds)."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen.upstream", *session.posargs)


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail if the committed generated code differs from what the spec gives."""
    session.install("-e", ".[codegen]")
    _codegen_check(session)


@nox.session
def release(session: nox.Session) -> None:
    """The next version and its CHANGELOG entry, from the notes under Unreleased, the spec diff and the API
    snapshot's diff against the last v* tag: `nox -s release -- --dry-run [--against REF]` prints them,
    without --dry-run they are written to version.py and CHANGELOG.md (no tag, no push)."""
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen.release", *session.posargs)


BUILD = "build==1.6.1"
"""The build front end of `nox -s wheel`, installed alone: the session's own venv never holds the package."""
SMOKE_EXTRAS = "sandbox"
"""What the smoke test needs beyond the package: the sandbox's request validation (jsonschema-rs)."""


def _version() -> str:
    text = Path("src/aioclicksend/_core/version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("src/aioclicksend/_core/version.py: no __version__ line")
    return match.group(1)


@nox.session
def wheel(session: nox.Session) -> None:
    """Build the wheel and the sdist (python -m build), check what each holds, then install each in a fresh
    venv (no editable install, only the [sandbox] extra) and run tests/packaging/smoke.py there."""
    session.install(BUILD)
    work = Path(session.create_tmp())
    dist = work / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("python", "tests/packaging/contents.py", str(dist))
    smoke = shutil.copy("tests/packaging/smoke.py", work / "smoke.py")  # run away from the checkout
    for artifact in [*dist.glob("*.whl"), *dist.glob("*.tar.gz")]:
        session.log(f"--- {artifact.name} in a fresh venv")
        venv = work / "smoke-venv"
        shutil.rmtree(venv, ignore_errors=True)
        session.run("python", "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        requirement = f"aioclicksend[{SMOKE_EXTRAS}] @ {artifact.resolve().as_uri()}"
        session.run(python, "-m", "pip", "install", "--quiet", requirement, external=True)
        session.run(python, str(smoke), _version(), external=True, env={"PYTHONPATH": ""})


@nox.session
def spec_diff(session: nox.Session) -> None:
    """What changed in the specs, each change breaking / additive / cosmetic, and the version bump:
    `nox -s spec_diff -- [OLD [NEW]] [--format markdown|json] [--fail-on breaking]`.

    OLD and NEW are git refs or directories; OLD defaults to the last release tag (vX.Y.Z), NEW to the
    working tree. Exit 1 with --fail-on when a change is that severe; 2 when there is nothing to compare.
    """
    session.install("-e", ".[codegen]")
    session.run("python", "-m", "codegen.spec_diff", *session.posargs)


DEMO_PROGRAMS = [
    "examples/bulk_send.py",
    "examples/paging_walk.py",
    "examples/kazoo_fax.py",
    "examples/webhook_app.py",
]
KAZOO_TRANSMIT_AFTER = "0.5"
"""Seconds a fax stays in the demo sandbox's outgoing queue: long enough to watch it go."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, server: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the sandbox exited with code {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not listen on port {port} within {seconds:.0f}s")


@nox.session
def demo(session: nox.Session) -> None:
    """Start the embedded sandbox (20 ms latency; ClickSend under /v3, Kazoo faxes under /v2) and run the
    example programs against it."""
    session.install("-e", ".[progress,sandbox]")
    port = _free_port()
    python = os.path.join(session.bin, "python")
    command = [python, "-m", "aioclicksend.sandbox", "--port", str(port), "--latency-ms", "20"]
    command += ["--kazoo-transmit-after", KAZOO_TRANSMIT_AFTER]
    server = subprocess.Popen(command)
    try:
        _wait_until_listening(port, server)
        environment = {
            "CLICKSEND_BASE_URL": f"http://127.0.0.1:{port}/v3",
            "CLICKSEND_USERNAME": "demo-user",
            "CLICKSEND_API_KEY": "demo-key",
            "KAZOO_BASE_URL": f"http://127.0.0.1:{port}/v2",
            "KAZOO_ACCOUNT_ID": "4b8c6fec4b2597882c0390202d195419",
            "KAZOO_API_KEY": "demo-kazoo-key",
        }
        for program in DEMO_PROGRAMS:
            session.log(f"--- {program}")
            session.run("python", program, env=environment)
        session.log("--- the command line: a CSV of 5000 rows sent in bulk, then the same command again")
        work = Path(session.create_tmp())
        for stale in work.glob("results.csv*"):  # a journal of an earlier demo would resume its job
            stale.unlink()
        with (work / "messages.csv").open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["phone", "body"])
            writer.writerows([f"+614{i:08d}", f"Your code is {i:06d}"] for i in range(5000))
        for _ in range(2):  # the second run finds every row settled in the journal: it sends nothing
            session.run(
                "aioclicksend",
                "bulk",
                "sms",
                str(work / "messages.csv"),
                "--results",
                str(work / "results.csv"),
                "--map",
                "to=phone",
                env=environment,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against a minimal fake server and the sandbox, each in its own process (bench/run.py)."""
    session.install("-e", ".[bench,sandbox,test]")  # test: the real PostgreSQL and Redis of the campaign rows
    session.run("python", "bench/run.py", *session.posargs)
