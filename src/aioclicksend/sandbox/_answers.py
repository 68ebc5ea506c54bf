"""ClickSend's answer envelope, and the refusals that checks and behaviours raise to answer with one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

# The docs' test credentials (section "Testing"): any key, these usernames answer as those accounts do.
TEST_ACCOUNTS = {
    "nocredit": (403, "INSUFFICIENT_CREDIT", "You have reached the end of your message credits."),
    "notactive": (403, "ACCOUNT_NOT_ACTIVATED", "Your account has not been activated."),
    "banned": (403, "ACCOUNT_BANNED", "This account is banned."),
}


def envelope(status: int, code: str, message: str, data: Any = None) -> web.Response:
    return web.json_response(
        {"http_code": status, "response_code": code, "response_msg": message, "data": data}, status=status
    )


class Refusal(Exception):
    """Raised to answer with an error envelope: ClickSend's (:attr:`response`), or that of the API the
    request is for (the Kazoo routes render it in Kazoo's shape)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        """ClickSend's word for the error (``BAD_REQUEST``); another API may have its own."""
        self.message = message

    @property
    def response(self) -> web.Response:
        """The refusal as ClickSend answers it."""
        return envelope(self.status, self.code, self.message)


def bad_request(message: str) -> Refusal:
    """A 400 ``BAD_REQUEST``; ``message`` names the field at fault."""
    return Refusal(400, "BAD_REQUEST", message)
