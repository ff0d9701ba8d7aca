"""Nobody grants themselves money: staff with MANAGE_USERS acting on their own
credit are refused (OWN_ACCOUNT) on every staff road, and nothing changes."""

from decimal import Decimal

import pytest

from saleor_storecredit import ledger
from saleor_storecredit.models import AccountStatus, WithdrawalStatus
from saleor_storecredit.withdrawals import request_withdrawal

from .conftest import global_id, ledger_state, outcome

ADJUST = """
mutation($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { amount { amount } }
    approval { id status }
    errors { field code message }
  }
}
"""
REDEEM = """
mutation($code: String!, $user: ID) {
  storeCreditRedeemGiftCard(code: $code, user: $user) {
    transaction { amount { amount } }
    errors { field code }
  }
}
"""
PROCESS = """
mutation($id: ID!, $action: StoreCreditWithdrawalActionEnum!) {
  storeCreditWithdrawalProcess(id: $id, action: $action) {
    withdrawal { status }
    errors { field code }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: StoreCreditAccountUpdateInput!) {
  storeCreditAccountUpdate(id: $id, input: $input) {
    account { status canUse }
    errors { field code }
  }
}
"""
BULK = """
mutation($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) {
    count totalAmount { amount }
    errors { field code }
  }
}
"""

OWN = ("error", ["OWN_ACCOUNT"])


@pytest.fixture
def me(caller, staff_user, credit, store_credit_settings):
    """The staff member with MANAGE_USERS, who also holds 40.00 of credit."""
    client = caller("staff")
    credit(staff_user, "40.00")
    return client


def _balance(user):
    account = ledger.get_account(user, "USD")
    account.refresh_from_db()
    return account.balance, account.held


def test_staff_cannot_adjust_their_own_account(me, staff_user):
    before = ledger_state()
    for amount in ("500.00", "-10.00"):
        variables = {
            "input": {
                "user": global_id("User", staff_user.pk),
                "currency": "USD",
                "amount": amount,
                "idempotencyKey": f"self-{amount}",
            }
        }
        result = outcome(me.post_graphql(ADJUST, variables), "storeCreditAdjust")
        assert result == OWN
    assert ledger_state() == before
    assert _balance(staff_user) == (Decimal("40.00"), 0)


def test_staff_cannot_redeem_a_gift_card_into_their_own_credit(
    me, staff_user, make_gift_card
):
    card = make_gift_card("300")

    result = outcome(
        me.post_graphql(
            REDEEM, {"code": card.code, "user": global_id("User", staff_user.pk)}
        ),
        "storeCreditRedeemGiftCard",
    )

    assert result == OWN
    card.refresh_from_db()
    assert card.current_balance_amount == Decimal("300")
    assert _balance(staff_user) == (Decimal("40.00"), 0)


def test_staff_may_still_redeem_their_own_card_as_a_customer(
    me, staff_user, make_gift_card
):
    """The customer road (no `user`) is every signed-in customer's."""
    card = make_gift_card("5", used_by=staff_user)

    status, data = outcome(
        me.post_graphql(REDEEM, {"code": card.code}), "storeCreditRedeemGiftCard"
    )

    assert (status, data["transaction"]["amount"]) == ("ok", {"amount": 5.0})
    assert _balance(staff_user) == (Decimal("45.00"), 0)


@pytest.mark.parametrize("action", ["APPROVE", "MARK_PAID", "REJECT"])
def test_staff_cannot_process_their_own_withdrawal(me, staff_user, action):
    withdrawal = request_withdrawal(
        staff_user, "USD", Decimal("30"), note="my IBAN", idempotency_key="w"
    )
    before = ledger_state()

    result = outcome(
        me.post_graphql(
            PROCESS,
            {"id": global_id("StoreCreditWithdrawal", withdrawal.pk), "action": action},
        ),
        "storeCreditWithdrawalProcess",
    )

    assert result == OWN
    assert ledger_state() == before
    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.PENDING
    assert _balance(staff_user) == (Decimal("40.00"), Decimal("30.00"))


def test_staff_cannot_release_their_own_hold_or_allow_themselves(me, staff_user):
    account = ledger.get_account(staff_user, "USD")
    ledger.update_account(account, status=AccountStatus.ON_HOLD, can_use=False)
    account_id = global_id("StoreCreditAccount", account.pk)

    for change in ({"status": "ACTIVE"}, {"canUse": True}):
        result = outcome(
            me.post_graphql(UPDATE, {"id": account_id, "input": change}),
            "storeCreditAccountUpdate",
        )
        assert result == OWN
    account.refresh_from_db()
    assert (account.status, account.can_use) == (AccountStatus.ON_HOLD, False)


def test_bulk_credit_naming_the_staff_member_leaves_them_out(
    me, staff_user, customer_user
):
    variables = {
        "input": {
            "users": [
                global_id("User", staff_user.pk),
                global_id("User", customer_user.pk),
            ],
            "currency": "USD",
            "amount": "10.00",
            "idempotencyKey": "bulk-self",
            "dryRun": True,
        }
    }

    status, data = outcome(me.post_graphql(BULK, variables), "storeCreditBulkAdjust")

    assert (status, data["count"], data["totalAmount"]) == ("ok", 1, {"amount": 10.0})


def test_another_staff_member_may_adjust_a_colleagues_account(
    caller, staff_user, customer_user, credit
):
    """The colleague's account is theirs, not the caller's: allowed."""
    customer_user.is_staff = True
    customer_user.save(update_fields=["is_staff"])
    variables = {
        "input": {
            "user": global_id("User", customer_user.pk),
            "currency": "USD",
            "amount": "5.00",
            "idempotencyKey": "colleague",
        }
    }

    status, data = outcome(
        caller("staff").post_graphql(ADJUST, variables), "storeCreditAdjust"
    )

    assert (status, data["transaction"]["amount"]) == ("ok", {"amount": 5.0})
