"""What the hourly tasks run: expiry and reminder claims, on many workers at once."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from saleor_storecredit import ledger
from saleor_storecredit.expiry import claim_due_reminders, expire_due_credit
from saleor_storecredit.models import EntryKind, StoreCreditEntry, StoreCreditLot

from .conftest import balance_of, in_days, run_in_parallel

WORKERS = 4


def expiries():
    return StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY)


def test_expire_due_credit_expires_every_due_lot(make_customer, fund):
    customers = [make_customer() for _ in range(5)]
    for customer in customers:
        fund(customer, "10", expires_at=in_days(1))
        fund(customer, "3", expires_at=in_days(2))
        fund(customer, "7", expires_at=in_days(30))

    # Small batches: the run goes on until nothing is due.
    entries = expire_due_credit(now=in_days(3), batch_size=2)

    assert len(entries) == 10
    assert sum(entry.amount for entry in entries) == Decimal(-65)
    for customer in customers:
        account = ledger.get_account(customer, "USD")
        assert balance_of(account) == (Decimal(7), 0)
    # Re-delivered: nothing more.
    assert expire_due_credit(now=in_days(3)) == []


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_expire_each_lot_once(make_customer, fund):
    customers = [make_customer() for _ in range(12)]
    for customer in customers:
        fund(customer, "10", expires_at=in_days(1))
        fund(customer, "5", expires_at=in_days(1))
    hold = ledger.authorize(customers[0], "4", "USD", idempotency_key="checkout")
    now = in_days(2)

    runs = run_in_parallel(WORKERS, lambda i: expire_due_credit(now=now, batch_size=3))
    # Workers that found accounts locked left them: a later run (the next hour,
    # or a re-delivered task) finishes the job, and finds nothing the time after.
    assert not any(isinstance(run, Exception) for run in runs), runs
    expire_due_credit(now=now)
    assert expire_due_credit(now=now) == []

    assert expiries().count() == 24
    assert -expiries().aggregate(total=Sum("amount"))["total"] == Decimal(15 * 12 - 4)
    # One expiry entry per lot, never two.
    per_lot = expiries().values("lot").annotate(n=Sum(1)).values_list("n", flat=True)
    assert set(per_lot) == {1}
    # The held credit stayed.
    assert balance_of(hold.account) == (Decimal(4), Decimal(4))


def test_reminders_claim_lots_expiring_within_the_days(customer, other_customer, fund):
    soon = fund(customer, "10", expires_at=in_days(3)).lot_id
    soon_other = fund(other_customer, "1", expires_at=in_days(6)).lot_id
    fund(customer, "10", expires_at=in_days(20))  # too far
    fund(customer, "10")  # never expires
    spent = fund(other_customer, "2", expires_at=in_days(2))
    ledger.debit(other_customer, "2", "USD", idempotency_key="spend-it")
    assert StoreCreditLot.objects.get(pk=spent.lot_id).remaining_amount == 0

    assert claim_due_reminders(7) == sorted([soon, soon_other])
    # Once per lot.
    assert claim_due_reminders(7) == []
    assert claim_due_reminders(30) == [
        StoreCreditLot.objects.get(expires_at__gt=in_days(19)).pk
    ]
    assert StoreCreditLot.objects.get(pk=soon).expiry_reminder_sent_at is not None


def test_reminders_off_with_zero_days(customer, fund):
    fund(customer, "10", expires_at=in_days(1))
    assert claim_due_reminders(0) == []
    assert StoreCreditLot.objects.get().expiry_reminder_sent_at is None


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_remind_each_lot_once(make_customer, fund):
    expected = []
    for _ in range(10):
        customer = make_customer()
        for amount in ("1", "2", "3"):
            expected.append(fund(customer, amount, expires_at=in_days(2)).lot_id)

    claims = run_in_parallel(WORKERS, lambda i: claim_due_reminders(7, limit=4))
    while any(claims[-WORKERS:]):
        claims += run_in_parallel(WORKERS, lambda i: claim_due_reminders(7, limit=4))

    claimed = [lot_id for claim in claims for lot_id in claim]
    assert sorted(claimed) == sorted(expected)  # each lot exactly once
