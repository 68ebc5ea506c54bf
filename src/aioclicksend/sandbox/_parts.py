"""How many parts a message text is charged as: the sandbox's own count, written from GSM 03.38 and
ClickSend's docs rather than taken from the SDK, so that a counting mistake in either shows up against
the other (the tests compare them).

GSM 03.38's default alphabet takes one septet a character and its extension table (reached through the
escape code) two; a text with any other character goes as UCS-2, counted in UTF-16 code units (a
character outside the Basic Multilingual Plane, such as most emoji, takes two). ClickSend's docs ("How
many characters can I send in a message?" and the voice and MMS tables) give the sizes of a part.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PART_SIZES", "gsm_septets", "message_parts"]

DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x00-0x1F (0x1B is the escape code, not a character)
    " !\"#¤%&'()*+,-./0123456789:;<=>?"  # 0x20-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)
"""GSM 03.38's default alphabet, in code order."""
EXTENSION_TABLE = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
"""GSM 03.38's extension table: each is the escape code and this code, two septets."""
ONE_SEPTET = frozenset(DEFAULT_ALPHABET) - {"\x1b"}
TWO_SEPTETS = frozenset(EXTENSION_TABLE.values())


class PartSize(NamedTuple):
    """Characters in a message of one part, and in each part of a longer one."""

    single: int
    each: int

    def parts(self, length: int) -> int:
        if length <= self.single:
            return 1 if length else 0
        return -(-length // self.each)


PART_SIZES = {  # channel: (GSM-7 text, UCS-2 text)
    "sms": (PartSize(160, 153), PartSize(70, 67)),
    "voice": (PartSize(300, 300), PartSize(150, 150)),
    "mms": (PartSize(1500, 1500), PartSize(500, 500)),
}
"""ClickSend's docs: an SMS of 160 GSM characters (70 unicode) is one part, a longer one goes in parts of 153
(67, the rest of each part holding the header that joins them); a voice credit is 300 characters (150), an
MMS text one part of 1500 (500)."""


def gsm_septets(text: str) -> int | None:
    """The septets ``text`` takes in GSM-7, or None if a character of it is not in GSM 03.38."""
    septets = 0
    for character in text:
        if character in ONE_SEPTET:
            septets += 1
        elif character in TWO_SEPTETS:
            septets += 2
        else:
            return None
    return septets


def message_parts(text: str, channel: str) -> int:
    """The parts ``text`` is charged as on ``channel`` (``sms``, ``voice`` or ``mms``); 0 for no text."""
    if channel not in PART_SIZES:
        raise ValueError(f"channel: must be one of {sorted(PART_SIZES)}, not {channel!r}")
    gsm, ucs2 = PART_SIZES[channel]
    septets = gsm_septets(text)
    if septets is not None:
        return gsm.parts(septets)
    return ucs2.parts(len(text.encode("utf-16-le")) // 2)
