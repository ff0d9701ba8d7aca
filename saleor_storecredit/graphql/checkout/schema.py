import graphene

from .store_credit_checkout_apply import StoreCreditCheckoutApply
from .store_credit_checkout_remove import StoreCreditCheckoutRemove


class StoreCreditCheckoutMutations(graphene.ObjectType):
    store_credit_checkout_apply = StoreCreditCheckoutApply.Field()
    store_credit_checkout_remove = StoreCreditCheckoutRemove.Field()
