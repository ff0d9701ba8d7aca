"""The ledger service: the only code that changes balances.

Every function validates its input before opening a transaction, then locks the
account row(s) (lock_objects.py has the order), replays a repeated idempotency
key instead of writing again, and appends entries. Callers (the gateway,
GraphQL, tasks, commands) never touch balance columns.

The hot path is two statements: the lock (with the idempotency lookup) and one
write that takes from the lots, appends the entry and stores the new balance.
Every check runs in Python between them, under the lock.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q, Sum
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
from .lock_objects import (
    BY_ID,
    BY_IDS,
    OF_CUSTOMER,
    OF_ENTRY,
    OF_HOLD,
    hold_qs_select_for_update,
    lock_accounts,
    lock_accounts_with_entries,
)
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
_ENTRY_TABLE = StoreCreditEntry._meta.db_table
_LOT_TABLE = StoreCreditLot._meta.db_table
_ACCOUNT_TABLE = StoreCreditAccount._meta.db_table


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


def _validate_context(actor, reference):
    if not isinstance(actor, Actor):
        raise StoreCreditError(
            "Unknown actor.", code=StoreCreditErrorCode.INVALID, field="actor"
        )
    if reference is not None and not isinstance(reference, Reference):
        raise StoreCreditError(
            "Unknown reference.", code=StoreCreditErrorCode.INVALID, field="reference"
        )


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


def _lock_account(owner, currency: str, key: str, *, create: bool = False):
    """Lock the owner's account in `currency`; create it first when asked.

    `owner` is a customer (user) or a StoreCreditAccount. Returns the account
    (None when the customer has none and none was to be created) and what an
    earlier call with `key` wrote (see _replay). The account keeps the customer's
    current email, so it still says whose it was once they are deleted.
    """
    if isinstance(owner, StoreCreditAccount):
        if owner.currency != currency:
            raise CurrencyMismatch(
                f"This store credit is in {owner.currency}, not {currency}.",
                field="currency",
            )
        found, prior = lock_accounts_with_entries(BY_ID, [owner.pk], [key])
        if not found:
            raise NotFound(
                "Store-credit account not found.",
                code=StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
                field="account",
            )
        return found[0], prior
    email = getattr(owner, "email", "") or ""
    found, prior = lock_accounts_with_entries(OF_CUSTOMER, [owner.pk, currency], [key])
    if not found and create:
        StoreCreditAccount.objects.bulk_create(
            [StoreCreditAccount(user_id=owner.pk, email=email, currency=currency)],
            ignore_conflicts=True,
        )
        found, prior = lock_accounts_with_entries(
            OF_CUSTOMER, [owner.pk, currency], [key]
        )
    account = found[0] if found else None
    if account is not None and email and account.email != email:
        account.email = email
    return account, prior


def _lock_hold(hold, key: str):
    """Lock the hold's account, then the hold (the order of lock_objects.py)."""
    hold_id = _validate_id(hold, "hold", StoreCreditErrorCode.HOLD_NOT_FOUND)
    found, prior = lock_accounts_with_entries(OF_HOLD, [hold_id], [key])
    if not found:
        raise NotFound(
            "This store-credit authorization does not exist.",
            code=StoreCreditErrorCode.HOLD_NOT_FOUND,
            field="hold",
        )
    account = found[0]
    locked = hold_qs_select_for_update().get(pk=hold_id)
    locked.account = account
    return account, locked, prior


def _replay(account, prior: dict, key: str, fingerprint: str):
    """The entry an earlier call with this key wrote, if any.

    `prior` is what was read with the account's lock; the same key with another
    request raises IdempotencyConflict.
    """
    if account is None or (account.pk, key) not in prior:
        return None
    entry_id, request_hash = prior[account.pk, key]
    if request_hash != fingerprint:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different operation.",
            field="idempotency_key",
        )
    entry = StoreCreditEntry.objects.get(pk=entry_id)
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


_ENTRY_FIELDS = [f for f in StoreCreditEntry._meta.concrete_fields if not f.primary_key]

# Appending an entry and storing the account's new balance and held amount is
# one statement; spending also takes the amount from the account's unspent lots
# in the same statement (a given lot first, then soonest expiry, then oldest:
# each lot gives what is left of the amount after the lots before it). One
# round trip per write keeps the account's lock short (see benchmarks/).
_WRITE_ENTRY = """
new_entry AS (
    INSERT INTO {entry} ({columns}) VALUES ({values}) RETURNING id
), new_balance AS (
    UPDATE {account}
    SET balance = %(balance)s, held = %(held)s, email = %(email)s,
        updated_at = %(now)s
    WHERE id = %(account)s
)""".format(
    entry=_ENTRY_TABLE,
    columns=", ".join(f'"{f.column}"' for f in _ENTRY_FIELDS),
    values=", ".join(f"%(e{n})s" for n in range(len(_ENTRY_FIELDS))),
    account=_ACCOUNT_TABLE,
)
_APPEND_SQL = f"WITH {_WRITE_ENTRY} SELECT id, NULL, NULL, NULL FROM new_entry"
_SPEND_SQL = f"""
WITH ordered AS (
    SELECT id, remaining_amount,
           SUM(remaining_amount) OVER (
               ORDER BY id IS DISTINCT FROM %(first_lot)s::bigint,
                        expires_at ASC NULLS LAST, created_at, id
           ) - remaining_amount AS before
    FROM {_LOT_TABLE}
    WHERE account_id = %(account)s AND remaining_amount > 0
), taken AS (
    SELECT id, LEAST(remaining_amount, %(spend)s - before) AS take
    FROM ordered WHERE before < %(spend)s
), spent AS (
    UPDATE {_LOT_TABLE} AS lot SET remaining_amount = lot.remaining_amount - taken.take
    FROM taken WHERE lot.id = taken.id
    RETURNING lot.id, lot.expires_at, taken.take
), {_WRITE_ENTRY}
SELECT new_entry.id, spent.id, spent.expires_at, spent.take
FROM new_entry LEFT JOIN spent ON true
"""


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
    spend: Decimal | None = None,
    first_lot_id: int | None = None,
    **links,
) -> StoreCreditEntry:
    """Append an entry and store the account's new balance, in one statement.

    With `spend`, that much is also taken from the account's lots; the entry's
    `spent_lots` then lists (lot id, expiry, amount taken) for each lot touched.
    """
    now = timezone.now()
    account.balance += amount
    account.held += held_change
    account.updated_at = now
    values = {
        "account_id": account.pk,
        "kind": kind,
        "reason": reason,
        "amount": amount,
        "held_change": held_change,
        "balance_after": account.balance,
        "held_after": account.held,
        "idempotency_key": key,
        "request_hash": fingerprint,
        "customer_note": customer_note or "",
        "internal_note": internal_note or "",
        "created_at": now,
        **actor.as_fields(),
        **reference.as_fields(),
        **{f"{name}_id": linked.pk for name, linked in links.items()},
    }
    for field in _ENTRY_FIELDS:
        if field.attname not in values:
            values[field.attname] = field.get_default()
    params = {
        f"e{n}": field.get_db_prep_save(values[field.attname], connection)
        for n, field in enumerate(_ENTRY_FIELDS)
    }
    params.update(
        balance=account.balance,
        held=account.held,
        email=account.email,
        now=now,
        account=account.pk,
        spend=spend,
        first_lot=first_lot_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL if spend is None else _SPEND_SQL, params)
        rows = cursor.fetchall()
    spent_lots = [(lot_id, expires_at, take) for _, lot_id, expires_at, take in rows]
    if (
        spend is not None
        and sum((take for _, _, take in spent_lots if take is not None), Decimal(0))
        != spend
    ):
        # Lots always sum to the balance; reaching this means the ledger is corrupt.
        raise RuntimeError(f"Store-credit account {account.pk} lots do not cover debit")
    entry = StoreCreditEntry(id=rows[0][0], **values)
    entry._state.adding = False
    entry._state.db = connection.alias
    entry.account = account
    entry.spent_lots = [lot for lot in spent_lots if lot[0] is not None]
    for name, linked in links.items():
        setattr(entry, name, linked)
    if logger.isEnabledFor(logging.INFO):
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


def _add_lot(account, amount, kind, expires_at) -> StoreCreditLot:
    return StoreCreditLot.objects.create(
        account=account,
        kind=kind,
        original_amount=amount,
        remaining_amount=amount,
        expires_at=expires_at,
    )


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
    return entry


def _debit_locked(
    account, amount, *, kind, reason, key, fingerprint, actor, reference, **extra
) -> StoreCreditEntry:
    _require_available(account, amount)
    entry = _append(
        account,
        kind=kind,
        reason=reason,
        amount=-amount,
        spend=amount,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        reference=reference,
        **extra,
    )
    return entry


# --- the service API ---------------------------------------------------------


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
        account, prior = _lock_account(owner, currency, key, create=True)
        if replayed := _replay(account, prior, key, fingerprint):
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
        account, prior = _lock_account(owner, currency, key)
        if replayed := _replay(account, prior, key, fingerprint):
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
        account, prior = _lock_account(owner, currency, key)
        if replayed := _replay(account, prior, key, fingerprint):
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
        account, hold, prior = _lock_hold(hold, key)
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
        if replayed := _replay(account, prior, key, fingerprint):
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
            spend=spend,
            hold=hold,
        )
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
        account, prior = _lock_account(owner, currency, key)
        if replayed := _replay(account, prior, key, fingerprint):
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
        account, prior = _lock_account(owner, currency, key)
        if replayed := _replay(account, prior, key, fingerprint):
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
        received_key = _received_key(source_id, key)
        found, prior = lock_accounts_with_entries(
            BY_IDS, [[source_id, target_id]], [key, received_key]
        )
        source, target = sorted(found, key=lambda a: a.pk != source_id)
        fingerprint = _fingerprint(
            "transfer",
            amount=amount,
            currency=currency,
            recipient=target_id,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        sent = _replay(source, prior, key, fingerprint)
        received = _replay(target, prior, received_key, fingerprint)
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
        debit_entry = _append(
            source,
            kind=EntryKind.DEBIT,
            reason=Reason.TRANSFER,
            amount=-amount,
            spend=amount,
            key=key,
            fingerprint=fingerprint,
            actor=actor,
            reference=NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        expiries = [expires for _, expires, _ in debit_entry.spent_lots if expires]
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
        found, prior = lock_accounts_with_entries(OF_ENTRY, [entry_id], [key])
        account = found[0] if found else None
        if account is None:
            raise NotFound("Entry not found.", field="entry")
        original = StoreCreditEntry.objects.get(pk=entry_id)
        if replayed := _replay(account, prior, key, fingerprint):
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
            return _append(
                account,
                kind=EntryKind.REVERSAL,
                reason=original.reason,
                amount=-amount,
                spend=amount,
                first_lot_id=original.lot_id,
                **common,
            )
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
            found = lock_accounts(BY_ID, [account_id], skip_locked=True)
            if not found:
                continue
            account = found[0]
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
        (locked,) = lock_accounts(BY_ID, [account.pk])
        locked.status = status
        fields = ["status", "updated_at"]
        if note is not None:
            locked.note = note
            fields.append("note")
        locked.save(update_fields=fields)
        return locked
