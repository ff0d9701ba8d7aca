"""Who is asking, what they may see, and how ledger refusals become API errors."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from prices import Money
from saleor.account.models import User
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import setup_context_user
from saleor.permission.auth_filters import AuthorizationFilters
from saleor.permission.enums import AccountPermissions, PaymentPermissions

from ..actors import Actor
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError

DOC_CATEGORY_STORE_CREDIT = "Store credit"

# Staff manage balances with MANAGE_USERS; apps may use HANDLE_PAYMENTS instead.
STAFF_PERMISSIONS = (AccountPermissions.MANAGE_USERS,)
APP_PERMISSIONS = (AccountPermissions.MANAGE_USERS, PaymentPermissions.HANDLE_PAYMENTS)
MANAGER_PERMISSIONS = APP_PERMISSIONS
# App rewards: apps only. HANDLE_PAYMENTS moves money without the right to
# change customers' profiles (MANAGE_USERS would let a rewards app rewrite a
# customer's email); Saleor grants only its own permissions.
APP_REWARD_PERMISSIONS = (PaymentPermissions.HANDLE_PAYMENTS,)
# Fields every signed-in customer may call for their own credit.
CUSTOMER_OR_MANAGER_PERMISSIONS = [
    AuthorizationFilters.AUTHENTICATED_USER,
    *MANAGER_PERMISSIONS,
]

MANAGER_DESCRIPTION = (
    "\n\nRequires one of the following permissions: MANAGE_USERS (staff), "
    "MANAGE_USERS or HANDLE_PAYMENTS (apps)."
)
APP_REWARD_DESCRIPTION = (
    "\n\nRequires an app with the HANDLE_PAYMENTS permission; staff and "
    "customers are refused."
)
CUSTOMER_DESCRIPTION = (
    "\n\nCustomers (AUTHENTICATED_USER) see only their own credit; staff with "
    "MANAGE_USERS and apps with MANAGE_USERS or HANDLE_PAYMENTS see every customer's."
)


@dataclass(frozen=True)
class Requestor:
    """The caller of a store-credit field, resolved once per call."""

    user: User | None
    app: object | None
    is_manager: bool
    # None: every currency; otherwise the currencies of the staff's channels.
    currencies: frozenset[str] | None

    @property
    def actor(self) -> Actor:
        if self.app is not None:
            return Actor.app(self.app)
        if self.is_manager:
            return Actor.staff(self.user)
        return Actor.customer(self.user)

    @property
    def is_rewarding_app(self) -> bool:
        """An active app that may give app rewards (app_rewards.py)."""
        return (
            self.app is not None
            and bool(self.app.is_active)
            and all(self.app.has_perm(p) for p in APP_REWARD_PERMISSIONS)
        )

    def may_manage_currency(self, currency: str) -> bool:
        return self.is_manager and (
            self.currencies is None or currency in self.currencies
        )


def get_requestor(info_or_context) -> Requestor:
    """The caller, computed once per request (fields of a list ask many times)."""
    context = getattr(info_or_context, "context", info_or_context)
    requestor = getattr(context, "storecredit_requestor", None)
    if requestor is None:
        requestor = _resolve_requestor(context)
        context.storecredit_requestor = requestor
    return requestor


def _resolve_requestor(context) -> Requestor:
    setup_context_user(context)
    app = getattr(context, "app", None)
    if app is not None:
        is_manager = bool(app.is_active) and any(
            app.has_perm(permission) for permission in APP_PERMISSIONS
        )
        return Requestor(user=None, app=app, is_manager=is_manager, currencies=None)
    user = context.user if context.user and context.user.is_active else None
    if user is None:
        return Requestor(user=None, app=None, is_manager=False, currencies=None)
    is_manager = user.is_staff and any(
        user.has_perm(permission) for permission in STAFF_PERMISSIONS
    )
    currencies = _staff_currencies(user) if is_manager else None
    return Requestor(user=user, app=None, is_manager=is_manager, currencies=currencies)


def _staff_currencies(user: User) -> frozenset[str] | None:
    """Channel-restricted staff manage credit only in their channels' currencies."""
    groups = user.groups.all()
    # Restriction is a property of permission groups: staff outside any group
    # (permissions given directly) or in one unrestricted group see everything.
    if user.is_superuser or not groups.exists():
        return None
    if groups.filter(restricted_access_to_channels=False).exists():
        return None
    return frozenset(
        groups.filter(restricted_access_to_channels=True).values_list(
            "channels__currency_code", flat=True
        )
    ) - {None}


def require_manager(requestor: Requestor):
    if not requestor.is_manager:
        raise PermissionDenied(permissions=list(MANAGER_PERMISSIONS))


def require_customer(requestor: Requestor):
    """Customer operations are for signed-in people, never for apps."""
    if requestor.user is None or requestor.app is not None:
        raise PermissionDenied(permissions=[AuthorizationFilters.AUTHENTICATED_USER])


def require_currency_access(requestor: Requestor, currency: str, field="currency"):
    if not requestor.may_manage_currency(currency):
        raise ValidationError(
            {
                field: ValidationError(
                    "You cannot manage store credit in this currency.",
                    code=StoreCreditErrorCode.PERMISSION_DENIED.value,
                )
            }
        )


def to_validation_error(error: StoreCreditError) -> ValidationError:
    """A ledger refusal as the `errors { field message code }` of a mutation."""
    return coded_error(error.field, error.message, error.code)


def coded_error(field: str | None, message: str, code: StoreCreditErrorCode):
    """A ValidationError Saleor's mutations turn into `{field message code}`."""
    inner = ValidationError(message, code=code.value)
    return ValidationError({field: inner}) if field else ValidationError(inner)


def money(amount, currency: str) -> Money:
    return Money(amount, currency)
