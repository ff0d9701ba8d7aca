import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.exporting import HEADER, ExportFilter, write_csv

from .memory import peak_memory
from .seed import seed_entries


def export(*args) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    call_command("storecredit_export", *args, stdout=out, stderr=err)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.fixture
def history(customer, other_customer, fund):
    """Alice: 100.00 credit, a 30.00 payment; Bob: 5.00 bonus; Alice: 1000 JPY."""
    fund(customer, "100.00", customer_note="Welcome")
    order_id = "a0000000-0000-0000-0000-000000000001"
    ledger.debit(
        customer,
        "30",
        "USD",
        idempotency_key="pay",
        reference=Reference(order_id=order_id),
    )
    fund(other_customer, "5", reason="bonus", kind="bonus")
    fund(customer, "1000", "JPY")


@pytest.mark.django_db
def test_export_writes_every_entry_oldest_first(history):
    rows = export()

    assert [
        (r["email"], r["currency"], r["kind"], r["reason"], r["amount"]) for r in rows
    ] == [
        ("alice@example.com", "USD", "credit", "manual", "100.00"),
        ("alice@example.com", "USD", "debit", "payment", "-30.00"),
        ("bob@example.com", "USD", "credit", "bonus", "5.00"),
        ("alice@example.com", "JPY", "credit", "manual", "1000"),
    ]
    assert list(rows[0].keys()) == HEADER
    assert rows[0]["customer_note"] == "Welcome"
    assert rows[1]["balance_after"] == "70.00"
    assert rows[1]["order_id"] == "a0000000-0000-0000-0000-000000000001"
    assert rows[0]["order_id"] == ""


@pytest.mark.django_db
def test_export_filters(history, customer):
    assert {r["currency"] for r in export("--currency", "jpy")} == {"JPY"}
    assert [r["email"] for r in export("--customer", "BOB@example.com")] == [
        "bob@example.com"
    ]
    assert len(export("--customer", str(customer.pk))) == 3
    assert [r["reason"] for r in export("--reason", "payment")] == ["payment"]
    assert len(export("--reason", "payment", "--reason", "bonus")) == 2
    today = timezone.now().date()
    assert len(export("--since", str(today), "--until", str(today))) == 4
    assert export("--until", str(today - timedelta(days=1))) == []
    assert export("--since", str(today + timedelta(days=1))) == []


@pytest.mark.django_db
def test_export_refuses_bad_filters(history):
    with pytest.raises(CommandError, match="not a currency store credit can hold"):
        export("--currency", "XXX")
    with pytest.raises(CommandError, match="not a date"):
        export("--since", "yesterday")
    with pytest.raises(CommandError, match="must be before"):
        export("--since", "2025-02-01", "--until", "2025-01-01")


@pytest.mark.django_db
def test_export_to_a_file(tmp_path, history):
    path = tmp_path / "ledger.csv"
    call_command("storecredit_export", "--output", str(path), stderr=io.StringIO())
    assert len(list(csv.DictReader(path.open()))) == 4


class CountingSink:
    """A stream that counts what is written and keeps nothing."""

    def __init__(self):
        self.rows = 0
        self.chars = 0

    def write(self, text):
        self.rows += text.count("\n")
        self.chars += len(text)


@pytest.mark.django_db
def test_export_memory_does_not_grow_with_the_ledger():
    seeded = seed_entries(accounts=200, per_account=1000)
    assert seeded == 200_000

    sink = CountingSink()
    with peak_memory() as peak:
        count = write_csv(sink, ExportFilter())
    print(f"\nexport of {count} entries: peak Python memory {peak.mib:.1f} MiB")

    assert count == 200_000 and sink.rows == 200_001
    # 200,000 entries as Python rows would take hundreds of MiB.
    assert peak.mib < 16
    filtered = write_csv(CountingSink(), ExportFilter(reasons=["bonus"]))
    assert filtered == 200 * (1000 // 3)
