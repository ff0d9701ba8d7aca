"""Querysets scoped to what the caller may see: managers see every customer (in
the currencies of their channels), everyone else only their own credit."""

from graphql.error import GraphQLError
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import get_database_connection_name

from ..exceptions import StoreCreditError
from ..models import (
    StoreCreditAccount,
    StoreCreditBulkJob,
    StoreCreditEntry,
    StoreCreditWithdrawal,
)
from ..money import validate_currency
from ..reports import build_report
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
