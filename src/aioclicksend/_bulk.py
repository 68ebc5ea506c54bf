"""Bulk sending: any number of messages, in batches, concurrently, with exactly one outcome each.

``cs.sms.send_bulk(messages)`` (and the same on MMS, voice, fax, letters and postcards) returns a
:class:`BulkJob`. ``async for outcome in job`` yields an :class:`Outcome` per input message as its
batch completes; ``await job`` runs it to the end and returns the :class:`BulkSummary`.

What happens to a message:

- it is checked on its own first (the spec's fields, a recipient, the text within the length ClickSend
  sends without truncating); a bad one becomes ``INVALID`` and the job goes on;
- batches go out ``concurrency`` at a time, paced by an :class:`~aioclicksend._rate.AdaptiveRate`;
  429s and connections that never carried the request are retried, so ClickSend sees the batch once;
- a batch that may have reached ClickSend without an answer (timeout, connection lost, 5xx) is never
  sent again: its messages are ``UNKNOWN``, carrying their ``custom_string`` so that
  :meth:`BulkJob.reconcile` (or :func:`reconcile`) can look them up in the channel's history.

A message without a ``custom_string`` is given one (``<tag>:<input position>``), so that every message
can be found again.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Mapping,
)
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypedDict, TypeVar, cast

import typing_extensions
from pydantic import BaseModel, TypeAdapter, ValidationError

from ._base_client import (
    BaseClient,
    RequestOptions,
    Timeout,
    retries_problem,
    timeout_problem,
    validation_problems,
)
from ._checks import MessageRules, message_problem
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    ClientStateError,
    InternalServerError,
    MissingCredentialsError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from ._models import parse_money
from ._operation import Operation
from ._outcomes import ACCEPTED_STATUS, BulkSummary, Outcome, OutcomeKind, ReadOnDemand, reconcile
from ._pagination import AsyncPager
from ._rate import AdaptiveRate
from ._retry import should_retry
from ._types import NOT_GIVEN, NotGiven

__all__ = ["BulkJob", "BulkOptions"]

_Result = TypeVar("_Result", bound=BaseModel)


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

    @property
    def items_field(self) -> str:
        return self.rules.items


class BulkOptions(TypedDict, total=False):
    """Settings of a bulk send (keyword arguments of every ``send_bulk``)."""

    concurrency: int
    """Batches in flight at once (default 4)."""
    max_rate: float | None
    """Most requests a second (default: no limit until ClickSend answers 429)."""
    batch_size: int
    """Messages per request (default and most: 1000)."""
    max_retries: int
    """Retries of a batch after a 429 or a connection that never carried it (default 8)."""
    timeout: Timeout | NotGiven
    """Timeout of each request (default: the client's)."""
    on_progress: Callable[[BulkSummary], object] | None
    """Called with the running :class:`BulkSummary` after each batch, and once at the end."""
    tag: str | None
    """Prefix of the ``custom_string`` given to messages without one (default: 8 random hex digits)."""
    allow_truncation: bool
    """Send texts longer than ClickSend sends whole (default: refuse them as invalid)."""


@dataclass(eq=False)
class _Batch:
    """Up to ``batch_size`` checked messages with their input positions, sent in one request."""

    items: list[tuple[int, BaseModel]]
    maybe_sent: bool = False
    """Set once a request carrying the batch may have left; cleared on a definite 'not processed'."""


_DONE = None
_INVALID_FLUSH = 32
"""Invalid messages handed to the reader together (they hold the input as given, which may be large)."""
_WAITING_BATCHES = 2
"""Finished batches that may wait for the reader: a worker with outcomes nobody has read yet waits too."""


class BulkJob(Generic[_Result]):
    """One bulk send. Iterate it for outcomes, await it for the summary; it runs once.

    ``job.stop()`` ends it gracefully: no more input is taken and the batches already formed are sent.
    Cancelling the task that iterates it ends it at once: batches in flight become ``UNKNOWN``, the
    others ``NOT_SENT``, all counted in :attr:`summary`.
    """

    def __init__(
        self,
        client: BaseClient,
        operation: Operation[Any],
        messages: Iterable[Any] | AsyncIterable[Any],
        *,
        shared: Mapping[str, Any],
        options: BulkOptions,
    ) -> None:
        bulk = _BulkSend.of(operation)
        if operation.auth and not client.has_credentials:
            raise MissingCredentialsError(
                f"{bulk.name} needs credentials: pass username= and api_key= to AsyncClickSend "
                "or set CLICKSEND_USERNAME and CLICKSEND_API_KEY"
            )
        self._client = client
        self._bulk = bulk
        self._messages = messages
        problems = []
        unknown = set(options) - set(BulkOptions.__annotations__)
        if unknown:
            problems.append(f"unknown options: {sorted(unknown)}")
        self.concurrency = options.get("concurrency", 4)
        self.batch_size = options.get("batch_size", bulk.max_batch)
        self.max_retries = options.get("max_retries", 8)
        self.timeout: Timeout | NotGiven = options.get("timeout", NOT_GIVEN)
        self.on_progress = options.get("on_progress")
        self.tag = options.get("tag") or secrets.token_hex(4)
        self.allow_truncation = options.get("allow_truncation", False)
        if not isinstance(messages, (Iterable, AsyncIterable)) or isinstance(messages, (str, bytes, Mapping)):
            problems.append(
                f"messages: must be an iterable or async iterable of messages, not {type(messages).__name__}"
            )
        if not (_is_int(self.concurrency) and self.concurrency >= 1):
            problems.append(f"concurrency: must be 1 or more, not {self.concurrency!r}")
        if not (_is_int(self.batch_size) and 1 <= self.batch_size <= bulk.max_batch):
            problems.append(f"batch_size: must be 1 to {bulk.max_batch}, not {self.batch_size!r}")
        if not isinstance(self.timeout, NotGiven):
            problems.append(timeout_problem(self.timeout) or "")
        problems.append(retries_problem(self.max_retries) or "")
        if self.on_progress is not None and not callable(self.on_progress):
            problems.append(f"on_progress: must be callable, not {type(self.on_progress).__name__}")
        if not isinstance(self.tag, str):
            problems.append(f"tag: must be a str, not {type(self.tag).__name__}")
        if not isinstance(self.allow_truncation, bool):
            problems.append(f"allow_truncation: must be True or False, not {self.allow_truncation!r}")
        problems = [problem for problem in problems if problem]
        try:
            self._rate = AdaptiveRate(options.get("max_rate"))
        except ValueError as error:
            problems.append(str(error))
        self._shared, shared_problems = self._validate_shared(shared)
        problems += shared_problems
        if problems:
            raise RequestValidationError(bulk.name, problems)
        self._gives_custom_string = "custom_string" in bulk.item_model.model_fields
        self.summary = BulkSummary(rate_limit=self._rate.rate)
        self._started = False
        self._stopping = False
        self._queued: list[_Batch] = []
        self._in_flight: set[_Batch] = set()
        self._input_error: BaseException | None = None
        # Held weakly: a caller that leaves its ``async for`` (an exception, a cancellation) drops the
        # iterator, and asyncio's async-generator finalizer then closes it, which ends the job.
        self._iterator: weakref.ref[AsyncGenerator[Outcome[_Result], None]] | None = None
        self._ended = asyncio.Event()

    # ---- checks ----

    def _validate_shared(self, shared: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The fields every batch shares (e.g. ``media_file``), validated, by model field name."""
        fields = self._bulk.request_model.model_fields
        by_wire = {info.alias or name: name for name, info in fields.items()}
        values: dict[str, Any] = {}
        problems = []
        for wire_name, value in shared.items():
            if isinstance(value, NotGiven):
                continue
            name = by_wire[wire_name]
            try:
                values[name] = TypeAdapter(fields[name].annotation or Any).validate_python(value)
            except ValidationError as error:
                problems += [
                    f"{wire_name}{problem.removeprefix('(body)')}" for problem in validation_problems(error)
                ]
        missing = [
            wire_name
            for wire_name, name in by_wire.items()
            if fields[name].is_required() and name not in values and wire_name != self._bulk.items_field
        ]
        problems += [f"{wire_name}: Field required" for wire_name in missing]
        return values, problems

    def _check(self, index: int, message: Any) -> BaseModel | Outcome[_Result]:
        """The message as a model with its ``custom_string``, or an ``INVALID`` outcome saying why."""
        fields = (
            message.model_dump(by_alias=True, exclude_unset=True)
            if isinstance(message, BaseModel)
            else message
        )
        if isinstance(fields, Mapping):
            if self._gives_custom_string and fields.get("custom_string") is None:
                fields = {**fields, "custom_string": f"{self.tag}:{index}"}
            try:
                model = self._bulk.item_model.model_validate(fields)
            except ValidationError as error:
                problem: str | None = "; ".join(validation_problems(error))
            else:
                problem = message_problem(model, self._bulk.rules, allow_truncation=self.allow_truncation)
                if problem is None:
                    return model
        else:
            problem = f"a message must be a mapping or a model, not {type(message).__name__}"
        custom = message.get("custom_string") if isinstance(message, Mapping) else None
        return Outcome(index, OutcomeKind.INVALID, message, custom, reason=problem)

    # ---- running ----

    def __aiter__(self) -> AsyncIterator[Outcome[_Result]]:
        iterator = self._run()
        self._iterator = weakref.ref(iterator)
        return iterator

    async def __aenter__(self) -> BulkJob[_Result]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End the job now if it is still running (as cancelling does); use after breaking out of a loop.

        Returns once every message taken has its outcome (counted in :attr:`summary`).
        """
        iterator = self._iterator() if self._iterator is not None else None
        if iterator is not None:
            await iterator.aclose()
        if self._started:
            await self._ended.wait()

    def __await__(self) -> Generator[Any, None, BulkSummary]:
        return self._drain().__await__()

    async def _drain(self) -> BulkSummary:
        async for _ in self:
            pass
        return self.summary

    def stop(self, reason: str = "stopped by the caller") -> None:
        """Take no more input; finish the batches already formed (safe to call from a signal handler)."""
        if not self._stopping:
            self._stopping = True
            self.summary.stopped = self.summary.stopped or reason

    async def _run(self) -> AsyncGenerator[Outcome[_Result], None]:
        if self._started:
            raise ClientStateError(f"{self._bulk.name}: a bulk job runs once; start a new one")
        self._started = True
        started = time.monotonic()
        self.summary.started_at = time.time()
        batches: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=self.concurrency)
        # Finished outcomes wait for the reader in ``done``; a task must hold one of ``room``'s slots
        # to add to it, so memory holds at most about 2 + concurrency batches of outcomes. The queue
        # itself is unbounded, so that ending the job never waits on a reader that has gone.
        done: asyncio.Queue[list[Outcome[_Result]] | None] = asyncio.Queue()
        room = asyncio.Semaphore(_WAITING_BATCHES)
        producer = asyncio.create_task(self._produce(batches, done, room))
        workers = [asyncio.create_task(self._work(batches, done, room)) for _ in range(self.concurrency)]
        closer = asyncio.create_task(self._close(producer, workers, done))
        ended = False
        try:
            while (outcomes := await done.get()) is not _DONE:
                room.release()
                self.summary.elapsed = time.monotonic() - started
                for outcome in outcomes:
                    yield outcome
                self._report()
            ended = True
        finally:
            try:
                if not ended:
                    await self._abandon(producer, workers, closer)
                self.summary.elapsed = time.monotonic() - started
                self.summary.rate_limit = self._rate.rate
                self.summary.finished = True
            finally:
                self._ended.set()
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

    @staticmethod
    async def _hand_over(
        outcomes: list[Outcome[_Result]], done: asyncio.Queue[Any], room: asyncio.Semaphore
    ) -> None:
        await room.acquire()
        done.put_nowait(outcomes)

    async def _produce(
        self, batches: asyncio.Queue[_Batch | None], done: asyncio.Queue[Any], room: asyncio.Semaphore
    ) -> None:
        batch = _Batch([])
        self._queued.append(batch)
        invalid: list[Outcome[_Result]] = []
        index = 0
        try:
            async for message in _as_async(self._messages):
                if self._stopping:
                    break
                checked = self._check(index, message)
                index += 1
                self.summary.handed_out = index
                if isinstance(checked, Outcome):
                    self.summary.count(checked)
                    invalid.append(checked)
                    if len(invalid) >= _INVALID_FLUSH:
                        await self._hand_over(invalid, done, room)
                        invalid = []
                    continue
                batch.items.append((index - 1, checked))
                if len(batch.items) >= self.batch_size:
                    await batches.put(batch)
                    batch = _Batch([])
                    self._queued.append(batch)
                    if invalid:
                        await self._hand_over(invalid, done, room)
                        invalid = []
        except Exception as error:  # the caller's iterable failed: stop, accounting for what was taken
            self._input_error = error
            self.stop(f"the messages iterable raised {type(error).__name__}: {error}")
        if batch.items:
            await batches.put(batch)
        else:
            self._queued.remove(batch)
        if invalid:
            await self._hand_over(invalid, done, room)
        for _ in range(self.concurrency):
            await batches.put(None)

    async def _work(
        self, batches: asyncio.Queue[_Batch | None], done: asyncio.Queue[Any], room: asyncio.Semaphore
    ) -> None:
        while (batch := await batches.get()) is not None:
            self._queued.remove(batch)
            self._in_flight.add(batch)
            outcomes = await self._send(batch)
            self._in_flight.discard(batch)  # no await since _send: a cancelled worker leaves it in flight
            self._count(outcomes)
            await self._hand_over(outcomes, done, room)

    def _count(self, outcomes: list[Outcome[_Result]]) -> None:
        for outcome in outcomes:
            self.summary.count(outcome)

    async def _abandon(
        self,
        producer: asyncio.Task[None],
        workers: list[asyncio.Task[None]],
        closer: asyncio.Task[None],
    ) -> None:
        """End the job now: cancel its tasks and give every message handed out its outcome."""
        self.stop("cancelled")
        tasks = [producer, *workers, closer]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for batch in [*self._in_flight, *self._queued]:  # none has outcomes yet
            if not batch.items:
                continue
            kind = OutcomeKind.UNKNOWN if batch.maybe_sent else OutcomeKind.NOT_SENT
            reason = (
                "cancelled while its batch was being sent"
                if batch.maybe_sent
                else "cancelled before it was sent"
            )
            self._count(self._all(batch, kind, reason))

    @staticmethod
    def _all(batch: _Batch, kind: OutcomeKind, reason: str) -> list[Outcome[_Result]]:
        return [
            Outcome(index, kind, model, getattr(model, "custom_string", None), reason=reason)
            for index, model in batch.items
        ]

    async def _send(self, batch: _Batch) -> list[Outcome[_Result]]:
        bulk = self._bulk
        values: dict[str, Any] = {**self._shared, bulk.items_field: [model for _, model in batch.items]}
        body = bulk.request_model.model_construct(**values)
        options = RequestOptions(timeout=self.timeout, max_retries=0)
        retrying = self._client.retry_policy.retrying(
            max_retries=self.max_retries, idempotent=False, operation=bulk.name
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._rate.wait()
                    batch.maybe_sent = True
                    self.summary.requests += 1
                    try:
                        result = await self._client.call(
                            bulk.operation,
                            body=body,
                            cast_to=_answer_type(bulk.results_field),
                            options=options,
                        )
                    except Exception as error:
                        if isinstance(error, RateLimitError):
                            self.summary.throttled += 1
                            self._rate.throttled()
                            self.summary.rate_limit = self._rate.rate
                        if should_retry(error, idempotent=False):
                            batch.maybe_sent = False  # a 429 or a connection that never carried it
                        raise
                    self._rate.succeeded()
            return self._match(batch, result)
        except (APIConnectionError, InternalServerError, APIResponseValidationError) as error:
            if batch.maybe_sent:
                return self._all(batch, OutcomeKind.UNKNOWN, f"{error}; it may have been sent")
            return self._all(batch, OutcomeKind.NOT_SENT, str(error))
        except APIStatusError as error:
            if isinstance(error, (AuthenticationError, PermissionDeniedError)):
                self.stop(f"ClickSend refused the account: {error}")
            return self._all(batch, OutcomeKind.NOT_SENT, str(error))
        except Exception as error:  # anything else (an answer nothing could read) still settles the batch
            kind = OutcomeKind.UNKNOWN if batch.maybe_sent else OutcomeKind.NOT_SENT
            return self._all(batch, kind, f"unexpected error: {type(error).__name__}: {error}")

    def _match(self, batch: _Batch, answer: Mapping[str, Any]) -> list[Outcome[_Result]]:
        """One outcome per message of the batch, from the answer's entries (kept as dicts, see
        :class:`~aioclicksend._outcomes.ReadOnDemand`). Raises on an answer it cannot read."""
        entries: list[dict[str, Any]] = answer.get(self._bulk.results_field) or []
        customs = [getattr(model, "custom_string", None) for _, model in batch.items]
        answered = [entry.get("custom_string") for entry in entries]
        if len(entries) == len(customs) and all(
            given is None or given == custom for given, custom in zip(answered, customs, strict=True)
        ):
            groups = [[entry] for entry in entries]
        elif len(set(customs)) == len(customs):
            by_custom: dict[str, list[dict[str, Any]]] = {}
            for entry, given in zip(entries, answered, strict=True):
                if isinstance(given, str):
                    by_custom.setdefault(given, []).append(entry)
            groups = [by_custom.get(custom, []) if isinstance(custom, str) else [] for custom in customs]
        else:
            groups = [[] for _ in customs]
        outcomes = [
            self._answered(index, model, custom, group)
            for (index, model), custom, group in zip(batch.items, customs, groups, strict=True)
        ]
        self.summary.cost += _price(answer.get("total_price"))
        return outcomes

    def _answered(
        self, index: int, model: BaseModel, custom: str | None, group: list[dict[str, Any]]
    ) -> Outcome[_Result]:
        """The outcome of a message from its answer entries (one per recipient)."""
        if not group:
            reason = "ClickSend answered the batch, but with no entry that matches this message"
            return Outcome(index, OutcomeKind.UNKNOWN, model, custom, reason=reason)
        price_field = self._bulk.price_field
        statuses = [entry.get("status") for entry in group]
        price = sum([_price(entry.get(price_field)) for entry in group], Decimal(0))
        accepted = ACCEPTED_STATUS in statuses
        return Outcome(
            index,
            OutcomeKind.ACCEPTED if accepted else OutcomeKind.REJECTED,
            model,
            custom,
            results=ReadOnDemand(cast("type[_Result]", self._bulk.result_model), group),
            status=ACCEPTED_STATUS if accepted else str(statuses[0])[:200],
            price=price,
        )

    # ---- reconciling ----

    async def reconcile(
        self, outcomes: Iterable[Outcome[Any]] | None = None, *, margin: float = 300.0
    ) -> list[Outcome[Any]]:
        """Look the ``UNKNOWN`` outcomes (default: all of this job's) up in the channel's history.

        Returns a new outcome for each: ``ACCEPTED`` with the history entries when ClickSend has the
        message, else ``NOT_SENT``. The history is read from ``margin`` seconds before the job started to
        now; ClickSend may list a message some time after it is sent, so reconcile a while after the job.
        """
        bulk = self._bulk
        now = time.time()
        since = (self.summary.started_at or now) - margin
        query: dict[str, Any] = {"limit": 100}
        if bulk.history_by_date:
            query.update(date_from=int(since), date_to=int(now + margin))
        pending = list(self.summary.unknown_outcomes if outcomes is None else outcomes)
        history: AsyncPager[Any, Any] = AsyncPager(
            self._client, bulk.history, query=query, options=RequestOptions(timeout=self.timeout)
        )
        return await reconcile(pending, history.items(prefetch=4))


@functools.lru_cache(maxsize=16)
def _answer_type(results_field: str) -> Any:
    """What a bulk send reads of an answer: its total price (as sent), and its entries as plain dicts."""
    fields = {"total_price": Any, results_field: list[dict[str, Any]]}
    return typing_extensions.TypedDict("BulkAnswer", fields, total=False)  # type: ignore[operator]


def _price(value: Any) -> Decimal:
    """A price as ``Money`` reads it; one that cannot be read (or is not finite) counts as 0."""
    price = parse_money(value)
    if isinstance(price, int) and not isinstance(price, bool):
        price = Decimal(price)
    return price if type(price) is Decimal and price.is_finite() else Decimal(0)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def _as_async(messages: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message
