"""What a caller asked for one movement: every argument checked, in one order,
and the fingerprint that tells a retry from a reused key."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..actors import NO_REFERENCE, Actor, Reference
from ..models import StoreCreditAccount
from ..money import validate_amount, validate_currency
from . import keys
from .validation import (
    expiry_date,
    fingerprint,
    require_not_own_account,
    validate_actor,
    validate_expiry,
    validate_lot_kind,
    validate_notes,
    validate_owner,
    validate_reason,
    validate_reference,
)

# Arguments an operation does not take (and so does not fingerprint).
NOT_TAKEN = object()


@dataclass(frozen=True)
class CheckedRequest:
    owner: object
    currency: str
    amount: Decimal
    actor: Actor
    key: keys.IdempotencyKey
    reason: str
    reference: Reference
    customer_note: str
    internal_note: str
    kind: str | None
    expires_at: datetime | None
    fingerprint: str
    # Credits only: where the new lot's credit came from (writer.Provenance).
    provenance: object = None


def check_request(
    operation: str,
    *,
    owner,
    amount,
    currency,
    idempotency_key,
    actor,
    reason,
    reference,
    customer_note,
    internal_note,
    kind=NOT_TAKEN,
    expires_at=NOT_TAKEN,
    allow_negative: bool = False,
) -> CheckedRequest:
    """Refuse bad input with a code before any transaction. An expiry given as a
    period is fingerprinted as the period and booked as the date it gives now."""
    owner = validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency, allow_negative=allow_negative)
    actor = validate_actor(actor)
    if not isinstance(owner, StoreCreditAccount):
        # Accounts named directly are checked under their lock (writer.py).
        require_not_own_account(actor, owner.pk)
    key = keys.stored(idempotency_key, actor)
    taken = {}
    if expires_at is not NOT_TAKEN:
        taken["expires_at"] = validate_expiry(expires_at)
    if kind is not NOT_TAKEN:
        taken["kind"] = validate_lot_kind(kind)
    reason = validate_reason(reason)
    customer_note, internal_note = validate_notes(customer_note, internal_note)
    reference = validate_reference(reference) or NO_REFERENCE
    request_hash = fingerprint(
        operation,
        amount=amount,
        currency=currency,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        **taken,
    )
    return CheckedRequest(
        owner=owner,
        currency=currency,
        amount=amount,
        actor=actor,
        key=key,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        kind=taken.get("kind"),
        expires_at=expiry_date(taken.get("expires_at")),
        fingerprint=request_hash,
    )
