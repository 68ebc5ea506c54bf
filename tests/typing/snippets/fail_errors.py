"""Attributes an error does not have, and types its attributes are not."""

import aioclicksend


def status_of(error: aioclicksend.APIStatusError) -> int:
    return error.status_code  # E: attr-defined reportAttributeAccessIssue


def code_of(error: aioclicksend.APIStatusError) -> int:
    return error.response_code  # E: return-value reportReturnType


def shout(error: aioclicksend.RequestValidationError) -> str:
    return error.problems + "!"  # E: operator reportOperatorIssue
