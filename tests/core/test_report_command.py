import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference


def report(*args) -> str:
    out = io.StringIO()
    call_command("storecredit_report", *args, stdout=out)
    return out.getvalue()


def row(text, label):
    """The cells of the table line starting with `label`."""
    for line in text.splitlines():
        if line.startswith(label):
            return line[len(label) :].split()
    raise AssertionError(f"{label!r} not in\n{text}")


@pytest.mark.django_db
def test_report_prints_the_statistics_as_a_table(customer, other_customer, fund):
    fund(customer, "100.00")
    fund(other_customer, "20", reason="bonus", kind="bonus")
    ledger.debit(
        customer,
        "30",
        "USD",
        idempotency_key="pay",
        reference=Reference(order_id="a0000000-0000-0000-0000-000000000001"),
    )
    fund(customer, "500", "JPY")

    text = report("--currency", "usd")

    assert text.startswith("Store credit USD, beginning .. ")
    assert row(text, "Issued") == ["120.00", "USD"]
    assert row(text, "  of which bonus") == ["20.00", "USD"]
    assert row(text, "Spent on orders") == ["30.00", "USD"]
    assert row(text, "Closing liability") == ["90.00", "USD"]
    assert row(text, "Accounts with a balance (now)") == ["2"]
    # Movements per reason.
    assert row(text, "bonus") == ["20.00", "USD", "0.00", "USD", "20.00", "USD", "1"]
    assert row(text, "payment") == ["0.00", "USD", "30.00", "USD", "-30.00", "USD", "1"]
    assert "JPY" not in text


@pytest.mark.django_db
def test_report_for_a_period(customer, fund):
    fund(customer, "10")
    today = timezone.now().date()

    tomorrow = str(today + timedelta(days=1))
    text = report("--currency", "USD", "--since", tomorrow, "--until", tomorrow)
    assert row(text, "Opening liability") == ["10.00", "USD"]
    assert row(text, "Issued") == ["0.00", "USD"]
    assert "No movements in this period." in text

    text = report("--currency", "USD", "--since", str(today), "--until", str(today))
    assert row(text, "Issued") == ["10.00", "USD"]


@pytest.mark.django_db
def test_report_refuses_bad_input():
    with pytest.raises(CommandError, match="not a currency store credit can hold"):
        report("--currency", "XXX")
    with pytest.raises(CommandError, match="not a date"):
        report("--currency", "USD", "--since", "soon")
    with pytest.raises(CommandError, match="must start before"):
        report("--currency", "USD", "--since", "2025-02-01", "--until", "2025-01-01")
