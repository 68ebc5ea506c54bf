"""The error of a push that cannot be read."""

from __future__ import annotations

from aioclicksend._exceptions import ClickSendError

__all__ = ["WebhookError"]


class WebhookError(ClickSendError, ValueError):
    """A push that cannot be read: a body that is not the form or JSON it says it is, or a field whose value
    its model refuses (a timestamp that is not a number…). A receiver answers it with 400.

    ``field`` names the first field at fault (its name as ClickSend sends it), or is ``None`` when the push
    as a whole is (not JSON, an unsupported content type, too large); ``problems`` lists every fault. The
    message never repeats a value of the push.
    """

    def __init__(self, kind: str, problems: list[str], *, field: str | None = None) -> None:
        self.kind = kind
        self.field = field
        self.problems = problems
        super().__init__(f"malformed {kind} push: " + "; ".join(problems))
