"""Every name the README uses imports from where the README says: a change of layout breaks no user."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

README_PATH = Path(__file__).resolve().parent.parent.parent / "README.md"
README = README_PATH.read_text()

FROM_IMPORT = re.compile(r"from (aioclicksend[\w.]*) import (?:\(([\w,\s]+)\)|([\w, ]+))")
DOTTED = re.compile(r"\b(aioclicksend(?:\.\w+)+)")
WEBHOOKS_NAME = re.compile(r"\bwebhooks\.(\w+)\b")
FILE_ENDINGS = {"py", "yaml", "md", "json", "db", "csv", "txt"}


def named_in_readme() -> set[str]:
    """``module:name`` for each ``from module import name``, each dotted ``aioclicksend.x.y`` and each
    ``webhooks.name`` the README shows (file names such as ``webhooks.yaml`` aside)."""
    names = {
        f"{module}:{name.strip()}"
        for module, in_parentheses, on_the_line in FROM_IMPORT.findall(README)
        for name in (in_parentheses or on_the_line).split(",")
        if name.strip()
    }
    names |= {dotted for dotted in DOTTED.findall(README) if dotted.rsplit(".", 1)[1] not in FILE_ENDINGS}
    names |= {
        f"aioclicksend.webhooks:{name}" for name in WEBHOOKS_NAME.findall(README) if name not in FILE_ENDINGS
    }
    return names


def resolve(reference: str) -> Any:
    """``module:name``, or a dotted name: the longest importable module, then attributes."""
    if ":" in reference:
        module, name = reference.split(":")
        return getattr(importlib.import_module(module), name)
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(reference)


def test_the_readme_names_enough_to_be_worth_checking() -> None:
    assert {"aioclicksend:AsyncClickSend", "aioclicksend.journal.JournalStore"} <= named_in_readme()


@pytest.mark.parametrize("reference", sorted(named_in_readme()))
def test_every_name_the_readme_uses_imports(reference: str) -> None:
    assert resolve(reference) is not None


def test_the_version_is_written_once_and_installed_as_written() -> None:
    """pyproject.toml reads the version from the package, and the installed metadata says the same."""
    from importlib.metadata import version

    import aioclicksend

    pyproject = (README_PATH.parent / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject
    assert version("aioclicksend") == aioclicksend.__version__
