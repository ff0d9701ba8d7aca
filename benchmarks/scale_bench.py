"""Whole customer bases: imports and expiry at migration scale, each against a
raw-SQL baseline doing the same writes in the same run.

1. Import of N opening balances (`importing.import_file`: validation pass, then
   one ledger transaction per chunk) against `COPY` of the same rows into the
   same tables (lots, entries, movements) and one UPDATE of the balances.
2. Expiry of M due lots across A accounts (`expiry.expire_due_credit`, as the
   hourly task runs it) against one set-based UPDATE of the lots plus INSERTs of
   the same expiry entries and movements.

Each case starts from an identical, freshly seeded database; storecredit_verify
must be clean after each ledger run. Run with `make bench` (its own database).
"""

import argparse
import io
import os
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from saleor_storecredit.expiry import expire_due_credit  # noqa: E402
from saleor_storecredit.importing import import_file  # noqa: E402
from saleor_storecredit.ledger.verification import find_problems  # noqa: E402

ACCOUNT = "storecredit_storecreditaccount"
LOT = "storecredit_storecreditlot"
ENTRY = "storecredit_storecreditentry"
MOVEMENT = "storecredit_storecreditlotmovement"
USER = "auth_user"


def conninfo(dbname=None) -> str:
    db = settings.DATABASES["default"]
    parts = {
        "dbname": dbname or db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def recreate_database():
    connection.close()
    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def seed_customers(count: int):
    sql(
        f"""
        INSERT INTO {USER} (password, is_superuser, username, first_name, last_name,
                            email, is_staff, is_active, date_joined)
        SELECT '', false, 'c' || i, '', '', 'c' || i || '@example.com', false, true,
               now()
        FROM generate_series(1, %s) i
        """,
        [count],
    )


# --- import ---------------------------------------------------------------------


def import_case(rows: int, customers: int) -> float:
    recreate_database()
    seed_customers(customers)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write("email,currency,amount,note\n")
        for i in range(rows):
            handle.write(f"c{1 + i % customers}@example.com,USD,{1 + i % 97}.50,hi\n")
        path = handle.name
    started = time.perf_counter()
    result = import_file(path, create_accounts=True)
    seconds = time.perf_counter() - started
    os.unlink(path)
    problems = find_problems()
    print(
        f"import: {result.credited:,} of {rows:,} rows in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s); verify: {len(problems)} problem(s)",
        flush=True,
    )
    return rows / seconds


def copy_case(rows: int, customers: int) -> float:
    """The same rows written with COPY: accounts, lots, entries, movements."""
    recreate_database()
    seed_customers(customers)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCOUNT} (user_id, email, currency, balance, held, status, "
            "note, entry_count, created_at, updated_at) "
            f"SELECT id, email, 'USD', 0, 0, 'active', '', 0, now(), now() FROM {USER}"
        )
        cursor.execute(f"SELECT user_id, id FROM {ACCOUNT}")
        account_of = dict(cursor.fetchall())
        now = timezone.now().isoformat()
        lots, entries, movements = io.StringIO(), io.StringIO(), io.StringIO()
        balance = {}
        for i in range(rows):
            row = i + 1
            account = account_of[1 + i % customers]
            amount = f"{1 + i % 97}.50"
            balance[account] = balance.get(account, 0) + float(amount)
            lots.write(f"{row}\t{account}\tstore_credit\t{amount}\t{amount}\t{now}\n")
            entries.write(
                f"{row}\t{account}\tcredit\timport\t{amount}\t0\t{balance[account]:.2f}"
                f"\t0\t{row}\thi\tImported\tsystem\timport:{row}\tx\t{now}\n"
            )
            movements.write(f"{row}\t{row}\t{amount}\n")
        for name, columns, data in (
            (
                LOT,
                "id, account_id, kind, original_amount, remaining_amount, created_at",
                lots,
            ),
            (
                ENTRY,
                "id, account_id, kind, reason, amount, held_change, balance_after, "
                "held_after, lot_id, customer_note, internal_note, actor_type, "
                "idempotency_key, request_hash, created_at",
                entries,
            ),
            (MOVEMENT, "entry_id, lot_id, amount", movements),
        ):
            with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                copy.write(data.getvalue())
        cursor.execute(
            f"UPDATE {ACCOUNT} a SET balance = s.total, entry_count = s.n "
            f"FROM (SELECT account_id, SUM(amount) total, COUNT(*) n FROM {ENTRY} "
            "GROUP BY account_id) s WHERE s.account_id = a.id"
        )
    seconds = time.perf_counter() - started
    print(
        f"COPY baseline: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)"
    )
    return rows / seconds


# --- expiry ---------------------------------------------------------------------


def seed_due_lots(accounts: int, lots_per_account: int):
    """Accounts whose every lot (1.00 each) expired an hour ago, unbooked."""
    recreate_database()
    seed_customers(accounts)
    n = lots_per_account
    sql(
        f"""
        INSERT INTO {ACCOUNT} (user_id, email, currency, balance, held, status, note,
                               entry_count, created_at, updated_at)
        SELECT id, email, 'USD', %(n)s, 0, 'active', '', %(n)s, now(), now()
        FROM {USER};
        INSERT INTO {LOT} (account_id, kind, original_amount, remaining_amount,
                           expires_at, created_at)
        SELECT a.id, 'bonus', 1, 1, now() - interval '1 hour',
               now() - interval '2 days'
        FROM {ACCOUNT} a CROSS JOIN generate_series(1, %(n)s) g;
        WITH e AS (
            INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                                 balance_after, held_after, lot_id, customer_note,
                                 internal_note, actor_type, idempotency_key,
                                 request_hash, created_at)
            SELECT account_id, 'credit', 'bonus', 1, 0,
                   row_number() OVER (PARTITION BY account_id ORDER BY id), 0, id,
                   '', '', 'system', 'seed-' || id, '', now() - interval '2 days'
            FROM {LOT} ORDER BY account_id, id
            RETURNING id, lot_id
        )
        INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at)
        SELECT e.id, e.lot_id, 1, l.expires_at FROM e JOIN {LOT} l ON l.id = e.lot_id;
        ANALYZE;
        """,
        {"n": n},
    )


def expiry_case(accounts: int, per_account: int) -> float:
    seed_due_lots(accounts, per_account)
    lots = accounts * per_account
    started = time.perf_counter()
    count = 0

    def counted(entry):
        nonlocal count
        count += 1

    expire_due_credit(on_expired=counted)
    seconds = time.perf_counter() - started
    problems = find_problems()
    print(
        f"expiry: {count:,} of {lots:,} lots in {seconds:.1f} s "
        f"({count / seconds:,.0f} lots/s); verify: {len(problems)} problem(s)",
        flush=True,
    )
    return lots / seconds


def set_based_expiry_case(accounts: int, per_account: int) -> float:
    seed_due_lots(accounts, per_account)
    lots = accounts * per_account
    started = time.perf_counter()
    sql(
        f"""
        WITH due AS (
            UPDATE {LOT} SET remaining_amount = 0
            WHERE remaining_amount > 0 AND expires_at <= now()
            RETURNING id, account_id, expires_at
        ), e AS (
            INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                                 balance_after, held_after, lot_id, customer_note,
                                 internal_note, actor_type, idempotency_key,
                                 request_hash, created_at)
            SELECT account_id, 'expiry', 'expiry', -1, 0, 0, 0, id, '', '', 'system',
                   'x-' || id, '', now()
            FROM due
            RETURNING id, lot_id
        ), m AS (
            INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at)
            SELECT e.id, e.lot_id, -1, due.expires_at FROM e JOIN due ON due.id = e.lot_id
        )
        UPDATE {ACCOUNT} SET balance = 0, entry_count = entry_count * 2
        """
    )
    seconds = time.perf_counter() - started
    print(
        f"set-based UPDATE+INSERT baseline: {lots:,} lots in {seconds:.1f} s "
        f"({lots / seconds:,.0f} lots/s)",
        flush=True,
    )
    return lots / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--lots-per-account", type=int, default=10)
    args = parser.parse_args()

    baseline = copy_case(args.rows, args.customers)
    ours = import_case(args.rows, args.customers)
    print(f"import vs COPY: {ours / baseline:.2f}x (target >= 0.1x)", flush=True)

    baseline = set_based_expiry_case(args.accounts, args.lots_per_account)
    ours = expiry_case(args.accounts, args.lots_per_account)
    print(f"expiry vs set-based SQL: {ours / baseline:.2f}x (target >= 0.1x)")


if __name__ == "__main__":
    sys.exit(main())
