"""Keeping a receiver's secret out of your web server's access log.

ClickSend's rules carry no header of yours, so the secret travels in the URL, and access logs write the URL
(aiohttp's ``"%r"``, uvicorn's request line, a Referer). :class:`SecretFilter` masks it there.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["MASK", "SecretFilter"]

MASK = "***"
"""What a secret is replaced with."""


class SecretFilter(logging.Filter):
    """A logging filter that replaces each secret given with ``***`` in what a logger logs (the message and
    its text extras: aiohttp's ``first_request_line``, its headers), each character of a secret as it is
    or percent-encoded, as clients and servers write URLs. Add it to the logger that writes the access
    log::

        logging.getLogger("aiohttp.access").addFilter(webhooks.SecretFilter(SECRET))  # uvicorn.access…

    A filter sees only the records of its own logger, not those of its children.
    """

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        if not secrets or not all(isinstance(secret, str) and secret for secret in secrets):
            raise ValueError("SecretFilter takes one or more non-empty secrets")
        # The longest first: a secret within another is masked with it, not left in pieces.
        ordered = sorted(set(secrets), key=len, reverse=True)
        self._secrets = re.compile("|".join("".join(map(_any_encoding, secret)) for secret in ordered))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: masked below, and the handler reports it
            message = ""
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        for name, value in list(vars(record).items()):
            if isinstance(value, (str, dict, tuple)):
                setattr(record, name, self._mask(value))
        return True

    def _mask(self, value: Any) -> Any:
        """``value`` with the secrets masked: a text, or the texts in a dict (aiohttp's header extras) or a
        tuple (the message's arguments)."""
        if isinstance(value, str):
            return self._secrets.sub(MASK, value)
        if isinstance(value, dict):
            return {key: self._mask(item) for key, item in value.items()}
        if isinstance(value, tuple):
            return tuple(self._mask(item) for item in value)
        return value


def _any_encoding(char: str) -> str:
    """A regular expression of ``char`` as it is or percent-encoded (hex digits in either case; ``+`` for a
    space, as in a form)."""
    encoded = "".join(f"%{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
    options = [re.escape(char), re.sub("[a-f]", lambda digit: f"[{digit[0]}{digit[0].upper()}]", encoded)]
    return "(?:" + "|".join([*options, *([r"\+"] if char == " " else [])]) + ")"
