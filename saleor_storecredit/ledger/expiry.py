"""Booking the expiry of credit past its date: one entry per lot, many accounts
per transaction."""

import logging
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from ..models import StoreCreditLot
from .batches import expire_accounts

logger = logging.getLogger("saleor_storecredit.ledger")

# Accounts per transaction: short locks, few statements per lot.
ACCOUNTS_PER_TRANSACTION = 200


def due_account_ids(now: datetime, *, after: int = 0, limit: int = 1000) -> list:
    """Accounts past `after` (a primary key) with due lots and credit not held,
    in primary-key order: a run walks through them once, however many it skips."""
    return list(
        StoreCreditLot.objects.filter(
            account_id__gt=after,
            remaining_amount__gt=F("held_amount"),
            expires_at__lte=now,
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )


def expire_due_lots(now: datetime | None = None, limit: int = 1000, after: int = 0):
    """Expire what is left of lots past their expiry: one entry per lot, for the
    first `limit` accounts with due credit after the account `after`.

    Credit reserved by open holds (checkouts, withdrawals) is never expired; the
    rest of such a lot expires once the hold is settled. Accounts locked by
    another worker are skipped and picked up on the next run, so parallel
    workers never expire a lot twice. An account that fails, or waits for a lock
    longer than batches.EXPIRY_LOCK_TIMEOUT, is logged and left for the next run; it never
    stops the accounts after it. (Spending does not wait for this: the ledger
    books due expiry before any debit.)
    """
    now = now or timezone.now()
    return expire_accounts_each(due_account_ids(now, after=after, limit=limit), now)


def expire_accounts_each(account_ids: list, now: datetime) -> list:
    """Expire these accounts' due lots, many accounts per transaction; a chunk
    that fails is done again one account at a time, so only the broken account
    waits for the next run."""
    entries = []
    for start in range(0, len(account_ids), ACCOUNTS_PER_TRANSACTION):
        chunk = account_ids[start : start + ACCOUNTS_PER_TRANSACTION]
        try:
            entries.extend(expire_accounts(chunk, now))
        except Exception:  # noqa: BLE001 - one account never stops the others
            logger.exception("Expiry of accounts %s..%s failed", chunk[0], chunk[-1])
            for account_id in chunk:
                entries.extend(_expire_one(account_id, now))
    return entries


def _expire_one(account_id: int, now) -> list:
    try:
        return expire_accounts([account_id], now)
    except Exception:  # noqa: BLE001 - one account never stops the others
        # Any failure of one account (a bug, a broken row, a lock held too
        # long) must not stop the expiry of every other account; the next run
        # retries it.
        logger.exception("Could not expire store credit of account %s.", account_id)
        return []
