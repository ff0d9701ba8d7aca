"""Credit past its expiry is never spendable, held or sent, whatever the hourly
expiry task has done yet: the ledger books the expiry before it spends."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.error_codes import StoreCreditErrorCode as Code
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import EntryKind, StoreCreditEntry

from .conftest import balance_of, ledger_rows


@pytest.fixture
def expired(customer, fund):
    """10 that expired a moment ago (the task has not run) and 5 that never do."""
    fund(customer, "10", expires_at=timezone.now() + timedelta(seconds=1))
    lasting = fund(customer, "5")
    time.sleep(1.2)
    return lasting.account


def refused(code, call):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == code
    assert ledger_rows() == before


def test_expired_credit_cannot_be_spent_held_or_sent(expired, customer, other_customer):
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.debit(customer, "6", "USD", idempotency_key="d"),
    )
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.authorize(customer, "6", "USD", idempotency_key="a"),
    )
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.transfer(
            customer, other_customer, "6", "USD", idempotency_key="t"
        ),
    )
    refused(
        Code.INSUFFICIENT_FUNDS,
        lambda: ledger.adjust(customer, "-6", "USD", idempotency_key="j"),
    )


def test_spending_books_the_expiry_first(expired, customer):
    paid = ledger.debit(customer, "5", "USD", idempotency_key="d")

    kinds = list(
        StoreCreditEntry.objects.filter(account=expired)
        .order_by("pk")
        .values_list("kind", "amount")
    )
    assert kinds[-2:] == [
        (EntryKind.EXPIRY, Decimal("-10")),
        (EntryKind.DEBIT, Decimal("-5")),
    ]
    assert paid.balance_after == 0
    assert balance_of(expired) == (Decimal(0), Decimal(0))
    assert ledger.expire_due_lots() == []  # nothing left for the task


def test_an_expired_mistaken_credit_cannot_be_reversed(customer, fund):
    fund(customer, "50")
    mistake = fund(customer, "10", expires_at=timezone.now() + timedelta(seconds=1))
    time.sleep(1.2)
    refused(
        Code.ENTRY_NOT_REVERSIBLE,
        lambda: ledger.reverse(mistake, idempotency_key="undo"),
    )
    assert balance_of(mistake.account) == (Decimal(60), Decimal(0))
