"""Journals of bulk jobs: what lets a job that died be run again to its end, nothing sent twice.

The public home of the stores of :mod:`aioclicksend.bulk.journal` (see there) and of
:class:`PostgresJournal` (:mod:`aioclicksend.bulk.postgres`).
"""

from .bulk.journal import Attempt, JobRecord, JournalStore, Settlement, SQLiteJournal
from .bulk.postgres import PostgresJournal

__all__ = ["Attempt", "JobRecord", "JournalStore", "PostgresJournal", "SQLiteJournal", "Settlement"]
