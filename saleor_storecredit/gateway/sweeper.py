"""Credit left on checkouts nobody completes goes back to its owner.

Saleor releases transaction funds of abandoned checkouts only where the channel
opted in, and deletes checkouts without telling plugins (their transaction
items stay, detached). The sweeper releases credit held by items whose checkout
was deleted, or has not changed for the configured number of minutes, or whose
hold is past its deadline (ledger.holds.hold_deadline), and any hold whose item
no longer holds it (a repair that should never be needed).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from saleor.checkout.models import Checkout
from saleor.payment.models import TransactionItem

from .. import ledger
from ..config import StoreCreditSettings
from ..ledger import keys, reads
from .transactions import cancel_item, credit_items

logger = logging.getLogger(__name__)

# Holds younger than this are never "repaired": their payment may be in flight.
REPAIR_GRACE = timedelta(minutes=10)


def abandoned_items(settings: StoreCreditSettings, now=None):
    """Checkout credit to give back: the checkout is gone, unchanged for the
    configured minutes, or holds credit past its hold's deadline (a checkout
    touched now and then never keeps expired credit alive)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.abandoned_checkout_minutes)
    return credit_items(authorized_value__gt=0, order_id__isnull=True).filter(
        Q(checkout_id__isnull=True)
        | Q(checkout__last_change__lt=cutoff)
        | Q(token__in=reads.overdue_hold_transactions(now))
    )


def release_abandoned_checkouts(
    settings: StoreCreditSettings, now=None, limit: int = 500
) -> int:
    """Release credit of abandoned checkouts; returns how many were released.

    Checkouts being completed right now are locked by Saleor and skipped
    (SKIP LOCKED), so the sweeper never races an order creation. Each checkout
    is released in its own transaction: one that fails is logged and left for
    the next run, and never stops the others.
    """
    released = 0
    candidates = abandoned_items(settings, now).values_list("pk", "checkout_id")
    for item_id, checkout_id in list(candidates[:limit]):
        try:
            released += _release_abandoned(item_id, checkout_id)
        except Exception:  # noqa: BLE001 - one checkout never stops the batch
            logger.exception(
                "Could not return store credit of abandoned checkout %s "
                "(transaction item %s); retrying on the next run.",
                checkout_id,
                item_id,
            )
    released += repair_orphan_holds(now)
    return released


def _release_abandoned(item_id, checkout_id) -> int:
    with transaction.atomic():
        # Saleor's lock order: the checkout, then its transaction item.
        if checkout_id is not None:
            checkout = (
                Checkout.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=checkout_id)
                .first()
            )
            if checkout is None or checkout.is_checkout_locked():
                return 0
        item = (
            TransactionItem.objects.select_for_update(of=("self",))
            .filter(pk=item_id, checkout_id=checkout_id)
            .first()
        )
        if item is None or item.authorized_value <= 0 or item.order_id:
            return 0
        cancel_item(item, message="Store credit returned from an abandoned checkout.")
        return 1


def repair_orphan_holds(now=None) -> int:
    """Release checkout holds whose transaction item does not hold credit."""
    now = now or timezone.now()
    holds = reads.open_transaction_holds(now - REPAIR_GRACE)
    holding = set(
        TransactionItem.objects.filter(
            token__in=[hold.transaction_id for hold in holds], authorized_value__gt=0
        ).values_list("token", flat=True)
    )
    count = 0
    for hold in holds:
        if hold.transaction_id in holding:
            continue
        logger.warning(
            "Releasing store-credit hold %s left without a payment.", hold.pk
        )
        try:
            ledger.release(hold, idempotency_key=keys.repair_hold(hold.pk))
        except Exception:  # noqa: BLE001 - one hold never stops the batch
            logger.exception("Could not release store-credit hold %s.", hold.pk)
            continue
        count += 1
    return count
