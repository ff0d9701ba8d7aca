import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import AccountStatus, EntryKind, Reason, StoreCreditLot

from .conftest import balance_of, in_days, ledger_rows


def remaining(*entries):
    return [StoreCreditLot.objects.get(pk=e.lot_id).remaining_amount for e in entries]


def test_debit_takes_credit_and_records_the_payment(account, customer):
    order_id = uuid.uuid4()

    entry = ledger.debit(
        customer,
        "12.34",
        "USD",
        idempotency_key="order-1",
        reference=Reference(order_id=order_id),
        customer_note="Order #1",
    )

    assert entry.kind == EntryKind.DEBIT
    assert entry.reason == Reason.PAYMENT
    assert entry.amount == Decimal("-12.34")
    assert entry.balance_after == Decimal("87.66")
    assert entry.order_id == order_id
    assert entry.customer_note == "Order #1"
    assert balance_of(account) == (Decimal("87.66"), Decimal(0))


def test_debit_takes_soonest_expiring_lots_first_then_oldest(customer, fund):
    oldest = fund(customer, "10")
    late = fund(customer, "10", expires_at=in_days(10))
    soon = fund(customer, "10", expires_at=in_days(5))
    newest = fund(customer, "10")

    ledger.debit(customer, "5", "USD", idempotency_key="d1")
    assert remaining(soon, late, oldest, newest) == [5, 10, 10, 10]

    ledger.debit(customer, "12", "USD", idempotency_key="d2")
    assert remaining(soon, late, oldest, newest) == [0, 3, 10, 10]

    ledger.debit(customer, "13", "USD", idempotency_key="d3")
    assert remaining(soon, late, oldest, newest) == [0, 0, 0, 10]


def test_debit_of_the_whole_balance_leaves_zero(account, customer):
    entry = ledger.debit(customer, "100", "USD", idempotency_key="all")
    assert entry.balance_after == 0
    assert balance_of(account) == (0, 0)


def test_debit_beyond_available_is_refused_without_a_trace(account, customer):
    ledger.authorize(customer, "30", "USD", idempotency_key="hold")
    before = ledger_rows()

    with pytest.raises(StoreCreditError) as error:
        ledger.debit(customer, "70.01", "USD", idempotency_key="too-much")

    assert error.value.code == StoreCreditErrorCode.INSUFFICIENT_FUNDS
    assert ledger_rows() == before
    assert balance_of(account) == (Decimal("100.00"), Decimal("30.00"))
    assert ledger.debit(customer, "70", "USD", idempotency_key="ok").balance_after == 30


def test_debit_without_an_account_is_refused_and_creates_none(customer):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        ledger.debit(customer, "1", "USD", idempotency_key="k")
    assert error.value.code == StoreCreditErrorCode.INSUFFICIENT_FUNDS
    assert ledger_rows() == before


def test_account_on_hold_cannot_spend(account, customer):
    ledger.set_status(account, AccountStatus.ON_HOLD)
    before = ledger_rows()

    with pytest.raises(StoreCreditError) as error:
        ledger.debit(customer, "1", "USD", idempotency_key="k")

    assert error.value.code == StoreCreditErrorCode.ACCOUNT_ON_HOLD
    assert ledger_rows() == before
    ledger.set_status(account, AccountStatus.ACTIVE)
    assert ledger.debit(customer, "1", "USD", idempotency_key="k").balance_after == 99


@pytest.mark.parametrize(
    ("currency", "credit", "spend", "left"),
    [("JPY", "1000", "999", Decimal(1)), ("KWD", "1.500", "0.001", Decimal("1.499"))],
)
def test_currencies_keep_their_own_precision(
    customer, fund, currency, credit, spend, left
):
    fund(customer, credit, currency)
    entry = ledger.debit(customer, spend, currency, idempotency_key="k")
    assert entry.balance_after == left
