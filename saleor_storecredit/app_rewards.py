"""Credit an app gives customers: an affiliate's commission, a royalty, a reward.

An app is a source of its own. Its credit is of kind APP (or CASHBACK) and
never any other: under the default rules it pays orders but is not withdrawn
or sent, so no app turns rewards into cash by naming another kind. Each lot
records the app (LotSource.APP, the app's id), each entry the reason
APP_REWARD, and the app's keys live in its own namespace (`app:{id}:`), so two
apps never meet each other's keys.

Rewards are for customers: a staff member, or an inactive customer, is "not
found" - nobody credits their own staff account through an app's token. A
reward above the shop's `approval_threshold` is refused: such amounts go
through `storeCreditAdjust` and wait for a second staff member. An app takes
back only rewards it gave, and only while they are unspent (a reversal of its
own entry, which the ledger refuses once the credit was spent or expired).

No Saleor imports: the core suite runs all of it.
"""

from django.contrib.auth import get_user_model

from . import ledger
from .actors import Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import NotFound, StoreCreditError
from .ledger import keys
from .ledger.validation import validate_id, validate_text
from .models import (
    ActorType,
    EntryKind,
    LotKind,
    LotSource,
    Reason,
    StoreCreditEntry,
)
from .money import validate_amount, validate_currency

REWARD_KINDS = (LotKind.APP, LotKind.CASHBACK)
MAX_EMAIL_LENGTH = 254


def reward(
    customer,
    amount,
    currency: str,
    *,
    idempotency_key,
    actor: Actor,
    kind: str = LotKind.APP,
    expires_at=None,
    customer_note: str = "",
    settings=None,
) -> StoreCreditEntry:
    """Credit `customer` with the app's reward, once per key.

    `expires_at`: a date, or None for the shop's `expiry_days` of the kind
    (a period: a retry asks for the same thing). `settings`: the shop's
    settings (default: as stored now)."""
    actor = _require_app(actor)
    if kind not in REWARD_KINDS:
        raise StoreCreditError(
            "App rewards are app or cashback credit.",
            code=StoreCreditErrorCode.NOT_ALLOWED_FOR_KIND,
            field="kind",
        )
    customer = require_customer(customer)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    if settings is None:
        from .config import get_settings  # reads Saleor's plugin configuration

        settings = get_settings()
    key = keys.for_caller(actor, idempotency_key)
    if settings.needs_approval(amount, currency) and not _booked(
        customer, currency, key
    ):
        raise StoreCreditError(
            "This reward is above the shop's approval threshold; ask the shop "
            "to adjust the credit instead.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field="amount",
        )
    if expires_at is None:
        expires_at = settings.expiry_for(kind)
    return ledger.credit(
        customer,
        amount,
        currency,
        idempotency_key=key,
        kind=kind,
        reason=Reason.APP_REWARD,
        expires_at=expires_at,
        customer_note=customer_note,
        actor=actor,
        provenance=ledger.Provenance(LotSource.APP, str(actor.app_id)),
    )


def take_back(
    entry, *, idempotency_key, actor: Actor, customer_note: str = ""
) -> StoreCreditEntry:
    """Reverse a reward the app gave, once per key, while it is unspent."""
    actor = _require_app(actor)
    entry_id = validate_id(entry, "entry", StoreCreditErrorCode.NOT_FOUND)
    original = StoreCreditEntry.objects.filter(pk=entry_id).first()
    if original is None:
        raise NotFound("Transaction not found.", field="entry")
    if original.kind != EntryKind.CREDIT or original.reason != Reason.APP_REWARD:
        raise StoreCreditError(
            "Only app rewards can be taken back this way.",
            code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
            field="entry",
        )
    if original.actor_type != ActorType.APP or original.actor_app_id != actor.app_id:
        raise StoreCreditError(
            "Only the app that gave this reward can take it back.",
            code=StoreCreditErrorCode.PERMISSION_DENIED,
            field="entry",
        )
    return ledger.reverse(
        original,
        idempotency_key=keys.for_caller(actor, idempotency_key),
        customer_note=customer_note,
        actor=actor,
    )


def require_customer(user, field: str = "user"):
    """An active customer; staff and inactive accounts get no rewards."""
    if (
        user is None
        or getattr(user, "is_staff", False)
        or not getattr(user, "is_active", True)
    ):
        raise NotFound("Customer not found.", field=field)
    return user


def customer_by_email(email):
    """The active customer (never staff) with this email, matched exactly when
    emails differ only in case."""
    email = validate_text(
        email, "email", max_length=MAX_EMAIL_LENGTH, required=True
    ).strip()
    candidates = list(
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True, is_staff=False)
        .order_by("pk")[:2]
    )
    exact = [user for user in candidates if user.email == email]
    if exact:
        return exact[0]
    if len(candidates) == 1:
        return candidates[0]
    raise NotFound("Customer not found.", field="email")


def _require_app(actor: Actor) -> Actor:
    if not isinstance(actor, Actor) or actor.type != ActorType.APP:
        raise StoreCreditError(
            "Only apps give app rewards.",
            code=StoreCreditErrorCode.PERMISSION_DENIED,
        )
    return actor


def _booked(customer, currency: str, key) -> bool:
    """A reward the ledger already booked under this key (before the threshold
    was set or lowered) stays the ledger's to replay."""
    return StoreCreditEntry.objects.filter(
        account__user_id=customer.pk, account__currency=currency, idempotency_key=key
    ).exists()
