"""Filter inputs of the store-credit lists and the querysets they narrow.

Plain inputs applied by explicit functions: each filter is one line of ORM, and
staff-only filters refuse customers instead of silently matching nothing.
"""

import re
import uuid
from datetime import timedelta

import graphene
from django.db.models import Exists, OuterRef, Q, UUIDField, Value
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from graphql.error import GraphQLError
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.scalars import Decimal
from saleor.graphql.core.types import (
    BaseInputObjectType,
    DateTimeRangeInput,
    NonNullList,
)
from saleor.graphql.core.utils import from_global_id_or_error
from saleor.order.models import Order
from saleor.payment.models import Payment, TransactionItem

from ..error_codes import StoreCreditErrorCode
from ..exceptions import NotFound, StoreCreditError
from ..ledger.validation import validate_text
from ..models import StoreCreditLot
from ..money import validate_currency
from .enums import (
    StoreCreditAccountStatusEnum,
    StoreCreditAdjustmentApprovalStatusEnum,
    StoreCreditBulkJobStatusEnum,
    StoreCreditTransactionKindEnum,
    StoreCreditWithdrawalStatusEnum,
)
from .utils import DOC_CATEGORY_STORE_CREDIT, MANAGER_PERMISSIONS

EXPIRING_WITHIN = timedelta(days=30)


class StoreCreditBalanceRangeInput(BaseInputObjectType):
    gte = Decimal(description="Balance greater than or equal to.")
    lte = Decimal(description="Balance less than or equal to.")

    class Meta:
        description = "Range of balances, in the account's currency."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAccountFilterInput(BaseInputObjectType):
    search = graphene.String(description="Customer email, first or last name.")
    currencies = NonNullList(graphene.String, description="Currency codes.")
    status = StoreCreditAccountStatusEnum(description="Account status.")
    balance = graphene.Field(
        StoreCreditBalanceRangeInput, description="Range of the balance."
    )
    customer_types = NonNullList(
        graphene.ID, description="IDs of customer types (CustomerType)."
    )
    users = NonNullList(graphene.ID, description="IDs of customers (User).")
    has_expiring_credit = graphene.Boolean(
        description="Accounts with (or without) credit expiring in the next 30 days."
    )

    class Meta:
        description = "Filtering options for store-credit accounts (staff and apps)."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditTransactionFilterInput(BaseInputObjectType):
    currency = graphene.String(description="Currency code.")
    kinds = NonNullList(StoreCreditTransactionKindEnum, description="Kinds.")
    reasons = NonNullList(graphene.String, description="Reasons, e.g. payment.")
    created_at = graphene.Field(
        DateTimeRangeInput, description="When the transactions happened."
    )
    order = graphene.ID(description="ID of an order.")
    user = graphene.ID(description="ID of the customer (User). Staff and apps only.")
    actor = graphene.ID(
        description="ID of the staff member (User) or App who made the "
        "transaction. Staff and apps only."
    )

    class Meta:
        description = "Filtering options for store-credit transactions."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditBulkJobFilterInput(BaseInputObjectType):
    status = NonNullList(StoreCreditBulkJobStatusEnum, description="Statuses.")

    class Meta:
        description = "Filtering options for bulk jobs."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAdjustmentApprovalFilterInput(BaseInputObjectType):
    status = NonNullList(
        StoreCreditAdjustmentApprovalStatusEnum, description="Statuses."
    )
    currency = graphene.String(description="Currency code.")

    class Meta:
        description = "Filtering options for adjustments waiting for approval."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditWithdrawalFilterInput(BaseInputObjectType):
    status = NonNullList(StoreCreditWithdrawalStatusEnum, description="Statuses.")
    currency = graphene.String(description="Currency code.")
    created_at = graphene.Field(
        DateTimeRangeInput, description="When the withdrawals were requested."
    )
    user = graphene.ID(description="ID of the customer (User). Staff and apps only.")

    class Meta:
        description = "Filtering options for withdrawal requests."
        doc_category = DOC_CATEGORY_STORE_CREDIT


# Types whose rows Saleor keys by UUID; every other type here has bigint keys.
UUID_KEYED = {"Order", "Checkout", "TransactionItem"}
MAX_ID = 2**63 - 1
MAX_FILTER_TEXT = 256


def pk_from_id(global_id: str, type_name: str):
    """The primary key a global ID of `type_name` names, of the type its rows
    have: a malformed ID, another type, or a key no row can have (a UUID for an
    integer key, a number past bigint) is an error, never a database failure."""
    _, pk = from_global_id_or_error(global_id, type_name, raise_error=True)
    if type_name in UUID_KEYED:
        try:
            return uuid.UUID(str(pk))
        except ValueError:
            pass
    elif re.fullmatch(r"[0-9]{1,19}", str(pk)) and 0 < int(pk) <= MAX_ID:
        return int(pk)
    raise GraphQLError(f"Invalid ID: {global_id}. Expected: {type_name}.")


def filter_text(value: str, name: str) -> str:
    """Free text of a filter as the database can compare it."""
    try:
        return validate_text(value, name, max_length=MAX_FILTER_TEXT)
    except StoreCreditError as error:
        raise GraphQLError(f"Invalid `{name}`: {error.message}") from error


def _pks_from_ids(ids, type_name: str):
    return [pk_from_id(global_id, type_name) for global_id in ids]


def _currency(value: str) -> str:
    try:
        return validate_currency(value)
    except StoreCreditError as error:
        raise GraphQLError(error.message) from error


def _staff_only(requestor, name: str):
    if not requestor.is_manager:
        raise PermissionDenied(
            f"Only staff and apps may filter by {name}.",
            permissions=list(MANAGER_PERMISSIONS),
        )


def _created_at(qs, value, field="created_at"):
    if not value:
        return qs
    if value.get("gte") is not None:
        qs = qs.filter(**{f"{field}__gte": value["gte"]})
    if value.get("lte") is not None:
        qs = qs.filter(**{f"{field}__lte": value["lte"]})
    return qs


def filter_accounts(qs, value, requestor):
    if not value:
        return qs
    if search := filter_text(value.get("search") or "", "search").strip():
        qs = qs.filter(
            Q(email__icontains=search)
            | Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    if value.get("currencies"):
        qs = qs.filter(currency__in=[_currency(c) for c in value["currencies"]])
    if value.get("status"):
        qs = qs.filter(status=value["status"])
    if balance := value.get("balance"):
        if balance.get("gte") is not None:
            qs = qs.filter(balance__gte=balance["gte"])
        if balance.get("lte") is not None:
            qs = qs.filter(balance__lte=balance["lte"])
    if value.get("customer_types"):
        _staff_only(requestor, "customer type")
        qs = qs.filter(
            user__customer_type_id__in=_pks_from_ids(
                value["customer_types"], "CustomerType"
            )
        )
    if value.get("users"):
        _staff_only(requestor, "customer")
        qs = qs.filter(user_id__in=_pks_from_ids(value["users"], "User"))
    if value.get("has_expiring_credit") is not None:
        expiring = StoreCreditLot.objects.filter(
            account_id=OuterRef("pk"),
            remaining_amount__gt=0,
            expires_at__isnull=False,
            expires_at__lte=timezone.now() + EXPIRING_WITHIN,
        )
        condition = Exists(expiring)
        qs = qs.filter(condition if value["has_expiring_credit"] else ~condition)
    return qs


def filter_transactions(qs, value, requestor):
    if not value:
        return qs
    if value.get("currency"):
        qs = qs.filter(account__currency=_currency(value["currency"]))
    if value.get("kinds"):
        qs = qs.filter(kind__in=value["kinds"])
    if value.get("reasons"):
        qs = qs.filter(
            reason__in=[filter_text(reason, "reasons") for reason in value["reasons"]]
        )
    qs = _created_at(qs, value.get("created_at"))
    if value.get("order"):
        qs = qs.filter(of_order(pk_from_id(value["order"], "Order"), qs.db))
    if value.get("user"):
        _staff_only(requestor, "customer")
        qs = qs.filter(account__user_id=pk_from_id(value["user"], "User"))
    if value.get("actor"):
        _staff_only(requestor, "actor")
        actor_type, pk = from_global_id_or_error(value["actor"], raise_error=True)
        if actor_type == "User":
            qs = qs.filter(actor_user_id=pk)
        elif actor_type == "App":
            qs = qs.filter(actor_app_id=pk)
        else:
            raise GraphQLError(f"Invalid ID: {value['actor']}. Expected: User or App.")
    return qs


def of_order(order_pk, using: str) -> Q:
    """Entries the history shows with this order (`order`, `orderId`): those
    booked with it, and those booked before it existed (a checkout's payment)
    with the store-credit payment, transaction item or checkout it was made of,
    as OrderIdByPaymentReferenceLoader resolves them; refunds included. Only
    subqueries: building the filter reads nothing."""
    payments = Payment.objects.using(using).filter(order_id=order_pk).values("pk")
    items = (
        TransactionItem.objects.using(using).filter(order_id=order_pk).values("token")
    )
    # Saleor keeps the checkout's token as text ("" for orders of no checkout).
    checkout = (
        Order.objects.using(using)
        .filter(pk=order_pk)
        .annotate(
            token=Cast(NullIf("checkout_token", Value("")), output_field=UUIDField())
        )
        .values("token")
    )
    before_the_order = (
        Q(payment_id__in=payments)
        | Q(transaction_id__in=items)
        | Q(checkout_id__in=checkout)
    )
    return Q(order_id=order_pk) | Q(order_id__isnull=True) & before_the_order


def filter_withdrawals(qs, value, requestor):
    if not value:
        return qs
    if value.get("status"):
        qs = qs.filter(status__in=value["status"])
    if value.get("currency"):
        qs = qs.filter(account__currency=_currency(value["currency"]))
    qs = _created_at(qs, value.get("created_at"))
    if value.get("user"):
        _staff_only(requestor, "customer")
        qs = qs.filter(account__user_id=pk_from_id(value["user"], "User"))
    return qs


def filter_bulk_jobs(qs, value):
    if value and value.get("status"):
        qs = qs.filter(status__in=value["status"])
    return qs


def filter_approvals(qs, value):
    if value and value.get("status"):
        qs = qs.filter(status__in=value["status"])
    if value and value.get("currency"):
        qs = qs.filter(currency=_currency(value["currency"]))
    return qs


def withdrawal_pk_or_error(mutation, global_id: str) -> int:
    """The withdrawal's pk from its ID, or the mutation's coded `id` error."""
    (pk,) = mutation.get_global_ids_or_error([global_id], "StoreCreditWithdrawal", "id")
    return pk


def approval_pk_or_error(mutation, global_id: str) -> int:
    """The approval's pk from its ID, or the mutation's coded `id` error; an ID
    no row can have is APPROVAL_NOT_FOUND."""
    (pk,) = mutation.get_global_ids_or_error(
        [global_id], "StoreCreditAdjustmentApproval", "id"
    )
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound(
            "Approval not found.",
            code=StoreCreditErrorCode.APPROVAL_NOT_FOUND,
            field="id",
        ) from None
