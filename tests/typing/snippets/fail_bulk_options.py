"""A misspelt or wrongly typed setting of a bulk send is a type error."""

from aioclicksend import AsyncClickSend
from aioclicksend.params import SmsMessageParam, VoiceMessageParam


async def send(cs: AsyncClickSend) -> None:
    messages: list[SmsMessageParam] = [{"to": "+61411111111", "body": "hi"}]
    calls: list[VoiceMessageParam] = [{"to": "+61411111111", "body": "hi", "voice": "female"}]
    cs.sms.send_bulk(messages, concurency=8)  # E: call-arg reportCallIssue
    cs.sms.send_bulk(messages, concurrency="8")  # E: arg-type reportArgumentType
    cs.sms.send_bulk(messages, on_progress=print, journal=42)  # E: arg-type reportArgumentType
    cs.voice.send_bulk(calls, history_lag="10s")  # E: arg-type reportArgumentType
