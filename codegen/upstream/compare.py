"""What an upstream spec has that ours lacks or contradicts, operation by operation, and its report.

DECISION: a type differs when a value one side allows would fail on the other, read in the direction it
travels: an answer field when ours cannot read every type upstream says it sends (ours reading both
``"0.05"`` and ``0.05`` where upstream says ``number`` is no difference); a path, query or body field
when upstream does not take every type ours sends. ``number`` includes ``integer``, and a ``string`` in
the URL any scalar (ours sending ``/lists/5`` where upstream says the id is a string is no difference).
Enums are compared when both sides declare one (our answer schemas declare none, on purpose: an unknown
value must not break a read).
A missing field is reported once, at the outermost field ours lacks, not again for everything below it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .shapes import OperationShape, Shape

LAST_STEP = re.compile(r"(\.[^.\[\]]+|\[\])$")
"""The last step of a field's path: ``.name`` or an array's ``[]``."""

Operations = Mapping[tuple[str, str], OperationShape]


@dataclass(frozen=True)
class FieldDifference:
    operation: str
    """The operation's label (method, path, name)."""
    field: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.operation}: {self.field}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Comparison:
    """The four groups of the report; ``ours_only_fields`` counts fields only ours has (from the docs)."""

    missing: list[OperationShape] = field(default_factory=list)
    extra: list[OperationShape] = field(default_factory=list)
    fields: list[FieldDifference] = field(default_factory=list)
    types: list[FieldDifference] = field(default_factory=list)
    ours_only_fields: int = 0

    @property
    def differs(self) -> bool:
        """Whether upstream has something ours lacks or contradicts (ours-only operations do not count)."""
        return bool(self.missing or self.fields or self.types)


def compare(ours: Operations, theirs: Operations) -> Comparison:
    """Ours against ``theirs`` (the upstream spec), both keyed by method and normalised path."""
    result = Comparison(
        missing=[theirs[key] for key in sorted(set(theirs) - set(ours))],
        extra=[ours[key] for key in sorted(set(ours) - set(theirs))],
    )
    for key in sorted(set(ours) & set(theirs)):
        label = f"{key[0]} {key[1]} (ours {ours[key].name}, upstream {theirs[key].name})"
        our_fields, their_fields = ours[key].fields, theirs[key].fields
        for name, shape in their_fields.items():
            if name not in our_fields:
                if not any(parent in their_fields and parent not in our_fields for parent in _parents(name)):
                    result.fields.append(FieldDifference(label, name, "upstream has it, ours lacks it"))
                continue
            result.types += [
                FieldDifference(label, name, detail)
                for detail in _contradictions(name, our_fields[name], shape)
            ]
        result.ours_only_fields += len(set(our_fields) - set(their_fields))
    return result


def _parents(name: str) -> list[str]:
    """The fields ``name`` is inside: ``body a[].b`` → ``body a[]``, ``body a``."""
    found = []
    while (step := LAST_STEP.search(name)) is not None and step.start() > name.index(" "):
        name = name[: step.start()]
        found.append(name)
    return found


URL_PARTS = ("path ", "query ")
SCALARS = frozenset({"string", "integer", "number", "boolean"})


def _widened(types: frozenset[str], name: str) -> frozenset[str]:
    """The types a field of ``types`` takes: ``number`` takes integers; in a URL, ``string`` takes every
    scalar (a path or query value is text on the wire)."""
    if name.startswith(URL_PARTS) and "string" in types:
        types |= SCALARS
    return types | {"integer"} if "number" in types else types


def _contradictions(name: str, ours: Shape, theirs: Shape) -> list[str]:
    """How the field's types and enum differ, as the report says it ([] when they agree)."""
    found = []
    if ours.types and theirs.types:
        answer = name.startswith("answer ")
        sent, read = (theirs.types, ours.types) if answer else (ours.types, theirs.types)
        if not sent <= _widened(read, name):
            found.append(f"type: ours {_listed(ours.types)}, upstream {_listed(theirs.types)}")
    if ours.enum is not None and theirs.enum is not None and ours.enum != theirs.enum:
        upstream_only, ours_only = _listed(theirs.enum - ours.enum), _listed(ours.enum - theirs.enum)
        found.append(f"enum: upstream only {upstream_only}, ours only {ours_only}")
    return found


def _listed(values: frozenset[str]) -> str:
    return "|".join(sorted(values)) or "-"


def render(comparison: Comparison, title: str, notes: list[str]) -> str:
    """The report: a heading, ``notes`` (where the file came from, whether it is the pinned one), then the
    four groups, each with its count."""
    lines = [f"# {title}", "", *notes, ""]
    groups = [
        ("Missing operations (upstream has them, ours lacks them)", [o.label for o in comparison.missing]),
        ("Extra operations (ours only: from the docs, fine)", [o.label for o in comparison.extra]),
        ("Field differences (fields upstream has that ours lacks)", [d.line() for d in comparison.fields]),
        ("Type differences (types and enums that contradict)", [d.line() for d in comparison.types]),
    ]
    for heading, entries in groups:
        lines += [f"## {heading}: {len(entries)}", *(f"- {entry}" for entry in entries), ""]
    lines.append(f"Fields only ours has, on operations both have: {comparison.ours_only_fields}")
    return "\n".join(lines) + "\n"
