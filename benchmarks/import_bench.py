"""Time and memory of `storecredit_import` on 100,000 good rows.

Every row is credited through the ledger (one keyed credit per row), so this
measures the real import. Each case runs in a fresh child process against a
throwaway database (test_<DATABASE_URL's name>_importbench): a 1,000-row file
(the baseline), the 100,000-row file, and the same file again (idempotent: it
must credit nothing). Peak resident memory should not grow with the file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storecredit \
        .venv/bin/python benchmarks/import_bench.py [--rows 100000] [--keep]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.core.settings")
CUSTOMERS = 5000


def write_file(path: str, rows: int, note: str):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,currency,amount,kind,note\n")
        for i in range(rows):
            handle.write(
                f"bench{i % CUSTOMERS}@example.com,USD,{1 + i % 97}.{i % 100:02d},"
                f"store_credit,{note} {i % 10}\n"
            )


def child(path: str) -> dict:
    import django

    django.setup()
    from saleor_storecredit.importing import import_file

    start = time.monotonic()
    result = import_file(path, create_accounts=True)
    seconds = time.monotonic() - start
    return {
        "rows": result.rows,
        "bad_rows": result.bad_rows,
        "credited": result.credited,
        "already_imported": result.already_imported,
        "seconds": round(seconds, 1),
        "rows_per_second": round(result.rows / seconds),
        "peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }


def measure(path: str, database_url: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", path],
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    settings_dict = connection.settings_dict
    settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_importbench"
    name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{name}"
    )
    workdir = tempfile.mkdtemp(prefix="storecredit-import-bench-")
    try:
        User = get_user_model()
        User.objects.bulk_create(
            User(username=f"bench{i}", email=f"bench{i}@example.com")
            for i in range(CUSTOMERS)
        )
        small = os.path.join(workdir, "baseline.csv")
        large = os.path.join(workdir, "opening.csv")
        write_file(small, 1000, "baseline")
        write_file(large, args.rows, "opening")
        baseline = measure(small, url)
        full = measure(large, url)
        again = measure(large, url)

        from saleor_storecredit.ledger.verification import find_problems

        problems = find_problems()
    finally:
        connection.close()
        if not args.keep:
            connection.creation.destroy_test_db(name, verbosity=0)

    print(
        f"{'case':<22}{'rows':>8}{'credited':>10}{'seconds':>9}{'rows/s':>8}"
        f"{'peak RSS MiB':>14}"
    )
    for label, result in [
        ("baseline file", baseline),
        ("full file", full),
        ("same file again", again),
    ]:
        print(
            f"{label:<22}{result['rows']:>8}{result['credited']:>10}"
            f"{result['seconds']:>9}{result['rows_per_second']:>8}"
            f"{result['peak_rss_mib']:>14}"
        )
    print(
        f"peak memory, {full['rows']} vs {baseline['rows']} rows: "
        f"{full['peak_rss_mib'] / baseline['peak_rss_mib']:.2f}x"
    )
    print(f"re-run credited {again['credited']} (must be 0)")
    print(f"storecredit_verify problems: {len(problems)}")


if __name__ == "__main__":
    main()
