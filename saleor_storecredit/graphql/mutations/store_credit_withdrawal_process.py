import graphene
from saleor.graphql.core import ResolveInfo

from ...models import StoreCreditWithdrawal as WithdrawalModel
from ...withdrawals import process_withdrawal
from ..enums import StoreCreditWithdrawalActionEnum
from ..filters import withdrawal_pk_or_error
from ..types import StoreCreditWithdrawal
from ..utils import Requestor, require_currency_access
from .base import StoreCreditStaffMutation


class StoreCreditWithdrawalProcess(StoreCreditStaffMutation):
    withdrawal = graphene.Field(
        StoreCreditWithdrawal, description="The processed withdrawal."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the withdrawal.")
        action = StoreCreditWithdrawalActionEnum(
            required=True, description="What to do with the request."
        )
        note = graphene.String(description="Note shown to the customer.")

    class Meta:
        description = (
            "Approve a withdrawal, reject it (the held amount goes back to the "
            "customer) or mark it paid (the held amount leaves the account)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id, action, note=None):
        withdrawal_id = withdrawal_pk_or_error(cls, id)
        currency = (
            WithdrawalModel.objects.filter(pk=withdrawal_id)
            .values_list("account__currency", flat=True)
            .first()
        )
        if currency is not None:
            require_currency_access(requestor, currency, field="id")
        withdrawal = process_withdrawal(
            withdrawal_id, action, note=note, actor=requestor.actor
        )
        return cls(withdrawal=withdrawal)
