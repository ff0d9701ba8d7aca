"""Bulk credit of 100,000 customers by a bulk job, against one set-based INSERT
of the same rows (accounts, lots, entries, lot movements) in the same run.

The job runs as a worker runs it (bulk_jobs.run_job: chunks of 500, one
transaction per chunk, progress saved after each); the baseline writes the
same rows for the same customers in another currency with four statements in
one transaction. Target: the job at least 0.1x the baseline's rows/s.
storecredit_verify must be clean afterwards.

Run with `make bench`; it creates and migrates its own database.
"""

import argparse
import os
import sys
import time
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

from django.db import transaction  # noqa: E402

from benchmarks.ledger_bench import (  # noqa: E402
    ACCOUNT,
    ENTRY,
    LOT,
    MOVEMENT,
    recreate_database,
    settings,
    sql,
)
from saleor_storecredit import bulk_jobs  # noqa: E402
from saleor_storecredit.actors import Actor  # noqa: E402
from saleor_storecredit.config import parse_settings  # noqa: E402
from saleor_storecredit.ledger.verification import find_problems  # noqa: E402
from saleor_storecredit.models import BulkJobStatus  # noqa: E402

USER = "auth_user"
AMOUNT = Decimal("5.00")


def seed_customers(count: int):
    sql(
        f"""
        INSERT INTO {USER} (password, is_superuser, username, first_name, last_name,
                            email, is_staff, is_active, date_joined)
        SELECT '', false, 'bulk' || g, '', '', 'bulk' || g || '@example.com',
               false, true, now()
        FROM generate_series(1, %s) g
        """,
        [count],
    )


def set_based_credit(currency: str) -> int:
    """Every customer credited AMOUNT in `currency`, as four INSERTs."""
    with transaction.atomic():
        sql(
            f"""
            INSERT INTO {ACCOUNT} (user_id, email, currency, balance, held, status,
                                   note, entry_count, created_at, updated_at)
            SELECT id, email, %(currency)s, %(amount)s, 0, 'active', '', 1, now(),
                   now()
            FROM {USER} WHERE NOT is_staff AND is_active;
            INSERT INTO {LOT} (account_id, kind, original_amount, remaining_amount,
                               created_at)
            SELECT id, 'bonus', balance, balance, now() FROM {ACCOUNT}
            WHERE currency = %(currency)s;
            INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                                 balance_after, held_after, lot_id, customer_note,
                                 internal_note, actor_type, actor_user_id,
                                 idempotency_key, request_hash, created_at)
            SELECT l.account_id, 'credit', 'bonus', l.original_amount, 0,
                   l.original_amount, 0, l.id, '', '', 'staff', 1,
                   'baseline:' || a.user_id, '', now()
            FROM {LOT} l JOIN {ACCOUNT} a ON a.id = l.account_id
            WHERE a.currency = %(currency)s;
            INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at)
            SELECT e.id, e.lot_id, e.amount, NULL FROM {ENTRY} e
            JOIN {ACCOUNT} a ON a.id = e.account_id WHERE a.currency = %(currency)s;
            """,
            {"currency": currency, "amount": AMOUNT},
        )
    return sql(f"SELECT count(*) FROM {ACCOUNT} WHERE currency = %s", [currency])[0][0]


def run_job(chunk_size: int):
    selection = bulk_jobs.Selection.of(
        user_ids=[row[0] for row in sql(f"SELECT id FROM {USER} ORDER BY id")]
    )
    request = bulk_jobs.validate_request(
        AMOUNT, "USD", reason="bonus", actor=Actor("staff", user_id=1)
    )
    job, _ = bulk_jobs.start_job(
        selection, request, "bench-bulk", settings=parse_settings([])
    )
    return bulk_jobs.run_job(job.pk, chunk_size=chunk_size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=bulk_jobs.CHUNK_SIZE)
    args = parser.parse_args()

    started = time.perf_counter()
    print(f"database {settings.DATABASES['default']['NAME']}: recreating", flush=True)
    recreate_database()
    seed_customers(args.customers)
    sql("ANALYZE")

    clock = time.perf_counter()
    baseline_rows = set_based_credit("EUR")
    baseline = baseline_rows / (time.perf_counter() - clock)
    print(
        f"set-based INSERT: {baseline_rows:,} customers in "
        f"{baseline_rows / baseline:.1f} s = {baseline:,.0f} customers/s",
        flush=True,
    )
    sql("ANALYZE")

    clock = time.perf_counter()
    job = run_job(args.chunk)
    elapsed = time.perf_counter() - clock
    rate = job.done / elapsed
    print(
        f"bulk job ({args.chunk} per chunk): {job.done:,} customers in {elapsed:.1f} s"
        f" = {rate:,.0f} customers/s; status {job.status}, credited "
        f"{job.credited_count:,}, failed {job.failed_count}, total {job.total_amount}",
        flush=True,
    )
    ratio = rate / baseline
    print(f"bulk job / set-based INSERT: {ratio:.2f}x (target >= 0.1x)")

    checked = time.perf_counter()
    problems = find_problems()
    print(
        f"storecredit_verify after the run: {len(problems)} problem(s) in "
        f"{time.perf_counter() - checked:.1f} s",
        flush=True,
    )
    print(f"benchmark finished in {time.perf_counter() - started:.0f} s")
    print(
        f"target bulk job >= 0.1x set-based INSERT: {'met' if ratio >= 0.1 else 'NOT met'}"
    )
    complete = (
        job.status == BulkJobStatus.COMPLETED and job.credited_count == args.customers
    )
    return 1 if problems or not complete else 0


if __name__ == "__main__":
    sys.exit(main())
