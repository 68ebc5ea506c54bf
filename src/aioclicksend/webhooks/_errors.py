"""The error of a push that cannot be read."""

from __future__ import annotations

from aioclicksend._core.exceptions import ClickSendError

__all__ = ["WebhookError"]


class WebhookError(ClickSendError, ValueError):
    """A push that cannot be read: a body that is not the form or JSON it says it is, or a field whose value
    its model refuses (a timestamp that is not a number…). A receiver answers it with 400.

    ``field`` names the first field at fault (its name as ClickSend sends it), or is ``None`` when the push
    as a whole is (not JSON, an unsupported content type, too large); ``problems`` lists every fault, its
    control characters escaped (a field name's CR/LF cannot forge a line of a log). The message never
    repeats a value of the push.
    """

    def __init__(self, kind: str, problems: list[str], *, field: str | None = None) -> None:
        self.kind = kind
        self.field = field
        self.problems = [printable(problem) for problem in problems]
        super().__init__(f"malformed {kind} push: " + "; ".join(self.problems))


def printable(text: str) -> str:
    """``text`` with every character Python does not print (CR, LF, NUL, a line separator, a bidi
    override…) escaped as in a string literal (``\\r``, ``\\u2028``)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode() for char in text)
