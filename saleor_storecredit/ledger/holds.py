"""Authorizations: credit reserved for a payment or withdrawal, then captured or
released, in part or whole."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
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
)
from ..money import validate_amount
from . import keys
from .locking import lock_account, lock_hold, replay
from .requests import check_request
from .rules import ANY, PAY, Spend
from .validation import (
    fingerprint,
    validate_actor,
    validate_notes,
    validate_reference,
)
from .writer import (
    append,
    change_lot,
    free_lots,
    hold_lots,
    require_account,
    require_available,
    require_spendable,
    require_use_available,
    settle_debt,
    spendable,
    take_parts,
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
    spend_from: Spend = ANY,
    use: str = PAY,
) -> StoreCreditHold:
    """Reserve credit for a later capture; the balance stays, `available` drops.

    The hold reserves parts of lots `spend_from` allows, in its order (a
    withdrawal only withdrawable kinds); its capture takes exactly those. The
    hold's deadline (`expires_at`) is HOLD_AFTER_EXPIRY past the soonest expiry
    of the credit it keeps (see hold_deadline); a withdrawal's hold has none.
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
        require_use_available(account, r.amount, spend_from, use)
        parts = free_lots(account, r.amount, spend_from)
        hold_reference = {
            k: v for k, v in r.reference.as_fields().items() if k != "gift_card_id"
        }
        hold = StoreCreditHold.objects.create(
            account=account,
            amount=r.amount,
            reason=r.reason,
            expires_at=hold_deadline(parts, r.reason),
            **hold_reference,
        )
        for lot, part in parts:
            change_lot(lot, Decimal(0), part)
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
            movements=[(lot, Decimal(0), part) for lot, part in parts],
        )
        return hold


def hold_deadline(parts, reason: str):
    """When a hold of these lot parts ends at the latest: HOLD_AFTER_EXPIRY
    after the soonest expiry among them (from then on it would keep expired
    credit alive). None when none of them expires, and for withdrawals (staff
    settle them; their credit expires once settled)."""
    if reason == Reason.WITHDRAWAL:
        return None
    expiries = [lot.expires_at for lot, _ in parts if lot.expires_at is not None]
    if not expiries:
        return None
    return max(min(expiries), timezone.now()) + HOLD_AFTER_EXPIRY


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
        reserved = hold_lots(hold)
        if operation == "capture":
            hold.captured_amount += amount
            kind, balance_change = EntryKind.CAPTURE, -amount
            # What is captured comes from the lots the hold reserved, in
            # spending order; a release frees the rest, last ones first.
            parts = take_parts(reserved, amount)
            movements = [(lot, -part, -part) for lot, part in parts]
        else:
            hold.released_amount += amount
            kind, balance_change = EntryKind.RELEASE, Decimal(0)
            parts = take_parts(list(reversed(reserved)), amount)
            movements = [(lot, Decimal(0), -part) for lot, part in parts]
        if sum((part for _, part in parts), Decimal(0)) != amount:
            # Holds always reserve their remaining amount in lots.
            raise RuntimeError(f"Store-credit hold {hold.pk} lots do not cover it")
        for lot, change, held in movements:
            change_lot(lot, change, held)
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
            movements=movements,
            hold=hold,
        )
        # Credit that expired while this hold kept it expires now that the
        # hold no longer does (what was captured is spent, not expired); what
        # the customer owes back is settled from what it freed.
        account.has_due_lots = True
        spendable(account)
        if operation == "release":
            settle_debt(account)
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
