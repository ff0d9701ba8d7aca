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


def test_the_deadline_follows_the_expiry_of_the_credit_the_holds_keep(customer, fund):
    soon = fund(customer, "10", expires_at=in_days(1)).lot
    later_lot = fund(customer, "10", expires_at=in_days(30)).lot
    fund(customer, "10")

    # Held credit is the credit that expires last: 8 held is covered by credit
    # that never expires, 13 reaches the 30-day lot, 23 the 1-day lot.
    first = ledger.authorize(customer, "8", "USD", idempotency_key="a")
    second = ledger.authorize(customer, "5", "USD", idempotency_key="b")
    third = ledger.authorize(customer, "10", "USD", idempotency_key="c")

    assert first.expires_at is None
    assert second.expires_at == later_lot.expires_at + HOLD_AFTER_EXPIRY
    assert third.expires_at == soon.expires_at + HOLD_AFTER_EXPIRY


def test_withdrawals_have_no_deadline(customer, fund):
    fund(customer, "10")
    fund(customer, "10", expires_at=in_days(1))

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
    # While held, 10 is kept (promised before it expired); 3 of the expired
    # lot is not held and expires.
    assert [e.amount for e in ledger.expire_due_lots()] == [Decimal(-3)]
    assert balance_of(hold.account) == (Decimal(10), Decimal(10))

    ledger.release(hold, idempotency_key="release")

    assert expiries() == [Decimal(-3), Decimal(-7)]
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
