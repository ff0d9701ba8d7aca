"""Celery tasks of the plugin (Celery autodiscovers this module in Saleor).

Periodic ones are registered with Saleor's beat by schedules.py.
"""

from saleor.celeryconf import app
from saleor.core.db.connection import allow_writer

from . import notifications
from .config import get_settings
from .expiry import claim_due_reminders, expire_due_credit
from .gateway.tasks import handle_order_task, release_abandoned_checkouts_task
from .models import StoreCreditLot
from .notifications import send_store_credit_notification_task

__all__ = [
    "expire_store_credit_task",
    "handle_order_task",
    "release_abandoned_checkouts_task",
    "send_expiry_reminders_task",
    "send_store_credit_notification_task",
]


@app.task
@allow_writer()
def expire_store_credit_task():
    """Hourly: expire due lots, then tell each customer what expired."""
    expire_due_credit(on_expired=notifications.send_credit_expired)


@app.task
@allow_writer()
def send_expiry_reminders_task():
    """Hourly: remind customers of credit expiring within the configured days, once per lot."""
    store_settings = get_settings()
    if not store_settings.active:
        return
    lot_ids = claim_due_reminders(store_settings.expiry_reminder_days)
    for lot in StoreCreditLot.objects.filter(pk__in=lot_ids).only("pk"):
        notifications.send_expiry_reminder(lot)
