"""mkdocs hook: writes the API reference of the generated code, and the changelog page, at build time
(nothing of them is committed).

One page per resource group of each client (``cs.sms``, ``kazoo.faxes``…), walked from the client's
resource tree, one page of models per part of each spec (``openapi/resources/<part>.yaml``) and one of the
request dicts (``aioclicksend.params``), each a list of mkdocstrings directives
(``::: aioclicksend._generated.resources.sms.SmsResource``) that mkdocstrings renders from the generated
docstrings: the spec's summaries, descriptions and field docs.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # (imported where used: tests/docs reads the reference's pages without mkdocs)
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "reference"
SPHINX_ROLE = re.compile(
    r":(?:class|meth|func|mod|attr|exc|data|obj):<code>(?P<short>~?)(?P<target>[\w.]+)</code>"
)
"""A Sphinx cross-reference of a docstring (``:class:`~aioclicksend.RawResponse```) as Markdown renders it."""


@dataclass(frozen=True)
class API:
    """One API the SDK generates a client for, and where its reference pages go."""

    title: str
    package: str  # the generated package: client, resources/, models/
    client_name: str  # how the guides name the client: cs.sms, kazoo.faxes
    slug: str
    spec_parts: tuple[Path, ...]  # the spec files whose schemas become models, one models page each


APIS = (
    API(
        "ClickSend",
        "aioclicksend._generated",
        "cs",
        "clicksend",
        (ROOT / "openapi/openapi.yaml", *sorted((ROOT / "openapi/resources").glob("*.yaml"))),
    ),
    API(
        "Kazoo faxes",
        "aioclicksend.kazoo._generated",
        "kazoo",
        "kazoo",
        (ROOT / "openapi/kazoo/openapi.yaml",),
    ),
)


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    text: str


RESOURCE_OPTIONS = """    options:
      merge_init_into_class: false
"""
"""A resource is reached through the client, never constructed: no constructor in its heading."""


def _sub_resources(cls: type) -> list[tuple[str, str]]:
    """(attribute, class name) of each resource a resource class nests, in source order."""
    found = []
    for name, member in vars(cls).items():
        if isinstance(member, functools.cached_property) and name != "with_raw_response":
            annotation = inspect.get_annotations(member.func)["return"]  # a string: the annotations are lazy
            found.append((name, annotation))
    return found


def _resource_page(api: API, attribute: str, annotation: str) -> Page:
    """The page of one top-level resource: its class and every class nested under it."""
    module_name = f"{api.package}.resources.{attribute}"
    module = importlib.import_module(module_name)
    root = f"{api.client_name}.{attribute}"
    lines = []
    pending = [(root, annotation)]
    while pending:
        dotted, class_name = pending.pop(0)
        lines += [f"{'#' if dotted == root else '##'} `{dotted}`", "", f"::: {module_name}.{class_name}"]
        lines.append(RESOURCE_OPTIONS)
        pending += [
            (f"{dotted}.{name}", nested) for name, nested in _sub_resources(getattr(module, class_name))
        ]
    return Page(f"{REFERENCE}/{api.slug}/{attribute}.md", root, "\n".join(lines))


def _models_page(api: API, spec_part: Path, modules: dict[str, str]) -> Page | None:
    """The models of one spec file, in the order it declares them (None if it declares none)."""
    schemas = (yaml.safe_load(spec_part.read_text(encoding="utf-8")).get("components") or {}).get(
        "schemas", {}
    )
    names = [name for name in schemas if name in modules]  # aliases of scalars (Money…) are no models
    if not names:
        return None
    if spec_part.name != "openapi.yaml":
        part = spec_part.stem
    else:  # the root: what the parts share, or the whole API when it has no parts (Kazoo)
        part = "shared" if len(api.spec_parts) > 1 else "all"
    lines = [f"# Models: {part}", "", f"Declared in `{spec_part.relative_to(ROOT)}`.", ""]
    lines += [f"::: {api.package}.models.{modules[name]}.{name}\n" for name in names]
    return Page(f"{REFERENCE}/{api.slug}/models/{part}.md", part, "\n".join(lines))


def params_page(api: API) -> Page:
    """The request dicts of one API: every TypedDict and enum ``Literal`` of its ``params`` module."""
    module = importlib.import_module(f"{api.package}.params")
    public = api.package.removesuffix("._generated")
    lines = [
        "# Request dicts",
        "",
        f"`{public}.params`: the nested request objects as TypedDicts (`SmsMessageParam`…) and the enums as",
        "`Literal`s, for your type checker and editor; a method takes the dict or the model alike.",
        "",
    ]
    lines += [f"::: {api.package}.params.{name}\n" for name in module.__all__]
    return Page(f"{REFERENCE}/{api.slug}/params.md", "Request dicts", "\n".join(lines))


def _pages(api: API) -> tuple[list[Page], list[Page]]:
    """The resource pages and the model pages of one API."""
    client = importlib.import_module(f"{api.package}.client").GeneratedClient
    resources = [_resource_page(api, name, annotation) for name, annotation in _sub_resources(client)]
    modules: dict[str, str] = importlib.import_module(f"{api.package}.models").MODULES
    models = [page for part in api.spec_parts if (page := _models_page(api, part, modules))]
    return resources, models


@functools.cache
def reference() -> list[tuple[API, list[Page], list[Page]]]:
    """Each API with its resource pages and its model pages."""
    return [(api, *_pages(api)) for api in APIS]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Puts the generated pages in the navigation, under the API reference."""
    section: list[Any] = next(item for item in config.nav if "API reference" in item)["API reference"]
    for api, resources, models in reference():
        entries = [{page.title: page.path} for page in resources]
        entries.append({"Models": [{page.title: page.path} for page in models]})
        params = params_page(api)
        entries.append({params.title: params.path})
        section.append({api.title: entries})
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds the generated pages to the site's files."""
    from mkdocs.structure.files import File

    for api, resources, models in reference():
        for page in [*resources, *models, params_page(api)]:
            files.append(File.generated(config, page.path, content=page.text))
    files.append(File.generated(config, CHANGELOG_PAGE, content=changelog(config.repo_url or "")))
    return files


CHANGELOG_PAGE = "changelog.md"
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)(?P<target>[^)\s]+)\)")
"""A Markdown link to a file of the repository (``[spec](openapi/COVERAGE.md)``), not to a site or heading."""


def changelog(repo_url: str) -> str:
    """CHANGELOG.md as a page of the site: its links to the repository's files point at the repository."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return RELATIVE_LINK.sub(lambda link: f"]({repo_url.rstrip('/')}/blob/main/{link['target']})", text)


def _link(match: re.Match[str]) -> str:
    """A Sphinx role as an autorefs link (``~``: titled by the last name), left as code where nothing on the
    site documents its target (``optional``: no warning)."""
    target = match["target"]
    title = target.rsplit(".", 1)[-1] if match["short"] else target
    return f'<autoref identifier="{_canonical(target)}" optional><code>{title}</code></autoref>'


PUBLIC_MODULES = ("aioclicksend", "aioclicksend.webhooks", "aioclicksend.journal", "aioclicksend.testing")
"""Where a bare name of a docstring (``:class:`JournalError```) is looked for."""


@functools.cache
def _canonical(target: str) -> str:
    """Where the object a docstring names is defined (the path its reference anchor has): a public name
    (``aioclicksend.RawResponse``, or a bare ``JournalError``) becomes its defining module's; a name that
    is no object of the SDK (a method relative to its class) stays as written."""
    first = target.partition(".")[0]
    homes = [target] if first == "aioclicksend" else [f"{module}.{target}" for module in PUBLIC_MODULES]
    for home in homes:
        found = _object_at(home)
        if inspect.ismodule(found):
            return found.__name__
        if inspect.isclass(found) or inspect.isroutine(found):
            return f"{found.__module__}.{found.__qualname__}"
        if found is not None:  # a constant: documented where it is exported
            return home
    return target


def _object_at(path: str) -> Any:
    """The object at a dotted path (its longest importable module, then attributes), or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute, None)
        return found
    return None


def on_page_content(html: str, **_: Any) -> str:
    """The docstrings' Sphinx roles as links (mkdocs-autorefs resolves them once all pages are read)."""
    return SPHINX_ROLE.sub(_link, html)
