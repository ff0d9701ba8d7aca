"""A hold has a deadline of its own: an hour past the expiry of the credit it
reserves. Credit that expired while held expires when its hold is released;
what the hold captured stays spent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.ledger.holds import HOLD_AFTER_EXPIRY
from saleor_storecredit.models import EntryKind, Reason, StoreCreditEntry

from .conftest import balance_of, in_days


@pytest.fixture
def later(monkeypatch):
    """Move the clock on, as if days passed and no expiry task ran."""

    def move(days):
        moment = timezone.now() + timedelta(days=days)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return move


def expiries():
    return list(
        StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY)
        .order_by("pk")
        .values_list("amount", flat=True)
    )


def test_the_deadline_follows_the_soonest_expiry_of_the_lots_a_hold_keeps(
    customer, fund
):
    fund(customer, "10", expires_at=in_days(1))
    later_lot = fund(customer, "10", expires_at=in_days(30)).lot
    fund(customer, "10")
    # Spending takes the soonest expiry first: the 1-day lot is gone.
    ledger.debit(customer, "10", "USD", idempotency_key="spend")

    first = ledger.authorize(customer, "5", "USD", idempotency_key="a")
    second = ledger.authorize(customer, "10", "USD", idempotency_key="b")
    third = ledger.authorize(customer, "5", "USD", idempotency_key="c")

    # A hold reserves lots of its own: 5 of the 30-day lot; then the other 5
    # and 5 that never expire; then only credit that never expires.
    assert first.expires_at == later_lot.expires_at + HOLD_AFTER_EXPIRY
    assert second.expires_at == later_lot.expires_at + HOLD_AFTER_EXPIRY
    assert third.expires_at is None


def test_withdrawals_have_no_deadline(customer, fund):
    fund(customer, "20", expires_at=in_days(1))

    withdrawal = ledger.authorize(
        customer, "10", "USD", idempotency_key="w", reason=Reason.WITHDRAWAL
    )
    payment = ledger.authorize(customer, "10", "USD", idempotency_key="p")

    assert withdrawal.expires_at is None
    assert payment.expires_at is not None


def test_expired_held_credit_expires_when_its_hold_is_released(customer, fund, later):
    fund(customer, "10", expires_at=in_days(1))
    fund(customer, "3")
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="checkout")
    later(2)
    # While held, the 10 it reserves is kept (promised before it expired).
    assert ledger.expire_due_lots() == []
    assert balance_of(hold.account) == (Decimal(13), Decimal(10))

    ledger.release(hold, idempotency_key="release")

    assert expiries() == [Decimal(-10)]
    # What never expires stays.
    assert balance_of(hold.account) == (Decimal(3), Decimal(0))
    assert ledger.expire_due_lots() == []


def test_captured_credit_stays_spent_and_only_the_rest_expires(customer, fund, later):
    fund(customer, "10", expires_at=in_days(1))
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="checkout")
    later(2)

    ledger.capture(hold, "6", idempotency_key="capture")
    assert expiries() == []
    assert balance_of(hold.account) == (Decimal(4), Decimal(4))

    ledger.release(hold, idempotency_key="release")

    assert expiries() == [Decimal(-4)]
    assert balance_of(hold.account) == (Decimal(0), Decimal(0))
    spent = StoreCreditEntry.objects.get(kind=EntryKind.CAPTURE)
    assert spent.amount == Decimal(-6)


def test_a_partial_release_expires_only_what_it_frees(customer, fund, later):
    fund(customer, "10", expires_at=in_days(1))
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="checkout")
    later(2)

    ledger.release(hold, "4", idempotency_key="release-4")

    assert expiries() == [Decimal(-4)]
    assert balance_of(hold.account) == (Decimal(6), Decimal(6))
