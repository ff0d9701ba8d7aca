"""Maker-checker through the API: adjustments above `approval_threshold` wait
for a second staff member, who approves (the credit moves once, as theirs) or
rejects (nothing moves)."""

from decimal import Decimal

import pytest
from saleor.account.models import User
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.models import StoreCreditAdjustmentApproval, StoreCreditEntry

from .conftest import global_id, ledger_state, outcome, run_in_parallel

ADJUST = """
mutation($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { amount { amount } }
    account { balance { amount } }
    approval { id status amount { amount currency } requestedBy { user { email } } }
    errors { field code }
  }
}
"""
APPROVE = """
mutation($id: ID!, $note: String) {
  storeCreditAdjustmentApprove(id: $id, note: $note) {
    approval { status decisionNote decidedBy { type user { email } } }
    transaction { amount { amount } balanceAfter { amount } actor { user { email } } }
    errors { field code }
  }
}
"""
REJECT = """
mutation($id: ID!, $note: String) {
  storeCreditAdjustmentReject(id: $id, note: $note) {
    approval { status decisionNote decidedBy { user { email } } transaction { id } }
    errors { field code }
  }
}
"""
APPROVALS = """
query($filter: StoreCreditAdjustmentApprovalFilterInput) {
  storeCreditAdjustmentApprovals(first: 10, filter: $filter) {
    totalCount
    edges { node { id status currency user { email } requestedBy { user { email } } } }
  }
}
"""
HISTORY = """
query($user: ID!) {
  storeCreditTransactions(first: 5, filter: { user: $user }) {
    edges { node {
      amount { amount } actor { type user { email } }
      approval { status requestedBy { user { email } } decidedBy { user { email } } }
    } }
  }
}
"""


@pytest.fixture
def threshold(store_credit_settings):
    store_credit_settings(approval_threshold="USD:500, PLN:2000")


@pytest.fixture
def maker(caller, threshold):
    return caller("staff")


@pytest.fixture
def make_checker(db):
    manage_users = Permission.objects.get(codename="manage_users")

    def make(n=1):
        user = User.objects.create(email=f"checker{n}@example.com", is_staff=True)
        user.user_permissions.add(manage_users)
        return ApiClient(user=user)

    return make


@pytest.fixture
def checker(make_checker):
    return make_checker()


def _adjust(client, user, amount, key="big-1", currency="USD"):
    variables = {
        "input": {
            "user": global_id("User", user.pk),
            "currency": currency,
            "amount": amount,
            "note": "ticket 4411",
            "idempotencyKey": key,
        }
    }
    return outcome(client.post_graphql(ADJUST, variables), "storeCreditAdjust")


def _decide(client, query, approval_id, note=None):
    field = (
        "storeCreditAdjustmentApprove"
        if query is APPROVE
        else ("storeCreditAdjustmentReject")
    )
    return outcome(client.post_graphql(query, {"id": approval_id, "note": note}), field)


def _balance(user):
    account = ledger.get_account(user, "USD")
    return None if account is None else account.balance


def test_above_the_threshold_the_adjustment_waits(maker, customer_user, staff_user):
    before = ledger_state()

    status, data = _adjust(maker, customer_user, "750.00")

    assert status == "ok"
    assert data["transaction"] is None
    assert data["approval"]["status"] == "PENDING"
    assert data["approval"]["amount"] == {"amount": 750.0, "currency": "USD"}
    assert data["approval"]["requestedBy"] == {"user": {"email": staff_user.email}}
    assert ledger_state() == before
    assert _balance(customer_user) is None

    again = _adjust(maker, customer_user, "750.00")
    assert again[1]["approval"]["id"] == data["approval"]["id"]
    assert StoreCreditAdjustmentApproval.objects.count() == 1


def test_at_the_threshold_money_moves_at_once(maker, customer_user):
    status, data = _adjust(maker, customer_user, "500.00")
    assert (status, data["approval"]) == ("ok", None)
    assert data["transaction"]["amount"] == {"amount": 500.0}


def test_a_second_staff_member_approves_and_the_history_names_both(
    maker, checker, customer_user, staff_user
):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]

    status, data = _decide(checker, APPROVE, approval_id, note="checked ticket")

    assert status == "ok"
    assert data["approval"]["status"] == "APPROVED"
    assert data["approval"]["decisionNote"] == "checked ticket"
    assert data["approval"]["decidedBy"] == {
        "type": "staff",
        "user": {"email": checker.user.email},
    }
    assert data["transaction"]["balanceAfter"] == {"amount": 750.0}
    assert data["transaction"]["actor"] == {"user": {"email": checker.user.email}}
    assert _balance(customer_user) == Decimal("750.00")

    history = outcome(
        checker.post_graphql(HISTORY, {"user": global_id("User", customer_user.pk)}),
        "storeCreditTransactions",
    )[1]
    (row,) = [edge["node"] for edge in history["edges"]]
    assert row["actor"] == {"type": "staff", "user": {"email": checker.user.email}}
    assert row["approval"] == {
        "status": "APPROVED",
        "requestedBy": {"user": {"email": staff_user.email}},
        "decidedBy": {"user": {"email": checker.user.email}},
    }
    # Approving again changes nothing; the maker's retry returns the approval.
    assert _decide(checker, APPROVE, approval_id)[0] == "ok"
    retry = _adjust(maker, customer_user, "750.00")[1]
    assert retry["approval"]["id"] == approval_id
    assert retry["transaction"]["amount"] == {"amount": 750.0}
    assert StoreCreditEntry.objects.filter(account__user=customer_user).count() == 1


def test_the_maker_cannot_approve_their_own_request(maker, customer_user):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]
    before = ledger_state()

    assert _decide(maker, APPROVE, approval_id) == ("error", ["APPROVAL_BY_REQUESTER"])
    assert ledger_state() == before


def test_the_customer_cannot_approve_credit_for_themselves(
    maker, make_checker, customer_user
):
    colleague = make_checker(2)
    approval_id = _adjust(maker, colleague.user, "750.00")[1]["approval"]["id"]

    assert _decide(colleague, APPROVE, approval_id) == ("error", ["OWN_ACCOUNT"])
    assert _balance(colleague.user) is None


def test_rejecting_moves_nothing(maker, checker, customer_user, credit):
    credit(customer_user, "900.00")
    approval_id = _adjust(maker, customer_user, "-800.00")[1]["approval"]["id"]

    status, data = _decide(checker, REJECT, approval_id, note="not in the ticket")

    assert status == "ok"
    assert data["approval"] == {
        "status": "REJECTED",
        "decisionNote": "not in the ticket",
        "decidedBy": {"user": {"email": checker.user.email}},
        "transaction": None,
    }
    assert _balance(customer_user) == Decimal("900.00")
    assert _decide(checker, APPROVE, approval_id) == ("error", ["APPROVAL_NOT_PENDING"])


def test_the_maker_cancels_their_own_request(maker, customer_user):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]
    status, data = _decide(maker, REJECT, approval_id)
    assert (status, data["approval"]["status"]) == ("ok", "CANCELED")


def test_pending_approvals_are_listed_for_managers_only(
    maker, caller, customer_user, staff_user
):
    _adjust(maker, customer_user, "750.00")
    _adjust(maker, customer_user, "800.00", key="big-2")

    status, data = outcome(
        maker.post_graphql(APPROVALS, {"filter": {"status": ["PENDING"]}}),
        "storeCreditAdjustmentApprovals",
    )
    assert (status, data["totalCount"]) == ("ok", 2)
    node = data["edges"][0]["node"]
    assert node["user"] == {"email": customer_user.email}
    assert node["requestedBy"] == {"user": {"email": staff_user.email}}
    empty = outcome(
        maker.post_graphql(APPROVALS, {"filter": {"status": ["APPROVED"]}}),
        "storeCreditAdjustmentApprovals",
    )
    assert empty[1]["totalCount"] == 0
    for role in ("anonymous", "customer", "staff_without_permission"):
        client = caller(role)
        if role == "staff_without_permission":
            client.user.user_permissions.clear()
        result = outcome(
            client.post_graphql(APPROVALS), "storeCreditAdjustmentApprovals"
        )
        assert result[0] == "denied", role


def test_outsiders_cannot_decide(maker, caller, customer_user):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]
    for role in ("anonymous", "customer", "app_without_permission"):
        assert _decide(caller(role), APPROVE, approval_id)[0] == "denied", role
    assert _decide(caller("app"), APPROVE, approval_id) == (
        "error",
        ["PERMISSION_DENIED"],
    )
    assert _balance(customer_user) is None


def test_bad_ids_are_coded_errors(checker, threshold):
    for bad in ("", "nonsense", global_id("StoreCreditAdjustmentApproval", 999999)):
        status, codes = _decide(checker, APPROVE, bad)
        assert status == "error", bad
        assert codes[0] in ("APPROVAL_NOT_FOUND", "GRAPHQL_ERROR", "NOT_FOUND"), bad


def test_channel_restricted_staff_decide_only_in_their_currencies(
    maker, checker, customer_user, channel_PLN, permission_group_manage_users
):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]
    group = permission_group_manage_users
    group.restricted_access_to_channels = True
    group.save(update_fields=["restricted_access_to_channels"])
    group.channels.set([channel_PLN])
    group.user_set.add(checker.user)

    assert _decide(checker, APPROVE, approval_id) == ("error", ["PERMISSION_DENIED"])
    listed = outcome(checker.post_graphql(APPROVALS), "storeCreditAdjustmentApprovals")
    assert listed[1]["totalCount"] == 0
    assert _balance(customer_user) is None


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_make_one_adjustment(maker, make_checker, customer_user):
    approval_id = _adjust(maker, customer_user, "750.00")[1]["approval"]["id"]
    checkers = [make_checker(n) for n in range(1, 5)]

    results = run_in_parallel(
        *[lambda c=c: _decide(c, APPROVE, approval_id) for c in checkers]
    )

    assert sorted(status for status, _ in results) == ["error"] * 3 + ["ok"]
    assert (
        sorted(codes[0] for status, codes in results if status == "error")
        == ["APPROVAL_NOT_PENDING"] * 3
    )
    assert StoreCreditEntry.objects.filter(account__user=customer_user).count() == 1
    assert _balance(customer_user) == Decimal("750.00")
