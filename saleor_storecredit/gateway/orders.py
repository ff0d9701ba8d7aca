"""What happens to credit as an order moves: capture, return, refund to credit,
top-ups.

Saleor calls order hooks after commit, in any sequence and sometimes twice for
one change. `handle_order` therefore re-reads the order and derives what is due
from its current state; every write is keyed by the order (and payment or
transaction) and the trigger, so running it again changes nothing. The hook
wrapper never raises into Saleor: a failure is logged and retried by a task.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from saleor.order import OrderChargeStatus, OrderStatus
from saleor.order.models import Order
from saleor.payment import PaymentError, TransactionAction
from saleor.payment.models import Payment, TransactionItem

from .. import ledger, saleor_compat
from ..actors import Reference
from ..config import FULLY_PAID, PLUGIN_ID, StoreCreditSettings
from ..ledger import keys, reads
from ..models import EntryKind, LotKind, LotSource, Reason
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
    follow_order_money(order, settings)


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


def _paid_elsewhere(order: Order) -> tuple[Decimal, Decimal]:
    """What other payment methods hold as paid for the order now (charged or
    captured, minus what they refunded), read from Saleor's own payment
    records (the order's total charged may lag behind legacy refunds): (money
    the shop received, of which paid by Saleor gift cards)."""
    legacy = Payment.objects.filter(order_id=order.pk, is_active=True).exclude(
        gateway=PLUGIN_ID
    ).aggregate(total=Sum("captured_amount"))["total"] or Decimal(0)
    items = TransactionItem.objects.filter(order_id=order.pk).exclude(
        app_identifier=PLUGIN_ID
    )
    charged = items.aggregate(total=Sum("charged_value"))["total"] or Decimal(0)
    gift = items.filter(app_identifier=saleor_compat.GIFT_CARD_GATEWAY_ID).aggregate(
        total=Sum("charged_value")
    )["total"] or Decimal(0)
    return max(legacy + charged, Decimal(0)), max(gift, Decimal(0))


def _paid_with_credit(order: Order) -> Decimal:
    """Store credit taken for the order and not given back."""
    account = ledger.get_account(order.user, order.currency) if order.user else None
    if account is None:
        return Decimal(0)
    return ledger.refundable_amount(account, Reference(order_id=order.pk))


@dataclass(frozen=True)
class OrderMoney:
    """What the order's money pays for now, and so what credit it backs.

    Money still paid goes to what the customer keeps other than top-ups
    (other lines, shipping; store credit paid for the order pays those
    first) first; what is left pays for the top-up lines still kept, Saleor gift-card money first (it buys gift-card credit, never
    new money's bonus). A refund by line (granted refunds, refunded
    fulfillments) removes that line; a refund by amount alone is taken from
    the top-up first, as the money went back."""

    paid: Decimal
    for_top_up: Decimal
    gift_for_top_up: Decimal

    @property
    def cash_for_top_up(self) -> Decimal:
        return self.for_top_up - self.gift_for_top_up

    @property
    def for_the_rest(self) -> Decimal:
        return self.paid - self.for_top_up


def order_money(
    order: Order, settings: StoreCreditSettings, given: Decimal = Decimal(0)
) -> OrderMoney:
    """`given`: the top-up credit the order gave. Should no line be a top-up
    under today's settings (the SKU was taken off the list), the money is
    counted towards that credit first: changed settings never take anything
    back, the money going back still does."""
    paid, gift = _paid_elsewhere(order)
    refunded, shipping_refunded = saleor_compat.refunded_lines(order)
    top_up, rest = Decimal(0), Decimal(0)
    matched = False
    for line in order.lines.all():
        if not line.quantity:
            continue
        kept = max(line.quantity - refunded.get(line.pk, 0), 0)
        value = line.total_price_gross_amount * kept / line.quantity
        if settings.top_up_skus and line.product_sku in settings.top_up_skus:
            top_up += value
            matched = True
        else:
            rest += value
    if not shipping_refunded:
        rest += order.shipping_price_gross_amount
    if not matched and given > 0:
        top_up, rest = given, Decimal(0)
    # Credit paid what it could of the rest (it never buys credit).
    rest = max(rest - _paid_with_credit(order), Decimal(0))
    currency = order.currency
    for_top_up = quantize(min(max(paid - rest, Decimal(0)), top_up), currency)
    return OrderMoney(
        paid=quantize(paid, currency),
        for_top_up=for_top_up,
        gift_for_top_up=quantize(min(gift, for_top_up), currency),
    )


# --- credit that follows the order's money: top-ups, bonus, refunds to credit --


# (reason, lot kind, plugin key trigger, whether it is bought with money)
_TOP_UP = (Reason.TOP_UP, LotKind.TOP_UP, "top-up")
_TOP_UP_GIFT = (Reason.GIFT_CARD, LotKind.GIFT_CARD, "top-up-gift-card")
_BONUS = (Reason.BONUS, LotKind.BONUS, "top-up-bonus")
_REFUND = (Reason.REFUND, LotKind.REFUND, "refund-to-credit")
_FOLLOWED = (_TOP_UP, _TOP_UP_GIFT, _BONUS, _REFUND)


def follow_order_money(order: Order, settings: StoreCreditSettings):
    """Make the credit the order's money bought match that money now.

    Each kind of credit the order gives (top-up bought with money, top-up
    bought with a Saleor gift card, the bonus, a refund to credit) has a
    target computed from the order alone; what stands in the ledger (given
    less taken back) moves towards it: up by a credit keyed by what was given
    so far, down by a clawback keyed by what stands. So a top-up paid again
    after its refund is credited again, a refund to credit never pays the top-up
    back twice, and running this twice changes nothing."""
    if order.user is None:
        if settings.top_up_skus or order.status in settings.refund_to_credit_statuses:
            logger.info("Order %s has no customer account to credit.", order.pk)
        return
    standing = _standing(order)
    if (
        not settings.top_up_skus
        and not any(standing.values())
        and (order.status not in settings.refund_to_credit_statuses)
    ):
        return
    given = sum(
        (standing.get(what, (Decimal(0),))[0] for what in (_TOP_UP, _TOP_UP_GIFT)),
        Decimal(0),
    )
    money = order_money(order, settings, given)
    targets = _targets(order, settings, money, standing)
    for what in _FOLLOWED:
        target = targets.get(what)
        given, kept = standing.get(what, (Decimal(0), Decimal(0)))
        if target is None:
            continue
        if target > kept:
            _give(order, settings, what, target - kept, given)
        elif target < kept:
            _take_back(order, what, kept - target, kept)


def _targets(order, settings, money: OrderMoney, standing) -> dict:
    """What should stand of each kind of credit; None: leave it as it is."""
    refunded_to_credit = order.status in settings.refund_to_credit_statuses
    due = _top_up_due(order, settings)
    targets = {}
    for what, target in (
        (_TOP_UP, money.cash_for_top_up),
        (_TOP_UP_GIFT, money.gift_for_top_up),
    ):
        kept = standing.get(what, (Decimal(0), Decimal(0)))[1]
        # Credit is only ever given for money received (`due`); it follows
        # the money back down whenever that goes back.
        targets[what] = target if due or target < kept else None
    cash = targets[_TOP_UP]
    if cash is None:
        cash = standing.get(_TOP_UP, (Decimal(0), Decimal(0)))[1]
    percent = settings.bonus_percent(cash)
    bonus = quantize(cash * percent / 100, order.currency)
    bonus_kept = standing.get(_BONUS, (Decimal(0), Decimal(0)))[1]
    if refunded_to_credit:
        # The purchase was refunded to credit: the top-up credit is that
        # refund, its bonus goes.
        bonus = Decimal(0)
    targets[_BONUS] = bonus if due or bonus < bonus_kept else None
    if refunded_to_credit:
        # Everything else paid comes back as credit, once: what the top-up
        # lines were paid with is already credit.
        targets[_REFUND] = money.for_the_rest
    elif standing.get(_REFUND, (0, 0))[1] > 0:
        targets[_REFUND] = min(standing[_REFUND][1], money.for_the_rest)
    return targets


def _standing(order) -> dict:
    """{(reason, kind, trigger): (given, still standing)} from the ledger."""
    totals = reads.order_money_totals(order.pk)
    standing = {}
    for what in _FOLLOWED:
        reason = what[0]
        given = totals.get((EntryKind.CREDIT, reason), Decimal(0))
        # Taken back: clawbacks (taken and owed), and the debits that took
        # top-up credit back before 0011.
        taken = totals.get((EntryKind.CLAWBACK, reason), Decimal(0)) + totals.get(
            (EntryKind.DEBIT, reason), Decimal(0)
        )
        if given or taken:
            standing[what] = (given, given - taken)
    return standing


def _give(order, settings, what, amount: Decimal, given: Decimal):
    reason, kind, trigger = what
    notes = {
        _TOP_UP: f"Top-up, order {order.number}",
        _TOP_UP_GIFT: f"Top-up paid with a gift card, order {order.number}",
        _BONUS: f"Top-up bonus, order {order.number}",
        _REFUND: f"Refund of order {order.number} to store credit",
    }
    source = {
        _TOP_UP: LotSource.TOP_UP,
        _TOP_UP_GIFT: LotSource.TOP_UP,
        _BONUS: LotSource.BONUS,
        _REFUND: LotSource.ORDER_REFUND,
    }[what]
    # The first credit of each kind keeps the key it had before 0011.
    key = trigger if not given else f"{trigger}:{given}"
    _credit_once(
        order.user,
        amount,
        order.currency,
        key=keys.order(order.pk, key),
        kind=kind,
        reason=reason,
        expires_at=_expiry(settings, kind, order),
        reference=Reference(order_id=order.pk),
        customer_note=notes[what],
        provenance=ledger.Provenance(
            source,
            str(order.pk),
            order.pk,
            cash_backed=what in (_TOP_UP, _REFUND),
        ),
    )


def _take_back(order, what, amount: Decimal, kept: Decimal):
    """Claw back credit whose money went back: from the order's own lots
    first, then any credit; what is missing is owed, and the customer's open
    holds end so that it is settled from them."""
    reason = what[0]
    entry = ledger.claw_back(
        order.user,
        amount,
        order.currency,
        idempotency_key=keys.order(order.pk, f"clawback:{what[2]}:{kept}"),
        order_id=order.pk,
        kind=what[1],
        reason=reason,
        customer_note=f"Taken back: the money for order {order.number} was returned",
    )
    notify_entry(entry)
    if entry.owed_change > 0:
        logger.warning(
            "Order %s was refunded; %s %s of its credit is owed back.",
            order.pk,
            entry.owed_change,
            order.currency,
        )
        end_holds_for_debt(order.user, order.currency, order.number)


def end_holds_for_debt(user, currency: str, order_number):
    """Release what the customer's open holds keep (withdrawal requests are
    rejected, checkouts lose their credit) so what they owe is settled from
    it; nothing parked in a hold dodges a clawback."""
    from .. import withdrawals
    from ..actors import SYSTEM

    account = ledger.get_account(user, currency)
    if account is None or account.owed <= 0:
        return
    for hold in reads.open_holds_of(account):
        account = ledger.get_account(user, currency)
        if account.owed <= 0:
            return
        withdrawal = reads.withdrawal_of(hold)
        if withdrawal is not None:
            withdrawals.process_withdrawal(
                withdrawal.pk,
                withdrawals.REJECT,
                note=f"Credit is owed back for order {order_number}.",
                actor=SYSTEM,
            )
        elif hold.checkout_id is not None:
            transactions.release_checkout_credit(
                hold.checkout_id,
                message="Store credit is owed back to the shop.",
            )


def _top_up_due(order: Order, settings: StoreCreditSettings) -> bool:
    """A top-up credits once the order is paid in full and has reached one of
    the configured moments: credit is only ever given for money received."""
    if not settings.top_up_skus:
        return False
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
    """What the order's top-up lines become as credit now: what other payment
    methods paid for them (credit never buys credit)."""
    return order_money(order, settings).for_top_up


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
