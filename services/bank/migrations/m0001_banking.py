"""The systems of record: customers and what they hold, keyed by (tenant, id).

Every child row names its customer, and its foreign keys include the tenant and the
customer, so a card can only belong to an account of the same customer in the same
tenant: the schema itself refuses a cross-customer reference.
Money is an integer of minor units (pence, cents) next to its currency; timestamps are
ISO-8601 UTC text and dates ISO dates, as in the desk's records, so one SQL serves both
SQLite and Postgres.
"""

from migrator import Migration

MIGRATION = Migration(
    version=1,
    name="banking entities",
    statements=(
        """
        CREATE TABLE customers (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (tenant, id)
        )
        """,
        """
        CREATE TABLE accounts (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('current', 'savings')),
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            balance_minor BIGINT NOT NULL,
            number_last4 TEXT NOT NULL CHECK (length(number_last4) = 4),
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            opened_at TEXT NOT NULL,
            PRIMARY KEY (tenant, id),
            UNIQUE (tenant, customer_id, id),
            FOREIGN KEY (tenant, customer_id) REFERENCES customers (tenant, id)
        )
        """,
        """
        CREATE TABLE cards (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            last4 TEXT NOT NULL CHECK (length(last4) = 4),
            kind TEXT NOT NULL CHECK (kind IN ('physical', 'virtual')),
            status TEXT NOT NULL
                CHECK (status IN ('in_post', 'active', 'frozen', 'lost', 'stolen', 'cancelled')),
            expires TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            status_changed_at TEXT NOT NULL,
            replaces_card_id TEXT,
            dispatched_at TEXT,
            expected_by TEXT,
            delivery_status TEXT CHECK (delivery_status IS NULL OR delivery_status IN
                ('dispatched', 'out_for_delivery', 'delivered', 'returned_to_sender')),
            delivered_at TEXT,
            PRIMARY KEY (tenant, id),
            UNIQUE (tenant, customer_id, id),
            CHECK (status <> 'in_post' OR (dispatched_at IS NOT NULL AND expected_by IS NOT NULL)),
            FOREIGN KEY (tenant, customer_id, account_id)
                REFERENCES accounts (tenant, customer_id, id),
            FOREIGN KEY (tenant, customer_id, replaces_card_id)
                REFERENCES cards (tenant, customer_id, id)
        )
        """,
        """
        CREATE TABLE transactions (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            card_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN
                ('card_payment', 'transfer_in', 'transfer_out', 'top_up', 'refund', 'fee')),
            description TEXT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'declined')),
            decline_reason TEXT CHECK (decline_reason IS NULL OR decline_reason IN (
                'insufficient_funds', 'merchant_blocked', 'card_frozen', 'suspected_fraud',
                'incorrect_pin', 'card_expired', 'limit_exceeded')),
            pending_reason TEXT CHECK (pending_reason IS NULL OR pending_reason IN
                ('awaiting_merchant', 'pre_authorisation', 'processing')),
            created_at TEXT NOT NULL,
            settled_at TEXT,
            PRIMARY KEY (tenant, id),
            UNIQUE (tenant, customer_id, id),
            CHECK ((status = 'declined') = (decline_reason IS NOT NULL)),
            CHECK ((status = 'pending') = (pending_reason IS NOT NULL)),
            CHECK (kind <> 'card_payment' OR card_id IS NOT NULL),
            FOREIGN KEY (tenant, customer_id, account_id)
                REFERENCES accounts (tenant, customer_id, id),
            FOREIGN KEY (tenant, customer_id, card_id) REFERENCES cards (tenant, customer_id, id)
        )
        """,
        "CREATE INDEX transactions_by_customer ON transactions (tenant, customer_id, created_at)",
        """
        CREATE TABLE transfers (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            recipient_name TEXT NOT NULL,
            recipient_account_last4 TEXT NOT NULL CHECK (length(recipient_account_last4) = 4),
            amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            reference TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'returned')),
            reason TEXT CHECK (reason IS NULL OR reason IN (
                'fraud_check', 'scheduled', 'processing', 'recipient_details_invalid',
                'insufficient_funds', 'limit_exceeded', 'recipient_account_closed',
                'recipient_name_mismatch')),
            created_at TEXT NOT NULL,
            expected_by TEXT,
            completed_at TEXT,
            PRIMARY KEY (tenant, id),
            CHECK ((status = 'completed') = (reason IS NULL)),
            FOREIGN KEY (tenant, customer_id, account_id)
                REFERENCES accounts (tenant, customer_id, id)
        )
        """,
        "CREATE INDEX transfers_by_customer ON transfers (tenant, customer_id, created_at)",
        """
        CREATE TABLE top_ups (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            source TEXT NOT NULL
                CHECK (source IN ('debit_card', 'apple_pay', 'google_pay', 'bank_transfer')),
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
            created_at TEXT NOT NULL,
            completed_at TEXT,
            PRIMARY KEY (tenant, id),
            FOREIGN KEY (tenant, customer_id, account_id)
                REFERENCES accounts (tenant, customer_id, id)
        )
        """,
        "CREATE INDEX top_ups_by_account ON top_ups (tenant, account_id, created_at)",
        """
        CREATE TABLE disputes (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            transaction_id TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('not_recognised', 'not_received',
                'wrong_amount', 'duplicate_charge', 'cancelled_subscription')),
            status TEXT NOT NULL CHECK (status IN
                ('open', 'investigating', 'refund_pending', 'refunded', 'rejected')),
            amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
            currency TEXT NOT NULL CHECK (length(currency) = 3),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expected_by TEXT,
            refunded_at TEXT,
            PRIMARY KEY (tenant, id),
            UNIQUE (tenant, transaction_id),
            FOREIGN KEY (tenant, customer_id, transaction_id)
                REFERENCES transactions (tenant, customer_id, id)
        )
        """,
        "CREATE INDEX disputes_by_customer ON disputes (tenant, customer_id, created_at)",
    ),
)
