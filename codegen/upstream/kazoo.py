"""The Kazoo faxes document (seed 004) read as the comparison's upstream: it is prose, not a spec, but two
parts of it are regular enough to read.

- Its endpoint lines (``PUT /v2/accounts/{ACCOUNT_ID}/faxes``, on a line of their own): the operations.
- Its schema table (after the ``KeyDescriptionType…`` header, a row per field: the dotted key glued to the
  description, then the type such as ``integer(0..4)``, ``string('get''post')`` or
  ``array(string())string()``): the fields of a fax job.

DECISION: the schema table is compared with the body of the send (``PUT /faxes``, inside the request
envelope ``data``), because it describes the fax job a send creates; the answers are shown by example
only, which is too little to compare types with. Other operations are compared by method and path alone.
"""

from __future__ import annotations

import re

from .shapes import OperationShape, Shape, UpstreamError, normalised_path

ENDPOINT = re.compile(r"^(GET|PUT|POST|PATCH|DELETE) (/\S+)$")
TABLE_HEADER = "KeyDescriptionType"
ROW_KEY = re.compile(r"^([a-z_][a-z0-9_.]*?)(?=[A-Z])")
"""A row's key: lower case, glued to its description, which starts with a capital."""
TYPE = re.compile(r"(string|integer|boolean|object|array|number)\(")
QUOTED = re.compile(r"[‘'’]([^‘'’]+)[‘'’]")
SEND = ("PUT", "/faxes")
SEND_ENVELOPE = "body data"


def seed_operations(text: str, base: str) -> dict[tuple[str, str], OperationShape]:
    """The document's endpoints (``base``: the servers' path, e.g. ``/v2/accounts/{}``), the send with
    the schema table's fields."""
    found: dict[tuple[str, str], OperationShape] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        endpoint = ENDPOINT.match(line.strip())
        if endpoint is not None:
            key = (endpoint[1], normalised_path(endpoint[2].split("?", 1)[0]))
            found.setdefault(key, OperationShape(key, f"004 line {number}"))
    send = found.get((SEND[0], normalised_path(base + SEND[1])))
    if send is None:
        raise UpstreamError(f"the document has no endpoint line {SEND[0]} {base}{SEND[1]}: is it seed 004?")
    send.fields.update(schema_table(lines))
    return found


def schema_table(lines: list[str]) -> dict[str, Shape]:
    """The schema table's fields as ``body data.<key>``."""
    if not any(line.startswith(TABLE_HEADER) for line in lines):
        raise UpstreamError(f"the document has no schema table (a line starting {TABLE_HEADER!r})")
    start = next(index for index, line in enumerate(lines) if line.startswith(TABLE_HEADER)) + 1
    fields: dict[str, Shape] = {}
    for row in lines[start:]:
        key = ROW_KEY.match(row)
        if not row.strip() or key is None:
            break
        fields[f"{SEND_ENVELOPE}.{key[1]}"] = row_shape(row[key.end() :])
    return fields


def row_shape(rest: str) -> Shape:
    """The type (or types, one after the other) after a row's description, with its quoted values as the
    enum: ``…documentstring(‘get''post’)`get`` → string, enum get and post."""
    first = TYPE.search(rest)
    if first is None:
        return Shape(frozenset())
    types: set[str] = set()
    values: list[str] = []
    position = first.start()
    while (token := TYPE.match(rest, position)) is not None:
        end = _closing(rest, token.end())
        types.add(token[1])
        if token[1] == "string":
            values += QUOTED.findall(rest[token.end() : end])
        position = end + 1
    return Shape(frozenset(types), frozenset(values) or None)


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis closing the one just before ``start``."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise UpstreamError(f"unbalanced parentheses in the schema table: {text!r:.80}")
