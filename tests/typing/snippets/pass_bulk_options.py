"""Every setting of a bulk send is a keyword argument of send_bulk, typed."""

from pathlib import Path

from typing_extensions import assert_type

from aioclicksend import AsyncClickSend, BulkJob, BulkSummary, OutcomeKind, models
from aioclicksend.params import SmsMessageParam


def report(summary: BulkSummary) -> None:
    print(summary)


async def send(cs: AsyncClickSend) -> None:
    messages = (SmsMessageParam(to=f"+6141111{i:04d}", body="hi") for i in range(10_000))
    job = cs.sms.send_bulk(
        messages,
        shorten_urls=False,
        concurrency=8,
        max_rate=None,
        batch_size=500,
        max_retries=3,
        timeout=30,
        on_progress=report,
        tag="spring",
        allow_truncation=True,
        journal=Path("campaign.sqlite"),
        job_id="spring-campaign",
        history_lag=5.0,
    )
    assert_type(job, BulkJob[models.SentSms])
    async for outcome in job:
        if outcome.kind is OutcomeKind.ACCEPTED:
            print(outcome.index, outcome.custom_string)
    assert_type(await job, BulkSummary)
