"""What happens to credit as an order moves: capture, return, refund to credit,
top-ups.

Saleor calls order hooks after commit, in any sequence and sometimes twice for
one change. `handle_order` therefore re-reads the order and derives what is due
from its current state; every write is keyed by the order (and payment or
transaction) and the trigger, so running it again changes nothing. The hook
wrapper never raises into Saleor: a failure is logged and retried by a task.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from saleor.order import OrderChargeStatus, OrderStatus
from saleor.order.models import Order
from saleor.payment import PaymentError, TransactionAction
from saleor.payment.models import Payment, TransactionItem

from .. import ledger
from ..actors import Reference
from ..config import FULLY_PAID, PLUGIN_ID, StoreCreditSettings
from ..exceptions import IdempotencyConflict
from ..ledger import keys
from ..models import LotKind, Reason
from ..money import quantize
from ..notifications import notify_entry
from ..saleor_compat import create_transaction_event_requested
from . import transactions

logger = logging.getLogger(__name__)

# An order in these statuses never has its credit captured: it is given back.
_NOT_CAPTURED_STATUSES = (OrderStatus.DRAFT, OrderStatus.CANCELED, OrderStatus.EXPIRED)


def credit_is_taken(order: Order, settings: StoreCreditSettings) -> bool:
    """Whether credit held for the order is captured in its current status
    (otherwise it is given back)."""
    return (
        order.status not in _NOT_CAPTURED_STATUSES
        and order.status not in settings.return_statuses
    )


def handle_order(order_pk, settings: StoreCreditSettings, manager_factory=None):
    """Bring the order's credit in line with its state (idempotent)."""
    order = Order.objects.select_related("user", "channel").filter(pk=order_pk).first()
    if order is None:
        return
    returning = order.status in settings.return_statuses
    if credit_is_taken(order, settings):
        transactions.capture_order_items(order)
    if not settings.active:
        return
    if returning or order.status in settings.refund_to_credit_statuses:
        return_credit_paid(order, manager_factory)
    if order.status in settings.refund_to_credit_statuses:
        refund_rest_to_credit(order, settings)
    if settings.top_up_skus:
        credit_top_ups(order, settings)


# --- giving back what was paid with credit ------------------------------------------


def return_credit_paid(order: Order, manager_factory=None):
    """Return every store-credit payment of the order: release what is held and
    refund what was taken, through Saleor so its records say the same."""
    for item_pk in transactions.credit_items(order_id=order.pk).values_list(
        "pk", flat=True
    ):
        _return_transaction(item_pk)
    payments = list(
        Payment.objects.filter(order_id=order.pk, gateway=PLUGIN_ID, is_active=True)
    )
    if not payments:
        return
    from saleor.payment.gateway import payment_refund_or_void

    manager = (manager_factory or _manager)()
    for payment in payments:
        try:
            payment_refund_or_void(payment, manager, order.channel.slug)
        except PaymentError as error:
            # Nothing left to refund or void (an earlier trigger did it).
            logger.info("Store-credit payment %s not returned: %s", payment.pk, error)


def _return_transaction(item_pk):
    with transaction.atomic():
        item = (
            TransactionItem.objects.select_for_update(of=("self",))
            .filter(pk=item_pk)
            .first()
        )
        if item is None:
            return
        if item.authorized_value > 0:
            event = create_transaction_event_requested(
                item,
                item.authorized_value,
                TransactionAction.CANCEL,
                app_identifier=PLUGIN_ID,
            )
            transactions.cancel(item, event, item.authorized_value)
            item.refresh_from_db()
        if item.charged_value > 0:
            event = create_transaction_event_requested(
                item,
                item.charged_value,
                TransactionAction.REFUND,
                app_identifier=PLUGIN_ID,
            )
            transactions.refund(item, event, item.charged_value)


def _manager():
    from saleor.plugins.manager import get_plugins_manager

    return get_plugins_manager(allow_replica=False)


def _credit_once(user, amount, currency, *, key, **kwargs):
    """Credit keyed by order and trigger. A repeat with other arguments (expiry
    computed later) means it was already done: keys are never reused otherwise."""
    try:
        entry = ledger.credit(user, amount, currency, idempotency_key=key, **kwargs)
    except IdempotencyConflict:
        logger.info("Store credit %s was already given.", key)
        return None
    notify_entry(entry)
    return entry


def _expiry(settings: StoreCreditSettings, kind: str):
    days = settings.expiry_days_for(kind)
    return timezone.now() + timezone.timedelta(days=days) if days else None


def _credit_paid(order: Order) -> Decimal:
    """What the order's store-credit payments still hold as paid."""
    legacy = Payment.objects.filter(order_id=order.pk, gateway=PLUGIN_ID).aggregate(
        total=Sum("captured_amount")
    )["total"] or Decimal(0)
    items = transactions.credit_items(order_id=order.pk).aggregate(
        total=Sum("charged_value")
    )["total"] or Decimal(0)
    return legacy + items


def refund_rest_to_credit(order: Order, settings: StoreCreditSettings):
    """Credit what was paid for the order by other means, once per order: the
    customer is refunded in store credit instead of to their card."""
    if order.user is None:
        logger.info("Order %s has no customer account to refund to.", order.pk)
        return
    order.refresh_from_db(fields=["total_charged_amount"])
    amount = order.total_charged_amount - _credit_paid(order)
    if amount <= 0:
        return
    _credit_once(
        order.user,
        quantize(amount, order.currency),
        order.currency,
        key=keys.order(order.pk, "refund-to-credit"),
        kind=LotKind.REFUND,
        reason=Reason.REFUND,
        expires_at=_expiry(settings, LotKind.REFUND),
        reference=Reference(order_id=order.pk),
        customer_note=f"Refund of order {order.number} to store credit",
    )


# --- top-ups ----------------------------------------------------------------------


def _top_up_due(order: Order, settings: StoreCreditSettings) -> bool:
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELED, OrderStatus.EXPIRED):
        return False
    if order.status in settings.top_up_triggers:
        return True
    return FULLY_PAID in settings.top_up_triggers and order.charge_status in (
        OrderChargeStatus.FULL,
        OrderChargeStatus.OVERCHARGED,
    )


def credit_top_ups(order: Order, settings: StoreCreditSettings):
    """Buying N of a top-up variant credits N x its price, plus the bonus tier."""
    if not _top_up_due(order, settings):
        return
    amount = order.lines.filter(product_sku__in=settings.top_up_skus).aggregate(
        total=Sum("total_price_gross_amount")
    )["total"] or Decimal(0)
    if amount <= 0:
        return
    if order.user is None:
        logger.warning(
            "Top-up order %s has no customer account; nothing credited.", order.pk
        )
        return
    reference = Reference(order_id=order.pk)
    amount = quantize(amount, order.currency)
    _credit_once(
        order.user,
        amount,
        order.currency,
        key=keys.order(order.pk, "top-up"),
        kind=LotKind.TOP_UP,
        reason=Reason.TOP_UP,
        expires_at=_expiry(settings, LotKind.TOP_UP),
        reference=reference,
        customer_note=f"Top-up, order {order.number}",
    )
    percent = settings.bonus_percent(amount)
    bonus = quantize(amount * percent / 100, order.currency)
    if bonus > 0:
        _credit_once(
            order.user,
            bonus,
            order.currency,
            key=keys.order(order.pk, "top-up-bonus"),
            kind=LotKind.BONUS,
            reason=Reason.BONUS,
            expires_at=_expiry(settings, LotKind.BONUS),
            reference=reference,
            customer_note=f"Top-up bonus {percent}%, order {order.number}",
        )


def capture_new_order_safely(order, settings: StoreCreditSettings):
    """`order_created`: take the held credit before Saleor checks whether the
    new order is paid. Never raises: after a failure the hooks that follow
    capture through Saleor's transaction-event road, or retry."""
    if transaction.get_connection().in_atomic_block:
        # Saleor defers plugin hooks called inside a transaction until it
        # commits (`call_event`): its order_created has then already looked at
        # the charge status, so the capture is reported through Saleor's
        # transaction events instead (`handle_order`). Checkout completion
        # calls order_created after its commit, so this is for callers that
        # wrap it in a transaction of their own (tests).
        return
    if not credit_is_taken(order, settings):
        return
    try:
        transactions.capture_new_order(order)
    except Exception:
        logger.exception("Could not capture store credit for order %s.", order.pk)
        order.refresh_from_db(fields=_CHARGE_FIELDS)


_CHARGE_FIELDS = [
    "total_charged_amount",
    "charge_status",
    "total_authorized_amount",
    "authorize_status",
    "updated_at",
]


def handle_order_safely(order_pk, settings: StoreCreditSettings):
    """The hook entry point: never raises; schedules a retry after a failure."""
    try:
        handle_order(order_pk, settings)
    except Exception:
        logger.exception(
            "Store-credit handling of order %s failed; retrying.", order_pk
        )
        from .tasks import handle_order_task

        transaction.on_commit(lambda: handle_order_task.delay(str(order_pk)))
