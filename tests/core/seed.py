"""Many consistent ledger entries fast: SQL generate_series, no ORM objects.

Each seeded account gets `per_account` credits of 1.00, each in a lot of its
own with its movement, so storecredit_verify's checks hold (balance = sum of
entries = unspent lots = running balance_after; lots = their movements).
"""

from django.db import connection, transaction

from saleor_storecredit.models import (
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)

SEED_REASONS = ("import", "manual", "bonus")


def seed_entries(accounts: int, per_account: int, currency: str = "USD") -> int:
    """Insert accounts x per_account entries, one second apart, ending now.

    Entry g of an account has reason SEED_REASONS[g % 3].
    """
    params = {"accounts": accounts, "n": per_account, "currency": currency}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE storecredit_seeded ON COMMIT DROP AS
            WITH a AS (
                INSERT INTO {StoreCreditAccount._meta.db_table}
                    (email, currency, balance, held, status, note, entry_count,
                     created_at, updated_at)
                SELECT 'seed' || i || '@example.com', %(currency)s, %(n)s, 0,
                       'active', '', %(n)s, now(), now()
                FROM generate_series(1, %(accounts)s) i
                RETURNING id
            ), l AS (
                INSERT INTO {StoreCreditLot._meta.db_table}
                    (account_id, kind, original_amount, remaining_amount,
                     created_at)
                SELECT a.id, 'store_credit', 1, 1,
                       now() - (%(n)s - g) * interval '1 second'
                FROM a CROSS JOIN generate_series(1, %(n)s) g
                ORDER BY a.id, g
                RETURNING id, account_id
            )
            SELECT account_id, id AS lot_id,
                   row_number() OVER (PARTITION BY account_id ORDER BY id) AS g
            FROM l
            """,
            params,
        )
        cursor.execute(
            f"""
            WITH e AS (
                INSERT INTO {StoreCreditEntry._meta.db_table}
                    (account_id, kind, reason, amount, held_change, balance_after,
                     held_after, lot_id, customer_note, internal_note, actor_type,
                     idempotency_key, request_hash, created_at)
                SELECT s.account_id, 'credit',
                       (ARRAY['import', 'manual', 'bonus'])[1 + s.g %% 3],
                       1, 0, s.g, 0, s.lot_id, '', 'seeded', 'system',
                       'seed-' || s.g, '',
                       now() - (%(n)s - s.g) * interval '1 second'
                FROM storecredit_seeded s
                ORDER BY s.account_id, s.g
                RETURNING id, lot_id
            )
            INSERT INTO {StoreCreditLotMovement._meta.db_table}
                (entry_id, lot_id, amount, expires_at)
            SELECT id, lot_id, 1, NULL FROM e
            """,
            params,
        )
        return cursor.rowcount
