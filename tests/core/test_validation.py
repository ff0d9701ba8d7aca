"""Bad input for every service function: a specific error code and no row written."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError

from .conftest import in_days, ledger_rows

ORDER = Reference(order_id=uuid.UUID("0b6a3e8e-3c43-4a86-9a0e-3b2b9c1f0d11"))

BAD_AMOUNTS = [
    pytest.param("0", Code.AMOUNT_NOT_POSITIVE, id="zero"),
    pytest.param(Decimal("-0.00"), Code.AMOUNT_NOT_POSITIVE, id="negative-zero"),
    pytest.param(0, Code.AMOUNT_NOT_POSITIVE, id="int-zero"),
    pytest.param("-1", Code.AMOUNT_NOT_POSITIVE, id="negative"),
    pytest.param(Decimal("-0.01"), Code.AMOUNT_NOT_POSITIVE, id="negative-cent"),
    pytest.param("NaN", Code.INVALID_AMOUNT, id="nan"),
    pytest.param(Decimal("sNaN"), Code.INVALID_AMOUNT, id="snan"),
    pytest.param("Infinity", Code.INVALID_AMOUNT, id="infinity"),
    pytest.param(Decimal("-Infinity"), Code.INVALID_AMOUNT, id="minus-infinity"),
    pytest.param("1.001", Code.TOO_MANY_DECIMAL_PLACES, id="over-precise"),
    pytest.param("1e-9", Code.TOO_MANY_DECIMAL_PLACES, id="tiny"),
    pytest.param("1000000000000.01", Code.AMOUNT_TOO_LARGE, id="enormous"),
    pytest.param("1e400", Code.AMOUNT_TOO_LARGE, id="astronomical"),
    pytest.param("9" * 400, Code.AMOUNT_TOO_LARGE, id="400-digits"),
    pytest.param("1" + "0" * 399 + ".50", Code.AMOUNT_TOO_LARGE, id="400-digits-cents"),
    pytest.param(
        " 12" + "3" * 397 + " ", Code.AMOUNT_TOO_LARGE, id="400-digits-spaced"
    ),
    pytest.param("0." + "0" * 398 + "1", Code.TOO_MANY_DECIMAL_PLACES, id="400-places"),
    pytest.param("1" * 100 + "x", Code.INVALID_AMOUNT, id="long-text"),
    pytest.param("." * 100, Code.INVALID_AMOUNT, id="long-dots"),
    pytest.param(1.5, Code.INVALID_AMOUNT, id="float"),
    pytest.param(float("nan"), Code.INVALID_AMOUNT, id="float-nan"),
    pytest.param(True, Code.INVALID_AMOUNT, id="bool"),
    pytest.param("ten", Code.INVALID_AMOUNT, id="text"),
    pytest.param("1,50", Code.INVALID_AMOUNT, id="comma"),
    pytest.param("", Code.INVALID_AMOUNT, id="empty"),
    pytest.param(None, Code.INVALID_AMOUNT, id="none"),
    pytest.param(["1"], Code.INVALID_AMOUNT, id="list"),
]

BAD_CURRENCIES = [
    pytest.param("ZZZ", id="unknown"),
    pytest.param("XXX", id="no-currency"),
    pytest.param("US", id="short"),
    pytest.param("USDT", id="long"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
    pytest.param(840, id="numeric"),
]

BAD_KEYS = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param(None, id="none"),
    pytest.param(123, id="int"),
    pytest.param("k" * 256, id="too-long"),
    pytest.param("a\x00b", id="nul"),
]


@pytest.fixture
def scene(customer, other_customer, fund, make_customer):
    """Every service call, each valid unless the argument under test is bad."""
    fund(customer, "100")
    fund(other_customer, "10")
    ledger.debit(customer, "50", "USD", idempotency_key="paid", reference=ORDER)
    hold = ledger.authorize(customer, "20", "USD", idempotency_key="held")
    euro_account = fund(make_customer("eve@example.com"), "10", "EUR").account

    def calls(amount="1", currency="USD", key="new-key", expires_at=None, owner=None):
        owner = owner or customer
        return {
            "credit": lambda: ledger.credit(
                owner, amount, currency, idempotency_key=key, expires_at=expires_at
            ),
            "debit": lambda: ledger.debit(owner, amount, currency, idempotency_key=key),
            "authorize": lambda: ledger.authorize(
                owner, amount, currency, idempotency_key=key
            ),
            "capture": lambda: ledger.capture(hold, amount, idempotency_key=key),
            "release": lambda: ledger.release(hold, amount, idempotency_key=key),
            "refund": lambda: ledger.refund(
                owner,
                amount,
                currency,
                idempotency_key=key,
                reference=ORDER,
            ),
            "adjust": lambda: ledger.adjust(
                owner, amount, currency, idempotency_key=key, expires_at=expires_at
            ),
            "transfer": lambda: ledger.transfer(
                owner, other_customer, amount, currency, idempotency_key=key
            ),
        }

    calls.euro_account = euro_account
    calls.hold = hold
    return calls


def assert_refused(call, code):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, error.value
    assert error.value.message
    assert ledger_rows() == before


AMOUNT_OPERATIONS = [
    "credit",
    "debit",
    "authorize",
    "capture",
    "release",
    "refund",
    "adjust",
    "transfer",
]
CURRENCY_OPERATIONS = ["credit", "debit", "authorize", "refund", "adjust", "transfer"]


def bad_amount_cases():
    for operation in AMOUNT_OPERATIONS:
        for case in BAD_AMOUNTS:
            amount, code = case.values
            if operation == "adjust" and str(amount) in ("-1", "-0.01"):
                continue  # a negative adjustment is a debit
            if operation in ("capture", "release") and amount is None:
                continue  # no amount means the whole hold
            yield pytest.param(operation, amount, code, id=f"{operation}-{case.id}")


@pytest.mark.parametrize(("operation", "amount", "code"), list(bad_amount_cases()))
def test_bad_amounts_are_refused(scene, operation, amount, code):
    assert_refused(scene(amount=amount)[operation], code)


@pytest.mark.parametrize("operation", AMOUNT_OPERATIONS)
def test_amounts_finer_than_the_currency_are_refused(scene, operation, customer, fund):
    fund(customer, "500", "JPY")
    fund(customer, "5", "KWD")
    if operation in ("capture", "release"):
        hold = ledger.authorize(customer, "100", "JPY", idempotency_key="yen-hold")
        call = getattr(ledger, operation)
        assert_refused(
            lambda: call(hold, "1.5", idempotency_key="k"),
            Code.TOO_MANY_DECIMAL_PLACES,
        )
        return
    assert_refused(
        scene(amount="1.5", currency="JPY")[operation], Code.TOO_MANY_DECIMAL_PLACES
    )
    assert_refused(
        scene(amount="0.0001", currency="KWD")[operation],
        Code.TOO_MANY_DECIMAL_PLACES,
    )


def test_negative_adjustment_is_validated_like_any_amount(scene, customer):
    for amount, code in [
        ("-1.001", Code.TOO_MANY_DECIMAL_PLACES),
        ("-1000000000000.01", Code.AMOUNT_TOO_LARGE),
        ("-NaN", Code.INVALID_AMOUNT),
        (-1.5, Code.INVALID_AMOUNT),
    ]:
        assert_refused(
            lambda amount=amount: ledger.adjust(
                customer, amount, "USD", idempotency_key="k"
            ),
            code,
        )


@pytest.mark.parametrize("operation", CURRENCY_OPERATIONS)
@pytest.mark.parametrize("currency", BAD_CURRENCIES)
def test_unknown_currencies_are_refused(scene, operation, currency):
    assert_refused(scene(currency=currency)[operation], Code.INVALID_CURRENCY)


@pytest.mark.parametrize("operation", CURRENCY_OPERATIONS)
def test_account_of_another_currency_is_refused(scene, operation):
    assert_refused(scene(owner=scene.euro_account)[operation], Code.CURRENCY_MISMATCH)


def test_lower_case_currency_is_the_same_currency(scene, customer):
    entry = ledger.credit(customer, "1", " usd ", idempotency_key="k")
    assert entry.account.currency == "USD"


@pytest.mark.parametrize("operation", [*AMOUNT_OPERATIONS, "reverse"])
@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_idempotency_keys_are_refused(scene, operation, key, customer):
    if operation == "reverse":
        entry = customer.store_credit_accounts.get().entries.first()
        call = lambda: ledger.reverse(entry, idempotency_key=key)  # noqa: E731
    else:
        call = scene(key=key)[operation]
    assert_refused(call, Code.INVALID_IDEMPOTENCY_KEY)


BAD_EXPIRIES = [
    pytest.param(lambda: timezone.now() - timedelta(seconds=1), id="past"),
    pytest.param(lambda: timezone.now(), id="now"),
    pytest.param(lambda: datetime.now() + timedelta(days=1), id="naive"),
    pytest.param(lambda: date.today() + timedelta(days=2), id="date"),
    pytest.param(lambda: "2099-01-01T00:00:00Z", id="text"),
]


@pytest.mark.parametrize("operation", ["credit", "adjust"])
@pytest.mark.parametrize("expires_at", BAD_EXPIRIES)
def test_bad_expiries_are_refused(scene, operation, expires_at):
    assert_refused(scene(expires_at=expires_at())[operation], Code.INVALID_EXPIRY)


@pytest.mark.parametrize(
    "operation", ["credit", "debit", "authorize", "refund", "adjust"]
)
@pytest.mark.parametrize("owner", [None, "alice@example.com", 1], ids=str)
def test_unknown_customers_are_not_found(scene, operation, owner):
    kwargs = {"reference": ORDER} if operation == "refund" else {}
    service = getattr(ledger, operation)
    assert_refused(
        lambda: service(owner, "1", "USD", idempotency_key="k", **kwargs),
        Code.NOT_FOUND,
    )


def test_notes_actors_and_references_must_be_well_formed(scene, customer):
    for kwargs, field in [
        ({"customer_note": 5}, "customer_note"),
        ({"internal_note": "a\x00b"}, "internal_note"),
        ({"actor": "staff"}, "actor"),
        ({"reference": {"order_id": 1}}, "reference"),
    ]:
        before = ledger_rows()
        with pytest.raises(StoreCreditError) as error:
            ledger.credit(customer, "1", "USD", idempotency_key="k", **kwargs)
        assert (error.value.code, error.value.field) == (Code.INVALID, field)
        assert ledger_rows() == before


@pytest.mark.parametrize("operation", AMOUNT_OPERATIONS)
def test_the_scene_is_valid_as_given(scene, operation):
    """So each refusal above is due to the one bad argument."""
    before = ledger_rows()
    assert scene(expires_at=in_days(1))[operation]() is not None
    assert ledger_rows() != before
