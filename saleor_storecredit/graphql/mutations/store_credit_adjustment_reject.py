import graphene
from saleor.graphql.core import ResolveInfo

from ... import approvals
from ..types import StoreCreditAdjustmentApproval
from .base import StoreCreditStaffMutation, approval_for_decision


class StoreCreditAdjustmentReject(StoreCreditStaffMutation):
    approval = graphene.Field(
        StoreCreditAdjustmentApproval, description="The rejected request."
    )

    class Arguments:
        id = graphene.ID(required=True, description="ID of the approval.")
        note = graphene.String(description="Why, for the staff member who asked.")

    class Meta:
        description = (
            "Reject an adjustment waiting for approval: no credit moves. The staff "
            "member who asked may withdraw it this way (status CANCELED)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor, /, *, id, note=None):
        pk = approval_for_decision(cls, requestor, id)
        return cls(approval=approvals.reject(pk, actor=requestor.actor, note=note))
