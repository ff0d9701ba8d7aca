"""How long storecredit_verify's ledger check takes on a large ledger.

Seeds --accounts accounts of --per-account credits each (tests/core/seed.py),
then --withdrawals withdrawals through the ledger (held, half of them paid or
rejected), and times find_problems() against the baseline of one pass that
only sums every account's entries, in the same run. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storecredit_bench \\
        DJANGO_SETTINGS_MODULE=benchmarks.settings python -m benchmarks.verify_bench
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

BASELINE = (
    "SELECT account_id, SUM(amount) FROM storecredit_storecreditentry "
    "GROUP BY account_id"
)


def seed_withdrawals(count: int):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from saleor_storecredit import ledger
    from saleor_storecredit.models import Reason, StoreCreditWithdrawal

    User = get_user_model()
    for i in range(count):
        with transaction.atomic():
            user = User.objects.create_user(username=f"bench-w{i}")
            ledger.credit(user, "100", "USD", idempotency_key=f"bench-w{i}")
            hold = ledger.authorize(
                user, "10", "USD", idempotency_key=f"w{i}", reason=Reason.WITHDRAWAL
            )
            withdrawal = StoreCreditWithdrawal.objects.create(
                account_id=hold.account_id, hold=hold, amount=hold.amount
            )
            ledger.record_withdrawal(withdrawal)
            if i % 2:
                settle = ledger.capture if i % 4 == 1 else ledger.release
                settle(hold, idempotency_key=f"w{i}-settle")
                withdrawal.status = "paid" if i % 4 == 1 else "rejected"
                withdrawal.save(update_fields=["status"])
                ledger.record_withdrawal(withdrawal)


def timed(work, repeat: int) -> float:
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--per-account", type=int, default=10)
    parser.add_argument("--withdrawals", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from saleor_storecredit.ledger.verification import find_problems
    from saleor_storecredit.models import StoreCreditEntry
    from tests.core.seed import seed_entries

    settings_dict = connection.settings_dict
    settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_verify"
    name = connection.creation.create_test_db(verbosity=0, keepdb=True)
    try:
        if not StoreCreditEntry.objects.exists():
            start = time.perf_counter()
            seed_entries(accounts=args.accounts, per_account=args.per_account)
            seed_withdrawals(args.withdrawals)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"seeded in {time.perf_counter() - start:.0f} s", flush=True)
        entries = StoreCreditEntry.objects.count()

        def baseline():
            with connection.cursor() as cursor:
                cursor.execute(BASELINE)
                cursor.fetchall()

        problems = find_problems()
        base = timed(baseline, args.repeat)
        verify = timed(find_problems, args.repeat)
    finally:
        connection.close()
        if not args.keep:
            connection.creation.destroy_test_db(name, verbosity=0)
    print(f"{entries:,} entries, {args.accounts + args.withdrawals:,} accounts")
    print(f"sum of entries per account (baseline): {base:.2f} s")
    print(f"find_problems: {verify:.2f} s ({verify / base:.1f}x the baseline)")
    print(f"problems: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
