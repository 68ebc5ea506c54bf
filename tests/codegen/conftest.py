"""Fixtures of the codegen tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aioclicksend._core import operation


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A folder on the import path with an empty package ``scratchapi`` in it; afterwards its modules, and
    the models the runtime found in them (cached by module name), are forgotten."""
    (tmp_path / "scratchapi").mkdir()
    (tmp_path / "scratchapi" / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    yield tmp_path / "scratchapi"
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("scratchapi")]:
        del sys.modules[name]
    operation._model.cache_clear()
    operation._resolve.cache_clear()
