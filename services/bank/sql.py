"""The queries, written once with `%s` placeholders; the SQLite backend converts them.

Every query of a customer's rows filters on tenant *and* customer_id: that filter is the
authorization check, so it lives here, next to the SQL, and nowhere else.
"""

from __future__ import annotations

from bank.base import (
    Account,
    ActionRecord,
    Card,
    Customer,
    Dispute,
    TopUp,
    Transaction,
    Transfer,
)
from bank.rows import columns, insert

OWNED = "tenant = %s AND customer_id = %s"

CUSTOMER = columns(Customer)
SELECT_CUSTOMER = f"SELECT {CUSTOMER} FROM customers WHERE tenant = %s AND id = %s"

ACCOUNT = columns(Account)
SELECT_ACCOUNTS = f"SELECT {ACCOUNT} FROM accounts WHERE {OWNED} ORDER BY opened_at, id"
SELECT_ACCOUNT = f"SELECT {ACCOUNT} FROM accounts WHERE {OWNED} AND id = %s"
# Locks the account row (Postgres) so that concurrent top-ups check the daily limit in turn.
CREDIT_ACCOUNT = (
    "UPDATE accounts SET balance_minor = balance_minor + %s"
    f" WHERE {OWNED} AND id = %s AND status = 'open' RETURNING name, currency, balance_minor"
)

CARD = columns(Card)
SELECT_CARDS = f"SELECT {CARD} FROM cards WHERE {OWNED} ORDER BY issued_at DESC, id"
SELECT_CARD = f"SELECT {CARD} FROM cards WHERE {OWNED} AND id = %s"
SELECT_REPLACEMENT = f"SELECT {CARD} FROM cards WHERE {OWNED} AND replaces_card_id = %s"
# Compare-and-set: only moves the card on from the status the caller decided on.
SET_CARD_STATUS = (
    "UPDATE cards SET status = %s, status_changed_at = %s"
    f" WHERE {OWNED} AND id = %s AND status = %s"
)

TRANSACTION = columns(Transaction, prefix="t.", exclude={"dispute_id"})
SELECT_TRANSACTIONS = (
    f"SELECT {TRANSACTION}, d.id FROM transactions t"
    " LEFT JOIN disputes d ON d.tenant = t.tenant AND d.transaction_id = t.id"
    " WHERE t.tenant = %s AND t.customer_id = %s"
)
TRANSACTIONS_ORDER = " ORDER BY t.created_at DESC, t.id DESC LIMIT %s"
SELECT_TRANSACTION = SELECT_TRANSACTIONS + " AND t.id = %s"

TRANSFER = columns(Transfer)
SELECT_TRANSFERS = f"SELECT {TRANSFER} FROM transfers WHERE {OWNED}"
SELECT_TRANSFER = SELECT_TRANSFERS + " AND id = %s"
NEWEST_FIRST = " ORDER BY created_at DESC, id DESC LIMIT %s"

TOP_UP = columns(TopUp)
SELECT_TOP_UPS = f"SELECT {TOP_UP} FROM top_ups WHERE {OWNED}" + NEWEST_FIRST
SELECT_TOP_UP = f"SELECT {TOP_UP} FROM top_ups WHERE {OWNED} AND id = %s"
# The daily limit is on card and wallet top-ups; money sent from another bank is not one.
TOP_UPS_SINCE = (
    "SELECT COALESCE(SUM(amount_minor), 0) FROM top_ups"
    f" WHERE {OWNED} AND account_id = %s AND source <> 'bank_transfer'"
    " AND status <> 'failed' AND created_at >= %s"
)

DISPUTE = columns(Dispute)
SELECT_DISPUTES = f"SELECT {DISPUTE} FROM disputes WHERE {OWNED} ORDER BY created_at DESC, id DESC"
SELECT_DISPUTE = f"SELECT {DISPUTE} FROM disputes WHERE {OWNED} AND id = %s"

ACTION = columns(ActionRecord, exclude={"replayed"})
# By key alone: a key is unique per tenant, and the caller compares the request hash
# before it shows the stored outcome to anyone.
SELECT_ACTION_BY_KEY = (
    f"SELECT {ACTION}, request_hash FROM actions WHERE tenant = %s AND idempotency_key = %s"
)
SELECT_ACTION = (
    f"SELECT {ACTION} FROM actions WHERE tenant = %s AND customer_id = %s AND idempotency_key = %s"
)
CLAIM_ACTION = (
    "INSERT INTO actions (id, tenant, customer_id, idempotency_key, operation, subject_id,"
    " request_hash, changed, message, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, '', %s)"
)
RECORD_OUTCOME = (
    "UPDATE actions SET result_id = %s, changed = %s, message = %s"
    " WHERE tenant = %s AND idempotency_key = %s"
)

INSERT_CUSTOMER = insert("customers", Customer)
INSERT_ACCOUNT = insert("accounts", Account)
INSERT_CARD = insert("cards", Card)
INSERT_TRANSACTION = insert("transactions", Transaction, exclude={"dispute_id"})
INSERT_TRANSFER = insert("transfers", Transfer)
INSERT_TOP_UP = insert("top_ups", TopUp)
INSERT_DISPUTE = insert("disputes", Dispute)
IF_NEW = " ON CONFLICT DO NOTHING"
