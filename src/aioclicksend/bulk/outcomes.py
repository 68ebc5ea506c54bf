"""What a bulk send tells you: an :class:`Outcome` per message, the running :class:`BulkSummary`, how an
answered batch becomes outcomes (:class:`AnsweredBatch`), and :func:`reconcile` to settle the ``UNKNOWN``
ones from a channel's history."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from itertools import repeat
from typing import Any, Generic, TypeVar, cast, overload

from pydantic import BaseModel

from .._core.exceptions import RequestValidationError
from .._core.models import parse_money, value_given
from .journal import Settlement

__all__ = [
    "ACCEPTED_STATUS",
    "AnsweredBatch",
    "BulkSummary",
    "Messages",
    "Outcome",
    "OutcomeKind",
    "ReadOnDemand",
    "reconcile",
]

ACCEPTED_STATUS = "SUCCESS"
"""The per-message status of a send answer for a message ClickSend queued."""

_Result = TypeVar("_Result", bound=BaseModel)


class OutcomeKind(str, Enum):
    """What happened to one message of a bulk send."""

    ACCEPTED = "accepted"
    """ClickSend queued it (status SUCCESS)."""
    REJECTED = "rejected"
    """ClickSend answered for it with another status, e.g. INVALID_RECIPIENT: not sent."""
    INVALID = "invalid"
    """Refused by the SDK's checks; never sent."""
    NOT_SENT = "not_sent"
    """Never reached ClickSend (refused batch, retries used up, job stopped): safe to send again."""
    UNKNOWN = "unknown"
    """Its batch may have reached ClickSend with no answer: reconcile before sending it again."""


@dataclass(slots=True)
class Outcome(Generic[_Result]):
    """The one outcome of one input message."""

    index: int
    """Position of the message in the input, from 0."""
    kind: OutcomeKind
    message: Any
    """The message as you gave it (its ``custom_string`` is below: yours, or the one it was given)."""
    custom_string: str | None = None
    """The message's reference, which ClickSend keeps in its history and receipts."""
    results: Sequence[_Result] = ()
    """ClickSend's answer entries for the message as models: one per recipient (more with a ``list_id``)."""
    status: str | None = None
    """ClickSend's status for it (e.g. ``SUCCESS``, ``INVALID_RECIPIENT``), when it answered."""
    price: Decimal = Decimal(0)
    """What ClickSend priced the message at, across its recipients."""
    reason: str | None = None
    """Why it is invalid, not sent or unknown."""
    message_id: str | None = None
    """ClickSend's id for the message (its first recipient's), when it answered."""


@dataclass
class BulkSummary:
    """Running totals of a bulk job; final once the job has ended (``finished``)."""

    handed_out: int = 0
    """Messages taken from the input; each has exactly one outcome once the job has ended."""
    accepted: int = 0
    rejected: int = 0
    invalid: int = 0
    not_sent: int = 0
    unknown: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    """Messages per status ClickSend answered with (SUCCESS and each rejection)."""
    cost: Decimal = Decimal(0)
    """Sum of the ``total_price`` of every answered batch."""
    requests: int = 0
    """Requests sent, retries included."""
    throttled: int = 0
    """429 answers received."""
    started_at: float | None = None
    """Unix time the job started: with ``custom_string``, what reconciling after a restart needs."""
    elapsed: float = 0.0
    rate_limit: float | None = None
    """The client-side request-rate limit in force (``None``: none)."""
    finished: bool = False
    stopped: str | None = None
    """Why the job ended before the input did, if it did."""
    resumed: int = 0
    """Messages whose outcome came from the job's journal (settled by an earlier run), not sent again."""
    unknown_outcomes: list[Outcome[Any]] = field(default_factory=list)
    """The ``UNKNOWN`` outcomes, kept for :meth:`BulkJob.reconcile`."""

    @property
    def settled(self) -> int:
        """Messages that have their outcome."""
        return self.accepted + self.rejected + self.invalid + self.not_sent + self.unknown

    @property
    def messages_per_second(self) -> float:
        return self.settled / self.elapsed if self.elapsed > 0 else 0.0

    def count(self, outcomes: Iterable[Outcome[Any]]) -> None:
        """Add outcomes to the totals (an :class:`AnsweredBatch` adds the totals it has worked out)."""
        if isinstance(outcomes, AnsweredBatch):
            self.accepted += outcomes.accepted
            self.rejected += outcomes.rejected
            self.statuses.update(outcomes.statuses)
            outcomes = outcomes.unmatched
        for outcome in outcomes:
            kind = outcome.kind.value  # the field counting this kind
            setattr(self, kind, getattr(self, kind) + 1)
            if outcome.status is not None:
                self.statuses[outcome.status] += 1
            if outcome.kind is OutcomeKind.UNKNOWN:
                self.unknown_outcomes.append(outcome)

    def __str__(self) -> str:
        return (
            f"{self.settled}/{self.handed_out} messages: {self.accepted} accepted, {self.rejected} rejected, "
            f"{self.invalid} invalid, {self.not_sent} not sent, {self.unknown} unknown; "
            f"cost {amount_text(self.cost)}; "
            f"{self.requests} requests ({self.throttled} throttled) in {self.elapsed:.1f} s"
        )


class ReadOnDemand(Sequence[_Result]):
    """A message's answer entries, turned into models when first read.

    Reading only what the outcome needs (status, reference, price) keeps a large batch cheap, and an
    entry field the model cannot read fails that read, never the outcome of an accepted message.
    """

    __slots__ = ("_entries", "_model", "_models")

    def __init__(self, model: type[_Result], entries: Sequence[dict[str, Any]]) -> None:
        self._model = model
        self._entries = entries
        self._models: tuple[_Result, ...] | None = None

    def _read(self) -> tuple[_Result, ...]:
        if self._models is None:
            self._models = tuple(self._model.model_validate(entry) for entry in self._entries)
        return self._models

    @overload
    def __getitem__(self, index: int) -> _Result: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[_Result]: ...
    def __getitem__(self, index: int | slice) -> _Result | Sequence[_Result]:
        return self._read()[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return repr(list(self._read()))


_ACCEPTED = OutcomeKind.ACCEPTED.value
_UNMATCHED = "ClickSend answered the batch, but with no entry that matches this message"
"""Why a message of an answered batch is unknown: no entry of the answer is its."""


def _kind_of(status: Any) -> str:
    """The outcome kind of a message ClickSend answered for with ``status`` (``None``: no answer)."""
    if status is None:
        return OutcomeKind.UNKNOWN.value
    return _ACCEPTED if status == ACCEPTED_STATUS else OutcomeKind.REJECTED.value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else _text(value)


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)[:200]


_PRICE_DIGITS = 15
"""No price has more digits on either side of the point: a value that does (1e999999999) is not one, and
would overflow the sums."""


def price_of(value: Any) -> Decimal:
    """A price as ``Money`` reads it; one that cannot be read (not finite, or no price) counts as 0."""
    price = parse_money(value)
    if isinstance(price, int) and not isinstance(price, bool):
        price = Decimal(price)
    if type(price) is not Decimal or not price.is_finite() or abs(price.adjusted()) > _PRICE_DIGITS:
        return Decimal(0)
    return price


def amount_text(amount: Decimal) -> str:
    """An amount as people read it: the same text for the same value, however many trailing zeros its
    prices had (``385.0000`` summed from answers and ``385.000`` from the journal both read ``385``)."""
    return f"{amount.normalize():f}"


def _statuses(statuses: list[Any]) -> Counter[str]:
    """Messages per status; a status that is not text (a hostile answer) counted as its text."""
    try:
        counts: Counter[Any] = Counter(statuses)
    except TypeError:  # an unhashable status
        return Counter(map(_text, statuses))
    return counts if all(type(status) is str for status in counts) else Counter(map(_text, statuses))


@dataclass(eq=False, slots=True)
class Messages:
    """Messages by position in a batch: their input positions, the messages as given, their references."""

    indices: list[int] = field(default_factory=list)
    given: list[Any] = field(default_factory=list)
    customs: list[str | None] = field(default_factory=list)
    """The ``custom_string`` each was sent with."""
    tag_customs: bool = False
    """Whether each ``custom_string`` is the job's ``<tag>:<input position>`` (none is the caller's)."""

    def __len__(self) -> int:
        return len(self.indices)

    def extend(self, other: Messages) -> None:
        self.tag_customs = (self.tag_customs or not self.indices) and other.tag_customs
        self.indices += other.indices
        self.given += other.given
        self.customs += other.customs

    def outcomes(self, kind: OutcomeKind, reason: str) -> list[Outcome[Any]]:
        """The same outcome for each."""
        return [
            Outcome(index, kind, message, custom, reason=reason)
            for index, message, custom in zip(self.indices, self.given, self.customs, strict=True)
        ]


class AnsweredBatch(Iterable[Outcome[_Result]]):
    """A batch ClickSend answered: its totals worked out at once, an :class:`Outcome` per message made
    only when iterated (a job that is only awaited never makes them).

    Answer entries are matched to messages by position when they line up (same count, each entry's
    ``custom_string`` absent or the message's), else by ``custom_string`` (a ``list_id`` message has an
    entry per contact). A message with no entry is ``UNKNOWN``.
    """

    __slots__ = (
        "_entries",
        "_groups",
        "_messages",
        "_price_field",
        "_result_model",
        "accepted",
        "rejected",
        "statuses",
        "unmatched",
    )

    def __init__(
        self,
        messages: Messages,
        entries: list[dict[str, Any]],
        *,
        result_model: type[_Result],
        price_field: str,
    ) -> None:
        self._messages = messages
        self._result_model = result_model
        self._price_field = price_field
        customs = messages.customs
        answered = list(map(dict.get, entries, repeat("custom_string")))
        groups: list[Sequence[dict[str, Any]]]
        if answered == customs or (
            len(answered) == len(customs)
            and all(given in (None, custom) for given, custom in zip(answered, customs, strict=True))
        ):
            groups = list(zip(entries))  # an entry each
            self._entries: list[dict[str, Any]] | None = entries
            self.statuses = _statuses(list(map(dict.get, entries, repeat("status"))))
            self.unmatched: list[Outcome[_Result]] = []
        else:
            groups = [[] for _ in customs]
            self._entries = None
            if len(set(customs)) == len(customs):
                position = {custom: at for at, custom in enumerate(customs) if isinstance(custom, str)}
                for entry in entries:
                    given = entry.get("custom_string")
                    if isinstance(given, str) and given in position:
                        cast("list[dict[str, Any]]", groups[position[given]]).append(entry)
            self.statuses = _statuses([self._status(group) for group in groups if group])
            self.unmatched = [
                Outcome(index, OutcomeKind.UNKNOWN, message, custom, reason=_UNMATCHED)
                for index, message, custom, group in zip(
                    messages.indices, messages.given, customs, groups, strict=True
                )
                if not group
            ]
        self._groups = groups
        self.accepted = self.statuses[ACCEPTED_STATUS]
        self.rejected = sum(self.statuses.values()) - self.accepted

    @staticmethod
    def _status(group: Sequence[dict[str, Any]]) -> str:
        """A message's status: SUCCESS if any of its recipients was queued, else the first one's."""
        statuses = [_text(entry.get("status")) for entry in group]
        return ACCEPTED_STATUS if ACCEPTED_STATUS in statuses else statuses[0]

    def __len__(self) -> int:
        return len(self._messages)

    def settlement(self) -> Settlement:
        """What a journal records of each message (without making an outcome object for each)."""
        if self._entries is not None:  # an entry each, in order
            entries = self._entries
            if self.accepted == len(entries):
                statuses: list[Any] = [ACCEPTED_STATUS] * len(entries)
            else:
                statuses = list(map(dict.get, entries, repeat("status")))
            message_ids = list(map(dict.get, entries, repeat("message_id")))
            prices = list(map(dict.get, entries, repeat(self._price_field)))
        else:
            firsts = [group[0] if group else {} for group in self._groups]
            statuses = [self._status(group) if group else None for group in self._groups]
            message_ids = list(map(dict.get, firsts, repeat("message_id")))
            prices = [
                str(sum([price_of(entry.get(self._price_field)) for entry in group], Decimal(0)))
                for group in self._groups
            ]
        if self.accepted == len(statuses):
            kinds = [_ACCEPTED] * len(statuses)
        else:
            kinds = [_kind_of(status) for status in statuses]
        return Settlement(kinds, statuses, message_ids, prices, _UNMATCHED if self.unmatched else None)

    def __iter__(self) -> Iterator[Outcome[_Result]]:
        if self._entries is not None:
            return self._one_entry_each(self._entries)
        return self._by_group()

    def _one_entry_each(self, entries: list[dict[str, Any]]) -> Iterator[Outcome[_Result]]:
        """The outcomes of an answer with an entry per message, in order (the common case, made in a
        tight loop: a price read once per distinct text)."""
        messages, model, price_field = self._messages, self._result_model, self._price_field
        prices: dict[Any, Decimal] = {}
        accepted, rejected = OutcomeKind.ACCEPTED, OutcomeKind.REJECTED
        for index, message, custom, entry in zip(
            messages.indices, messages.given, messages.customs, entries, strict=True
        ):
            status = entry.get("status")
            if type(status) is not str:
                status = _text(status)
            raw_price = entry.get(price_field)
            price = prices.get(raw_price) if type(raw_price) is str else None
            if price is None:
                price = price_of(raw_price)
                if type(raw_price) is str:
                    prices[raw_price] = price
            message_id = entry.get("message_id")
            if type(message_id) is not str and message_id is not None:
                message_id = _text(message_id)
            kind = accepted if status == ACCEPTED_STATUS else rejected
            # (by position, in the order of Outcome's fields: a third cheaper than by keyword)
            yield Outcome(
                index, kind, message, custom, ReadOnDemand(model, (entry,)), status, price, None, message_id
            )

    def _by_group(self) -> Iterator[Outcome[_Result]]:
        unmatched = iter(self.unmatched)
        messages = self._messages
        for index, message, custom, group in zip(
            messages.indices, messages.given, messages.customs, self._groups, strict=True
        ):
            if not group:
                yield next(unmatched)
                continue
            status = self._status(group)
            yield Outcome(
                index,
                OutcomeKind.ACCEPTED if status == ACCEPTED_STATUS else OutcomeKind.REJECTED,
                message,
                custom,
                results=ReadOnDemand(self._result_model, group),
                status=status,
                price=sum([price_of(entry.get(self._price_field)) for entry in group], Decimal(0)),
                message_id=_text_or_none(group[0].get("message_id")),
            )


SHARED_CUSTOM_STRING = (
    "its custom_string is shared with other messages of the job: ClickSend's history cannot tell which "
    "of them it has; check by hand before sending it again"
)


async def reconcile(
    outcomes: Iterable[Outcome[Any] | str],
    history: AsyncIterable[Any],
    *,
    shared: Callable[[str], bool] | None = None,
) -> list[Outcome[Any]]:
    """Resolve outcomes by their ``custom_string`` against history entries, e.g. ``cs.sms.history.list()``.

    ``outcomes`` are outcomes (saved from a job, or just their index and ``custom_string``), or plain
    ``custom_string`` values (whose outcomes are indexed by their place in the list). Each comes back
    ``ACCEPTED`` (with the entries found) or, if no entry has its ``custom_string``, ``NOT_SENT``: safe
    to send again. The history is read until every one is found, or to its end. A ``custom_string``
    that more than one of ``outcomes`` carry, or that ``shared`` says other messages carry too, cannot
    tell its message apart: its outcome stays ``UNKNOWN`` (never matched by another message's entry).
    """
    pending = _to_reconcile(outcomes)
    carried = Counter(outcome.custom_string for outcome in pending)
    ambiguous = {
        custom for custom, count in carried.items() if custom and (count > 1 or (shared and shared(custom)))
    }
    found = await entries_of({outcome.custom_string for outcome in pending} - ambiguous, history)
    return [_resolved(outcome, found, ambiguous) for outcome in pending]


def _to_reconcile(outcomes: Iterable[Outcome[Any] | str]) -> list[Outcome[Any]]:
    """The outcomes to look up (a plain custom string is one at its place in the list), each with a
    ``custom_string``."""
    pending: list[Outcome[Any]] = []
    for at, item in enumerate(outcomes):
        if isinstance(item, Outcome):
            pending.append(item)
        elif isinstance(item, str):
            pending.append(Outcome(at, OutcomeKind.UNKNOWN, None, item))
        else:
            problem = f"outcomes[{at}]: must be an Outcome or a custom_string, not {type(item).__name__}"
            raise RequestValidationError("reconcile", [problem])
    missing = [outcome.index for outcome in pending if not outcome.custom_string]
    if missing:
        problem = f"outcomes without a custom_string cannot be reconciled: input positions {missing[:10]}"
        raise RequestValidationError("reconcile", [problem])
    return pending


async def entries_of(wanted: Set[str | None], history: AsyncIterable[Any]) -> dict[str, list[Any]]:
    """The history's entries of each ``wanted`` custom string, read until all are found."""
    found: dict[str, list[Any]] = {}
    walk = aiter(history)
    try:
        async for entry in walk:
            custom = value_given(entry, "custom_string")
            if isinstance(custom, str) and custom in wanted:
                found.setdefault(custom, []).append(entry)
            if len(found) == len(wanted):
                break
    finally:
        close = getattr(walk, "aclose", None)
        if close is not None:
            await close()
    return found


def _resolved(outcome: Outcome[Any], found: dict[str, list[Any]], ambiguous: Set[str | None]) -> Outcome[Any]:
    """An outcome looked up: accepted with its entries, not sent without, unknown if it cannot be told."""
    index, message, custom = outcome.index, outcome.message, outcome.custom_string
    entries = found.get(custom or "")
    if custom in ambiguous:
        return Outcome(index, OutcomeKind.UNKNOWN, message, custom, reason=SHARED_CUSTOM_STRING)
    if not entries:
        reason = "not in ClickSend's history: it was not sent"
        return Outcome(index, OutcomeKind.NOT_SENT, message, custom, reason=reason)
    status, message_id = value_given(entries[0], "status"), value_given(entries[0], "message_id")
    return Outcome(
        index, OutcomeKind.ACCEPTED, message, custom, tuple(entries), status=status, message_id=message_id
    )
