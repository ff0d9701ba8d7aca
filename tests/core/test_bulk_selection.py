"""A bulk job adjusts exactly the customers its dry run shows, by the amounts it
shows: one selection, and one view of what an account can spend now."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from saleor_storecredit import bulk_jobs, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.models import (
    BulkJobStatus,
    EntryKind,
    StoreCreditAccount,
    StoreCreditEntry,
)

from .conftest import in_days

ACTOR = Actor("staff", user_id=1)

# No approval threshold: these jobs start at once (test_bulk_job_approvals.py).
NO_THRESHOLD = parse_settings([])


def user(name, *, email=None, staff=False, active=True):
    return get_user_model().objects.create_user(
        username=name,
        email=email or f"{name}@example.com",
        is_staff=staff,
        is_active=active,
    )


def expiring(fund, customer, amount):
    """Credit that has expired, unbooked, once the clock moves on (`later`)."""
    return fund(customer, amount, expires_at=in_days(1))


@pytest.fixture
def population(db, fund, monkeypatch):
    """Listed first: staff and an inactive user (a whole chunk of them), then
    customers with plain, expired, held and on-hold credit, one without an
    account; last, one matched only by an email typed in another case. Then
    two days pass and no expiry task runs."""
    people = {
        "staff1": user("staff1", staff=True),
        "staff2": user("staff2", staff=True),
        "inactive": user("inactive", active=False),
        "plain": user("plain"),
        "expired": user("expired"),
        "on_hold": user("on_hold"),
        "held": user("held"),
        "no_account": user("no_account"),
        "held_expired": user("held_expired"),
        "capitals": user("capitals", email="Carol.Upper@Example.COM"),
    }
    fund(people["staff1"], "50")
    fund(people["inactive"], "50")
    fund(people["plain"], "20")
    expiring(fund, people["expired"], "10")
    fund(people["expired"], "5")
    fund(people["on_hold"], "8")
    ledger.set_status(ledger.get_account(people["on_hold"], "USD"), "on_hold")
    fund(people["held"], "3")
    ledger.authorize(people["held"], "3", "USD", idempotency_key="checkout-1")
    expiring(fund, people["held_expired"], "10")
    ledger.authorize(people["held_expired"], "4", "USD", idempotency_key="checkout-2")
    fund(people["capitals"], "12")
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    return people


def selection_of(people):
    listed = [
        "staff1",
        "staff2",
        "inactive",
        "plain",
        "expired",
        "on_hold",
        "held",
        "no_account",
        "held_expired",
    ]
    return bulk_jobs.Selection.of(
        user_ids=[people[name].pk for name in listed],
        emails=["carol.upper@example.com", "STAFF1@example.com"],
    )


def changes_since(last_entry_id, people) -> dict:
    """What was credited or debited per customer since that entry (expiry the
    ledger booked on the way, before a debit, not counted)."""
    name_of = {u.pk: name for name, u in people.items()}
    made = {}
    for user_id, amount in (
        StoreCreditEntry.objects.filter(pk__gt=last_entry_id)
        .exclude(kind=EntryKind.EXPIRY)
        .values_list("account__user_id", "amount")
    ):
        made[name_of[user_id]] = made.get(name_of[user_id], Decimal(0)) + amount
    return made


@pytest.mark.parametrize(
    ("amount", "debit_mode", "expected"),
    [
        (
            "-15",
            bulk_jobs.TAKE_AVAILABLE,
            # Expired credit is not there to take, held credit neither.
            {
                "plain": Decimal(-15),
                "expired": Decimal(-5),
                "on_hold": Decimal(-8),
                "held": Decimal(0),
                "no_account": Decimal(0),
                "held_expired": Decimal(0),
                "capitals": Decimal(-12),
            },
        ),
        (
            "-6",
            bulk_jobs.SKIP,
            {
                "plain": Decimal(-6),
                "expired": Decimal(0),
                "on_hold": Decimal(-6),
                "held": Decimal(0),
                "no_account": Decimal(0),
                "held_expired": Decimal(0),
                "capitals": Decimal(-6),
            },
        ),
        ("5", bulk_jobs.TAKE_AVAILABLE, None),
    ],
    ids=["take available", "skip", "credit"],
)
def test_dry_run_and_job_agree_customer_by_customer(
    population, amount, debit_mode, expected
):
    people = population
    customers = {
        name: u.pk
        for name, u in people.items()
        if name not in ("staff1", "staff2", "inactive")
    }
    if expected is None:
        expected = {name: Decimal(amount) for name in customers}
    selection = selection_of(people)
    request = bulk_jobs.validate_request(
        amount, "USD", debit_mode=debit_mode, actor=ACTOR
    )
    last_entry_id = StoreCreditEntry.objects.order_by("-pk").values_list(
        "pk", flat=True
    )[0]

    planned = bulk_jobs.dry_run(selection, request, "job")
    job, _ = bulk_jobs.start_job(selection, request, "job", settings=NO_THRESHOLD)
    job = bulk_jobs.run_job(job.pk, chunk_size=2)

    by_user = {item.user_id: item.amount for item in planned.items}
    assert by_user == {customers[name]: change for name, change in expected.items()}
    made = changes_since(last_entry_id, people)
    assert made == {name: change for name, change in expected.items() if change}
    assert job.status == BulkJobStatus.COMPLETED
    assert (job.total, job.done, job.failed_count) == (7, 7, 0)
    assert planned.count == job.total
    assert job.total_amount == planned.total_amount == sum(expected.values())
    assert planned.changed_count == job.credited_count + job.debited_count
    assert planned.skipped_count == job.skipped_count


def test_a_first_chunk_of_staff_and_inactive_users_does_not_end_the_job(population):
    people = population
    selection = bulk_jobs.Selection.of(
        user_ids=[people[name].pk for name in ("staff1", "staff2", "inactive", "plain")]
    )
    request = bulk_jobs.validate_request("1", "USD", actor=ACTOR)
    job, _ = bulk_jobs.start_job(
        selection, request, "staff-first", settings=NO_THRESHOLD
    )

    job = bulk_jobs.run_job(job.pk, chunk_size=3)

    assert (job.status, job.total, job.done, job.credited_count) == (
        BulkJobStatus.COMPLETED,
        1,
        1,
        1,
    )


def test_customers_matched_by_email_never_make_a_chunk_skip_listed_ones(db, fund):
    listed = [user(f"listed{n}") for n in range(5)]
    listed[0].is_active = False
    listed[0].save(update_fields=["is_active"])
    by_email = user("last", email="Last@Example.com")
    selection = bulk_jobs.Selection.of(
        user_ids=[u.pk for u in listed], emails=["last@example.com"]
    )
    request = bulk_jobs.validate_request("2", "USD", actor=ACTOR)
    job, _ = bulk_jobs.start_job(
        selection, request, "email-last", settings=NO_THRESHOLD
    )

    job = bulk_jobs.run_job(job.pk, chunk_size=2)

    assert (job.total, job.done, job.credited_count) == (5, 5, 5)
    credited = set(
        StoreCreditAccount.objects.filter(balance=2).values_list("user_id", flat=True)
    )
    assert credited == {u.pk for u in listed[1:]} | {by_email.pk}
