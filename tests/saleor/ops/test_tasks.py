"""The periodic tasks as Celery runs them, and their registration with beat."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule
from freezegun import freeze_time
from saleor.celeryconf import app
from saleor.schedulers.models import CustomPeriodicTask

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import EntryKind, StoreCreditEntry, StoreCreditLot
from saleor_storecredit.notifications_config import StoreCreditNotifyEvent as Event
from saleor_storecredit.schedules import PERIODIC_TASKS, register_periodic_tasks
from saleor_storecredit.tasks import (
    expire_store_credit_task,
    send_expiry_reminders_task,
)

from .conftest import configure
from .utils import in_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_markers():
    cache.clear()
    yield
    assert find_problems() == []


def later(days):
    """Let time pass (lots' expiry can never be edited, so move the clock)."""
    return freeze_time(in_days(days))


def test_expire_task_expires_due_credit_once_and_tells_the_customer(
    notified, customer_user, django_capture_on_commit_callbacks
):
    due = ledger.credit(
        customer_user, "8", "USD", idempotency_key="a", expires_at=in_days(1)
    )
    ledger.credit(customer_user, "5", "USD", idempotency_key="b", expires_at=in_days(9))

    for _ in range(2):  # re-delivered
        with later(1.01), django_capture_on_commit_callbacks(execute=True):
            expire_store_credit_task.delay()

    (expiry,) = StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY)
    assert expiry.amount == Decimal(-8) and expiry.lot_id == due.lot_id
    assert ledger.get_account(customer_user, "USD").balance == Decimal(5)
    assert [(e, p["entry"]["amount"]) for e, p in notified] == [
        (Event.CREDIT_EXPIRED, "8.00")
    ]


def test_reminder_task_reminds_once_per_lot(
    notified, customer_user, django_capture_on_commit_callbacks
):
    configure(expiry_reminder_days="7")
    soon = ledger.credit(
        customer_user, "3", "USD", idempotency_key="a", expires_at=in_days(2)
    )
    ledger.credit(
        customer_user, "4", "USD", idempotency_key="b", expires_at=in_days(60)
    )

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_expiry_reminders_task.delay()

    assert [(e, p["lot"]["id"]) for e, p in notified] == [
        (Event.EXPIRY_REMINDER, soon.lot_id)
    ]


def test_reminders_off(notified, customer_user, django_capture_on_commit_callbacks):
    configure(expiry_reminder_days="0")
    ledger.credit(customer_user, "3", "USD", idempotency_key="a", expires_at=in_days(2))

    with django_capture_on_commit_callbacks(execute=True):
        send_expiry_reminders_task.delay()

    assert notified == []
    assert not StoreCreditLot.objects.filter(
        expiry_reminder_sent_at__isnull=False
    ).exists()


def test_periodic_tasks_are_registered_with_beat():
    CustomPeriodicTask.objects.filter(name__startswith="storecredit-").delete()

    register_periodic_tasks()
    register_periodic_tasks()  # every migrate: no duplicates

    rows = CustomPeriodicTask.objects.filter(name__in=PERIODIC_TASKS)
    assert rows.count() == len(PERIODIC_TASKS)
    expire = rows.get(name="storecredit-expire-credit")
    assert expire.task == "saleor_storecredit.tasks.expire_store_credit_task"
    assert expire.enabled
    assert (expire.interval.every, expire.interval.period) == (
        3600,
        IntervalSchedule.SECONDS,
    )
    sweep = rows.get(name="storecredit-release-abandoned-checkouts")
    assert sweep.interval.every == 600

    # A merchant's decision to switch one off survives the next migrate.
    CustomPeriodicTask.objects.filter(pk=expire.pk).update(enabled=False)
    register_periodic_tasks()
    expire.refresh_from_db()
    assert not expire.enabled


def test_registered_tasks_exist_in_celery():
    for task, _ in PERIODIC_TASKS.values():
        assert task in app.tasks, task


def test_migrate_registers_the_periodic_tasks():
    """The app's ready() wires it up: a plain `migrate` writes the beat rows."""
    CustomPeriodicTask.objects.filter(name__in=PERIODIC_TASKS).delete()

    call_command("migrate", verbosity=0)

    assert set(
        CustomPeriodicTask.objects.filter(name__in=PERIODIC_TASKS).values_list(
            "name", flat=True
        )
    ) == set(PERIODIC_TASKS)
