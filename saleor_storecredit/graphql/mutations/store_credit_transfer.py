import uuid

import graphene
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import Decimal
from saleor.permission.auth_filters import AuthorizationFilters

from ...transfers import send_credit
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import Requestor
from .base import StoreCreditMutation


class StoreCreditTransfer(StoreCreditMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The credit taken from the sender."
    )
    account = graphene.Field(StoreCreditAccount, description="The sender's account.")

    class Arguments:
        email = graphene.String(required=True, description="The recipient's email.")
        currency = graphene.String(required=True, description="Currency code.")
        amount = Decimal(required=True, description="Amount to send.")
        note = graphene.String(
            description="Note shown to both customers and mailed to the recipient "
            "as the sender's: one line of plain text, at most 200 characters, no "
            "links or web or email addresses."
        )
        idempotency_key = graphene.String(
            description="Key of this transfer: sending it again returns the first "
            "result instead of sending twice."
        )

    class Meta:
        description = (
            "Send store credit to another customer, when the shop allows it. The "
            "credit keeps its expiry. The sender's standing and funds are checked "
            "before the recipient: every email that cannot receive credit (no "
            "such customer, a staff member, an inactive account) gets the same "
            "RECIPIENT_NOT_FOUND, and after 5 of them in 15 minutes the sender "
            "gets TOO_MANY_ATTEMPTS."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, **data):
        result = send_credit(
            requestor.user,
            data["email"],
            data["amount"],
            data["currency"],
            idempotency_key=data.get("idempotency_key") or str(uuid.uuid4()),
            note=data.get("note"),
        )
        return cls(transaction=result.debit, account=result.debit.account)
