import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import NO_REFERENCE, Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import AccountStatus, EntryKind, LotKind, Reason

from .conftest import balance_of, in_days, ledger_rows


@pytest.fixture
def order():
    return Reference(order_id=uuid.uuid4())


@pytest.fixture
def paid(account, customer, order):
    """Alice paid 40.00 of the order with store credit."""
    return ledger.debit(customer, "40", "USD", idempotency_key="pay", reference=order)


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_refund_gives_back_the_lots_the_payment_took(paid, customer, order, account):
    entry = ledger.refund(
        customer,
        "15",
        "USD",
        idempotency_key="refund-1",
        reference=order,
        customer_note="Returned a mug",
    )

    assert entry.kind == EntryKind.REFUND
    assert entry.reason == Reason.REFUND
    assert entry.amount == Decimal(15)
    assert entry.balance_after == Decimal(75)
    assert entry.order_id == order.order_id
    # The credit went back where it came from: the account's one lot.
    assert entry.lot.kind == LotKind.STORE_CREDIT
    assert entry.lot.remaining_amount == Decimal(75)
    assert account.lots.count() == 1
    assert ledger.refundable_amount(account, order) == Decimal(25)


def test_a_refunded_bonus_comes_back_as_bonus_with_its_expiry(customer):
    tomorrow = in_days(1)
    ledger.credit(customer, "100", "USD", idempotency_key="t", kind=LotKind.TOP_UP)
    ledger.credit(
        customer,
        "5",
        "USD",
        idempotency_key="b",
        kind=LotKind.BONUS,
        expires_at=tomorrow,
    )
    order = Reference(order_id=uuid.uuid4())
    ledger.debit(customer, "30", "USD", idempotency_key="pay", reference=order)

    ledger.refund(customer, "30", "USD", idempotency_key="r", reference=order)

    account = ledger.get_account(customer, "USD")
    lots = {lot.kind: lot for lot in account.lots.all()}
    assert lots[LotKind.BONUS].remaining_amount == Decimal(5)
    assert lots[LotKind.BONUS].expires_at == tomorrow
    assert lots[LotKind.TOP_UP].remaining_amount == Decimal(100)
    assert account.lots.count() == 2


def test_refunds_never_exceed_what_was_spent(paid, customer, order, account):
    ledger.refund(customer, "30", "USD", idempotency_key="r1", reference=order)
    refused(
        StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
        lambda: ledger.refund(
            customer, "10.01", "USD", idempotency_key="r2", reference=order
        ),
    )
    ledger.refund(customer, "10", "USD", idempotency_key="r3", reference=order)
    assert ledger.refundable_amount(account, order) == 0
    assert balance_of(account) == (Decimal(100), Decimal(0))


def test_refund_limit_is_per_reference(paid, customer, account):
    other_order = Reference(order_id=uuid.uuid4())
    refused(
        StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
        lambda: ledger.refund(
            customer, "1", "USD", idempotency_key="r", reference=other_order
        ),
    )


def test_refund_counts_captures_of_the_transaction(account, customer):
    transaction = Reference(transaction_id=uuid.uuid4())
    hold = ledger.authorize(
        customer, "50", "USD", idempotency_key="a", reference=transaction
    )
    ledger.capture(hold, "20", idempotency_key="c1")
    assert ledger.refundable_amount(account, transaction) == Decimal(20)
    ledger.capture(hold, "5", idempotency_key="c2")
    ledger.release(hold, idempotency_key="r")

    ledger.refund(customer, "25", "USD", idempotency_key="f", reference=transaction)

    assert balance_of(account) == (Decimal(100), Decimal(0))
    assert ledger.refundable_amount(account, transaction) == 0


def test_refund_needs_a_reference(paid, customer):
    for reference in (NO_REFERENCE, None, Reference(gift_card_id=3)):
        refused(
            StoreCreditErrorCode.REQUIRED,
            lambda reference=reference: ledger.refund(
                customer, "1", "USD", idempotency_key="r", reference=reference
            ),
        )


def test_refund_reaches_an_account_on_hold(paid, customer, order, account):
    ledger.set_status(account, AccountStatus.ON_HOLD)
    entry = ledger.refund(customer, "40", "USD", idempotency_key="r", reference=order)
    assert entry.balance_after == Decimal(100)


def test_refund_without_account_is_refused_and_creates_none(customer, order):
    refused(
        StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
        lambda: ledger.refund(
            customer, "1", "USD", idempotency_key="r", reference=order
        ),
    )


def test_reversed_debit_is_not_refundable_again(paid, customer, order, account):
    ledger.reverse(paid, idempotency_key="undo")

    assert ledger.refundable_amount(account, order) == 0
    refused(
        StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
        lambda: ledger.refund(
            customer, "1", "USD", idempotency_key="r", reference=order
        ),
    )


def test_reversed_refund_can_be_refunded_again(paid, customer, order, account):
    entry = ledger.refund(customer, "40", "USD", idempotency_key="r1", reference=order)
    ledger.reverse(entry, idempotency_key="undo")

    assert ledger.refundable_amount(account, order) == Decimal(40)
    ledger.refund(customer, "40", "USD", idempotency_key="r2", reference=order)
    assert balance_of(account) == (Decimal(100), Decimal(0))


def test_a_refund_cannot_choose_its_kind(paid, customer, order):
    with pytest.raises(TypeError):
        ledger.refund(
            customer, "1", "USD", idempotency_key="r", reference=order, kind="bonus"
        )
