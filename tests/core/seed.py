"""Many consistent ledger entries fast: SQL generate_series, no ORM objects.

Each seeded account gets `per_account` credits of 1.00 and one lot holding
them all, so storecredit_verify's checks hold (balance = sum of entries =
unspent lots = last balance_after).
"""

from django.db import connection, transaction

from saleor_storecredit.models import (
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
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
                    (email, currency, balance, held, status, note, created_at,
                     updated_at)
                SELECT 'seed' || i || '@example.com', %(currency)s, %(n)s, 0,
                       'active', '', now(), now()
                FROM generate_series(1, %(accounts)s) i
                RETURNING id
            ), l AS (
                INSERT INTO {StoreCreditLot._meta.db_table}
                    (account_id, kind, original_amount, remaining_amount,
                     created_at)
                SELECT id, 'store_credit', %(n)s, %(n)s, now() FROM a
                RETURNING id, account_id
            )
            SELECT account_id, id AS lot_id FROM l
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {StoreCreditEntry._meta.db_table}
                (account_id, kind, reason, amount, held_change, balance_after,
                 held_after, lot_id, customer_note, internal_note, actor_type,
                 idempotency_key, request_hash, created_at)
            SELECT s.account_id, 'credit',
                   (ARRAY['import', 'manual', 'bonus'])[1 + g %% 3],
                   1, 0, g, 0, s.lot_id, '', 'seeded', 'system',
                   'seed-' || g, '', now() - (%(n)s - g) * interval '1 second'
            FROM storecredit_seeded s CROSS JOIN generate_series(1, %(n)s) g
            ORDER BY s.account_id, g
            """,
            params,
        )
        return cursor.rowcount
