from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import (
    AccountStatus,
    EntryKind,
    LotKind,
    Reason,
    StoreCreditAccount,
)

from .conftest import balance_of, in_days, ledger_rows


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_transfer_moves_available_credit(account, customer, other_customer):
    result = ledger.transfer(
        customer,
        other_customer,
        "30",
        "USD",
        idempotency_key="gift-to-bob",
        customer_note="Happy birthday",
    )

    assert (result.debit.kind, result.debit.reason) == (
        EntryKind.DEBIT,
        Reason.TRANSFER,
    )
    assert result.debit.amount == Decimal(-30)
    assert result.debit.balance_after == Decimal(70)
    assert (result.credit.kind, result.credit.reason) == (
        EntryKind.CREDIT,
        Reason.TRANSFER,
    )
    assert result.credit.balance_after == Decimal(30)
    assert result.credit.customer_note == "Happy birthday"
    # The credit keeps its kind; its source names the sender's lot.
    assert result.credit.lot.kind == LotKind.STORE_CREDIT
    assert result.credit.lot.source == "transfer"
    assert result.credit.lot.origin_lot.account == account
    received = StoreCreditAccount.objects.get(user=other_customer, currency="USD")
    assert received.email == "bob@example.com"
    assert balance_of(account) == (Decimal(70), 0)


def test_received_credit_keeps_the_expiry_of_each_lot(customer, other_customer, fund):
    fund(customer, "10")
    soon, later = in_days(2), in_days(20)
    fund(customer, "10", expires_at=soon)
    fund(customer, "10", expires_at=later)

    result = ledger.transfer(customer, other_customer, "25", "USD", idempotency_key="t")

    received = result.credit.account.lots.order_by("pk")
    assert [(lot.remaining_amount, lot.expires_at) for lot in received] == [
        (Decimal(10), soon),
        (Decimal(10), later),
        (Decimal(5), None),
    ]


def test_ten_expiring_and_ten_lasting_sent_leave_ten_after_expiry(
    customer, other_customer, fund
):
    fund(customer, "10")
    fund(customer, "10", expires_at=in_days(1))
    ledger.transfer(customer, other_customer, "20", "USD", idempotency_key="t")

    ledger.expire_due_lots(now=in_days(2))

    received = ledger.get_account(other_customer, "USD")
    received.refresh_from_db()
    assert received.balance == Decimal(10)


def test_transfer_of_credit_without_expiry_does_not_expire(
    account, customer, other_customer
):
    result = ledger.transfer(customer, other_customer, "15", "USD", idempotency_key="t")
    assert result.credit.lot.expires_at is None


def test_transfer_to_oneself_is_refused(account, customer):
    refused(
        StoreCreditErrorCode.SAME_ACCOUNT,
        lambda: ledger.transfer(customer, customer, "1", "USD", idempotency_key="t"),
    )
    refused(
        StoreCreditErrorCode.SAME_ACCOUNT,
        lambda: ledger.transfer(account, customer, "1", "USD", idempotency_key="t"),
    )


def test_transfer_needs_available_credit(account, customer, other_customer):
    ledger.authorize(customer, "80", "USD", idempotency_key="a")
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.transfer(
            customer, other_customer, "20.01", "USD", idempotency_key="t"
        ),
    )


def test_sender_without_account_is_refused_and_nothing_created(
    customer, other_customer
):
    refused(
        StoreCreditErrorCode.INSUFFICIENT_FUNDS,
        lambda: ledger.transfer(
            customer, other_customer, "1", "USD", idempotency_key="t"
        ),
    )


def test_sender_on_hold_cannot_send_but_can_receive(
    account, customer, other_customer, fund
):
    fund(other_customer, "10")
    ledger.set_status(account, AccountStatus.ON_HOLD)

    refused(
        StoreCreditErrorCode.ACCOUNT_ON_HOLD,
        lambda: ledger.transfer(
            customer, other_customer, "1", "USD", idempotency_key="t"
        ),
    )
    ledger.transfer(other_customer, customer, "10", "USD", idempotency_key="t")

    assert balance_of(account) == (Decimal(110), 0)


def test_unknown_recipient_is_refused(account, customer):
    for recipient in (None, "bob@example.com", 7):
        refused(
            StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
            lambda recipient=recipient: ledger.transfer(
                customer, recipient, "1", "USD", idempotency_key="t"
            ),
        )


def test_recipient_keys_never_collide_with_the_senders(
    account, customer, other_customer, fund
):
    ledger.transfer(customer, other_customer, "10", "USD", idempotency_key="t1")
    ledger.transfer(other_customer, customer, "3", "USD", idempotency_key="t1")
    fund(other_customer, "5", idempotency_key="t2")
    ledger.transfer(customer, other_customer, "1", "USD", idempotency_key="t2")

    assert ledger.get_account(other_customer, "USD").balance == Decimal(13)
    assert balance_of(account) == (Decimal(92), 0)


def test_accounts_that_do_not_exist_are_coded_refusals(
    account, customer, other_customer, fund
):
    """Never a crash: a sender or recipient account or customer that is gone."""
    other = fund(other_customer, "5").account
    ghost = StoreCreditAccount(pk=10**12, currency="USD", user_id=None)
    refused(
        StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
        lambda: ledger.transfer(ghost, other_customer, "1", "USD", idempotency_key="t"),
    )
    refused(
        StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
        lambda: ledger.transfer(customer, ghost, "1", "USD", idempotency_key="t"),
    )
    refused(
        StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
        lambda: ledger.transfer(ghost, other, "1", "USD", idempotency_key="t"),
    )


def test_customers_that_were_deleted_cannot_send_or_receive(
    account, customer, other_customer, make_customer, fund
):
    gone = make_customer("carol@example.com")
    gone_account = fund(gone, "20").account
    gone_pk = gone.pk
    gone.delete()
    gone.pk = gone_pk  # what a caller still holding the object hands in
    gone_account.refresh_from_db()

    refused(
        StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
        lambda: ledger.transfer(customer, gone, "1", "USD", idempotency_key="t"),
    )
    refused(
        StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
        lambda: ledger.transfer(
            customer, gone_account, "1", "USD", idempotency_key="t"
        ),
    )
    refused(
        StoreCreditErrorCode.NOT_FOUND,
        lambda: ledger.transfer(
            gone_account, other_customer, "1", "USD", idempotency_key="t"
        ),
    )
    refused(
        StoreCreditErrorCode.NOT_FOUND,
        lambda: ledger.transfer(gone, other_customer, "1", "USD", idempotency_key="t"),
    )
    assert balance_of(account) == (Decimal(100), 0)


def test_a_sender_refused_by_staff_cannot_send(account, customer, other_customer):
    ledger.update_account(account, can_use=False)

    refused(
        StoreCreditErrorCode.NOT_ELIGIBLE,
        lambda: ledger.transfer(
            customer, other_customer, "1", "USD", idempotency_key="t"
        ),
    )
