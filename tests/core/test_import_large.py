"""The importer on a 100,000-row file: every bad row reported, re-runs credit
nothing twice, memory does not grow with the file.

Most rows here are bad, to keep the suite fast under tracemalloc (which slows
Python down); benchmarks/import_bench.py imports 100,000 good rows.
"""

import csv
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum

from saleor_storecredit.importing import import_file
from saleor_storecredit.models import StoreCreditAccount, StoreCreditEntry

from .memory import peak_memory

ROWS = 100_000
GOOD_EVERY = 100  # 1,000 good rows
CUSTOMERS = 500
# Peak of Python allocations while importing (tracemalloc); holding the file's
# rows would take well over 100 MiB.
PEAK_LIMIT_MIB = 16

BAD_VALUES = [
    ("nobody{n}@example.com", "USD", "10.00", "no customer with email"),
    ("customer{c}@example.com", "USD", "1.001", "decimal places"),
    ("customer{c}@example.com", "XYZ", "1.00", "currency"),
    ("customer{c}@example.com", "USD", "-5", "greater than zero"),
]


def make_file(path):
    """Row i (line i + 2) is good when i % GOOD_EVERY == 0."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,currency,amount,note\n")
        for i in range(ROWS):
            customer = i % CUSTOMERS
            if i % GOOD_EVERY == 0:
                handle.write(f"customer{customer}@example.com,USD,1.25,opening\n")
            else:
                email, currency, amount, _ = BAD_VALUES[i % len(BAD_VALUES)]
                email = email.format(n=i, c=customer)
                handle.write(f"{email},{currency},{amount},\n")


class BadRowCheck:
    """Checks each reported row without keeping them (memory is being measured)."""

    def __init__(self):
        self.count = 0
        self.wrong = []

    def __call__(self, bad):
        self.count += 1
        i = bad.line - 2
        expected = BAD_VALUES[i % len(BAD_VALUES)][3]
        if i % GOOD_EVERY == 0 or expected not in bad.message:
            self.wrong.append(bad)


@pytest.mark.django_db
def test_import_of_100k_rows(tmp_path):
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"customer{c}", email=f"customer{c}@example.com")
        for c in range(CUSTOMERS)
    )
    path = str(tmp_path / "opening.csv")
    make_file(path)

    # Every bad row is reported; the good rows are credited, in bounded memory.
    # (Without --skip-bad-rows nothing would be written: test_import.py.)
    check = BadRowCheck()
    with peak_memory() as peak:
        result = import_file(
            path, create_accounts=True, skip_bad_rows=True, on_bad_row=check
        )
    print(f"\nimport of {ROWS} rows: peak Python memory {peak.mib:.1f} MiB")
    assert (result.rows, result.bad_rows, result.credited) == (ROWS, 99_000, 1_000)
    assert check.count == 99_000 and check.wrong == []
    assert peak.mib < PEAK_LIMIT_MIB

    # The same file again credits nothing.
    with peak_memory() as peak:
        result = import_file(path, create_accounts=True, skip_bad_rows=True)
    assert peak.mib < PEAK_LIMIT_MIB
    assert (result.credited, result.already_imported) == (0, 1_000)

    # The measure is not vacuous: the file's rows held in memory are over the limit.
    with peak_memory() as held:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    assert len(rows) == ROWS and held.mib > PEAK_LIMIT_MIB
    assert StoreCreditEntry.objects.count() == 1_000
    total = StoreCreditAccount.objects.aggregate(total=Sum("balance"))["total"]
    assert total == Decimal("1250.00")
