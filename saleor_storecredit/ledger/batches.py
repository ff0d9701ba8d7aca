"""Many writes in one short transaction: imports, bulk credits, expiry runs.

The same entries, lots and movements as one write at a time, with the same
checks and keys, but a handful of statements per batch instead of several per
write: every account of the batch is locked once, in primary-key order, ids are
drawn in one statement and every table gets one pipelined insert or update.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..actors import NO_REFERENCE, SYSTEM, Actor, Reference
from ..exceptions import IdempotencyConflict, NotFound, StoreCreditError
from ..lock_objects import BY_IDS, lock_accounts, lock_accounts_with_entries
from ..models import (
    EntryKind,
    LotKind,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)
from . import keys
from .requests import CheckedRequest, check_request
from .validation import fingerprint, require_not_own_account
from .writer import (
    ENTRY_FIELDS,
    Provenance,
    default_provenance,
    require_room,
    settle_debt,
    validate_provenance,
)

_LOT_FIELDS = [f for f in StoreCreditLot._meta.concrete_fields]


@dataclass(frozen=True)
class CreditRequest:
    """One credit of a batch: the arguments of `ledger.credit`."""

    owner: object
    amount: object
    currency: str
    idempotency_key: str
    kind: str = LotKind.STORE_CREDIT
    reason: str = Reason.MANUAL
    expires_at: datetime | None = None
    reference: Reference = NO_REFERENCE
    customer_note: str = ""
    internal_note: str = ""
    actor: Actor = SYSTEM
    # Where the credit came from; by default what actor and reference name.
    provenance: Provenance | None = None


@dataclass
class CreditResult:
    request: CreditRequest
    entry: StoreCreditEntry | None = None
    replayed: bool = False
    error: StoreCreditError | None = None


@dataclass
class _Batch:
    """What one transaction will write, collected in memory first."""

    now: datetime = field(default_factory=timezone.now)
    lots: list = field(default_factory=list)
    lot_changes: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    movements: list = field(default_factory=list)
    accounts: dict = field(default_factory=dict)

    def add_entry(self, account, *, amount, **values) -> StoreCreditEntry:
        account.balance += amount
        account.entry_count += 1
        account.updated_at = self.now
        self.accounts[account.pk] = account
        entry = StoreCreditEntry(
            account=account,
            amount=amount,
            held_change=Decimal(0),
            balance_after=account.balance,
            held_after=account.held,
            created_at=self.now,
            **values,
        )
        self.entries.append(entry)
        return entry

    def write(self) -> None:
        if not self.entries:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')), "
                "nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [
                    StoreCreditEntry._meta.db_table,
                    StoreCreditLot._meta.db_table,
                    len(self.entries),
                ],
            )
            ids = cursor.fetchall()
            for (entry_id, lot_id), entry in zip(ids, self.entries, strict=True):
                entry.id = entry_id
                if entry.lot is not None and entry.lot.pk is None:
                    entry.lot.id = lot_id
                    entry.lot_id = lot_id
            _copy(cursor, StoreCreditLot, _LOT_FIELDS, self.lots)
            if self.lot_changes:
                cursor.execute(
                    f"UPDATE {StoreCreditLot._meta.db_table} AS lot "
                    "SET remaining_amount = lot.remaining_amount + c.change "
                    "FROM unnest(%s::bigint[], %s::numeric[]) AS c(id, change) "
                    "WHERE lot.id = c.id",
                    [
                        [lot.pk for lot, _ in self.lot_changes],
                        [change for _, change in self.lot_changes],
                    ],
                )
            _copy(
                cursor,
                StoreCreditEntry,
                [StoreCreditEntry._meta.pk, *ENTRY_FIELDS],
                self.entries,
            )
            with cursor.cursor.copy(
                f"COPY {StoreCreditLotMovement._meta.db_table} "
                "(entry_id, lot_id, amount, held_change, expires_at) FROM STDIN"
            ) as copy:
                for entry, lot, amount in self.movements:
                    copy.write_row((entry.pk, lot.pk, amount, 0, lot.expires_at))
            accounts = list(self.accounts.values())
            cursor.execute(
                f"UPDATE {StoreCreditAccount._meta.db_table} AS a "
                "SET balance = u.balance, entry_count = u.entry_count, "
                "email = u.email, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::numeric[], %s::bigint[], %s::text[]) "
                "AS u(id, balance, entry_count, email) WHERE a.id = u.id",
                [
                    self.now,
                    [a.pk for a in accounts],
                    [a.balance for a in accounts],
                    [a.entry_count for a in accounts],
                    [a.email for a in accounts],
                ],
            )
        for entry in self.entries:
            entry._state.adding = False
            entry._state.db = connection.alias


def _copy(cursor, model, fields, objects) -> None:
    """COPY the objects' rows into the model's table (ids already drawn)."""
    if not objects:
        return
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with cursor.cursor.copy(
        f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    ) as copy:
        for obj in objects:
            copy.write_row(
                [
                    f.get_db_prep_save(getattr(obj, f.attname), connection)
                    for f in fields
                ]
            )


def checked_credit(request: CreditRequest) -> CheckedRequest:
    """A credit's arguments, validated as `ledger.credit` needs them (one place
    for single and batched credits)."""
    checked = check_request(
        "credit",
        owner=request.owner,
        amount=request.amount,
        currency=request.currency,
        idempotency_key=request.idempotency_key,
        actor=request.actor,
        reason=request.reason,
        reference=request.reference,
        customer_note=request.customer_note,
        internal_note=request.internal_note,
        kind=request.kind,
        expires_at=request.expires_at,
    )
    provenance = validate_provenance(request.provenance) or default_provenance(
        checked.actor, checked.reference
    )
    return replace(checked, provenance=provenance)


def _account_ids(checked: list[CheckedRequest]) -> dict:
    """{(user id, currency) or ("account", pk): account id}; creates the accounts
    of customers that have none (customers that do not exist stay missing)."""
    wanted = {
        (c.owner.pk, c.currency)
        for c in checked
        if not isinstance(c.owner, StoreCreditAccount)
    }
    found = {
        (user_id, currency): pk
        for pk, user_id, currency in StoreCreditAccount.objects.filter(
            user_id__in={user_id for user_id, _ in wanted}
        ).values_list("pk", "user_id", "currency")
        if (user_id, currency) in wanted
    }
    missing = wanted - set(found)
    if missing:
        existing_users = set(
            get_user_model()
            .objects.filter(pk__in={user_id for user_id, _ in missing})
            .values_list("pk", flat=True)
        )
        emails = {
            c.owner.pk: getattr(c.owner, "email", "") or ""
            for c in checked
            if not isinstance(c.owner, StoreCreditAccount)
        }
        StoreCreditAccount.objects.bulk_create(
            [
                StoreCreditAccount(
                    user_id=user_id, currency=currency, email=emails[user_id]
                )
                for user_id, currency in sorted(missing)
                if user_id in existing_users
            ],
            ignore_conflicts=True,
        )
        found.update(
            {
                (user_id, currency): pk
                for pk, user_id, currency in StoreCreditAccount.objects.filter(
                    user_id__in=existing_users
                ).values_list("pk", "user_id", "currency")
                if (user_id, currency) in missing
            }
        )
    for c in checked:
        if isinstance(c.owner, StoreCreditAccount):
            found["account", c.owner.pk] = c.owner.pk
    return found


def credit_many(requests: list[CreditRequest]) -> list[CreditResult]:
    """`ledger.credit` for each request, in one transaction.

    A request that `credit` would refuse gets its error in its result and the
    others go on; one that repeats an earlier key with the same arguments gets
    the earlier entry (`replayed`). Meant for batches of hundreds: every account
    of the batch stays locked until it commits.
    """
    results = [CreditResult(request) for request in requests]
    checked = {}
    for n, request in enumerate(requests):
        try:
            checked[n] = checked_credit(request)
        except StoreCreditError as error:
            results[n].error = error
    if not checked:
        return results
    batch = _Batch()
    with transaction.atomic():
        ids = _account_ids(list(checked.values()))
        locked, prior = lock_accounts_with_entries(
            BY_IDS,
            [sorted(set(ids.values()))],
            [c.key for c in checked.values()],
        )
        accounts = {account.pk: account for account in locked}
        written: dict[tuple[int, str], tuple[StoreCreditEntry, str]] = {}
        for n, c in checked.items():
            owner = c.owner
            account_id = ids.get(
                ("account", owner.pk)
                if isinstance(owner, StoreCreditAccount)
                else (owner.pk, c.currency)
            )
            account = accounts.get(account_id)
            try:
                if account is None:
                    raise NotFound("Customer not found.", field="user")
                if account.currency != c.currency:
                    raise StoreCreditError(
                        f"This store credit is in {account.currency}.",
                        field="currency",
                    )
                results[n].entry, results[n].replayed = _credit(
                    batch, account, c, prior, written
                )
            except StoreCreditError as error:
                results[n].error = error
        batch.write()
        for account in batch.accounts.values():
            # What the customer owes back is settled from the new credit.
            settle_debt(account)
    return results


def _credit(batch: _Batch, account, c, prior, written):
    key = c.key
    if (account.pk, key) in written:
        entry, request_hash = written[account.pk, key]
        if request_hash != c.fingerprint:
            raise IdempotencyConflict(
                "This idempotency key was already used for a different operation.",
                field="idempotency_key",
            )
        return entry, True
    if (account.pk, key) in prior:
        entry_id, request_hash = prior[account.pk, key]
        if request_hash != c.fingerprint:
            raise IdempotencyConflict(
                "This idempotency key was already used for a different operation.",
                field="idempotency_key",
            )
        return StoreCreditEntry.objects.get(pk=entry_id), True
    require_not_own_account(c.actor, account.user_id)
    require_room(account, c.amount)
    owner = c.owner
    if not isinstance(owner, StoreCreditAccount) and getattr(owner, "email", ""):
        account.email = owner.email
    p = c.provenance
    lot = StoreCreditLot(
        account=account,
        kind=c.kind,
        original_amount=c.amount,
        remaining_amount=c.amount,
        expires_at=c.expires_at,
        created_at=batch.now,
        source=p.source,
        source_id=p.source_id,
        order_id=p.order_id,
        cash_backed=p.cash_backed,
        origin_lot_id=p.origin_lot_id,
    )
    batch.lots.append(lot)
    entry = batch.add_entry(
        account,
        amount=c.amount,
        kind=EntryKind.CREDIT,
        reason=c.reason,
        lot=lot,
        idempotency_key=key,
        request_hash=c.fingerprint,
        customer_note=c.customer_note,
        internal_note=c.internal_note,
        **c.actor.as_fields(),
        **c.reference.as_fields(),
    )
    batch.movements.append((entry, lot, c.amount))
    written[account.pk, key] = (entry, c.fingerprint)
    return entry, False


# The expiry task never waits long for a row (PostgreSQL interval).
EXPIRY_LOCK_TIMEOUT = "5s"


def expire_accounts(account_ids: list[int], now: datetime) -> list[StoreCreditEntry]:
    """Book the expiry of every due lot of these accounts in one transaction;
    accounts another worker holds locked are skipped (the next run gets them).
    The part of a lot open holds reserve stays, as in `expire_lots`. Waiting longer
    than EXPIRY_LOCK_TIMEOUT for any other row is an error (the caller leaves
    the account for the next run) instead of a stalled run."""
    batch = _Batch(now=now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [EXPIRY_LOCK_TIMEOUT]
            )
        locked = lock_accounts(BY_IDS, [sorted(account_ids)], skip_locked=True)
        if not locked:
            return []
        accounts = {account.pk: account for account in locked}
        due = StoreCreditLot.objects.filter(
            account_id__in=accounts,
            remaining_amount__gt=F("held_amount"),
            expires_at__lte=now,
        ).order_by("account_id", "expires_at", "created_at", "pk")
        for lot in due:
            account = accounts[lot.account_id]
            take = lot.free_amount
            lot.remaining_amount -= take
            batch.lot_changes.append((lot, -take))
            entry = batch.add_entry(
                account,
                amount=-take,
                kind=EntryKind.EXPIRY,
                reason=Reason.EXPIRY,
                lot=lot,
                idempotency_key=keys.expiry(lot.pk, account.entry_count + 1),
                request_hash=fingerprint("expire", lot=lot.pk, amount=take),
                **SYSTEM.as_fields(),
                **NO_REFERENCE.as_fields(),
            )
            batch.movements.append((entry, lot, -take))
        batch.write()
    return batch.entries
