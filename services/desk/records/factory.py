"""Chooses the records backend from settings: Postgres when DATABASE_URL is set."""

from __future__ import annotations

from desk.records.base import Records
from desk.records.postgres import PostgresRecords
from desk.records.sqlite import SqliteRecords
from supportdesk.config import Settings


async def open_records(settings: Settings) -> Records:
    records: Records
    if settings.database_url is not None:
        records = PostgresRecords(settings.database_url.get_secret_value())
    else:
        records = SqliteRecords(settings.sqlite_path)
    await records.setup()
    return records
