from decimal import Decimal

import pytest

from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import InvalidAmount, InvalidCurrency
from saleor_storecredit.money import quantize, validate_amount, validate_currency


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("5", "USD", "5.00"),
        (5, "USD", "5.00"),
        (Decimal("5.1"), "USD", "5.10"),
        (" 7.25 ", "EUR", "7.25"),
        ("1E+2", "USD", "100.00"),
        ("1.0", "JPY", "1"),
        ("0.001", "KWD", "0.001"),
        ("1000000000000", "USD", "1000000000000.00"),
        ("0" * 400 + "12.5" + "0" * 400, "USD", "12.50"),
    ],
)
def test_valid_amounts_are_exact_decimals_of_the_currency(value, currency, expected):
    amount = validate_amount(value, currency)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


def test_negative_amounts_only_where_allowed():
    assert validate_amount("-2.5", "USD", allow_negative=True) == Decimal("-2.50")
    with pytest.raises(InvalidAmount) as error:
        validate_amount("-" + "0" * 100 + "3", "USD")
    assert error.value.code == StoreCreditErrorCode.AMOUNT_NOT_POSITIVE
    with pytest.raises(InvalidAmount) as error:
        validate_amount("0", "USD", allow_negative=True)
    assert error.value.code == StoreCreditErrorCode.AMOUNT_NOT_POSITIVE


def test_the_field_is_named_in_the_error():
    with pytest.raises(InvalidAmount) as error:
        validate_amount(1.0, "USD", field="topUpAmount")
    assert error.value.field == "topUpAmount"


def test_currencies():
    assert validate_currency("eur") == "EUR"
    for bad in ("XTS", "XXX", "EURO", "", None):
        with pytest.raises(InvalidCurrency):
            validate_currency(bad)


def test_quantize_rounds_derived_amounts_to_the_currency():
    assert quantize(Decimal("1.005"), "USD") == Decimal("1.00")
    assert quantize(Decimal("3"), "KWD") == Decimal("3.000")
