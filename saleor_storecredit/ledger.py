"""The ledger service: the only code that changes balances.

Every function validates its input before opening a transaction, then locks the
account row(s) (lock_objects.py has the order), replays a repeated idempotency
key instead of writing again, and appends entries. Callers (the gateway,
GraphQL, tasks, commands) never touch balance columns.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Subquery, Sum
from django.utils import timezone

from .actors import NO_REFERENCE, SYSTEM, Actor, Reference
from .error_codes import StoreCreditErrorCode
from .exceptions import (
    AccountOnHold,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    StoreCreditError,
)
from .lock_objects import account_qs_select_for_update, hold_qs_select_for_update
from .models import (
    AccountStatus,
    EntryKind,
    HoldStatus,
    LotKind,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
)
from .money import MAX_BALANCE, validate_amount, validate_currency

logger = logging.getLogger("saleor_storecredit.ledger")

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class TransferResult:
    debit: StoreCreditEntry
    credit: StoreCreditEntry


# --- input checks (before any transaction) -----------------------------------


def _validate_key(key) -> str:
    if (
        not isinstance(key, str)
        or not key.strip()
        or len(key) > MAX_KEY_LENGTH
        or "\x00" in key
    ):
        raise StoreCreditError(
            f"Idempotency key must be 1 to {MAX_KEY_LENGTH} characters.",
            code=StoreCreditErrorCode.INVALID_IDEMPOTENCY_KEY,
            field="idempotency_key",
        )
    return key


def _validate_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
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
    return expires_at


def _validate_reason(reason) -> str:
    """Reasons are open-ended (integrations add their own) but must fit the column."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 64:
        raise StoreCreditError(
            "Reason must be 1 to 64 characters.",
            code=StoreCreditErrorCode.INVALID,
            field="reason",
        )
    return reason


def _validate_lot_kind(kind) -> str:
    if kind not in LotKind.values:
        raise StoreCreditError(
            f"Unknown credit kind {kind!r}.",
            code=StoreCreditErrorCode.INVALID,
            field="kind",
        )
    return kind


def _validate_notes(customer_note, internal_note) -> tuple[str, str]:
    for field, note in (
        ("customer_note", customer_note),
        ("internal_note", internal_note),
    ):
        if note is not None and not isinstance(note, str):
            raise StoreCreditError(
                "A note must be text.", code=StoreCreditErrorCode.INVALID, field=field
            )
        if note and "\x00" in note:
            raise StoreCreditError(
                "A note cannot contain NUL characters.",
                code=StoreCreditErrorCode.INVALID,
                field=field,
            )
    return customer_note or "", internal_note or ""


def _validate_owner(owner):
    """A customer (saved user) or a StoreCreditAccount; anything else is not found."""
    if isinstance(owner, StoreCreditAccount):
        if owner.pk is None:
            raise NotFound(
                "Store-credit account not found.",
                code=StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
                field="account",
            )
        return owner
    if owner is None or not isinstance(getattr(owner, "pk", None), int):
        raise NotFound("Customer not found.", field="user")
    return owner


def _validate_id(value, field: str, code) -> int:
    """Primary keys given as objects or integers; strings and others are not found."""
    value = getattr(value, "pk", value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise NotFound("Not found.", code=code, field=field)
    return value


def _fingerprint(operation: str, **arguments) -> str:
    """Hash of what was asked, to tell a retry from a reused key."""

    def plain(value):
        if isinstance(value, Reference):
            return value.fingerprint()
        if isinstance(value, Actor):
            return [value.type, value.user_id, value.app_id]
        if value is None or isinstance(value, bool | int | str):
            return value
        return str(value)

    payload = {"op": operation, **{k: plain(v) for k, v in arguments.items()}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- locking -------------------------------------------------------------------


def _lock_account(owner, currency: str, *, create: bool = False):
    """Lock the owner's account in `currency`; create it first when asked.

    `owner` is a customer (user) or a StoreCreditAccount. Returns None when the
    customer has no account and none was to be created. The account keeps the
    customer's current email, so it still says whose it was once they are deleted.
    """
    if isinstance(owner, StoreCreditAccount):
        if owner.currency != currency:
            raise CurrencyMismatch(
                f"This store credit is in {owner.currency}, not {currency}.",
                field="currency",
            )
        return account_qs_select_for_update().get(pk=owner.pk)
    email = getattr(owner, "email", "") or ""
    qs = account_qs_select_for_update().filter(user_id=owner.pk, currency=currency)
    account = qs.first()
    if account is None and create:
        StoreCreditAccount.objects.bulk_create(
            [StoreCreditAccount(user_id=owner.pk, email=email, currency=currency)],
            ignore_conflicts=True,
        )
        account = qs.first()
    if account is not None and email and account.email != email:
        account.email = email
    return account


def _lock_hold(hold) -> tuple[StoreCreditAccount, StoreCreditHold]:
    """Lock the hold's account, then the hold (the order of lock_objects.py)."""
    hold_id = _validate_id(hold, "hold", StoreCreditErrorCode.HOLD_NOT_FOUND)
    account = (
        account_qs_select_for_update()
        .filter(
            pk=Subquery(StoreCreditHold.objects.filter(pk=hold_id).values("account_id"))
        )
        .first()
    )
    if account is None:
        raise NotFound(
            "This store-credit authorization does not exist.",
            code=StoreCreditErrorCode.HOLD_NOT_FOUND,
            field="hold",
        )
    locked = hold_qs_select_for_update().get(pk=hold_id)
    locked.account = account
    return account, locked


def _replay(account, key: str, fingerprint: str) -> StoreCreditEntry | None:
    if account is None:
        return None
    entry = (
        StoreCreditEntry.objects.filter(account=account, idempotency_key=key)
        .order_by("pk")
        .first()
    )
    if entry is not None and entry.request_hash != fingerprint:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different operation.",
            field="idempotency_key",
        )
    if entry is not None:
        entry.account = account
    return entry


# --- checks under lock --------------------------------------------------------


def _require_account(account, currency: str) -> StoreCreditAccount:
    if account is None:
        raise InsufficientFunds(f"You have no store credit in {currency}.")
    return account


def _require_spendable(account: StoreCreditAccount):
    if account.is_on_hold:
        raise AccountOnHold(
            "This store-credit account is on hold. Please contact the shop."
        )


def _require_available(account: StoreCreditAccount, amount: Decimal):
    if amount > account.available:
        raise InsufficientFunds(
            f"Not enough store credit: {account.available} {account.currency} "
            "available.",
            field="amount",
        )


def _require_room(account: StoreCreditAccount, amount: Decimal):
    if account.balance + amount > MAX_BALANCE:
        raise InvalidAmount(
            "This credit would take the balance over the maximum allowed.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field="amount",
        )


# --- writing --------------------------------------------------------------------


def _append(
    account: StoreCreditAccount,
    *,
    kind: str,
    reason: str,
    amount: Decimal,
    key: str,
    fingerprint: str,
    actor: Actor,
    reference: Reference,
    held_change: Decimal = Decimal(0),
    customer_note: str = "",
    internal_note: str = "",
    **links,
) -> StoreCreditEntry:
    account.balance += amount
    account.held += held_change
    entry = StoreCreditEntry.objects.create(
        account=account,
        kind=kind,
        reason=reason,
        amount=amount,
        held_change=held_change,
        balance_after=account.balance,
        held_after=account.held,
        idempotency_key=key,
        request_hash=fingerprint,
        customer_note=customer_note or "",
        internal_note=internal_note or "",
        **actor.as_fields(),
        **reference.as_fields(),
        **links,
    )
    logger.info(
        "storecredit entry",
        extra={
            "storecredit_account": account.pk,
            "storecredit_entry": entry.pk,
            "kind": kind,
            "reason": reason,
            "amount": str(amount),
            "held_change": str(held_change),
            "currency": account.currency,
            "reference": reference.fingerprint(),
            "actor": actor.type,
            "actor_user_id": actor.user_id,
            "actor_app_id": actor.app_id,
        },
    )
    return entry


def _save_account(account: StoreCreditAccount):
    account.save(update_fields=["balance", "held", "email", "updated_at"])


def _add_lot(account, amount, kind, expires_at) -> StoreCreditLot:
    return StoreCreditLot.objects.create(
        account=account,
        kind=kind,
        original_amount=amount,
        remaining_amount=amount,
        expires_at=expires_at,
    )


def _consume_lots(
    account: StoreCreditAccount, amount: Decimal, first_lot_id=None
) -> list[tuple[StoreCreditLot, Decimal]]:
    """Take `amount` from lots: soonest-expiring first, then oldest first."""
    lots = StoreCreditLot.objects.filter(
        account=account, remaining_amount__gt=0
    ).order_by(F("expires_at").asc(nulls_last=True), "created_at", "pk")
    ordered = list(lots.only("pk", "remaining_amount", "expires_at"))
    if first_lot_id is not None:
        ordered.sort(key=lambda lot: lot.pk != first_lot_id)
    taken = []
    left = amount
    for lot in ordered:
        if left <= 0:
            break
        take = min(lot.remaining_amount, left)
        lot.remaining_amount -= take
        StoreCreditLot.objects.filter(pk=lot.pk).update(
            remaining_amount=F("remaining_amount") - take
        )
        taken.append((lot, take))
        left -= take
    if left > 0:
        # Lots always sum to the balance; reaching this means the ledger is corrupt.
        raise RuntimeError(f"Store-credit account {account.pk} lots do not cover debit")
    return taken


def _credit_locked(
    account,
    amount,
    *,
    entry_kind,
    lot_kind,
    reason,
    expires_at,
    key,
    fingerprint,
    actor,
    reference,
    customer_note,
    internal_note,
    **links,
) -> StoreCreditEntry:
    _require_room(account, amount)
    lot = _add_lot(account, amount, lot_kind, expires_at)
    entry = _append(
        account,
        kind=entry_kind,
        reason=reason,
        amount=amount,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        lot=lot,
        **links,
    )
    _save_account(account)
    return entry


def _debit_locked(
    account, amount, *, kind, reason, key, fingerprint, actor, reference, **extra
) -> StoreCreditEntry:
    _require_available(account, amount)
    _consume_lots(account, amount)
    entry = _append(
        account,
        kind=kind,
        reason=reason,
        amount=-amount,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        reference=reference,
        **extra,
    )
    _save_account(account)
    return entry


# --- the service API ---------------------------------------------------------


def _validate_context(actor, reference):
    if not isinstance(actor, Actor):
        raise StoreCreditError(
            "Unknown actor.", code=StoreCreditErrorCode.INVALID, field="actor"
        )
    if reference is not None and not isinstance(reference, Reference):
        raise StoreCreditError(
            "Unknown reference.", code=StoreCreditErrorCode.INVALID, field="reference"
        )


def credit(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    kind: str = LotKind.STORE_CREDIT,
    reason: str = Reason.MANUAL,
    expires_at: datetime | None = None,
    reference: Reference = NO_REFERENCE,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Add credit as a new lot; creates the customer's account on first credit.

    Accounts on hold still receive credit: a hold stops spending, not receiving.
    """
    owner = _validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    key = _validate_key(idempotency_key)
    expires_at = _validate_expiry(expires_at)
    kind = _validate_lot_kind(kind)
    reason = _validate_reason(reason)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    fingerprint = _fingerprint(
        "credit",
        amount=amount,
        currency=currency,
        kind=kind,
        reason=reason,
        expires_at=expires_at,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = _lock_account(owner, currency, create=True)
        if replayed := _replay(account, key, fingerprint):
            return replayed
        return _credit_locked(
            account,
            amount,
            entry_kind=EntryKind.CREDIT,
            lot_kind=kind,
            reason=reason,
            expires_at=expires_at,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
        )


def debit(
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
) -> StoreCreditEntry:
    """Spend available credit at once (no hold). Refused while the account is on hold."""
    owner = _validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    key = _validate_key(idempotency_key)
    reason = _validate_reason(reason)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    fingerprint = _fingerprint(
        "debit",
        amount=amount,
        currency=currency,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = _lock_account(owner, currency)
        if replayed := _replay(account, key, fingerprint):
            return replayed
        account = _require_account(account, currency)
        _require_spendable(account)
        return _debit_locked(
            account,
            amount,
            kind=EntryKind.DEBIT,
            reason=reason,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
        )


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
    """Reserve credit for a later capture; the balance stays, `available` drops."""
    owner = _validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    key = _validate_key(idempotency_key)
    reason = _validate_reason(reason)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    fingerprint = _fingerprint(
        "authorize",
        amount=amount,
        currency=currency,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = _lock_account(owner, currency)
        if replayed := _replay(account, key, fingerprint):
            hold = StoreCreditHold.objects.get(pk=replayed.hold_id)
            hold.account = account
            return hold
        account = _require_account(account, currency)
        _require_spendable(account)
        _require_available(account, amount)
        hold_reference = {
            k: v for k, v in reference.as_fields().items() if k != "gift_card_id"
        }
        hold = StoreCreditHold.objects.create(
            account=account, amount=amount, reason=reason, **hold_reference
        )
        _append(
            account,
            kind=EntryKind.AUTHORIZATION,
            reason=reason,
            amount=Decimal(0),
            held_change=amount,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            hold=hold,
        )
        _save_account(account)
        return hold


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
    key = _validate_key(idempotency_key)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    with transaction.atomic():
        account, hold = _lock_hold(hold)
        if amount is not None:
            # The currency (and so the precision) is known once the hold is
            # loaded; nothing is written yet, so a refusal leaves no trace.
            amount = validate_amount(amount, account.currency)
        fingerprint = _fingerprint(
            operation,
            hold=hold.pk,
            amount=amount,
            reference=reference or NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        if replayed := _replay(account, key, fingerprint):
            return replayed
        amount = _hold_amount(hold, amount)
        reference = _hold_reference(hold, reference)
        if operation == "capture":
            _consume_lots(account, amount)
            hold.captured_amount += amount
            kind, balance_change = EntryKind.CAPTURE, -amount
        else:
            hold.released_amount += amount
            kind, balance_change = EntryKind.RELEASE, Decimal(0)
        _close_hold_if_done(hold, reference)
        entry = _append(
            account,
            kind=kind,
            reason=hold.reason,
            amount=balance_change,
            held_change=-amount,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            hold=hold,
        )
        _save_account(account)
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


def refundable_amount(account: StoreCreditAccount, reference: Reference) -> Decimal:
    """What was spent from `account` for `reference` and not yet given back.

    Spent: debits and captures. Given back: refunds and reversed debits; a
    reversed refund counts as not given back.
    """
    refund_key = reference.refund_key() if reference is not None else None
    if account is None or account.pk is None or refund_key is None:
        return Decimal(0)
    field, value = refund_key
    total = StoreCreditEntry.objects.filter(
        Q(kind__in=[EntryKind.DEBIT, EntryKind.CAPTURE, EntryKind.REFUND])
        | Q(
            kind=EntryKind.REVERSAL,
            reversed_entry__kind__in=[EntryKind.DEBIT, EntryKind.REFUND],
        ),
        account=account,
        **{field: value},
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return max(-total, Decimal(0))


def refund(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    reference: Reference,
    kind: str = LotKind.REFUND,
    reason: str = Reason.REFUND,
    expires_at: datetime | None = None,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Give back credit that was spent for `reference`, never more than was spent.

    Counted per the most specific identifier of the reference (transaction,
    payment, order, checkout). Accounts on hold still receive refunds.
    """
    owner = _validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    key = _validate_key(idempotency_key)
    expires_at = _validate_expiry(expires_at)
    kind = _validate_lot_kind(kind)
    reason = _validate_reason(reason)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    if reference is None or reference.refund_key() is None:
        raise StoreCreditError(
            "A refund needs the order, payment or transaction it refunds.",
            code=StoreCreditErrorCode.REQUIRED,
            field="reference",
        )
    fingerprint = _fingerprint(
        "refund",
        amount=amount,
        currency=currency,
        kind=kind,
        reason=reason,
        expires_at=expires_at,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = _lock_account(owner, currency)
        if replayed := _replay(account, key, fingerprint):
            return replayed
        refundable = refundable_amount(account, reference)
        if amount > refundable:
            raise StoreCreditError(
                f"At most {refundable} {currency} can be refunded to store credit "
                "for this payment.",
                code=StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
                field="amount",
            )
        return _credit_locked(
            account,
            amount,
            entry_kind=EntryKind.REFUND,
            lot_kind=kind,
            reason=reason,
            expires_at=expires_at,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
        )


def adjust(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    reason: str = Reason.ADJUSTMENT,
    kind: str = LotKind.ADJUSTMENT,
    expires_at: datetime | None = None,
    reference: Reference = NO_REFERENCE,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Staff correction: a positive amount credits, a negative one debits.

    A debit may take only available credit (never held credit, never below zero)
    and works on accounts on hold: staff correct what customers cannot spend.
    """
    owner = _validate_owner(owner)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency, allow_negative=True)
    key = _validate_key(idempotency_key)
    expires_at = _validate_expiry(expires_at)
    if amount > 0:
        return credit(
            owner,
            amount,
            currency,
            idempotency_key=key,
            kind=kind,
            reason=reason,
            expires_at=expires_at,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            actor=actor,
        )
    if expires_at is not None:
        raise StoreCreditError(
            "Only credit can have an expiry.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    reason = _validate_reason(reason)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, reference)
    fingerprint = _fingerprint(
        "adjust",
        amount=amount,
        currency=currency,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = _lock_account(owner, currency)
        if replayed := _replay(account, key, fingerprint):
            return replayed
        account = _require_account(account, currency)
        return _debit_locked(
            account,
            -amount,
            kind=EntryKind.DEBIT,
            reason=reason,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
        )


def _received_key(source_id: int, key: str) -> str:
    """The recipient's key for a transfer: derived, so it never collides with the
    recipient's own keys (keys are unique per account)."""
    digest = hashlib.sha256(f"{source_id}:{key}".encode()).hexdigest()
    return f"transfer-from:{source_id}:{digest}"


def transfer(
    sender,
    recipient,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> TransferResult:
    """Move available credit from one customer to another.

    Both accounts are locked in primary-key order, so transfers in opposite
    directions cannot deadlock. The received lot keeps the soonest expiry of the
    credit it came from, so a transfer cannot be used to dodge expiry. A sender
    on hold cannot send; a recipient on hold can receive.
    """
    sender = _validate_owner(sender)
    if recipient is None or not isinstance(getattr(recipient, "pk", None), int):
        raise NotFound(
            "Recipient not found.",
            code=StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
            field="recipient",
        )
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    key = _validate_key(idempotency_key)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, None)
    with transaction.atomic():
        source_id = _account_id(sender, currency, create=False)
        target_id = _account_id(recipient, currency, create=True)
        if source_id is None:
            raise InsufficientFunds(f"You have no store credit in {currency}.")
        if source_id == target_id:
            raise StoreCreditError(
                "Credit cannot be transferred to the same account.",
                code=StoreCreditErrorCode.SAME_ACCOUNT,
                field="recipient",
            )
        locked = {
            a.pk: a
            for a in account_qs_select_for_update().filter(
                pk__in=[source_id, target_id]
            )
        }
        source, target = locked[source_id], locked[target_id]
        fingerprint = _fingerprint(
            "transfer",
            amount=amount,
            currency=currency,
            recipient=target_id,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        received_key = _received_key(source_id, key)
        sent = _replay(source, key, fingerprint)
        received = _replay(target, received_key, fingerprint)
        if sent and received:
            return TransferResult(debit=sent, credit=received)
        if sent or received:
            raise IdempotencyConflict(
                "This idempotency key was already used for a different operation.",
                field="idempotency_key",
            )
        _require_spendable(source)
        _require_available(source, amount)
        _require_room(target, amount)
        taken = _consume_lots(source, amount)
        expiries = [lot.expires_at for lot, _ in taken if lot.expires_at]
        debit_entry = _append(
            source,
            kind=EntryKind.DEBIT,
            reason=Reason.TRANSFER,
            amount=-amount,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        _save_account(source)
        credit_entry = _credit_locked(
            target,
            amount,
            entry_kind=EntryKind.CREDIT,
            lot_kind=LotKind.TRANSFER,
            reason=Reason.TRANSFER,
            expires_at=min(expiries) if expiries else None,
            key=received_key,
            fingerprint=fingerprint,
            actor=actor,
            reference=NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        return TransferResult(debit=debit_entry, credit=credit_entry)


def _account_id(owner, currency: str, *, create: bool) -> int | None:
    """Find (or create, unlocked) an account id, so both can be locked in pk order."""
    if isinstance(owner, StoreCreditAccount):
        if owner.currency != currency:
            raise CurrencyMismatch(
                f"This store credit is in {owner.currency}, not {currency}.",
                field="currency",
            )
        return owner.pk
    qs = StoreCreditAccount.objects.filter(user_id=owner.pk, currency=currency)
    account_id = qs.values_list("pk", flat=True).first()
    if account_id is None and create:
        StoreCreditAccount.objects.bulk_create(
            [
                StoreCreditAccount(
                    user_id=owner.pk,
                    email=getattr(owner, "email", "") or "",
                    currency=currency,
                )
            ],
            ignore_conflicts=True,
        )
        account_id = qs.values_list("pk", flat=True).first()
    return account_id


def reverse(
    entry,
    *,
    idempotency_key: str,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Undo a credit, refund or debit made by mistake, once.

    Reversing credit takes it from its own lot first and needs it still available.
    A debit already partly refunded cannot be reversed (that would pay it back
    twice). Captures are given back with `refund`; transfers with a transfer back.
    """
    entry_id = _validate_id(entry, "entry", StoreCreditErrorCode.NOT_FOUND)
    key = _validate_key(idempotency_key)
    customer_note, internal_note = _validate_notes(customer_note, internal_note)
    _validate_context(actor, None)
    fingerprint = _fingerprint(
        "reverse",
        entry=entry_id,
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account = (
            account_qs_select_for_update()
            .filter(
                pk=Subquery(
                    StoreCreditEntry.objects.filter(pk=entry_id).values("account_id")
                )
            )
            .first()
        )
        if account is None:
            raise NotFound("Entry not found.", field="entry")
        original = StoreCreditEntry.objects.get(pk=entry_id)
        if replayed := _replay(account, key, fingerprint):
            return replayed
        reversible = (EntryKind.CREDIT, EntryKind.REFUND, EntryKind.DEBIT)
        if original.kind not in reversible or original.reason == Reason.TRANSFER:
            raise StoreCreditError(
                "This entry cannot be reversed.",
                code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
                field="entry",
            )
        if StoreCreditEntry.objects.filter(reversed_entry=original).exists():
            raise StoreCreditError(
                "This entry was already reversed.",
                code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
                field="entry",
            )
        reference = Reference(
            order_id=original.order_id,
            checkout_id=original.checkout_id,
            payment_id=original.payment_id,
            transaction_id=original.transaction_id,
            gift_card_id=original.gift_card_id,
        )
        amount = original.amount
        if (
            amount < 0
            and reference.refund_key() is not None
            and refundable_amount(account, reference) < -amount
        ):
            raise StoreCreditError(
                "This payment was already partly refunded; refund the rest instead.",
                code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
                field="entry",
            )
        common = dict(
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            reversed_entry=original,
        )
        if amount > 0:
            _require_available(account, amount)
            _consume_lots(account, amount, first_lot_id=original.lot_id)
            reversal = _append(
                account,
                kind=EntryKind.REVERSAL,
                reason=original.reason,
                amount=-amount,
                **common,
            )
            _save_account(account)
            return reversal
        return _credit_locked(
            account,
            -amount,
            entry_kind=EntryKind.REVERSAL,
            lot_kind=LotKind.ADJUSTMENT,
            reason=original.reason,
            expires_at=None,
            **common,
        )


def expire_due_lots(now: datetime | None = None, limit: int = 1000):
    """Expire what is left of lots past their expiry: one entry per lot.

    Credit reserved by open holds (checkouts, withdrawals) is never expired; the
    rest of such a lot expires on a later run once the hold is settled. Accounts
    locked by another worker are skipped and picked up on the next run, so
    parallel workers never expire a lot twice.
    """
    now = now or timezone.now()
    account_ids = list(
        StoreCreditLot.objects.filter(
            remaining_amount__gt=0,
            expires_at__lte=now,
            account__balance__gt=F("account__held"),
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )
    entries = []
    for account_id in account_ids:
        with transaction.atomic():
            account = (
                account_qs_select_for_update()
                .select_for_update(skip_locked=True, of=("self",))
                .filter(pk=account_id)
                .first()
            )
            if account is None:
                continue
            entries.extend(_expire_account_lots(account, now))
    return entries


def _expire_account_lots(account, now) -> list[StoreCreditEntry]:
    due = account.lots.filter(remaining_amount__gt=0, expires_at__lte=now).order_by(
        "expires_at", "created_at", "pk"
    )
    entries = []
    expirable = account.available
    for lot in due:
        take = min(lot.remaining_amount, expirable)
        if take <= 0:
            break
        key = f"expiry:{lot.pk}:{lot.remaining_amount}"
        fingerprint = _fingerprint("expire", lot=lot.pk, amount=take)
        StoreCreditLot.objects.filter(pk=lot.pk).update(
            remaining_amount=F("remaining_amount") - take
        )
        expirable -= take
        entries.append(
            _append(
                account,
                kind=EntryKind.EXPIRY,
                reason=Reason.EXPIRY,
                amount=-take,
                key=key,
                fingerprint=fingerprint,
                actor=SYSTEM,
                reference=NO_REFERENCE,
                lot=lot,
            )
        )
    if entries:
        _save_account(account)
    return entries


def get_account(user, currency: str) -> StoreCreditAccount | None:
    """Read-only lookup; no lock, no creation."""
    currency = validate_currency(currency)
    if user is None or getattr(user, "pk", None) is None:
        return None
    return StoreCreditAccount.objects.filter(user_id=user.pk, currency=currency).first()


def set_status(account: StoreCreditAccount, status: str, note: str | None = None):
    """Put an account on hold or make it active again (no money moves)."""
    if not isinstance(account, StoreCreditAccount) or account.pk is None:
        raise NotFound(
            "Store-credit account not found.",
            code=StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
            field="account",
        )
    if status not in AccountStatus.values:
        raise StoreCreditError(f"Unknown account status {status!r}.", field="status")
    if note is not None and not isinstance(note, str):
        raise StoreCreditError("A note must be text.", field="note")
    with transaction.atomic():
        locked = account_qs_select_for_update().get(pk=account.pk)
        locked.status = status
        fields = ["status", "updated_at"]
        if note is not None:
            locked.note = note
            fields.append("note")
        locked.save(update_fields=fields)
        return locked
