"""Who may pay with store credit, where, and for how much.

One function answers for every road (the gateway list, the legacy Payment API,
the checkout mutations, auto-apply), so a rule the merchant sets in the
Dashboard applies everywhere the same way.
"""

from collections.abc import Iterable
from decimal import Decimal

from ..config import StoreCreditSettings
from ..error_codes import StoreCreditErrorCode
from ..exceptions import AccountOnHold, InsufficientFunds, StoreCreditError
from ..ledger import reads
from ..ledger.rules import PAY
from ..models import StoreCreditAccount


class NotEligible(StoreCreditError):
    code = StoreCreditErrorCode.NOT_ELIGIBLE


def customer_type_slug(user) -> str | None:
    customer_type = getattr(user, "customer_type", None)
    return customer_type.slug if customer_type is not None else None


def check_customer(
    settings: StoreCreditSettings,
    *,
    user,
    channel_slug: str,
    account: StoreCreditAccount | None,
):
    """Refuse, with the reason the customer can act on, or return quietly."""
    if not settings.active:
        raise StoreCreditError(
            "Paying with store credit is not available.",
            code=StoreCreditErrorCode.GATEWAY_INACTIVE,
        )
    if not settings.offered_in_channel(channel_slug):
        raise NotEligible("Store credit cannot be used in this store.")
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotEligible("Log in to pay with your store credit.")
    can_use = account.can_use if account is not None else None
    if can_use is False:
        raise NotEligible("Your account cannot pay with store credit.")
    if can_use is None and not settings.allows_customer_type(customer_type_slug(user)):
        raise NotEligible("Your account cannot pay with store credit.")
    if account is not None and account.is_on_hold:
        raise AccountOnHold(
            "Your store credit is on hold. Please contact the shop.",
            code=StoreCreditErrorCode.ACCOUNT_ON_HOLD,
        )


# Saleor's ProductTypeKind.GIFT_CARD: buying such a product issues a gift card.
GIFT_CARD_KIND = "gift_card"


def buys_credit(settings: StoreCreditSettings, sku: str | None, kind: str | None):
    """Whether a line buys store credit (a top-up) or a gift card."""
    return kind == GIFT_CARD_KIND or (sku is not None and sku in settings.top_up_skus)


def check_products(settings: StoreCreditSettings, lines: Iterable[tuple]):
    """Credit never buys credit: a checkout with a top-up or a gift card is paid
    another way. Otherwise credit paid for a top-up would come back as top-up
    credit plus its bonus, and expiring credit would become a gift card (and
    from there credit) that never expires. `lines`: (sku, product type kind)."""
    if any(buys_credit(settings, sku, kind) for sku, kind in lines):
        raise StoreCreditError(
            "Store credit cannot pay for store-credit top-ups or gift cards. "
            "Pay for this checkout another way.",
            code=StoreCreditErrorCode.NOT_PAYABLE_WITH_CREDIT,
        )


def line_info_products(lines) -> list[tuple]:
    """(sku, product type kind) of Saleor's CheckoutLineInfo objects."""
    return [(line.variant.sku, line.product_type.kind) for line in lines or []]


def checkout_products(checkout) -> list[tuple]:
    """(sku, product type kind) of a checkout's lines, read from the database."""
    return list(
        checkout.lines.values_list(
            "variant__sku", "variant__product__product_type__kind"
        )
    )


def order_products(order) -> list[tuple]:
    """(sku, product type kind) of an order's lines (None kind for deleted
    variants; a gift-card line is marked on the line itself)."""
    if order is None:
        return []
    return [
        (sku, GIFT_CARD_KIND if is_gift_card else None)
        for sku, is_gift_card in order.lines.values_list("product_sku", "is_gift_card")
    ]


def check_total(settings: StoreCreditSettings, total: Decimal, currency: str):
    if total < settings.minimum_order_total:
        raise StoreCreditError(
            f"Store credit can pay orders of at least "
            f"{settings.minimum_order_total} {currency}.",
            code=StoreCreditErrorCode.BELOW_MINIMUM,
        )


def check_funds(
    settings: StoreCreditSettings,
    *,
    available: Decimal,
    amount_due: Decimal,
    currency: str,
    full_payment: bool,
):
    """`full_payment`: the legacy road, where credit must pay the whole amount."""
    if available <= 0:
        raise InsufficientFunds(f"You have no store credit in {currency}.")
    if available < amount_due and (full_payment or not settings.allow_partial_payment):
        if full_payment and settings.allow_partial_payment:
            raise InsufficientFunds(
                f"Your store credit ({available} {currency}) does not cover this "
                "order. Apply it to the checkout and pay the rest another way."
            )
        raise StoreCreditError(
            f"Your store credit ({available} {currency}) does not cover this order, "
            "and this shop does not accept part payment with store credit.",
            code=StoreCreditErrorCode.PARTIAL_PAYMENT_NOT_ALLOWED,
        )


def check_all(
    settings: StoreCreditSettings,
    *,
    user,
    channel_slug: str,
    currency: str,
    total: Decimal,
    full_payment: bool,
    products: Iterable[tuple] = (),
    account: StoreCreditAccount | None = None,
    load_account: bool = True,
    using: str = "default",
) -> StoreCreditAccount | None:
    """Every rule, in the order a customer would want to hear them; returns the account.
    `products`: (sku, product type kind) of what is being paid for."""
    if account is None and load_account and getattr(user, "pk", None) is not None:
        account = reads.account(user.pk, currency, using=using)
    check_customer(settings, user=user, channel_slug=channel_slug, account=account)
    check_products(settings, products)
    check_total(settings, total, currency)
    check_funds(
        settings,
        available=reads.usable(account, settings.spend_for(PAY)),
        amount_due=total,
        currency=currency,
        full_payment=full_payment,
    )
    return account


def check_spender(may_spend: bool, user):
    """Only the customer whose credit it is (or an app acting for them, see
    callers.py) may pay with it: a checkout's ID is no key to a wallet."""
    if may_spend:
        return
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotEligible("Log in to pay with your store credit.")
    raise NotEligible("Only the checkout's customer can pay with their store credit.")


def check_checkout(
    settings: StoreCreditSettings,
    *,
    may_spend: bool,
    customer,
    channel_slug: str,
    currency: str,
    total: Decimal,
    products: Iterable[tuple],
    account: StoreCreditAccount | None,
    applied: Decimal = Decimal(0),
    paid_by_others: Decimal = Decimal(0),
):
    """Can credit pay (more of) this checkout now? One answer for the gateway
    list, `Checkout.storeCredit` and applying. `customer`: the checkout's
    customer; `may_spend`: whether the caller may spend that customer's credit;
    `applied`: credit already held on it; `paid_by_others`: every other
    payment of it."""
    check_spender(may_spend, customer)
    check_customer(settings, user=customer, channel_slug=channel_slug, account=account)
    check_products(settings, products)
    check_total(settings, total, currency)
    unpaid = max(total - paid_by_others, Decimal(0))
    if unpaid <= 0:
        raise StoreCreditError(
            "Nothing is left to pay on this checkout.",
            code=StoreCreditErrorCode.NOTHING_TO_PAY,
        )
    check_funds(
        settings,
        available=reads.usable(account, settings.spend_for(PAY)) + applied,
        amount_due=unpaid,
        currency=currency,
        full_payment=False,
    )


def checkout_refusal(
    settings: StoreCreditSettings, **kwargs
) -> StoreCreditError | None:
    """`check_checkout`'s refusal, or None when credit can pay."""
    try:
        check_checkout(settings, **kwargs)
    except StoreCreditError as error:
        return error
    return None
