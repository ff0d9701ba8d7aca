"""Bulk jobs through GraphQL: started by storeCreditBulkAdjust, run by the
Celery task, followed and canceled by staff with MANAGE_USERS."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from saleor.account.models import CustomerType

from saleor_storecredit import ledger, tasks
from saleor_storecredit.actors import Actor
from saleor_storecredit.graphql.mutations import store_credit_bulk_adjust
from saleor_storecredit.ledger import keys
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import StoreCreditBulkJob, StoreCreditEntry

from .conftest import global_id, outcome

START = """
mutation($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) {
    dryRun count
    job { id status total done }
    errors { field code }
  }
}
"""
JOB = """
query($id: ID!) {
  storeCreditBulkJob(id: $id) {
    id status currency amount { amount currency } reason debitMode expiresAt
    customerNote note total done creditedCount debitedCount skippedCount failedCount
    totalAmount { amount currency }
    failures { user { email } email message }
    startedBy { type user { email } app { name } }
    createdAt startedAt updatedAt finishedAt canceledAt
  }
}
"""
JOBS = """
query($status: [StoreCreditBulkJobStatusEnum!]) {
  storeCreditBulkJobs(first: 10, filter: { status: $status }) {
    totalCount
    edges { node { id status done } }
  }
}
"""
CANCEL = """
mutation($id: ID!) {
  storeCreditBulkJobCancel(id: $id) {
    job { id status canceledAt done }
    errors { field code }
  }
}
"""


@pytest.fixture
def vip(customer_user, customer_user2, staff_user):
    customer_type = CustomerType.objects.create(name="VIP", slug="vip")
    for user in (customer_user, customer_user2, staff_user):
        user.customer_type = customer_type
        user.save(update_fields=["customer_type"])
    return customer_type


@pytest.fixture
def not_run(monkeypatch):
    """Jobs stay pending: the test runs the task itself."""
    monkeypatch.setattr(store_credit_bulk_adjust, "enqueue_bulk_job", lambda pk: None)


def start(client, vip, amount="5.00", key="vip-bonus", **values):
    variables = {
        "input": {
            "customerTypes": [global_id("CustomerType", vip.pk)],
            "currency": "USD",
            "amount": amount,
            "reason": "BONUS",
            "note": "spring",
            "customerNote": "Enjoy!",
            "idempotencyKey": key,
            **values,
        }
    }
    return outcome(client.post_graphql(START, variables), "storeCreditBulkAdjust")


def job(client, job_id):
    return outcome(client.post_graphql(JOB, {"id": job_id}), "storeCreditBulkJob")


def test_job_started_runs_and_shows_its_progress(caller, vip, customer_user):
    staff = caller("staff")

    status, data = start(staff, vip)

    assert status == "ok", data
    assert data["dryRun"] is False and data["count"] == 2  # staff are not customers
    status, found = job(staff, data["job"]["id"])
    assert status == "ok", found
    assert found["status"] == "COMPLETED"
    assert (found["total"], found["done"], found["creditedCount"]) == (2, 2, 2)
    assert found["totalAmount"] == {"amount": 10.0, "currency": "USD"}
    assert found["amount"] == {"amount": 5.0, "currency": "USD"}
    assert (found["reason"], found["debitMode"]) == ("bonus", "TAKE_AVAILABLE")
    assert (found["note"], found["customerNote"]) == ("spring", "Enjoy!")
    assert found["startedBy"] == {
        "type": "staff",
        "user": {"email": staff.user.email},
        "app": None,
    }
    assert found["failures"] == []
    assert found["startedAt"] and found["finishedAt"] and not found["canceledAt"]
    assert ledger.get_account(customer_user, "USD").balance == Decimal("5.00")
    assert StoreCreditEntry.objects.count() == 2
    listed = outcome(
        staff.post_graphql(JOBS, {"status": ["COMPLETED"]}), "storeCreditBulkJobs"
    )[1]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["id"] == data["job"]["id"]
    assert (
        outcome(
            staff.post_graphql(JOBS, {"status": ["RUNNING"]}), "storeCreditBulkJobs"
        )[1]["totalCount"]
        == 0
    )
    assert find_problems() == []


def test_pending_job_runs_in_the_task_and_can_be_canceled(caller, vip, not_run):
    staff = caller("staff")
    first = start(staff, vip, key="first")[1]["job"]
    second = start(staff, vip, key="second")[1]["job"]
    assert first["status"] == second["status"] == "PENDING"

    canceled = outcome(
        staff.post_graphql(CANCEL, {"id": second["id"]}), "storeCreditBulkJobCancel"
    )
    tasks.run_bulk_job_task(
        StoreCreditBulkJob.objects.get(idempotency_key="staff:first").pk
    )
    tasks.run_bulk_job_task(
        StoreCreditBulkJob.objects.get(idempotency_key="staff:second").pk
    )

    assert canceled[0] == "ok"
    assert canceled[1]["job"]["status"] == "CANCELED"
    assert canceled[1]["job"]["canceledAt"]
    assert job(staff, first["id"])[1]["status"] == "COMPLETED"
    assert job(staff, second["id"])[1]["done"] == 0
    assert StoreCreditEntry.objects.count() == 2
    # Canceling again is refused and changes nothing; nor can a completed job be.
    again = outcome(
        staff.post_graphql(CANCEL, {"id": second["id"]}), "storeCreditBulkJobCancel"
    )
    assert again == ("error", ["BULK_JOB_FINISHED"])
    assert job(staff, second["id"])[1]["status"] == "CANCELED"
    assert outcome(
        staff.post_graphql(CANCEL, {"id": first["id"]}), "storeCreditBulkJobCancel"
    ) == ("error", ["BULK_JOB_FINISHED"])


def test_stale_jobs_are_resumed_by_the_periodic_task(caller, vip, not_run):
    staff = caller("staff")
    job_id = start(staff, vip)[1]["job"]["id"]
    tasks.resume_bulk_jobs_task()
    assert job(staff, job_id)[1]["status"] == "PENDING"  # not stale yet

    StoreCreditBulkJob.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    tasks.resume_bulk_jobs_task()

    assert job(staff, job_id)[1]["status"] == "COMPLETED"
    assert StoreCreditEntry.objects.count() == 2


def test_refused_customers_are_listed_with_the_reason(caller, vip, customer_user):
    staff = caller("staff")
    ledger.credit(
        customer_user,
        Decimal("1.00"),
        "USD",
        idempotency_key=keys.bulk(
            Actor.staff(staff.user), "vip-bonus", customer_user.pk
        ),
    )

    job_id = start(staff, vip)[1]["job"]["id"]

    found = job(staff, job_id)[1]
    assert (found["creditedCount"], found["failedCount"]) == (1, 1)
    assert found["failures"] == [
        {
            "user": {"email": customer_user.email},
            "email": customer_user.email,
            "message": "This idempotency key was already used for a different "
            "operation.",
        }
    ]


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        ("bogus", ["GRAPHQL_ERROR"]),
        (global_id("Product", 1), ["GRAPHQL_ERROR"]),
        (global_id("StoreCreditBulkJob", 999999), ["BULK_JOB_NOT_FOUND"]),
    ],
)
def test_cancel_refuses_bad_ids(job_id, expected, caller):
    response = caller("staff").post_graphql(CANCEL, {"id": job_id})
    assert outcome(response, "storeCreditBulkJobCancel") == ("error", expected)


def test_unknown_job_is_null_and_bad_ids_are_errors(caller):
    staff = caller("staff")
    assert job(staff, global_id("StoreCreditBulkJob", 999999)) == ("ok", None)
    assert job(staff, "bogus")[0] == "error"


@pytest.mark.parametrize(
    "role",
    ["anonymous", "customer", "staff_without_permission", "app_without_permission"],
)
def test_bulk_jobs_need_manage_users(role, caller, vip):
    started = start(caller("staff"), vip)[1]["job"]["id"]
    client = caller(role)
    if role == "staff_without_permission":  # the same staff member, now without it
        client.user.user_permissions.clear()

    assert start(client, vip, key="mine")[0] == "denied"
    assert job(client, started)[0] == "denied"
    assert outcome(client.post_graphql(JOBS, {}), "storeCreditBulkJobs")[0] == "denied"
    assert (
        outcome(
            client.post_graphql(CANCEL, {"id": started}), "storeCreditBulkJobCancel"
        )[0]
        == "denied"
    )
    assert StoreCreditBulkJob.objects.count() == 1


def test_dry_run_lists_at_most_a_thousand(caller, vip, django_user_model):
    django_user_model.objects.bulk_create(
        django_user_model(email=f"many{n}@example.com", customer_type=vip)
        for n in range(1001)
    )
    query = """
    mutation($input: StoreCreditBulkAdjustInput!) {
      storeCreditBulkAdjust(input: $input) {
        count changedCount totalAmount { amount } resultsCapped
        results { email } job { id } errors { code }
      }
    }
    """
    variables = {
        "input": {
            "customerTypes": [global_id("CustomerType", vip.pk)],
            "currency": "USD",
            "amount": "1.00",
            "idempotencyKey": "dry",
            "dryRun": True,
        }
    }

    status, data = outcome(
        caller("staff").post_graphql(query, variables), "storeCreditBulkAdjust"
    )

    assert status == "ok", data
    assert (data["count"], data["changedCount"]) == (1003, 1003)
    assert data["totalAmount"]["amount"] == 1003.0
    assert data["resultsCapped"] is True and len(data["results"]) == 1000
    assert data["job"] is None
    assert StoreCreditBulkJob.objects.count() == 0
