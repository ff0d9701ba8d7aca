import graphene
from saleor.graphql.core import ResolveInfo

from ... import bulk_job_approvals
from ...tasks import enqueue_bulk_job
from ..types import StoreCreditBulkJob
from ..utils import Requestor
from .base import StoreCreditStaffMutation, bulk_job_for_decision


class StoreCreditBulkJobApprove(StoreCreditStaffMutation):
    job = graphene.Field(StoreCreditBulkJob, description="The approved job.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the bulk job.")
        note = graphene.String(description="Staff-only note on the decision.")

    class Meta:
        description = (
            "Approve a bulk job waiting for approval (AWAITING_APPROVAL): it starts "
            "now, once, and its transactions name you as their actor. Refused for "
            "the staff member who started it (APPROVAL_BY_REQUESTER), for staff "
            "among its customers (OWN_ACCOUNT) and for apps; a job no longer "
            "waiting is APPROVAL_NOT_PENDING."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id, note=None):
        pk = bulk_job_for_decision(cls, requestor, id)
        job = bulk_job_approvals.approve(pk, actor=requestor.actor, note=note)
        if not job.is_finished:
            # Harmless for a job already running: a second task does nothing.
            enqueue_bulk_job(job.pk)
        return cls(job=job)
