"""Maker-checker for bulk jobs through the API: a job whose total (customers x
|amount|) is above `approval_threshold` waits as AWAITING_APPROVAL until a
second staff member approves it (it runs once, as theirs) or rejects it."""

from decimal import Decimal

import pytest
from saleor.account.models import CustomerType, User
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.models import StoreCreditBulkJob, StoreCreditEntry

from .conftest import global_id, ledger_state, outcome, run_in_parallel

START = """
mutation($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) {
    count needsApproval
    job { id status total done approvedBy { type } }
    errors { field code }
  }
}
"""
APPROVE = """
mutation($id: ID!, $note: String) {
  storeCreditBulkJobApprove(id: $id, note: $note) {
    job {
      id status creditedCount decisionNote approvedAt
      approvedBy { type user { email } } rejectedBy { type }
      startedBy { user { email } }
    }
    errors { field code }
  }
}
"""
REJECT = """
mutation($id: ID!, $note: String) {
  storeCreditBulkJobReject(id: $id, note: $note) {
    job { id status decisionNote finishedAt rejectedBy { user { email } } approvedBy { type } }
    errors { field code }
  }
}
"""
HISTORY = """
query($user: ID!) {
  storeCreditTransactions(first: 5, filter: { user: $user }) {
    edges { node { amount { amount } actor { type user { email } } } }
  }
}
"""


@pytest.fixture
def threshold(store_credit_settings):
    store_credit_settings(approval_threshold="USD:500")


@pytest.fixture
def vip(customer_user, customer_user2, staff_user):
    customer_type = CustomerType.objects.create(name="VIP", slug="vip")
    for user in (customer_user, customer_user2, staff_user):
        user.customer_type = customer_type
        user.save(update_fields=["customer_type"])
    return customer_type


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


def start(client, vip, amount="300.00", key="vip-bonus", **values):
    variables = {
        "input": {
            "customerTypes": [global_id("CustomerType", vip.pk)],
            "currency": "USD",
            "amount": amount,
            "reason": "BONUS",
            "idempotencyKey": key,
            **values,
        }
    }
    return outcome(client.post_graphql(START, variables), "storeCreditBulkAdjust")


def decide(client, query, job_id, note=None):
    field = (
        "storeCreditBulkJobApprove" if query is APPROVE else "storeCreditBulkJobReject"
    )
    return outcome(client.post_graphql(query, {"id": job_id, "note": note}), field)


def balance(user):
    account = ledger.get_account(user, "USD")
    return None if account is None else account.balance


def test_a_large_job_waits_and_a_retry_returns_it(maker, vip, customer_user):
    before = ledger_state()
    dry = start(maker, vip, dryRun=True)[1]
    assert (dry["count"], dry["needsApproval"], dry["job"]) == (2, True, None)
    assert start(maker, vip, amount="250.00", dryRun=True)[1]["needsApproval"] is False

    status, data = start(maker, vip)  # 2 customers x 300.00 = 600.00 > 500

    assert status == "ok", data
    assert data["count"] == 2
    assert data["job"]["status"] == "AWAITING_APPROVAL"
    assert data["job"]["done"] == 0 and data["job"]["approvedBy"] is None
    assert ledger_state() == before and balance(customer_user) is None
    again = start(maker, vip)[1]
    assert again["job"]["id"] == data["job"]["id"]
    assert again["job"]["status"] == "AWAITING_APPROVAL"
    assert StoreCreditBulkJob.objects.count() == 1


def test_a_job_at_the_threshold_runs_at_once(maker, vip):
    status, data = start(maker, vip, amount="250.00")  # 500.00
    assert status == "ok", data
    assert data["job"]["status"] == "PENDING"  # its task runs on commit
    assert StoreCreditBulkJob.objects.get().status == "completed"


def test_a_second_staff_member_approves_and_the_entries_name_them(
    maker, checker, vip, customer_user, customer_user2
):
    job_id = start(maker, vip)[1]["job"]["id"]

    status, data = decide(checker, APPROVE, job_id, note="checked the list")

    assert status == "ok", data
    job = data["job"]
    assert job["status"] == "PENDING"  # its task runs on commit
    ran = StoreCreditBulkJob.objects.get()
    assert (ran.status, ran.credited_count) == ("completed", 2)
    assert job["approvedBy"] == {
        "type": "staff",
        "user": {"email": checker.user.email},
    }
    assert job["approvedAt"] and job["decisionNote"] == "checked the list"
    assert job["rejectedBy"] is None
    assert job["startedBy"] == {"user": {"email": maker.user.email}}
    assert balance(customer_user) == balance(customer_user2) == Decimal("300.00")
    history = outcome(
        maker.post_graphql(HISTORY, {"user": global_id("User", customer_user.pk)}),
        "storeCreditTransactions",
    )[1]
    assert [edge["node"]["actor"] for edge in history["edges"]] == [
        {"type": "staff", "user": {"email": checker.user.email}}
    ]
    # Approving again (the same approver retrying) moves nothing more.
    assert decide(checker, APPROVE, job_id)[0] == "ok"
    assert StoreCreditEntry.objects.count() == 2


def test_the_starter_cannot_approve_but_may_withdraw(maker, vip, customer_user):
    job_id = start(maker, vip)[1]["job"]["id"]
    assert decide(maker, APPROVE, job_id) == ("error", ["APPROVAL_BY_REQUESTER"])
    status, data = decide(maker, REJECT, job_id)
    assert status == "ok", data
    assert data["job"]["status"] == "CANCELED"
    assert data["job"]["rejectedBy"] is None
    assert balance(customer_user) is None


def test_rejecting_moves_nothing(maker, checker, make_checker, vip, customer_user):
    job_id = start(maker, vip)[1]["job"]["id"]

    status, data = decide(checker, REJECT, job_id, note="not this month")

    assert status == "ok", data
    assert data["job"]["status"] == "REJECTED"
    assert data["job"]["rejectedBy"] == {"user": {"email": checker.user.email}}
    assert data["job"]["approvedBy"] is None and data["job"]["finishedAt"]
    assert decide(make_checker(2), APPROVE, job_id) == (
        "error",
        ["APPROVAL_NOT_PENDING"],
    )
    assert StoreCreditEntry.objects.count() == 0


def test_staff_listed_among_its_customers_cannot_decide(
    maker, make_checker, vip, customer_user
):
    insider = make_checker(7)
    job_id = start(
        maker, vip, users=[global_id("User", insider.user.pk)], amount="400.00"
    )[1]["job"]["id"]
    for query in (APPROVE, REJECT):
        assert decide(insider, query, job_id) == ("error", ["OWN_ACCOUNT"])
    assert StoreCreditEntry.objects.count() == 0


# (Saleor's client of staff without MANAGE_USERS is the maker's here: that role
# is the next test's.)
@pytest.mark.parametrize("role", ["anonymous", "customer", "app"])
def test_outsiders_cannot_decide(maker, caller, vip, role):
    job_id = start(maker, vip)[1]["job"]["id"]
    client = caller(role)
    for query in (APPROVE, REJECT):
        status, data = decide(client, query, job_id)
        if role == "app":
            assert (status, data) == ("error", ["PERMISSION_DENIED"])
        else:
            assert status == "denied", data
    assert StoreCreditBulkJob.objects.get().status == "awaiting_approval"


def test_staff_without_manage_users_cannot_decide(maker, vip):
    job_id = start(maker, vip)[1]["job"]["id"]
    client = ApiClient(
        user=User.objects.create(email="no-perms@example.com", is_staff=True)
    )
    for query in (APPROVE, REJECT):
        assert decide(client, query, job_id)[0] == "denied"
    assert StoreCreditBulkJob.objects.get().status == "awaiting_approval"


def test_bad_ids_are_coded_errors(checker, threshold):
    for query in (APPROVE, REJECT):
        for bad in (
            global_id("StoreCreditBulkJob", 999999),
            global_id("StoreCreditBulkJob", 10**30),
        ):
            assert decide(checker, query, bad) == ("error", ["BULK_JOB_NOT_FOUND"])
        for bad in (
            "",
            "nonsense",
            global_id("StoreCreditBulkJob", "x"),
            global_id("User", 1),
        ):
            status, codes = decide(checker, query, bad)
            assert status == "error", bad
            assert codes[0] in ("BULK_JOB_NOT_FOUND", "GRAPHQL_ERROR", "NOT_FOUND"), bad


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_start_it_once(maker, make_checker, vip, customer_user):
    job_id = start(maker, vip)[1]["job"]["id"]
    checkers = [make_checker(n) for n in range(1, 5)]

    results = run_in_parallel(
        *[lambda c=c: decide(c, APPROVE, job_id) for c in checkers]
    )

    assert sorted(status for status, _ in results) == ["error"] * 3 + ["ok"]
    assert (
        sorted(codes[0] for status, codes in results if status == "error")
        == ["APPROVAL_NOT_PENDING"] * 3
    )
    assert StoreCreditEntry.objects.count() == 2
    assert balance(customer_user) == Decimal("300.00")
