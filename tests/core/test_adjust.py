from datetime import timedelta
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import (
    AccountStatus,
    ActorType,
    EntryKind,
    LotKind,
    Reason,
)

from .conftest import balance_of, in_days, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


@pytest.fixture
def staff(make_customer):
    return make_customer("staff@example.com")


def test_positive_adjustment_credits_a_lot(account, customer, staff):
    entry = ledger.adjust(
        customer,
        "7.50",
        "USD",
        idempotency_key="goodwill",
        reason=Reason.BONUS,
        expires_at=in_days(10),
        internal_note="late delivery",
        actor=Actor.staff(staff),
    )

    assert entry.kind == EntryKind.CREDIT
    assert entry.reason == Reason.BONUS
    assert entry.amount == Decimal("7.50")
    assert entry.lot.kind == LotKind.ADJUSTMENT
    assert entry.internal_note == "late delivery"
    assert (entry.actor_type, entry.actor_user_id) == (ActorType.STAFF, staff.pk)
    assert balance_of(account) == (Decimal("107.50"), 0)


def test_negative_adjustment_debits(account, customer, staff):
    entry = ledger.adjust(
        customer, "-20.25", "USD", idempotency_key="fix", actor=Actor.staff(staff)
    )

    assert entry.kind == EntryKind.DEBIT
    assert entry.reason == Reason.ADJUSTMENT
    assert entry.amount == Decimal("-20.25")
    assert entry.balance_after == Decimal("79.75")


def test_negative_adjustment_never_takes_held_credit(account, customer):
    ledger.authorize(customer, "90", "USD", idempotency_key="a")
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.adjust(customer, "-10.01", "USD", idempotency_key="fix"),
    )
    ledger.adjust(customer, "-10", "USD", idempotency_key="fix")
    assert balance_of(account) == (Decimal(90), Decimal(90))


def test_negative_adjustment_works_on_an_account_on_hold(account, customer):
    ledger.set_status(account, AccountStatus.ON_HOLD)
    entry = ledger.adjust(customer, "-100", "USD", idempotency_key="fix")
    assert entry.balance_after == 0


def test_negative_adjustment_without_account_is_refused(customer):
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.adjust(customer, "-1", "USD", idempotency_key="fix"),
    )


def test_negative_adjustment_cannot_expire(account, customer):
    refused(
        StoreCreditErrorCode.INVALID_EXPIRY,
        lambda: ledger.adjust(
            customer, "-1", "USD", idempotency_key="fix", expires_at=in_days(1)
        ),
    )


def test_adjustment_reason_must_fit(account, customer):
    for reason in ("", "x" * 65, None, 5):
        refused(
            StoreCreditErrorCode.INVALID,
            lambda reason=reason: ledger.adjust(
                customer, "-1", "USD", idempotency_key="fix", reason=reason
            ),
        )


def test_a_retried_credit_with_a_configured_expiry_is_the_same_entry(customer):
    """A period of days (`expiry_days`) is what was asked: a retry a moment
    later asks for the same, and another period is another request."""

    def credit_for(days):
        return ledger.adjust(
            customer,
            "25.00",
            "USD",
            idempotency_key="ticket-1",
            reason=Reason.MANUAL,
            kind=LotKind.STORE_CREDIT,
            expires_at=ledger.ExpiresAfter(days),
        )

    first = credit_for(365)
    again = credit_for(365)
    assert again.pk == first.pk
    assert balance_of(first.account) == (Decimal("25.00"), Decimal(0))
    assert abs(first.lot.expires_at - in_days(365)) < timedelta(minutes=5)
    refused(StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED, lambda: credit_for(30))


@pytest.mark.parametrize("days", [0, -1, True, 1.5, "30", 10**9])
def test_bad_expiry_periods_are_refused(customer, days):
    refused(
        StoreCreditErrorCode.INVALID_EXPIRY,
        lambda: ledger.adjust(
            customer,
            "5.00",
            "USD",
            idempotency_key="p",
            expires_at=ledger.ExpiresAfter(days),
        ),
    )
