"""Validation and rounding of every amount that enters the ledger."""

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

from .error_codes import StoreCreditErrorCode
from .exceptions import InvalidAmount, InvalidCurrency

# Columns are NUMERIC(20, 3): keep a wide margin below what the database can hold.
MAX_DIGITS = 20
DECIMAL_PLACES = 3
MAX_AMOUNT = Decimal("1000000000000")  # one trillion per single operation
MAX_BALANCE = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES - 1)

# "XXX" (no currency) and "XTS" (testing) are ISO codes but not money one can owe.
_CURRENCIES = frozenset(list_currencies()) - {"XXX", "XTS"}


def validate_currency(currency, field: str = "currency") -> str:
    """Return the upper-cased ISO 4217 code or raise INVALID_CURRENCY."""
    if not isinstance(currency, str):
        raise InvalidCurrency("Currency must be a three-letter ISO code.", field=field)
    code = currency.strip().upper()
    if len(code) != 3 or code not in _CURRENCIES:
        raise InvalidCurrency(f"{currency!r} is not a known currency.", field=field)
    return code


def currency_precision(currency: str) -> int:
    return get_currency_precision(currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's precision (for amounts the ledger derives itself)."""
    return amount.quantize(Decimal(10) ** -currency_precision(currency))


def to_decimal(value, field: str = "amount") -> Decimal:
    """Turn outside input into a finite Decimal; floats are refused outright."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount(
            "Amount must be a decimal number, not a float.", field=field
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InvalidAmount(f"{value!r} is not a number.", field=field) from None
    else:
        raise InvalidAmount("Amount must be a decimal number.", field=field)
    if not number.is_finite():
        raise InvalidAmount("Amount must be a finite number.", field=field)
    return number


def validate_amount(
    value, currency: str, *, field: str = "amount", allow_negative: bool = False
) -> Decimal:
    """Return the amount as an exact Decimal of the currency or raise a coded error.

    Over-precise amounts are refused, not rounded: silently rounding money the
    caller meant exactly is how cents go missing.
    """
    number = to_decimal(value, field)
    if number == 0 or (number < 0 and not allow_negative):
        raise InvalidAmount(
            "Amount must be greater than zero."
            if not allow_negative
            else "Amount must not be zero.",
            code=StoreCreditErrorCode.AMOUNT_NOT_POSITIVE,
            field=field,
        )
    if abs(number) > MAX_AMOUNT:
        raise InvalidAmount(
            f"Amount must not exceed {MAX_AMOUNT}.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field=field,
        )
    precision = currency_precision(currency)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > precision:
        raise InvalidAmount(
            f"{currency} amounts can have at most {precision} decimal places.",
            code=StoreCreditErrorCode.TOO_MANY_DECIMAL_PLACES,
            field=field,
        )
    return quantize(number, currency)
