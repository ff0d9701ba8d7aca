"""Validation and rounding of every amount that enters the ledger."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import get_currency_precision, get_territory_currencies

from .error_codes import StoreCreditErrorCode
from .exceptions import InvalidAmount, InvalidCurrency

# Columns are NUMERIC(20, 3): keep a wide margin below what the database can hold.
MAX_DIGITS = 20
DECIMAL_PLACES = 3
MAX_AMOUNT = Decimal("1000000000000")  # one trillion per single operation
MAX_BALANCE = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES - 1)

# Longest amount text accepted: far more than any real amount, short enough
# that parsing it costs nothing.
MAX_AMOUNT_TEXT = 64


def _money_currencies() -> frozenset[str]:
    """Currencies that are legal tender somewhere today and that the columns hold
    exactly: withdrawn codes (DEM, FRF), metals and funds (XAU, XBA, XDR) and
    units of account with more decimals than the columns keep (CLF, UYW) are
    refused, never rounded."""
    today = date.today()
    tender = set()
    for territory in get_global("territory_currencies"):
        tender.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(
        code for code in tender if get_currency_precision(code) <= DECIMAL_PLACES
    )


_CURRENCIES = _money_currencies()


def validate_currency(currency, field: str = "currency") -> str:
    """Return the upper-cased ISO 4217 code or raise INVALID_CURRENCY."""
    if not isinstance(currency, str):
        raise InvalidCurrency("Currency must be a three-letter ISO code.", field=field)
    code = currency.strip()
    if not code.isascii() or len(code) != 3 or code.upper() not in _CURRENCIES:
        raise InvalidCurrency(
            f"{currency[:8]!r} is not a currency store credit can hold.", field=field
        )
    return code.upper()


def currency_precision(currency: str) -> int:
    return get_currency_precision(currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's precision (for amounts the ledger derives itself)."""
    return amount.quantize(Decimal(10) ** -currency_precision(currency))


# A plain decimal number: sign, integer digits, fraction digits (no exponent).
_PLAIN_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")


def _shortened(text: str, field: str) -> str:
    """A long amount text without its leading and trailing zeros, or the code
    its value earns: a 400-digit number is too large, not malformed. Only
    plain digits are read this way, so the cost stays linear in the text."""
    if len(text) <= MAX_AMOUNT_TEXT:
        return text
    match = _PLAIN_NUMBER.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        raise InvalidAmount("Amount is too long to be a number.", field=field)
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    if len(whole) > len(str(int(MAX_AMOUNT))):
        raise InvalidAmount(
            f"Amount must not exceed {MAX_AMOUNT}.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field=field,
        )
    if len(fraction) > MAX_AMOUNT_TEXT - len(whole) - 2:
        raise InvalidAmount(
            "Amount has far more decimal places than any currency.",
            code=StoreCreditErrorCode.TOO_MANY_DECIMAL_PLACES,
            field=field,
        )
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def to_decimal(value, field: str = "amount") -> Decimal:
    """Turn outside input into a finite Decimal; floats are refused outright."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount(
            "Amount must be a decimal number, not a float.", field=field
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) > MAX_AMOUNT:
            raise InvalidAmount(
                f"Amount must not exceed {MAX_AMOUNT}.",
                code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
                field=field,
            )
        number = Decimal(value)
    elif isinstance(value, str):
        text = _shortened(value.strip(), field)
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise InvalidAmount(f"{text!r} is not a number.", field=field) from None
    else:
        raise InvalidAmount("Amount must be a decimal number.", field=field)
    if not number.is_finite():
        raise InvalidAmount("Amount must be a finite number.", field=field)
    return number


def _decimal_places(number: Decimal) -> int:
    """Places after the point that carry a digit, counted exactly."""
    _, digits, exponent = number.as_tuple()
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def validate_amount(
    value, currency: str, *, field: str = "amount", allow_negative: bool = False
) -> Decimal:
    """Return the amount as an exact Decimal of the currency or raise a coded error.

    Over-precise amounts are refused, not rounded: silently rounding money the
    caller meant exactly is how cents go missing. Every check is exact (no
    decimal context): amounts too small to book (1E-1000030) or with more
    digits than the context keeps are refused, never rounded to something else.
    """
    number = to_decimal(value, field)
    if number.is_zero() or (number < 0 and not allow_negative):
        raise InvalidAmount(
            "Amount must be greater than zero."
            if not allow_negative
            else "Amount must not be zero.",
            code=StoreCreditErrorCode.AMOUNT_NOT_POSITIVE,
            field=field,
        )
    if number.copy_abs() > MAX_AMOUNT:
        raise InvalidAmount(
            f"Amount must not exceed {MAX_AMOUNT}.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field=field,
        )
    precision = currency_precision(currency)
    if _decimal_places(number) > precision:
        raise InvalidAmount(
            f"{currency} amounts can have at most {precision} decimal places.",
            code=StoreCreditErrorCode.TOO_MANY_DECIMAL_PLACES,
            field=field,
        )
    return quantize(number, currency)
