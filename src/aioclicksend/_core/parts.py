"""How many parts (credits) a text message takes, by the tables in ClickSend's docs.

The SMS table (Send SMS, "How many characters can I send in a message?"): up to 160 GSM 03.38
characters is one part, longer texts go in parts of 153; a text with any character outside GSM 03.38
is sent as unicode: 70 characters in one part, else parts of 67. The docs say a message longer than 6
parts is truncated (their table goes on to 8 parts, which we read as what would be charged).
The voice table: 300 characters a credit (unicode 150), truncated beyond 4 credits. An MMS text is
one part of at most 1500 characters (unicode 500), truncated beyond that.

Counting follows GSM 03.38, which the docs link: a character of the extension table (``^{}\\[~]|€``
and form feed) takes two of the 160, and a unicode text is counted in UTF-16 units, so an emoji
outside the Basic Multilingual Plane takes two.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from .exceptions import RequestValidationError

__all__ = ["MessageParts", "count_parts", "sms_parts", "voice_parts"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 basic character set (one septet each)."""
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
"""Characters reached through the escape code (two septets each)."""

Encoding = Literal["gsm", "unicode"]


class MessageParts(NamedTuple):
    """What a text costs: its encoding, its length in that encoding, its parts and whether it fits."""

    encoding: Encoding
    length: int
    """Characters as the network counts them: GSM septets, or UTF-16 units for unicode."""
    parts: int
    """Parts, i.e. credits per recipient (0 for an empty text)."""
    max_parts: int
    """Parts beyond which ClickSend truncates the message."""

    max_length: int
    """The longest text in this encoding that is not truncated."""

    @property
    def truncated(self) -> bool:
        """Whether ClickSend would cut the message short."""
        return self.parts > self.max_parts


class _Rule(NamedTuple):
    single: int
    """Most characters in a message of one part."""
    per_part: int
    """Characters per part once the message needs more than one."""

    def parts(self, length: int) -> int:
        if length <= self.single:
            return 1 if length else 0
        return math.ceil(length / self.per_part)

    def max_length(self, max_parts: int) -> int:
        return max(self.single, self.per_part * max_parts)


_RULES = {  # channel: (parts before truncation, rule per encoding)
    "sms": (6, {"gsm": _Rule(160, 153), "unicode": _Rule(70, 67)}),
    "voice": (4, {"gsm": _Rule(300, 300), "unicode": _Rule(150, 150)}),
    "mms": (1, {"gsm": _Rule(1500, 1500), "unicode": _Rule(500, 500)}),
}
CHANNELS = tuple(_RULES)
"""The channels :func:`count_parts` knows: the text rules a send of the spec may name (codegen reads them)."""


def _measure(text: str) -> tuple[Encoding, int]:
    septets = 0
    for character in text:
        if character in GSM_BASIC:
            septets += 1
        elif character in GSM_EXTENSION:
            septets += 2
        else:
            return "unicode", len(text.encode("utf-16-le")) // 2
    return "gsm", septets


_SHORTEST_LIMIT = {
    channel: min(rule.max_length(max_parts) for rule in rules.values())
    for channel, (max_parts, rules) in _RULES.items()
}


def surely_fits(text: str, channel: str) -> bool:
    """A quick check: True if ``text`` is short enough never to be truncated, whatever its characters."""
    return 2 * len(text) <= _SHORTEST_LIMIT[channel]  # at most 2 units a character (UTF-16 surrogates)


def surely_fit(texts: list[str], channel: str) -> bool:
    """:func:`surely_fits` of every text at once."""
    return not texts or surely_fits(max(texts, key=len), channel)


def count_parts(text: str, channel: str) -> MessageParts:
    """Parts of a message text by the docs' table of ``channel``: ``sms``, ``voice`` or ``mms``."""
    if not isinstance(text, str):
        raise RequestValidationError("count_parts", [f"text: must be a str, not {type(text).__name__}"])
    if channel not in _RULES:
        raise RequestValidationError(
            "count_parts", [f"channel: must be one of {sorted(_RULES)}, not {channel!r}"]
        )
    max_parts, rules = _RULES[channel]
    try:
        encoding, length = _measure(text)
    except UnicodeEncodeError as error:  # a lone surrogate, as json.loads('"\\ud83d"') makes
        problem = f"text: a text with an unpaired surrogate at {error.start} cannot be sent"
        raise RequestValidationError("count_parts", [problem]) from None
    rule = rules[encoding]
    return MessageParts(encoding, length, rule.parts(length), max_parts, rule.max_length(max_parts))


def sms_parts(text: str) -> MessageParts:
    """Parts and encoding of an SMS body, e.g. ``sms_parts("hi").parts == 1``."""
    return count_parts(text, "sms")


def voice_parts(text: str) -> MessageParts:
    """Credits and encoding of a voice (text-to-speech) message body."""
    return count_parts(text, "voice")
