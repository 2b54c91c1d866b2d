"""Chooses the bank backend from settings: Postgres when DATABASE_URL is set."""

from __future__ import annotations

from pathlib import Path

from bank.base import Bank
from bank.postgres import PostgresBank
from bank.seed import seed
from bank.sqlite import SqliteBank
from supportdesk.config import Settings


def sqlite_path(settings: Settings) -> Path:
    # Its own file beside the desk's records: the bank is another system of record (in
    # production another team's database), and the demo bank can be reset on its own.
    return settings.data_dir / "bank.sqlite"


async def open_bank(settings: Settings, *, seed_demo: bool | None = None) -> Bank:
    """Connect and migrate; seed the demo customers in development unless told otherwise.

    Seeding only inserts missing rows, so it is safe on every start; production never
    seeds unless `seed_demo=True` is passed explicitly.
    """
    bank: PostgresBank | SqliteBank
    if settings.database_url is not None:
        bank = PostgresBank(settings.database_url.get_secret_value())
    else:
        bank = SqliteBank(sqlite_path(settings))
    try:
        await bank.setup()
        if seed_demo if seed_demo is not None else settings.environment == "development":
            await seed(bank)
    except BaseException:
        await bank.close()
        raise
    return bank
