"""Store-credit statistics for one currency and period: what moved, and why.

Shared by the `storeCreditReport` query and the `storecredit_report` command.
Everything is computed from the append-only entries, so a report for a past
period is the same whenever it is run.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import (
    EntryKind,
    Reason,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
)
from .money import validate_currency

EXPIRING_WITHIN = timedelta(days=30)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ReasonMovement:
    """Credit added and taken for one reason within the period."""

    reason: str
    credited: Decimal
    debited: Decimal
    count: int

    @property
    def net(self) -> Decimal:
        return self.credited - self.debited


@dataclass(frozen=True)
class Report:
    currency: str
    start: datetime | None
    end: datetime
    movements: list[ReasonMovement]
    # Credit that entered accounts, transfers between customers excluded.
    issued: Decimal
    # Credit paid for orders (debits and captures), net of nothing.
    spent: Decimal
    # Credit given back for payments.
    refunded: Decimal
    expired: Decimal
    withdrawn: Decimal
    # Credit moved from one customer to another (the same amount left the sender).
    transferred: Decimal
    topped_up: Decimal
    bonus: Decimal
    opening_liability: Decimal
    closing_liability: Decimal
    accounts_with_balance: int
    expiring_soon: Decimal
    expiring_accounts: int

    @property
    def net_change(self) -> Decimal:
        return self.closing_liability - self.opening_liability


def build_report(
    currency: str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
    using: str = "default",
) -> Report:
    """Movements in [start, end] per reason, liability at both ends, and the
    credit expiring within 30 days of `now`. `start=None` means since the first
    entry; `end=None` means now."""
    currency = validate_currency(currency)
    now = now or timezone.now()
    end = end or now
    if start is not None and start > end:
        raise ValueError("The period must start before it ends.")
    entries = StoreCreditEntry.objects.using(using).filter(account__currency=currency)
    in_period = entries.filter(created_at__lte=end)
    if start is not None:
        in_period = in_period.filter(created_at__gte=start)

    movements = _movements(in_period)
    credited = {m.reason: m.credited for m in movements}
    debited = {m.reason: m.debited for m in movements}
    totals = in_period.aggregate(
        issued=Sum("amount", filter=Q(amount__gt=0) & ~Q(reason=Reason.TRANSFER)),
        spent=Sum(
            "amount",
            filter=Q(
                reason=Reason.PAYMENT, kind__in=[EntryKind.DEBIT, EntryKind.CAPTURE]
            ),
        ),
        refunded=Sum("amount", filter=Q(kind=EntryKind.REFUND)),
        expired=Sum("amount", filter=Q(kind=EntryKind.EXPIRY)),
    )
    balances_at = {"closing": Sum("amount", filter=Q(created_at__lte=end))}
    if start is not None:
        balances_at["opening"] = Sum("amount", filter=Q(created_at__lt=start))
    liability = entries.aggregate(**balances_at)

    accounts = StoreCreditAccount.objects.using(using).filter(
        currency=currency, balance__gt=0
    )
    expiring = (
        StoreCreditLot.objects.using(using)
        .filter(
            account__currency=currency,
            remaining_amount__gt=0,
            expires_at__gt=now,
            expires_at__lte=now + EXPIRING_WITHIN,
        )
        .aggregate(
            amount=Sum("remaining_amount"), accounts=Count("account_id", distinct=True)
        )
    )
    return Report(
        currency=currency,
        start=start,
        end=end,
        movements=movements,
        issued=totals["issued"] or ZERO,
        spent=-(totals["spent"] or ZERO),
        refunded=totals["refunded"] or ZERO,
        expired=-(totals["expired"] or ZERO),
        withdrawn=debited.get(Reason.WITHDRAWAL, ZERO),
        transferred=credited.get(Reason.TRANSFER, ZERO),
        topped_up=credited.get(Reason.TOP_UP, ZERO),
        bonus=credited.get(Reason.BONUS, ZERO),
        opening_liability=liability.get("opening") or ZERO,
        closing_liability=liability["closing"] or ZERO,
        accounts_with_balance=accounts.count(),
        expiring_soon=expiring["amount"] or ZERO,
        expiring_accounts=expiring["accounts"] or 0,
    )


def _movements(entries) -> list[ReasonMovement]:
    rows = (
        entries.exclude(amount=0)
        .values("reason")
        .annotate(
            credited=Sum("amount", filter=Q(amount__gt=0)),
            debited=Sum("amount", filter=Q(amount__lt=0)),
            count=Count("pk"),
        )
        .order_by("reason")
    )
    return [
        ReasonMovement(
            reason=row["reason"],
            credited=row["credited"] or ZERO,
            debited=-(row["debited"] or ZERO),
            count=row["count"],
        )
        for row in rows
    ]
