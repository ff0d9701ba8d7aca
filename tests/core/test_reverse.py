import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import EntryKind

from .conftest import balance_of, in_days, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_reversing_a_credit_takes_it_from_its_own_lot(customer, fund):
    expiring = fund(customer, "10", expires_at=in_days(1))
    mistake = fund(customer, "50", customer_note="oops")

    reversal = ledger.reverse(mistake, idempotency_key="undo", internal_note="typo")

    assert reversal.kind == EntryKind.REVERSAL
    assert reversal.amount == Decimal(-50)
    assert reversal.balance_after == Decimal(10)
    assert reversal.reversed_entry == mistake
    assert reversal.reason == mistake.reason
    assert reversal.internal_note == "typo"
    mistake.lot.refresh_from_db()
    expiring.lot.refresh_from_db()
    assert mistake.lot.remaining_amount == 0
    assert expiring.lot.remaining_amount == 10


def test_reversing_a_debit_gives_it_back(account, customer):
    order = Reference(order_id=uuid.uuid4())
    paid = ledger.debit(customer, "25", "USD", idempotency_key="d", reference=order)

    reversal = ledger.reverse(paid.pk, idempotency_key="undo")

    assert reversal.amount == Decimal(25)
    assert reversal.order_id == order.order_id
    assert balance_of(account) == (Decimal(100), 0)


def test_an_entry_is_reversed_once(account, customer, fund):
    entry = fund(customer, "5")
    ledger.reverse(entry, idempotency_key="undo")
    refused(
        StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
        lambda: ledger.reverse(entry, idempotency_key="undo-again"),
    )


def test_spent_credit_cannot_be_reversed(customer, fund):
    entry = fund(customer, "5")
    ledger.debit(customer, "1", "USD", idempotency_key="d")
    refused(
        StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
        lambda: ledger.reverse(entry, idempotency_key="undo"),
    )


def test_partly_refunded_debit_cannot_be_reversed(account, customer):
    order = Reference(order_id=uuid.uuid4())
    paid = ledger.debit(customer, "25", "USD", idempotency_key="d", reference=order)
    ledger.refund(customer, "5", "USD", idempotency_key="r", reference=order)
    refused(
        StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
        lambda: ledger.reverse(paid, idempotency_key="undo"),
    )


def test_holds_captures_expiries_transfers_and_reversals_are_not_reversible(
    account, customer, other_customer, fund
):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    capture = ledger.capture(hold, "5", idempotency_key="c")
    release = ledger.release(hold, idempotency_key="r")
    sent = ledger.transfer(customer, other_customer, "5", "USD", idempotency_key="t")
    reversal = ledger.reverse(fund(customer, "1"), idempotency_key="undo")
    lot = fund(customer, "3", expires_at=in_days(1))
    (expiry,) = ledger.expire_due_lots(now=in_days(2))
    assert expiry.lot_id == lot.lot_id

    for entry in (
        hold.entries.get(kind=EntryKind.AUTHORIZATION),
        capture,
        release,
        sent.debit,
        sent.credit,
        reversal,
        expiry,
    ):
        refused(
            StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
            lambda entry=entry: ledger.reverse(entry, idempotency_key="x"),
        )


def test_unknown_entry_is_not_found(account):
    for entry in (10**9, "1", None):
        refused(
            StoreCreditErrorCode.NOT_FOUND,
            lambda entry=entry: ledger.reverse(entry, idempotency_key="x"),
        )
