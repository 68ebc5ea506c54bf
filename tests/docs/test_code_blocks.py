"""Every ```python block of README.md and docs/ runs, as a program of its own, against a sandbox.

The blocks run one by one in a new directory, with ``CLICKSEND_BASE_URL``, ``CLICKSEND_USERNAME``,
``CLICKSEND_API_KEY`` and ``KAZOO_BASE_URL``, ``KAZOO_ACCOUNT_ID``, ``KAZOO_API_KEY`` pointing at a sandbox
this module starts, and ``REDIS_URL`` at the test session's redis-server; a block passes when its program
exits with status 0.

A block that is not a whole program (a fragment using a client, a web app) says how it runs in an HTML
comment just before its fence (invisible on GitHub and on the docs site)::

    <!-- doc: context=client -->
    <!-- doc: skip="why it cannot run here" -->

- ``context=NAME``: the block takes the place of the line ``...  # the block`` in
  ``tests/docs/contexts/NAME.py.in``, indented as that line is (``.in``: a context is no module until a
  block fills it, so the linters leave it alone; the two are checked by running). A context gives the
  block what it assumes (a client ``cs``, a ``SECRET``, rows to send) and may check what it did afterwards
  (serve its web app and push to it, run the test it defines).
- ``skip=REASON``: the block is not run; the reason is required. Keep it rare.

Values with spaces are quoted (shell-style). Several such comments in a row are read together (the nearest
wins a key given twice); other one-line HTML comments among them, such as the README's
``<!-- typing: prelude NAME -->`` for its type check, are passed over, and keys unknown here are ignored.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aioclicksend.sandbox import SandboxServer
from aioclicksend.testing import KAZOO_ACCOUNT_ID

from ..redis_server import RedisServer
from ..support import sandbox_in_a_thread

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = Path(__file__).with_name("contexts")
PLACEHOLDER = "...  # the block"
SECONDS_PER_BLOCK = 60
DIRECTIVE = re.compile(r"^\s*<!--\s*doc:(?P<settings>.*?)-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```python\s*$")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")


@dataclass(frozen=True)
class Block:
    """A ```python block: where it is, its code (dedented as its fence), and its comment's settings."""

    source: Path
    line: int
    code: str
    settings: dict[str, str]

    @property
    def name(self) -> str:
        return f"{self.source.relative_to(ROOT)}:{self.line}"


def parse_directive(text: str) -> dict[str, str]:
    """The ``key=value`` settings of a ``<!-- doc: … -->`` comment (empty when ``text`` is not one)."""
    match = DIRECTIVE.match(text)
    if not match:
        return {}
    settings = {}
    for word in shlex.split(match["settings"]):
        key, equals, value = word.partition("=")
        if not equals:
            raise ValueError(f"{text.strip()!r}: {word!r} is not key=value")
        settings[key] = value
    return settings


def settings_before(lines: list[str]) -> dict[str, str]:
    """The settings of the ``<!-- doc: … -->`` comments just before a fence, among the blank lines and other
    one-line HTML comments there."""
    settings: dict[str, str] = {}
    for text in reversed(lines):
        if not text.strip():
            continue
        if not COMMENT.match(text):
            break
        settings = parse_directive(text) | settings
    return settings


def blocks_of(path: Path) -> Iterator[Block]:
    """The ```python blocks of a Markdown file, with the settings of the comment just before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        fence = FENCE.match(line)
        if not fence:
            continue
        indent = fence["indent"]
        end = lines.index(f"{indent}```", number + 1)
        code = "\n".join(text.removeprefix(indent) for text in lines[number + 1 : end])
        yield Block(path, number + 1, code + "\n", settings_before(lines[:number]))


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


BLOCKS = [block for document in documents() for block in blocks_of(document)]


def program(block: Block) -> str:
    """The program a block runs as: the block itself, or its context with the block in place."""
    context = block.settings.get("context")
    if context is None:
        return block.code
    path = CONTEXTS / f"{context}.py.in"
    if not path.is_file():
        raise ValueError(f"{block.name}: context={context}: there is no {path.relative_to(ROOT)}")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = [number for number, line in enumerate(lines) if line.strip() == PLACEHOLDER]
    if len(at) != 1:
        raise ValueError(f"{path.relative_to(ROOT)}: needs exactly one line {PLACEHOLDER!r}, has {len(at)}")
    indent = lines[at[0]][: len(lines[at[0]]) - len(lines[at[0]].lstrip())]
    body = "".join(f"{indent}{line}".rstrip() + "\n" for line in block.code.splitlines())
    return "".join(lines[: at[0]]) + body + "".join(lines[at[0] + 1 :])


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox for every block (faxes transmitted after 0.2 s, so a block can watch one go)."""
    with sandbox_in_a_thread(kazoo_transmit_after=0.2) as running:
        yield running


def environment(server: SandboxServer, redis: RedisServer) -> dict[str, str]:
    return {
        **os.environ,
        # The checkout first: a context may import from examples/ (the Kazoo one takes its PDF there).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "CLICKSEND_BASE_URL": server.base_url,
        "CLICKSEND_USERNAME": "docs-user",
        "CLICKSEND_API_KEY": "docs-key",
        "KAZOO_BASE_URL": server.kazoo_base_url,
        "KAZOO_ACCOUNT_ID": KAZOO_ACCOUNT_ID,
        "KAZOO_API_KEY": "docs-kazoo-key",
        "REDIS_URL": redis.url,
    }


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_block_runs_against_the_sandbox(
    block: Block, server: SandboxServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    if "skip" in block.settings:
        assert block.settings["skip"].strip(), f"{block.name}: skip= needs a reason"
        pytest.skip(block.settings["skip"])
    (tmp_path / "block.py").write_text(program(block), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "block.py"],
        cwd=tmp_path,
        env=environment(server, redis_server),
        capture_output=True,
        text=True,
        timeout=SECONDS_PER_BLOCK,
    )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stdout}\n{done.stderr}"


def test_the_documents_have_blocks_and_every_context_is_used() -> None:
    assert any(block.source.name == "README.md" for block in BLOCKS)
    assert any(block.source.parent.name == "guides" for block in BLOCKS)
    used = {block.settings["context"] for block in BLOCKS if "context" in block.settings}
    assert used == {path.name.removesuffix(".py.in") for path in CONTEXTS.glob("*.py.in")}


def test_a_context_takes_the_block_in_place_of_its_placeholder(tmp_path: Path) -> None:
    block = Block(ROOT / "README.md", 1, "x = 1\nif x:\n    print(x)\n", {"context": "client"})
    text = program(block)
    assert PLACEHOLDER not in text
    assert "        x = 1\n        if x:\n            print(x)\n" in text


def test_a_directive_is_read_as_shell_words() -> None:
    assert parse_directive('<!-- doc: context=client skip="a reason" other=1 -->') == {
        "context": "client",
        "skip": "a reason",
        "other": "1",
    }
    assert parse_directive("<!-- a comment -->") == {}
    with pytest.raises(ValueError, match="'client' is not key=value"):
        parse_directive("<!-- doc: client -->")


def test_the_comments_just_before_a_fence_are_read_together() -> None:
    lines = [
        "<!-- doc: context=far -->",
        "text",
        "<!-- doc: a=1 context=near -->",
        "<!-- typing: prelude client -->",
        "",
        "<!-- doc: b=2 -->",
        "",
    ]
    assert settings_before(lines) == {"a": "1", "context": "near", "b": "2"}
    assert settings_before(["plain text"]) == {}


def test_a_missing_context_is_named() -> None:
    block = Block(ROOT / "README.md", 7, "pass\n", {"context": "nowhere"})
    missing = "README.md:7: context=nowhere: there is no tests/docs/contexts/nowhere.py.in"
    with pytest.raises(ValueError, match=re.escape(missing)):
        program(block)
