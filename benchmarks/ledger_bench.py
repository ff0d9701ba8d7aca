"""Ledger benchmarks, each against a baseline measured in the same run.

1. Debit throughput of `ledger.debit` against raw SQL doing the same transaction
   shape (lock the account, update its balance, consume a lot, insert an entry),
   with the same number of worker processes on the same database: one hot
   account, then 10,000 accounts.
2. Latency of reading a balance and of fetching a deep page of history (keyset:
   50 entries before a cursor) for an account with 1,000 and one with 1,000,000
   entries.

Run with `make bench`; it creates and migrates its own database.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from saleor_storecredit import ledger  # noqa: E402
from saleor_storecredit.ledger.verification import find_problems  # noqa: E402
from saleor_storecredit.models import StoreCreditAccount, StoreCreditEntry  # noqa: E402

ACCOUNT = StoreCreditAccount._meta.db_table
LOT = "storecredit_storecreditlot"
ENTRY = StoreCreditEntry._meta.db_table
MOVEMENT = "storecredit_storecreditlotmovement"


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
    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


# --- seeding (SQL, consistent with the ledger's invariants) ---------------------


def seed_accounts(count: int, balance: Decimal, prefix: str) -> list[int]:
    """`count` accounts, each with one lot and one credit entry of `balance`."""
    sql(
        f"""
        INSERT INTO {ACCOUNT} (email, currency, balance, held, status, note,
                               entry_count, created_at, updated_at)
        SELECT %(prefix)s || g || '@example.com', 'USD', %(balance)s, 0, 'active', '',
               1, now(), now()
        FROM generate_series(1, %(count)s) g;
        INSERT INTO {LOT} (account_id, kind, original_amount, remaining_amount,
                           created_at)
        SELECT id, 'store_credit', balance, balance, now() FROM {ACCOUNT}
        WHERE email LIKE %(prefix)s || '%%';
        INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                             balance_after, held_after, lot_id, customer_note,
                             internal_note, actor_type, idempotency_key,
                             request_hash, created_at)
        SELECT account_id, 'credit', 'import', original_amount, 0, original_amount, 0,
               id, '', '', 'system', 'seed', '', now()
        FROM {LOT} WHERE account_id IN (
            SELECT id FROM {ACCOUNT} WHERE email LIKE %(prefix)s || '%%');
        INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at)
        SELECT e.id, e.lot_id, e.amount, NULL FROM {ENTRY} e
        JOIN {ACCOUNT} a ON a.id = e.account_id
        WHERE a.email LIKE %(prefix)s || '%%';
        """,
        {"prefix": prefix, "balance": balance, "count": count},
    )
    rows = sql(
        f"SELECT id FROM {ACCOUNT} WHERE email LIKE %s ORDER BY id", [prefix + "%"]
    )
    return [row[0] for row in rows]


def seed_history(user, entries: int) -> int:
    """An account whose history is one credit into one lot, then `entries` - 1
    debits of 0.01 from it."""
    total = Decimal(entries) / 100
    account_id = sql(
        f"""
        INSERT INTO {ACCOUNT} (user_id, email, currency, balance, held, status, note,
                               entry_count, created_at, updated_at)
        VALUES (%s, %s, 'USD', 0.01, 0, 'active', '', %s, now(), now()) RETURNING id
        """,
        [user.pk, user.email, entries],
    )[0][0]
    lot_id = sql(
        f"""
        INSERT INTO {LOT} (account_id, kind, original_amount, remaining_amount,
                           created_at)
        VALUES (%s, 'store_credit', %s, 0.01, now()) RETURNING id
        """,
        [account_id, total],
    )[0][0]
    sql(
        f"""
        WITH e AS (
            INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                                 balance_after, held_after, lot_id, customer_note,
                                 internal_note, actor_type, idempotency_key,
                                 request_hash, created_at)
            SELECT %(account)s, CASE WHEN i = 1 THEN 'credit' ELSE 'debit' END,
                   'import', CASE WHEN i = 1 THEN %(total)s ELSE -0.01 END, 0,
                   %(total)s - (i - 1) * 0.01, 0,
                   CASE WHEN i = 1 THEN %(lot)s END, '', '',
                   'system', 'seed-' || i, '',
                   now() - (%(entries)s - i) * interval '1 second'
            FROM generate_series(1, %(entries)s) i
            ORDER BY i
            RETURNING id, amount
        )
        INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at)
        SELECT id, %(lot)s, amount, NULL FROM e
        """,
        {"account": account_id, "lot": lot_id, "entries": entries, "total": total},
    )
    return account_id


# --- debit throughput ---------------------------------------------------------------


def ledger_debit(state, account_id):
    ledger.debit(
        StoreCreditAccount(pk=account_id, currency="USD"),
        state["amount"](),
        "USD",
        idempotency_key=uuid.uuid4().hex,
    )


RAW_LOCK = f"SELECT balance, held FROM {ACCOUNT} WHERE id = %s FOR UPDATE"
RAW_LOT = (
    f"SELECT id FROM {LOT} WHERE account_id = %s AND remaining_amount > 0 "
    "ORDER BY expires_at NULLS LAST, created_at, id LIMIT 1"
)
RAW_TAKE = f"UPDATE {LOT} SET remaining_amount = remaining_amount - %s WHERE id = %s"
RAW_BALANCE = (
    f"UPDATE {ACCOUNT} SET balance = balance - %s, entry_count = entry_count + 1, "
    "updated_at = now() "
    "WHERE id = %s RETURNING balance, held"
)
RAW_ENTRY = f"""
    INSERT INTO {ENTRY} (account_id, kind, reason, amount, held_change,
                         balance_after, held_after, customer_note, internal_note,
                         actor_type, idempotency_key, request_hash, created_at)
    VALUES (%s, 'debit', 'payment', %s, 0, %s, 0, '', '', 'system', %s, '', now())
    RETURNING id
"""
RAW_MOVEMENT = (
    f"INSERT INTO {MOVEMENT} (entry_id, lot_id, amount, expires_at) "
    "VALUES (%s, %s, %s, NULL)"
)


def raw_debit(state, account_id):
    amount = Decimal(state["amount"]())
    with state["raw"].transaction():
        cursor = state["raw"].cursor()
        balance, held = cursor.execute(RAW_LOCK, [account_id]).fetchone()
        if balance - held < amount:
            raise RuntimeError("benchmark account ran dry")
        (lot_id,) = cursor.execute(RAW_LOT, [account_id]).fetchone()
        cursor.execute(RAW_TAKE, [amount, lot_id])
        balance, held = cursor.execute(RAW_BALANCE, [amount, account_id]).fetchone()
        (entry_id,) = cursor.execute(
            RAW_ENTRY, [account_id, -amount, balance, uuid.uuid4().hex]
        ).fetchone()
        cursor.execute(RAW_MOVEMENT, [entry_id, lot_id, -amount])


def worker(kind, account_ids, duration, barrier, results, seed):
    connections.close_all()  # never share the parent's connection
    rng = random.Random(seed)
    state = {"amount": lambda: f"{rng.randint(1, 100) / 100:.2f}"}
    if kind.startswith("raw"):
        # "raw": connection settings as Django (and so Saleor) uses them, without
        # server-side prepared statements; "raw-prepared": psycopg's defaults,
        # which prepare a statement after its fifth use.
        state["raw"] = psycopg.connect(
            conninfo(),
            **({} if kind == "raw-prepared" else {"prepare_threshold": None}),
        )
        debit = raw_debit
    else:
        connection.ensure_connection()
        debit = ledger_debit
    barrier.wait()
    done = 0
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        debit(state, rng.choice(account_ids))
        done += 1
    results.put(done)
    connections.close_all()
    if "raw" in state:
        state["raw"].close()


def throughput(kind, account_ids, workers, duration) -> float:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    connections.close_all()
    processes = [
        context.Process(
            target=worker,
            args=(kind, account_ids, duration, barrier, results, n),
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    total = sum(results.get() for _ in processes)
    elapsed = max(time.perf_counter() - started, duration)
    for process in processes:
        process.join()
        if process.exitcode:
            sys.exit(f"a {kind} worker failed")
    return total / elapsed


KINDS = ("ledger", "raw", "raw-prepared")


def compare_debits(label, account_ids, workers, duration, rounds):
    """Alternate the ledger and the baselines so background noise hits all alike."""
    rates = {kind: [] for kind in KINDS}
    for _ in range(rounds):
        for kind in KINDS:
            rates[kind].append(throughput(kind, account_ids, workers, duration))
    ledger_rate, raw_rate, prepared_rate = (
        statistics.mean(rates[kind]) for kind in KINDS
    )
    print(
        f"debit throughput, {label}, {workers} workers: "
        f"ledger {ledger_rate:.1f}/s  raw SQL {raw_rate:.1f}/s  "
        f"ratio {ledger_rate / raw_rate:.2f}x  "
        f"(raw SQL with prepared statements {prepared_rate:.1f}/s, "
        f"ratio {ledger_rate / prepared_rate:.2f}x)",
        flush=True,
    )
    return ledger_rate / raw_rate


# --- read latency -------------------------------------------------------------------


def read_latencies(users, repeat):
    """Median latency of each read; the two accounts alternate, so background
    load hits both alike. Buffers (pages) the deep page touches are printed too:
    unlike time, they do not vary with load."""
    queries = {}
    for label, (user, account_id) in users.items():
        cursor_id = sql(
            f"SELECT id FROM {ENTRY} WHERE account_id = %s AND idempotency_key = %s",
            [account_id, "seed-100"],
        )[0][0]
        page = (
            StoreCreditEntry.objects.filter(account_id=account_id, id__lt=cursor_id)
            .order_by("-id")
            .values_list("id", "amount", "balance_after", "kind", "created_at")
        )

        def balance(user=user):
            return ledger.get_account(user, "USD").balance

        def deep_page(page=page):
            rows = list(page[:50])
            assert len(rows) == 50
            return rows

        plan = page[:50].explain(analyze=True, buffers=True).splitlines()
        top_buffers = next(line for line in plan if "Buffers:" in line)
        buffers = sum(
            int(part.split("=")[1])
            for part in top_buffers.split()
            if part.startswith(("hit=", "read="))
        )
        scan = next(line for line in plan if " Scan" in line)
        scan = scan.strip(" ->").split("  (")[0]
        queries[label] = (balance, deep_page, buffers, scan)

    samples = {label: ([], []) for label in queries}
    for n in range(repeat + 20):
        for label, (balance, deep_page, _, _) in queries.items():
            for query, times in zip((balance, deep_page), samples[label], strict=True):
                started = time.perf_counter()
                query()
                if n >= 20:  # warm-up
                    times.append((time.perf_counter() - started) * 1000)
    medians = {}
    for label, (balance_times, page_times) in samples.items():
        medians[label] = (
            statistics.median(balance_times),
            statistics.median(page_times),
        )
        _, _, buffers, plan = queries[label]
        print(
            f"read latency, {label:>9} entries: balance {medians[label][0]:.3f} ms  "
            f"deep history page {medians[label][1]:.3f} ms "
            f"({buffers} buffers, {plan})"
        )
    small, large = medians["1,000"], medians["1,000,000"]
    print(
        f"read latency ratio 1M/1k: balance {large[0] / small[0]:.2f}x  "
        f"deep history page {large[1] / small[1]:.2f}x",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    started = time.perf_counter()
    print(f"database {settings.DATABASES['default']['NAME']}: recreating", flush=True)
    recreate_database()

    hot = seed_accounts(1, Decimal("100000000"), "hot")
    many = seed_accounts(args.accounts, Decimal("10000"), "many")
    sql("ANALYZE")
    ratios = [
        compare_debits("1 hot account", hot, args.workers, args.seconds, args.rounds),
        compare_debits(
            f"{args.accounts:,} accounts", many, args.workers, args.seconds, args.rounds
        ),
    ]

    User = get_user_model()
    users = {}
    for label, entries in (("1,000", 1_000), ("1,000,000", args.entries)):
        user = User.objects.create_user(username=f"history-{entries}")
        user.email = f"history-{entries}@example.com"
        user.save()
        seeded = time.perf_counter()
        users[label] = (user, seed_history(user, entries))
        print(
            f"seeded {entries:,} entries in {time.perf_counter() - seeded:.1f} s",
            flush=True,
        )
    sql("ANALYZE")
    read_latencies(users, args.repeat)

    entries = StoreCreditEntry.objects.count()
    checked = time.perf_counter()
    problems = find_problems()
    print(
        f"storecredit_verify after the run: {len(problems)} problem(s) in "
        f"{time.perf_counter() - checked:.1f} s over {entries:,} entries",
        flush=True,
    )
    print(f"benchmark finished in {time.perf_counter() - started:.0f} s")
    target = min(ratios) >= 0.5
    print(f"target ledger >= 0.5x raw SQL: {'met' if target else 'NOT met'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
