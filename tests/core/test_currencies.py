"""Every currency is either booked exactly or refused with a code; every amount
is booked as given or refused, never rounded."""

from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError

from .conftest import balance_of, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, error.value
    assert ledger_rows() == before


@pytest.mark.parametrize(
    "currency",
    # 4-decimal units of account, withdrawn codes, metals, funds, test codes
    ["CLF", "UYW", "DEM", "FRF", "XAU", "XBA", "XDR", "XTS", "XXX", "HRK", "ZZZ"],
)
def test_currencies_that_cannot_be_held_are_refused_everywhere(customer, currency):
    for call in (
        lambda: ledger.credit(customer, "1", currency, idempotency_key="c"),
        lambda: ledger.debit(customer, "1", currency, idempotency_key="d"),
        lambda: ledger.authorize(customer, "1", currency, idempotency_key="a"),
        lambda: ledger.adjust(customer, "-1", currency, idempotency_key="j"),
    ):
        refused(Code.INVALID_CURRENCY, call)


@pytest.mark.parametrize(
    "currency, amount",
    [("USD", "12.34"), ("JPY", "1200"), ("BHD", "1.234"), ("EUR", "0.01")],
)
def test_money_currencies_are_booked_exactly(customer, currency, amount):
    entry = ledger.credit(customer, amount, currency, idempotency_key="c")
    hold = ledger.authorize(customer, amount, currency, idempotency_key="a")
    assert entry.amount == Decimal(amount)
    assert balance_of(entry.account) == (Decimal(amount), Decimal(amount))
    captured = ledger.capture(hold, idempotency_key="cap")
    assert captured.amount == -Decimal(amount)


@pytest.mark.parametrize(
    "amount, currency, code",
    [
        ("0.0004", "USD", Code.TOO_MANY_DECIMAL_PLACES),
        ("0.001", "USD", Code.TOO_MANY_DECIMAL_PLACES),
        ("1.5", "JPY", Code.TOO_MANY_DECIMAL_PLACES),
        ("1.2345", "BHD", Code.TOO_MANY_DECIMAL_PLACES),
        ("1E-1000030", "USD", Code.TOO_MANY_DECIMAL_PLACES),
        (Decimal("1E-1000030"), "USD", Code.TOO_MANY_DECIMAL_PLACES),
        ("1.0000000000000000000000000000001", "USD", Code.TOO_MANY_DECIMAL_PLACES),
        ("10000000000000000000000000000001", "USD", Code.AMOUNT_TOO_LARGE),
        ("1E+1000000", "USD", Code.AMOUNT_TOO_LARGE),
        pytest.param(10**5000, "USD", Code.AMOUNT_TOO_LARGE, id="huge-int"),
        ("0E-5", "USD", Code.AMOUNT_NOT_POSITIVE),
        ("-0", "USD", Code.AMOUNT_NOT_POSITIVE),
        ("NaN", "USD", Code.INVALID_AMOUNT),
        ("Infinity", "USD", Code.INVALID_AMOUNT),
        # Long text is judged by its value: too large, too fine, or not a number.
        ("1" * 65, "USD", Code.AMOUNT_TOO_LARGE),
        pytest.param(
            "0." + "0" * 64 + "1", "USD", Code.TOO_MANY_DECIMAL_PLACES, id="fine"
        ),
        pytest.param("1" * 65 + "x", "USD", Code.INVALID_AMOUNT, id="long-text"),
        (1.5, "USD", Code.INVALID_AMOUNT),
    ],
)
def test_amounts_that_cannot_be_booked_exactly_are_refused(
    customer, fund, amount, currency, code
):
    fund(customer, "100", currency)
    refused(
        code, lambda: ledger.credit(customer, amount, currency, idempotency_key="c")
    )
    refused(code, lambda: ledger.debit(customer, amount, currency, idempotency_key="d"))
    refused(
        code, lambda: ledger.authorize(customer, amount, currency, idempotency_key="a")
    )


def test_trailing_zeros_are_not_extra_places(customer):
    entry = ledger.credit(customer, "12.3400000", "USD", idempotency_key="c")
    assert entry.amount == Decimal("12.34")
    entry = ledger.credit(customer, "1E+2", "JPY", idempotency_key="c")
    assert entry.amount == Decimal(100)
