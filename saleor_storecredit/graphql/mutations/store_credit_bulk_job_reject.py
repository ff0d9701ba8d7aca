import graphene
from saleor.graphql.core import ResolveInfo

from ... import bulk_job_approvals
from ..types import StoreCreditBulkJob
from ..utils import Requestor
from .base import StoreCreditStaffMutation, bulk_job_for_decision


class StoreCreditBulkJobReject(StoreCreditStaffMutation):
    job = graphene.Field(StoreCreditBulkJob, description="The rejected job.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the bulk job.")
        note = graphene.String(description="Why, for the staff member who started it.")

    class Meta:
        description = (
            "Reject a bulk job waiting for approval: no credit moves (status "
            "REJECTED). The staff member who started it may withdraw it this way "
            "(status CANCELED)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id, note=None):
        pk = bulk_job_for_decision(cls, requestor, id)
        return cls(job=bulk_job_approvals.reject(pk, actor=requestor.actor, note=note))
