"""Who asks for a spend of store credit, and whether they may.

A checkout's ID is a key to the checkout (Saleor lets anyone who holds it change
and complete it), never to its customer's credit. Credit is spent only for:

- the signed-in customer whose credit it is, or
- an app with HANDLE_PAYMENTS and IMPERSONATE_USER (a POS or a storefront
  backend acting for the checkout's customer, as Saleor's own IMPERSONATE_USER
  mutations do).

Anyone else's request on a checkout may release credit, never add or spend it.
Saleor's own background work (no request at all, e.g. the automatic completion
of fully paid checkouts) may only capture what the customer already applied to
the checkout as it is: any change by someone else released it first.

The GraphQL layer tells this module who is asking (`asking`); Saleor hands the
plugin its requestor for authenticated calls made outside a GraphQL resolver.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from saleor.app.models import App
from saleor.permission.enums import AccountPermissions, PaymentPermissions

# Both are needed: HANDLE_PAYMENTS alone is any payment app.
APP_SPEND_PERMISSIONS = (
    PaymentPermissions.HANDLE_PAYMENTS,
    AccountPermissions.IMPERSONATE_USER,
)


@dataclass(frozen=True)
class Caller:
    user: object | None = None
    app: App | None = None
    # Asked through Saleor's API (possibly anonymously), not Saleor's own work.
    in_request: bool = False

    @property
    def is_background(self) -> bool:
        return not self.in_request and self.user is None and self.app is None

    @property
    def is_app(self) -> bool:
        return self.app is not None

    def may_spend_for(self, user_id) -> bool:
        """Whether this caller may add, hold or spend the credit of `user_id`."""
        if user_id is None:
            return False
        if self.app is not None:
            return bool(self.app.is_active) and all(
                self.app.has_perm(permission) for permission in APP_SPEND_PERMISSIONS
            )
        user = self.user
        return (
            user is not None
            and getattr(user, "is_authenticated", False)
            and getattr(user, "is_active", False)
            and user.pk == user_id
        )


BACKGROUND = Caller()

# (user, app) of the GraphQL request being resolved, computed on first use.
_request_caller: ContextVar[Callable[[], tuple] | None] = ContextVar(
    "storecredit_request_caller", default=None
)
# The root field (mutation) being resolved: refusals speak its error codes.
_request_operation: ContextVar[str | None] = ContextVar(
    "storecredit_request_operation", default=None
)


@contextmanager
def asking(who: Callable[[], tuple], operation: str | None = None):
    """Within this block, a GraphQL request by `who()` = (user, app) is asking,
    through the mutation `operation`."""
    token = _request_caller.set(who)
    operation_token = _request_operation.set(operation)
    try:
        yield
    finally:
        _request_operation.reset(operation_token)
        _request_caller.reset(token)


def operation() -> str | None:
    """The mutation this request runs (None outside a GraphQL request)."""
    return _request_operation.get()


def current(requestor=None) -> Caller:
    """The caller of what runs now: the GraphQL request's, else Saleor's
    requestor of the plugin (a user or an app), else Saleor's background work."""
    who = _request_caller.get()
    if who is not None:
        user, app = who()
        return Caller(user=user, app=app, in_request=True)
    if requestor is not None:
        if isinstance(requestor, App):
            return Caller(app=requestor, in_request=True)
        if getattr(requestor, "is_authenticated", False):
            return Caller(user=requestor, in_request=True)
    return BACKGROUND
