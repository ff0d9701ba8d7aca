"""Expiring credit and choosing whom to remind, safe to run on many workers at once.

Both functions only decide and write; telling customers is left to the caller
(tasks.py), so the ledger's own suite can run them without Saleor.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connections
from django.utils import timezone

from . import ledger
from .models import StoreCreditEntry, StoreCreditLot

EXPIRY_BATCH_SIZE = 1000
# Upper bound of batches in one run; what is left is picked up by the next run.
MAX_EXPIRY_BATCHES = 100
REMINDER_BATCH_SIZE = 1000


def expire_due_credit(
    now: datetime | None = None,
    *,
    batch_size: int = EXPIRY_BATCH_SIZE,
    max_batches: int = MAX_EXPIRY_BATCHES,
    on_expired: Callable[[StoreCreditEntry], None] | None = None,
) -> list[StoreCreditEntry]:
    """Expire every lot past its expiry: one expiry entry per lot.

    The run walks once through the accounts with due credit, in primary-key
    order, a batch at a time. The ledger skips accounts another worker holds
    locked, leaves an account that fails or waits too long for a lock, and
    never expires held credit: each of those stays for the next run while the
    run goes on with the others, and running this twice, or on two workers at
    once, expires nothing twice. With `on_expired`, each entry is handed over
    as its batch commits and none is kept (a night with a million expiries
    needs no memory for them).
    """
    now = now or timezone.now()
    expired: list[StoreCreditEntry] = []
    after = 0
    for _ in range(max_batches):
        account_ids = ledger.due_account_ids(now, after=after, limit=batch_size)
        if not account_ids:
            break
        entries = ledger.expire_accounts_each(account_ids, now)
        if on_expired is None:
            expired.extend(entries)
        else:
            for entry in entries:
                on_expired(entry)
        after = account_ids[-1]
    return expired


_CLAIM_REMINDERS_SQL = """
UPDATE {lot} SET expiry_reminder_sent_at = %(now)s
WHERE id IN (
    SELECT id FROM {lot}
    WHERE expiry_reminder_sent_at IS NULL
      AND remaining_amount > 0
      AND expires_at > %(now)s
      AND expires_at <= %(until)s
    ORDER BY expires_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
AND expiry_reminder_sent_at IS NULL
RETURNING id
"""


def claim_due_reminders(
    days: int,
    now: datetime | None = None,
    *,
    limit: int = REMINDER_BATCH_SIZE,
    using: str = "default",
) -> list[int]:
    """Mark lots expiring within `days` as reminded and return their ids.

    One conditional UPDATE: a lot is returned to exactly one caller, however many
    workers run at once, and never again on a later run. `days=0` reminds nobody.
    """
    if days <= 0:
        return []
    now = now or timezone.now()
    sql = _CLAIM_REMINDERS_SQL.format(lot=StoreCreditLot._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            sql, {"now": now, "until": now + timedelta(days=days), "limit": limit}
        )
        return sorted(row[0] for row in cursor.fetchall())
