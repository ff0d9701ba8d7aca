import graphene
from django.db import transaction
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.types import BaseInputObjectType

from ... import ledger
from ...lock_objects import account_qs_select_for_update
from ...withdrawals import validate_note
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
        note = validate_note(input["note"]) if "note" in input else None
        with transaction.atomic():
            # Lock first: status (ledger) and can_use change together or not at all.
            account = account_qs_select_for_update().get(pk=account.pk)
            if input.get("status") or note is not None:
                account = ledger.set_status(
                    account, input.get("status") or account.status, note
                )
            if "can_use" in input:
                account.can_use = input["can_use"]
                account.save(update_fields=["can_use", "updated_at"])
        return cls(account=account)
