"""How two versions of a JSON schema differ for a caller of the SDK (used by :mod:`codegen.spec_diff`).

Whether a change breaks a caller depends on which way the value travels: a caller *gives* a request's
fields and arguments and *reads* an answer's. A wider type is more a caller may send (additive) but more a
caller must handle when reading (breaking); a narrower one the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .names import field_name, schema_name
from .runtime import SCALAR_TYPES

BREAKING, ADDITIVE, COSMETIC = "breaking", "additive", "cosmetic"
SEVERITY = {COSMETIC: 0, ADDITIVE: 1, BREAKING: 2}
REQUEST, ANSWER = "request", "answer"

RULES: dict[str, tuple[str, str]] = {
    # DECISION: a new enum value is additive in a request (one more value to send) and in an answer too,
    # because the generated enums are open (OpenStrEnum, OpenIntEnum take values the spec does not list):
    # a caller's code reads it without failing. A removed value is breaking either way, because its member
    # is gone from the generated enum (models.Status.OLD raises AttributeError).
    "enum value added": (ADDITIVE, ADDITIVE),
    "enum value removed": (BREAKING, BREAKING),
    "added": (ADDITIVE, ADDITIVE),
    "required added": (BREAKING, ADDITIVE),
    "removed": (BREAKING, BREAKING),
    "renamed": (BREAKING, BREAKING),
    "type widened": (ADDITIVE, BREAKING),
    "type narrowed": (BREAKING, ADDITIVE),
    "type changed": (BREAKING, BREAKING),
    "made required": (BREAKING, ADDITIVE),
    "made optional": (ADDITIVE, BREAKING),
    "deprecated": (ADDITIVE, ADDITIVE),
    "no longer deprecated": (ADDITIVE, ADDITIVE),
    # A bound on what may be sent (maxLength…) only constrains a request; in an answer it is documentation.
    "constraint tightened": (BREAKING, COSMETIC),
    "constraint loosened": (ADDITIVE, COSMETIC),
    "documentation": (COSMETIC, COSMETIC),
    "other": (COSMETIC, COSMETIC),
}
"""Each change's classification (in a request, in an answer)."""

DOC_KEYS = ("summary", "description", "title", "example", "examples", "externalDocs", "x-docs-section")
UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties")
LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties")
EXACT_CONSTRAINTS = ("pattern", "format", "const", "multipleOf", "uniqueItems")
COMPARED = {
    "type",
    "$ref",
    "enum",
    "properties",
    "required",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "deprecated",
    *DOC_KEYS,
    *UPPER_BOUNDS,
    *LOWER_BOUNDS,
    *EXACT_CONSTRAINTS,
}
"""The schema keywords compared one by one; a change to any other is reported as "other"."""


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a spec."""

    kind: str
    """What changed, e.g. "operation removed", "field renamed", "type narrowed", "enum value added"."""
    where: str
    """The SDK's name for it: ``sms.send``, ``sms.send(messages)``, ``models.SmsMessage.body``."""
    what: str
    """The change in words, e.g. "string → integer"."""
    classification: str
    """``breaking``, ``additive`` or ``cosmetic``, for a caller of the SDK."""


def classify(rule: str, roles: Iterable[str]) -> str:
    """The classification of a change under ``RULES``: its worst over the ways the value travels."""
    found = [RULES[rule][0 if role == REQUEST else 1] for role in roles]
    return max(found or [RULES[rule][1]], key=SEVERITY.__getitem__)


def strip_docs(node: Any) -> Any:
    """A schema without its documentation (descriptions, examples…): what two renamed twins share."""
    if isinstance(node, Mapping):
        return {key: strip_docs(value) for key, value in node.items() if key not in DOC_KEYS}
    if isinstance(node, list):
        return [strip_docs(value) for value in node]
    return node


PYTHON_KINDS = {"int": "integer", "float": "number", "Decimal": "number", "str": "string"}
"""The JSON type of each Python type a lenient scalar takes (another, e.g. ``datetime``, is its own kind)."""


def kinds(schema: Mapping[str, Any]) -> frozenset[str]:
    """The types a schema allows: JSON's; for a named schema its name, or for one the SDK takes as a
    lenient scalar (``SCALAR_TYPES``) the types it accepts (``UnixTimeInput``: integer | datetime, so that
    integer → UnixTimeInput is a widening); ``any`` for no type at all."""
    if "$ref" in schema:
        name = schema_name(schema["$ref"])
        if name not in SCALAR_TYPES:
            return frozenset({name})
        accepted = SCALAR_TYPES[name].argument.split(" | ")
        return frozenset(PYTHON_KINDS.get(kind, kind) for kind in accepted)
    parts = schema.get("oneOf") or schema.get("anyOf")
    if parts:
        return frozenset().union(*(kinds(part) for part in parts))
    declared = schema.get("type")
    if declared is None:
        if "properties" in schema or "allOf" in schema:
            return frozenset({"object"})
        return frozenset({"any"})
    return frozenset(declared if isinstance(declared, list) else [declared])


def covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Whether every value of the ``narrow`` types is one of the ``wide`` types (an integer is a number)."""
    return "any" in wide or all(kind in wide or (kind == "integer" and "number" in wide) for kind in narrow)


def object_view(schema: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """An object schema's properties and required names, those of its inline ``allOf`` parts merged in."""
    properties: dict[str, Any] = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        if "$ref" not in part:
            part_properties, part_required = object_view(part)
            properties.update(part_properties)
            required |= part_required
    return properties, required


@dataclass
class SchemaDiff:
    """The changes found so far, each classified by the ways its values travel (``roles``)."""

    roles: frozenset[str]
    changes: list[Change] = field(default_factory=list)

    def add(self, rule: str, where: str, what: str, kind: str = "") -> None:
        """A change under ``RULES[rule]``, of ``kind`` (the rule's name unless given)."""
        self.changes.append(Change(kind or rule, where, what, classify(rule, self.roles)))

    def schema(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Every difference between two versions of one schema (not into named schemas it refers to)."""
        if old == new:
            return
        self.deprecation(where, old, new)
        self._types(where, old, new)
        self._enum(where, old, new)
        self._constraints(where, old, new)
        if "$ref" not in old and "$ref" not in new:
            self.members(where, object_view(old), object_view(new), "field")
        documentation = [key for key in DOC_KEYS if old.get(key) != new.get(key)]
        if documentation:
            self.add("documentation", where, f"{', '.join(documentation)} changed")
        other = sorted(
            key for key in old.keys() | new.keys() if key not in COMPARED and old.get(key) != new.get(key)
        )
        if other:
            self.add("other", where, f"{', '.join(other)} changed")

    def members(
        self,
        where: str,
        old: tuple[Mapping[str, Any], set[str]],
        new: tuple[Mapping[str, Any], set[str]],
        noun: str,
    ) -> None:
        """Fields (``noun`` "field": ``where.name``) or a method's arguments ("argument": ``where(name)``)
        added, removed, renamed, made required or optional, changed."""
        (old_members, old_required), (new_members, new_required) = old, new
        removed = [name for name in old_members if name not in new_members]
        added = [name for name in new_members if name not in old_members]

        def named(name: str) -> str:
            """A field as a model's attribute, and a request dict's key (the wire name) if that differs."""
            attribute = field_name(name)
            return attribute if attribute == name or noun != "field" else f'{attribute} (key "{name}")'

        def place(name: str) -> str:
            return f"{where}.{named(name)}" if noun == "field" else f"{where}({name})"

        for old_name, new_name in renames(old_members, new_members, removed, added):
            self.add("renamed", place(old_name), f"renamed to {named(new_name)}", f"{noun} renamed")
            removed.remove(old_name)
            added.remove(new_name)
        for name in removed:
            self.add("removed", place(name), f"{noun} removed", f"{noun} removed")
        for name in added:
            required = name in new_required
            rule, kind = (
                ("required added", f"required {noun} added") if required else ("added", f"{noun} added")
            )
            self.add(rule, place(name), f"new {'required' if required else 'optional'} {noun}", kind)
        for name in [name for name in old_members if name in new_members]:
            if (name in old_required) != (name in new_required):
                rule = "made required" if name in new_required else "made optional"
                self.add(rule, place(name), f"{noun} {rule}")
            self.schema(place(name), old_members[name], new_members[name])

    def deprecation(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            rule = "deprecated" if new.get("deprecated") else "no longer deprecated"
            self.add(rule, where, rule)

    def _types(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_kinds, new_kinds = kinds(old), kinds(new)
        if old_kinds != new_kinds:
            what = f"{' | '.join(sorted(old_kinds))} → {' | '.join(sorted(new_kinds))}"
            if covers(new_kinds, old_kinds):
                self.add("type widened", where, what)
            elif covers(old_kinds, new_kinds):
                self.add("type narrowed", where, what)
            else:
                self.add("type changed", where, what)
        if "array" in old_kinds and "array" in new_kinds:
            self.schema(f"{where}[]", old.get("items") or {}, new.get("items") or {})

    def _enum(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_values, new_values = old.get("enum"), new.get("enum")
        if old_values is None or new_values is None:
            if (old_values is None) != (new_values is None):  # a free value became a list of some, or back
                self.add("type narrowed" if new_values is not None else "type widened", where, "enum")
            return
        for value in old_values:
            if value not in new_values:
                self.add("enum value removed", where, f"{value!r} removed")
        for value in new_values:
            if value not in old_values:
                self.add("enum value added", where, f"{value!r} added")

    def _constraints(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key in (*UPPER_BOUNDS, *LOWER_BOUNDS, *EXACT_CONSTRAINTS):
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if before is None or after is None:
                tightened = after is not None
            elif key in EXACT_CONSTRAINTS:
                tightened = True
            else:
                tightened = (after < before) == (key in UPPER_BOUNDS)
            rule = "constraint tightened" if tightened else "constraint loosened"
            self.add(rule, where, f"{key}: {before!r} → {after!r}")


def renames(
    old: Mapping[str, Any], new: Mapping[str, Any], removed: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """Pairs of a removed and an added name whose schemas are the same but for documentation, where
    each has exactly one such twin: a rename."""
    twins = {
        name: [other for other in added if strip_docs(new[other]) == strip_docs(old[name])]
        for name in removed
    }
    pairs = [(name, found[0]) for name, found in twins.items() if len(found) == 1]
    new_names = [new_name for _, new_name in pairs]
    return [(old_name, new_name) for old_name, new_name in pairs if new_names.count(new_name) == 1]
