"""Staff acting as staff on credit they own are refused by the ledger itself,
whatever road reaches it; as customers they act like anyone."""

from decimal import Decimal

import pytest

from saleor_storecredit import approvals, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.bulk_jobs import Selection, select_customers
from saleor_storecredit.config import parse_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.batches import CreditRequest
from saleor_storecredit.models import AccountStatus, LotKind, Reason

from .conftest import balance_of, ledger_rows

pytestmark = pytest.mark.django_db

OWN = StoreCreditErrorCode.OWN_ACCOUNT
NO_THRESHOLD = parse_settings([])


@pytest.fixture
def own_account(staff, fund):
    """The staff member's own USD account, 40.00 (credited by the system)."""
    return fund(staff, "40.00").account


def refused(call):
    rows = ledger_rows()
    with pytest.raises(StoreCreditError) as error:
        call()
    assert error.value.code == OWN
    assert ledger_rows() == rows
    return error.value


def test_staff_cannot_credit_themselves(staff, own_account):
    me = Actor.staff(staff)

    refused(lambda: ledger.adjust(staff, "500", "USD", idempotency_key="k", actor=me))
    refused(lambda: ledger.credit(staff, "500", "USD", idempotency_key="k", actor=me))
    refused(
        lambda: approvals.adjust(
            staff,
            "500",
            "USD",
            idempotency_key="k",
            kind=LotKind.ADJUSTMENT,
            actor=me,
            settings=NO_THRESHOLD,
        )
    )

    assert balance_of(own_account) == (Decimal("40.00"), 0)


def test_staff_cannot_deduct_from_themselves_either(staff, own_account):
    """A deduction of one's own credit is as much self-dealing (e.g. before a
    refund that pays it back)."""
    refused(
        lambda: ledger.adjust(
            staff, "-10", "USD", idempotency_key="k", actor=Actor.staff(staff)
        )
    )
    assert balance_of(own_account) == (Decimal("40.00"), 0)


def test_staff_cannot_create_their_first_account(staff):
    refused(
        lambda: ledger.adjust(
            staff, "5", "EUR", idempotency_key="k", actor=Actor.staff(staff)
        )
    )
    assert ledger.get_account(staff, "EUR") is None


def test_staff_cannot_settle_their_own_hold(staff, own_account):
    hold = ledger.authorize(
        staff,
        "30.00",
        "USD",
        idempotency_key="w",
        reason=Reason.WITHDRAWAL,
        actor=Actor.customer(staff),
    )
    me = Actor.staff(staff)

    refused(lambda: ledger.capture(hold, idempotency_key="pay", actor=me))
    refused(lambda: ledger.release(hold, idempotency_key="rel", actor=me))

    assert balance_of(own_account) == (Decimal("40.00"), Decimal("30.00"))


def test_staff_cannot_lift_their_own_hold_or_allow_themselves(staff, own_account):
    ledger.update_account(own_account, status=AccountStatus.ON_HOLD, can_use=False)
    me = Actor.staff(staff)

    refused(
        lambda: ledger.update_account(
            own_account, status=AccountStatus.ACTIVE, actor=me
        )
    )
    refused(lambda: ledger.update_account(own_account, can_use=True, actor=me))
    refused(lambda: ledger.update_account(own_account, note="fine", actor=me))

    own_account.refresh_from_db()
    assert (own_account.status, own_account.can_use) == (AccountStatus.ON_HOLD, False)


def test_staff_cannot_reverse_their_own_entry(staff, own_account):
    spent = ledger.debit(
        staff, "10", "USD", idempotency_key="buy", actor=Actor.customer(staff)
    )
    refused(
        lambda: ledger.reverse(spent, idempotency_key="undo", actor=Actor.staff(staff))
    )
    assert balance_of(own_account) == (Decimal("30.00"), 0)


def test_batch_credit_refuses_only_the_staff_members_own_item(staff, customer):
    me = Actor.staff(staff)
    results = ledger.credit_many(
        [
            CreditRequest(staff, "5", "USD", idempotency_key="b1", actor=me),
            CreditRequest(customer, "5", "USD", idempotency_key="b2", actor=me),
        ]
    )
    assert results[0].error.code == OWN
    assert results[1].entry.amount == Decimal("5")
    assert ledger.get_account(staff, "USD") is None


def test_bulk_selection_never_includes_staff(staff, customer):
    selection = Selection.of(user_ids=[staff.pk, customer.pk], emails=[staff.email])
    assert list(selection.customers()) == [customer]
    assert list(select_customers(user_ids=[staff.pk])) == []


def test_other_staff_may_adjust_a_staff_members_account(staff, make_customer, fund):
    colleague = make_customer("colleague@example.com")
    colleague.is_staff = True
    colleague.save(update_fields=["is_staff"])

    entry = ledger.adjust(
        staff, "5", "USD", idempotency_key="k", actor=Actor.staff(colleague)
    )

    assert (entry.balance_after, entry.actor_user_id) == (Decimal("5"), colleague.pk)


def test_staff_as_customers_spend_and_hold_their_own_credit(staff, own_account):
    me = Actor.customer(staff)
    ledger.debit(staff, "10", "USD", idempotency_key="buy", actor=me)
    hold = ledger.authorize(staff, "5", "USD", idempotency_key="h", actor=me)
    ledger.release(hold, idempotency_key="h-back", actor=me)

    assert balance_of(own_account) == (Decimal("30.00"), 0)
