"""Checks of everything a caller hands the ledger, before any transaction.

Each refusal is a StoreCreditError with a code; nothing that passes here can make
the database raise (bad encodings, out-of-range ids, over-long text).
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ..actors import Actor, Reference
from ..error_codes import StoreCreditErrorCode
from ..exceptions import NotFound, StoreCreditError
from ..models import ActorType, LotKind, StoreCreditAccount

# One limit for every free text the ledger stores (notes of entries, accounts
# and withdrawals); the database checks the same limit.
MAX_TEXT_LENGTH = 1000
MAX_REASON_LENGTH = 64
# Saleor's integer ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1


def validate_text(
    value,
    field: str,
    *,
    max_length: int = MAX_TEXT_LENGTH,
    required: bool = False,
    code=StoreCreditErrorCode.INVALID,
) -> str:
    """Text that PostgreSQL stores exactly: no NUL, valid Unicode, within limits."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise StoreCreditError(f"{_label(field)} must be text.", code=code, field=field)
    if required and not value.strip():
        raise StoreCreditError(f"{_label(field)} is required.", code=code, field=field)
    if len(value) > max_length:
        raise StoreCreditError(
            f"{_label(field)} can have at most {max_length} characters.",
            code=code,
            field=field,
        )
    if "\x00" in value:
        raise StoreCreditError(
            f"{_label(field)} cannot contain NUL characters.", code=code, field=field
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreCreditError(
            f"{_label(field)} is not valid Unicode text.", code=code, field=field
        ) from None
    return value


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def validate_notes(customer_note, internal_note) -> tuple[str, str]:
    return (
        validate_text(customer_note, "customer_note"),
        validate_text(internal_note, "internal_note"),
    )


@dataclass(frozen=True)
class ExpiresAfter:
    """Expiry as a period from when the credit is booked (`expiry_days`).

    A retry of the same request asks for the same period, so it is recognised as
    the same request, though the date the period gives moves with the clock."""

    days: int

    def __str__(self):
        return f"{self.days} days after booking"

    def at(self, now: datetime) -> datetime:
        return now + timedelta(days=self.days)


def expiry_date(expires_at: "datetime | ExpiresAfter | None") -> datetime | None:
    """The date credit booked now expires: a period counts from now."""
    if isinstance(expires_at, ExpiresAfter):
        return expires_at.at(timezone.now())
    return expires_at


def validate_expiry(
    expires_at: "datetime | ExpiresAfter | None",
) -> "datetime | ExpiresAfter | None":
    """A future, zone-aware date (or a period that gives one), or None: never."""
    if expires_at is None:
        return None
    if isinstance(expires_at, ExpiresAfter):
        days = expires_at.days
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise StoreCreditError(
                "Expiry days must be a positive whole number.",
                code=StoreCreditErrorCode.INVALID_EXPIRY,
                field="expires_at",
            )
        try:
            validate_expiry(expires_at.at(timezone.now()))
        except OverflowError:
            raise StoreCreditError(
                "Expiry is too far in the future.",
                code=StoreCreditErrorCode.INVALID_EXPIRY,
                field="expires_at",
            ) from None
        return expires_at
    if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
        raise StoreCreditError(
            "Expiry must be a date and time with a time zone.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    if expires_at <= timezone.now():
        raise StoreCreditError(
            "Expiry must be in the future.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    if expires_at.year >= 9999:
        raise StoreCreditError(
            "Expiry is too far in the future.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    return expires_at


def validate_reason(reason) -> str:
    """Reasons are open-ended (integrations add their own) but must fit the column."""
    return validate_text(reason, "reason", max_length=MAX_REASON_LENGTH, required=True)


def validate_lot_kind(kind) -> str:
    if not isinstance(kind, str) or kind not in LotKind.values:
        raise StoreCreditError(
            f"Unknown credit kind {kind!r}.",
            code=StoreCreditErrorCode.INVALID,
            field="kind",
        )
    return kind


def _is_id(value) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
    )


def validate_owner(owner, field: str = "user", code=StoreCreditErrorCode.NOT_FOUND):
    """A customer (saved user) or a saved StoreCreditAccount."""
    if isinstance(owner, StoreCreditAccount):
        if not _is_id(owner.pk):
            raise NotFound(
                "Store-credit account not found.",
                code=StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
                field="account",
            )
        return owner
    if owner is None or not _is_id(getattr(owner, "pk", None)):
        raise NotFound("Customer not found.", code=code, field=field)
    return owner


def validate_id(value, field: str, code) -> int:
    """Primary keys given as objects or integers; anything else is not found."""
    value = getattr(value, "pk", value)
    if not _is_id(value):
        raise NotFound("Not found.", code=code, field=field)
    return value


def _reference_uuid(value, field: str):
    if value is None or isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= 36:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise StoreCreditError(
        f"{_label(field)} is not a valid identifier.",
        code=StoreCreditErrorCode.INVALID,
        field=field,
    )


def _reference_int(value, field: str):
    if value is None or _is_id(value):
        return value
    raise StoreCreditError(
        f"{_label(field)} is not a valid identifier.",
        code=StoreCreditErrorCode.INVALID,
        field=field,
    )


def validate_reference(reference) -> Reference | None:
    """The reference with every identifier checked (None stays None)."""
    if reference is None:
        return None
    if not isinstance(reference, Reference):
        raise StoreCreditError(
            "Unknown reference.", code=StoreCreditErrorCode.INVALID, field="reference"
        )
    return Reference(
        order_id=_reference_uuid(reference.order_id, "order_id"),
        checkout_id=_reference_uuid(reference.checkout_id, "checkout_id"),
        payment_id=_reference_int(reference.payment_id, "payment_id"),
        transaction_id=_reference_uuid(reference.transaction_id, "transaction_id"),
        gift_card_id=_reference_int(reference.gift_card_id, "gift_card_id"),
    )


def validate_actor(actor) -> Actor:
    """Who acts: staff and customers by user id, apps by app id, the system by
    neither; anything else would record an actor that does not exist."""
    valid = isinstance(actor, Actor) and (
        (
            actor.type in (ActorType.STAFF, ActorType.CUSTOMER)
            and _is_id(actor.user_id)
            and actor.app_id is None
        )
        or (
            actor.type == ActorType.APP
            and _is_id(actor.app_id)
            and actor.user_id is None
        )
        or (
            actor.type == ActorType.SYSTEM
            and actor.user_id is None
            and actor.app_id is None
        )
    )
    if not valid:
        raise StoreCreditError(
            "Unknown actor.", code=StoreCreditErrorCode.INVALID, field="actor"
        )
    return actor


def fingerprint(operation: str, **arguments) -> str:
    """Hash of what was asked, to tell a retry from a reused key."""

    def plain(value):
        if isinstance(value, Reference):
            return value.fingerprint()
        if isinstance(value, Actor):
            return [value.type, value.user_id, value.app_id]
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, ExpiresAfter):
            return {"expires_after_days": value.days}
        return str(value)

    payload = {"op": operation, **{k: plain(v) for k, v in arguments.items()}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def require_not_own_account(actor: Actor, owner_user_id, field: str = "user") -> None:
    """Staff never act as staff on credit they own: nobody grants themselves
    money, approves their own payout or lifts their own hold. As customers
    (their own checkout, withdrawal request, transfer) they act like anyone."""
    if (
        actor.type == ActorType.STAFF
        and owner_user_id is not None
        and actor.user_id == owner_user_id
    ):
        raise StoreCreditError(
            "You cannot change store credit of your own account as staff. "
            "Ask another staff member.",
            code=StoreCreditErrorCode.OWN_ACCOUNT,
            field=field,
        )
