import graphene
from saleor.graphql.core import ResolveInfo

from ... import approvals
from ...notifications import notify_entry
from ..types import StoreCreditAdjustmentApproval, StoreCreditTransaction
from .base import StoreCreditStaffMutation, approval_for_decision


class StoreCreditAdjustmentApprove(StoreCreditStaffMutation):
    approval = graphene.Field(
        StoreCreditAdjustmentApproval, description="The approved request."
    )
    transaction = graphene.Field(
        StoreCreditTransaction, description="The adjustment it made."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the approval.")
        note = graphene.String(description="Staff-only note on the decision.")

    class Meta:
        description = (
            "Approve an adjustment another staff member asked for: the credit "
            "moves now, once, with you as its actor. Refused for the staff member "
            "who asked (APPROVAL_BY_REQUESTER), for the customer themselves "
            "(OWN_ACCOUNT) and for apps."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor, /, *, id, note=None):
        pk = approval_for_decision(cls, requestor, id)
        approval = approvals.approve(pk, actor=requestor.actor, note=note)
        notify_entry(approval.entry)
        return cls(approval=approval, transaction=approval.entry)
