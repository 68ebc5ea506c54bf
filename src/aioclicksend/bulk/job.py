"""Bulk sending: any number of messages, in batches, concurrently, with exactly one outcome each.

``cs.sms.send_bulk(messages)`` (and the same on MMS, voice, fax, letters and postcards) returns a
:class:`BulkJob`. ``async for outcome in job`` yields an :class:`Outcome` per input message as its
batch completes; ``await job`` runs it to the end and returns the :class:`BulkSummary`.

What happens to a message:

- it is checked first (:mod:`aioclicksend.bulk.checks`: the spec's fields, a recipient, the text
  within the length ClickSend sends without truncating); a bad one becomes ``INVALID``, the job goes on;
- batches go out ``concurrency`` at a time through the client's request loop (and its hooks), paced by
  an :class:`~aioclicksend.bulk.rate.AdaptiveRate`, the job's own attempt hook; 429s and connections that
  never carried the request are retried, so ClickSend sees the batch once;
- a batch that may have reached ClickSend without an answer (timeout, connection lost, 5xx) is never
  sent again: its messages are ``UNKNOWN``, carrying their ``custom_string`` so that
  :meth:`BulkJob.reconcile` (or :func:`reconcile`) can look them up in the channel's history;
- an answered batch becomes outcomes as :class:`~aioclicksend.bulk.outcomes.AnsweredBatch` reads it.

A message without a ``custom_string`` is given one (``<tag>:<input position>``), so that every message
can be found again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    Set,
)
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, Generic, TypeVar, cast

import aiohttp
from pydantic import BaseModel

from .._core.client import BaseClient, RequestOptions
from .._core.deprecation import call_site
from .._core.exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AttemptRefusedError,
    AuthenticationError,
    ClickSendError,
    ClientStateError,
    InternalServerError,
    JournalError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from .._core.hooks import AttemptInfo
from .._core.models import value_given
from .._core.operation import Operation
from .._core.pagination import AsyncPager
from .._core.retry import should_retry
from .._core.rules import MessageRules
from .._core.types import NotGiven
from .checks import BatchChecker, validate_shared
from .journal import Attempt, JobRecord, Settlement
from .lookup import HistoryLookup, Window
from .options import BulkOptions, Settings
from .outcomes import (
    SHARED_CUSTOM_STRING,
    AnsweredBatch,
    BulkSummary,
    Messages,
    Outcome,
    OutcomeKind,
    price_of,
    reconcile,
)
from .rate import AdaptiveRate
from .resume import JobJournal, RecordedBatch

__all__ = ["BulkJob", "BulkOptions"]

logger = logging.getLogger("aioclicksend")

_Result = TypeVar("_Result", bound=BaseModel)
_T = TypeVar("_T")


@dataclass(frozen=True)
class _BulkSend:
    """A send operation's bulk settings (the table's ``bulk``) with their models resolved."""

    operation: Operation[Any]
    request_model: type[BaseModel]
    item_model: type[BaseModel]
    result_model: type[BaseModel]
    """The model of one entry of the answer's array (e.g. ``SentSms``)."""
    rules: MessageRules
    """What each message must hold; ``rules.items`` is the request's array the batches fill."""
    results_field: str
    """The answer's array with an entry per recipient."""
    price_field: str
    max_batch: int
    history: Operation[Any]
    history_by_date: bool

    @classmethod
    def of(cls, operation: Operation[Any]) -> _BulkSend:
        bulk, rules = operation.bulk, operation.messages
        assert bulk is not None and rules is not None and operation.body is not None, operation.name
        return cls(
            operation,
            operation.model(operation.body),
            operation.model(bulk.item),
            operation.model(bulk.result_item),
            rules,
            bulk.results,
            bulk.price,
            bulk.max_batch,
            bulk.history,
            bulk.history_by_date,
        )

    @property
    def name(self) -> str:
        return f"{self.operation.name}_bulk"


@dataclass(eq=False)
class _Batch:
    """Up to ``batch_size`` checked messages, sent in one request."""

    messages: Messages = field(default_factory=Messages)
    json: list[bytes] = field(default_factory=list)
    """The messages' JSON, a chunk of them at a time."""
    maybe_sent: bool = False
    """Set once a request carrying the batch may have left; cleared on a definite 'not processed'."""
    number: int = -1
    """Its place in the order batches are formed (the same each time the same input is sent)."""
    attempt: int = 0
    """How many times the journal says it was tried before (when a job is resumed)."""
    digest: str = ""
    """Of the batch as formed, when journaled."""
    recorded_at: float = 0.0
    """When the journal last recorded it as being handed to the transport."""

    def outcomes(self, kind: OutcomeKind, reason: str) -> list[Outcome[Any]]:
        return self.messages.outcomes(kind, reason)


class _BatchAttempts:
    """The job's attempt hook for one batch: the job's pace, the counts, and whether it may have left."""

    def __init__(self, job: BulkJob[Any], batch: _Batch) -> None:
        self._job = job
        self._batch = batch

    @contextlib.asynccontextmanager
    async def attempt(self, info: AttemptInfo) -> AsyncIterator[None]:
        job, batch = self._job, self._batch
        try:
            async with job._rate.attempt(info):
                if job._journal is not None and time.time() - batch.recorded_at > _RECORD_AGAIN_AFTER:
                    await job._record_hand_off(batch)  # the lookup after a crash reads the history around it
                batch.maybe_sent = True
                job.summary.requests += 1
                yield
        except ClickSendError as error:
            if isinstance(error, RateLimitError):
                job.summary.throttled += 1
                job.summary.rate_limit = job._rate.rate
            if should_retry(error, idempotent=False):
                batch.maybe_sent = False  # a 429, or a connection that never carried it
            raise


Settled = list[Outcome[Any]] | AnsweredBatch[Any]
"""What the reader is handed: outcomes made at once (invalid, not sent, unknown), or an answered batch."""

_DONE = None
_END = object()
_CHECK_CHUNK = 250
"""Messages checked together: one validation call each, and at most this many invalid ones (which hold
the input as given, perhaps large) held before they are handed to the reader."""
HISTORY_MARGIN = 300.0
"""Seconds the history is read beyond a job's time (clocks differ; ClickSend lists a message late)."""
_WAITING_BATCHES = 2
_RECORD_AGAIN_AFTER = 1.0
"""Seconds an attempt may wait (its pace, a retry) before the journal records its hand-off time again."""
"""Finished batches that may wait for the reader: a worker with outcomes nobody has read yet waits too."""


class BulkJob(Generic[_Result]):
    """One bulk send. Iterate it for outcomes, await it for the summary; it runs once.

    ``job.stop()`` ends it gracefully: no more input is taken and the batches already formed are sent.
    Cancelling the task that iterates it ends it at once: batches in flight become ``UNKNOWN``, the
    others ``NOT_SENT``, all counted in :attr:`summary`; the outcomes it never yielded are then in
    :attr:`left_over`.
    """

    # long: the job's state, each attribute declared once with its docstring (options.py checks the options)
    def __init__(
        self,
        client: BaseClient,
        operation: Operation[Any],
        messages: Iterable[Any] | AsyncIterable[Any],
        *,
        shared: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> None:
        bulk = _BulkSend.of(operation)
        options = {name: value for name, value in options.items() if not isinstance(value, NotGiven)}
        if operation.auth and not client.has_credentials:
            raise client.missing_credentials(bulk.name)
        self._client = client
        self._bulk = bulk
        self._messages = messages
        settings, problems = Settings.read(options, bulk.max_batch)
        self.concurrency, self.batch_size = settings.concurrency, settings.batch_size
        self.max_retries, self.timeout = settings.max_retries, settings.timeout
        self.on_progress, self.tag = settings.on_progress, settings.tag
        self.allow_truncation, self.history_lag = settings.allow_truncation, settings.history_lag
        if not isinstance(messages, (Iterable, AsyncIterable)) or isinstance(messages, (str, bytes, Mapping)):
            problems.append(
                f"messages: must be an iterable or async iterable of messages, not {type(messages).__name__}"
            )
        try:
            self._rate = AdaptiveRate(options.get("max_rate"))
        except ValueError as error:
            problems.append(str(error))
        self._shared, shared_problems = validate_shared(bulk.request_model, bulk.rules.items, shared)
        problems += shared_problems
        try:
            self._journal = JobJournal.of(options.get("journal"), options.get("job_id"), operation.name)
        except RequestValidationError as error:
            problems += error.problems
        if problems:
            raise RequestValidationError(bulk.name, problems)
        shared_json = bulk.request_model.model_construct(**self._shared).model_dump_json(
            by_alias=True, exclude_unset=True, exclude_none=True
        )
        # A batch's body: ``_body_start``, the JSON array of its messages, ``_body_end``.
        self._body_start = b'{"%s":' % bulk.rules.items.encode()
        self._body_end = b"}" if shared_json == "{}" else b"," + shared_json[1:].encode()
        self._started_at = call_site()
        """The caller's line that made the job: where its warnings point (it runs in tasks of its own)."""
        self._checker = self._make_checker()
        self.summary = BulkSummary(rate_limit=self._rate.rate)
        self.left_over: list[Outcome[Any]] = []
        """Outcomes the job settled but never yielded, because it was closed or cancelled first."""
        self._formed = 0
        """Batches formed so far."""
        self._mismatch: str | None = None
        """Why the input is not the one the journal recorded (or the journal cannot be read), once seen."""
        self._unsent_kind = OutcomeKind.NOT_SENT
        """What the batches the journal recorded end as, once the job stops on a mismatch."""
        self._started = False
        self._stopping = False
        self._unchecked: list[Any] = []
        """Messages taken from the input and not checked yet (the last ones handed out)."""
        self._queued: list[_Batch] = []
        self._in_flight: set[_Batch] = set()
        self._input_error: BaseException | None = None
        # Held weakly: a caller that leaves its ``async for`` (an exception, a cancellation) drops the
        # iterator, and asyncio's async-generator finalizer then closes it, which ends the job.
        self._iterator: weakref.ref[AsyncGenerator[Settled, None]] | None = None
        self._ended = asyncio.Event()
        self._closing: asyncio.Future[None] | None = None
        self._stop_asked = asyncio.Event()
        self._callers_customs: set[int] = set()
        """Hashes of the custom strings callers gave the messages checked so far."""
        self._shared_customs: set[int] = set()
        """... and of those given to more than one: the history cannot tell their messages apart."""

    def _make_checker(self) -> BatchChecker:
        bulk = self._bulk
        return BatchChecker(
            bulk.item_model,
            bulk.rules,
            allow_truncation=self.allow_truncation,
            tag=self.tag,
            warn_at=self._started_at,
        )

    # ---- reading it ----

    def __aiter__(self) -> AsyncIterator[Outcome[_Result]]:
        return self._outcomes()

    async def _outcomes(self) -> AsyncGenerator[Outcome[_Result], None]:
        run = self._start()
        unread: Iterator[Outcome[_Result]] | None = None
        try:
            async for settled in run:
                unread = iter(settled)
                for outcome in unread:
                    yield outcome
                unread = None
        finally:
            if unread is not None:
                self.left_over.extend(unread)
            await self.aclose()

    def __await__(self) -> Generator[Any, None, BulkSummary]:
        return self._drain().__await__()

    async def _drain(self) -> BulkSummary:
        """Run the job to its end without making an outcome object per message."""
        async for _ in self._start():
            pass
        return self.summary

    async def __aenter__(self) -> BulkJob[_Result]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End the job now if it is still running (as cancelling does); use after breaking out of a loop.

        Returns once every message taken has its outcome (counted in :attr:`summary`).
        """
        run = self._iterator() if self._iterator is not None else None
        if run is not None and self._closing is None:
            if cast("types.AsyncGeneratorType[Any, None]", run).ag_running:
                self.stop("closed")  # another task is driving it: it ends as soon as it can
            else:  # one close, however many ask for it (the caller, asyncio's finalizer of a loop left)
                self._closing = asyncio.ensure_future(run.aclose())
        if self._closing is not None:
            await asyncio.shield(self._closing)
        if self._started:
            await self._ended.wait()

    def stop(self, reason: str = "stopped by the caller") -> None:
        """Take no more input; finish the batches already formed (safe to call from a signal handler)."""
        if not self._stopping:
            self._stopping = True
            self.summary.stopped = self.summary.stopped or reason
            self._stop_asked.set()

    # ---- scheduling ----

    def _start(self) -> AsyncGenerator[Settled, None]:
        run = self._run()
        self._iterator = weakref.ref(run)
        return run

    async def _run(self) -> AsyncGenerator[Settled, None]:
        """Runs the job; yields what is settled as it is."""
        if self._started:
            raise ClientStateError(f"{self._bulk.name}: a bulk job runs once; start a new one")
        self._started = True
        started = time.monotonic()
        self.summary.started_at = time.time()
        if self._journal is not None:
            try:
                await self._resume(self._journal)
            except BaseException:
                self.summary.finished = True
                self._ended.set()
                await self._journal.close()
                raise
        batches: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=self.concurrency)
        # Settled outcomes wait for the reader in ``done``; a task must hold one of ``room``'s slots to
        # add to it, so memory holds at most about 2 + concurrency batches of outcomes. The queue itself
        # is unbounded, so that ending the job never waits on a reader that has gone.
        done: asyncio.Queue[Settled | None] = asyncio.Queue()
        room = asyncio.Semaphore(_WAITING_BATCHES)
        producer = asyncio.create_task(self._produce(batches, done, room))
        workers = [asyncio.create_task(self._work(batches, done, room)) for _ in range(self.concurrency)]
        closer = asyncio.create_task(self._close(producer, workers, done))
        ended = False
        try:
            while (settled := await done.get()) is not _DONE:
                room.release()
                self.summary.elapsed = time.monotonic() - started
                yield settled
                self._report()
            ended = True
        finally:
            try:
                if not ended:
                    await self._abandon(producer, workers, closer, done)
                self.summary.elapsed = time.monotonic() - started
                self.summary.rate_limit = self._rate.rate
                self.summary.finished = True
            finally:
                self._ended.set()
                if self._journal is not None:
                    await self._journal.close()
            self._report()
        await closer
        if self._input_error is not None:
            raise self._input_error

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.summary)

    @staticmethod
    async def _close(
        producer: asyncio.Task[None], workers: list[asyncio.Task[None]], done: asyncio.Queue[Any]
    ) -> None:
        try:
            await producer
            await asyncio.gather(*workers)
        finally:
            done.put_nowait(_DONE)

    async def _hand_over(
        self, settled: Settled, done: asyncio.Queue[Any], room: asyncio.Semaphore, sent: _Batch | None = None
    ) -> None:
        """Count outcomes and pass them to the reader; those of a batch ``sent`` are journaled first."""
        self.summary.count(settled)
        try:
            if sent is not None and self._journal is not None:
                await self._record(self._journal, sent, settled)
            await room.acquire()
        except asyncio.CancelledError:
            self.left_over.extend(settled)
            raise
        done.put_nowait(settled)

    async def _produce(
        self, batches: asyncio.Queue[_Batch | None], done: asyncio.Queue[Any], room: asyncio.Semaphore
    ) -> None:
        batch = _Batch()
        self._queued.append(batch)
        try:
            source = (
                aiter(self._messages) if isinstance(self._messages, AsyncIterable) else iter(self._messages)
            )
            # A chunk never straddles two batches: a batch's JSON is its chunks' JSON joined.
            while self._taking() and await self._take(
                source, min(_CHECK_CHUNK, self.batch_size - len(batch.messages))
            ):
                batch = await self._check(batch, batches, done, room)
        except JournalError as error:  # a record that cannot be read: nothing more is sent
            self._journal_failed(str(error), error)
        except Exception as error:  # the caller's iterable failed: stop, accounting for what was taken
            self._input_error = error
            self.stop(f"the messages iterable raised {type(error).__name__}: {error}")
        batch = await self._check(batch, batches, done, room)
        if batch.messages:
            await self._queue(batch, batches, done, room)
        else:
            self._queued.remove(batch)
        for _ in range(self.concurrency):
            await batches.put(None)

    def _taking(self) -> bool:
        """Whether to take more input: until stopped, and once stopped, as long as it forms batches the
        journal recorded (their outcomes then come from it, nothing sent: a stopped resume still gives
        each message what the journal knows of it)."""
        if not self._stopping:
            return True
        journal = self._journal
        return journal is not None and self._mismatch is None and self._formed < journal.formed

    async def _take(self, source: Iterator[Any] | AsyncIterator[Any], count: int) -> bool:
        """Move up to ``count`` messages from the input to the unchecked ones, each counted as it is
        taken (so a failing input leaves none unaccounted for); False once the input has ended."""
        unchecked, summary = self._unchecked, self.summary
        had = len(unchecked)
        try:
            if isinstance(source, AsyncIterator):
                for _ in range(count):
                    try:
                        unchecked.append(await anext(source))
                    except StopAsyncIteration:
                        break
            else:  # (list.extend keeps what it took before an input that raises)
                unchecked.extend(islice(source, count))
        finally:
            summary.handed_out += len(unchecked) - had
        return len(unchecked) - had == count

    async def _check(
        self,
        batch: _Batch,
        batches: asyncio.Queue[_Batch | None],
        done: asyncio.Queue[Any],
        room: asyncio.Semaphore,
    ) -> _Batch:
        """Check the messages taken so far: the valid ones join the batch (queued once full), the invalid
        ones go to the reader. Returns the batch still being filled."""
        if not self._unchecked:
            return batch
        first = self.summary.handed_out - len(self._unchecked)
        valid, invalid = self._checker.check(range(first, first + len(self._unchecked)), self._unchecked)
        if not valid.messages.tag_customs:
            self._note_customs(valid.messages)
        if valid.messages:  # no await from taking the messages to here: each is always somewhere
            batch.messages.extend(valid.messages)
            batch.json.append(valid.json)
        self._unchecked = []
        if invalid:
            await self._hand_over(
                [
                    Outcome(
                        item.index,
                        OutcomeKind.INVALID,
                        item.message,
                        _custom(item.message),
                        reason=item.reason,
                    )
                    for item in invalid
                ],
                done,
                room,
            )
        if len(batch.messages) < self.batch_size:
            return batch
        following = _Batch()
        self._queued.append(following)
        await self._queue(batch, batches, done, room)
        return following

    def _note_customs(self, messages: Messages) -> None:
        tagged = f"{self.tag}:"
        for custom in messages.customs:
            if custom is not None and not custom.startswith(tagged):
                key = hash(custom)
                if key in self._callers_customs:
                    self._shared_customs.add(key)
                self._callers_customs.add(key)

    async def _queue(
        self,
        batch: _Batch,
        batches: asyncio.Queue[_Batch | None],
        done: asyncio.Queue[Any],
        room: asyncio.Semaphore,
    ) -> None:
        """Send a formed batch: what the journal says was settled is not sent again."""
        batch.number, self._formed = self._formed, self._formed + 1
        if self._journal is not None:
            batch.digest = JobJournal.digest(batch.json, self._body_end)
            recorded = None if self._mismatch else await self._journal.recorded(batch.number)
            if self._mismatch or recorded is not None:
                replaced = await self._replay(batch, recorded, done, room)
                if replaced is None:
                    return
                if self._stopping:  # formed after the stop, to give the journal's outcomes: not sent
                    self._queued.remove(replaced)
                    reason = f"not sent: the job stopped ({self.summary.stopped})"
                    await self._hand_over(replaced.outcomes(OutcomeKind.NOT_SENT, reason), done, room)
                    return
                batch = replaced
        await batches.put(batch)
        await asyncio.sleep(0)  # a worker waiting for it sends it now, not once the queue is full

    async def _work(
        self, batches: asyncio.Queue[_Batch | None], done: asyncio.Queue[Any], room: asyncio.Semaphore
    ) -> None:
        while (batch := await batches.get()) is not None:
            self._queued.remove(batch)
            self._in_flight.add(batch)
            settled = await self._send(batch)
            self._in_flight.discard(batch)  # no await since _send: a cancelled worker leaves it in flight
            await self._hand_over(settled, done, room, sent=batch)

    async def _abandon(
        self,
        producer: asyncio.Task[None],
        workers: list[asyncio.Task[None]],
        closer: asyncio.Task[None],
        done: asyncio.Queue[Any],
    ) -> None:
        """End the job now: cancel its tasks and give every message handed out its outcome, in
        :attr:`left_over` with those settled and never read."""
        self.stop("cancelled")
        tasks = [producer, *workers, closer]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        while not done.empty():
            if (settled := done.get_nowait()) is not _DONE:
                self.left_over.extend(settled)
        first = self.summary.handed_out - len(self._unchecked)
        unchecked: list[Outcome[Any]] = [
            Outcome(
                index, OutcomeKind.NOT_SENT, message, _custom(message), reason="cancelled before it was sent"
            )
            for index, message in enumerate(self._unchecked, first)
        ]
        abandoned = unchecked
        for batch in [*self._in_flight, *self._queued]:  # none has outcomes yet
            if batch.maybe_sent:
                abandoned += batch.outcomes(OutcomeKind.UNKNOWN, "cancelled while its batch was being sent")
            else:
                abandoned += batch.outcomes(OutcomeKind.NOT_SENT, "cancelled before it was sent")
        self.summary.count(abandoned)
        self.left_over += abandoned

    # ---- sending ----

    async def _send(self, batch: _Batch) -> Settled:
        bulk = self._bulk
        body = b"%s[%s]%s" % (self._body_start, b",".join(batch.json), self._body_end)
        options = RequestOptions(timeout=self.timeout, max_retries=self.max_retries)
        try:
            if self._journal is not None:  # recorded before it can leave: a run after a crash looks it up
                await self._record_hand_off(batch)
            answer = await self._client.call(
                bulk.operation, body=body, options=options, hooks=(_BatchAttempts(self, batch),)
            )
            return self._answered(batch, answer)
        except (APIConnectionError, InternalServerError, APIResponseValidationError) as error:
            if batch.maybe_sent:
                return batch.outcomes(OutcomeKind.UNKNOWN, f"{error}; it may have been sent")
            return batch.outcomes(OutcomeKind.NOT_SENT, str(error))
        except AttemptRefusedError as error:  # a hook of the client's: the batch did not leave
            return batch.outcomes(OutcomeKind.NOT_SENT, str(error))
        except JournalError as error:  # (recording a hand-off, before the attempt it is for)
            self.stop(str(error))
            kind = OutcomeKind.UNKNOWN if batch.maybe_sent else OutcomeKind.NOT_SENT
            return batch.outcomes(kind, str(error))
        except APIStatusError as error:
            if isinstance(error, (AuthenticationError, PermissionDeniedError)):
                self.stop(f"ClickSend refused the account: {error}")
            return batch.outcomes(OutcomeKind.NOT_SENT, str(error))
        except Exception as error:  # anything else (an answer nothing could read) still settles the batch
            kind = OutcomeKind.UNKNOWN if batch.maybe_sent else OutcomeKind.NOT_SENT
            return batch.outcomes(kind, f"unexpected error: {type(error).__name__}: {error}")

    def _answered(self, batch: _Batch, answer: Any) -> Settled:
        """The batch's outcomes from ClickSend's answer: its entries, or UNKNOWN if they are unreadable."""
        entries = answer.get(self._bulk.results_field) if isinstance(answer, dict) else None
        try:
            answered: AnsweredBatch[Any] = AnsweredBatch(
                batch.messages,
                [] if entries is None else entries,
                result_model=self._bulk.result_model,
                price_field=self._bulk.price_field,
            )
        except (AttributeError, TypeError):  # not a list of objects
            field = self._bulk.results_field
            reason = f"ClickSend answered, but its {field!r} cannot be read; it may have been sent"
            return batch.outcomes(OutcomeKind.UNKNOWN, reason)
        self.summary.cost += price_of(answer.get("total_price"))
        return answered

    # ---- the journal ----

    async def _record_hand_off(self, batch: _Batch) -> None:
        """Record the batch as going out now (before it can leave)."""
        assert self._journal is not None
        batch.recorded_at = time.time()
        await self._journal.started(
            batch.number, batch.attempt, batch.messages, batch.digest, batch.recorded_at
        )

    async def _record(self, journal: JobJournal, batch: _Batch, settled: Settled) -> None:
        """Journal a sent batch's outcomes; a journal that fails stops the job (its outcomes still count)."""
        if isinstance(settled, AnsweredBatch):
            settlement = settled.settlement()
        else:
            settlement = Settlement.of_kinds([outcome.kind.value for outcome in settled], settled[0].reason)
        try:
            await journal.settled(batch.number, batch.attempt, settlement)
        except JournalError as error:
            logger.warning("%s: %s", self._bulk.name, error)
            self.stop(str(error))

    async def _resume(self, journal: JobJournal) -> None:
        """Open the job in its journal, adopting what it recorded; settle what was in flight."""
        proposed = JobRecord(
            journal.job_id, self._bulk.operation.name, self.tag, self.batch_size, time.time()
        )
        record = await journal.open(proposed)
        if (record.tag, record.batch_size) != (self.tag, self.batch_size):
            self.tag, self.batch_size = record.tag, record.batch_size
            self._checker = self._make_checker()
        self.summary.started_at = record.started_at
        unresolved = await journal.unresolved()
        if unresolved:
            await self._resolve(journal, unresolved)

    async def _resolve(self, journal: JobJournal, attempts: list[Attempt]) -> None:
        """Look the messages of batches that got no answer up in the channel's history: found, they
        are accepted; not found, they were never sent (and will be). A stop meanwhile leaves them as the
        journal has them (unknown), settled by a later run."""
        wait = max(attempt.sent_at for attempt in attempts) + self.history_lag - time.time()
        if wait > 0:
            logger.info("%s: resuming; reading the history in %.0f s", self._bulk.name, wait)
            if not await self._unless_stopped(asyncio.sleep(wait, True)):
                return
        settlements = [  # one in flight when the process died: all of it unknown
            attempt.settlement or Settlement.of_kinds([OutcomeKind.UNKNOWN.value] * len(attempt.positions))
            for attempt in attempts
        ]
        survey = await journal.survey(self._customs_of)
        unknown = {
            custom
            for attempt, settlement in zip(attempts, settlements, strict=True)
            for custom, kind in zip(self._customs_of(attempt), settlement.kinds, strict=True)
            if kind == OutcomeKind.UNKNOWN.value and custom and custom not in survey.shared
        }
        sent_at = [attempt.sent_at for attempt in attempts]
        window = Window(
            min(sent_at) - HISTORY_MARGIN, max(sent_at) + self._longest_attempt() + HISTORY_MARGIN
        )
        lookup = self._lookup()
        logger.info("%s: resuming; looking %d messages up in the history", self._bulk.name, len(unknown))
        probes = [  # a message of each batch, to find one ClickSend has when none is known
            next((custom for custom in self._customs_of(attempt) if custom in unknown), "")
            for attempt in attempts
        ]
        found = await self._unless_stopped(lookup.find(unknown, window, survey.witness, probes))
        if found is None:
            logger.info("%s: stopped while reading the history; run it again to finish", self._bulk.name)
            return
        for attempt, settlement in zip(attempts, settlements, strict=True):
            self._settle_looked_up(attempt, settlement, found, survey.shared)
            await journal.settled(attempt.number, attempt.attempt, settlement)

    def _settle_looked_up(
        self, attempt: Attempt, settlement: Settlement, found: Mapping[str, list[Any]], shared: Set[str]
    ) -> None:
        """An attempt's unknown messages as the lookup found them: accepted, or never sent."""
        for at, custom in enumerate(self._customs_of(attempt)):
            if settlement.kinds[at] != OutcomeKind.UNKNOWN.value:
                continue
            if not custom or custom in shared:
                settlement.reason = SHARED_CUSTOM_STRING if custom else "no custom_string to look it up by"
                continue
            entries = found.get(custom)
            if not entries:
                settlement.kinds[at] = OutcomeKind.NOT_SENT.value
                settlement.reason = "not in ClickSend's history: it was not sent"
                continue
            price = value_given(entries[0], self._bulk.price_field)
            settlement.kinds[at] = OutcomeKind.ACCEPTED.value
            settlement.statuses[at] = value_given(entries[0], "status")
            settlement.message_ids[at] = value_given(entries[0], "message_id")
            settlement.prices[at] = None if price is None else str(price)

    async def _unless_stopped(self, work: Awaitable[_T]) -> _T | None:
        """``work``'s result, or None if the job is stopped first (``work`` is then cancelled)."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._stop_asked.wait())
        try:
            await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, stopped):
                pending.cancel()
            await asyncio.gather(task, stopped, return_exceptions=True)
        return task.result() if task.done() and not task.cancelled() else None

    def _lookup(self) -> HistoryLookup:
        bulk = self._bulk
        return HistoryLookup(self._client, bulk.history, bulk.history_by_date, self.timeout, self._bulk.name)

    def _longest_attempt(self) -> float:
        """Seconds one attempt may last (its timeout): ClickSend got a batch by then, or never."""
        timeout = self._client.timeout if isinstance(self.timeout, NotGiven) else self.timeout
        total = timeout.total if isinstance(timeout, aiohttp.ClientTimeout) else timeout
        return HISTORY_MARGIN if total is None else float(total)

    def _customs_of(self, attempt: Attempt) -> list[str | None]:
        """An attempt's custom strings: as recorded, or the tag's when each was the tag's."""
        if attempt.customs is not None:
            return attempt.customs
        return [f"{self.tag}:{position}" for position in attempt.positions]

    def _journal_failed(self, problem: str, error: JournalError, *, damaged: bool = True) -> None:
        """Stop the job: the journal cannot say what was sent (``damaged``: the batches it recorded may
        have been, and end unknown) or the input is not the one it recorded."""
        self._mismatch = problem
        self._input_error = self._input_error or error
        self._unsent_kind = OutcomeKind.UNKNOWN if damaged else OutcomeKind.NOT_SENT
        self.stop(problem)

    async def _replay(
        self,
        batch: _Batch,
        recorded: RecordedBatch | None,
        done: asyncio.Queue[Any],
        room: asyncio.Semaphore,
    ) -> _Batch | None:
        """A batch the journal has seen: what it settled comes from it, the rest (never sent) is
        returned to send. A batch that differs from the recorded one is not sent, nor anything after."""
        assert self._journal is not None
        new_job = "(send it as a new job: another journal or job_id)"
        problem = None
        if recorded is not None and recorded.digest != batch.digest:
            problem = (
                f"batch {batch.number} (input positions {batch.messages.indices[0]} to "
                f"{batch.messages.indices[-1]}) is not the one journal job {self._journal.job_id!r} "
                f"recorded: the input differs {new_job}"
            )
        elif recorded is not None and not recorded.by_position.keys() <= set(batch.messages.indices):
            problem = (
                f"journal job {self._journal.job_id!r}: batch {batch.number} records input positions "
                f"it does not hold: the journal is damaged {new_job}"
            )
        if problem is not None:
            self._journal_failed(problem, JournalError(problem), damaged="damaged" in problem)
        self._queued.remove(batch)
        if self._mismatch is not None:
            kind = self._unsent_kind if batch.number < self._journal.formed else OutcomeKind.NOT_SENT
            await self._hand_over(batch.outcomes(kind, self._mismatch), done, room)
            return None
        assert recorded is not None
        messages, by_position = batch.messages, recorded.by_position
        settled: list[Outcome[Any]] = []
        resend: list[int] = []
        for at, index in enumerate(messages.indices):
            found = by_position.get(index)
            if found is None or found.kind == OutcomeKind.NOT_SENT.value:
                resend.append(at)
            else:  # accepted, rejected; or unknown, which is never sent again
                settled.append(found.outcome(index, messages.given[at], messages.customs[at]))
        again = None
        if resend:
            valid, _ = self._checker.check(
                [messages.indices[at] for at in resend], [messages.given[at] for at in resend]
            )
            again = _Batch(
                valid.messages,
                [valid.json],
                number=batch.number,
                attempt=recorded.attempts,
                digest=batch.digest,
            )
            self._queued.append(again)
        self.summary.resumed += len(settled)
        self.summary.cost += sum([outcome.price for outcome in settled], Decimal(0))
        if settled:
            await self._hand_over(settled, done, room)
        return again

    # ---- reconciling ----

    async def reconcile(
        self, outcomes: Iterable[Outcome[Any] | str] | None = None, *, margin: float = HISTORY_MARGIN
    ) -> list[Outcome[Any]]:
        """Look the ``UNKNOWN`` outcomes (default: all of this job's) up in the channel's history.

        ``outcomes`` may also be plain ``custom_string`` values. Returns a new outcome for each:
        ``ACCEPTED`` with the history entries when ClickSend has the message, else ``NOT_SENT``; one
        whose ``custom_string`` the caller gave to other messages of the job too stays ``UNKNOWN``
        (the history cannot tell them apart). The
        history is read from ``margin`` seconds before the job started to now, and only until every
        message is found; ClickSend may list a message some time after it is sent, so reconcile a while
        after the job.
        """
        pending = list(self.summary.unknown_outcomes if outcomes is None else outcomes)
        return await self._reconcile(pending, self.summary.started_at or time.time(), margin)

    async def _reconcile(
        self, pending: Sequence[Outcome[Any] | str], since: float, margin: float
    ) -> list[Outcome[Any]]:
        bulk = self._bulk
        query: dict[str, Any] = {"limit": 100}
        if bulk.history_by_date:
            query.update(date_from=int(since - margin), date_to=int(time.time() + margin))
        history: AsyncPager[Any, Any] = AsyncPager(
            self._client, bulk.history, query=query, options=RequestOptions(timeout=self.timeout)
        )
        shared = self._shared_customs
        return await reconcile(
            pending, history.items(prefetch=4), shared=lambda custom: hash(custom) in shared
        )


def _custom(message: Any) -> str | None:
    """The ``custom_string`` a message was given, if it is a text (a mapping may fail when read)."""
    try:
        custom = message.get("custom_string") if isinstance(message, Mapping) else None
    except Exception:
        return None
    return custom if isinstance(custom, str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
