import graphene
from saleor.graphql.account.types import User
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import DateTime, Decimal
from saleor.graphql.core.types import BaseInputObjectType

from ... import approvals, ledger
from ...bulk_jobs import lot_kind_for
from ...config import get_settings
from ...models import Reason
from ...money import validate_currency
from ...notifications import notify_entry
from ..enums import StoreCreditAdjustReasonEnum, StoreCreditKindEnum
from ..types import (
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditTransaction,
)
from ..utils import DOC_CATEGORY_STORE_CREDIT, Requestor, require_currency_access
from .base import StoreCreditStaffMutation


class StoreCreditAdjustInput(BaseInputObjectType):
    user = graphene.ID(required=True, description="ID of the customer (User).")
    currency = graphene.String(required=True, description="Currency code.")
    amount = Decimal(
        required=True,
        description="Positive to add credit, negative to deduct it. A deduction "
        "takes only available credit and never goes below zero.",
    )
    reason = StoreCreditAdjustReasonEnum(
        description="Why the credit changes. Default: ADJUSTMENT."
    )
    kind = StoreCreditKindEnum(
        description=(
            "Kind of the credit added, as named in the `expiry_days` setting. "
            "Default: from the reason (MANUAL and IMPORT: STORE_CREDIT, "
            "ORDER_CANCELLATION: REFUND, ORDER_RETURN: RETURN, otherwise the "
            "reason's own word)."
        )
    )
    note = graphene.String(description="Staff-only note.")
    customer_note = graphene.String(description="Note shown to the customer.")
    expires_at = DateTime(
        description="When added credit expires. Default: `expiry_days` of its "
        "kind, else never."
    )
    idempotency_key = graphene.String(
        required=True,
        description="Key of this change: sending it again returns the first result "
        "instead of changing the balance twice.",
    )

    class Meta:
        description = "Fields required to add or deduct a customer's store credit."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAdjust(StoreCreditStaffMutation):
    transaction = graphene.Field(
        StoreCreditTransaction,
        description="The transaction recorded; null while the adjustment waits "
        "for approval.",
    )
    account = graphene.Field(StoreCreditAccount, description="The account changed.")
    approval = graphene.Field(
        StoreCreditAdjustmentApproval,
        description=(
            "Set when the amount is above the shop's `approval_threshold` for the "
            "currency: nothing moved yet, another staff member approves it with "
            "`storeCreditAdjustmentApprove`. Sending the same `idempotencyKey` "
            "again returns the same approval."
        ),
    )

    class Arguments:
        input = StoreCreditAdjustInput(
            required=True, description="Fields required to adjust the credit."
        )

    class Meta:
        description = (
            "Add credit to a customer's account, or deduct it by hand. Staff "
            "cannot adjust their own account (OWN_ACCOUNT). Above the shop's "
            "approval threshold the adjustment waits for another staff member."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, input):
        customer = cls.get_node_or_error(
            info, input["user"], field="user", only_type=User
        )
        currency = validate_currency(input["currency"])
        require_currency_access(requestor, currency)
        reason = input.get("reason") or Reason.ADJUSTMENT
        kind = input.get("kind") or lot_kind_for(reason)
        expires_at = input.get("expires_at")
        if expires_at is None and _is_credit(input["amount"]):
            # A period, not a date: a retry asks for the same thing.
            expires_at = get_settings().expiry_for(kind)
        result = approvals.adjust(
            customer,
            input["amount"],
            currency,
            idempotency_key=input["idempotency_key"],
            reason=reason,
            kind=kind,
            expires_at=expires_at,
            customer_note=input.get("customer_note") or "",
            internal_note=input.get("note") or "",
            actor=requestor.actor,
        )
        entry = result.entry
        if entry is None:
            account = ledger.get_account(customer, currency)
        else:
            account = entry.account
            if result.approval is None:
                notify_entry(entry)
        return cls(transaction=entry, account=account, approval=result.approval)


def _is_credit(amount) -> bool:
    try:
        return amount > 0
    except TypeError:
        return False  # the ledger refuses it with a coded error
