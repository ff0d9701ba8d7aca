import graphene

from ...gateway.transactions import remove_from_checkout
from .base import StoreCreditCheckoutMutation


class StoreCreditCheckoutRemove(StoreCreditCheckoutMutation):
    class Arguments:
        id = graphene.ID(required=True, description="ID of the customer's checkout.")

    class Meta:
        description = (
            "Give back the store credit applied to the signed-in customer's checkout."
        )

    @classmethod
    def run(cls, info, caller, checkout_pk, manager, **_data):
        return remove_from_checkout(caller=caller, checkout_pk=checkout_pk)
