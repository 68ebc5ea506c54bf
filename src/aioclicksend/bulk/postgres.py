"""A journal of bulk jobs in PostgreSQL (:class:`PostgresJournal`): many jobs and many workers in one
database, each job held by one worker at a time."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .._core.exceptions import JournalError
from .journal import Attempt, JobRecord, Settlement, attempt_row, job_record, read_attempt, settlement_row

if TYPE_CHECKING:
    import asyncpg

__all__ = ["DSN_SCHEMES", "SCHEMA_VERSION", "PostgresJournal"]

logger = logging.getLogger("aioclicksend")

DSN_SCHEMES = ("postgresql://", "postgres://")
"""How a ``journal=`` string names a PostgreSQL database rather than a SQLite file."""

SCHEMA_VERSION = 1
"""The version of the tables this code writes (in ``aioclicksend.schema_version``)."""

_SCHEMA = f"""
CREATE SCHEMA IF NOT EXISTS aioclicksend;
CREATE TABLE aioclicksend.schema_version (version integer NOT NULL);
INSERT INTO aioclicksend.schema_version VALUES ({SCHEMA_VERSION});
CREATE TABLE aioclicksend.jobs (
    job_id text PRIMARY KEY, operation text NOT NULL, tag text NOT NULL,
    batch_size integer NOT NULL, started_at double precision NOT NULL
);
CREATE TABLE aioclicksend.attempts (
    job_id text NOT NULL, number integer NOT NULL, attempt integer NOT NULL,
    positions bytea NOT NULL, customs bytea NOT NULL, digest text NOT NULL, sent_at double precision NOT NULL,
    PRIMARY KEY (job_id, number, attempt)
);
CREATE TABLE aioclicksend.settlements (
    job_id text NOT NULL, number integer NOT NULL, attempt integer NOT NULL,
    settlement bytea NOT NULL, unresolved integer NOT NULL,
    PRIMARY KEY (job_id, number, attempt)
);
"""
_ATTEMPT = (
    "number, attempt, positions, customs, digest, sent_at, settlement FROM aioclicksend.attempts"
    " LEFT JOIN aioclicksend.settlements USING (job_id, number, attempt)"
)
_START = (
    "INSERT INTO aioclicksend.attempts VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (job_id, number, attempt)"
    " DO UPDATE SET positions = $4, customs = $5, digest = $6, sent_at = $7"
)
_SETTLE = (
    "INSERT INTO aioclicksend.settlements VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (job_id, number, attempt) DO UPDATE SET settlement = $4, unresolved = $5"
)

T = TypeVar("T")


class PostgresJournal:
    """A :class:`~aioclicksend.journal.JournalStore` in a PostgreSQL database (with asyncpg: the
    ``aioclicksend[postgres]`` extra), its tables in the schema ``aioclicksend``, created on first use.

    Each job is held by one worker at a time through a session-level advisory lock on its id, taken by
    :meth:`open_job` on the journal's connection and held until :meth:`close`: a second worker opening
    the job gets :class:`JournalError` before it sends anything. A lock rather than a lease with a
    heartbeat: a worker that dies (SIGKILL, a lost machine) loses its session and so the job at once,
    with no expiry to wait out, and a live worker never loses the job to a late heartbeat.

    Each attempt is committed before :meth:`started` returns (its request goes out after); settlements
    ride with the next write, as in :class:`~aioclicksend.journal.SQLiteJournal`. Every write is
    idempotent, so a write cut by a lost connection (a database restart) is made again on a new one,
    for up to ``reconnect_for`` seconds, once the job's lock is taken again: if another worker has taken
    the job meanwhile, or the database stays away, it is a :class:`JournalError` (the job stops; what was
    in flight is settled by whoever runs it next), never a message sent twice.
    """

    def __init__(self, dsn: str, *, reconnect_for: float = 30.0, timeout: float = 10.0) -> None:
        self._driver = _asyncpg()
        self.dsn = dsn
        self.name = f"journal {_without_secrets(dsn)}"
        """How errors and logs name the journal (the DSN without its password or query)."""
        self.reconnect_for = reconnect_for
        self.timeout = timeout
        """Seconds to connect, and for each statement: a database that stops answering is a lost one."""
        self._connection: asyncpg.Connection | None = None
        self._held: set[str] = set()
        """Jobs whose lock this journal holds (taken again on a new connection)."""
        self._settled: list[tuple[Any, ...]] = []
        """Settlements not written yet: they go with the next write, in its transaction."""
        self._busy = asyncio.Lock()
        """One statement at a time on the connection (a job's workers record their batches at once)."""
        self._gave_up: str | None = None
        """Why the journal stopped for good (the jobs it held are lost to it): each use says so."""

    async def lock(self, job_id: str) -> None:
        """Take job ``job_id``'s lock now, as :meth:`open_job` does (held until :meth:`close`): a second
        worker on the job fails here, with :class:`JournalError`, before it does anything else."""
        await self._use(lambda connection: self._take(connection, job_id), "used")

    async def open_job(self, job: JobRecord) -> JobRecord:
        async def open_it(connection: asyncpg.Connection) -> Any:
            await self._take(connection, job.job_id)
            await connection.execute(
                "INSERT INTO aioclicksend.jobs VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO NOTHING",
                job.job_id,
                job.operation,
                job.tag,
                job.batch_size,
                job.started_at,
            )
            return await connection.fetchrow(
                "SELECT job_id, operation, tag, batch_size, started_at FROM aioclicksend.jobs"
                " WHERE job_id = $1",
                job.job_id,
            )

        return job_record(tuple(await self._use(open_it, "used")), self.name)

    async def started(self, job_id: str, attempt: Attempt) -> None:
        await self._write(_START, attempt_row(job_id, attempt))

    async def settled(self, job_id: str, number: int, attempt: int, settlement: Settlement) -> None:
        self._settled.append(settlement_row(job_id, number, attempt, settlement))

    async def attempts(self, job_id: str, number: int) -> list[Attempt]:
        rows = await self._read(
            f"SELECT {_ATTEMPT} WHERE job_id = $1 AND number = $2 ORDER BY attempt", job_id, number
        )
        return [read_attempt(tuple(row)) for row in rows]

    async def formed(self, job_id: str) -> int:
        [row] = await self._read("SELECT max(number) FROM aioclicksend.attempts WHERE job_id = $1", job_id)
        return 0 if row[0] is None else int(row[0]) + 1

    async def unresolved(self, job_id: str) -> list[Attempt]:
        rows = await self._read(
            f"SELECT {_ATTEMPT} WHERE job_id = $1 AND (settlement IS NULL OR unresolved = 1)"
            " ORDER BY number, attempt",
            job_id,
        )
        return [read_attempt(tuple(row)) for row in rows]

    async def close(self) -> None:
        """Write the settlements waiting, and end the session (which lets go of the jobs it holds)."""
        try:
            if self._settled and self._held:
                await self._write()
        finally:
            self._held.clear()
            connection, self._connection = self._connection, None
            if connection is not None:
                try:
                    await connection.close(timeout=self.timeout)
                except Exception:  # closing for good: what it could not say, it cannot help
                    connection.terminate()

    async def _take(self, connection: asyncpg.Connection, job_id: str) -> None:
        """Hold the job's lock (taken once: this session's), or fail if another worker holds it."""
        if job_id in self._held:
            return
        if not await _lock(connection, job_id):
            raise JournalError(
                f"{self.name}: job {job_id!r} is held by another worker (locked until it stops): "
                "run it when that worker has stopped"
            )
        self._held.add(job_id)

    async def _write(self, statement: str | None = None, values: Sequence[Any] = ()) -> None:
        """Write the settlements waiting, and ``statement`` if any, in one transaction."""

        async def write(connection: asyncpg.Connection) -> None:
            waiting = list(self._settled)  # (taken once the connection is ours: no other write between)
            async with connection.transaction():
                if waiting:
                    await connection.executemany(_SETTLE, waiting)
                if statement is not None:
                    await connection.execute(statement, *values)
            del self._settled[: len(waiting)]

        await self._use(write, "written")

    async def _read(self, statement: str, *values: Any) -> list[Any]:
        if self._settled:
            await self._write()
        return await self._use(lambda connection: connection.fetch(statement, *values), "read")

    async def _use(self, work: Callable[[asyncpg.Connection], Awaitable[T]], what: str) -> T:
        """``work`` on the connection; on a new one if it is lost, for ``reconnect_for`` seconds at most."""
        async with self._busy:
            if self._gave_up is not None:
                raise JournalError(self._gave_up)
            give_up_at: float | None = None
            while True:
                try:
                    return await work(await self._connected())
                except JournalError:
                    raise
                except Exception as error:
                    if not self._held or not self._lost(error):
                        raise JournalError(f"{self.name}: cannot be {what}: {_describe(error)}") from None
                    if give_up_at is None:
                        give_up_at = time.monotonic() + self.reconnect_for
                        logger.warning("%s: connection lost (%s); reconnecting", self.name, _describe(error))
                    if time.monotonic() >= give_up_at:
                        self._gave_up = f"{self.name}: cannot be {what}: {self._why_lost(error)}"
                        self._held.clear()  # (lost with the session: whatever is written now is not ours)
                        self._drop()
                        raise JournalError(self._gave_up) from None
                    self._drop()
                    await asyncio.sleep(0.5)

    async def _connected(self) -> asyncpg.Connection:
        """The connection, made (and the schema checked, the jobs held locked again) if there is none."""
        if self._connection is None:
            connection = await self._driver.connect(
                self.dsn, timeout=self.timeout, command_timeout=self.timeout
            )
            try:
                await self._prepare(connection)
                for job_id in self._held:
                    if not await _lock(connection, job_id):
                        raise _HeldElsewhere(job_id)
            except BaseException:
                connection.terminate()
                raise
            self._connection = connection
        return self._connection

    async def _prepare(self, connection: asyncpg.Connection) -> None:
        """Create the tables if there are none (one worker at a time), and check their version."""
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _key("schema"))
            if await connection.fetchval("SELECT to_regclass('aioclicksend.schema_version')") is None:
                await connection.execute(_SCHEMA)
            version = await connection.fetchval("SELECT max(version) FROM aioclicksend.schema_version")
        if version != SCHEMA_VERSION:
            newer = isinstance(version, int) and version > SCHEMA_VERSION
            why = "upgrade aioclicksend" if newer else "its table aioclicksend.schema_version is damaged"
            raise JournalError(
                f"{self.name}: its tables are at schema version {version}, this aioclicksend knows "
                f"{SCHEMA_VERSION}: {why}"
            )

    def _why_lost(self, error: Exception) -> str:
        if isinstance(error, _HeldElsewhere):
            return (
                f"job {error.job_id!r} is held by another worker, which took it over while the connection "
                "was lost: this one stops (the other finishes the job)"
            )
        return (
            f"the database was out of reach for {self.reconnect_for:g} s ({_describe(error)}): "
            "the job stopped; run it again"
        )

    def _lost(self, error: Exception) -> bool:
        """Whether ``error`` says the connection (or the server) went away, not that a statement failed."""
        driver = self._driver.exceptions
        gone = (
            _HeldElsewhere,  # (perhaps by our own lost session, until the server sees it is gone)
            OSError,
            asyncio.TimeoutError,
            driver.PostgresConnectionError,
            driver.OperatorInterventionError,
            driver.CannotConnectNowError,
            driver.TooManyConnectionsError,
        )
        return isinstance(error, gone) or self._connection is None or self._connection.is_closed()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()


class _HeldElsewhere(Exception):
    """A job's lock, lost with a connection, cannot be taken again on the new one."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


async def _lock(connection: asyncpg.Connection, job_id: str) -> bool:
    """Take the job's advisory lock for the session, if no other session holds it."""
    return bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", _key(f"job:{job_id}")))


def _key(name: str) -> int:
    """A 64-bit advisory lock key of aioclicksend's own (apart from other users of the database)."""
    digest = hashlib.blake2b(f"aioclicksend journal {name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _asyncpg() -> ModuleType:
    try:
        import asyncpg
    except ImportError:
        raise JournalError(
            "a PostgreSQL journal needs asyncpg: pip install 'aioclicksend[postgres]'"
        ) from None
    return asyncpg


def _without_secrets(dsn: str) -> str:
    """The DSN as it may be shown: no password, no query (which may hold one)."""
    try:
        parts = urlsplit(dsn)
        host = parts.netloc.rpartition("@")[2]
        user = parts.username
    except ValueError:
        return "postgresql://(unreadable address)"
    return urlunsplit((parts.scheme, f"{user}@{host}" if user else host, parts.path, "", ""))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
