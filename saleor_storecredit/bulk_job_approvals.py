"""Bulk jobs above the approval threshold, and the second staff member.

A bulk adjustment whose total (customers matched x |amount|, as the dry run
counts them) is above the shop's `approval_threshold` for the currency starts
as AWAITING_APPROVAL: no worker runs it (bulk_jobs.claim takes only pending and
running jobs). The rules are those of single adjustments (approvals.py):
another staff member - not the one who started it, not one of its customers -
approves it, and it becomes pending, once, however many approve at the same
moment; or rejects it, and nothing moves. The starter may withdraw it
(CANCELED). The approver is the actor of every entry the job then writes.

The job row is locked alone: approving writes no entry, the worker does.

No Saleor imports: the core suite runs all of it; the caller schedules the run.
"""

from django.db import transaction
from django.utils import timezone

from .actors import Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import NotFound, StoreCreditError
from .ledger.validation import validate_actor, validate_id, validate_text
from .lock_objects import bulk_job_qs_select_for_update
from .models import ActorType, BulkJobStatus, StoreCreditBulkJob

# Who starts the jobs the threshold applies to: people and integrations.
MAKERS = (ActorType.STAFF, ActorType.APP)


def job_total(amount, count: int):
    """What a job moves at most: every matched customer's |amount|."""
    return abs(amount) * count


def approve(job, *, actor: Actor, note: str | None = None) -> StoreCreditBulkJob:
    """Lets the job run, with the approver as its entries' actor. A retry by
    the same approver returns the job; anyone else is told it was decided."""
    job_id, actor, note = _checked(job, actor, note)
    if actor.type != ActorType.STAFF:
        raise StoreCreditError(
            "Only a staff member can approve a bulk job.",
            code=StoreCreditErrorCode.PERMISSION_DENIED,
            field="id",
        )
    with transaction.atomic():
        locked = _lock(job_id)
        if locked.approved_by_user_id is not None and (
            locked.approved_by_user_id == actor.user_id
        ):
            return locked  # a retry of the same decision
        _require_awaiting(locked)
        if _is_starter(locked, actor):
            raise StoreCreditError(
                "You started this bulk job; another staff member must approve it.",
                code=StoreCreditErrorCode.APPROVAL_BY_REQUESTER,
                field="id",
            )
        _require_not_customer(locked, actor)
        now = timezone.now()
        locked.status = BulkJobStatus.PENDING
        locked.approved_by_user_id = actor.user_id
        locked.approved_at = now
        locked.decision_note = note
        locked.updated_at = now
        locked.save(
            update_fields=[
                "status",
                "approved_by_user_id",
                "approved_at",
                "decision_note",
                "updated_at",
            ]
        )
    return locked


def reject(job, *, actor: Actor, note: str | None = None) -> StoreCreditBulkJob:
    """Nothing moves. The starter withdrawing their own job cancels it."""
    job_id, actor, note = _checked(job, actor, note)
    with transaction.atomic():
        locked = _lock(job_id)
        starter = _is_starter(locked, actor)
        if starter and locked.status == BulkJobStatus.CANCELED:
            if locked.approved_by_user_id is None:
                return locked
        if (
            not starter
            and locked.status == BulkJobStatus.REJECTED
            and locked.rejected_by_user_id == actor.user_id
        ):
            return locked
        _require_awaiting(locked)
        if not starter:
            if actor.type != ActorType.STAFF:
                raise StoreCreditError(
                    "Only a staff member can reject a bulk job.",
                    code=StoreCreditErrorCode.PERMISSION_DENIED,
                    field="id",
                )
            _require_not_customer(locked, actor)
        now = timezone.now()
        fields = ["status", "decision_note", "finished_at", "updated_at"]
        if starter:
            locked.status = BulkJobStatus.CANCELED
            locked.canceled_at = now
            fields.append("canceled_at")
        else:
            locked.status = BulkJobStatus.REJECTED
            locked.rejected_by_user_id = actor.user_id
            fields.append("rejected_by_user_id")
        locked.decision_note = note
        locked.finished_at = now
        locked.updated_at = now
        locked.save(update_fields=fields)
    return locked


def entry_actor(job: StoreCreditBulkJob) -> Actor:
    """Who the job's entries name: its approver, else whoever started it."""
    if job.approved_by_user_id is not None:
        return Actor(ActorType.STAFF, job.approved_by_user_id, None)
    return Actor(job.actor_type, job.actor_user_id, job.actor_app_id)


def _checked(job, actor, note):
    job_id = validate_id(job, "id", StoreCreditErrorCode.BULK_JOB_NOT_FOUND)
    actor = validate_actor(actor)
    note = validate_text(note, "note").strip()
    return job_id, actor, note


def _lock(job_id: int) -> StoreCreditBulkJob:
    locked = bulk_job_qs_select_for_update().filter(pk=job_id).first()
    if locked is None:
        raise NotFound(
            "Bulk job not found.",
            code=StoreCreditErrorCode.BULK_JOB_NOT_FOUND,
            field="id",
        )
    return locked


def _require_awaiting(job) -> None:
    if not job.is_awaiting_approval:
        raise StoreCreditError(
            f"This bulk job is not waiting for approval ({job.status}).",
            code=StoreCreditErrorCode.APPROVAL_NOT_PENDING,
            field="id",
        )


def _is_starter(job, actor: Actor) -> bool:
    return (job.actor_type, job.actor_user_id, job.actor_app_id) == (
        actor.type,
        actor.user_id,
        actor.app_id,
    )


def _require_not_customer(job, actor: Actor) -> None:
    """Staff never decide on a job that would credit or debit themselves."""
    from .bulk_jobs import select_customers

    if actor.type != ActorType.STAFF or actor.user_id is None:
        return
    customers = select_customers(
        user_ids=job.user_ids,
        customer_type_ids=job.customer_type_ids,
        emails=job.emails,
    ).filter(pk=actor.user_id, pk__lte=job.max_user_id)
    if actor.user_id in job.user_ids or customers.exists():
        raise StoreCreditError(
            "You are among the customers of this bulk job. Ask another staff member.",
            code=StoreCreditErrorCode.OWN_ACCOUNT,
            field="id",
        )
