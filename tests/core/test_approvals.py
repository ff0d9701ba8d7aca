"""Maker-checker: staff adjustments above the threshold wait for a second staff
member, then move money exactly once, as the approver's."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from saleor_storecredit import approvals
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger import get_account
from saleor_storecredit.ledger.validation import ExpiresAfter
from saleor_storecredit.models import (
    ApprovalStatus,
    LotKind,
    StoreCreditAdjustmentApproval,
    StoreCreditEntry,
)

from .conftest import balance_of, ledger_rows, run_in_parallel

pytestmark = pytest.mark.django_db

THRESHOLD = parse_settings(
    [{"name": "approval_threshold", "value": "USD:500, EUR:450"}]
)


@pytest.fixture
def make_staff(make_customer):
    def make(email):
        user = make_customer(email)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    return make


@pytest.fixture
def maker(make_staff):
    return make_staff("maker@example.com")


@pytest.fixture
def checker(make_staff):
    return make_staff("checker@example.com")


def ask(customer, amount, maker, key="ticket-1", currency="USD", **kwargs):
    kwargs.setdefault("kind", LotKind.ADJUSTMENT)
    kwargs.setdefault("settings", THRESHOLD)
    return approvals.adjust(
        customer,
        amount,
        currency,
        idempotency_key=key,
        actor=Actor.staff(maker),
        internal_note="goodwill",
        **kwargs,
    )


def code_of(call):
    with pytest.raises(StoreCreditError) as error:
        call()
    return error.value.code


def test_setting_is_parsed_and_validated():
    assert THRESHOLD.approval_threshold == {"USD": Decimal(500), "EUR": Decimal(450)}
    assert THRESHOLD.needs_approval(Decimal("500.01"), "USD")
    assert THRESHOLD.needs_approval(Decimal("-600"), "USD")
    assert not THRESHOLD.needs_approval(Decimal("500"), "USD")
    assert not THRESHOLD.needs_approval(Decimal("10000"), "GBP")
    assert parse_settings([]).approval_threshold == {}
    for bad in (
        "USD",
        "USD:-5",
        "USD:0",
        "XXQ:5",
        "USD:1.001",
        "USD:5, usd:6",
        "USD:x",
    ):
        with pytest.raises(ValidationError) as error:
            parse_settings([{"name": "approval_threshold", "value": bad}])
        assert "approval_threshold" in error.value.error_dict, bad


def test_at_or_below_the_threshold_money_moves_at_once(customer, maker):
    result = ask(customer, "500.00", maker)
    assert result.approval is None
    assert result.entry.balance_after == Decimal("500.00")


def test_above_the_threshold_nothing_moves_until_approved(customer, maker, checker):
    rows = ledger_rows()
    result = ask(customer, "750.00", maker)

    approval = result.approval
    assert result.entry is None
    assert (approval.status, approval.amount, approval.actor_user_id) == (
        ApprovalStatus.PENDING,
        Decimal("750.00"),
        maker.pk,
    )
    assert get_account(customer, "USD") is None
    rows["StoreCreditAdjustmentApproval"] += 1
    assert ledger_rows() == rows

    decided = approvals.approve(approval.pk, actor=Actor.staff(checker), note="ok")

    assert decided.status == ApprovalStatus.APPROVED
    assert decided.decided_by_user_id == checker.pk
    entry = decided.entry
    assert (entry.amount, entry.balance_after) == (Decimal("750.00"), Decimal("750"))
    assert (entry.actor_type, entry.actor_user_id) == ("staff", checker.pk)
    assert entry.internal_note == "goodwill"
    assert balance_of(get_account(customer, "USD")) == (Decimal("750.00"), 0)


def test_a_retry_returns_the_same_approval(customer, maker, checker):
    first = ask(customer, "750.00", maker).approval
    again = ask(customer, "750.00", maker).approval
    assert again.pk == first.pk
    assert StoreCreditAdjustmentApproval.objects.count() == 1

    approvals.approve(first.pk, actor=Actor.staff(checker))
    after = ask(customer, "750.00", maker)
    assert after.approval.pk == first.pk
    assert after.entry.balance_after == Decimal("750.00")
    # The threshold turned off later still returns the approval, not a 2nd credit.
    off = ask(customer, "750.00", maker, settings=parse_settings([]))
    assert off.approval.pk == first.pk
    assert balance_of(get_account(customer, "USD")) == (Decimal("750.00"), 0)


def test_the_same_key_for_another_request_is_refused(customer, maker):
    ask(customer, "750.00", maker)
    assert (
        code_of(lambda: ask(customer, "760.00", maker))
        == StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
    )


def test_a_key_the_ledger_booked_stays_the_ledgers(customer, maker):
    ask(customer, "100.00", maker, settings=parse_settings([]))
    again = ask(customer, "100.00", maker, settings=parse_settings([]))
    assert again.approval is None
    assert (
        code_of(lambda: ask(customer, "900.00", maker))
        == StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
    )
    assert StoreCreditAdjustmentApproval.objects.count() == 0


def test_the_maker_cannot_approve_but_may_cancel(customer, maker):
    approval = ask(customer, "750.00", maker).approval

    assert (
        code_of(lambda: approvals.approve(approval.pk, actor=Actor.staff(maker)))
        == StoreCreditErrorCode.APPROVAL_BY_REQUESTER
    )
    canceled = approvals.reject(approval.pk, actor=Actor.staff(maker))

    assert canceled.status == ApprovalStatus.CANCELED
    assert get_account(customer, "USD") is None


def test_the_customer_cannot_approve_their_own_credit(make_staff, maker):
    colleague = make_staff("colleague@example.com")
    approval = ask(colleague, "750.00", maker).approval

    for decide in (approvals.approve, approvals.reject):
        assert (
            code_of(lambda d=decide: d(approval.pk, actor=Actor.staff(colleague)))
            == StoreCreditErrorCode.OWN_ACCOUNT
        )
    assert get_account(colleague, "USD") is None


def test_the_maker_cannot_ask_for_their_own_credit(maker):
    assert code_of(lambda: ask(maker, "750", maker)) == StoreCreditErrorCode.OWN_ACCOUNT
    assert StoreCreditAdjustmentApproval.objects.count() == 0


def test_rejecting_moves_nothing_and_decides_once(customer, maker, checker, fund):
    fund(customer, "900.00")
    approval = ask(customer, "-800.00", maker).approval

    rejected = approvals.reject(approval.pk, actor=Actor.staff(checker), note="no")

    assert (rejected.status, rejected.decision_note) == (ApprovalStatus.REJECTED, "no")
    assert balance_of(get_account(customer, "USD")) == (Decimal("900.00"), 0)
    assert approvals.reject(approval.pk, actor=Actor.staff(checker)).pk == approval.pk
    assert (
        code_of(lambda: approvals.approve(approval.pk, actor=Actor.staff(checker)))
        == StoreCreditErrorCode.APPROVAL_NOT_PENDING
    )


def test_a_deduction_that_no_longer_fits_stays_pending(customer, maker, checker, fund):
    fund(customer, "900.00")
    approval = ask(customer, "-800.00", maker).approval
    ask(customer, "-400.00", maker, key="other")  # below: at once

    assert (
        code_of(lambda: approvals.approve(approval.pk, actor=Actor.staff(checker)))
        == StoreCreditErrorCode.INSUFFICIENT_FUNDS
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    assert balance_of(get_account(customer, "USD")) == (Decimal("500.00"), 0)


def test_an_expiry_period_counts_from_the_approval(customer, maker, checker):
    approval = ask(customer, "600", maker, expires_at=ExpiresAfter(30)).approval
    assert (approval.expires_at, approval.expires_after_days) == (None, 30)

    entry = approvals.approve(approval.pk, actor=Actor.staff(checker)).entry

    lot = entry.lot
    assert (lot.expires_at - entry.created_at).days == 29 or (
        lot.expires_at - entry.created_at
    ).days == 30


def test_apps_ask_but_only_staff_approve(customer, checker):
    app = Actor.app(type("App", (), {"pk": 7})())
    approval = approvals.adjust(
        customer,
        "600",
        "USD",
        idempotency_key="sync-1",
        kind=LotKind.ADJUSTMENT,
        actor=app,
        settings=THRESHOLD,
    ).approval
    assert approval.actor_app_id == 7
    assert (
        code_of(lambda: approvals.approve(approval.pk, actor=app))
        == StoreCreditErrorCode.PERMISSION_DENIED
    )
    assert (
        approvals.approve(approval.pk, actor=Actor.staff(checker)).entry.amount == 600
    )


def test_unknown_approvals_are_not_found(checker):
    for bad in (None, 0, -1, "1", 2**70, 999999):
        assert (
            code_of(lambda b=bad: approvals.approve(b, actor=Actor.staff(checker)))
            == StoreCreditErrorCode.APPROVAL_NOT_FOUND
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_two_approvers_at_once_make_one_adjustment(customer, maker, make_staff):
    checkers = [make_staff(f"checker{i}@example.com") for i in range(6)]
    approval = ask(customer, "750.00", maker).approval

    results = run_in_parallel(
        len(checkers),
        lambda i: approvals.approve(approval.pk, actor=Actor.staff(checkers[i])),
    )

    approved = [r for r in results if isinstance(r, StoreCreditAdjustmentApproval)]
    refused = [r for r in results if isinstance(r, StoreCreditError)]
    assert len(approved) == 1
    assert [r.code for r in refused] == [StoreCreditErrorCode.APPROVAL_NOT_PENDING] * 5
    assert StoreCreditEntry.objects.filter(account__user=customer).count() == 1
    assert balance_of(get_account(customer, "USD")) == (Decimal("750.00"), 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_retries_make_one_approval(customer, maker):
    results = run_in_parallel(8, lambda i: ask(customer, "750.00", maker).approval.pk)

    assert len(set(results)) == 1, results
    assert StoreCreditAdjustmentApproval.objects.count() == 1
