import uuid
from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor, Reference
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger import writer
from saleor_storecredit.models import (
    AccountStatus,
    ActorType,
    EntryKind,
    LotKind,
    Reason,
    StoreCreditAccount,
)

from .conftest import balance_of, in_days, ledger_rows


def test_first_credit_creates_the_account_lot_and_entry(customer, make_customer):
    staff = make_customer("staff@example.com")
    order_id = uuid.uuid4()
    expires_at = in_days(30)

    entry = ledger.credit(
        customer,
        "25.50",
        "usd",
        idempotency_key="welcome",
        kind=LotKind.BONUS,
        reason=Reason.BONUS,
        expires_at=expires_at,
        reference=Reference(order_id=order_id),
        customer_note="Welcome!",
        internal_note="campaign 7",
        actor=Actor.staff(staff),
    )

    account = entry.account
    assert account.user == customer
    assert account.email == "alice@example.com"
    assert account.currency == "USD"
    assert balance_of(account) == (Decimal("25.50"), Decimal(0))
    assert account.available == Decimal("25.50")
    assert account.status == AccountStatus.ACTIVE
    assert entry.kind == EntryKind.CREDIT
    assert entry.reason == Reason.BONUS
    assert entry.amount == Decimal("25.50")
    assert entry.balance_after == Decimal("25.50")
    assert entry.held_change == 0 and entry.held_after == 0
    assert entry.order_id == order_id
    assert entry.customer_note == "Welcome!"
    assert entry.internal_note == "campaign 7"
    assert entry.actor_type == ActorType.STAFF
    assert entry.actor_user_id == staff.pk
    assert entry.idempotency_key == "staff:welcome"
    lot = entry.lot
    assert lot.kind == LotKind.BONUS
    assert lot.original_amount == lot.remaining_amount == Decimal("25.50")
    assert lot.expires_at == expires_at


def test_credits_add_up_and_each_currency_has_its_own_account(customer, fund):
    fund(customer, "10")
    second = fund(customer, "0.05")
    euros = fund(customer, "7", "EUR")

    assert second.balance_after == Decimal("10.05")
    assert second.account_id != euros.account_id
    assert StoreCreditAccount.objects.filter(user=customer).count() == 2
    assert ledger.get_account(customer, "EUR").balance == Decimal("7.00")
    assert ledger.get_account(customer, "GBP") is None


def test_every_lot_kind_is_accepted(customer, fund):
    for kind in LotKind.values:
        assert fund(customer, "1", kind=kind).lot.kind == kind


def test_unknown_kind_is_refused(customer):
    before = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        ledger.credit(customer, "1", "USD", idempotency_key="k", kind="loyalty")
    assert error.value.code == StoreCreditErrorCode.INVALID
    assert error.value.field == "kind"
    assert ledger_rows() == before


def test_credit_to_an_account_on_hold_is_received(account, fund, customer):
    ledger.set_status(account, AccountStatus.ON_HOLD, note="chargeback")

    entry = fund(customer, "5")

    assert entry.balance_after == Decimal("105.00")
    account.refresh_from_db()
    assert account.status == AccountStatus.ON_HOLD
    assert account.note == "chargeback"


def test_credit_to_an_account_object(account, fund):
    entry = fund(account, "1.25")
    assert entry.account_id == account.pk
    assert entry.balance_after == Decimal("101.25")


def test_app_and_customer_actors_are_recorded(customer, fund):
    class App:
        pk = 42

    by_app = fund(customer, "1", actor=Actor.app(App()))
    by_customer = fund(customer, "1", actor=Actor.customer(customer))

    assert (by_app.actor_type, by_app.actor_app_id) == (ActorType.APP, 42)
    assert (by_customer.actor_type, by_customer.actor_user_id) == (
        ActorType.CUSTOMER,
        customer.pk,
    )
    assert fund(customer, "1").actor_type == ActorType.SYSTEM


def test_credit_beyond_the_maximum_balance_is_refused(customer, fund, monkeypatch):
    monkeypatch.setattr(writer, "MAX_BALANCE", Decimal("150"))
    fund(customer, "100")
    before = ledger_rows()

    with pytest.raises(StoreCreditError) as error:
        fund(customer, "50.01")

    assert error.value.code == StoreCreditErrorCode.AMOUNT_TOO_LARGE
    assert ledger_rows() == before
    assert fund(customer, "50").balance_after == Decimal("150.00")


def test_deleting_the_customer_keeps_the_account_and_its_history(customer, fund):
    entry = fund(customer, "30")
    account_id = entry.account_id

    customer.delete()

    account = StoreCreditAccount.objects.get(pk=account_id)
    assert account.user is None
    assert account.email == "alice@example.com"
    assert account.balance == Decimal("30.00")
    assert account.entries.count() == 1
    assert account.lots.count() == 1


def test_account_follows_the_customers_current_email(customer, fund):
    fund(customer, "1")
    customer.email = "alice.new@example.com"
    customer.save()

    entry = fund(customer, "1")

    entry.account.refresh_from_db()
    assert entry.account.email == "alice.new@example.com"
