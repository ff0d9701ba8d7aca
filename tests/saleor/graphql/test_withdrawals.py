"""Withdrawals: held at request, captured when paid, released when rejected or
cancelled; staff are told of requests and customers of decisions."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    StoreCreditHold,
    StoreCreditWithdrawal,
    WithdrawalStatus,
)
from saleor_storecredit.notifications_config import StoreCreditNotifyEvent

from .conftest import global_id, ledger_state, outcome

REQUEST = """
mutation($amount: Decimal!, $key: String) {
  storeCreditWithdrawalRequest(
    currency: "USD", amount: $amount, note: "IBAN DE89", idempotencyKey: $key
  ) {
    withdrawal { id status amount { amount } customerNote account { available { amount } } }
    errors { field code }
  }
}
"""
PROCESS = """
mutation($id: ID!, $action: StoreCreditWithdrawalActionEnum!, $note: String) {
  storeCreditWithdrawalProcess(id: $id, action: $action, note: $note) {
    withdrawal { status staffNote processedAt }
    errors { field code }
  }
}
"""
CANCEL = """
mutation($id: ID!) {
  storeCreditWithdrawalCancel(id: $id) { withdrawal { status } errors { field code } }
}
"""
LIST = """
query($filter: StoreCreditWithdrawalFilterInput) {
  storeCreditWithdrawals(first: 10, filter: $filter) {
    totalCount edges { node { status amount { amount } account { email } } }
  }
}
"""


def _balances(user):
    account = ledger.get_account(user, "USD")
    return account.balance, account.held


def test_request_holds_the_amount(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")

    status, data = outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "12.50"}),
        "storeCreditWithdrawalRequest",
    )

    assert status == "ok"
    withdrawal = data["withdrawal"]
    assert withdrawal["status"] == "PENDING"
    assert withdrawal["amount"] == {"amount": 12.5}
    assert withdrawal["customerNote"] == "IBAN DE89"
    assert withdrawal["account"]["available"] == {"amount": 17.5}
    assert _balances(customer_user) == (Decimal("30.00"), Decimal("12.50"))
    assert find_problems() == []


def test_request_with_the_same_key_holds_once(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")
    variables = {"amount": "10", "key": "payout-1"}

    first = outcome(
        user_api_client.post_graphql(REQUEST, variables), "storeCreditWithdrawalRequest"
    )
    again = outcome(
        user_api_client.post_graphql(REQUEST, variables), "storeCreditWithdrawalRequest"
    )

    assert first[1]["withdrawal"]["id"] == again[1]["withdrawal"]["id"]
    assert _balances(customer_user) == (Decimal("30.00"), Decimal("10.00"))


def test_requests_refused_when_the_shop_does_not_allow_them(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")
    store_credit_settings(allow_withdrawals=False)
    before = ledger_state()

    assert outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "5"}),
        "storeCreditWithdrawalRequest",
    ) == ("error", ["WITHDRAWALS_DISABLED"])
    assert ledger_state() == before


REQUEST_IN = """
mutation($currency: String!, $amount: Decimal!) {
  storeCreditWithdrawalRequest(currency: $currency, amount: $amount) {
    withdrawal { amount { amount currency } }
    errors { field code message }
  }
}
"""


def test_minimum_is_per_currency(
    user_api_client, customer_user, credit, store_credit_settings
):
    for currency, amount in (("USD", "100"), ("JPY", "10000"), ("PLN", "100")):
        credit(customer_user, amount, currency)
    store_credit_settings(
        allow_withdrawals=True, withdrawal_minimum="USD:25, JPY:3000, 10"
    )

    def request(currency, amount):
        return outcome(
            user_api_client.post_graphql(
                REQUEST_IN, {"currency": currency, "amount": amount}
            ),
            "storeCreditWithdrawalRequest",
        )

    # 25 JPY is not 25 USD: the JPY minimum is its own.
    assert request("JPY", "25") == ("error", ["BELOW_WITHDRAWAL_MINIMUM"])
    assert request("JPY", "2999") == ("error", ["BELOW_WITHDRAWAL_MINIMUM"])
    assert request("USD", "24.99") == ("error", ["BELOW_WITHDRAWAL_MINIMUM"])
    # A bare number is the minimum of the currencies not listed.
    assert request("PLN", "9.99") == ("error", ["BELOW_WITHDRAWAL_MINIMUM"])
    assert request("JPY", "3000")[1]["withdrawal"]["amount"] == {
        "amount": 3000.0,
        "currency": "JPY",
    }
    assert request("USD", "25")[0] == "ok"
    assert request("PLN", "10")[0] == "ok"
    message = user_api_client.post_graphql(
        REQUEST_IN, {"currency": "JPY", "amount": "100"}
    ).json()["data"]["storeCreditWithdrawalRequest"]["errors"][0]["message"]
    assert message == "The smallest withdrawal is 3000 JPY."
    assert find_problems() == []


def test_minimum_comes_from_the_configuration(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")
    store_credit_settings(allow_withdrawals=True, withdrawal_minimum="20")

    assert outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "19.99"}),
        "storeCreditWithdrawalRequest",
    ) == ("error", ["BELOW_WITHDRAWAL_MINIMUM"])
    assert (
        outcome(
            user_api_client.post_graphql(REQUEST, {"amount": "20"}),
            "storeCreditWithdrawalRequest",
        )[0]
        == "ok"
    )


def test_account_on_hold_cannot_withdraw(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")
    ledger.set_status(ledger.get_account(customer_user, "USD"), "on_hold")

    assert outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "5"}),
        "storeCreditWithdrawalRequest",
    ) == ("error", ["ACCOUNT_ON_HOLD"])


def test_account_refused_by_staff_cannot_withdraw(
    user_api_client, customer_user, credit, store_credit_settings
):
    credit(customer_user, "30.00")
    ledger.update_account(ledger.get_account(customer_user, "USD"), can_use=False)
    before = ledger_state()

    assert outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "5"}),
        "storeCreditWithdrawalRequest",
    ) == ("error", ["NOT_ELIGIBLE"])
    assert ledger_state() == before
    assert _balances(customer_user) == (Decimal("30.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("change", "code"),
    [({"status": "on_hold"}, "ACCOUNT_ON_HOLD"), ({"can_use": False}, "NOT_ELIGIBLE")],
)
@pytest.mark.parametrize("approved_first", [False, True])
def test_an_account_held_after_the_request_is_not_paid_out(
    world, caller, change, code, approved_first
):
    """The hold stops the payout; rejecting still gives the credit back."""
    client = caller("staff")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    if approved_first:
        client.post_graphql(PROCESS, {"id": withdrawal_id, "action": "APPROVE"})
    ledger.update_account(world["account"], **change)
    before = ledger_state()

    refused = [
        outcome(
            client.post_graphql(PROCESS, {"id": withdrawal_id, "action": action}),
            "storeCreditWithdrawalProcess",
        )
        for action in (["MARK_PAID"] if approved_first else ["APPROVE", "MARK_PAID"])
    ]

    assert set(map(str, refused)) == {str(("error", [code]))}
    assert ledger_state() == before
    assert _balances(world["customer"]) == (Decimal("100.00"), Decimal("10.00"))
    rejected = outcome(
        client.post_graphql(PROCESS, {"id": withdrawal_id, "action": "REJECT"}),
        "storeCreditWithdrawalProcess",
    )
    assert rejected[1]["withdrawal"]["status"] == "REJECTED"
    assert _balances(world["customer"]) == (Decimal("100.00"), Decimal("0.00"))
    assert find_problems() == []


def test_a_released_account_is_paid_out_again(world, caller):
    client = caller("staff")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    ledger.set_status(world["account"], "on_hold")
    client.post_graphql(PROCESS, {"id": withdrawal_id, "action": "MARK_PAID"})
    ledger.set_status(world["account"], "active")

    paid = outcome(
        client.post_graphql(PROCESS, {"id": withdrawal_id, "action": "MARK_PAID"}),
        "storeCreditWithdrawalProcess",
    )

    assert paid[1]["withdrawal"]["status"] == "PAID"
    assert _balances(world["customer"]) == (Decimal("90.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("actions", "status", "balance", "held"),
    [
        (["APPROVE"], "APPROVED", "100.00", "10.00"),
        (["APPROVE", "MARK_PAID"], "PAID", "90.00", "0.00"),
        (["MARK_PAID"], "PAID", "90.00", "0.00"),
        (["REJECT"], "REJECTED", "100.00", "0.00"),
        (["APPROVE", "REJECT"], "REJECTED", "100.00", "0.00"),
        # Repeating a decision is a retry, not a second payment.
        (["MARK_PAID", "MARK_PAID"], "PAID", "90.00", "0.00"),
    ],
)
def test_staff_process_withdrawals(actions, status, balance, held, world, caller):
    client = caller("staff")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)

    for action in actions:
        result = outcome(
            client.post_graphql(
                PROCESS, {"id": withdrawal_id, "action": action, "note": "done"}
            ),
            "storeCreditWithdrawalProcess",
        )
        assert result[0] == "ok", result

    assert result[1]["withdrawal"]["status"] == status
    assert result[1]["withdrawal"]["staffNote"] == "done"
    assert result[1]["withdrawal"]["processedAt"]
    assert _balances(world["customer"]) == (Decimal(balance), Decimal(held))
    assert find_problems() == []


def test_each_step_is_recorded_for_verify(world, caller):
    """The append-only records verify compares every withdrawal with."""
    withdrawal = world["withdrawal"]
    withdrawal_id = global_id("StoreCreditWithdrawal", withdrawal.pk)
    for action in ("APPROVE", "MARK_PAID"):
        caller("staff").post_graphql(PROCESS, {"id": withdrawal_id, "action": action})

    assert list(withdrawal.events.values_list("status", "actor_type", "amount")) == [
        ("pending", "customer", Decimal("10.000")),
        ("approved", "staff", Decimal("10.000")),
        ("paid", "staff", Decimal("10.000")),
    ]
    assert find_problems() == []


@pytest.mark.parametrize(
    ("first", "then"),
    [("MARK_PAID", "REJECT"), ("REJECT", "MARK_PAID"), ("REJECT", "APPROVE")],
)
def test_settled_withdrawals_cannot_change(first, then, world, caller):
    client = caller("app")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    client.post_graphql(PROCESS, {"id": withdrawal_id, "action": first})
    before = ledger_state()

    result = outcome(
        client.post_graphql(PROCESS, {"id": withdrawal_id, "action": then}),
        "storeCreditWithdrawalProcess",
    )

    assert result == ("error", ["WITHDRAWAL_NOT_PENDING"])
    assert ledger_state() == before


def test_customer_cancels_a_pending_request(world, caller):
    client = caller("customer")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)

    result = outcome(
        client.post_graphql(CANCEL, {"id": withdrawal_id}),
        "storeCreditWithdrawalCancel",
    )

    assert result == ("ok", {"withdrawal": {"status": "CANCELED"}, "errors": []})
    assert _balances(world["customer"]) == (Decimal("100.00"), Decimal(0))
    hold = StoreCreditHold.objects.get(withdrawal=world["withdrawal"])
    assert hold.status == "released"
    assert find_problems() == []


def test_customer_cannot_cancel_an_approved_request(world, caller):
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    caller("staff").post_graphql(PROCESS, {"id": withdrawal_id, "action": "APPROVE"})

    result = outcome(
        caller("customer").post_graphql(CANCEL, {"id": withdrawal_id}),
        "storeCreditWithdrawalCancel",
    )

    assert result == ("error", ["WITHDRAWAL_NOT_PENDING"])
    world["withdrawal"].refresh_from_db()
    assert world["withdrawal"].status == WithdrawalStatus.APPROVED


def test_staff_filter_withdrawals(world, caller):
    client = caller("staff")
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    client.post_graphql(PROCESS, {"id": withdrawal_id, "action": "APPROVE"})

    def count(filter_):
        content = outcome(
            client.post_graphql(LIST, {"filter": filter_}), "storeCreditWithdrawals"
        )
        return content[1]["totalCount"]

    assert count({"status": ["APPROVED"]}) == 1
    assert count({"status": ["PENDING"]}) == 0
    assert count({"currency": "EUR"}) == 0
    assert count({"user": global_id("User", world["customer"].pk)}) == 1
    assert count({"user": global_id("User", world["other"].pk)}) == 0
    assert count({"createdAt": {"gte": "2000-01-01T00:00:00+00:00"}}) == 1


def test_staff_hear_of_requests_and_customers_of_decisions(
    user_api_client, customer_user, credit, store_credit_settings, caller
):
    credit(customer_user, "30.00")
    status, data = outcome(
        user_api_client.post_graphql(REQUEST, {"amount": "10"}),
        "storeCreditWithdrawalRequest",
    )
    withdrawal_id = data["withdrawal"]["id"]
    pk = StoreCreditWithdrawal.objects.get().pk

    caller("staff").post_graphql(PROCESS, {"id": withdrawal_id, "action": "APPROVE"})

    # notifications.deliver marks each event it sent, once per object and status.
    sent = f"storecredit:notified:{StoreCreditNotifyEvent.WITHDRAWAL_REQUESTED}:{pk}:"
    decided = (
        f"storecredit:notified:{StoreCreditNotifyEvent.WITHDRAWAL_STATUS_CHANGED}"
        f":{pk}:approved"
    )
    assert cache.get(sent) is True
    assert cache.get(decided) is True
