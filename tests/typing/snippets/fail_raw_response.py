"""The raw methods take the same arguments, and their answer is not the data itself."""

from aioclicksend import AsyncClickSend, RawResponse, models


async def send(cs: AsyncClickSend) -> None:
    await cs.sms.with_raw_response.send(mesages=[])  # E: call-arg reportCallIssue


def messages_of(raw: RawResponse[models.SmsSendResult]) -> object:
    return raw.messages  # E: attr-defined reportAttributeAccessIssue


def status_text(raw: RawResponse[models.SmsSendResult]) -> str:
    return raw.status  # E: return-value reportReturnType
