"""What changed between two versions of our specs (``openapi/`` for ClickSend, ``openapi/kazoo/`` for
Kazoo), each change classified for a caller of the SDK, and the version bump they imply.

``python -m codegen.spec_diff [OLD [NEW]]`` (``nox -s spec_diff -- OLD NEW``): OLD and NEW are git refs (a
tag, a commit, a branch) or directories (a checkout, or its ``openapi/`` folder); OLD defaults to the last
release tag (``v1.2.3``), NEW to the working tree. Each side is read as codegen reads it (``bundle``, then
the readers that fill the IR), so the diff sees the SDK codegen would generate: its methods, arguments,
models and their fields, and pushes.

DECISION: the bump follows semantic versioning with the 0.x rule of Cargo, because under it a caller's
``~=0.3.0`` (or ``>=0.3,<0.4``) pin stays safe: from 1.0 on, a breaking change bumps the major, an additive
one the minor, a cosmetic one the patch; before 1.0, a breaking change bumps the minor and anything else
the patch. No change at all: no bump.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aioclicksend._core.version import __version__

from .bundle import SpecError, bundle
from .generate import APIS, ROOT, referenced_schemas
from .git_tree import is_commit, write_folder
from .ir import Argument, Method
from .operations import read_api
from .parameters import resolve_parameter
from .schema_diff import (
    ADDITIVE,
    ANSWER,
    BREAKING,
    COSMETIC,
    DOC_KEYS,
    REQUEST,
    SEVERITY,
    Change,
    SchemaDiff,
    renames,
)
from .webhooks import read_webhooks

__all__ = ["Change", "Report", "SpecDiffError", "compare", "last_release_tag"]

API_FOLDERS = {source.spec_dir.relative_to(ROOT).as_posix(): source for source in APIS}
"""Each API's spec folder in a checkout: ``openapi``, ``openapi/kazoo``."""
LABELS = {"openapi": "", "openapi/kazoo": "kazoo."}
"""What the names of an API's methods and models begin with in the report."""
RELEASE_TAGS = ("v[0-9]*", "[0-9]*")
OPERATION_KEYS = {
    "operationId",
    "x-sdk-resource",
    "x-sdk-method",
    "parameters",
    "requestBody",
    "responses",
    "deprecated",
    "x-pagination",
    "x-cursor-items",
    "x-sdk-bulk",
    "x-sdk-binary",
    "x-sdk-multipart",
    *DOC_KEYS,
}
"""The keys of an operation compared one by one; a change to any other is reported as "other"."""
OPERATION_RULES = {
    "operation added": ADDITIVE,
    "operation removed": BREAKING,
    "operation renamed": BREAKING,
    "operation moved": COSMETIC,  # the same method, sent to the path and HTTP method the spec now says
    "paging": BREAKING,  # the method's return type changes
    "answer type changed": BREAKING,
    "model added": ADDITIVE,
    "model removed": BREAKING,
    "model renamed": BREAKING,
    "webhook added": ADDITIVE,
    "webhook removed": BREAKING,
}


class SpecDiffError(Exception):
    """Two versions cannot be compared (a ref that is not there, no release tag); the message says why."""


@dataclass(frozen=True)
class Report:
    """The changes from ``old`` to ``new`` (most severe first) and the bump they imply for ``version``."""

    old: str
    new: str
    changes: tuple[Change, ...]
    version: str
    """The version the bump applies to (the SDK's, when compared)."""

    def of(self, classification: str) -> list[Change]:
        return [change for change in self.changes if change.classification == classification]

    @property
    def breaking(self) -> list[Change]:
        return self.of(BREAKING)

    @property
    def bump(self) -> str | None:
        """``major``, ``minor``, ``patch`` or None (no change), by semver with the 0.x rule (see above)."""
        if not self.changes:
            return None
        worst = max(SEVERITY[change.classification] for change in self.changes)
        stable = not self.version.startswith("0.")
        if worst == SEVERITY[BREAKING]:
            return "major" if stable else "minor"
        return "minor" if worst == SEVERITY[ADDITIVE] and stable else "patch"

    @property
    def next_version(self) -> str:
        """``version`` bumped (the same when nothing changed)."""
        major, minor, patch = (int(part) for part in self.version.split(".")[:3])
        bumped = {
            "major": (major + 1, 0, 0),
            "minor": (major, minor + 1, 0),
            "patch": (major, minor, patch + 1),
        }
        return ".".join(str(part) for part in bumped.get(self.bump or "", (major, minor, patch)))

    def summary(self) -> str:
        counts = ", ".join(f"{len(self.of(kind))} {kind}" for kind in (BREAKING, ADDITIVE, COSMETIC))
        bump = f"{self.bump} ({self.version} → {self.next_version})" if self.bump else "none"
        plural = "" if len(self.changes) == 1 else "s"
        return f"{len(self.changes)} change{plural} ({counts}); version bump: {bump}"

    def text(self) -> str:
        """The report for a terminal: a summary line, then each change under its classification."""
        lines = [f"spec diff {self.old} → {self.new}: {self.summary()}"]
        for classification in (BREAKING, ADDITIVE, COSMETIC):
            found = self.of(classification)
            if found:
                lines += ["", f"{classification}:"]
                lines += [f"  {change.kind:<24} {change.where}: {change.what}" for change in found]
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """A CHANGELOG entry's sections (Keep a Changelog), without its version heading: removals under
        Removed, deprecations under Deprecated, other additions under Added, the rest under Changed;
        each breaking change marked."""
        sections: dict[str, list[str]] = {"Added": [], "Changed": [], "Deprecated": [], "Removed": []}
        for change in self.changes:
            sections[_section(change)].append(_entry(change))
        parts = [f"### {title}\n\n" + "\n".join(items) + "\n" for title, items in sections.items() if items]
        return "\n".join(parts)

    def as_json(self) -> str:
        report = {**asdict(self), "bump": self.bump, "next_version": self.next_version}
        return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def _section(change: Change) -> str:
    if change.kind.endswith("no longer deprecated"):
        return "Changed"
    if change.kind.endswith("deprecated"):
        return "Deprecated"
    if change.kind.endswith(("removed", "renamed")):
        return "Removed" if change.classification == BREAKING else "Changed"
    return "Added" if change.kind.endswith("added") and change.classification == ADDITIVE else "Changed"


def _entry(change: Change) -> str:
    mark = "**Breaking:** " if change.classification == BREAKING else ""
    return f"- {mark}`{change.where}`: {change.what} ({change.kind})"


def compare(
    old: str | Path, new: str | Path = ROOT, *, repo: Path = ROOT, version: str = __version__
) -> Report:
    """Every change from ``old`` to ``new`` (git refs of ``repo``, or directories), classified."""
    with _checkout(old, repo) as old_folders, _checkout(new, repo) as new_folders:
        changes = [
            change
            for folder in API_FOLDERS
            for change in _api_changes(LABELS[folder], _spec(old_folders[folder]), _spec(new_folders[folder]))
        ]
    changes.sort(key=lambda change: (-SEVERITY[change.classification], change.where, change.kind))
    return Report(str(old), str(new), tuple(changes), version)


def last_release_tag(repo: Path = ROOT) -> str | None:
    """The last release tag (``v1.2.3`` or ``1.2.3``) reachable from ``repo``'s HEAD, or None."""
    command = ["git", "-C", str(repo), "describe", "--tags", "--abbrev=0"]
    command += [f"--match={pattern}" for pattern in RELEASE_TAGS]
    found = subprocess.run(command, capture_output=True, text=True, check=False)
    if found.returncode != 0:  # git says "No names found" (or this is not a git checkout)
        return None
    return found.stdout.strip() or None


class _checkout:
    """A context giving each API's spec folder on one side: in a directory (a checkout, or its
    ``openapi/`` folder) as it is, or written out from a git ref to a scratch folder."""

    def __init__(self, source: str | Path, repo: Path) -> None:
        self.source, self.repo = source, repo
        self.scratch: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> dict[str, Path]:
        path = Path(self.source)
        if not path.is_dir():
            self.scratch = tempfile.TemporaryDirectory(prefix="spec-diff-")
            path = Path(self.scratch.name)
            try:
                _write_ref(str(self.source), self.repo, path)
            except BaseException:
                self.scratch.cleanup()
                raise
        elif not (path / "openapi" / "openapi.yaml").exists():
            if not (path / "openapi.yaml").exists():
                raise SpecDiffError(f"{path} is neither a checkout (openapi/openapi.yaml) nor a spec folder")
            return {folder: path / Path(folder).relative_to("openapi") for folder in API_FOLDERS}
        return {folder: path / folder for folder in API_FOLDERS}

    def __exit__(self, *exc_info: object) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()


def _write_ref(ref: str, repo: Path, target: Path) -> None:
    """The files under ``openapi/`` at ``ref`` of ``repo``, written under ``target``."""
    if not is_commit(repo, ref):
        raise SpecDiffError(f"{ref!r} is neither a directory nor a git ref of {repo}")
    write_folder(repo, ref, "openapi", target)  # (none at that commit: each API's spec is then empty)


def _spec(folder: Path) -> dict[str, Any]:
    """An API's bundled spec, or an empty one when that version has no such folder (not yet, or no more)."""
    if not (folder / "openapi.yaml").exists():
        return {}
    try:
        return bundle(folder)
    except SpecError as error:
        raise SpecDiffError(f"{folder}: {error}") from None


@dataclass(frozen=True)
class _Side:
    """One version of one API, as codegen reads it."""

    spec: dict[str, Any]
    methods: dict[str, Method]
    webhooks: dict[str, str]  # kind → payload schema
    roles: dict[str, frozenset[str]]  # schema name → the ways its values travel
    argument_models: frozenset[str]  # models whose fields are methods' arguments (and only that)

    @classmethod
    def read(cls, spec: dict[str, Any]) -> _Side:
        if not spec:
            return cls(spec, {}, {}, {}, frozenset())
        methods = {method.qualified_name: method for method in read_api(spec).methods}
        operations = [operation for item in spec.get("paths", {}).values() for operation in item.values()]
        sent = [
            [
                operation.get("requestBody", {}),
                *(resolve_parameter(spec, raw, "") for raw in operation.get("parameters", [])),
            ]
            for operation in operations
        ]
        requests = referenced_schemas(spec, sent)
        answers = referenced_schemas(
            spec, [[op.get("responses", {}) for op in operations], spec.get("webhooks")]
        )
        bodies = {method.body.model for method in methods.values() if method.body}
        schemas = spec.get("components", {}).get("schemas", {})
        nested = referenced_schemas(spec, [schemas[name] for name in bodies]) | answers
        roles = {
            name: frozenset({REQUEST} if name in requests else set())
            | ({ANSWER} if name in answers else set())
            for name in schemas
        }
        webhooks = {webhook.kind: webhook.payload for webhook in read_webhooks(spec)}
        return cls(spec, methods, webhooks, roles, frozenset(bodies - nested))

    @property
    def schemas(self) -> dict[str, Any]:
        return self.spec.get("components", {}).get("schemas", {})  # type: ignore[no-any-return]

    def operation(self, method: Method) -> dict[str, Any]:
        return self.spec["paths"][method.path][method.http_method.lower()]  # type: ignore[no-any-return]

    def argument_schemas(self, method: Method) -> dict[str, Any]:
        """Each argument's schema, a parameter's own description and deprecation merged in."""
        parameters = {
            parameter["name"]: parameter
            for raw in self.operation(method).get("parameters", [])
            for parameter in [resolve_parameter(self.spec, raw, method.qualified_name)]
        }
        return {
            argument.name: self._argument_schema(method, argument, parameters)
            for argument in method.arguments
        }

    def _argument_schema(self, method: Method, argument: Argument, parameters: Mapping[str, Any]) -> Any:
        if argument.location == "body":
            assert method.body is not None
            return self.schemas[method.body.model]["properties"][argument.wire_name]
        parameter = parameters[argument.wire_name]
        own = {key: parameter[key] for key in ("description", "deprecated", "example") if key in parameter}
        return {**parameter.get("schema", {}), **own}


def _api_changes(label: str, old_spec: dict[str, Any], new_spec: dict[str, Any]) -> list[Change]:
    if old_spec == new_spec:
        return []
    try:
        old, new = _Side.read(old_spec), _Side.read(new_spec)
    except SpecError as error:
        raise SpecDiffError(f"{label or 'ClickSend'} spec: {error}") from None
    changes = _operation_changes(label, old, new)
    changes += _model_changes(label, old, new)
    changes += _webhook_changes(label, old, new)
    return changes


def _fixed(kind: str, where: str, what: str) -> Change:
    return Change(kind, where, what, OPERATION_RULES[kind])


def _operation_changes(label: str, old: _Side, new: _Side) -> list[Change]:
    """Methods added, removed, renamed (the same path and HTTP method under another name), changed."""
    removed = [old.methods[name] for name in sorted(old.methods.keys() - new.methods.keys())]
    added = {
        (method.http_method, method.path): method
        for method in (new.methods[name] for name in sorted(new.methods.keys() - old.methods.keys()))
    }
    changes = []
    for method in removed:
        twin = added.pop((method.http_method, method.path), None)
        route = f"{method.http_method} {method.path}"
        if twin is not None:
            changes.append(
                _fixed(
                    "operation renamed",
                    label + method.qualified_name,
                    f"now {label}{twin.qualified_name} ({route})",
                )
            )
        else:
            changes.append(_fixed("operation removed", label + method.qualified_name, route))
        if method.bulk is not None:
            changes.append(
                _fixed("operation removed", f"{label}{method.qualified_name}_bulk", "the bulk send")
            )
    for method in added.values():
        changes.append(
            _fixed("operation added", label + method.qualified_name, f"{method.http_method} {method.path}")
        )
        if method.bulk is not None:
            changes.append(_fixed("operation added", f"{label}{method.qualified_name}_bulk", "the bulk send"))
    for name in sorted(old.methods.keys() & new.methods.keys()):
        changes += _method_changes(label + name, old, old.methods[name], new, new.methods[name])
    return changes


def _method_changes(
    where: str, old: _Side, old_method: Method, new: _Side, new_method: Method
) -> list[Change]:
    """How one method changed: where it is sent, what it returns, its arguments, answer and documentation."""
    changes = _shape_changes(where, old_method, new_method)
    old_operation, new_operation = old.operation(old_method), new.operation(new_method)
    requests = SchemaDiff(frozenset({REQUEST}))
    requests.deprecation(where, old_operation, new_operation)
    requests.members(where, _signature(old, old_method), _signature(new, new_method), "argument")
    answers = SchemaDiff(frozenset({ANSWER}))
    answers.schema(f"{where}() answer", old_method.response.data or {}, new_method.response.data or {})
    changes += requests.changes + answers.changes
    documentation = _documentation(old_operation, new_operation)
    if documentation:
        changes.append(Change("documentation", where, f"{', '.join(documentation)} changed", COSMETIC))
    other = sorted(
        key
        for key in old_operation.keys() | new_operation.keys()
        if key not in OPERATION_KEYS and old_operation.get(key) != new_operation.get(key)
    )
    if other:
        changes.append(Change("other", where, f"{', '.join(other)} changed", COSMETIC))
    return changes


def _shape_changes(where: str, old: Method, new: Method) -> list[Change]:
    """Where a method is sent, what it returns (paged or not, a document or not), its bulk send."""
    changes = []
    old_route, new_route = f"{old.http_method} {old.path}", f"{new.http_method} {new.path}"
    if old_route != new_route:
        changes.append(_fixed("operation moved", where, f"{old_route} → {new_route}"))
    if old.paging != new.paging or old.response.binary != new.response.binary:
        kind = "paging" if old.paging != new.paging else "answer type changed"
        changes.append(_fixed(kind, where, f"returns {new.return_annotation}, not {old.return_annotation}"))
    if (old.bulk is None) != (new.bulk is None):
        kind = "operation added" if new.bulk else "operation removed"
        changes.append(_fixed(kind, f"{where}_bulk", "the bulk send"))
    return changes


def _signature(side: _Side, method: Method) -> tuple[dict[str, Any], set[str]]:
    """A method's keyword arguments (the API's, then its call options such as ``file=``) with their
    schemas, and the names of those it requires."""
    arguments = side.argument_schemas(method)
    arguments.update({option.name: {"x-call-option": option.annotation} for option in method.options})
    return arguments, {argument.name for argument in method.arguments if argument.required}


def _documentation(old: Any, new: Any, path: str = "") -> list[str]:
    """Where two operations' documentation (descriptions, summaries, examples) differs, schemas and
    parameters aside (their documentation is compared with them, as models and arguments)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found = [f"{path}{key}" for key in DOC_KEYS if old.get(key) != new.get(key)]
        for key in sorted(old.keys() & new.keys() - {*DOC_KEYS, "schema", "parameters"}, key=str):
            found += _documentation(old[key], new[key], f"{path}{key}.")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            found
            for index, pair in enumerate(zip(old, new, strict=True))
            for found in _documentation(*pair, f"{path}{index}.")
        ]
    return []


def _model_changes(label: str, old: _Side, new: _Side) -> list[Change]:
    """Models added, removed or renamed (``aioclicksend.models``), and each one's fields changed."""
    removed = sorted(old.schemas.keys() - new.schemas.keys())
    added = sorted(new.schemas.keys() - old.schemas.keys())
    changes = []
    for old_name, new_name in renames(old.schemas, new.schemas, removed, added):
        changes.append(_fixed("model renamed", f"{label}models.{old_name}", f"now {label}models.{new_name}"))
        removed.remove(old_name)
        added.remove(new_name)
    changes += [_fixed("model removed", f"{label}models.{name}", "model removed") for name in removed]
    changes += [_fixed("model added", f"{label}models.{name}", "new model") for name in added]
    for name in sorted(old.schemas.keys() & new.schemas.keys()):
        old_schema, new_schema = old.schemas[name], new.schemas[name]
        if name in old.argument_models and name in new.argument_models:  # its fields: methods' arguments
            old_schema, new_schema = _without_fields(old_schema), _without_fields(new_schema)
        roles = old.roles.get(name, frozenset()) | new.roles.get(name, frozenset())
        diff = SchemaDiff(roles or frozenset({ANSWER}))  # a schema nothing refers to: read, if anything
        diff.schema(f"{label}models.{name}", old_schema, new_schema)
        changes += diff.changes
    return changes


def _without_fields(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in ("properties", "required")}


def _webhook_changes(label: str, old: _Side, new: _Side) -> list[Change]:
    """Pushes added or removed, or carrying another payload (what a receiver of them reads)."""
    changes = [
        _fixed("webhook removed", f"{label}webhooks.{kind}", "push removed")
        for kind in sorted(old.webhooks.keys() - new.webhooks.keys())
    ]
    changes += [
        _fixed("webhook added", f"{label}webhooks.{kind}", "new push")
        for kind in sorted(new.webhooks.keys() - old.webhooks.keys())
    ]
    for kind in sorted(old.webhooks.keys() & new.webhooks.keys()):
        if old.webhooks[kind] != new.webhooks[kind]:
            what = f"{old.webhooks[kind]} → {new.webhooks[kind]}"
            changes.append(Change("type changed", f"{label}webhooks.{kind}", what, BREAKING))
    return changes


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m codegen.spec_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("old", nargs="?", help="a git ref or a directory (default: the last release tag)")
    parser.add_argument("new", nargs="?", help="a git ref or a directory (default: the working tree)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument(
        "--fail-on", choices=(BREAKING, ADDITIVE, COSMETIC), help="exit 1 if a change is this severe or more"
    )
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git checkout refs are read from")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    old = arguments.old or last_release_tag(arguments.repo)
    if old is None:
        print(
            "spec diff: no release tag yet (none like v1.2.3), so nothing to compare with by default: "
            "give OLD, a git ref or a directory (e.g. `nox -s spec_diff -- HEAD`)",
            file=sys.stderr,
        )
        return 2
    try:
        report = compare(old, arguments.new or arguments.repo, repo=arguments.repo)
    except SpecDiffError as error:
        print(f"spec diff: {error}", file=sys.stderr)
        return 2
    rendered = {"text": report.text, "markdown": report.markdown, "json": report.as_json}[arguments.format]()
    sys.stdout.write(rendered)
    threshold = arguments.fail_on
    failing = threshold is not None and any(
        SEVERITY[c.classification] >= SEVERITY[threshold] for c in report.changes
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
