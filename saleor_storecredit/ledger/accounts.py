"""Account settings staff change (status, use allowed, note), each change
recorded with who made it and when."""

from django.db import transaction

from ..actors import SYSTEM, Actor
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError
from ..lock_objects import BY_ID, lock_accounts
from ..models import (
    AccountEventType,
    AccountStatus,
    StoreCreditAccount,
    StoreCreditAccountEvent,
)
from ..money import validate_currency
from .locking import account_not_found
from .validation import (
    require_not_own_account,
    validate_actor,
    validate_id,
    validate_text,
)

UNCHANGED = object()


def get_account(user, currency: str) -> StoreCreditAccount | None:
    """Read-only lookup; no lock, no creation."""
    currency = validate_currency(currency)
    if user is None or getattr(user, "pk", None) is None:
        return None
    return StoreCreditAccount.objects.filter(user_id=user.pk, currency=currency).first()


def _show(value) -> str:
    """What an event records: a note as written, true/false, "" for None."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def update_account(
    account,
    *,
    status=UNCHANGED,
    can_use=UNCHANGED,
    note=UNCHANGED,
    actor: Actor = SYSTEM,
) -> StoreCreditAccount:
    """Put an account on hold or make it active, allow or refuse its use (None:
    the shop's rules decide), or change the staff note; no money moves.

    All changes are made together under the account's lock, and each one that
    changes something leaves an event with the old and new value. Staff cannot
    change their own account (lift their own hold, allow themselves).
    """
    account_id = validate_id(account, "account", StoreCreditErrorCode.ACCOUNT_NOT_FOUND)
    actor = validate_actor(actor)
    if status is not UNCHANGED and status not in AccountStatus.values:
        raise StoreCreditError(
            f"Unknown account status {status!r}.",
            code=StoreCreditErrorCode.INVALID,
            field="status",
        )
    if can_use is not UNCHANGED and can_use not in (None, True, False):
        raise StoreCreditError(
            "Use must be allowed, refused or left to the shop's rules.",
            code=StoreCreditErrorCode.INVALID,
            field="can_use",
        )
    if note is not UNCHANGED:
        note = validate_text(note, "note").strip()
    with transaction.atomic():
        found = lock_accounts(BY_ID, [account_id])
        if not found:
            raise account_not_found()
        (locked,) = found
        require_not_own_account(actor, locked.user_id, field="id")
        events = []
        for field, event_type, value in (
            ("status", AccountEventType.STATUS_CHANGED, status),
            ("can_use", AccountEventType.CAN_USE_CHANGED, can_use),
            ("note", AccountEventType.NOTE_CHANGED, note),
        ):
            old = getattr(locked, field)
            if value is UNCHANGED or value == old and type(value) is type(old):
                continue
            setattr(locked, field, value)
            events.append(
                StoreCreditAccountEvent(
                    account=locked,
                    type=event_type,
                    old_value=_show(old),
                    new_value=_show(value),
                    **actor.as_fields(),
                )
            )
        if events:
            locked.save(update_fields=["status", "can_use", "note", "updated_at"])
            StoreCreditAccountEvent.objects.bulk_create(events)
        return locked


def set_status(
    account, status: str, note: str | None = None, *, actor: Actor = SYSTEM
) -> StoreCreditAccount:
    """Put an account on hold or make it active again (no money moves)."""
    return update_account(
        account,
        status=status,
        note=UNCHANGED if note is None else note,
        actor=actor,
    )
