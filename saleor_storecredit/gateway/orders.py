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
from ..ledger import keys, reads
from ..models import EntryKind, LotKind, Reason
from ..money import quantize
from ..notifications import notify_entry
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
    take_back_refunded_top_ups(order, settings)


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
            event = transactions.new_request_event(
                item, item.authorized_value, TransactionAction.CANCEL
            )
            transactions.cancel(item, event, item.authorized_value)
            item.refresh_from_db()
        if item.charged_value > 0:
            event = transactions.new_request_event(
                item, item.charged_value, TransactionAction.REFUND
            )
            transactions.refund(item, event, item.charged_value)


def _manager():
    from saleor.plugins.manager import get_plugins_manager

    return get_plugins_manager(allow_replica=False)


def _credit_once(user, amount, currency, *, key, **kwargs):
    """Credit keyed by order and trigger, once.

    The key is the plugin's own (no caller can claim it), so an entry under it
    means this credit was given: it is returned as it is, even if the order
    changed since. Otherwise the arguments come from the order's stored data,
    so a run racing this one writes the same request and the ledger replays
    it. An IdempotencyConflict (a race computed different arguments) is never
    taken as success: it is raised, the hook logs it and the retry task runs
    again and finds the entry."""
    if (done := reads.entry_with_key(None, [key])) is not None:
        return done
    entry = ledger.credit(user, amount, currency, idempotency_key=key, **kwargs)
    notify_entry(entry)
    return entry


def _expiry(settings: StoreCreditSettings, kind: str, order: Order):
    """Counted from when the order was placed, so every run computes the same
    date; credit given so late that this date has passed gets its full period
    from now instead (the first run writes it, later runs find it)."""
    days = settings.expiry_days_for(kind)
    if not days:
        return None
    expires_at = order.created_at + timezone.timedelta(days=days)
    if expires_at <= timezone.now() + timezone.timedelta(hours=1):
        expires_at = timezone.now() + timezone.timedelta(days=days)
    return expires_at


def _paid_elsewhere(order: Order) -> Decimal:
    """What other payment methods hold as paid for the order now (charged or
    captured, minus what they refunded), read from Saleor's own payment
    records: the order's total charged may lag behind legacy refunds."""
    legacy = Payment.objects.filter(order_id=order.pk, is_active=True).exclude(
        gateway=PLUGIN_ID
    ).aggregate(total=Sum("captured_amount"))["total"] or Decimal(0)
    items = TransactionItem.objects.filter(order_id=order.pk).exclude(
        app_identifier=PLUGIN_ID
    ).aggregate(total=Sum("charged_value"))["total"] or Decimal(0)
    return legacy + items


def refund_rest_to_credit(order: Order, settings: StoreCreditSettings):
    """Credit what was paid for the order by other means, once per order: the
    customer is refunded in store credit instead of to their card."""
    if order.user is None:
        logger.info("Order %s has no customer account to refund to.", order.pk)
        return
    amount = _paid_elsewhere(order)
    if amount <= 0:
        return
    _credit_once(
        order.user,
        quantize(amount, order.currency),
        order.currency,
        key=keys.order(order.pk, "refund-to-credit"),
        kind=LotKind.REFUND,
        reason=Reason.REFUND,
        expires_at=_expiry(settings, LotKind.REFUND, order),
        reference=Reference(order_id=order.pk),
        customer_note=f"Refund of order {order.number} to store credit",
    )


# --- top-ups ----------------------------------------------------------------------


def _top_up_due(order: Order, settings: StoreCreditSettings) -> bool:
    """A top-up credits once the order is paid in full and has reached one of
    the configured moments: credit is only ever given for money received."""
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELED, OrderStatus.EXPIRED):
        return False
    if order.charge_status not in (
        OrderChargeStatus.FULL,
        OrderChargeStatus.OVERCHARGED,
    ):
        return False
    return FULLY_PAID in settings.top_up_triggers or (
        order.status in settings.top_up_triggers
    )


def top_up_amount(order: Order, settings: StoreCreditSettings) -> Decimal:
    """What the order's top-up lines become as credit: their price, but never
    more than other payment methods paid for the order. Credit never buys
    credit (checkouts with top-ups refuse it, see eligibility), and should an
    order carry credit anyway (edited later, a SKU added to the settings after
    the credit was applied) only the money from elsewhere is turned into
    top-up and bonus credit."""
    bought = order.lines.filter(product_sku__in=settings.top_up_skus).aggregate(
        total=Sum("total_price_gross_amount")
    )["total"] or Decimal(0)
    return quantize(
        max(min(bought, _paid_elsewhere(order)), Decimal(0)), order.currency
    )


def credit_top_ups(order: Order, settings: StoreCreditSettings):
    """Buying N of a top-up variant credits N x its price, plus the bonus tier,
    from what other payment methods paid."""
    if not _top_up_due(order, settings):
        return
    amount = top_up_amount(order, settings)
    if amount <= 0:
        return
    if order.user is None:
        logger.warning(
            "Top-up order %s has no customer account; nothing credited.", order.pk
        )
        return
    reference = Reference(order_id=order.pk)
    top_up = _credit_once(
        order.user,
        amount,
        order.currency,
        key=keys.order(order.pk, "top-up"),
        kind=LotKind.TOP_UP,
        reason=Reason.TOP_UP,
        expires_at=_expiry(settings, LotKind.TOP_UP, order),
        reference=reference,
        customer_note=f"Top-up, order {order.number}",
    )
    # The bonus follows what was credited as top-up, however often this runs.
    amount = top_up.amount
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
            expires_at=_expiry(settings, LotKind.BONUS, order),
            reference=reference,
            customer_note=f"Top-up bonus {percent}%, order {order.number}",
        )


_TOP_UP_REASONS = (Reason.TOP_UP, Reason.BONUS)


def take_back_refunded_top_ups(order: Order, settings: StoreCreditSettings):
    """Top-up credit follows the money that bought it: when other payment
    methods give back (part of) what they paid for a top-up order, the top-up
    credit beyond what is still paid, and its bonus in proportion, is taken
    back from what the customer has available. Computed from the ledger and
    the payments alone, so changed settings never take anything back. What the
    customer already spent stays spent (logged for staff); the next change of
    the order tries again."""
    if order.user is None:
        return
    totals = reads.order_totals(order.pk, _TOP_UP_REASONS)
    given = totals.get((EntryKind.CREDIT, Reason.TOP_UP), Decimal(0))
    if given <= 0:
        return
    bonus = totals.get((EntryKind.CREDIT, Reason.BONUS), Decimal(0))
    taken = -sum(
        totals.get((EntryKind.DEBIT, reason), Decimal(0)) for reason in _TOP_UP_REASONS
    )
    still_paid = min(max(_paid_elsewhere(order), Decimal(0)), given)
    bonus_kept = quantize(bonus * still_paid / given, order.currency)
    excess = (given - still_paid) + (bonus - bonus_kept) - taken
    if excess <= 0:
        return
    account = ledger.get_account(order.user, order.currency)
    amount = min(excess, account.available if account else Decimal(0))
    if amount < excess:
        logger.warning(
            "Top-up order %s was refunded; %s %s of its credit was already spent "
            "and cannot be taken back.",
            order.pk,
            excess - amount,
            order.currency,
        )
    if amount <= 0:
        return
    entry = ledger.adjust(
        order.user,
        -amount,
        order.currency,
        idempotency_key=keys.order(order.pk, f"top-up-back:{given}:{taken}"),
        reason=Reason.TOP_UP,
        reference=Reference(order_id=order.pk),
        customer_note=f"Top-up refunded, order {order.number}",
    )
    notify_entry(entry)


def capture_new_order(order, settings: StoreCreditSettings):
    """`order_created`: take the held credit before Saleor checks whether the
    new order is paid."""
    if transaction.get_connection().in_atomic_block:
        # Saleor defers plugin hooks called inside a transaction until it
        # commits (`call_event`): its order_created has then already looked at
        # the charge status, so the capture is reported through Saleor's
        # transaction events instead (`handle_order`). Checkout completion
        # calls order_created after its commit, so this is for callers that
        # wrap it in a transaction of their own.
        return
    if credit_is_taken(order, settings):
        transactions.capture_new_order(order)


_CHARGE_FIELDS = [
    "total_charged_amount",
    "charge_status",
    "total_authorized_amount",
    "authorize_status",
    "updated_at",
]


def handle_order_hook(order, settings: StoreCreditSettings, *, created=False):
    """The entry point of Saleor's order hooks.

    Hooks run after Saleor committed the order, and an exception raised here
    would reach the customer's `checkoutComplete` (for an order that exists)
    and skip Saleor's remaining callbacks, such as the confirmation email. So
    this is the one place that catches every exception: each write below is in
    its own transaction and keyed, the failure is logged with its traceback,
    and the retry task runs the same idempotent handling again until it
    succeeds. Nothing is passed over.
    """
    try:
        if created:
            capture_new_order(order, settings)
        handle_order(order.pk, settings)
    except Exception:  # noqa: BLE001 - the hook boundary, see the docstring
        logger.exception(
            "Store-credit handling of order %s failed; retrying.", order.pk
        )
        if created:
            # Saleor goes on with this instance: show it what is stored.
            order.refresh_from_db(fields=_CHARGE_FIELDS)
        _retry_later(order.pk)


def handle_order_safely(order_pk, settings: StoreCreditSettings):
    """`handle_order` from code that must not raise (hooks, retries by hand)."""
    try:
        handle_order(order_pk, settings)
    except Exception:  # noqa: BLE001 - as in handle_order_hook
        logger.exception(
            "Store-credit handling of order %s failed; retrying.", order_pk
        )
        _retry_later(order_pk)


def _retry_later(order_pk):
    from .tasks import handle_order_task

    transaction.on_commit(lambda: handle_order_task.delay(str(order_pk)))
