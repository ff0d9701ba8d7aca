"""Turning a Saleor gift card into store credit.

The card row is locked first, then the customer's account (inside the ledger),
so two customers redeeming one card at once are served one after the other and
the second finds it redeemed. The credit's idempotency key is the card's, so
the card pays into store credit at most once, whoever retries.

The card's balance change is told to Saleor as `giftCardBalanceAdjust` tells
it: a BALANCE_ADJUSTED gift-card event and the GIFT_CARD_UPDATED webhook (after
commit), so apps watching gift cards stay right.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from saleor.app.models import App
from saleor.core.utils.events import call_event
from saleor.giftcard import GiftCardEvents
from saleor.giftcard.events import gift_card_balance_adjusted_event
from saleor.giftcard.models import GiftCard, GiftCardEvent
from saleor.giftcard.utils import is_gift_card_expired
from saleor.payment.models import Payment, TransactionItem
from saleor.plugins.manager import get_plugins_manager

from . import ledger, notifications
from .actors import Actor, Reference
from .attempts import GIFT_CARD_CODES
from .config import PLUGIN_ID, get_settings
from .error_codes import StoreCreditErrorCode
from .exceptions import StoreCreditError
from .ledger import keys, reads
from .ledger.validation import require_not_own_account
from .models import LotKind, Reason, StoreCreditEntry
from .money import validate_currency
from .saleor_compat import gift_card_qs_select_for_update

# Failed attempts per customer before further attempts are refused for a while.
MAX_FAILED_ATTEMPTS = GIFT_CARD_CODES.limit
MAX_CODE_LENGTH = 16  # GiftCard.code

_COUNTED_FAILURES = {
    StoreCreditErrorCode.GIFT_CARD_NOT_FOUND,
    StoreCreditErrorCode.GIFT_CARD_EXPIRED,
    StoreCreditErrorCode.GIFT_CARD_EMPTY,
    StoreCreditErrorCode.GIFT_CARD_NOT_USABLE,
}


def gift_card_idempotency_key(gift_card: GiftCard) -> str:
    return keys.gift_card(gift_card.pk)


def redeem_gift_card(
    user, code: str, *, actor: Actor | None = None, manager=None
) -> StoreCreditEntry:
    """Move the card's whole remaining balance into the customer's credit.

    `actor`: who redeems (default: the customer); staff and apps redeem into the
    customer they name, staff never into their own credit (they redeem their own
    cards as customers). Failed attempts are counted per actor."""
    actor = actor or Actor.customer(user)
    require_not_own_account(actor, getattr(user, "pk", None))
    GIFT_CARD_CODES.check(actor)
    try:
        entry, gift_card = _redeem(user, code, actor)
    except StoreCreditError as error:
        if error.code in _COUNTED_FAILURES:
            GIFT_CARD_CODES.count_failure(actor)
        raise
    if gift_card is not None:
        manager = manager or get_plugins_manager(allow_replica=False)
        call_event(manager.gift_card_updated, gift_card)
    return entry


def gift_card_currency(code) -> str | None:
    """The currency of the card with this code, if there is one (no lock)."""
    if not isinstance(code, str) or len(code.strip()) > MAX_CODE_LENGTH:
        return None
    return (
        GiftCard.objects.filter(code=code.strip())
        .values_list("currency", flat=True)
        .first()
    )


def _not_found():
    return StoreCreditError(
        "No gift card with this code.",
        code=StoreCreditErrorCode.GIFT_CARD_NOT_FOUND,
        field="code",
    )


def _redeem(user, code, actor: Actor):
    """The entry, and the gift card when this call emptied it."""
    code = code.strip() if isinstance(code, str) else ""
    if not code or len(code) > MAX_CODE_LENGTH or "\x00" in code:
        raise _not_found()
    with transaction.atomic():
        gift_card = gift_card_qs_select_for_update().filter(code=code).first()
        if gift_card is None:
            raise _not_found()
        key = gift_card_idempotency_key(gift_card)
        earlier = (
            StoreCreditEntry.objects.filter(
                gift_card_id=gift_card.pk, idempotency_key=key
            )
            .select_related("account")
            .first()
        )
        if earlier is not None:
            if earlier.account.user_id == user.pk:
                return earlier, None  # a retry of the same redemption
            raise StoreCreditError(
                "This gift card was already redeemed.",
                code=StoreCreditErrorCode.GIFT_CARD_EMPTY,
                field="code",
            )
        _check_usable(gift_card, user)
        amount = gift_card.current_balance_amount
        entry = ledger.credit(
            user,
            amount.normalize(),
            validate_currency(gift_card.currency),
            idempotency_key=key,
            kind=LotKind.GIFT_CARD,
            reason=Reason.GIFT_CARD,
            expires_at=_expiry(gift_card),
            reference=Reference(gift_card_id=gift_card.pk),
            customer_note=f"Gift card ending {gift_card.display_code}",
            actor=actor,
        )
        _empty_gift_card(gift_card, user, actor)
        notifications.notify_entry(entry)
        return entry, gift_card


def _expiry(gift_card: GiftCard):
    """The shop's expiry for gift-card credit (`expiry_days` gift_card:N), but
    never later than the card itself would have expired: redeeming a card
    does not make its value last longer."""
    period = get_settings().expiry_for(LotKind.GIFT_CARD)
    ends = [period.at(timezone.now())] if period else []
    if gift_card.expiry_date is not None:
        ends.append(
            datetime.combine(
                gift_card.expiry_date + timedelta(days=1), time.min, tzinfo=UTC
            )
        )
    return min(ends) if ends else None


def _check_usable(gift_card: GiftCard, user):
    if not gift_card.is_active:
        raise StoreCreditError(
            "This gift card is not active.",
            code=StoreCreditErrorCode.GIFT_CARD_NOT_USABLE,
            field="code",
        )
    if is_gift_card_expired(gift_card):
        raise StoreCreditError(
            "This gift card has expired.",
            code=StoreCreditErrorCode.GIFT_CARD_EXPIRED,
            field="code",
        )
    if gift_card.usage_restriction_reason(user.pk):
        raise StoreCreditError(
            "This gift card cannot be used by your account.",
            code=StoreCreditErrorCode.GIFT_CARD_NOT_USABLE,
            field="code",
        )
    if gift_card.current_balance_amount <= Decimal(0):
        raise StoreCreditError(
            "This gift card has no balance left.",
            code=StoreCreditErrorCode.GIFT_CARD_EMPTY,
            field="code",
        )
    if _bought_with_credit(gift_card):
        raise StoreCreditError(
            "This gift card was paid for with store credit and cannot be turned "
            "back into store credit.",
            code=StoreCreditErrorCode.GIFT_CARD_NOT_USABLE,
            field="code",
        )
    if gift_card.checkouts.exists() or _has_pending_payment(gift_card):
        raise StoreCreditError(
            "This gift card is being used in a checkout. Remove it there first.",
            code=StoreCreditErrorCode.GIFT_CARD_NOT_USABLE,
            field="code",
        )


def _bought_with_credit(gift_card: GiftCard) -> bool:
    """Whether the order that bought the card paid (partly) with store credit.

    Checkouts with gift cards refuse credit (gateway/eligibility.py); this is
    the second line: redeeming such a card would turn expiring credit into
    credit that never expires, or pay the card's price back as credit while
    the card itself stays spendable in the shop.
    """
    order_ids = set(
        GiftCardEvent.objects.filter(
            gift_card_id=gift_card.pk,
            type=GiftCardEvents.BOUGHT,
            order_id__isnull=False,
        ).values_list("order_id", flat=True)
    )
    if gift_card.fulfillment_line_id is not None:
        order_ids.add(gift_card.fulfillment_line.order_id)
    if not order_ids:
        return False
    return (
        Payment.objects.filter(order_id__in=order_ids, gateway=PLUGIN_ID).exists()
        or TransactionItem.objects.filter(
            order_id__in=order_ids, app_identifier=PLUGIN_ID
        ).exists()
        or any(reads.order_paid_with_credit(order_id) for order_id in order_ids)
    )


def _has_pending_payment(gift_card: GiftCard) -> bool:
    """An authorization by Saleor's gift-card gateway not yet charged or released."""
    return TransactionItem.objects.filter(
        gift_card=gift_card, authorized_value__gt=0
    ).exists()


def _empty_gift_card(gift_card: GiftCard, user, actor: Actor):
    old_balance = gift_card.current_balance_amount
    gift_card.current_balance_amount = Decimal(0)
    gift_card.last_used_on = timezone.now()
    fields = ["current_balance_amount", "last_used_on"]
    if gift_card.used_by_id is None:
        gift_card.used_by = user
        gift_card.used_by_email = user.email
        fields += ["used_by", "used_by_email"]
    gift_card.save(update_fields=fields)
    gift_card_balance_adjusted_event(
        gift_card,
        old_current_balance=old_balance,
        old_initial_balance=gift_card.initial_balance_amount,
        user=_staff_or_customer(user, actor),
        app=_app(actor),
    )


def _staff_or_customer(customer, actor: Actor):
    if actor.user_id is None:
        return None
    if actor.user_id == customer.pk:
        return customer
    return get_user_model().objects.filter(pk=actor.user_id).first()


def _app(actor: Actor):
    if actor.app_id is None:
        return None
    return App.objects.filter(pk=actor.app_id).first()
