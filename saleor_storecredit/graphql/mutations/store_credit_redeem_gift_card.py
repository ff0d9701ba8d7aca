import graphene
from saleor.graphql.account.types import User
from saleor.graphql.core import ResolveInfo
from saleor.graphql.plugins.dataloaders import get_plugin_manager_promise
from saleor.permission.auth_filters import AuthorizationFilters

from ...giftcards import MAX_FAILED_ATTEMPTS, gift_card_currency, redeem_gift_card
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import (
    MANAGER_PERMISSIONS,
    Requestor,
    require_currency_access,
    require_customer,
    require_manager,
)
from .base import StoreCreditMutation


class StoreCreditRedeemGiftCard(StoreCreditMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The credit added."
    )
    account = graphene.Field(StoreCreditAccount, description="The account credited.")

    class Arguments:
        code = graphene.String(required=True, description="The gift card's code.")
        user = graphene.ID(
            description=(
                "The customer (User) whose credit receives the card; staff with "
                "MANAGE_USERS and apps with MANAGE_USERS or HANDLE_PAYMENTS only. "
                "Default: the signed-in customer."
            )
        )

    class Meta:
        description = (
            "Move the whole remaining balance of a gift card into a customer's "
            "store credit, in the card's currency. The card must be active, not "
            "expired, usable by the customer and not used in a checkout. After "
            f"{MAX_FAILED_ATTEMPTS} failed attempts the caller must wait. Saleor's "
            "gift-card event (balance adjusted) and GIFT_CARD_UPDATED webhook "
            "follow, as for `giftCardBalanceAdjust`."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER, *MANAGER_PERMISSIONS)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, code, user=None):
        manager = get_plugin_manager_promise(info.context).get()
        if user is None:
            require_customer(requestor)
            customer, actor = requestor.user, None
        else:
            require_manager(requestor)
            customer = cls.get_node_or_error(info, user, field="user", only_type=User)
            actor = requestor.actor
            currency = gift_card_currency(code)
            if currency is not None:
                require_currency_access(requestor, currency, field="code")
        entry = redeem_gift_card(customer, code, actor=actor, manager=manager)
        return cls(transaction=entry, account=entry.account)
