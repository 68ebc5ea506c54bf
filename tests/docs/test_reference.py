"""The API reference that docs/hooks.py writes at build time covers every resource class and every model."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


def documented(hooks: ModuleType, package: str) -> list[str]:
    """The objects the reference pages of one generated package render, in page order."""
    (_, resources, models) = next(entry for entry in hooks.reference() if entry[0].package == package)
    return [match["path"] for page in resources + models for match in DIRECTIVE.finditer(page.text)]


@pytest.mark.parametrize("package", ["aioclicksend._generated", "aioclicksend.kazoo._generated"])
def test_every_resource_class_and_model_has_its_directive_once(hooks: ModuleType, package: str) -> None:
    paths = documented(hooks, package)
    assert len(paths) == len(set(paths))
    resources = {
        f"{module.__name__}.{name}"
        for module in resource_modules(package)
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and cls.__module__ == module.__name__ and name.endswith("Resource")
    }
    models = importlib.import_module(f"{package}.models")
    every_model = {f"{package}.models.{module}.{name}" for name, module in models.MODULES.items()}
    assert resources and every_model
    assert set(paths) == resources | every_model


@pytest.mark.parametrize("package", ["aioclicksend._generated", "aioclicksend.kazoo._generated"])
def test_every_request_dict_and_enum_literal_has_its_directive_once(hooks: ModuleType, package: str) -> None:
    api = next(api for api, _, _ in hooks.reference() if api.package == package)
    page = hooks.params_page(api)
    paths = [match["path"] for match in DIRECTIVE.finditer(page.text)]
    names = importlib.import_module(f"{package}.params").__all__  # (aioclicksend.params: all of them)
    assert len(names) > 5 and all(name.endswith("Param") for name in names)
    assert paths == [f"{package}.params.{name}" for name in names]
    assert page.path == f"reference/{api.slug}/params.md"


def resource_modules(package: str) -> list[ModuleType]:
    folder = ROOT / "src" / Path(*package.split(".")) / "resources"
    names = sorted(path.stem for path in folder.glob("*.py") if path.stem != "__init__")
    return [importlib.import_module(f"{package}.resources.{name}") for name in names]


def test_a_resource_page_nests_its_groups_under_the_client_name(hooks: ModuleType) -> None:
    (_, resources, _) = hooks.reference()[0]
    sms = next(page for page in resources if page.title == "cs.sms")
    assert sms.path == "reference/clicksend/sms.md"
    headings = re.findall(r"^(#+) `(.+)`$", sms.text, re.MULTILINE)
    assert headings[0] == ("#", "cs.sms")
    assert ("##", "cs.sms.history") in headings and ("##", "cs.sms.templates") in headings


def test_a_sphinx_role_becomes_an_optional_link_to_where_its_object_is_defined(hooks: ModuleType) -> None:
    html = "see :class:<code>~aioclicksend.RawResponse</code> and :meth:<code>close</code>"
    assert hooks.on_page_content(html) == (
        'see <autoref identifier="aioclicksend._core.response.RawResponse" optional><code>RawResponse</code></autoref>'
        ' and <autoref identifier="close" optional><code>close</code></autoref>'
    )


def test_the_changelog_page_is_the_changelog_with_its_file_links_on_the_repository(hooks: ModuleType) -> None:
    repo = "https://github.com/aioclicksend/aioclicksend"
    page = hooks.changelog(repo + "/")
    written = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "[openapi/COVERAGE.md](openapi/COVERAGE.md)" in written  # a link the page has to carry over
    assert f"[openapi/COVERAGE.md]({repo}/blob/main/openapi/COVERAGE.md)" in page
    assert hooks.RELATIVE_LINK.search(page) is None  # no link left that the site cannot follow
    # Nothing else changes: undo the rewriting and the page is the file.
    assert page.replace(f"]({repo}/blob/main/", "](") == written
