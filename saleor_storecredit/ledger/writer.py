"""Appending entries: the one place that writes balances, lots and movements.

Appending an entry, storing the account's new balance, held amount and entry
count, and recording what the entry moved in or out of each lot is one
statement; spending also takes the amount from the account's unspent lots in
the same statement (soonest expiry first, then oldest: each lot gives what is
left of the amount after the lots before it). One round trip per write keeps
the account's lock short (see benchmarks/).
"""

import logging
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ..actors import NO_REFERENCE, SYSTEM, Actor, Reference
from ..error_codes import StoreCreditErrorCode
from ..exceptions import (
    AccountOnHold,
    InsufficientFunds,
    InvalidAmount,
    StoreCreditError,
)
from ..models import (
    EntryKind,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)
from ..money import MAX_BALANCE
from . import keys
from .validation import fingerprint, require_not_own_account

logger = logging.getLogger("saleor_storecredit.ledger")

_ENTRY_TABLE = StoreCreditEntry._meta.db_table
_LOT_TABLE = StoreCreditLot._meta.db_table
_ACCOUNT_TABLE = StoreCreditAccount._meta.db_table
_MOVEMENT_TABLE = StoreCreditLotMovement._meta.db_table
ENTRY_FIELDS = [f for f in StoreCreditEntry._meta.concrete_fields if not f.primary_key]

_WRITE_ENTRY = """
new_entry AS (
    INSERT INTO {entry} ({columns}) VALUES ({values}) RETURNING id
), new_balance AS (
    UPDATE {account}
    SET balance = %(balance)s, held = %(held)s, email = %(email)s,
        entry_count = %(entry_count)s, updated_at = %(now)s
    WHERE id = %(account)s
), given AS (
    INSERT INTO {movement} (entry_id, lot_id, amount, expires_at)
    SELECT new_entry.id, m.lot_id, m.amount, m.expires_at
    FROM new_entry, unnest(
        %(m_lots)s::bigint[], %(m_amounts)s::numeric[], %(m_expiries)s::timestamptz[]
    ) AS m(lot_id, amount, expires_at)
)""".format(
    entry=_ENTRY_TABLE,
    columns=", ".join(f'"{f.column}"' for f in ENTRY_FIELDS),
    values=", ".join(f"%(e{n})s" for n in range(len(ENTRY_FIELDS))),
    account=_ACCOUNT_TABLE,
    movement=_MOVEMENT_TABLE,
)
_APPEND_SQL = f"WITH {_WRITE_ENTRY} SELECT id, NULL, NULL, NULL FROM new_entry"
_SPEND_SQL = f"""
WITH ordered AS (
    SELECT id, remaining_amount,
           SUM(remaining_amount) OVER (
               ORDER BY expires_at ASC NULLS LAST, created_at, id
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
), {_WRITE_ENTRY}, taken_moved AS (
    INSERT INTO {_MOVEMENT_TABLE} (entry_id, lot_id, amount, expires_at)
    SELECT new_entry.id, spent.id, -spent.take, spent.expires_at
    FROM new_entry, spent
)
SELECT new_entry.id, spent.id, spent.expires_at, spent.take
FROM new_entry LEFT JOIN spent ON true
"""


# --- checks under the account's lock --------------------------------------------


def require_account(account, currency: str) -> StoreCreditAccount:
    if account is None:
        raise InsufficientFunds(f"You have no store credit in {currency}.")
    return account


def require_spendable(account: StoreCreditAccount):
    if account.is_on_hold:
        raise AccountOnHold(
            "This store-credit account is on hold. Please contact the shop."
        )


def require_payable(account: StoreCreditAccount):
    """Credit leaving the shop as cash or for another person (withdrawals,
    transfers): refused while the account is on hold or staff refused its use."""
    require_spendable(account)
    if account.can_use is False:
        raise StoreCreditError(
            "This store-credit account cannot be used. Please contact the shop.",
            code=StoreCreditErrorCode.NOT_ELIGIBLE,
        )


def require_available(account: StoreCreditAccount, amount: Decimal):
    if amount > account.available:
        raise InsufficientFunds(
            f"Not enough store credit: {account.available} {account.currency} "
            "available.",
            field="amount",
        )


def require_room(account: StoreCreditAccount, amount: Decimal):
    if account.balance + amount > MAX_BALANCE:
        raise InvalidAmount(
            "This credit would take the balance over the maximum allowed.",
            code=StoreCreditErrorCode.AMOUNT_TOO_LARGE,
            field="amount",
        )


# --- writing ---------------------------------------------------------------------


def append(
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
    movements: list[tuple[StoreCreditLot, Decimal]] = (),
    **links,
) -> StoreCreditEntry:
    """Append an entry and store the account's new balance, in one statement.

    With `spend`, that much is also taken from the account's lots; the entry's
    `spent_lots` then lists (lot id, expiry, amount taken) for each lot touched.
    `movements` records changes the caller made to lots itself, under the lock.
    Staff acting on their own account are refused here, whatever road they took.
    """
    require_not_own_account(actor, account.user_id)
    now = timezone.now()
    account.balance += amount
    account.held += held_change
    account.entry_count += 1
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
    for field in ENTRY_FIELDS:
        if field.attname not in values:
            values[field.attname] = field.get_default()
    params = {
        f"e{n}": field.get_db_prep_save(values[field.attname], connection)
        for n, field in enumerate(ENTRY_FIELDS)
    }
    params.update(
        balance=account.balance,
        held=account.held,
        email=account.email,
        entry_count=account.entry_count,
        now=now,
        account=account.pk,
        spend=spend,
        m_lots=[lot.pk for lot, _ in movements],
        m_amounts=[change for _, change in movements],
        m_expiries=[lot.expires_at for lot, _ in movements],
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


def add_lot(account, amount, kind, expires_at) -> StoreCreditLot:
    return StoreCreditLot.objects.create(
        account=account,
        kind=kind,
        original_amount=amount,
        remaining_amount=amount,
        expires_at=expires_at,
    )


def change_lot(lot: StoreCreditLot, change: Decimal) -> None:
    """Put credit back into, or take it from, one given lot (under its account's lock)."""
    lot.remaining_amount += change
    StoreCreditLot.objects.filter(pk=lot.pk).update(
        remaining_amount=lot.remaining_amount
    )


def credit_locked(
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
    """A new lot holding `amount`, and the entry that put it there."""
    require_not_own_account(actor, account.user_id)
    require_room(account, amount)
    lot = add_lot(account, amount, lot_kind, expires_at)
    return append(
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
        movements=[(lot, amount)],
        lot=lot,
        **links,
    )


def debit_locked(
    account, amount, *, kind, reason, key, fingerprint, actor, reference, **extra
) -> StoreCreditEntry:
    require_not_own_account(actor, account.user_id)
    require_available(account, amount)
    return append(
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


def expire_lots(account, now) -> list[StoreCreditEntry]:
    """Book the expiry of what is left of the account's lots past their expiry,
    one entry per lot, oldest expiry first. Credit reserved by open holds stays
    (it was promised before it expired); the rest of such a lot expires once
    the hold is settled."""
    due = account.lots.filter(remaining_amount__gt=0, expires_at__lte=now).order_by(
        "expires_at", "created_at", "pk"
    )
    entries = []
    expirable = account.available
    for lot in due:
        take = min(lot.remaining_amount, expirable)
        if take <= 0:
            break
        change_lot(lot, -take)
        expirable -= take
        entries.append(
            append(
                account,
                kind=EntryKind.EXPIRY,
                reason=Reason.EXPIRY,
                amount=-take,
                key=keys.expiry(lot.pk, account.entry_count + 1),
                fingerprint=fingerprint("expire", lot=lot.pk, amount=take),
                actor=SYSTEM,
                reference=NO_REFERENCE,
                movements=[(lot, -take)],
                lot=lot,
            )
        )
    return entries


def spendable(account: StoreCreditAccount) -> StoreCreditAccount:
    """Book credit past its expiry before anything is spent, held or sent, so
    expired credit is never available, whatever the expiry task has done yet."""
    if getattr(account, "has_due_lots", False):
        expire_lots(account, timezone.now())
        account.has_due_lots = False
    return account
