"""Text, identifiers and owners from outside: every bad one is refused with a
code before anything is written, never a database error."""

import uuid

import pytest
from django.contrib.auth import get_user_model

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor, Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.validation import MAX_TEXT_LENGTH
from saleor_storecredit.models import AccountStatus, StoreCreditAccount

from .conftest import ledger_rows

BAD_TEXT = ["nul\x00", "lone \ud800 surrogate", "x" * (MAX_TEXT_LENGTH + 1)]


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code, error.value
    assert ledger_rows() == before
    return error.value


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["customer_note", "internal_note"])
def test_bad_notes_are_refused_by_every_operation(account, customer, field, text):
    hold = ledger.authorize(customer, "1", "USD", idempotency_key="h")
    for call in (
        lambda: ledger.credit(
            customer, "1", "USD", idempotency_key="c", **{field: text}
        ),
        lambda: ledger.debit(
            customer, "1", "USD", idempotency_key="d", **{field: text}
        ),
        lambda: ledger.authorize(
            customer, "1", "USD", idempotency_key="a", **{field: text}
        ),
        lambda: ledger.capture(hold, idempotency_key="p", **{field: text}),
        lambda: ledger.release(hold, idempotency_key="r", **{field: text}),
        lambda: ledger.adjust(
            customer, "-1", "USD", idempotency_key="j", **{field: text}
        ),
    ):
        assert refused(Code.INVALID, call).field == field


@pytest.mark.parametrize("reason", ["", "nul\x00", "\udfff", "r" * 65, 5])
def test_bad_reasons_are_refused(customer, reason):
    refused(
        Code.INVALID,
        lambda: ledger.credit(customer, "1", "USD", idempotency_key="c", reason=reason),
    )


def test_a_note_of_the_limit_is_accepted(customer):
    entry = ledger.credit(
        customer, "1", "USD", idempotency_key="c", customer_note="n" * MAX_TEXT_LENGTH
    )
    assert len(entry.customer_note) == MAX_TEXT_LENGTH


@pytest.mark.parametrize(
    "reference",
    [
        Reference(order_id="not-a-uuid"),
        Reference(order_id="x" * 10_000),
        Reference(checkout_id=12),
        Reference(transaction_id="00000000-0000-0000-0000-00000000000g"),
        Reference(payment_id=2**70),
        Reference(payment_id=-1),
        Reference(payment_id="5"),
        Reference(gift_card_id=True),
    ],
)
def test_malformed_reference_ids_are_refused(account, customer, reference):
    refused(
        Code.INVALID,
        lambda: ledger.debit(
            customer, "1", "USD", idempotency_key="d", reference=reference
        ),
    )
    refused(
        Code.INVALID,
        lambda: ledger.refund(
            customer, "1", "USD", idempotency_key="r", reference=reference
        ),
    )


def test_a_customer_that_does_not_exist_is_not_found(db):
    ghost = get_user_model()(pk=987654, email="ghost@example.com")
    refused(
        Code.NOT_FOUND,
        lambda: ledger.credit(ghost, "1", "USD", idempotency_key="c"),
    )
    huge = get_user_model()(pk=2**70)
    refused(
        Code.NOT_FOUND, lambda: ledger.credit(huge, "1", "USD", idempotency_key="c")
    )


def test_an_account_that_does_not_exist_is_not_found(db):
    ghost = StoreCreditAccount(pk=987654, currency="USD")
    refused(
        Code.ACCOUNT_NOT_FOUND,
        lambda: ledger.credit(ghost, "1", "USD", idempotency_key="c"),
    )
    refused(
        Code.ACCOUNT_NOT_FOUND,
        lambda: ledger.update_account(ghost, status=AccountStatus.ON_HOLD),
    )
    refused(Code.HOLD_NOT_FOUND, lambda: ledger.capture(2**70, idempotency_key="c"))
    refused(Code.NOT_FOUND, lambda: ledger.reverse(987654, idempotency_key="r"))


def test_an_unknown_actor_is_refused(customer):
    refused(
        Code.INVALID,
        lambda: ledger.credit(
            customer, "1", "USD", idempotency_key="c", actor=Actor("staff", 2**70)
        ),
    )


@pytest.mark.parametrize("note", BAD_TEXT + [12])
def test_bad_account_notes_are_refused(account, note):
    refused(Code.INVALID, lambda: ledger.update_account(account, note=note))
    refused(
        Code.INVALID, lambda: ledger.set_status(account, AccountStatus.ON_HOLD, note)
    )


def test_a_transfer_to_a_customer_that_does_not_exist_is_refused(account, customer):
    ghost = get_user_model()(pk=987654)
    refused(
        Code.RECIPIENT_NOT_FOUND,
        lambda: ledger.transfer(customer, ghost, "1", "USD", idempotency_key="t"),
    )


def test_uuid_strings_are_accepted_as_references(account, customer):
    order_id = uuid.uuid4()
    entry = ledger.debit(
        customer,
        "1",
        "USD",
        idempotency_key="d",
        reference=Reference(order_id=str(order_id)),
    )
    assert entry.order_id == order_id
