"""The plugin's periodic tasks, written into Saleor's beat schedule on migrate.

Saleor runs beat with saleor.schedulers.schedulers.DatabaseScheduler, which
schedules every enabled CustomPeriodicTask row. Creating the rows after each
`migrate` registers the tasks with no manual step; the merchant may disable a
row and it stays disabled.
"""

from datetime import timedelta

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS

PERIODIC_TASKS = {
    "storecredit-expire-credit": (
        "saleor_storecredit.tasks.expire_store_credit_task",
        timedelta(hours=1),
    ),
    "storecredit-expiry-reminders": (
        "saleor_storecredit.tasks.send_expiry_reminders_task",
        timedelta(hours=1),
    ),
    # Checkouts count as abandoned after a configured number of minutes (360 by
    # default); a 10-minute sweep returns their credit soon after.
    "storecredit-release-abandoned-checkouts": (
        "saleor_storecredit.gateway.tasks.release_abandoned_checkouts_task",
        timedelta(minutes=10),
    ),
    # Bulk jobs run as soon as they start; this picks up those whose worker died
    # (no progress for bulk_jobs.STALE_AFTER) or stopped on an error.
    "storecredit-resume-bulk-jobs": (
        "saleor_storecredit.tasks.resume_bulk_jobs_task",
        timedelta(minutes=5),
    ),
}


def register_periodic_tasks(using: str = "default", **kwargs):
    """Create or update the rows (a post_migrate receiver; safe to call again).

    Uses the current models, not the migration state post_migrate passes in
    `apps` (its app configs are stubs that would hide Saleor's scheduler).
    Does nothing where Saleor's scheduler is not installed (the bare ledger), and
    for other database aliases: the replica mirrors the default one.
    """
    if using != DEFAULT_DB_ALIAS or not (
        apps.is_installed("django_celery_beat")
        and apps.is_installed("saleor.schedulers")
    ):
        return
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("schedulers", "CustomPeriodicTask")
    for name, (task, every) in PERIODIC_TASKS.items():
        seconds = int(every.total_seconds())
        interval, _ = interval_model.objects.using(using).get_or_create(
            every=seconds, period="seconds"
        )
        task_model.objects.using(using).update_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                # A run that waited a whole period is superseded by the next one.
                "expire_seconds": seconds,
                "description": "saleor-storecredit",
            },
        )
