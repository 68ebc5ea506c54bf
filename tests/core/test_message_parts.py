"""The part counter against the docs' tables (Send SMS and Send Voice: "How many characters…")."""

from __future__ import annotations

import pytest

from aioclicksend import RequestValidationError, count_parts, sms_parts, voice_parts

# (characters, credits) rows of the docs' SMS tables: the last length of each row.
SMS_GSM_TABLE = [(160, 1), (306, 2), (459, 3), (612, 4), (765, 5), (918, 6), (1071, 7), (1224, 8)]
SMS_UNICODE_TABLE = [(70, 1), (134, 2), (201, 3), (268, 4), (335, 5), (402, 6), (469, 7), (536, 8)]
VOICE_GSM_TABLE = [(300, 1), (600, 2), (900, 3), (1200, 4)]
VOICE_UNICODE_TABLE = [(150, 1), (300, 2), (450, 3), (600, 4)]


@pytest.mark.parametrize(("length", "parts"), SMS_GSM_TABLE)
def test_sms_gsm_table(length: int, parts: int) -> None:
    assert sms_parts("a" * length).parts == parts
    assert sms_parts("a" * (length + 1)).parts == parts + 1
    assert sms_parts("a" * length).encoding == "gsm"


@pytest.mark.parametrize(("length", "parts"), SMS_UNICODE_TABLE)
def test_sms_unicode_table(length: int, parts: int) -> None:
    text = "ж" * length
    assert (sms_parts(text).parts, sms_parts(text + "ж").parts) == (parts, parts + 1)
    assert sms_parts(text).encoding == "unicode"


@pytest.mark.parametrize(("length", "parts"), VOICE_GSM_TABLE)
def test_voice_tables(length: int, parts: int) -> None:
    assert voice_parts("a" * length).parts == parts
    assert voice_parts("a" * (length + 1)).parts == parts + 1
    unicode_length = {credits: characters for characters, credits in VOICE_UNICODE_TABLE}[parts]
    assert (voice_parts("ж" * unicode_length).parts, voice_parts("ж" * (unicode_length + 1)).parts) == (
        parts,
        parts + 1,
    )


def test_truncation_beyond_six_sms_parts_and_four_voice_credits() -> None:
    assert not sms_parts("a" * 918).truncated and sms_parts("a" * 919).truncated
    assert sms_parts("a").max_length == 918 and sms_parts("ж").max_length == 402
    assert not voice_parts("a" * 1200).truncated and voice_parts("a" * 1201).truncated
    assert not count_parts("a" * 1500, "mms").truncated and count_parts("a" * 1501, "mms").truncated
    assert count_parts("ж" * 501, "mms").truncated


def test_gsm_details() -> None:
    assert sms_parts("").parts == 0
    assert sms_parts("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà").encoding == "gsm"
    # The extension table takes two septets each: 80 of them fill one part, 81 need two.
    assert sms_parts("€" * 80) == sms_parts("{" * 80)
    assert (sms_parts("€" * 80).length, sms_parts("€" * 80).parts, sms_parts("[" * 81).parts) == (160, 1, 2)
    # One character outside GSM 03.38 makes the whole text unicode; an emoji is two UTF-16 units.
    assert sms_parts("a" * 100 + "ç").encoding == "unicode" and sms_parts("a" * 100 + "ç").parts == 2
    assert (sms_parts("😀" * 35).length, sms_parts("😀" * 35).parts, sms_parts("😀" * 36).parts) == (70, 1, 2)


def test_bad_input_is_named() -> None:
    with pytest.raises(RequestValidationError, match="text: must be a str, not int"):
        sms_parts(5)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="channel: must be one of"):
        count_parts("hi", "fax")
    with pytest.raises(
        RequestValidationError, match="text: a text with an unpaired surrogate at 3 cannot be sent"
    ):
        sms_parts("ok \ud800 more")  # what a JSON "\ud800" or a broken UTF-16 decode gives
