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

from ... import bulk, saleor_compat
from ...config import get_settings
from ...models import Reason
from ...money import validate_currency
from ..enums import (
    StoreCreditAdjustReasonEnum,
    StoreCreditBulkDebitModeEnum,
    StoreCreditKindEnum,
)
from ..types import StoreCreditTransaction
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
        description="Key of this bulk change: sending it again completes what was "
        "left undone and changes no account twice.",
    )
    dry_run = graphene.Boolean(
        description="Report what would change without changing anything."
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
        description="Change of the balance (would be, in a dry run); 0 if skipped.",
    )
    status = graphene.String(
        required=True,
        description="What happened: credited, debited, skipped or failed (refused "
        "for this customer; the others went on).",
    )
    transaction = graphene.Field(
        StoreCreditTransaction, description="The transaction recorded, if any."
    )

    class Meta:
        description = "What a bulk adjustment did to one customer."
        doc_category = DOC_CATEGORY_STORE_CREDIT

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

    @staticmethod
    def resolve_transaction(root: tuple, _info):
        return root[0].entry


class StoreCreditBulkAdjust(StoreCreditStaffMutation):
    dry_run = graphene.Boolean(description="Whether nothing changed.")
    count = graphene.Int(description="Customers matched.")
    changed_count = graphene.Int(
        description="Accounts changed (would be, in a dry run)."
    )
    skipped_count = graphene.Int(description="Accounts left as they were.")
    total_amount = graphene.Field(
        Money, description="Sum of the changes (would be, in a dry run)."
    )
    results = NonNullList(StoreCreditBulkAdjustResult, description="Per customer.")

    class Arguments:
        input = StoreCreditBulkAdjustInput(
            required=True, description="Fields required to adjust the credit."
        )

    class Meta:
        description = (
            "Credit or debit many customers at once: chosen ones, by email, or "
            f"whole customer types (at most {bulk.MAX_ACCOUNTS}). A debit never "
            "takes an account below zero."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, input):
        currency = validate_currency(input["currency"])
        require_currency_access(requestor, currency)
        user_ids = cls.get_global_ids_or_error(
            input.get("users") or [], User, field="users"
        )
        customer_type_ids = cls.get_global_ids_or_error(
            input.get("customer_types") or [], CustomerType, field="customer_types"
        )
        customers = bulk.select_customers(
            user_ids=user_ids,
            customer_type_ids=customer_type_ids,
            emails=input.get("emails") or [],
        )
        reason = input.get("reason") or Reason.ADJUSTMENT
        kind = input.get("kind") or bulk.lot_kind_for(reason)
        result = bulk.bulk_adjust(
            customers,
            input["amount"],
            currency,
            idempotency_key=input["idempotency_key"],
            reason=reason,
            kind=kind,
            internal_note=input.get("note") or "",
            customer_note=input.get("customer_note") or "",
            expires_at=input.get("expires_at") or get_settings().expires_at_for(kind),
            debit_mode=input.get("debit_mode") or bulk.TAKE_AVAILABLE,
            dry_run=bool(input.get("dry_run")),
            actor=requestor.actor,
        )
        return cls(
            dry_run=result.dry_run,
            count=len(result.items),
            changed_count=len(result.changed),
            skipped_count=len(result.skipped),
            total_amount=money(result.total, currency),
            results=[(item, currency) for item in result.items],
        )
