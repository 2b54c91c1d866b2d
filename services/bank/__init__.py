"""Harbor Bank's systems of record: customers, accounts, cards, transactions, transfers,
top-ups and disputes, with an idempotent actions ledger.

One interface, `Bank`, with an embedded SQLite default and a Postgres backend selected by
`DATABASE_URL`, one schema applied by numbered migrations; `tests/test_bank.py` runs the
same contract on both. Every call takes the authenticated tenant and customer.
"""

from bank.base import (
    Account,
    ActionRecord,
    Bank,
    Card,
    Customer,
    Dataset,
    Dispute,
    TopUp,
    Transaction,
    Transfer,
)
from bank.errors import (
    BankError,
    IdempotencyConflict,
    InvalidRequest,
    LimitExceeded,
    NotAllowed,
    NotFound,
)
from bank.factory import open_bank
from bank.seed import demo_customers, seed

__all__ = [
    "Account",
    "ActionRecord",
    "Bank",
    "BankError",
    "Card",
    "Customer",
    "Dataset",
    "Dispute",
    "IdempotencyConflict",
    "InvalidRequest",
    "LimitExceeded",
    "NotAllowed",
    "NotFound",
    "TopUp",
    "Transaction",
    "Transfer",
    "demo_customers",
    "open_bank",
    "seed",
]
