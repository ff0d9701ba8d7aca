"""Authorizations: credit reserved for a payment or withdrawal, then captured or
released, in part or whole."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..actors import NO_REFERENCE, SYSTEM, Actor, Reference
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError
from ..models import (
    EntryKind,
    HoldStatus,
    Reason,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
)
from ..money import validate_amount
from . import keys
from .locking import lock_account, lock_hold, replay
from .requests import check_request
from .validation import (
    fingerprint,
    validate_actor,
    validate_notes,
    validate_reference,
)
from .writer import (
    append,
    require_account,
    require_available,
    require_spendable,
    spendable,
)

# How long a hold outlives the expiry of the credit it reserves: time to finish
# the checkout it was made for, not a way to keep expired credit alive.
HOLD_AFTER_EXPIRY = timedelta(hours=1)


def authorize(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    reason: str = Reason.PAYMENT,
    reference: Reference = NO_REFERENCE,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditHold:
    """Reserve credit for a later capture; the balance stays, `available` drops.

    The hold's deadline (`expires_at`) is HOLD_AFTER_EXPIRY past the expiry of
    the credit it keeps (see hold_deadline); a withdrawal's hold has none.
    """
    r = check_request(
        "authorize",
        owner=owner,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        actor=actor,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account, prior = lock_account(r.owner, r.currency, r.key)
        if replayed := replay(account, prior, r.key, r.fingerprint):
            hold = StoreCreditHold.objects.get(pk=replayed.hold_id)
            hold.account = account
            return hold
        account = spendable(require_account(account, r.currency))
        require_spendable(account)
        require_available(account, r.amount)
        hold_reference = {
            k: v for k, v in r.reference.as_fields().items() if k != "gift_card_id"
        }
        hold = StoreCreditHold.objects.create(
            account=account,
            amount=r.amount,
            reason=r.reason,
            expires_at=hold_deadline(account, r.amount, r.reason),
            **hold_reference,
        )
        append(
            account,
            kind=EntryKind.AUTHORIZATION,
            reason=r.reason,
            amount=Decimal(0),
            held_change=r.amount,
            key=r.key,
            fingerprint=r.fingerprint,
            actor=r.actor,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
            hold=hold,
        )
        return hold


def hold_deadline(account, amount: Decimal, reason: str):
    """When a new hold of `amount` ends at the latest: HOLD_AFTER_EXPIRY after
    the moment the account's holds, this one included, start keeping expired
    credit alive. Held credit is the credit that expires last (expiry takes
    what is not held, soonest first), so that moment is the expiry of the lot
    at which the credit expiring last, counted back, covers the holds. None when
    credit that never expires covers them, and for withdrawals (staff settle
    them; their credit expires once settled)."""
    if reason == Reason.WITHDRAWAL:
        return None
    needed = account.held + amount
    lots = (
        StoreCreditLot.objects.filter(account_id=account.pk, remaining_amount__gt=0)
        .order_by(F("expires_at").desc(nulls_first=True), "-created_at", "-pk")
        .values_list("remaining_amount", "expires_at")
    )
    for remaining, expires_at in lots.iterator():
        needed -= remaining
        if needed <= 0:
            if expires_at is None:
                return None
            return max(expires_at, timezone.now()) + HOLD_AFTER_EXPIRY
    return None


def _hold_reference(hold: StoreCreditHold, extra: Reference | None) -> Reference:
    return Reference(
        order_id=hold.order_id,
        checkout_id=hold.checkout_id,
        payment_id=hold.payment_id,
        transaction_id=hold.transaction_id,
    ).merged(extra)


def _close_hold_if_done(hold: StoreCreditHold, reference: Reference):
    if hold.remaining == 0:
        hold.status = (
            HoldStatus.CAPTURED if hold.captured_amount > 0 else HoldStatus.RELEASED
        )
    for field in ("order_id", "checkout_id", "payment_id", "transaction_id"):
        if getattr(hold, field) is None and getattr(reference, field) is not None:
            setattr(hold, field, getattr(reference, field))
    hold.save()


def _hold_amount(hold: StoreCreditHold, amount: Decimal | None) -> Decimal:
    if hold.status != HoldStatus.ACTIVE or hold.remaining <= 0:
        raise StoreCreditError(
            "This store-credit authorization is already closed.",
            code=StoreCreditErrorCode.HOLD_NOT_ACTIVE,
            field="hold",
        )
    if amount is None:
        return hold.remaining
    if amount > hold.remaining:
        raise StoreCreditError(
            f"Only {hold.remaining} {hold.account.currency} of this authorization "
            "is left.",
            code=StoreCreditErrorCode.CAPTURE_EXCEEDS_HOLD,
            field="amount",
        )
    return amount


def _settle_hold(
    operation: str,
    hold,
    amount,
    *,
    idempotency_key,
    reference,
    customer_note,
    internal_note,
    actor,
) -> StoreCreditEntry:
    """Capture or release (part of) a hold: lock account then hold, replay, write."""
    actor = validate_actor(actor)
    key = keys.stored(idempotency_key, actor)
    customer_note, internal_note = validate_notes(customer_note, internal_note)
    reference = validate_reference(reference)
    with transaction.atomic():
        account, hold, prior = lock_hold(hold, key)
        if amount is not None:
            # The currency (and so the precision) is known once the hold is
            # loaded; nothing is written yet, so a refusal leaves no trace.
            amount = validate_amount(amount, account.currency)
        request = fingerprint(
            operation,
            hold=hold.pk,
            amount=amount,
            reference=reference or NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        if replayed := replay(account, prior, key, request):
            return replayed
        amount = _hold_amount(hold, amount)
        reference = _hold_reference(hold, reference)
        if operation == "capture":
            hold.captured_amount += amount
            kind, balance_change, spend = EntryKind.CAPTURE, -amount, amount
        else:
            hold.released_amount += amount
            kind, balance_change, spend = EntryKind.RELEASE, Decimal(0), None
        _close_hold_if_done(hold, reference)
        entry = append(
            account,
            kind=kind,
            reason=hold.reason,
            amount=balance_change,
            held_change=-amount,
            key=key,
            fingerprint=request,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            spend=spend,
            hold=hold,
        )
        # Credit that expired while this hold kept it expires now that the
        # hold no longer does (what was captured is spent, not expired).
        spendable(account)
        return entry


def capture(
    hold,
    amount=None,
    *,
    idempotency_key: str,
    reference: Reference | None = None,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Take all (amount=None) or part of an authorization.

    Works on accounts on hold: the customer was allowed to spend when the
    authorization was made.
    """
    return _settle_hold(
        "capture",
        hold,
        amount,
        idempotency_key=idempotency_key,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        actor=actor,
    )


def release(
    hold,
    amount=None,
    *,
    idempotency_key: str,
    reference: Reference | None = None,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Void an authorization, or what is left of it after a partial capture."""
    return _settle_hold(
        "release",
        hold,
        amount,
        idempotency_key=idempotency_key,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        actor=actor,
    )
