"""GraphQL enums, built from the ledger's own choices and error codes."""

import graphene
from saleor.graphql.core.types import BaseEnum

from .. import error_codes
from ..models import (
    AccountStatus,
    ApprovalStatus,
    BulkJobStatus,
    EntryKind,
    LotKind,
    WithdrawalStatus,
)
from .utils import DOC_CATEGORY_STORE_CREDIT


def _from_choices(name: str, choices, description: str) -> type[graphene.Enum]:
    values = [(value.upper(), value) for value in choices.values]
    enum = graphene.Enum(name, values, description=description)
    enum.doc_category = DOC_CATEGORY_STORE_CREDIT
    return enum


StoreCreditErrorCode = graphene.Enum.from_enum(
    error_codes.StoreCreditErrorCode,
    description="Why a store-credit operation was refused.",
)
StoreCreditErrorCode.doc_category = DOC_CATEGORY_STORE_CREDIT

StoreCreditAccountStatusEnum = _from_choices(
    "StoreCreditAccountStatusEnum",
    AccountStatus,
    "Whether an account may be spent from: ON_HOLD blocks payments, transfers "
    "and withdrawals until staff make it ACTIVE again.",
)
StoreCreditTransactionKindEnum = _from_choices(
    "StoreCreditTransactionKindEnum",
    EntryKind,
    "What a store-credit transaction did to the balance.",
)
StoreCreditKindEnum = _from_choices(
    "StoreCreditKindEnum",
    LotKind,
    "The kind of a parcel of credit: the words the `expiry_days` setting is "
    "configured by (STORE_CREDIT is store_credit).",
)
StoreCreditWithdrawalStatusEnum = _from_choices(
    "StoreCreditWithdrawalStatusEnum",
    WithdrawalStatus,
    "Where a withdrawal request stands.",
)

StoreCreditBulkJobStatusEnum = _from_choices(
    "StoreCreditBulkJobStatusEnum",
    BulkJobStatus,
    "Where a bulk job stands: AWAITING_APPROVAL (above the approval threshold, "
    "until another staff member approves it, or REJECTED), PENDING until a worker "
    "takes it, RUNNING, then COMPLETED, CANCELED (by staff) or FAILED (stopped by "
    "errors repeatedly).",
)

StoreCreditAdjustmentApprovalStatusEnum = _from_choices(
    "StoreCreditAdjustmentApprovalStatusEnum",
    ApprovalStatus,
    "Where an adjustment waiting for a second staff member stands: PENDING, "
    "then APPROVED (the credit moved), REJECTED (by another staff member) or "
    "CANCELED (by the staff member who asked).",
)


class StoreCreditWithdrawalActionEnum(BaseEnum):
    APPROVE = "approve"
    REJECT = "reject"
    MARK_PAID = "mark_paid"

    class Meta:
        description = (
            "What staff do with a withdrawal: APPROVE keeps the amount held, "
            "REJECT returns it to the customer, MARK_PAID takes it from the balance."
        )
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditBulkDebitModeEnum(BaseEnum):
    TAKE_AVAILABLE = "take_available"
    SKIP = "skip"

    class Meta:
        description = (
            "What a bulk debit does to an account with less available credit than "
            "asked: take what is available, or skip the account."
        )
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAdjustReasonEnum(BaseEnum):
    MANUAL = "manual"
    ADJUSTMENT = "adjustment"
    BONUS = "bonus"
    TOP_UP = "top_up"
    REFUND = "refund"
    ORDER_CANCELLATION = "order_cancellation"
    ORDER_RETURN = "order_return"
    IMPORT = "import"

    class Meta:
        description = "Why staff add or deduct credit by hand."
        doc_category = DOC_CATEGORY_STORE_CREDIT
