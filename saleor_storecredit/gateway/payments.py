"""The legacy Payment API road: the whole checkout paid with store credit.

Saleor calls these through the plugin's process/authorize/capture/void/refund/
confirm methods with the Payment row locked. Every ledger call carries a key
made of the payment and the action (and, for partial actions, what was already
done), so Saleor retrying a call replays the first result instead of moving
money twice. Refusals never write: the ledger validates under its lock first.
"""

import logging
from decimal import Decimal

from saleor.payment import ChargeStatus, TransactionKind
from saleor.payment.interface import GatewayResponse, PaymentData
from saleor.payment.models import Payment

from .. import ledger
from ..actors import Actor, Reference
from ..config import PLUGIN_ID, StoreCreditSettings
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError
from ..ledger import keys, reads
from ..ledger.rules import PAY
from ..models import EntryKind, StoreCreditHold
from ..notifications import notify_entry
from . import eligibility
from .callers import Caller

logger = logging.getLogger(__name__)


def _response(
    info: PaymentData,
    kind: str,
    *,
    reference: str = "",
    amount: Decimal | None = None,
    error: StoreCreditError | None = None,
) -> GatewayResponse:
    return GatewayResponse(
        is_success=error is None,
        action_required=False,
        kind=kind,
        amount=info.amount if amount is None else amount,
        currency=info.currency,
        transaction_id=reference,
        error=error.message if error is not None else None,
        raw_response={"error_code": error.code.value} if error is not None else None,
        psp_reference=reference or None,
    )


def _payment(info: PaymentData) -> Payment:
    return Payment.objects.select_related(
        "checkout__channel",
        "checkout__user__customer_type",
        "order__channel",
        "order__user__customer_type",
    ).get(pk=info.payment_id)


def _customer_and_channel(payment: Payment):
    source = payment.checkout or payment.order
    if source is None:
        return None, None
    return source.user, source.channel


def _reference(payment: Payment) -> Reference:
    return Reference(
        payment_id=payment.pk,
        order_id=payment.order_id,
        checkout_id=payment.checkout_id,
    )


def _check_can_pay(
    settings: StoreCreditSettings, payment: Payment, amount: Decimal, caller: Caller
):
    user, channel = _customer_and_channel(payment)
    eligibility.check_spender(caller.may_spend_for(getattr(user, "pk", None)), user)
    if channel is None:
        raise StoreCreditError(
            "This payment has no checkout or order.",
            code=StoreCreditErrorCode.NOT_FOUND,
        )
    if payment.currency != channel.currency_code:
        raise StoreCreditError(
            "The payment currency does not match the store's currency.",
            code=StoreCreditErrorCode.CURRENCY_MISMATCH,
        )
    if payment.checkout is not None:
        products = eligibility.checkout_products(payment.checkout)
    else:
        products = eligibility.order_products(payment.order)
    eligibility.check_all(
        settings,
        user=user,
        channel_slug=channel.slug,
        currency=payment.currency,
        total=amount,
        full_payment=True,
        products=products,
    )
    return user, channel


def check_payment_start(settings: StoreCreditSettings, checkout, caller: Caller):
    """Refuse a store-credit Payment for this checkout before Saleor creates it
    (nothing dangling on the order): the caller may not spend the customer's
    credit, the customer may not pay with credit here, or the checkout buys
    credit (a top-up or a gift card)."""
    user = checkout.user
    eligibility.check_spender(caller.may_spend_for(checkout.user_id), user)
    eligibility.check_customer(
        settings,
        user=user,
        channel_slug=checkout.channel.slug,
        account=ledger.get_account(user, checkout.currency),
    )
    eligibility.check_products(settings, eligibility.checkout_products(checkout))


def cancel_checkout_payments(checkout_pk) -> int:
    """Someone else changed the checkout: its store-credit payments that took
    nothing yet stop counting (Saleor then asks for a new payment), so nobody
    can raise or redirect the cart and let the customer's earlier consent pay."""
    return Payment.objects.filter(
        checkout_id=checkout_pk,
        gateway=PLUGIN_ID,
        is_active=True,
        charge_status=ChargeStatus.NOT_CHARGED,
        captured_amount=0,
    ).update(is_active=False)


def _auto_capture(channel) -> bool:
    """Take the credit at once unless the shop confirms orders by hand."""
    return bool(channel.automatically_confirm_all_new_orders)


def _already_paid(payment: Payment) -> tuple[str, str] | None:
    """A retried call after success: answer as the first time, before any check
    (the balance the checks read has already dropped by this payment)."""
    done = reads.entry_with_key(
        None,
        [keys.payment(payment.pk, "process"), keys.payment(payment.pk, "authorize")],
    )
    if done is None:
        return None
    if done.kind == EntryKind.AUTHORIZATION:
        return TransactionKind.AUTH, f"hold:{done.hold_id}"
    return TransactionKind.CAPTURE, f"entry:{done.pk}"


def process_payment(
    settings: StoreCreditSettings, info: PaymentData, caller: Caller
) -> GatewayResponse:
    payment = _payment(info)
    if done := _already_paid(payment):
        kind, reference = done
        return _response(info, kind, reference=reference)
    try:
        user, channel = _check_can_pay(settings, payment, info.amount, caller)
        if not _auto_capture(channel):
            return _authorize(settings, payment, user, info, caller)
        entry = ledger.debit(
            user,
            info.amount,
            payment.currency,
            idempotency_key=keys.payment(payment.pk, "process"),
            reference=_reference(payment),
            customer_note=settings.display_name,
            actor=_actor(caller, user),
            rules=settings.rules,
        )
    except StoreCreditError as error:
        return _response(info, TransactionKind.CAPTURE, error=error)
    return _response(info, TransactionKind.CAPTURE, reference=f"entry:{entry.pk}")


def _actor(caller: Caller, user) -> Actor:
    return Actor.app(caller.app) if caller.is_app else Actor.customer(user)


def _authorize(
    settings, payment: Payment, user, info: PaymentData, caller
) -> GatewayResponse:
    hold = ledger.authorize(
        user,
        info.amount,
        payment.currency,
        idempotency_key=keys.payment(payment.pk, "authorize"),
        reference=_reference(payment),
        actor=_actor(caller, user),
        spend_from=settings.spend_for(PAY),
    )
    return _response(info, TransactionKind.AUTH, reference=f"hold:{hold.pk}")


def authorize_payment(
    settings: StoreCreditSettings, info: PaymentData, caller: Caller
) -> GatewayResponse:
    payment = _payment(info)
    try:
        user, _channel = _check_can_pay(settings, payment, info.amount, caller)
        return _authorize(settings, payment, user, info, caller)
    except StoreCreditError as error:
        return _response(info, TransactionKind.AUTH, error=error)


def _order_id(payment_id: int):
    return (
        Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    )


def _open_hold(payment_id: int) -> StoreCreditHold:
    hold = next(iter(reads.open_holds(payment_id=payment_id)), None)
    if hold is None:
        raise StoreCreditError(
            "There is no store-credit authorization left for this payment.",
            code=StoreCreditErrorCode.HOLD_NOT_FOUND,
        )
    return hold


def capture_payment(info: PaymentData) -> GatewayResponse:
    """Take (part of) what authorize_payment reserved; works while inactive too,
    so orders placed before the merchant switched the gateway off still settle."""
    try:
        hold = _open_hold(info.payment_id)
        entry = ledger.capture(
            hold,
            info.amount,
            idempotency_key=keys.payment(
                info.payment_id, "capture", hold.pk, hold.captured_amount, info.amount
            ),
            reference=Reference(
                payment_id=info.payment_id, order_id=_order_id(info.payment_id)
            ),
        )
    except StoreCreditError as error:
        return _response(info, TransactionKind.CAPTURE, error=error)
    return _response(info, TransactionKind.CAPTURE, reference=f"entry:{entry.pk}")


def void_payment(info: PaymentData) -> GatewayResponse:
    holds = reads.open_holds(payment_id=info.payment_id)
    released = Decimal(0)
    try:
        for hold in holds:
            entry = ledger.release(
                hold,
                idempotency_key=keys.payment(info.payment_id, "void", hold.pk),
                reference=Reference(payment_id=info.payment_id),
            )
            released += -entry.held_change
    except StoreCreditError as error:
        return _response(info, TransactionKind.VOID, error=error)
    return _response(
        info,
        TransactionKind.VOID,
        amount=released or info.amount,
        reference=f"void:{info.payment_id}",
    )


def refund_payment(info: PaymentData) -> GatewayResponse:
    """Credit back what was taken for this payment; never more (the ledger counts)."""
    spent = reads.first_payment_entry(Reference(payment_id=info.payment_id))
    try:
        if spent is None:
            raise StoreCreditError(
                "Nothing was paid with store credit for this payment.",
                code=StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
            )
        refunded = reads.refunded_total(Reference(payment_id=info.payment_id))
        order_id = _order_id(info.payment_id)
        entry = ledger.refund(
            spent.account,
            info.amount,
            spent.account.currency,
            idempotency_key=keys.payment(
                info.payment_id, "refund", refunded, info.amount
            ),
            reference=Reference(payment_id=info.payment_id, order_id=order_id),
            customer_note="Refund",
        )
        notify_entry(entry)
    except StoreCreditError as error:
        return _response(info, TransactionKind.REFUND, error=error)
    return _response(info, TransactionKind.REFUND, reference=f"entry:{entry.pk}")


def confirm_payment(
    settings: StoreCreditSettings, info: PaymentData, caller: Caller
) -> GatewayResponse:
    """Store credit never asks the customer for more; confirming re-runs the
    payment, which replays the first result by its key."""
    return process_payment(settings, info, caller)
