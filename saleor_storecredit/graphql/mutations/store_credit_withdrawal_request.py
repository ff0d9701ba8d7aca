import uuid

import graphene
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import Decimal
from saleor.permission.auth_filters import AuthorizationFilters

from ...withdrawals import request_withdrawal
from ..types import StoreCreditWithdrawal
from ..utils import Requestor
from .base import StoreCreditMutation


class StoreCreditWithdrawalRequest(StoreCreditMutation):
    withdrawal = graphene.Field(
        StoreCreditWithdrawal, description="The withdrawal request."
    )

    class Arguments:
        currency = graphene.String(required=True, description="Currency code.")
        amount = Decimal(required=True, description="Amount to be paid out.")
        note = graphene.String(description="Note for staff, e.g. where to pay.")
        idempotency_key = graphene.String(
            description="Key of this request: sending it again returns the same "
            "withdrawal instead of holding the amount twice."
        )

    class Meta:
        description = (
            "Ask for store credit to be paid out, when the shop allows it. The "
            "amount is held at once, so it cannot be spent while staff decide."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, **data):
        user = requestor.user
        key = data.get("idempotency_key") or str(uuid.uuid4())
        withdrawal = request_withdrawal(
            user,
            data["currency"],
            data["amount"],
            note=data.get("note"),
            idempotency_key=key,
        )
        return cls(withdrawal=withdrawal)
