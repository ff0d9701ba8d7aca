"""What the gateway and other callers may read of the ledger, without locks.

Callers outside the ledger ask here instead of querying its tables, so the
meaning of "open", "paid" and "refundable" is defined once.
"""

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ..actors import Reference
from ..models import (
    EntryKind,
    HoldStatus,
    LotKind,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
    StoreCreditWithdrawal,
)
from ..money import DECIMAL_PLACES, MAX_DIGITS
from .operations import payment_entries, refundable_amount

_HOLD_FIELDS = ("order_id", "checkout_id", "payment_id", "transaction_id")


def _named(**identifiers) -> Q:
    unknown = set(identifiers) - set(_HOLD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown identifiers: {sorted(unknown)}")
    named = Q()
    for field, value in identifiers.items():
        named &= Q(**{field: value})
    return named


def account(user_id, currency: str, using: str = "default"):
    """The customer's account in `currency`, or None; `using` lets callers that
    only decide what to show (the gateway list) read a replica."""
    if user_id is None:
        return None
    return (
        StoreCreditAccount.objects.using(using)
        .filter(user_id=user_id, currency=currency)
        .first()
    )


_MONEY = DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)


def spendable_now(now=None):
    """An annotation of accounts: what each can spend now. That is `available`
    less credit past its expiry not yet booked as expired (the ledger books it
    before anything is spent, held credit excepted, see writer.expire_lots),
    so callers that plan a debit plan what the debit will find."""
    now = now or timezone.now()
    due = (
        StoreCreditLot.objects.filter(
            account_id=OuterRef("pk"),
            remaining_amount__gt=F("held_amount"),
            expires_at__lte=now,
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum(F("remaining_amount") - F("held_amount")))
        .values("total")
    )
    zero = Value(Decimal(0), output_field=_MONEY)
    return Greatest(
        F("balance") - F("held") - Coalesce(Subquery(due, output_field=_MONEY), zero),
        zero,
        output_field=_MONEY,
    )


def available_now(account: StoreCreditAccount) -> Decimal:
    """`spendable_now` of one account: what the ledger will let it spend once
    it books the expiry that is due."""
    return (
        StoreCreditAccount.objects.filter(pk=account.pk)
        .annotate(spendable=spendable_now())
        .values_list("spendable", flat=True)
        .first()
    ) or Decimal(0)


def holds(**identifiers) -> list[StoreCreditHold]:
    """Every authorization naming these identifiers, oldest first."""
    return list(
        StoreCreditHold.objects.filter(_named(**identifiers))
        .select_related("account")
        .order_by("pk")
    )


def open_holds(**identifiers) -> list[StoreCreditHold]:
    """Authorizations naming these identifiers with credit still reserved."""
    return list(
        StoreCreditHold.objects.filter(_named(**identifiers), status=HoldStatus.ACTIVE)
        .select_related("account")
        .order_by("pk")
    )


def open_transaction_holds(created_before, limit: int = 500) -> list[StoreCreditHold]:
    """Open authorizations made for a payment transaction (checkout credit)
    before `created_before`, oldest first."""
    return list(
        StoreCreditHold.objects.filter(
            status=HoldStatus.ACTIVE,
            transaction_id__isnull=False,
            created_at__lt=created_before,
        ).order_by("pk")[:limit]
    )


def overdue_hold_transactions(now):
    """The payment transactions (tokens) with an open hold past its deadline,
    as a subquery."""
    return StoreCreditHold.objects.filter(
        status=HoldStatus.ACTIVE,
        expires_at__lte=now,
        transaction_id__isnull=False,
    ).values("transaction_id")


def hold_count(**identifiers) -> int:
    return StoreCreditHold.objects.filter(_named(**identifiers)).count()


def entry_with_key(account_ids, keys) -> StoreCreditEntry | None:
    """The oldest entry written under any of `keys` (stored form) on these accounts,
    or on any account when `account_ids` is None."""
    found = StoreCreditEntry.objects.filter(idempotency_key__in=list(keys))
    if account_ids is not None:
        found = found.filter(account_id__in=list(account_ids))
    return found.select_related("account").order_by("pk").first()


def first_payment_entry(reference: Reference) -> StoreCreditEntry | None:
    """The first debit or capture of the payment `reference` names (the account
    to refund into)."""
    named = Q()
    for field in ("transaction_id", "payment_id", "order_id", "checkout_id"):
        if (value := getattr(reference, field)) is not None:
            named |= Q(**{field: value})
    if not named:
        return None
    return (
        StoreCreditEntry.objects.filter(
            named, kind__in=[EntryKind.DEBIT, EntryKind.CAPTURE]
        )
        .select_related("account")
        .order_by("pk")
        .first()
    )


def paid_total(reference: Reference) -> Decimal:
    """Credit taken for the payment (debits and captures), before refunds."""
    spent = first_payment_entry(reference)
    if spent is None:
        return Decimal(0)
    return -sum(
        (
            entry.amount
            for entry in payment_entries(spent.account, reference)
            if entry.kind in (EntryKind.DEBIT, EntryKind.CAPTURE)
        ),
        Decimal(0),
    )


def refunded_total(reference: Reference) -> Decimal:
    """Credit given back for the payment as refunds."""
    spent = first_payment_entry(reference)
    if spent is None:
        return Decimal(0)
    return sum(
        (
            entry.amount
            for entry in payment_entries(spent.account, reference)
            if entry.kind == EntryKind.REFUND
        ),
        Decimal(0),
    )


def refundable(reference: Reference) -> Decimal:
    """What may still be refunded to credit for the payment `reference` names."""
    spent = first_payment_entry(reference)
    if spent is None:
        return Decimal(0)
    return refundable_amount(spent.account, reference)


def order_money_totals(order_id) -> dict[tuple[str, str], Decimal]:
    """What the order's money gave as credit and what was taken back of it,
    by (entry kind, reason): credits given; clawbacks as taken plus owed;
    debits that took top-up credit back before 0011. One query."""
    rows = (
        StoreCreditEntry.objects.filter(
            Q(kind=EntryKind.CREDIT)
            | Q(kind=EntryKind.CLAWBACK)
            | Q(kind=EntryKind.DEBIT, reason__in=[Reason.TOP_UP, Reason.BONUS]),
            order_id=order_id,
        )
        .values_list("kind", "reason")
        .annotate(amount=Sum("amount"), owed=Sum("owed_change"))
        .order_by()
    )
    totals = {}
    for kind, reason, amount, owed in rows:
        totals[kind, reason] = amount if kind == EntryKind.CREDIT else owed - amount
    return totals


def open_holds_of(account) -> list[StoreCreditHold]:
    """The account's open authorizations, oldest first."""
    return list(
        StoreCreditHold.objects.filter(
            account_id=account.pk, status=HoldStatus.ACTIVE
        ).order_by("pk")
    )


def withdrawal_of(hold):
    """The withdrawal request a hold was made for, or None."""
    return StoreCreditWithdrawal.objects.filter(hold_id=hold.pk).first()


def order_paid_with_credit(order_id) -> bool:
    """Whether credit was ever taken or held for the order (debit, capture or
    authorization naming it), whatever was refunded since."""
    if order_id is None:
        return False
    return (
        StoreCreditEntry.objects.filter(
            order_id=order_id,
            kind__in=[EntryKind.DEBIT, EntryKind.CAPTURE, EntryKind.AUTHORIZATION],
        ).exists()
        or StoreCreditHold.objects.filter(order_id=order_id).exists()
    )


def usable(account, spend, now=None) -> Decimal:
    """What a payment, withdrawal or transfer may take of `account` now: the
    free part of the lots `spend` allows that are not past their expiry.
    Withdrawals and transfers find nothing while credit is owed back."""
    if account is None or account.pk is None:
        return Decimal(0)
    if spend.kinds is None or set(spend.kinds) >= set(LotKind.values):
        # Every kind: the account's own figure (the ledger books due expiry
        # under its lock and refuses what is then missing).
        return max(account.available, Decimal(0))
    now = now or timezone.now()
    lots = StoreCreditLot.objects.filter(
        account_id=account.pk, remaining_amount__gt=F("held_amount")
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    if spend.kinds is not None:
        lots = lots.filter(kind__in=spend.kinds)
    return lots.aggregate(total=Sum(F("remaining_amount") - F("held_amount")))[
        "total"
    ] or Decimal(0)


def usable_by_purpose(account, rules, now=None) -> dict[str, Decimal]:
    """{pay, withdraw, transfer: what can be used so now} (rules.py), in one
    query; withdraw and transfer are 0 while credit is owed back."""
    from .rules import USES

    result = {use: Decimal(0) for use in USES}
    if account is None or account.pk is None:
        return result
    now = now or timezone.now()
    free = (
        StoreCreditLot.objects.filter(
            account_id=account.pk, remaining_amount__gt=F("held_amount")
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values("kind")
        .annotate(total=Sum(F("remaining_amount") - F("held_amount")))
    )
    for row in free:
        for use in USES:
            if rules.allows(row["kind"], use):
                result[use] += row["total"]
    if account.owed > 0:
        result["withdraw"] = result["transfer"] = Decimal(0)
    return result


def owed_by_order(order_id) -> Decimal:
    """Credit still owed back for the order (clawbacks less settlements)."""
    return StoreCreditEntry.objects.filter(order_id=order_id).exclude(
        owed_change=0
    ).aggregate(total=Sum("owed_change"))["total"] or Decimal(0)
