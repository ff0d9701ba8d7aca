"""Saleor's `checkoutPaymentCreate` refuses a store-credit payment up front.

Saleor checks a gateway at payment creation without the checkout (the gateway
list it reads has none), so a Payment for store credit could be created by a
caller who may not spend the customer's credit, or for a checkout that buys
credit, and only be refused at `checkoutComplete`, left on the order. The
plugin answers as Saleor's own mutation does, with its error type, before
Saleor creates anything.
"""

import graphene
from django.core.exceptions import ValidationError
from saleor.checkout.models import Checkout
from saleor.payment.error_codes import PaymentErrorCode

from ... import saleor_compat
from ...config import PLUGIN_ID, get_settings
from ...exceptions import StoreCreditError
from ...gateway import callers, payments


def guard(resolver, mutation_class):
    """`resolver` of checkoutPaymentCreate, refusing store-credit payments that
    could never be taken."""

    def resolve(root, info, **args):
        data = args.get("input") or {}
        if data.get("gateway") == PLUGIN_ID:
            with saleor_compat.allow_writer():
                refusal = _refusal(args)
            if refusal is not None:
                return mutation_class.handle_errors(
                    ValidationError(
                        {
                            "gateway": ValidationError(
                                refusal.message,
                                code=PaymentErrorCode.NOT_SUPPORTED_GATEWAY.value,
                            )
                        }
                    )
                )
        return resolver(root, info, **args)

    return resolve


def _refusal(args) -> StoreCreditError | None:
    checkout = _checkout(args)
    settings = get_settings()
    if checkout is None or not settings.active:
        return None
    try:
        payments.check_payment_start(settings, checkout, callers.current())
    except StoreCreditError as error:
        return error
    return None


def _checkout(args) -> Checkout | None:
    """The checkout the arguments name (current `id` or the deprecated ones);
    None lets Saleor answer for what it cannot find."""
    queryset = Checkout.objects.select_related("channel", "user__customer_type")
    token = args.get("token")
    if token:
        return queryset.filter(token=token).first()
    global_id = args.get("id") or args.get("checkout_id")
    try:
        type_name, pk = graphene.Node.from_global_id(global_id)
        pk = Checkout._meta.pk.to_python(pk)
    except (TypeError, ValueError, ValidationError, UnicodeDecodeError):
        return None
    if type_name != "Checkout":
        return None
    return queryset.filter(pk=pk).first()
