import graphene
from saleor.graphql.core.scalars import PositiveDecimal

from ...config import get_settings
from ...gateway.transactions import apply_to_checkout
from .base import StoreCreditCheckoutMutation


class StoreCreditCheckoutApply(StoreCreditCheckoutMutation):
    class Arguments:
        id = graphene.ID(required=True, description="ID of the customer's checkout.")
        amount = PositiveDecimal(
            required=False,
            description=(
                "Most credit to apply. Omit to apply as much as possible. Never "
                "more than the available balance or the unpaid part of the checkout."
            ),
        )

    class Meta:
        description = (
            "Pay part (or all) of the signed-in customer's checkout with their store "
            "credit. The credit is held as a transaction on the checkout and taken "
            "when the order is created; pay the rest with `transactionInitialize` "
            "(without amount). Applying again re-computes the amount. Only the "
            "checkout's customer may apply their credit, or an app with "
            "HANDLE_PAYMENTS and IMPERSONATE_USER acting for them; anyone else's "
            "change of the checkout gives the credit back."
        )

    @classmethod
    def run(cls, info, caller, checkout_pk, manager, *, amount=None, **_data):
        return apply_to_checkout(
            get_settings(),
            caller=caller,
            checkout_pk=checkout_pk,
            amount=amount,
            manager=manager,
        )
