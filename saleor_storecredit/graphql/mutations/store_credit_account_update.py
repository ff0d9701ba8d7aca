import graphene
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.types import BaseInputObjectType

from ... import ledger
from ..enums import StoreCreditAccountStatusEnum
from ..types import StoreCreditAccount
from ..utils import DOC_CATEGORY_STORE_CREDIT, Requestor, require_currency_access
from .base import StoreCreditStaffMutation


class StoreCreditAccountUpdateInput(BaseInputObjectType):
    status = StoreCreditAccountStatusEnum(
        description="ON_HOLD blocks payments, transfers and withdrawals."
    )
    can_use = graphene.Boolean(
        description="Allow (true) or refuse (false) paying with store credit; "
        "null leaves it to the shop's eligibility rules."
    )
    note = graphene.String(description="Staff-only note on the account.")

    class Meta:
        description = "Fields to change on a store-credit account."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAccountUpdate(StoreCreditStaffMutation):
    account = graphene.Field(StoreCreditAccount, description="The updated account.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the account.")
        input = StoreCreditAccountUpdateInput(
            required=True, description="Fields to change."
        )

    class Meta:
        description = "Put a store-credit account on hold, or allow or refuse its use."

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id, input):
        account = cls.get_node_or_error(info, id, only_type=StoreCreditAccount)
        require_currency_access(requestor, account.currency, field="id")
        changes = {}
        if input.get("status"):
            changes["status"] = input["status"]
        if "can_use" in input:
            changes["can_use"] = input["can_use"]
        if "note" in input:
            changes["note"] = input["note"] or ""
        account = ledger.update_account(account, actor=requestor.actor, **changes)
        return cls(account=account)
