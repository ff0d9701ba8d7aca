"""Appending entries: the one place that writes balances, lots and movements.

Appending an entry, storing the account's new balance, held amount and entry
count, and recording what the entry moved in or out of each lot is one
statement; spending also takes the amount from the account's unspent lots in
the same statement (soonest expiry first, then oldest: each lot gives what is
left of the amount after the lots before it). One round trip per write keeps
the account's lock short (see benchmarks/).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Min, Sum
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
    ActorType,
    EntryKind,
    LotSource,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)
from ..money import MAX_BALANCE
from . import keys
from .rules import ANY, DEFAULT_RULES, Spend
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
    SET balance = %(balance)s, held = %(held)s, owed = %(owed)s, email = %(email)s,
        entry_count = %(entry_count)s, updated_at = %(now)s
    WHERE id = %(account)s
), given AS (
    INSERT INTO {movement} (entry_id, lot_id, amount, held_change, expires_at)
    SELECT new_entry.id, m.lot_id, m.amount, m.held_change, m.expires_at
    FROM new_entry, unnest(
        %(m_lots)s::bigint[], %(m_amounts)s::numeric[], %(m_held)s::numeric[],
        %(m_expiries)s::timestamptz[]
    ) AS m(lot_id, amount, held_change, expires_at)
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
    SELECT id, remaining_amount - held_amount AS free,
           SUM(remaining_amount - held_amount) OVER (
               ORDER BY array_position(%(order)s::text[], kind::text) NULLS LAST,
                        expires_at ASC NULLS LAST, created_at, id
           ) - (remaining_amount - held_amount) AS before
    FROM {_LOT_TABLE}
    WHERE account_id = %(account)s AND remaining_amount > held_amount
      AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
), taken AS (
    SELECT id, LEAST(free, %(spend)s - before) AS take
    FROM ordered WHERE before < %(spend)s
), spent AS (
    UPDATE {_LOT_TABLE} AS lot SET remaining_amount = lot.remaining_amount - taken.take
    FROM taken WHERE lot.id = taken.id
    RETURNING lot.id, lot.expires_at, taken.take, lot.kind, lot.cash_backed
), {_WRITE_ENTRY}, taken_moved AS (
    INSERT INTO {_MOVEMENT_TABLE} (entry_id, lot_id, amount, held_change, expires_at)
    SELECT new_entry.id, spent.id, -spent.take, 0, spent.expires_at
    FROM new_entry, spent
)
SELECT new_entry.id, spent.id, spent.expires_at, spent.take, spent.kind,
       spent.cash_backed
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


def require_no_debt(account: StoreCreditAccount):
    """Credit owed back must be settled before any credit leaves as cash or
    for another person."""
    if account.owed > 0:
        raise StoreCreditError(
            f"{account.owed} {account.currency} of store credit is owed back to "
            "the shop; it is settled from the next credit.",
            code=StoreCreditErrorCode.CREDIT_OWED,
        )


def require_use_available(account, amount: Decimal, spend: Spend, use: str):
    """Enough credit of the kinds `spend` may take, not held, for `amount`."""
    if spend.kinds is None:
        return require_available(account, amount)
    free = free_of_kinds(account, spend.kinds)
    if amount > free:
        raise InsufficientFunds(
            f"Not enough store credit that can be {_USE_WORDS[use]}: {free} "
            f"{account.currency}.",
            field="amount",
        )


_USE_WORDS = {"pay": "spent", "withdraw": "withdrawn", "transfer": "sent"}


def free_of_kinds(account, kinds) -> Decimal:
    return StoreCreditLot.objects.filter(
        account_id=account.pk, kind__in=kinds, remaining_amount__gt=F("held_amount")
    ).aggregate(total=Sum(F("remaining_amount") - F("held_amount")))[
        "total"
    ] or Decimal(0)


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
    owed_change: Decimal = Decimal(0),
    spend: Decimal | None = None,
    spend_from: Spend = ANY,
    movements: list = (),
    **links,
) -> StoreCreditEntry:
    """Append an entry and store the account's new balance, in one statement.

    With `spend`, that much is also taken from the free (not held) part of the
    account's lots that `spend_from` allows, in its order; the entry's
    `spent_lots` then lists (lot id, expiry, amount taken, kind, cash-backed)
    for each lot touched. `movements` records changes the caller made to lots
    itself, under the lock: (lot, amount) or (lot, amount, held change).
    Staff acting on their own account are refused here, whatever road they took.
    """
    require_not_own_account(actor, account.user_id)
    now = timezone.now()
    account.balance += amount
    account.held += held_change
    account.owed += owed_change
    account.entry_count += 1
    account.updated_at = now
    values = {
        "account_id": account.pk,
        "kind": kind,
        "reason": reason,
        "amount": amount,
        "held_change": held_change,
        "owed_change": owed_change,
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
    movements = [(m[0], m[1], m[2] if len(m) > 2 else Decimal(0)) for m in movements]
    params.update(
        balance=account.balance,
        held=account.held,
        owed=account.owed,
        email=account.email,
        entry_count=account.entry_count,
        now=now,
        account=account.pk,
        spend=spend,
        kinds=list(spend_from.kinds) if spend_from.kinds is not None else None,
        order=list(spend_from.order),
        m_lots=[lot.pk for lot, _, _ in movements],
        m_amounts=[change for _, change, _ in movements],
        m_held=[held for _, _, held in movements],
        m_expiries=[lot.expires_at for lot, _, _ in movements],
    )
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL if spend is None else _SPEND_SQL, params)
        rows = cursor.fetchall()
    spent_lots = [tuple(row[1:]) for row in rows] if spend is not None else []
    if (
        spend is not None
        and sum((lot[2] for lot in spent_lots if lot[2] is not None), Decimal(0))
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


@dataclass(frozen=True)
class Provenance:
    """Where a new lot's credit came from (models.StoreCreditLot)."""

    source: str = LotSource.UNKNOWN
    source_id: str = ""
    order_id: object = None
    cash_backed: bool = False
    origin_lot_id: int | None = None


def validate_provenance(provenance):
    """A provenance handed in by code (never by a customer) must name a known
    source and fit its columns."""
    if provenance is None:
        return None
    if not isinstance(provenance, Provenance) or provenance.source not in (
        LotSource.values
    ):
        raise StoreCreditError("Unknown credit source.", field="provenance")
    if not isinstance(provenance.source_id, str) or len(provenance.source_id) > 64:
        raise StoreCreditError("Source id is too long.", field="provenance")
    return provenance


def default_provenance(actor: Actor, reference: Reference) -> Provenance:
    """What a credit request itself says of its source: the gift card it
    redeems, the app or staff member who gave it."""
    if reference.gift_card_id is not None:
        return Provenance(LotSource.GIFT_CARD, str(reference.gift_card_id))
    if actor.type == ActorType.APP:
        return Provenance(LotSource.APP, str(actor.app_id), reference.order_id)
    if actor.type == ActorType.STAFF:
        return Provenance(LotSource.STAFF, str(actor.user_id), reference.order_id)
    return Provenance(LotSource.SYSTEM, "", reference.order_id)


def add_lot(account, amount, kind, expires_at, provenance=None) -> StoreCreditLot:
    provenance = provenance or Provenance()
    return StoreCreditLot.objects.create(
        account=account,
        kind=kind,
        original_amount=amount,
        remaining_amount=amount,
        expires_at=expires_at,
        source=provenance.source,
        source_id=provenance.source_id,
        order_id=provenance.order_id,
        cash_backed=provenance.cash_backed,
        origin_lot_id=provenance.origin_lot_id,
    )


def change_lot(lot: StoreCreditLot, change: Decimal, held: Decimal = Decimal(0)):
    """Put credit back into, or take it from, one given lot, and reserve or free
    part of it (under its account's lock)."""
    lot.remaining_amount += change
    lot.held_amount += held
    StoreCreditLot.objects.filter(pk=lot.pk).update(
        remaining_amount=lot.remaining_amount, held_amount=lot.held_amount
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
    provenance: Provenance | None = None,
    **links,
) -> StoreCreditEntry:
    """A new lot holding `amount`, and the entry that put it there; then what
    the customer owes back is settled from it."""
    require_not_own_account(actor, account.user_id)
    require_room(account, amount)
    lot = add_lot(account, amount, lot_kind, expires_at, provenance)
    entry = append(
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
    settle_debt(account)
    return entry


def debit_locked(
    account,
    amount,
    *,
    kind,
    reason,
    key,
    fingerprint,
    actor,
    reference,
    spend_from: Spend = ANY,
    use: str = "pay",
    **extra,
) -> StoreCreditEntry:
    require_not_own_account(actor, account.user_id)
    require_use_available(account, amount, spend_from, use)
    return append(
        account,
        kind=kind,
        reason=reason,
        amount=-amount,
        spend=amount,
        spend_from=spend_from,
        key=key,
        fingerprint=fingerprint,
        actor=actor,
        reference=reference,
        **extra,
    )


# --- holds: which lots they reserve -------------------------------------------------


def free_lots(account, amount: Decimal, spend: Spend) -> list:
    """(lot, part) to take `amount` from the free part of the lots `spend`
    allows, in its order (under the account's lock)."""
    lots = StoreCreditLot.objects.filter(
        account_id=account.pk, remaining_amount__gt=F("held_amount")
    )
    if spend.kinds is not None:
        lots = lots.filter(kind__in=spend.kinds)
    parts, left = [], amount
    for lot in sorted(lots, key=_spending_key(spend.order)):
        if left <= 0:
            break
        part = min(lot.free_amount, left)
        parts.append((lot, part))
        left -= part
    return parts


def hold_lots(hold, order=None) -> list:
    """(lot, part) the hold reserves now, in spending order: the sum of the
    held changes its entries made to each lot."""
    reserved = (
        StoreCreditLotMovement.objects.filter(entry__hold_id=hold.pk)
        .values("lot_id")
        .annotate(part=Sum("held_change"))
        .filter(part__gt=0)
    )
    parts = {row["lot_id"]: row["part"] for row in reserved}
    lots = StoreCreditLot.objects.filter(pk__in=parts)
    return [
        (lot, parts[lot.pk])
        for lot in sorted(lots, key=_spending_key(order or DEFAULT_RULES.order))
    ]


def _spending_key(order):
    order = list(order)

    def key(lot):
        rank = order.index(lot.kind) if lot.kind in order else len(order)
        expiry = lot.expires_at.timestamp() if lot.expires_at else float("inf")
        return (rank, expiry, lot.created_at, lot.pk)

    return key


def take_parts(parts: list, amount: Decimal) -> list:
    """The first `amount` of (lot, part) pairs."""
    taken, left = [], amount
    for lot, part in parts:
        if left <= 0:
            break
        take = min(part, left)
        taken.append((lot, take))
        left -= take
    return taken


# --- debt -------------------------------------------------------------------------


def owed_parts(account, order_id, amount: Decimal, kind=None) -> tuple[list, Decimal]:
    """(lot, part) to take `amount` owed for `order_id` from now, and what
    must wait: the order's own lots first; what of them open holds keep
    waits for the holds (never taken from other credit meanwhile, which
    would leave the order's paid credit withdrawable); what was spent comes
    from other free credit, paid (cash-backed) credit first."""
    own = sorted(
        StoreCreditLot.objects.filter(
            account_id=account.pk, order_id=order_id, remaining_amount__gt=0
        ),
        key=lambda lot: (lot.kind != kind, lot.pk),
    )
    parts = take_parts([(lot, lot.free_amount) for lot in own], amount)
    left = amount - sum((part for _, part in parts), Decimal(0))
    waiting = min(left, sum((lot.held_amount for lot in own), Decimal(0)))
    left -= waiting
    if left > 0:
        chosen = {lot.pk for lot in own}
        others = [
            (lot, part)
            for lot, part in free_lots(account, account.balance, ANY)
            if lot.pk not in chosen
        ]
        others.sort(key=lambda pair: not pair[0].cash_backed)
        parts += take_parts(others, left)
    return parts, waiting


def settle_debt(account) -> list[StoreCreditEntry]:
    """Take what the customer owes back from credit now free, oldest debt
    first, one entry per order owed for (under the account's lock)."""
    if account.owed <= 0:
        return []
    spendable(account)
    entries = []
    for order_id, owed in open_debts(account):
        parts, _ = owed_parts(account, order_id, owed)
        take = sum((part for _, part in parts), Decimal(0))
        if take <= 0:
            continue
        for lot, part in parts:
            change_lot(lot, -part)
        entries.append(
            append(
                account,
                kind=EntryKind.CLAWBACK,
                reason=Reason.CLAWBACK,
                amount=-take,
                owed_change=-take,
                key=keys.debt_settled(account.pk, account.entry_count + 1),
                fingerprint=fingerprint("settle", order=order_id, amount=take),
                actor=SYSTEM,
                reference=Reference(order_id=order_id),
                customer_note="Credit owed back, settled",
                movements=[(lot, -part) for lot, part in parts],
            )
        )
    return entries


def open_debts(account) -> list:
    """(order id, amount still owed) per order, oldest first."""
    rows = (
        StoreCreditEntry.objects.filter(account_id=account.pk)
        .exclude(owed_change=0)
        .values("order_id")
        .annotate(owed=Sum("owed_change"), first=Min("pk"))
        .filter(owed__gt=0)
        .order_by("first")
    )
    return [(row["order_id"], row["owed"]) for row in rows]


def expire_lots(account, now) -> list[StoreCreditEntry]:
    """Book the expiry of what is left of the account's lots past their expiry,
    one entry per lot, oldest expiry first. The part of a lot an open hold
    reserves stays (it was promised before it expired); it expires once the
    hold is released."""
    due = account.lots.filter(
        remaining_amount__gt=F("held_amount"), expires_at__lte=now
    ).order_by("expires_at", "created_at", "pk")
    entries = []
    for lot in due:
        take = lot.free_amount
        change_lot(lot, -take)
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
