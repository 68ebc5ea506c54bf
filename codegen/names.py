"""Python names for what the spec names: keyword arguments, table constants, model modules and schemas."""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection

from .bundle import SpecError
from .runtime import CALL_OPTIONS, SEND_OPTIONS, UPLOAD_OPTIONS

REF_PREFIX = "#/components/schemas/"
# Names an API argument cannot take: the method's own first parameter and the call options. Generated
# bodies reach everything else through ``self`` and the table module ``_operations``, and an API
# argument never starts with "_", so no other name of the templates can be shadowed.
RESERVED_NAMES = {"self", *(option.name for option in (*CALL_OPTIONS, *SEND_OPTIONS, *UPLOAD_OPTIONS))}
# Lower-case names a resource module imports: a method of that name would hide them from its annotations.
MODULE_NAMES = {"builtins", "datetime", "models", "params"}


def snake_case(name: str) -> str:
    """A CamelCase name in snake case, an acronym kept whole (``SmsMessage`` → ``sms_message``,
    ``MMSCampaign`` → ``mms_campaign``)."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)).lower()


def python_name(wire_name: str, reserved: Collection[str] = RESERVED_NAMES) -> str:
    """A keyword argument for a wire name: ``filter[status][]`` becomes ``filter_status``, ``from``
    becomes ``from_``; never a leading underscore, so it cannot shadow a name of the generated code."""
    name = re.sub(r"_+", "_", re.sub(r"\W", "_", wire_name)).strip("_") or "value"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in reserved:
        name += "_"
    return name


def field_name(wire_name: str) -> str:
    """A model's attribute for a field's wire name, as the generated models have it (``from`` is
    ``from_``, ``_keyword`` is ``keyword``): a method's option names are free for a field."""
    return python_name(wire_name, reserved=())


def is_lower_snake_case(name: str) -> bool:
    """Whether ``name`` can be a method or a push's kind: lower_snake_case, not a keyword."""
    return re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None and not keyword.iskeyword(name)


def schema_name(ref: str) -> str:
    if not ref.startswith(REF_PREFIX):
        raise SpecError(f"unsupported $ref {ref!r}: use {REF_PREFIX}<Name>")
    name = ref[len(REF_PREFIX) :]
    if not name.isidentifier() or not name[0].isupper():
        raise SpecError(f"schema name {name!r} must be a PascalCase identifier")
    return name


def param_name(schema: str) -> str:
    """The TypedDict (an enum: the ``Literal``) a caller may give for a schema: ``SmsMessageParam``."""
    return f"{schema}Param"
