import graphene
from saleor.graphql.core import ResolveInfo
from saleor.permission.auth_filters import AuthorizationFilters

from ...withdrawals import cancel_withdrawal
from ..filters import withdrawal_pk_or_error
from ..types import StoreCreditWithdrawal
from ..utils import Requestor
from .base import StoreCreditMutation


class StoreCreditWithdrawalCancel(StoreCreditMutation):
    withdrawal = graphene.Field(
        StoreCreditWithdrawal, description="The cancelled withdrawal."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the withdrawal.")

    class Meta:
        description = (
            "Cancel one's own pending withdrawal request; the held amount can be "
            "spent again."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id):
        withdrawal_id = withdrawal_pk_or_error(cls, id)
        return cls(withdrawal=cancel_withdrawal(requestor.user, withdrawal_id))
