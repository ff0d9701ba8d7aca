"""Booking the expiry of credit past its date: one entry per lot."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..lock_objects import BY_ID, lock_accounts
from ..models import StoreCreditLot
from .writer import expire_lots

logger = logging.getLogger("saleor_storecredit.ledger")


def expire_due_lots(now: datetime | None = None, limit: int = 1000):
    """Expire what is left of lots past their expiry: one entry per lot.

    Credit reserved by open holds (checkouts, withdrawals) is never expired; the
    rest of such a lot expires on a later run once the hold is settled. Accounts
    locked by another worker are skipped and picked up on the next run, so
    parallel workers never expire a lot twice. An account that fails is logged
    and left for the next run; it never stops the accounts after it.
    """
    now = now or timezone.now()
    account_ids = list(
        StoreCreditLot.objects.filter(
            remaining_amount__gt=0,
            expires_at__lte=now,
            account__balance__gt=F("account__held"),
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )
    entries = []
    for account_id in account_ids:
        try:
            with transaction.atomic():
                found = lock_accounts(BY_ID, [account_id], skip_locked=True)
                if found:
                    entries.extend(expire_lots(found[0], now))
        except Exception:
            # Any failure of one account (a bug, a broken row) must not stop the
            # expiry of every other account; the next run retries it.
            logger.exception("Could not expire store credit of account %s.", account_id)
    return entries
