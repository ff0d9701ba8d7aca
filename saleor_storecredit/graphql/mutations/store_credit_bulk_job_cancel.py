import graphene
from saleor.graphql.core import ResolveInfo

from ...bulk_jobs import cancel_job
from ...error_codes import StoreCreditErrorCode
from ...exceptions import StoreCreditError
from ..types import StoreCreditBulkJob
from ..utils import Requestor, require_currency_access
from .base import StoreCreditStaffMutation


class StoreCreditBulkJobCancel(StoreCreditStaffMutation):
    job = graphene.Field(StoreCreditBulkJob, description="The canceled job.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of the bulk job.")

    class Meta:
        description = (
            "Cancel a bulk job waiting for approval, pending or running: it stops "
            "before its next chunk of customers; what it did stays done (a "
            "reversing job undoes it). A finished job (completed, failed, rejected "
            "or canceled) is refused: BULK_JOB_FINISHED."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, id):
        (job_id,) = cls.get_global_ids_or_error([id], "StoreCreditBulkJob", "id")
        job = (
            StoreCreditBulkJob._meta.model.objects.filter(pk=job_id)
            .only("currency")
            .first()
        )
        if job is None:
            raise StoreCreditError(
                "Bulk job not found.",
                code=StoreCreditErrorCode.BULK_JOB_NOT_FOUND,
                field="id",
            )
        require_currency_access(requestor, job.currency, field="id")
        return cls(job=cancel_job(job_id))
