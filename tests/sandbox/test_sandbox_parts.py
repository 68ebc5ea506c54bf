"""The sandbox counts message parts on its own (GSM 03.38 and ClickSend's docs), and agrees with the SDK.

The sandbox must not import the SDK's counter: a counting mistake would then show up in neither. So its
count is checked by hand on known texts, then compared with the SDK's on a corpus of GSM-7,
extension-table and Unicode texts around every boundary of the docs' tables.
"""

from __future__ import annotations

import pytest

from aioclicksend import count_parts, sms_parts
from aioclicksend.sandbox._parts import PART_SIZES, gsm_septets, message_parts

EXTENDED = "€^{}[]~|\\\f"
"""GSM 03.38's extension table: two septets each."""

HAND_CHECKED = [
    ("", "sms", 0),
    ("hi", "sms", 1),
    ("a" * 160, "sms", 1),
    ("a" * 161, "sms", 2),  # 161 septets: two parts of at most 153
    ("a" * 306, "sms", 2),
    ("a" * 307, "sms", 3),
    ("€" * 80, "sms", 1),  # 160 septets
    ("€" * 80 + "a", "sms", 2),  # 161 septets in 81 characters
    ("a" * 159 + "^", "sms", 2),  # the last character takes two septets: 161
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", "sms", 1),  # the default alphabet's odd ones
    ("ж" * 70, "sms", 1),
    ("ж" * 71, "sms", 2),
    ("ж" * 134, "sms", 2),
    ("ж" * 135, "sms", 3),
    ("a" * 69 + "ç", "sms", 1),  # ç (small) is not GSM 03.38's Ç: 70 UCS-2 units
    ("a" * 70 + "ç", "sms", 2),
    ("😀" * 35, "sms", 1),  # an emoji is two UTF-16 units: 70
    ("😀" * 35 + "a", "sms", 2),
    ("中文" * 35, "sms", 1),
    ("中文" * 35 + "€", "sms", 2),  # with any non-GSM character, € too is one UCS-2 unit
    ("a" * 300, "voice", 1),
    ("a" * 301, "voice", 2),
    ("ж" * 150, "voice", 1),
    ("ж" * 151, "voice", 2),
    ("a" * 1500, "mms", 1),
    ("a" * 1501, "mms", 2),
    ("ж" * 500, "mms", 1),
    ("ж" * 501, "mms", 2),
]


@pytest.mark.parametrize(("text", "channel", "parts"), HAND_CHECKED, ids=lambda value: repr(value)[:24])
def test_the_sandbox_counts_parts_as_gsm_03_38_and_the_docs_say(text: str, channel: str, parts: int) -> None:
    assert message_parts(text, channel) == parts


def test_the_extension_table_takes_two_septets_and_other_characters_none() -> None:
    assert gsm_septets(EXTENDED) == 2 * len(EXTENDED)
    assert gsm_septets("Hello, world!") == 13
    assert gsm_septets("\x1b") is None  # the escape code itself is no character of a text
    assert gsm_septets("naïve") is None


def test_an_unknown_channel_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="channel: must be one of"):
        message_parts("hi", "pigeon")


def around(length: int) -> list[int]:
    return [length - 1, length, length + 1]


def corpus() -> list[str]:
    """Texts at and around every boundary of the SMS table, in every alphabet."""
    texts = [
        "",
        "Hello from the sandbox",
        EXTENDED,
        "Price: 5€ {net} [approx] ~ a|b \\ c^2",
        "emoji 😀🎉👍🏽",
        "中文短信测试",
        "Ελληνικά ΔΦΓ and ελληνικά",
        "ç and Ç",
    ]
    for length in (*around(160), *around(306), *around(459)):
        texts += ["a" * length, "€" * (length // 2) + "a" * (length % 2), "a" * (length - 1) + "]"]
    for length in (*around(70), *around(134), *around(201)):
        texts += ["ж" * length, "😀" * (length // 2) + "ж" * (length % 2), "中" * (length - 1) + "€"]
    return texts


@pytest.mark.parametrize("text", corpus(), ids=lambda text: f"{len(text)}:{text[:8]!r}")
def test_the_sandbox_and_the_sdk_count_the_same_parts(text: str) -> None:
    assert message_parts(text, "sms") == sms_parts(text).parts
    for channel in PART_SIZES:
        assert message_parts(text, channel) == count_parts(text, channel).parts, channel
