"""What the checkout mutations share: customers only, ledger refusals as errors."""

import graphene
import prices
from saleor.checkout.models import Checkout as CheckoutModel
from saleor.graphql.checkout.types import Checkout
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.doc_category import DOC_CATEGORY_CHECKOUT
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types import Money
from saleor.graphql.plugins.dataloaders import get_plugin_manager_promise
from saleor.permission.auth_filters import AuthorizationFilters

from ... import saleor_compat
from ...exceptions import NotFound, StoreCreditError
from ...gateway.callers import Caller
from ...gateway.transactions import CheckoutCredit
from ..errors import StoreCreditErrorType
from ..utils import get_requestor, to_validation_error


class StoreCreditCheckoutMutation(BaseMutation):
    """Only the signed-in customer acts on their own checkout, or an app with
    HANDLE_PAYMENTS and IMPERSONATE_USER acting for them (gateway/callers.py);
    anyone else gets NOT_ELIGIBLE, another customer NOT_FOUND."""

    checkout = graphene.Field(Checkout, description="The checkout.")
    applied_amount = graphene.Field(
        Money, description="Store credit now applied to the checkout."
    )

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, **options):
        options.setdefault("error_type_class", StoreCreditErrorType)
        options.setdefault("doc_category", DOC_CATEGORY_CHECKOUT)
        options.setdefault("permissions", (AuthorizationFilters.AUTHENTICATED_USER,))
        super().__init_subclass_with_meta__(**options)

    @classmethod
    def check_permissions(cls, context, permissions=None, **data):
        # Refusing anonymous callers is a business rule with its own code
        # (NOT_ELIGIBLE), checked in perform_mutation.
        return True

    @classmethod
    def perform_mutation(cls, _root, info: ResolveInfo, /, **data):
        requestor = get_requestor(info)
        caller = Caller(user=requestor.user, app=requestor.app, in_request=True)
        try:
            checkout_pk = cls.checkout_pk(data["id"])
            manager = get_plugin_manager_promise(info.context).get()
            result = cls.run(info, caller, checkout_pk, manager, **data)
        except StoreCreditError as error:
            raise to_validation_error(error) from error
        checkout = result.checkout
        if result.checkout_info is not None:
            saleor_compat.prime_checkout_prices(
                info.context, result.checkout_info, result.lines
            )
        applied = result.item.authorized_value if result.item is not None else 0
        return cls(
            checkout=saleor_compat.wrap_for_graphql(checkout),
            applied_amount=prices.Money(applied, checkout.currency),
        )

    @staticmethod
    def checkout_pk(global_id: str):
        try:
            type_name, pk = graphene.Node.from_global_id(global_id)
        except Exception:
            type_name, pk = None, None
        if type_name != "Checkout" or not pk:
            raise NotFound("Checkout not found.", field="id")
        try:
            return CheckoutModel._meta.pk.to_python(pk)
        except Exception:
            raise NotFound("Checkout not found.", field="id") from None

    @classmethod
    def run(cls, info, caller, checkout_pk, manager, **data) -> CheckoutCredit:
        raise NotImplementedError
