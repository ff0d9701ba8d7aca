"""Querysets scoped to what the caller may see: managers see every customer (in
the currencies of their channels), everyone else only their own credit."""

from dataclasses import dataclass
from decimal import Decimal

from graphql.error import GraphQLError
from promise import Promise
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import get_database_connection_name
from saleor.permission.auth_filters import AuthorizationFilters
from saleor.permission.enums import OrderPermissions

from .. import saleor_compat
from ..config import PLUGIN_ID, get_settings
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError
from ..gateway import eligibility
from ..gateway.transactions import paid_by_item
from ..models import (
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditBulkJob,
    StoreCreditEntry,
    StoreCreditWithdrawal,
)
from ..money import validate_currency
from ..reports import build_report
from .dataloaders import (
    CustomerTypeSlugByUserIdLoader,
    GiftCardBalanceByCheckoutIdLoader,
    StoreCreditAccountByUserIdAndCurrencyLoader,
    StoreCreditAccountsByUserIdLoader,
    StoreCreditByOrderIdLoader,
)
from .filters import pk_from_id
from .utils import MANAGER_PERMISSIONS, get_requestor, require_manager


def _scoped(info, qs, account_path: str):
    requestor = get_requestor(info)
    qs = qs.using(get_database_connection_name(info.context))
    if requestor.is_manager:
        if requestor.currencies is not None:
            qs = qs.filter(**{f"{account_path}currency__in": requestor.currencies})
        return qs
    if requestor.user is None:
        raise PermissionDenied(permissions=list(MANAGER_PERMISSIONS))
    return qs.filter(**{f"{account_path}user_id": requestor.user.pk})


def accounts_queryset(info):
    return _scoped(info, StoreCreditAccount.objects.all(), "")


def entries_queryset(info):
    return _scoped(info, StoreCreditEntry.objects.all(), "account__")


def withdrawals_queryset(info):
    return _scoped(info, StoreCreditWithdrawal.objects.all(), "account__")


def bulk_jobs_queryset(info):
    """Staff with MANAGE_USERS and apps see the jobs in their currencies."""
    requestor = get_requestor(info)
    require_manager(requestor)
    qs = StoreCreditBulkJob.objects.using(get_database_connection_name(info.context))
    if requestor.currencies is not None:
        qs = qs.filter(currency__in=requestor.currencies)
    return qs


def approvals_queryset(info):
    """Staff with MANAGE_USERS and apps see the approvals in their currencies."""
    requestor = get_requestor(info)
    require_manager(requestor)
    qs = StoreCreditAdjustmentApproval.objects.using(
        get_database_connection_name(info.context)
    )
    if requestor.currencies is not None:
        qs = qs.filter(currency__in=requestor.currencies)
    return qs


def resolve_bulk_job(info, id: str):
    return (
        bulk_jobs_queryset(info).filter(pk=pk_from_id(id, "StoreCreditBulkJob")).first()
    )


def currency_or_error(value: str) -> str:
    try:
        return validate_currency(value)
    except StoreCreditError as error:
        raise GraphQLError(error.message) from error


def resolve_account(info, *, id=None, user=None, currency=None):
    requestor = get_requestor(info)
    qs = accounts_queryset(info)
    if id:
        return qs.filter(pk=pk_from_id(id, "StoreCreditAccount")).first()
    if not currency:
        raise GraphQLError("Provide the account's `id`, or its `currency`.")
    qs = qs.filter(currency=currency_or_error(currency))
    if user:
        if not requestor.is_manager:
            raise PermissionDenied(
                "Only staff and apps may look up another customer's credit.",
                permissions=list(MANAGER_PERMISSIONS),
            )
        return qs.filter(user_id=pk_from_id(user, "User")).first()
    if requestor.user is None:
        raise GraphQLError("Apps must give the customer (`user`) to look up.")
    return qs.filter(user_id=requestor.user.pk).first()


def resolve_report(info, currency: str, period: dict | None):
    requestor = get_requestor(info)
    require_manager(requestor)
    currency = currency_or_error(currency)
    if not requestor.may_manage_currency(currency):
        raise PermissionDenied(
            "You cannot see store credit in this currency.",
            permissions=list(MANAGER_PERMISSIONS),
        )
    period = period or {}
    try:
        return build_report(
            currency,
            period.get("gte"),
            period.get("lte"),
            using=get_database_connection_name(info.context),
        )
    except ValueError as error:
        raise GraphQLError(str(error)) from error


# --- the storeCredit fields of Saleor's User, Checkout and Order ---------------------


def resolve_user_store_credit(root, info):
    """A customer's accounts: for the customer, and for staff and apps who manage
    store credit (the rules of `storeCreditAccounts`)."""
    requestor = get_requestor(info)
    is_owner = requestor.user is not None and requestor.user.pk == root.pk
    if not (is_owner or requestor.is_manager):
        raise PermissionDenied(
            permissions=[AuthorizationFilters.OWNER, *MANAGER_PERMISSIONS]
        )

    def visible(accounts):
        if is_owner or requestor.currencies is None:
            return accounts
        return [a for a in accounts if a.currency in requestor.currencies]

    return StoreCreditAccountsByUserIdLoader(info.context).load(root.pk).then(visible)


def resolve_order_store_credit(root, info):
    """Seen by whoever may see the order's payments: its customer, staff with
    MANAGE_ORDERS, and those who manage store credit in its currency."""
    order = saleor_compat.unwrap(root)
    requestor = get_requestor(info)
    is_owner = (
        requestor.user is not None
        and order.user_id is not None
        and requestor.user.pk == order.user_id
    )
    caller = requestor.app or requestor.user
    if not (
        is_owner
        or requestor.may_manage_currency(order.currency)
        or (caller is not None and caller.has_perm(OrderPermissions.MANAGE_ORDERS))
    ):
        raise PermissionDenied(
            permissions=[
                AuthorizationFilters.OWNER,
                OrderPermissions.MANAGE_ORDERS,
                *MANAGER_PERMISSIONS,
            ]
        )
    return (
        StoreCreditByOrderIdLoader(info.context)
        .load(order.pk)
        .then(lambda credit: (credit, order.currency))
    )


@dataclass(frozen=True)
class CheckoutCredit:
    currency: str
    eligible: bool
    reason: StoreCreditErrorCode | None
    message: str | None
    available: Decimal | None
    applied: Decimal
    remaining: Decimal


def _request_settings(context):
    settings = getattr(context, "storecredit_settings", None)
    if settings is None:
        settings = context.storecredit_settings = get_settings()
    return settings


def resolve_checkout_store_credit(root, info):
    """Whether the checkout's customer can pay with credit here, what is applied
    and what is left. The wallet (`available`, the reasons that depend on it)
    is shown only to that customer and to those who manage store credit: anyone
    holding a checkout's ID can read the checkout."""
    checkout = saleor_compat.unwrap(root)
    context = info.context
    requestor = get_requestor(info)
    sees_wallet = checkout.user_id is not None and (
        (requestor.user is not None and requestor.user.pk == checkout.user_id)
        or requestor.may_manage_currency(checkout.currency)
    )
    settings = _request_settings(context)
    loads = [
        saleor_compat.load_priced_checkout(
            context, checkout, getattr(root, "allow_sync_webhooks", True)
        ),
        saleor_compat.load_checkout_transactions(context, checkout.pk),
        GiftCardBalanceByCheckoutIdLoader(context).load(checkout.pk),
    ]
    if sees_wallet:
        loads += [
            StoreCreditAccountByUserIdAndCurrencyLoader(context).load(
                (checkout.user_id, checkout.currency)
            ),
            CustomerTypeSlugByUserIdLoader(context).load(checkout.user_id),
        ]

    def build(results):
        (checkout_info, lines), items, gift_cards = results[:3]
        currency = checkout.currency
        total = max(checkout_info.checkout.total.gross.amount - gift_cards, Decimal(0))
        applied = sum(
            (paid_by_item(item) for item in items if item.app_identifier == PLUGIN_ID),
            Decimal(0),
        )
        remaining = max(
            total - sum((paid_by_item(i) for i in items), Decimal(0)), Decimal(0)
        )
        if not sees_wallet:
            return CheckoutCredit(
                currency,
                eligible=False,
                reason=StoreCreditErrorCode.NOT_ELIGIBLE,
                message="Log in to pay with your store credit.",
                available=None,
                applied=applied,
                remaining=remaining,
            )
        account, type_slug = results[3:]
        available = account.available if account is not None else Decimal(0)
        customer = _Customer(checkout.user_id, type_slug)
        paid_by_others = sum(
            (paid_by_item(item) for item in items if item.app_identifier != PLUGIN_ID),
            Decimal(0),
        )
        # The gateway list asks the same function (plugin.get_payment_gateways);
        # staff see the answer their customer gets.
        refusal = eligibility.checkout_refusal(
            settings,
            may_spend=True,
            customer=customer,
            channel_slug=checkout_info.channel.slug,
            currency=currency,
            total=total,
            products=eligibility.line_info_products(lines),
            account=account,
            applied=applied,
            paid_by_others=paid_by_others,
        )
        reason = refusal.code if refusal is not None else None
        message = refusal.message if refusal is not None else None
        return CheckoutCredit(
            currency,
            eligible=reason is None,
            reason=reason,
            message=message,
            available=available,
            applied=applied,
            remaining=remaining,
        )

    return Promise.all(loads).then(build)


@dataclass(frozen=True)
class _CustomerType:
    slug: str


class _Customer:
    """The checkout's customer as the eligibility rules read it (id and customer
    type slug, loaded in batches)."""

    is_authenticated = True

    def __init__(self, pk, customer_type_slug):
        self.pk = pk
        self.customer_type = (
            _CustomerType(customer_type_slug) if customer_type_slug else None
        )
