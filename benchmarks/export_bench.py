"""Memory of `storecredit_export` on a million ledger entries.

Seeds a throwaway database (test_<DATABASE_URL's name>_bench) with consistent
entries through SQL generate_series, then measures each case in a fresh child
process (peak resident memory, ru_maxrss): streaming 1,000,000 entries,
streaming 10,000 entries (the baseline), and for contrast loading 100,000 rows
into a list. Constant memory means the 1M/10k ratio stays near 1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storecredit \
        .venv/bin/python benchmarks/export_bench.py [--entries 1000000] [--keep]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.core.settings")
PER_ACCOUNT = 1000


class CountingSink:
    def __init__(self):
        self.chars = 0

    def write(self, text):
        self.chars += len(text)


def child(case: str, accounts: int) -> dict:
    """Runs in a fresh process against the bench database."""
    import django

    django.setup()
    from saleor_storecredit.exporting import ExportFilter, write_csv

    emails = [f"seed{i}@example.com" for i in range(1, accounts + 1)]
    export_filter = ExportFilter(customers=emails) if accounts else ExportFilter()
    start = time.monotonic()
    if case == "stream":
        rows = write_csv(CountingSink(), export_filter)
    else:
        from saleor_storecredit.exporting import _FIELDS

        rows = len(list(export_filter.queryset().values_list(*_FIELDS)))
    return {
        "rows": rows,
        "seconds": round(time.monotonic() - start, 1),
        "peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }


def measure(case: str, accounts: int, database_url: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", case, "--accounts", str(accounts)],
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--child", choices=["stream", "list"])
    parser.add_argument("--accounts", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.accounts)))
        return

    import django

    django.setup()
    from django.db import connection

    from tests.core.seed import seed_entries

    settings_dict = connection.settings_dict
    settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_bench"
    name = connection.creation.create_test_db(verbosity=0, keepdb=True)
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{name}"
    )
    try:
        from saleor_storecredit.models import StoreCreditEntry

        if StoreCreditEntry.objects.count() != args.entries:
            if StoreCreditEntry.objects.exists():
                sys.exit(f"{name} holds other entries; drop it first.")
            start = time.monotonic()
            seed_entries(accounts=args.entries // PER_ACCOUNT, per_account=PER_ACCOUNT)
            print(f"seeded {args.entries} entries in {time.monotonic() - start:.0f}s")
        full = measure("stream", 0, url)
        baseline = measure("stream", 10_000 // PER_ACCOUNT, url)
        loaded = measure("list", 100_000 // PER_ACCOUNT, url)
    finally:
        connection.close()
        if not args.keep:
            connection.creation.destroy_test_db(name, verbosity=0)

    print(f"{'case':<34}{'rows':>10}{'seconds':>9}{'peak RSS MiB':>14}")
    for label, result in [
        ("stream (baseline)", baseline),
        ("stream (all)", full),
        ("load into a list (for contrast)", loaded),
    ]:
        print(
            f"{label:<34}{result['rows']:>10}{result['seconds']:>9}"
            f"{result['peak_rss_mib']:>14}"
        )
    print(
        f"peak memory, {full['rows']} vs {baseline['rows']} entries streamed: "
        f"{full['peak_rss_mib'] / baseline['peak_rss_mib']:.2f}x"
    )
    print(
        f"peak memory, {loaded['rows']} entries loaded vs {full['rows']} "
        f"streamed: {loaded['peak_rss_mib'] / full['peak_rss_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
