import graphene
from saleor.graphql.account.types import CustomerType, User
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import DateTime, Decimal
from saleor.graphql.core.types import (
    BaseInputObjectType,
    BaseObjectType,
    Money,
    NonNullList,
)

from ... import bulk_jobs, saleor_compat
from ...config import get_settings
from ...models import Reason
from ...money import validate_currency
from ...tasks import enqueue_bulk_job
from ..enums import (
    StoreCreditAdjustReasonEnum,
    StoreCreditBulkDebitModeEnum,
    StoreCreditKindEnum,
)
from ..types import StoreCreditBulkJob
from ..utils import DOC_CATEGORY_STORE_CREDIT, Requestor, money, require_currency_access
from .base import StoreCreditStaffMutation


class StoreCreditBulkAdjustInput(BaseInputObjectType):
    customer_types = NonNullList(
        graphene.ID, description="IDs of customer types (CustomerType) to adjust."
    )
    users = NonNullList(graphene.ID, description="IDs of customers (User) to adjust.")
    emails = NonNullList(graphene.String, description="Emails of customers to adjust.")
    currency = graphene.String(required=True, description="Currency code.")
    amount = Decimal(
        required=True,
        description="Per customer: positive to add credit, negative to deduct it.",
    )
    reason = StoreCreditAdjustReasonEnum(description="Why. Default: ADJUSTMENT.")
    kind = StoreCreditKindEnum(
        description="Kind of the credit added, as named in the `expiry_days` "
        "setting. Default: from the reason, as in storeCreditAdjust."
    )
    note = graphene.String(description="Staff-only note.")
    customer_note = graphene.String(description="Note shown to the customers.")
    expires_at = DateTime(
        description="When added credit expires. Default: `expiry_days` of its "
        "kind, else never."
    )
    debit_mode = StoreCreditBulkDebitModeEnum(
        description="For deductions from accounts with less available credit than "
        "asked. Default: TAKE_AVAILABLE."
    )
    idempotency_key = graphene.String(
        required=True,
        description="Key of this bulk change: sending it again returns the same "
        "job (and restarts it if its worker died); no account changes twice.",
    )
    dry_run = graphene.Boolean(
        description="Report what would change without changing anything or "
        "starting a job."
    )

    class Meta:
        description = "Fields required to credit or debit a group of customers."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditBulkAdjustResult(BaseObjectType):
    user = graphene.Field(User, description="The customer.")
    email = graphene.String(required=True, description="The customer's email.")
    amount = graphene.Field(
        Money,
        required=True,
        description="Change of the balance the job would make (or made, under this "
        "key); 0 if skipped.",
    )
    status = graphene.String(
        required=True,
        description="What the job would do: credited, debited or skipped.",
    )

    class Meta:
        description = "What a bulk adjustment would do to one customer (dry run)."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    # The root is a (DryRunItem, currency) pair.
    @staticmethod
    def resolve_user(root: tuple, info):
        return saleor_compat.load_user(info.context, root[0].user_id)

    @staticmethod
    def resolve_email(root: tuple, _info):
        return root[0].email

    @staticmethod
    def resolve_amount(root: tuple, _info):
        return money(root[0].amount, root[1])

    @staticmethod
    def resolve_status(root: tuple, _info):
        return root[0].status


class StoreCreditBulkAdjust(StoreCreditStaffMutation):
    dry_run = graphene.Boolean(description="Whether nothing changed.")
    job = graphene.Field(
        StoreCreditBulkJob,
        description="The job that adjusts the customers (null in a dry run). It "
        "runs in the background: query `storeCreditBulkJob` for its progress.",
    )
    count = graphene.Int(description="Customers matched.")
    changed_count = graphene.Int(
        description="Dry run: accounts that would change (or changed, under this key)."
    )
    skipped_count = graphene.Int(
        description="Dry run: accounts that would be left as they are."
    )
    total_amount = graphene.Field(Money, description="Dry run: sum of the changes.")
    results = NonNullList(
        StoreCreditBulkAdjustResult,
        description=f"Dry run: per customer, the first {bulk_jobs.MAX_DRY_RUN_RESULTS}"
        " by ID.",
    )
    results_capped = graphene.Boolean(
        description="Dry run: whether more customers matched than `results` lists."
    )
    needs_approval = graphene.Boolean(
        description="Dry run: whether the job would wait for another staff "
        "member's approval (its total, customers x |amount|, is above "
        "`approval_threshold`)."
    )

    class Arguments:
        input = StoreCreditBulkAdjustInput(
            required=True, description="Fields required to adjust the credit."
        )

    class Meta:
        description = (
            "Credit or debit any number of customers: chosen ones, by email, or "
            "whole customer types (staff are never included). Without `dryRun` it "
            "starts a background job and returns it; the same `idempotencyKey` "
            "returns the same job. A debit never takes an account below zero. A "
            "job whose total (customers x |amount|) is above the approval "
            "threshold waits as AWAITING_APPROVAL until another staff member "
            "approves it (storeCreditBulkJobApprove)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, input):
        currency = validate_currency(input["currency"])
        require_currency_access(requestor, currency)
        selection = bulk_jobs.Selection.of(
            user_ids=cls.get_global_ids_or_error(
                input.get("users") or [], User, field="users"
            ),
            customer_type_ids=cls.get_global_ids_or_error(
                input.get("customer_types") or [], CustomerType, field="customer_types"
            ),
            emails=input.get("emails") or [],
        )
        settings = get_settings()
        reason = input.get("reason") or Reason.ADJUSTMENT
        kind = input.get("kind") or bulk_jobs.lot_kind_for(reason)
        expires_at = input.get("expires_at")
        if expires_at is None and input["amount"] > 0:
            expires_at = settings.expiry_for(kind)
        request = bulk_jobs.validate_request(
            input["amount"],
            currency,
            reason=reason,
            kind=kind,
            internal_note=input.get("note") or "",
            customer_note=input.get("customer_note") or "",
            expires_at=expires_at,
            debit_mode=input.get("debit_mode") or bulk_jobs.TAKE_AVAILABLE,
            actor=requestor.actor,
        )
        key = input["idempotency_key"]
        if input.get("dry_run"):
            result = bulk_jobs.dry_run(selection, request, key)
            return cls(
                dry_run=True,
                count=result.count,
                changed_count=result.changed_count,
                skipped_count=result.skipped_count,
                total_amount=money(result.total_amount, currency),
                results=[(item, currency) for item in result.items],
                results_capped=result.capped,
                needs_approval=bulk_jobs.needs_approval(
                    request, result.count, settings
                ),
            )
        job, _ = bulk_jobs.start_job(selection, request, key, settings=settings)
        if job.status in bulk_jobs.OPEN_STATUSES:
            # Harmless for a job already running: a second task does nothing.
            enqueue_bulk_job(job.pk)
        return cls(dry_run=False, job=job, count=job.total)
