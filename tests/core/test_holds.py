import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import AccountStatus, EntryKind, HoldStatus

from .conftest import balance_of, in_days, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_authorize_reserves_credit_without_taking_it(account, customer):
    checkout_id = uuid.uuid4()

    hold = ledger.authorize(
        customer,
        "40",
        "USD",
        idempotency_key="checkout-1",
        reference=Reference(checkout_id=checkout_id),
    )

    assert hold.amount == Decimal("40.00")
    assert hold.status == HoldStatus.ACTIVE
    assert hold.remaining == Decimal("40.00")
    assert hold.checkout_id == checkout_id
    assert balance_of(account) == (Decimal("100.00"), Decimal("40.00"))
    assert account.available == Decimal("60.00")
    entry = hold.entries.get()
    assert entry.kind == EntryKind.AUTHORIZATION
    assert (entry.amount, entry.held_change) == (0, Decimal("40.00"))
    assert (entry.balance_after, entry.held_after) == (100, 40)


def test_partial_capture_then_release_of_the_rest(account, customer):
    hold = ledger.authorize(customer, "40", "USD", idempotency_key="a")
    order_id = uuid.uuid4()

    captured = ledger.capture(
        hold, "25", idempotency_key="c", reference=Reference(order_id=order_id)
    )

    assert captured.kind == EntryKind.CAPTURE
    assert (captured.amount, captured.held_change) == (Decimal(-25), Decimal(-25))
    assert (captured.balance_after, captured.held_after) == (75, 15)
    assert captured.order_id == order_id
    hold.refresh_from_db()
    assert (hold.captured_amount, hold.remaining, hold.status) == (25, 15, "active")
    assert hold.order_id == order_id

    released = ledger.release(hold, idempotency_key="r")

    assert released.kind == EntryKind.RELEASE
    assert (released.amount, released.held_change) == (0, Decimal(-15))
    assert (released.balance_after, released.held_after) == (75, 0)
    assert released.order_id == order_id
    hold.refresh_from_db()
    assert (hold.released_amount, hold.status) == (15, HoldStatus.CAPTURED)
    assert balance_of(account) == (Decimal(75), Decimal(0))


def test_capture_without_amount_takes_the_whole_hold(account, customer):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    entry = ledger.capture(hold.pk, idempotency_key="c")
    assert entry.amount == Decimal("-10.00")
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CAPTURED
    assert balance_of(account) == (Decimal(90), Decimal(0))


def test_release_in_parts_closes_as_released(account, customer):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    ledger.release(hold, "4", idempotency_key="r1")
    ledger.release(hold, idempotency_key="r2")
    hold.refresh_from_db()
    assert (hold.released_amount, hold.status) == (10, HoldStatus.RELEASED)
    assert balance_of(account) == (Decimal(100), Decimal(0))


def test_capture_consumes_soonest_expiring_lot(customer, fund):
    plain = fund(customer, "10")
    expiring = fund(customer, "10", expires_at=in_days(3))
    hold = ledger.authorize(customer, "12", "USD", idempotency_key="a")

    ledger.capture(hold, idempotency_key="c")

    expiring.lot.refresh_from_db()
    plain.lot.refresh_from_db()
    assert (expiring.lot.remaining_amount, plain.lot.remaining_amount) == (0, 8)


def test_capture_more_than_left_is_refused(account, customer):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    ledger.capture(hold, "6", idempotency_key="c1")
    refused(
        StoreCreditErrorCode.CAPTURE_EXCEEDS_HOLD,
        lambda: ledger.capture(hold, "4.01", idempotency_key="c2"),
    )
    refused(
        StoreCreditErrorCode.CAPTURE_EXCEEDS_HOLD,
        lambda: ledger.release(hold, "5", idempotency_key="r"),
    )


def test_closed_hold_cannot_be_captured_or_released(account, customer):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    ledger.release(hold, idempotency_key="r")
    refused(
        StoreCreditErrorCode.HOLD_NOT_ACTIVE,
        lambda: ledger.capture(hold, idempotency_key="c"),
    )
    refused(
        StoreCreditErrorCode.HOLD_NOT_ACTIVE,
        lambda: ledger.release(hold, idempotency_key="r2"),
    )


def test_unknown_hold_is_not_found(account):
    for hold in (10**9, "1", None, 1.0):
        refused(
            StoreCreditErrorCode.HOLD_NOT_FOUND,
            lambda hold=hold: ledger.capture(hold, idempotency_key="c"),
        )
        refused(
            StoreCreditErrorCode.HOLD_NOT_FOUND,
            lambda hold=hold: ledger.release(hold, idempotency_key="r"),
        )


def test_authorize_beyond_available_is_refused(account, customer):
    ledger.authorize(customer, "60", "USD", idempotency_key="a1")
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.authorize(customer, "40.01", "USD", idempotency_key="a2"),
    )
    assert ledger.authorize(customer, "40", "USD", idempotency_key="a3").amount == 40


def test_held_credit_cannot_be_debited(account, customer):
    ledger.authorize(customer, "100", "USD", idempotency_key="a")
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.debit(customer, "0.01", "USD", idempotency_key="d"),
    )


def test_account_on_hold_cannot_authorize_but_settles_earlier_holds(account, customer):
    hold = ledger.authorize(customer, "30", "USD", idempotency_key="a1")
    other = ledger.authorize(customer, "20", "USD", idempotency_key="a2")
    ledger.set_status(account, AccountStatus.ON_HOLD)

    refused(
        StoreCreditErrorCode.ACCOUNT_ON_HOLD,
        lambda: ledger.authorize(customer, "1", "USD", idempotency_key="a3"),
    )
    ledger.capture(hold, idempotency_key="c")
    ledger.release(other, idempotency_key="r")

    assert balance_of(account) == (Decimal(70), Decimal(0))


def test_authorize_without_account_is_refused(customer):
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.authorize(customer, "1", "USD", idempotency_key="a"),
    )
