"""A repeated key returns the first result and writes nothing; a key reused with
other arguments is refused."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import AccountStatus

from .conftest import balance_of, in_days, ledger_rows

ORDER = Reference(order_id=uuid.UUID("7c0d5b2e-5d0c-4f4e-9a51-1b1f2f6f6f6f"))


@pytest.fixture
def scene(account, customer, other_customer):
    """Calls that succeed on Alice's funded account, each a function of its key."""
    ledger.debit(customer, "20", "USD", idempotency_key="paid", reference=ORDER)
    hold = ledger.authorize(customer, "30", "USD", idempotency_key="held")
    paid_entry = ledger.debit(customer, "1", "USD", idempotency_key="to-reverse")
    return {
        "credit": lambda key, amount="5": ledger.credit(
            customer, amount, "USD", idempotency_key=key, expires_at=EXPIRY
        ),
        "debit": lambda key, amount="5": ledger.debit(
            customer, amount, "USD", idempotency_key=key, reference=ORDER
        ),
        "authorize": lambda key, amount="5": ledger.authorize(
            customer, amount, "USD", idempotency_key=key
        ),
        "capture": lambda key, amount="5": ledger.capture(
            hold, amount, idempotency_key=key
        ),
        "release": lambda key, amount="5": ledger.release(
            hold, amount, idempotency_key=key
        ),
        "refund": lambda key, amount="5": ledger.refund(
            customer, amount, "USD", idempotency_key=key, reference=ORDER
        ),
        "adjust+": lambda key, amount="5": ledger.adjust(
            customer, amount, "USD", idempotency_key=key
        ),
        "adjust-": lambda key, amount="5": ledger.adjust(
            customer, f"-{amount}", "USD", idempotency_key=key
        ),
        "transfer": lambda key, amount="5": ledger.transfer(
            customer, other_customer, amount, "USD", idempotency_key=key
        ),
        "reverse": lambda key, amount="5": ledger.reverse(
            paid_entry, idempotency_key=key, internal_note=amount
        ),
    }


EXPIRY = in_days(365)
OPERATIONS = [
    "credit",
    "debit",
    "authorize",
    "capture",
    "release",
    "refund",
    "adjust+",
    "adjust-",
    "transfer",
    "reverse",
]


def identity(result):
    if hasattr(result, "debit"):
        return (result.debit.pk, result.credit.pk)
    return (type(result).__name__, result.pk)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_repeated_key_returns_the_first_result(scene, operation, account):
    first = scene[operation]("k1")
    rows = ledger_rows()
    balances = balance_of(account)

    again = scene[operation]("k1")

    assert identity(again) == identity(first)
    assert ledger_rows() == rows
    assert balance_of(account) == balances


@pytest.mark.parametrize("operation", OPERATIONS)
def test_same_key_with_other_arguments_is_refused(scene, operation):
    scene[operation]("k1")
    rows = ledger_rows()

    with pytest.raises(StoreCreditError) as error:
        scene[operation]("k1", amount="6")

    assert error.value.code == StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
    assert ledger_rows() == rows


@pytest.mark.parametrize(
    ("first", "second"),
    [("credit", "debit"), ("debit", "authorize"), ("capture", "release")],
)
def test_key_of_another_operation_is_refused(scene, first, second):
    scene[first]("k1")
    rows = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        scene[second]("k1")
    assert error.value.code == StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
    assert ledger_rows() == rows


def test_equal_amounts_written_differently_are_the_same_request(account, customer):
    first = ledger.debit(customer, "5", "USD", idempotency_key="k")
    assert ledger.debit(customer, Decimal("5.00"), "USD", idempotency_key="k") == first
    assert ledger.debit(customer, 5, "USD", idempotency_key="k") == first
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    captured = ledger.capture(hold, "2.5", idempotency_key="c")
    assert ledger.capture(hold, "2.50", idempotency_key="c") == captured


def test_keys_belong_to_one_account(customer, other_customer, fund):
    fund(customer, "1", idempotency_key="same")
    fund(other_customer, "2", idempotency_key="same")
    assert ledger.get_account(other_customer, "USD").balance == Decimal(2)


def test_retry_is_answered_even_after_the_account_went_on_hold(account, customer):
    first = ledger.debit(customer, "5", "USD", idempotency_key="k")
    ledger.set_status(account, AccountStatus.ON_HOLD)
    assert ledger.debit(customer, "5", "USD", idempotency_key="k") == first


def test_retry_of_a_full_capture_after_the_hold_closed(account, customer):
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")
    first = ledger.capture(hold, idempotency_key="c")
    assert ledger.capture(hold, idempotency_key="c") == first


def test_a_refused_call_can_be_retried_with_its_key(customer, fund):
    with pytest.raises(StoreCreditError):
        ledger.debit(customer, "5", "USD", idempotency_key="k")
    fund(customer, "5")
    assert ledger.debit(customer, "5", "USD", idempotency_key="k").balance_after == 0


def test_retries_with_server_side_binding(account, customer, monkeypatch):
    """With server-side binding the lock and the key lookup go as two statements."""
    monkeypatch.setitem(
        connection.settings_dict["OPTIONS"], "server_side_binding", True
    )
    first = ledger.debit(customer, "5", "USD", idempotency_key="k")
    rows = ledger_rows()
    assert ledger.debit(customer, "5", "USD", idempotency_key="k") == first
    assert ledger_rows() == rows
    with pytest.raises(StoreCreditError) as error:
        ledger.debit(customer, "6", "USD", idempotency_key="k")
    assert error.value.code == StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
