"""Credit, debit, refund, adjust, transfer and reverse: the ledger's operations.

Every function validates its input before opening a transaction, then locks the
account row(s) (lock_objects.py has the order), replays a repeated idempotency
key instead of writing again, and appends entries through writer.py.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from ..actors import NO_REFERENCE, SYSTEM, Actor, Reference
from ..error_codes import StoreCreditErrorCode
from ..exceptions import (
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    StoreCreditError,
)
from ..lock_objects import BY_IDS, OF_ENTRY, lock_accounts_with_entries
from ..models import (
    EntryKind,
    LotKind,
    LotSource,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
    StoreCreditLotMovement,
)
from ..money import validate_amount, validate_currency
from . import keys
from .batches import CreditRequest, checked_credit
from .locking import account_id, account_not_found, lock_account, replay
from .requests import check_request
from .rules import PAY, TRANSFER, CreditRules, Spend
from .validation import (
    fingerprint,
    require_not_own_account,
    validate_actor,
    validate_id,
    validate_notes,
    validate_owner,
)
from .writer import (
    Provenance,
    add_lot,
    append,
    change_lot,
    credit_locked,
    debit_locked,
    owed_parts,
    require_account,
    require_available,
    require_no_debt,
    require_payable,
    require_room,
    require_spendable,
    require_use_available,
    settle_debt,
    spendable,
    take_parts,
)


@dataclass(frozen=True)
class TransferResult:
    debit: StoreCreditEntry
    credit: StoreCreditEntry


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
    provenance: Provenance | None = None,
) -> StoreCreditEntry:
    """Add credit as a new lot; creates the customer's account on first credit.

    The lot records where the credit came from (`provenance`; by default the
    gift card, app or staff member the request names). Accounts on hold still
    receive credit: a hold stops spending, not receiving. What the customer
    owes back is settled from the new credit first.
    """
    c = checked_credit(
        CreditRequest(
            owner=owner,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
            kind=kind,
            reason=reason,
            expires_at=expires_at,
            reference=reference,
            customer_note=customer_note,
            internal_note=internal_note,
            actor=actor,
            provenance=provenance,
        )
    )
    owner, currency, amount, key = c.owner, c.currency, c.amount, c.key
    with transaction.atomic():
        account, prior = lock_account(owner, currency, key, create=True)
        if replayed := replay(account, prior, key, c.fingerprint):
            return replayed
        return credit_locked(
            account,
            amount,
            entry_kind=EntryKind.CREDIT,
            lot_kind=c.kind,
            reason=c.reason,
            expires_at=c.expires_at,
            key=key,
            fingerprint=c.fingerprint,
            actor=c.actor,
            reference=c.reference,
            customer_note=c.customer_note,
            internal_note=c.internal_note,
            provenance=c.provenance,
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
    rules: CreditRules | None = None,
) -> StoreCreditEntry:
    """Spend available credit at once (no hold), only of kinds that may pay
    under `rules`. Refused while the account is on hold."""
    r = check_request(
        "debit",
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
            return replayed
        account = spendable(require_account(account, r.currency))
        require_spendable(account)
        return debit_locked(
            account,
            r.amount,
            kind=EntryKind.DEBIT,
            reason=r.reason,
            key=r.key,
            fingerprint=r.fingerprint,
            actor=r.actor,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
            spend_from=Spend.for_use(rules, PAY),
        )


_PAYMENT_FIELDS = ("transaction_id", "payment_id", "order_id", "checkout_id")
_PAYMENT_KINDS = (EntryKind.DEBIT, EntryKind.CAPTURE, EntryKind.REFUND)
# Debits that name an order but pay nothing: a staff correction, credit owed
# back before 0011 (a taken-back top-up), a withdrawal or transfer.
_NOT_PAYMENTS = (
    Reason.ADJUSTMENT,
    Reason.TOP_UP,
    Reason.BONUS,
    Reason.TRANSFER,
    Reason.WITHDRAWAL,
    Reason.EXPIRY,
    Reason.CLAWBACK,
)


def payment_entries(account, reference: Reference) -> list[StoreCreditEntry]:
    """The debits, captures, refunds and their reversals of the payment
    `reference` names, whichever of its identifiers it names.

    One payment carries several identifiers (a capture has the checkout, the
    transaction item and the order): entries that share any identifier belong to
    the same payment, so refunds through each of them share one bound.
    """
    if account is None or account.pk is None or reference is None:
        return []
    known = {field: set() for field in _PAYMENT_FIELDS}
    for field in _PAYMENT_FIELDS:
        if (value := getattr(reference, field)) is not None:
            known[field].add(value)
    found: dict[int, StoreCreditEntry] = {}
    while True:
        named = Q()
        for field, values in known.items():
            if values:
                named |= Q(**{f"{field}__in": values})
        if not named:
            return []
        entries = (
            StoreCreditEntry.objects.filter(
                Q(kind__in=_PAYMENT_KINDS)
                | Q(
                    kind=EntryKind.REVERSAL,
                    reversed_entry__kind__in=[EntryKind.DEBIT, EntryKind.REFUND],
                ),
                named,
                account=account,
            )
            .exclude(pk__in=found)
            .exclude(kind=EntryKind.DEBIT, reason__in=_NOT_PAYMENTS)
            .exclude(
                kind=EntryKind.REVERSAL,
                reversed_entry__kind=EntryKind.DEBIT,
                reason__in=_NOT_PAYMENTS,
            )
        )
        grew = False
        for entry in entries:
            found[entry.pk] = entry
            for field in _PAYMENT_FIELDS:
                value = getattr(entry, field)
                if value is not None and value not in known[field]:
                    known[field].add(value)
                    grew = True
        if not grew:
            return list(found.values())


def refundable_amount(account, reference: Reference) -> Decimal:
    """What was spent from `account` for the payment `reference` names and not
    yet given back (refunds and reversed debits; a reversed refund counts as not
    given back)."""
    total = sum(
        (entry.amount for entry in payment_entries(account, reference)), Decimal(0)
    )
    return max(-total, Decimal(0))


def refund(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    reference: Reference,
    reason: str = Reason.REFUND,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Give back credit that was spent for a payment, never more than was spent.

    The credit goes back into the lots the payment took, so it keeps their
    kind, expiry and source: a bonus comes back as bonus, expiring when it
    did (credit past its expiry by then expires at once). A partial refund
    gives back the lots in the order they were spent. The bound belongs to
    the payment: refunds naming any of its identifiers (transaction, payment,
    order, checkout) share it. Accounts on hold still receive refunds.
    """
    r = check_request(
        "refund",
        owner=owner,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        actor=actor,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        # Fingerprinted as before 0011 (when a refund was a new lot of this
        # kind), so a retry of an older refund is still a retry.
        kind=LotKind.REFUND,
        expires_at=None,
    )
    if r.reference.refund_key() is None:
        raise StoreCreditError(
            "A refund needs the order, payment or transaction it refunds.",
            code=StoreCreditErrorCode.REQUIRED,
            field="reference",
        )
    with transaction.atomic():
        account, prior = lock_account(r.owner, r.currency, r.key)
        if replayed := replay(account, prior, r.key, r.fingerprint):
            return replayed
        entries = payment_entries(account, r.reference)
        refundable = max(-sum((e.amount for e in entries), Decimal(0)), Decimal(0))
        if r.amount > refundable:
            raise StoreCreditError(
                f"At most {refundable} {r.currency} can be refunded to store credit "
                "for this payment.",
                code=StoreCreditErrorCode.REFUND_EXCEEDS_CAPTURED,
                field="amount",
            )
        require_not_own_account(r.actor, account.user_id)
        require_room(account, r.amount)
        movements = take_parts(spent_lots(entries), r.amount)
        if sum((part for _, part in movements), Decimal(0)) != r.amount:
            # The payment's entries always name the lots they took.
            raise RuntimeError(f"Payment lots of account {account.pk} do not cover it")
        for lot, part in movements:
            change_lot(lot, part)
        entry = append(
            account,
            kind=EntryKind.REFUND,
            reason=r.reason,
            amount=r.amount,
            key=r.key,
            fingerprint=r.fingerprint,
            actor=r.actor,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
            movements=movements,
            lot=movements[0][0],
        )
        account.has_due_lots = True
        spendable(account)
        settle_debt(account)
        return entry


def spent_lots(entries) -> list:
    """(lot, amount) the entries took and did not give back, per lot, in the
    order they were taken."""
    net: dict[int, Decimal] = {}
    first: dict[int, int] = {}
    for lot_id, amount, pk in StoreCreditLotMovement.objects.filter(
        entry__in=[e.pk for e in entries]
    ).values_list("lot_id", "amount", "pk"):
        net[lot_id] = net.get(lot_id, Decimal(0)) - amount
        if amount < 0:
            first[lot_id] = min(first.get(lot_id, pk), pk)
    lots = StoreCreditLot.objects.in_bulk(
        [lot for lot, part in net.items() if part > 0]
    )
    return [
        (lots[lot_id], net[lot_id])
        for lot_id in sorted(lots, key=lambda lot_id: first.get(lot_id, 0))
    ]


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
    r = check_request(
        "adjust",
        owner=owner,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        actor=actor,
        reason=reason,
        reference=reference,
        customer_note=customer_note,
        internal_note=internal_note,
        allow_negative=True,
    )
    if r.amount > 0:
        return credit(
            r.owner,
            r.amount,
            r.currency,
            idempotency_key=r.key,
            kind=kind,
            reason=r.reason,
            expires_at=expires_at,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
            actor=r.actor,
        )
    if expires_at is not None:
        raise StoreCreditError(
            "Only credit can have an expiry.",
            code=StoreCreditErrorCode.INVALID_EXPIRY,
            field="expires_at",
        )
    with transaction.atomic():
        account, prior = lock_account(r.owner, r.currency, r.key)
        if replayed := replay(account, prior, r.key, r.fingerprint):
            return replayed
        account = spendable(require_account(account, r.currency))
        return debit_locked(
            account,
            -r.amount,
            kind=EntryKind.DEBIT,
            reason=r.reason,
            key=r.key,
            fingerprint=r.fingerprint,
            actor=r.actor,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
        )


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
    rules: CreditRules | None = None,
) -> TransferResult:
    """Move available credit from one customer to another.

    Only kinds `rules` let be sent leave, in the spending order. Each lot taken
    arrives as a lot of its own with the same kind, expiry and cash backing
    (its source names the sender's lot), so a transfer neither dodges expiry
    nor turns a bonus into cash. Both accounts are locked in primary-key
    order, so transfers in opposite directions cannot deadlock. A sender on
    hold, refused by staff or owing credit back cannot send; a recipient on
    hold can receive (and settles what they owe from it).
    """
    sender = validate_owner(sender)
    recipient = validate_owner(
        recipient, field="recipient", code=StoreCreditErrorCode.RECIPIENT_NOT_FOUND
    )
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    actor = validate_actor(actor)
    key = keys.stored(idempotency_key, actor)
    customer_note, internal_note = validate_notes(customer_note, internal_note)
    with transaction.atomic():
        source_id = account_id(sender, currency, create=False)
        if source_id is None:
            _require_customer(sender, "user", StoreCreditErrorCode.NOT_FOUND)
            raise InsufficientFunds(f"You have no store credit in {currency}.")
        try:
            target_id = account_id(recipient, currency, create=True)
        except NotFound:
            raise _recipient_not_found() from None
        if source_id == target_id:
            raise StoreCreditError(
                "Credit cannot be transferred to the same account.",
                code=StoreCreditErrorCode.SAME_ACCOUNT,
                field="recipient",
            )
        received_key = keys.transfer_received(source_id, key)
        found, prior = lock_accounts_with_entries(
            BY_IDS, [[source_id, target_id]], [key, received_key]
        )
        accounts = {account.pk: account for account in found}
        source, target = accounts.get(source_id), accounts.get(target_id)
        if source is None:
            raise account_not_found()
        if source.user_id is None:
            # The customer was deleted: nobody can send their credit.
            raise NotFound("Customer not found.", field="user")
        if target is None or target.user_id is None:
            # The customer was deleted: credit sent there could never be used.
            raise _recipient_not_found()
        request = fingerprint(
            "transfer",
            amount=amount,
            currency=currency,
            recipient=target_id,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        sent = replay(source, prior, key, request)
        received = replay(target, prior, received_key, request)
        if sent and received:
            return TransferResult(debit=sent, credit=received)
        if sent or received:
            raise IdempotencyConflict(
                "This idempotency key was already used for a different operation.",
                field="idempotency_key",
            )
        require_payable(spendable(source))
        require_no_debt(source)
        require_available(source, amount)
        spend = Spend.for_use(rules, TRANSFER)
        require_use_available(source, amount, spend, TRANSFER)
        require_not_own_account(actor, target.user_id)
        require_room(target, amount)
        debit_entry = append(
            source,
            kind=EntryKind.DEBIT,
            reason=Reason.TRANSFER,
            amount=-amount,
            spend=amount,
            spend_from=spend,
            key=key,
            fingerprint=request,
            actor=actor,
            reference=NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
        )
        received = []
        for lot_id, expires_at, take, kind, cash_backed in debit_entry.spent_lots:
            origin = Provenance(
                source=LotSource.TRANSFER,
                source_id=str(source.pk),
                cash_backed=cash_backed,
                origin_lot_id=lot_id,
            )
            received.append((add_lot(target, take, kind, expires_at, origin), take))
        credit_entry = append(
            target,
            kind=EntryKind.CREDIT,
            reason=Reason.TRANSFER,
            amount=amount,
            key=received_key,
            fingerprint=request,
            actor=actor,
            reference=NO_REFERENCE,
            customer_note=customer_note,
            internal_note=internal_note,
            movements=received,
            lot=received[0][0],
        )
        settle_debt(target)
        return TransferResult(debit=debit_entry, credit=credit_entry)


def _recipient_not_found() -> NotFound:
    return NotFound(
        "Recipient not found.",
        code=StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
        field="recipient",
    )


def _require_customer(owner, field: str, code) -> None:
    """A customer handed in as a user must still exist (accounts are looked up
    under their lock)."""
    if isinstance(owner, StoreCreditAccount):
        return
    if not get_user_model().objects.filter(pk=owner.pk).exists():
        raise NotFound("Customer not found.", code=code, field=field)


def reverse(
    entry,
    *,
    idempotency_key: str,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Undo a credit, refund or debit made by mistake, once.

    A reversal moves exactly the lots the original moved, with their expiry:
    reversing credit takes it back from its own lot (refused once that credit was
    spent or expired, never taken from other credit); reversing a debit puts the
    amount back into the lots it came from. A debit already partly refunded
    cannot be reversed (that would pay it back twice). Captures are given back
    with `refund`; transfers with a transfer back.
    """
    entry_id = validate_id(entry, "entry", StoreCreditErrorCode.NOT_FOUND)
    actor = validate_actor(actor)
    key = keys.stored(idempotency_key, actor)
    customer_note, internal_note = validate_notes(customer_note, internal_note)
    request = fingerprint(
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
        if replayed := replay(account, prior, key, request):
            return replayed
        _require_reversible(account, original)
        spendable(account)
        movements = []
        for movement in original.lot_movements.order_by("pk"):
            lot = StoreCreditLot.objects.get(pk=movement.lot_id)
            if lot.free_amount < movement.amount:
                raise StoreCreditError(
                    "This credit was already spent or has expired; it cannot be "
                    "reversed.",
                    code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
                    field="entry",
                )
            movements.append((lot, -movement.amount))
        if original.amount > 0:
            require_available(account, original.amount)
        else:
            require_room(account, -original.amount)
        for lot, change in movements:
            change_lot(lot, change)
        entry = append(
            account,
            kind=EntryKind.REVERSAL,
            reason=original.reason,
            amount=-original.amount,
            key=key,
            fingerprint=request,
            actor=actor,
            reference=original_reference(original),
            customer_note=customer_note,
            internal_note=internal_note,
            movements=movements,
            reversed_entry=original,
        )
        if original.amount < 0:
            account.has_due_lots = True
            spendable(account)
            settle_debt(account)
        return entry


def claw_back(
    owner,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    order_id,
    kind: str | None = None,
    reason: str = Reason.CLAWBACK,
    customer_note: str = "",
    internal_note: str = "",
    actor: Actor = SYSTEM,
) -> StoreCreditEntry:
    """Take back credit whose money went back (a refunded top-up): first from
    the lots the order created (those of `kind` first); what of those an
    open hold keeps is owed
    until the hold ends (it is settled from them then); only what the customer
    already spent is taken from other credit, paid credit first. What cannot
    be taken now is recorded as owed (`owed_change`): it blocks withdrawals
    and transfers and is settled from holds when they are released and from
    any later credit. Works on accounts on hold.
    """
    r = check_request(
        "claw_back",
        owner=owner,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        actor=actor,
        reason=reason,
        reference=Reference(order_id=order_id),
        customer_note=customer_note,
        internal_note=internal_note,
    )
    with transaction.atomic():
        account, prior = lock_account(r.owner, r.currency, r.key)
        if replayed := replay(account, prior, r.key, r.fingerprint):
            return replayed
        account = spendable(require_account(account, r.currency))
        require_not_own_account(r.actor, account.user_id)
        parts, _ = owed_parts(account, order_id, r.amount, kind)
        taken = sum((part for _, part in parts), Decimal(0))
        for lot, part in parts:
            change_lot(lot, -part)
        return append(
            account,
            kind=EntryKind.CLAWBACK,
            reason=r.reason,
            amount=-taken,
            owed_change=r.amount - taken,
            key=r.key,
            fingerprint=r.fingerprint,
            actor=r.actor,
            reference=r.reference,
            customer_note=r.customer_note,
            internal_note=r.internal_note,
            movements=[(lot, -part) for lot, part in parts],
        )


def _require_reversible(account, original: StoreCreditEntry) -> None:
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
    reference = original_reference(original)
    if (
        original.amount < 0
        and reference.refund_key() is not None
        and refundable_amount(account, reference) < -original.amount
    ):
        raise StoreCreditError(
            "This payment was already partly refunded; refund the rest instead.",
            code=StoreCreditErrorCode.ENTRY_NOT_REVERSIBLE,
            field="entry",
        )


def original_reference(entry: StoreCreditEntry) -> Reference:
    return Reference(
        order_id=entry.order_id,
        checkout_id=entry.checkout_id,
        payment_id=entry.payment_id,
        transaction_id=entry.transaction_id,
        gift_card_id=entry.gift_card_id,
    )
