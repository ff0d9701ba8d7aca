import graphene
from saleor.graphql.core import ResolveInfo
from saleor.permission.auth_filters import AuthorizationFilters

from ...giftcards import MAX_FAILED_ATTEMPTS, redeem_gift_card
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import Requestor
from .base import StoreCreditMutation


class StoreCreditRedeemGiftCard(StoreCreditMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The credit added."
    )
    account = graphene.Field(StoreCreditAccount, description="The account credited.")

    class Arguments:
        code = graphene.String(required=True, description="The gift card's code.")

    class Meta:
        description = (
            "Move the whole remaining balance of a gift card into the customer's "
            "store credit, in the card's currency. The card must be active, not "
            "expired, usable by the customer and not used in a checkout. After "
            f"{MAX_FAILED_ATTEMPTS} failed attempts the customer must wait."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, code):
        entry = redeem_gift_card(requestor.user, code)
        return cls(transaction=entry, account=entry.account)
