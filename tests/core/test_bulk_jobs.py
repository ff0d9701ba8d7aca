"""Bulk jobs: any number of customers, each credited or debited exactly once,
whatever happens to the worker in between."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone

from saleor_storecredit import bulk_jobs, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import IdempotencyConflict, StoreCreditError
from saleor_storecredit.ledger import keys
from saleor_storecredit.models import (
    BulkJobStatus,
    StoreCreditAccount,
    StoreCreditBulkJob,
    StoreCreditEntry,
    StoreCreditLot,
)

ACTOR = Actor("staff", user_id=1)

# No approval threshold: these jobs start at once (test_bulk_job_approvals.py).
NO_THRESHOLD = parse_settings([])


def make_customers(count: int, prefix: str = "bulk") -> list:
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com")
        for n in range(count)
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("pk"))


def start(customers, amount="5.00", key="job-1", **options):
    selection = bulk_jobs.Selection.of(user_ids=[c.pk for c in customers])
    request = bulk_jobs.validate_request(amount, "USD", actor=ACTOR, **options)
    job, _ = bulk_jobs.start_job(selection, request, key, settings=NO_THRESHOLD)
    return job


def entries_per_customer() -> dict:
    return dict(
        StoreCreditEntry.objects.values("account__user_id")
        .annotate(n=Count("pk"))
        .values_list("account__user_id", "n")
    )


def test_job_credits_each_of_2500_customers_exactly_once(db, staff):
    customers = make_customers(2500)
    selection = bulk_jobs.Selection.of(
        user_ids=[c.pk for c in customers], emails=[staff.email]
    )
    request = bulk_jobs.validate_request(
        "5.00", "USD", reason="bonus", actor=ACTOR, customer_note="Thanks!"
    )
    job, created = bulk_jobs.start_job(
        selection, request, "vip-2500", settings=NO_THRESHOLD
    )
    assert created and job.status == BulkJobStatus.PENDING and job.total == 2500
    notified = []

    job = bulk_jobs.run_job(job.pk, on_entries=notified.extend)

    assert job.status == BulkJobStatus.COMPLETED
    assert (job.done, job.credited_count, job.failed_count) == (2500, 2500, 0)
    assert job.total_amount == Decimal("12500.00")
    assert job.cursor == customers[-1].pk
    assert job.started_at and job.finished_at and job.lease is None
    counts = entries_per_customer()
    assert set(counts) == {c.pk for c in customers}  # staff got nothing
    assert set(counts.values()) == {1}
    assert StoreCreditAccount.objects.aggregate(total=Sum("balance"))[
        "total"
    ] == Decimal("12500.00")
    assert len(notified) == 2500
    assert {e.reason for e in StoreCreditEntry.objects.all()} == {"bonus"}
    # Running it again finds nothing to do and changes nothing.
    assert bulk_jobs.run_job(job.pk) is None
    assert StoreCreditEntry.objects.count() == 2500


def test_job_killed_after_second_chunk_resumes_without_repeats(db):
    customers = make_customers(1100)
    job = start(customers)
    chunks = []

    def die_after_second(job):
        chunks.append(job.cursor)
        if len(chunks) == 2:
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        bulk_jobs.run_job(job.pk, chunk_size=200, after_chunk=die_after_second)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.RUNNING and job.lease is None
    assert job.done == 400 and "worker killed" in job.last_error
    assert StoreCreditEntry.objects.count() == 400
    assert bulk_jobs.jobs_to_resume() == [job.pk]

    job = bulk_jobs.run_job(job.pk, chunk_size=200)

    assert job.status == BulkJobStatus.COMPLETED
    assert (job.done, job.credited_count) == (1100, 1100)
    assert job.total_amount == Decimal("5500.00")
    assert set(entries_per_customer().values()) == {1}
    assert len(entries_per_customer()) == 1100


def test_chunk_written_but_not_counted_is_counted_once_on_rerun(db, monkeypatch):
    """The worker dies between a chunk's commit and saving its progress."""
    customers = make_customers(600)
    job = start(customers)
    save = bulk_jobs._save_progress
    calls = []

    def save_then_die(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed before saving progress")
        return save(*args)

    monkeypatch.setattr(bulk_jobs, "_save_progress", save_then_die)
    with pytest.raises(RuntimeError):
        bulk_jobs.run_job(job.pk, chunk_size=250)
    monkeypatch.setattr(bulk_jobs, "_save_progress", save)
    assert StoreCreditEntry.objects.count() == 500
    assert StoreCreditBulkJob.objects.get().done == 250

    job = bulk_jobs.run_job(job.pk, chunk_size=250)

    assert (job.done, job.credited_count, job.failed_count) == (600, 600, 0)
    assert job.total_amount == Decimal("3000.00")
    assert StoreCreditEntry.objects.count() == 600


def test_a_live_run_keeps_the_job_and_a_dead_one_loses_it(db):
    customers = make_customers(3)
    job = start(customers)
    lease = bulk_jobs.claim(job.pk)
    assert lease is not None

    # A second task while the first one runs does nothing.
    assert bulk_jobs.run_job(job.pk) is None
    assert bulk_jobs.jobs_to_resume() == []
    assert StoreCreditEntry.objects.count() == 0

    # The worker died: after STALE_AFTER without progress the job is resumed.
    StoreCreditBulkJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - bulk_jobs.STALE_AFTER - timedelta(seconds=1)
    )
    assert bulk_jobs.jobs_to_resume() == [job.pk]
    job = bulk_jobs.run_job(job.pk)
    assert job.status == BulkJobStatus.COMPLETED and job.done == 3


def test_cancel_stops_the_job_before_its_next_chunk(db):
    customers = make_customers(500)
    job = start(customers)

    job = bulk_jobs.run_job(
        job.pk, chunk_size=100, after_chunk=lambda job: bulk_jobs.cancel_job(job.pk)
    )

    assert job.status == BulkJobStatus.CANCELED
    assert job.canceled_at and job.finished_at
    assert job.done == 100 and StoreCreditEntry.objects.count() == 100
    assert bulk_jobs.run_job(job.pk) is None


def test_canceling_a_canceled_job_is_refused_and_changes_nothing(db):
    job = start(make_customers(2))
    first = bulk_jobs.cancel_job(job.pk)

    with pytest.raises(StoreCreditError) as again:
        bulk_jobs.cancel_job(job.pk)

    assert again.value.code == StoreCreditErrorCode.BULK_JOB_FINISHED
    job.refresh_from_db()
    assert job.status == BulkJobStatus.CANCELED
    assert job.canceled_at == first.canceled_at
    assert bulk_jobs.run_job(job.pk) is None
    assert StoreCreditEntry.objects.count() == 0


def test_finished_or_unknown_jobs_cannot_be_canceled(db):
    job = start(make_customers(2))
    bulk_jobs.run_job(job.pk)

    with pytest.raises(StoreCreditError) as finished:
        bulk_jobs.cancel_job(job.pk)
    with pytest.raises(StoreCreditError) as unknown:
        bulk_jobs.cancel_job(job.pk + 1000)

    assert finished.value.code == StoreCreditErrorCode.BULK_JOB_FINISHED
    assert unknown.value.code == StoreCreditErrorCode.BULK_JOB_NOT_FOUND


def test_a_failing_customer_is_recorded_and_the_others_go_on(db):
    customers = make_customers(30)
    stuck = customers[12]
    # The job's key was already used for this customer with another amount.
    ledger.credit(
        stuck,
        Decimal("1.00"),
        "USD",
        idempotency_key=keys.bulk(ACTOR, "job-1", stuck.pk),
        kind="adjustment",
        reason="adjustment",
        actor=ACTOR,
    )
    job = start(customers)

    job = bulk_jobs.run_job(job.pk, chunk_size=10)

    assert job.status == BulkJobStatus.COMPLETED
    assert (job.done, job.credited_count, job.failed_count) == (30, 29, 1)
    assert job.failures == [
        {
            "user_id": stuck.pk,
            "email": stuck.email,
            "message": "This idempotency key was already used for a different "
            "operation.",
        }
    ]
    assert StoreCreditEntry.objects.count() == 30  # 29 + the earlier one


def test_failures_kept_are_bounded(db, monkeypatch):
    customers = make_customers(bulk_jobs.MAX_FAILURES + 20)
    job = start(customers, expires_at=timezone.now() + timedelta(days=1))
    # The expiry passed before the job ran: the ledger refuses every credit.
    StoreCreditBulkJob.objects.filter(pk=job.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )

    job = bulk_jobs.run_job(job.pk)

    assert job.failed_count == len(customers)
    assert len(job.failures) == bulk_jobs.MAX_FAILURES
    assert job.failures[0]["message"] == "Expiry must be in the future."
    assert StoreCreditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("mode", "debited", "skipped", "total", "available"),
    [
        (bulk_jobs.TAKE_AVAILABLE, 2, 1, "-14.00", ["0.00", "0.00", "0.00"]),
        (bulk_jobs.SKIP, 1, 2, "-10.00", ["0.00", "4.00", "0.00"]),
    ],
)
def test_debit_job_never_goes_below_zero(
    db, fund, mode, debited, skipped, total, available
):
    first, second, third = customers = make_customers(3)
    fund(first, "10.00")
    fund(second, "4.00")
    fund(third, "12.00")
    ledger.authorize(third, Decimal("12.00"), "USD", idempotency_key="checkout")
    job = start(customers, amount="-10.00", debit_mode=mode)

    job = bulk_jobs.run_job(job.pk)
    again = bulk_jobs.run_job(job.pk)

    assert again is None
    assert (job.debited_count, job.skipped_count) == (debited, skipped)
    assert job.total_amount == Decimal(total)
    assert [ledger.get_account(c, "USD").available for c in customers] == [
        Decimal(a) for a in available
    ]


def test_debit_job_rerun_counts_what_was_taken_before(db, fund, monkeypatch):
    """Debits are keyed too: a chunk debited but not counted is counted once."""
    customers = make_customers(4)
    for customer in customers:
        fund(customer, "10.00")
    job = start(customers, amount="-3.00")
    save = bulk_jobs._save_progress
    calls = []

    def save_then_die(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed before saving progress")
        return save(*args)

    monkeypatch.setattr(bulk_jobs, "_save_progress", save_then_die)
    with pytest.raises(RuntimeError):
        bulk_jobs.run_job(job.pk, chunk_size=2)
    monkeypatch.setattr(bulk_jobs, "_save_progress", save)
    # The customers' balances changed since: the rerun must not plan anew.
    fund(customers[2], "1.00")

    job = bulk_jobs.run_job(job.pk, chunk_size=2)

    assert (job.done, job.debited_count) == (4, 4)
    assert job.total_amount == Decimal("-12.00")
    assert [ledger.get_account(c, "USD").balance for c in customers] == [
        Decimal("7.00"),
        Decimal("7.00"),
        Decimal("8.00"),
        Decimal("7.00"),
    ]


def test_staff_are_never_customers_of_a_bulk_adjustment(db, staff, customer):
    selected = bulk_jobs.select_customers(
        user_ids=[staff.pk, customer.pk], emails=[staff.email]
    )
    assert list(selected) == [customer]


def test_same_key_returns_the_same_job_and_other_values_are_refused(db):
    customers = make_customers(3)
    job = start(customers)

    assert start(customers) == job
    assert StoreCreditBulkJob.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        start(customers, amount="6.00")
    with pytest.raises(IdempotencyConflict):
        start(customers[:2])
    # Another kind of caller has a namespace of its own.
    selection = bulk_jobs.Selection.of(user_ids=[c.pk for c in customers])
    app_request = bulk_jobs.validate_request(
        "5.00", "USD", actor=Actor("app", app_id=3)
    )
    other, created = bulk_jobs.start_job(
        selection, app_request, "job-1", settings=NO_THRESHOLD
    )
    assert created and other != job


def test_customers_joining_after_the_start_are_not_part_of_the_job(db):
    customers = make_customers(3)
    selection = bulk_jobs.Selection.of(
        emails=[c.email for c in customers] + ["late0@example.com"]
    )
    request = bulk_jobs.validate_request("5.00", "USD", actor=ACTOR)
    job, _ = bulk_jobs.start_job(selection, request, "late", settings=NO_THRESHOLD)
    make_customers(1, prefix="late")

    job = bulk_jobs.run_job(job.pk)

    assert job.done == 3 and StoreCreditEntry.objects.count() == 3


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"amount": "0"}, StoreCreditErrorCode.AMOUNT_NOT_POSITIVE),
        ({"amount": "1.234"}, StoreCreditErrorCode.TOO_MANY_DECIMAL_PLACES),
        ({"currency": "usdollars"}, StoreCreditErrorCode.INVALID_CURRENCY),
        ({"debit_mode": "overdraw"}, StoreCreditErrorCode.INVALID),
        (
            {"amount": "-1", "expires_at": timezone.now() + timedelta(days=1)},
            StoreCreditErrorCode.INVALID_EXPIRY,
        ),
        ({"customer_note": "\x00"}, StoreCreditErrorCode.INVALID),
    ],
)
def test_bad_requests_are_refused_before_any_job(db, values, code):
    arguments = {"amount": "5.00", "currency": "USD", **values}
    with pytest.raises(StoreCreditError) as refused:
        bulk_jobs.validate_request(
            arguments.pop("amount"), arguments.pop("currency"), actor=ACTOR, **arguments
        )
    assert refused.value.code == code


def test_dry_run_counts_any_number_and_lists_the_first_thousand(db, staff, fund):
    customers = make_customers(1500)
    fund(customers[0], "2.00")
    selection = bulk_jobs.Selection.of(
        user_ids=[c.pk for c in customers], emails=[staff.email]
    )
    credit = bulk_jobs.validate_request("5.00", "USD", actor=ACTOR)
    debit = bulk_jobs.validate_request("-3.00", "USD", actor=ACTOR)

    credited = bulk_jobs.dry_run(selection, credit, "dry")
    debited = bulk_jobs.dry_run(selection, debit, "dry")

    assert (credited.count, credited.changed_count, credited.skipped_count) == (
        1500,
        1500,
        0,
    )
    assert credited.total_amount == Decimal("7500.00")
    assert credited.capped and len(credited.items) == bulk_jobs.MAX_DRY_RUN_RESULTS
    assert credited.items[0].user_id == customers[0].pk
    assert (debited.changed_count, debited.skipped_count) == (1, 1499)
    assert debited.total_amount == Decimal("-2.00")
    assert debited.items[0].status == bulk_jobs.DEBITED
    assert StoreCreditBulkJob.objects.count() == 0


def test_dry_run_after_a_job_reports_what_it_did(db):
    customers = make_customers(3)
    job = start(customers, key="done")
    bulk_jobs.run_job(job.pk)
    selection = bulk_jobs.Selection.of(user_ids=[c.pk for c in customers])
    request = bulk_jobs.validate_request("5.00", "USD", actor=ACTOR)

    report = bulk_jobs.dry_run(selection, request, "done")

    assert report.total_amount == Decimal("15.00")
    assert not report.capped and len(report.items) == 3


def test_a_retried_start_with_a_configured_expiry_is_the_same_job(db):
    """`expiry_days` gives a period; the date it gives moves with the clock, the
    request does not."""
    customers = make_customers(2)
    job = start(customers, expires_at=ledger.ExpiresAfter(365))

    assert start(customers, expires_at=ledger.ExpiresAfter(365)) == job
    with pytest.raises(IdempotencyConflict):
        start(customers, expires_at=ledger.ExpiresAfter(30))
    job = bulk_jobs.run_job(job.pk)

    expected = timezone.now() + timedelta(days=365)
    lots = StoreCreditLot.objects.all()
    assert job.done == 2 and len(lots) == 2
    assert all(abs(lot.expires_at - expected) < timedelta(minutes=5) for lot in lots)
