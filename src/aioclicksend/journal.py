"""Journals of bulk jobs: what lets a job that died be run again to its end, nothing sent twice.

The public home of the stores of :mod:`aioclicksend.bulk.journal` (see there).
"""

from .bulk.journal import Attempt, JobRecord, JournalStore, Settlement, SQLiteJournal

__all__ = ["Attempt", "JobRecord", "JournalStore", "SQLiteJournal", "Settlement"]
