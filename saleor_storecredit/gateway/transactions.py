"""The Transactions API road: credit held on a checkout as a plugin-owned item.

`transactionInitialize` accepts only apps, so the plugin creates the
TransactionItem itself (app=None, app_identifier=PLUGIN_ID) and records what it
holds through transaction events, as Saleor's own gift-card gateway does. The
credit is authorized (held) while on the checkout, captured once when the order
is created, and refunded or released when Saleor asks.

Lock order everywhere: the checkout (or order), then the transaction item, as
Saleor locks them; then the ledger locks the account and its hold inside its own
calls. The gateway never locks or queries the ledger's tables: it reads through
`ledger.reads` and writes through the ledger's functions, which check amounts
again under their lock. Each Saleor write and the ledger write it reports
happen in one database transaction, so a failure between them leaves neither.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from saleor.checkout.calculations import calculate_checkout_total_with_gift_cards
from saleor.checkout.error_codes import (
    CheckoutErrorCode,
    OrderCreateFromCheckoutErrorCode,
)
from saleor.checkout.fetch import (
    CheckoutInfo,
    CheckoutLineInfo,
    fetch_checkout_info,
    fetch_checkout_lines,
)
from saleor.checkout.models import Checkout
from saleor.order.models import Order
from saleor.order.utils import updates_amounts_for_order
from saleor.payment import TransactionAction, TransactionEventType
from saleor.payment.models import TransactionEvent, TransactionItem
from saleor.payment.transaction_item_calculations import (
    recalculate_transaction_amounts,
)
from saleor.payment.utils import (
    create_transaction_event_from_request_and_webhook_response,
    get_failed_type_based_on_event,
    process_order_or_checkout_with_transaction,
)

from .. import ledger, saleor_compat
from ..actors import Actor, Reference
from ..config import PLUGIN_ID, StoreCreditSettings
from ..error_codes import StoreCreditErrorCode
from ..exceptions import InsufficientFunds, NotFound, StoreCreditError
from ..ledger import keys, reads
from ..ledger.rules import PAY
from ..models import StoreCreditHold
from ..money import validate_amount
from ..notifications import notify_entry
from . import callers, eligibility
from .callers import Caller
from .checkout_status import checkout_payments_changed

logger = logging.getLogger(__name__)

PAYMENT_METHOD_TYPE = "store_credit"


def credit_items(**filters):
    return TransactionItem.objects.filter(app_identifier=PLUGIN_ID, **filters)


def _open_holds(item: TransactionItem) -> list[StoreCreditHold]:
    return reads.open_holds(transaction_id=item.token)


def webhook_skip_notices(request_event: TransactionEvent) -> list[int]:
    """The webhook plugin's "skipped" failure events for this request.

    Both plugins are global and the webhook plugin runs first, so for an item
    no app owns it has already recorded that no app took the request
    (saleor-notes.md). Read before the plugin handles the request: reporting
    the outcome rewrites the request event's PSP reference."""
    return list(
        TransactionEvent.objects.filter(
            transaction_id=request_event.transaction_id,
            pk__gt=request_event.pk,
            type=get_failed_type_based_on_event(request_event),
            psp_reference=request_event.psp_reference,
            related_granted_refund_id=request_event.related_granted_refund_id,
            message__in=saleor_compat.WEBHOOK_SKIP_NOTICES,
            include_in_calculations=False,
            app__isnull=True,
        ).values_list("pk", flat=True)
    )


def withdraw_webhook_skip_notices(event_ids: list[int]) -> None:
    """Remove those notices once the plugin recorded its own outcome (success
    or failure): the Dashboard shows each one as a failed refund, charge or
    cancel, and it is true only of apps. Nothing else is removed: the notices
    carry no amount and never count (`include_in_calculations` is false)."""
    if event_ids:
        TransactionEvent.objects.filter(pk__in=event_ids).delete()


def _report(request_event: TransactionEvent, result: str, amount, actions, message):
    """Tell Saleor the outcome of a request; it recalculates the item and its
    checkout or order."""
    return create_transaction_event_from_request_and_webhook_response(
        request_event,
        None,
        transaction_webhook_response={
            "result": result.upper(),
            "pspReference": f"storecredit:{request_event.pk}",
            "amount": amount,
            "actions": [action.upper() for action in actions],
            "message": message,
        },
    )


_REQUEST_TYPES = {
    TransactionAction.CANCEL: TransactionEventType.CANCEL_REQUEST,
    TransactionAction.CHARGE: TransactionEventType.CHARGE_REQUEST,
    TransactionAction.REFUND: TransactionEventType.REFUND_REQUEST,
}


def new_request_event(item, amount, action: str, *, user=None) -> TransactionEvent:
    """Record that the plugin itself asks for an action on its item, as
    Saleor's `transactionRequestAction` records staff requests (the outcome is
    reported against it with `_report`). Kept here rather than imported from
    Saleor's GraphQL layer: the gateway does not depend on GraphQL code."""
    return item.events.create(
        amount_value=amount,
        currency=item.currency,
        type=_REQUEST_TYPES[action],
        user=user if getattr(user, "is_authenticated", False) else None,
        app_identifier=PLUGIN_ID,
        idempotency_key=str(uuid.uuid4()),
    )


# --- applying to a checkout -------------------------------------------------------


@dataclass
class CheckoutCredit:
    """A checkout after credit was applied or removed, with the priced checkout
    data when it was fetched (the mutation hands it to its response)."""

    checkout: Checkout
    item: TransactionItem | None
    checkout_info: CheckoutInfo | None = None
    lines: list[CheckoutLineInfo] | None = None


def checkout_total(checkout: Checkout, manager):
    """The checkout total with prices refreshed (Saleor stores stale totals),
    with the checkout info and lines it was computed from."""
    lines, _ = fetch_checkout_lines(checkout)
    info = fetch_checkout_info(checkout, lines, manager)
    total = calculate_checkout_total_with_gift_cards(
        manager=manager, checkout_info=info, lines=lines
    )
    return total.gross.amount, info, lines


# What a transaction item counts towards paying its checkout.
_PAID_FIELDS = (
    "authorized_value",
    "charged_value",
    "authorize_pending_value",
    "charge_pending_value",
)


def _paid_sum(filter=None):
    """What items count towards paying their checkout, summed in the database."""
    paid = sum((F(field) for field in _PAID_FIELDS[1:]), F(_PAID_FIELDS[0]))
    return Sum(paid, filter=filter)


def _paid_by_others(checkout_pk, exclude_pk) -> Decimal:
    totals = (
        TransactionItem.objects.filter(checkout_id=checkout_pk)
        .exclude(pk=exclude_pk)
        .aggregate(paid=_paid_sum())
    )
    return totals["paid"] or Decimal(0)


def checkout_paid(checkout_pk, using: str = "default") -> tuple[Decimal, Decimal]:
    """(paid with store credit, paid every other way) of a checkout, in one query;
    `using` lets what only decides what to show read a replica."""
    ours = Q(app_identifier=PLUGIN_ID)
    items = TransactionItem.objects.using(using).filter(checkout_id=checkout_pk)
    totals = items.aggregate(credit=_paid_sum(ours), others=_paid_sum(~ours))
    return totals["credit"] or Decimal(0), totals["others"] or Decimal(0)


def paid_by_item(item: TransactionItem) -> Decimal:
    """What one item counts towards paying its checkout."""
    return sum((getattr(item, field) for field in _PAID_FIELDS), Decimal(0))


def _current_item(checkout_pk) -> TransactionItem | None:
    """The checkout's credit item still holding credit (at most one)."""
    return (
        credit_items(checkout_id=checkout_pk, authorized_value__gt=0)
        .select_for_update(of=("self",))
        .order_by("-created_at")
        .first()
    )


def _checkout_for(caller: Caller, checkout_pk) -> Checkout:
    """The checkout whose customer's credit `caller` may spend. Another
    customer learns nothing (not found); anyone else hears why not."""
    checkout = (
        Checkout.objects.select_related("channel", "user__customer_type")
        .filter(pk=checkout_pk)
        .first()
    )
    if checkout is not None and caller.may_spend_for(checkout.user_id):
        return checkout
    if checkout is None or (caller.user is not None and not caller.is_app):
        raise NotFound("Checkout not found.", field="id")
    if caller.is_app:
        raise eligibility.NotEligible(
            "Only an app with HANDLE_PAYMENTS and IMPERSONATE_USER may pay with "
            "a customer's store credit, and only on a checkout of that customer."
        )
    raise eligibility.NotEligible("Log in to pay with your store credit.")


def _actor(caller: Caller, user) -> Actor:
    return Actor.app(caller.app) if caller.is_app else Actor.customer(user)


def apply_to_checkout(
    settings: StoreCreditSettings,
    *,
    caller: Caller,
    checkout_pk,
    amount=None,
    manager,
    quiet_when_nothing_to_do: bool = False,
) -> CheckoutCredit:
    """Hold min(amount or everything, available credit, unpaid part) of the
    checkout's customer's credit for it; applying again re-computes the same
    and adjusts the hold. Only for callers who may spend that credit."""
    if not settings.active:
        raise StoreCreditError(
            "Paying with store credit is not available.",
            code=StoreCreditErrorCode.GATEWAY_INACTIVE,
        )
    checkout = _checkout_for(caller, checkout_pk)
    user = checkout.user
    actor = _actor(caller, user)
    wanted = None
    if amount is not None:
        wanted = validate_amount(amount, checkout.currency)
    total, info, lines = checkout_total(checkout, manager)
    channel_slug = checkout.channel.slug

    with transaction.atomic():
        locked = Checkout.objects.select_for_update(of=("self",)).filter(pk=checkout.pk)
        checkout = locked.first()
        if checkout is None or checkout.user_id != user.pk:
            raise NotFound("Checkout not found.", field="id")
        if checkout.is_checkout_locked():
            raise StoreCreditError(
                "This checkout is being completed. Try again in a moment.",
                code=StoreCreditErrorCode.CHECKOUT_LOCKED,
            )
        # Read without a lock: the ledger checks the amount again under its own
        # lock when it authorizes, and refuses what is no longer available.
        account = ledger.get_account(user, checkout.currency)
        eligibility.check_customer(
            settings, user=user, channel_slug=channel_slug, account=account
        )
        eligibility.check_products(settings, eligibility.line_info_products(lines))
        eligibility.check_total(settings, total, checkout.currency)
        item = _current_item(checkout.pk)
        current = item.authorized_value if item else Decimal(0)
        unpaid = max(total - _paid_by_others(checkout.pk, getattr(item, "pk", None)), 0)
        spendable = reads.usable(account, settings.spend_for(PAY)) + current
        target = min(unpaid, spendable)
        if wanted is not None:
            target = min(target, wanted)
        if target <= 0 and current == 0:
            if quiet_when_nothing_to_do:
                return CheckoutCredit(checkout, None)
            if unpaid <= 0:
                raise StoreCreditError(
                    "Nothing is left to pay on this checkout.",
                    code=StoreCreditErrorCode.NOTHING_TO_PAY,
                )
            raise InsufficientFunds(f"You have no store credit in {checkout.currency}.")
        if 0 < target < unpaid and not settings.allow_partial_payment:
            raise StoreCreditError(
                "Your store credit does not cover this order, and this shop does "
                "not accept part payment with store credit.",
                code=StoreCreditErrorCode.PARTIAL_PAYMENT_NOT_ALLOWED,
            )
        info.checkout = checkout
        if target == current and item is not None:
            return CheckoutCredit(checkout, item, info, lines)
        new_item = item is None
        if new_item:
            item = _create_item(settings, checkout, user)
        _set_held_amount(
            item,
            account,
            target,
            checkout,
            settings=settings,
            user=user,
            actor=actor,
            new_item=new_item,
        )
        checkout_payments_changed(item, info, lines, total, manager, user)
    return CheckoutCredit(checkout, item, info, lines)


def _create_item(settings, checkout: Checkout, user) -> TransactionItem:
    sequence = credit_items(checkout_id=checkout.pk).count()
    return TransactionItem.objects.create(
        token=uuid.uuid4(),
        name=settings.display_name,
        message="",
        psp_reference=f"storecredit:{checkout.pk}:{sequence}",
        idempotency_key=keys.checkout(checkout.pk, sequence),
        available_actions=[],
        currency=checkout.currency,
        checkout_id=checkout.pk,
        user=user if getattr(user, "is_authenticated", False) else None,
        app=None,
        app_identifier=PLUGIN_ID,
        payment_method_type=PAYMENT_METHOD_TYPE,
        payment_method_name=settings.display_name,
    )


def _set_held_amount(
    item,
    account,
    target: Decimal,
    checkout,
    *,
    settings: StoreCreditSettings,
    user=None,
    actor=None,
    new_item=False,
):
    """Make the item hold exactly `target` of `user`'s credit: authorize more
    or release some. `new_item`: the item was just created (no holds or
    events yet)."""
    current = item.authorized_value
    reference = Reference(checkout_id=checkout.pk, transaction_id=item.token)
    if actor is None:
        actor = Actor.customer(user) if user is not None else Actor()
    if target > current:
        sequence = 0 if new_item else reads.hold_count(transaction_id=item.token)
        ledger.authorize(
            account if account is not None else user,
            target - current,
            item.currency,
            idempotency_key=keys.transaction_item(item.token, "authorize", sequence),
            reference=reference,
            actor=actor,
            spend_from=settings.spend_for(PAY),
        )
    elif target < current:
        _release(item, current - target, actor=actor)
    first = (
        new_item
        or not item.events.filter(
            type__in=[
                TransactionEventType.AUTHORIZATION_SUCCESS,
                TransactionEventType.AUTHORIZATION_ADJUSTMENT,
            ]
        ).exists()
    )
    item.events.create(
        type=(
            TransactionEventType.AUTHORIZATION_SUCCESS
            if first
            else TransactionEventType.AUTHORIZATION_ADJUSTMENT
        ),
        amount_value=target,
        currency=item.currency,
        psp_reference=item.psp_reference,
        include_in_calculations=True,
        app_identifier=PLUGIN_ID,
        message="Store credit applied." if first else "Store credit adjusted.",
    )
    recalculate_transaction_amounts(item, save=False)
    item.available_actions = (
        [TransactionAction.CANCEL, TransactionAction.CHARGE] if target > 0 else []
    )
    item.save()


def _release(item, amount: Decimal, *, actor=None) -> Decimal:
    """Release up to `amount` of the item's holds, newest first; returns released."""
    left = amount
    for hold in reversed(_open_holds(item)):
        if left <= 0:
            break
        take = min(hold.remaining, left)
        ledger.release(
            hold,
            take,
            idempotency_key=keys.transaction_item(
                item.token, "release", hold.pk, hold.released_amount, take
            ),
            actor=actor or Actor(),
        )
        left -= take
    return amount - left


def remove_from_checkout(*, caller: Caller, checkout_pk) -> CheckoutCredit:
    """Give back the credit held on the customer's checkout."""
    owner_id = _checkout_for(caller, checkout_pk).user_id
    user = caller.user
    with transaction.atomic():
        checkout = (
            Checkout.objects.select_for_update(of=("self",))
            .filter(pk=checkout_pk, user_id=owner_id)
            .first()
        )
        if checkout is None:
            raise NotFound("Checkout not found.", field="id")
        if checkout.is_checkout_locked():
            raise StoreCreditError(
                "This checkout is being completed. Try again in a moment.",
                code=StoreCreditErrorCode.CHECKOUT_LOCKED,
            )
        item = _current_item(checkout.pk)
        if item is None:
            raise NotFound("No store credit is applied to this checkout.", field="id")
        cancel_item(item, user=user, message="Removed by the customer.")
    return CheckoutCredit(checkout, None)


def release_checkout_credit(checkout_pk, *, only_not_owned=False, message="") -> int:
    """Give back the credit held on a checkout; returns how many credit items
    were released. Anyone's change may release credit, so no caller is checked.

    `only_not_owned`: only credit of someone other than the checkout's
    customer now (its customer changed). A checkout being completed is left
    alone: completion checks every hold itself."""
    if not credit_items(checkout_id=checkout_pk, authorized_value__gt=0).exists():
        return 0
    with transaction.atomic():
        checkout = (
            Checkout.objects.select_for_update(of=("self",))
            .filter(pk=checkout_pk)
            .first()
        )
        if checkout is None or checkout.is_checkout_locked():
            return 0
        released = 0
        for item in (
            credit_items(checkout_id=checkout.pk, authorized_value__gt=0)
            .select_for_update(of=("self",))
            .order_by("pk")
        ):
            holds = _open_holds(item)
            if only_not_owned and all(
                hold.account.user_id == checkout.user_id for hold in holds
            ):
                continue
            cancel_item(item, message=message)
            released += 1
    return released


def foreign_holds(checkout) -> list[StoreCreditHold]:
    """Credit held on the checkout that is not its customer's own (now)."""
    return [
        hold
        for hold in reads.open_holds(checkout_id=checkout.pk)
        if hold.account.user_id is None or hold.account.user_id != checkout.user_id
    ]


def cancel_item(item: TransactionItem, *, user=None, message: str = ""):
    """Release everything the item holds and report it as a cancellation."""
    with transaction.atomic():
        amount = item.authorized_value
        request_event = new_request_event(
            item, amount, TransactionAction.CANCEL, user=user
        )
        _release(item, sum((h.remaining for h in _open_holds(item)), Decimal(0)))
        _report(request_event, TransactionEventType.CANCEL_SUCCESS, amount, [], message)


# --- reconciling before completion ----------------------------------------------


# Mutations completing a checkout whose error codes have no PAYMENT_ERROR (an
# unknown code would fail the whole response): their generic code.
_COMPLETION_CODES = {
    "orderCreateFromCheckout": OrderCreateFromCheckoutErrorCode.GRAPHQL_ERROR.value,
}


def completion_error(message: str) -> ValidationError:
    """How a refusal reaches the mutation completing the checkout: Saleor's own
    error type, with a code that mutation has (PAYMENT_ERROR for checkoutComplete)."""
    code = _COMPLETION_CODES.get(
        callers.operation(), CheckoutErrorCode.PAYMENT_ERROR.value
    )
    return ValidationError({"id": ValidationError(message, code=code)})


def check_guest_top_up(settings: StoreCreditSettings, checkout_info, lines):
    """A guest cannot buy store credit: Saleor gives a guest order to the customer
    whose email the checkout names, so a top-up paid by anyone would become that
    customer's credit (and from there, cash)."""
    if checkout_info.checkout.user_id is not None:
        return
    if any(
        sku in settings.top_up_skus
        for sku, _kind in eligibility.line_info_products(lines)
    ):
        raise StoreCreditError(
            "Sign in to buy store credit: it is added to your own account.",
            code=StoreCreditErrorCode.NOT_ELIGIBLE,
        )


def check_completion(settings: StoreCreditSettings, checkout_info, lines, caller):
    """Credit held on a checkout is spent only when its customer (or an app
    acting for them) completes it, or Saleor itself completes it in the
    background where the shop turned that on; the holds must be the buyer's
    own credit, and the buyer's account active and allowed."""
    checkout = checkout_info.checkout
    if not credit_items(checkout_id=checkout.pk, authorized_value__gt=0).exists():
        return
    background_completion = caller.is_background and bool(
        saleor_compat.completes_paid_checkouts(checkout_info.channel)
    )
    if not (caller.may_spend_for(checkout.user_id) or background_completion):
        raise StoreCreditError(
            "Only the checkout's customer can complete a checkout paid with their "
            "store credit.",
            code=StoreCreditErrorCode.NOT_ELIGIBLE,
        )
    if foreign_holds(checkout):
        release_checkout_credit(checkout.pk, only_not_owned=True)
        raise StoreCreditError(
            "The store credit on this checkout was another customer's and was "
            "given back. Apply your own credit or pay another way.",
            code=StoreCreditErrorCode.NOT_ELIGIBLE,
        )
    # A top-up or gift card added after the credit was applied.
    eligibility.check_products(settings, eligibility.line_info_products(lines))
    # The account put on hold, or refused credit, after the credit was applied.
    user = checkout.user
    eligibility.check_customer(
        settings,
        user=user,
        channel_slug=checkout_info.channel.slug,
        account=ledger.get_account(user, checkout.currency) if user else None,
    )


def reconcile_checkout(
    settings: StoreCreditSettings, checkout_info, lines, manager, caller: Caller
) -> None:
    """Before the order is created: never hold more than the checkout still
    needs (its total may have dropped since the credit was applied). Refuses
    completion when credit was removed after Saleor checked that the checkout
    is paid.

    Saleor's completion lock (`completing_started_at`) is Saleor's: it is set
    and cleared by Saleor's payment road only. Setting it here would leave the
    checkout locked for minutes whenever a later step of the completion fails.
    Credit removed between this check and the order's creation leaves an order
    that Saleor shows as not fully paid; no credit is taken for it."""
    checkout = checkout_info.checkout
    if not credit_items(checkout_id=checkout.pk).exists():
        return
    check_completion(settings, checkout_info, lines, caller)
    total = calculate_checkout_total_with_gift_cards(
        manager=manager, checkout_info=checkout_info, lines=lines
    ).gross.amount
    with transaction.atomic():
        locked = (
            Checkout.objects.select_for_update(of=("self",))
            .filter(pk=checkout.pk)
            .first()
        )
        if locked is None:
            return
        item = _current_item(checkout.pk)
        if item is None:
            paid = _paid_by_others(checkout.pk, None)
        else:
            others = _paid_by_others(checkout.pk, item.pk)
            unpaid = max(total - others, 0)
            if item.authorized_value > unpaid:
                # Only releasing: the ledger locks each hold's account itself.
                _set_held_amount(item, None, unpaid, locked, settings=settings)
                process_order_or_checkout_with_transaction(item, manager, None, None)
            paid = others + paid_by_item(item)
        # An app's orderCreateFromCheckout may create an unpaid order, as Saleor lets it.
        unpaid_allowed = checkout_info.channel.allow_unpaid_orders or (
            callers.operation() in _COMPLETION_CODES
        )
        if paid < total and not unpaid_allowed:
            raise ValidationError(
                {
                    "id": ValidationError(
                        "The store credit on this checkout was removed; it is no "
                        "longer fully paid.",
                        code=CheckoutErrorCode.CHECKOUT_NOT_FULLY_PAID.value,
                    )
                }
            )


# --- on the order -----------------------------------------------------------------


def capture_new_order(order) -> list[TransactionItem]:
    """In `order_created`: capture the credit held for the new order and update
    the order in place.

    Saleor's own `order_created` calls the plugins first and only then looks at
    the order's charge status: finding it paid, it does its "order charged"
    work (events, payment confirmation, auto-confirmation) once, exactly as
    for an order created already paid by an app. Reporting the capture through
    Saleor's transaction-event road instead would re-read and re-save the
    order and run that work a second way.
    """
    item_pks = list(
        credit_items(
            order_id=order.pk, authorized_value__gt=0, charged_value=0
        ).values_list("pk", flat=True)
    )
    if not item_pks:
        return []
    captured = []
    with transaction.atomic():
        # Saleor's lock order: the order, then its transaction items.
        Order.objects.select_for_update(of=("self",)).filter(pk=order.pk).first()
        for item in (
            TransactionItem.objects.select_for_update(of=("self",))
            .filter(pk__in=item_pks)
            .order_by("pk")
        ):
            if _charge_requested(item) or item.authorized_value <= 0:
                continue
            if any(h.account.user_id != order.user_id for h in _open_holds(item)):
                # Never the buyer's payment: completion refuses this, and a
                # customer change releases it first. Give it back.
                cancel_item(item, message="Store credit of another customer.")
                continue
            amount = item.authorized_value
            request = new_request_event(item, amount, TransactionAction.CHARGE)
            taken, _ = _capture_holds(item, request, amount, order_id=order.pk)
            if taken <= 0:
                # Rolled back; the order hooks report the failure to Saleor.
                raise StoreCreditError(
                    "No store credit is held for this payment.",
                    code=StoreCreditErrorCode.HOLD_NOT_ACTIVE,
                )
            _record_charge(item, taken)
            captured.append(item)
        if captured:
            # The order may carry prefetched (now outdated) transactions.
            getattr(order, "_prefetched_objects_cache", {}).pop(
                "payment_transactions", None
            )
            updates_amounts_for_order(order, save=True)
    return captured


def capture_order_items(order) -> list[TransactionItem]:
    """Capture, once, the credit still held by the order's credit items (orders
    that did not go through `order_created`, or whose capture failed there),
    reporting through Saleor so it updates the order."""
    captured = []
    for item_pk in credit_items(
        order_id=order.pk, authorized_value__gt=0, charged_value=0
    ).values_list("pk", flat=True):
        with transaction.atomic():
            item = (
                TransactionItem.objects.select_for_update(of=("self",))
                .filter(pk=item_pk)
                .first()
            )
            if _charge_requested(item) or item.authorized_value <= 0:
                continue
            request = new_request_event(
                item, item.authorized_value, TransactionAction.CHARGE
            )
            charge(item, request, item.authorized_value, order_id=order.pk)
            captured.append(item)
    return captured


def _charge_requested(item: TransactionItem) -> bool:
    return item.events.filter(type=TransactionEventType.CHARGE_REQUEST).exists()


def _capture_holds(item, request_event, amount: Decimal, *, order_id=None):
    """Capture up to `amount` of the item's holds; returns (taken, still held)."""
    left = Decimal(amount)
    reference = Reference(order_id=order_id or item.order_id)
    holds = _open_holds(item)
    held = sum((hold.remaining for hold in holds), Decimal(0))
    for hold in holds:
        if left <= 0:
            break
        take = min(hold.remaining, left)
        ledger.capture(
            hold,
            take,
            idempotency_key=keys.transaction_item(
                item.token, "capture", request_event.pk, hold.pk
            ),
            reference=reference,
        )
        left -= take
    taken = Decimal(amount) - left
    return taken, held - taken


def _record_charge(item, taken: Decimal):
    """Record a capture on the item as a CHARGE_SUCCESS event, as Saleor's
    event road would, and recalculate the item's amounts."""
    item.events.create(
        type=TransactionEventType.CHARGE_SUCCESS,
        amount_value=taken,
        currency=item.currency,
        psp_reference=item.psp_reference,
        include_in_calculations=True,
        app_identifier=PLUGIN_ID,
        message="Store credit captured.",
    )
    recalculate_transaction_amounts(item, save=False)
    item.available_actions = [TransactionAction.REFUND]
    item.save()


def charge(item, request_event, amount: Decimal, *, order_id=None):
    """Capture up to `amount` of the item's holds and report the result."""
    amount = Decimal(amount)
    try:
        with transaction.atomic():
            taken, remaining_held = _capture_holds(
                item, request_event, amount, order_id=order_id
            )
            if taken <= 0:
                raise StoreCreditError(
                    "No store credit is held for this payment.",
                    code=StoreCreditErrorCode.HOLD_NOT_ACTIVE,
                )
            actions = [TransactionAction.REFUND]
            if remaining_held > 0:
                actions += [TransactionAction.CHARGE, TransactionAction.CANCEL]
            return _report(
                request_event,
                TransactionEventType.CHARGE_SUCCESS,
                taken,
                actions,
                "Store credit captured.",
            )
    except StoreCreditError as error:
        return _report(
            request_event,
            TransactionEventType.CHARGE_FAILURE,
            amount,
            list(item.available_actions),
            error.message,
        )


def refund(item, request_event, amount: Decimal):
    """Credit back (part of) what the item captured; never more (ledger counts)."""
    amount = Decimal(amount)
    reference = Reference(transaction_id=item.token, order_id=item.order_id)
    spent = reads.first_payment_entry(Reference(transaction_id=item.token))
    try:
        with transaction.atomic():
            if spent is None:
                raise StoreCreditError(
                    "Nothing was paid with store credit for this transaction.",
                    code=StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
                )
            entry = ledger.refund(
                spent.account,
                amount,
                item.currency,
                idempotency_key=keys.transaction_item(
                    item.token, "refund", request_event.pk
                ),
                reference=reference,
                customer_note="Refund",
            )
            notify_entry(entry)
            still_charged = item.charged_value - amount > 0
            return _report(
                request_event,
                TransactionEventType.REFUND_SUCCESS,
                amount,
                [TransactionAction.REFUND] if still_charged else [],
                "Refunded to store credit.",
            )
    except StoreCreditError as error:
        return _report(
            request_event,
            TransactionEventType.REFUND_FAILURE,
            amount,
            list(item.available_actions),
            error.message,
        )


def cancel(item, request_event, amount: Decimal):
    """Release up to `amount` of what the item holds (Dashboard cancel, void)."""
    with transaction.atomic():
        released = _release(item, Decimal(amount))
        remaining = sum((h.remaining for h in _open_holds(item)), Decimal(0))
        actions = (
            [TransactionAction.CANCEL, TransactionAction.CHARGE] if remaining else []
        )
        if item.charged_value > 0:
            actions.append(TransactionAction.REFUND)
        return _report(
            request_event,
            TransactionEventType.CANCEL_SUCCESS,
            released,
            actions,
            "Store credit released.",
        )
