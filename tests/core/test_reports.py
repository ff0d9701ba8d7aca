"""build_report: money movement per reason and the liability at both ends."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.reports import build_report

ORDER = Reference(order_id="a0000000-0000-0000-0000-000000000001")

pytestmark = pytest.mark.django_db


def test_movements_per_reason_and_named_totals(customer, other_customer, fund):
    fund(customer, "100.00")
    fund(other_customer, "20", reason="bonus", kind="bonus")
    fund(other_customer, "50", reason="top_up", kind="top_up")
    ledger.debit(customer, "30", "USD", idempotency_key="pay", reference=ORDER)
    ledger.refund(customer, "10", "USD", idempotency_key="refund", reference=ORDER)
    ledger.transfer(customer, other_customer, "5", "USD", idempotency_key="gift")
    hold = ledger.authorize(
        customer, "15", "USD", idempotency_key="payout", reason="withdrawal"
    )
    ledger.capture(hold, idempotency_key="paid")
    fund(customer, "999", "EUR")

    report = build_report("usd")

    assert report.currency == "USD"
    movements = {m.reason: (m.credited, m.debited, m.count) for m in report.movements}
    assert movements == {
        "manual": (Decimal("100.00"), Decimal(0), 1),
        "bonus": (Decimal("20.00"), Decimal(0), 1),
        "top_up": (Decimal("50.00"), Decimal(0), 1),
        "payment": (Decimal(0), Decimal("30.00"), 1),
        "refund": (Decimal("10.00"), Decimal(0), 1),
        "transfer": (Decimal("5.00"), Decimal("5.00"), 2),
        "withdrawal": (Decimal(0), Decimal("15.00"), 1),
    }
    assert report.issued == Decimal("180.00")  # transfers excluded
    assert report.spent == Decimal("30.00")
    assert report.refunded == Decimal("10.00")
    assert report.withdrawn == Decimal("15.00")
    assert report.transferred == Decimal("5.00")
    assert report.topped_up == Decimal("50.00")
    assert report.bonus == Decimal("20.00")
    assert report.opening_liability == Decimal(0)
    assert report.closing_liability == Decimal("135.00")
    assert report.accounts_with_balance == 2


def test_opening_plus_movements_is_closing(customer, fund):
    fund(customer, "40")
    start = timezone.now()
    fund(customer, "10")
    ledger.debit(customer, "25", "USD", idempotency_key="pay", reference=ORDER)

    report = build_report("USD", start)

    assert report.opening_liability == Decimal("40.00")
    assert report.closing_liability == Decimal("25.00")
    net = sum((m.net for m in report.movements), Decimal(0))
    assert report.opening_liability + net == report.closing_liability
    assert report.net_change == Decimal("-15.00")
    # Earlier credit is outside the period.
    assert report.issued == Decimal("10.00")


def test_expiring_soon_counts_only_the_next_30_days(customer, other_customer, fund):
    now = timezone.now()
    fund(customer, "7", expires_at=now + timedelta(days=5))
    fund(customer, "8", expires_at=now + timedelta(days=45))
    fund(other_customer, "9", expires_at=now + timedelta(days=29))
    fund(other_customer, "1")

    report = build_report("USD", now=now)

    assert report.expiring_soon == Decimal("16.00")
    assert report.expiring_accounts == 2


def test_expired_credit_is_reported(customer, fund):
    lot_entry = fund(customer, "12", expires_at=timezone.now() + timedelta(seconds=1))
    ledger.expire_due_lots(now=timezone.now() + timedelta(days=1))

    report = build_report("USD", end=timezone.now() + timedelta(days=2))

    assert lot_entry.amount == Decimal("12.00")
    assert report.expired == Decimal("12.00")
    assert report.closing_liability == Decimal(0)


def test_empty_currency_reports_zeros(customer, fund):
    fund(customer, "5")

    report = build_report("GBP")

    assert report.movements == []
    assert report.issued == report.closing_liability == Decimal(0)
    assert report.accounts_with_balance == 0


def test_period_must_start_before_it_ends():
    with pytest.raises(ValueError):
        build_report("USD", timezone.now(), timezone.now() - timedelta(days=1))


def test_unknown_currency_is_refused():
    with pytest.raises(StoreCreditError) as error:
        build_report("ZZZ")
    assert error.value.code.value == "invalid_currency"
