"""Maker-checker for bulk jobs: a job whose total (customers x |amount|) is
above the threshold runs only once another staff member approved it, exactly
once, with the approver as its entries' actor."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from saleor_storecredit import bulk_job_approvals, bulk_jobs
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.models import (
    ActorType,
    BulkJobStatus,
    StoreCreditBulkJob,
    StoreCreditEntry,
)

from .conftest import run_in_parallel

pytestmark = pytest.mark.django_db

THRESHOLD = parse_settings([{"name": "approval_threshold", "value": "USD:500"}])


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


def make_customers(count: int, prefix: str = "bulkappr") -> list:
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com")
        for n in range(count)
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("pk"))


def start(customers, amount, actor, key="job-1", currency="USD", **selection):
    selection.setdefault("user_ids", [c.pk for c in customers])
    request = bulk_jobs.validate_request(amount, currency, actor=actor)
    return bulk_jobs.start_job(
        bulk_jobs.Selection.of(**selection), request, key, settings=THRESHOLD
    )


def code_of(call):
    with pytest.raises(StoreCreditError) as error:
        call()
    return error.value.code


def credited() -> Decimal:
    return sum(StoreCreditEntry.objects.values_list("amount", flat=True), Decimal(0))


def test_a_job_at_the_threshold_starts_at_once(maker):
    job, _ = start(make_customers(100), "5.00", Actor.staff(maker))  # 500.00
    assert job.status == BulkJobStatus.PENDING
    assert bulk_jobs.run_job(job.pk).credited_count == 100


def test_a_job_above_the_threshold_waits_and_moves_nothing(maker):
    customers = make_customers(101)  # 101 x 5.00 = 505.00
    job, created = start(customers, "5.00", Actor.staff(maker))

    assert created and job.status == BulkJobStatus.AWAITING_APPROVAL
    assert bulk_jobs.claim(job.pk) is None
    assert bulk_jobs.run_job(job.pk) is None
    assert job.pk not in bulk_jobs.jobs_to_resume()
    assert credited() == 0
    job.refresh_from_db()
    assert job.status == BulkJobStatus.AWAITING_APPROVAL
    assert job.started_at is None


def test_a_deduction_counts_its_size(maker, fund):
    customers = make_customers(3)
    for customer in customers:
        fund(customer, "300.00")
    job, _ = start(customers, "-200.00", Actor.staff(maker))  # |600.00|
    assert job.status == BulkJobStatus.AWAITING_APPROVAL


def test_other_currencies_and_the_system_are_not_held(maker):
    customers = make_customers(3)
    job, _ = start(customers, "1000.00", Actor.staff(maker), currency="EUR")
    assert job.status == BulkJobStatus.PENDING
    system = Actor(ActorType.SYSTEM)
    job, _ = start(customers, "1000.00", system, key="system-job")
    assert job.status == BulkJobStatus.PENDING


def test_a_retry_returns_the_same_waiting_job(maker):
    customers = make_customers(2)
    first, _ = start(customers, "600.00", Actor.staff(maker))
    again, created = start(customers, "600.00", Actor.staff(maker))
    assert not created and again.pk == first.pk
    assert again.status == BulkJobStatus.AWAITING_APPROVAL
    assert StoreCreditBulkJob.objects.count() == 1


def test_approved_it_runs_once_as_the_approvers(maker, checker):
    customers = make_customers(4)
    job, _ = start(customers, "200.00", Actor.staff(maker))

    approved = bulk_job_approvals.approve(
        job.pk, actor=Actor.staff(checker), note=" ok "
    )
    assert approved.status == BulkJobStatus.PENDING
    assert approved.approved_by_user_id == checker.pk
    assert approved.decision_note == "ok"
    # The same approver again: the same decision, nothing new.
    again = bulk_job_approvals.approve(job.pk, actor=Actor.staff(checker))
    assert again.approved_at == approved.approved_at

    done = bulk_jobs.run_job(job.pk)
    assert done.status == BulkJobStatus.COMPLETED
    assert done.credited_count == 4
    assert credited() == Decimal("800.00")
    assert set(StoreCreditEntry.objects.values_list("actor_type", "actor_user_id")) == {
        (ActorType.STAFF, checker.pk)
    }
    # Starting it again (a retry of the bulk start) moves nothing more.
    retried, created = start(customers, "200.00", Actor.staff(maker))
    assert not created and retried.status == BulkJobStatus.COMPLETED
    assert bulk_jobs.run_job(job.pk) is None
    assert credited() == Decimal("800.00")


def test_the_starter_cannot_approve_but_may_withdraw(maker):
    job, _ = start(make_customers(2), "600.00", Actor.staff(maker))
    assert (
        code_of(lambda: bulk_job_approvals.approve(job.pk, actor=Actor.staff(maker)))
        == StoreCreditErrorCode.APPROVAL_BY_REQUESTER
    )
    withdrawn = bulk_job_approvals.reject(job.pk, actor=Actor.staff(maker))
    assert withdrawn.status == BulkJobStatus.CANCELED
    assert withdrawn.canceled_at is not None and withdrawn.rejected_by_user_id is None
    assert bulk_jobs.run_job(job.pk) is None
    assert credited() == 0


def test_a_customer_of_the_job_cannot_decide_it(maker, make_customer):
    customers = make_customers(2)
    # A user the job would credit, acting as staff (by id, by email, by type).
    insider = make_customer("insider@example.com")
    by_id, _ = start([*customers, insider], "600.00", Actor.staff(maker))
    by_email, _ = start(
        customers,
        "600.00",
        Actor.staff(maker),
        key="job-2",
        emails=["INSIDER@example.com"],
    )
    for job in (by_id, by_email):
        for decide in (bulk_job_approvals.approve, bulk_job_approvals.reject):
            assert (
                code_of(lambda j=job, d=decide: d(j.pk, actor=Actor.staff(insider)))
                == StoreCreditErrorCode.OWN_ACCOUNT
            )
        job.refresh_from_db()
        assert job.status == BulkJobStatus.AWAITING_APPROVAL
    assert credited() == 0


def test_rejecting_moves_nothing_and_decides_once(maker, checker, make_staff):
    job, _ = start(make_customers(2), "600.00", Actor.staff(maker))
    rejected = bulk_job_approvals.reject(
        job.pk, actor=Actor.staff(checker), note="too much"
    )
    assert rejected.status == BulkJobStatus.REJECTED
    assert rejected.rejected_by_user_id == checker.pk
    assert rejected.approved_by_user_id is None
    assert rejected.is_finished and rejected.finished_at is not None
    assert bulk_job_approvals.reject(job.pk, actor=Actor.staff(checker)).pk == job.pk

    other = Actor.staff(make_staff("other@example.com"))
    for decide in (bulk_job_approvals.approve, bulk_job_approvals.reject):
        assert (
            code_of(lambda d=decide: d(job.pk, actor=other))
            == StoreCreditErrorCode.APPROVAL_NOT_PENDING
        )
    assert (
        code_of(lambda: bulk_jobs.cancel_job(job.pk))
        == StoreCreditErrorCode.BULK_JOB_FINISHED
    )
    assert bulk_jobs.run_job(job.pk) is None
    assert credited() == 0


def test_a_waiting_job_can_be_canceled(maker, checker):
    job, _ = start(make_customers(2), "600.00", Actor.staff(maker))
    assert bulk_jobs.cancel_job(job.pk).status == BulkJobStatus.CANCELED
    assert (
        code_of(lambda: bulk_job_approvals.approve(job.pk, actor=Actor.staff(checker)))
        == StoreCreditErrorCode.APPROVAL_NOT_PENDING
    )
    assert credited() == 0


def test_apps_start_but_only_staff_decide(checker):
    app = Actor.app(type("App", (), {"pk": 7})())
    job, _ = start(make_customers(2), "600.00", app)
    assert job.status == BulkJobStatus.AWAITING_APPROVAL
    other_app = Actor.app(type("App", (), {"pk": 8})())
    for actor in (app, other_app):
        assert (
            code_of(lambda a=actor: bulk_job_approvals.approve(job.pk, actor=a))
            == StoreCreditErrorCode.PERMISSION_DENIED
        )
    assert (
        code_of(lambda: bulk_job_approvals.reject(job.pk, actor=other_app))
        == StoreCreditErrorCode.PERMISSION_DENIED
    )
    bulk_job_approvals.approve(job.pk, actor=Actor.staff(checker))
    assert bulk_jobs.run_job(job.pk).credited_count == 2


def test_unknown_jobs_and_bad_notes_are_refused(checker, maker):
    for bad in (None, "1", -1, 10**30, 999999):
        assert (
            code_of(
                lambda b=bad: bulk_job_approvals.approve(b, actor=Actor.staff(checker))
            )
            == StoreCreditErrorCode.BULK_JOB_NOT_FOUND
        )
    job, _ = start(make_customers(2), "600.00", Actor.staff(maker))
    with pytest.raises(StoreCreditError):
        bulk_job_approvals.approve(job.pk, actor=Actor.staff(checker), note="x" * 10**5)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.AWAITING_APPROVAL


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_parallel_approvers_start_it_once(maker, make_staff):
    checkers = [make_staff(f"checker{i}@example.com") for i in range(6)]
    customers = make_customers(5)
    job, _ = start(customers, "200.00", Actor.staff(maker))

    results = run_in_parallel(
        len(checkers),
        lambda i: bulk_job_approvals.approve(job.pk, actor=Actor.staff(checkers[i])),
    )

    approved = [r for r in results if isinstance(r, StoreCreditBulkJob)]
    refused = [r for r in results if isinstance(r, StoreCreditError)]
    assert len(approved) == 1, results
    assert [r.code for r in refused] == [StoreCreditErrorCode.APPROVAL_NOT_PENDING] * 5
    # Every approver's worker (and a duplicate) may try: one run does the job.
    run_in_parallel(3, lambda i: bulk_jobs.run_job(job.pk))
    job.refresh_from_db()
    assert job.status == BulkJobStatus.COMPLETED
    assert job.credited_count == 5
    assert credited() == Decimal("1000.00")
    assert StoreCreditEntry.objects.count() == 5
    assert set(StoreCreditEntry.objects.values_list("actor_user_id", flat=True)) == {
        approved[0].approved_by_user_id
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_approve_and_reject_at_once_decide_once(maker, checker, make_staff):
    rejecter = make_staff("rejecter@example.com")
    job, _ = start(make_customers(3), "200.00", Actor.staff(maker))

    results = run_in_parallel(
        2,
        lambda i: (
            bulk_job_approvals.approve(job.pk, actor=Actor.staff(checker))
            if i == 0
            else bulk_job_approvals.reject(job.pk, actor=Actor.staff(rejecter))
        ),
    )

    decided = [r for r in results if isinstance(r, StoreCreditBulkJob)]
    assert len(decided) == 1, results
    assert results.count(decided[0]) == 1
    bulk_jobs.run_job(job.pk)
    job.refresh_from_db()
    if job.status == BulkJobStatus.REJECTED:
        assert credited() == 0
    else:
        assert job.status == BulkJobStatus.COMPLETED
        assert credited() == Decimal("600.00")
