"""Staff adjustments, and the large ones that wait for a second staff member.

`adjust` is every road by which staff or apps credit or deduct a customer's
credit by hand. Above the shop's `approval_threshold` for the currency nothing
moves: the whole request is kept as a pending approval (maker-checker), and a
retry with the same key returns it. Another staff member - not the maker, not
the customer - approves it, and the adjustment runs once, under a key derived
from the approval (keys.approval), with the approver as its actor; or rejects
it, and nothing moves. The maker may cancel their own request.

An approval is locked before its customer's account (lock_objects.py); nothing
locks them the other way round.

No Saleor imports: the core suite runs all of it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import ledger
from .actors import NO_REFERENCE, Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import IdempotencyConflict, NotFound, StoreCreditError
from .ledger import keys
from .ledger.requests import check_request
from .ledger.rules import require_given_kind
from .ledger.validation import (
    ExpiresAfter,
    fingerprint,
    require_not_own_account,
    validate_actor,
    validate_expiry,
    validate_id,
    validate_text,
)
from .lock_objects import approval_qs_select_for_update
from .models import (
    ActorType,
    ApprovalStatus,
    Reason,
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditEntry,
)

# Who asks for adjustments the threshold applies to: people and integrations.
# Code calling the ledger itself (imports, the gateway) acts as the system.
_MAKERS = (ActorType.STAFF, ActorType.APP)


@dataclass(frozen=True)
class AdjustResult:
    """What an adjustment did: the entry it wrote, or the approval it waits for
    (with its entry once approved)."""

    entry: StoreCreditEntry | None
    approval: StoreCreditAdjustmentApproval | None = None


def adjust(
    customer,
    amount,
    currency: str,
    *,
    idempotency_key,
    reason: str = Reason.ADJUSTMENT,
    kind: str,
    expires_at: "datetime | ExpiresAfter | None" = None,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor,
    settings=None,
) -> AdjustResult:
    """Credit (amount > 0) or deduct (amount < 0) by hand, or ask for approval.

    `settings`: the shop's settings (default: as stored now)."""
    r = check_request(
        "adjust",
        owner=customer,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        actor=actor,
        reason=reason,
        reference=NO_REFERENCE,
        customer_note=customer_note,
        internal_note=internal_note,
        kind=kind,
        expires_at=expires_at,
        allow_negative=True,
    )
    if isinstance(r.owner, StoreCreditAccount):
        raise NotFound("Customer not found.", field="user")
    require_not_own_account(r.actor, r.owner.pk)
    if r.amount > 0:
        require_given_kind(r.kind)
    adjust_kwargs = {
        "idempotency_key": r.key,
        "reason": r.reason,
        "kind": r.kind,
        "expires_at": expires_at,
        "customer_note": r.customer_note,
        "internal_note": r.internal_note,
        "actor": r.actor,
    }
    if r.actor.type in _MAKERS:
        request_hash = fingerprint(
            "adjustment-approval",
            amount=r.amount,
            currency=r.currency,
            reason=r.reason,
            kind=r.kind,
            expires_at=validate_expiry(expires_at),
            customer_note=r.customer_note,
            internal_note=r.internal_note,
        )
        earlier = _approval_for_key(r.owner.pk, r.currency, r.key)
        if earlier is not None:
            return AdjustResult(earlier.entry, _same_request(earlier, request_hash))
        if settings is None:
            from .config import get_settings  # reads Saleor's plugin configuration

            settings = get_settings()
        if settings.needs_approval(r.amount, r.currency) and not _ledger_has_key(
            r.owner.pk, r.currency, r.key
        ):
            if r.amount < 0 and expires_at is not None:
                raise StoreCreditError(
                    "Only credit can have an expiry.",
                    code=StoreCreditErrorCode.INVALID_EXPIRY,
                    field="expires_at",
                )
            return AdjustResult(None, _create_approval(r, expires_at, request_hash))
    return AdjustResult(
        ledger.adjust(r.owner, r.amount, r.currency, **adjust_kwargs), None
    )


def _approval_for_key(user_id, currency, key):
    return (
        StoreCreditAdjustmentApproval.objects.filter(
            user_id=user_id, currency=currency, idempotency_key=key
        )
        .select_related("entry")
        .first()
    )


def _ledger_has_key(user_id, currency, key) -> bool:
    """A request the ledger already booked under this key (made below the
    threshold, or before it was set) stays the ledger's to replay."""
    return StoreCreditEntry.objects.filter(
        account__user_id=user_id, account__currency=currency, idempotency_key=key
    ).exists()


def _same_request(approval, request_hash: str):
    if approval.request_hash != request_hash:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different operation.",
            field="idempotency_key",
        )
    return approval


def _create_approval(r, expires_at, request_hash) -> StoreCreditAdjustmentApproval:
    approval = StoreCreditAdjustmentApproval(
        user_id=r.owner.pk,
        currency=r.currency,
        amount=r.amount,
        reason=r.reason,
        lot_kind=r.kind,
        expires_at=None if isinstance(expires_at, ExpiresAfter) else expires_at,
        expires_after_days=(
            expires_at.days if isinstance(expires_at, ExpiresAfter) else None
        ),
        customer_note=r.customer_note,
        internal_note=r.internal_note,
        idempotency_key=r.key,
        request_hash=request_hash,
        **r.actor.as_fields(),
    )
    try:
        with transaction.atomic():
            approval.save()
    except IntegrityError:
        # The same request at the same moment, or a customer deleted meanwhile.
        earlier = _approval_for_key(r.owner.pk, r.currency, r.key)
        if earlier is None:
            raise NotFound("Customer not found.", field="user") from None
        return _same_request(earlier, request_hash)
    return approval


# --- deciding ------------------------------------------------------------------


def approve(approval, *, actor: Actor, note: str | None = None):
    """A second staff member lets the adjustment run: exactly once, as theirs."""
    approval_id, actor, note = _checked(approval, actor, note)
    if actor.type != ActorType.STAFF:
        raise StoreCreditError(
            "Only a staff member can approve an adjustment.",
            code=StoreCreditErrorCode.PERMISSION_DENIED,
            field="id",
        )
    with transaction.atomic():
        locked = _lock(approval_id)
        if locked.status == ApprovalStatus.APPROVED and _decided_by(locked, actor):
            return locked  # a retry of the same decision
        _require_pending(locked)
        if _is_maker(locked, actor):
            raise StoreCreditError(
                "You asked for this adjustment; another staff member must approve it.",
                code=StoreCreditErrorCode.APPROVAL_BY_REQUESTER,
                field="id",
            )
        require_not_own_account(actor, locked.user_id, field="id")
        if locked.user is None:
            raise NotFound("The customer no longer exists.", field="id")
        expires_at = locked.expires_at
        if locked.expires_after_days:
            expires_at = ExpiresAfter(locked.expires_after_days)
        entry = ledger.adjust(
            locked.user,
            locked.amount,
            locked.currency,
            idempotency_key=keys.approval(locked.pk),
            reason=locked.reason,
            kind=locked.lot_kind,
            expires_at=expires_at,
            customer_note=locked.customer_note,
            internal_note=locked.internal_note,
            actor=actor,
        )
        locked.entry = entry
        _decide(locked, ApprovalStatus.APPROVED, actor, note)
    return locked


def reject(approval, *, actor: Actor, note: str | None = None):
    """Nothing moves. The maker withdrawing their own request cancels it."""
    approval_id, actor, note = _checked(approval, actor, note)
    with transaction.atomic():
        locked = _lock(approval_id)
        maker = _is_maker(locked, actor)
        status = ApprovalStatus.CANCELED if maker else ApprovalStatus.REJECTED
        if locked.status == status and _decided_by(locked, actor):
            return locked
        _require_pending(locked)
        if not maker and actor.type != ActorType.STAFF:
            raise StoreCreditError(
                "Only a staff member can reject an adjustment.",
                code=StoreCreditErrorCode.PERMISSION_DENIED,
                field="id",
            )
        require_not_own_account(actor, locked.user_id, field="id")
        _decide(locked, status, actor, note)
    return locked


def _checked(approval, actor, note):
    approval_id = validate_id(approval, "id", StoreCreditErrorCode.APPROVAL_NOT_FOUND)
    actor = validate_actor(actor)
    note = validate_text(note, "note").strip()
    return approval_id, actor, note


def _lock(approval_id: int) -> StoreCreditAdjustmentApproval:
    locked = (
        approval_qs_select_for_update()
        .select_related("user", "entry")
        .filter(pk=approval_id)
        .first()
    )
    if locked is None:
        raise NotFound(
            "Approval not found.",
            code=StoreCreditErrorCode.APPROVAL_NOT_FOUND,
            field="id",
        )
    return locked


def _require_pending(approval) -> None:
    if not approval.is_pending:
        raise StoreCreditError(
            f"This adjustment was already {approval.status}.",
            code=StoreCreditErrorCode.APPROVAL_NOT_PENDING,
            field="id",
        )


def _is_maker(approval, actor: Actor) -> bool:
    return (approval.actor_type, approval.actor_user_id, approval.actor_app_id) == (
        actor.type,
        actor.user_id,
        actor.app_id,
    )


def _decided_by(approval, actor: Actor) -> bool:
    if actor.type == ActorType.STAFF:
        return approval.decided_by_user_id == actor.user_id
    return _is_maker(approval, actor)


def _decide(approval, status: str, actor: Actor, note: str) -> None:
    approval.status = status
    approval.decided_by_user_id = actor.user_id
    approval.decision_note = note
    approval.decided_at = timezone.now()
    approval.save(
        update_fields=[
            "status",
            "entry",
            "decided_by_user_id",
            "decision_note",
            "decided_at",
            "updated_at",
        ]
    )
