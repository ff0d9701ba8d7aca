"""Crediting or debiting a group of customers at once.

Each account is adjusted in its own short transaction, with a key derived from
the bulk key and the customer, so a retried bulk call completes what a failure
interrupted and repeats nothing that was done. A debit never takes an account
below zero: it takes what is available or skips the account, as asked.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q

from . import ledger, notifications
from .actors import Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import IdempotencyConflict, InsufficientFunds, StoreCreditError
from .ledger import keys
from .models import LotKind, Reason, StoreCreditAccount, StoreCreditEntry
from .money import validate_amount, validate_currency

logger = logging.getLogger(__name__)

MAX_ACCOUNTS = 1000

TAKE_AVAILABLE = "take_available"
SKIP = "skip"

CREDITED = "credited"
DEBITED = "debited"
SKIPPED = "skipped"
FAILED = "failed"

# The credit kind (what `expiry_days` is configured by) of credit staff add
# without naming one: a hand-given credit is plain store credit.
LOT_KIND_BY_REASON = {
    Reason.MANUAL: LotKind.STORE_CREDIT,
    Reason.IMPORT: LotKind.STORE_CREDIT,
    Reason.ADJUSTMENT: LotKind.ADJUSTMENT,
    Reason.BONUS: LotKind.BONUS,
    Reason.TOP_UP: LotKind.TOP_UP,
    Reason.REFUND: LotKind.REFUND,
    Reason.ORDER_CANCELLATION: LotKind.REFUND,
    Reason.ORDER_RETURN: LotKind.RETURN,
}


@dataclass(frozen=True)
class BulkAdjustItem:
    user_id: int
    email: str
    amount: Decimal  # signed change: what was (or, in a dry run, would be) applied
    status: str
    entry: StoreCreditEntry | None = None


@dataclass
class BulkAdjustResult:
    currency: str
    dry_run: bool
    items: list[BulkAdjustItem] = field(default_factory=list)

    @property
    def changed(self) -> list[BulkAdjustItem]:
        return [item for item in self.items if item.status not in (SKIPPED, FAILED)]

    @property
    def skipped(self) -> list[BulkAdjustItem]:
        return [item for item in self.items if item.status == SKIPPED]

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal(0))


def lot_kind_for(reason: str) -> str:
    return LOT_KIND_BY_REASON.get(reason, LotKind.ADJUSTMENT)


def select_customers(*, user_ids=(), customer_type_ids=(), emails=()):
    """The customers a bulk adjustment is for: the union of all three lists.

    A customer type means its customers: staff members who happen to have one
    are left out (named ones, by ID or email, are included)."""
    condition = Q(pk__in=list(user_ids)) if user_ids else Q(pk__in=[])
    if customer_type_ids:
        condition |= Q(customer_type_id__in=list(customer_type_ids), is_staff=False)
    if emails:
        condition |= Q(email__in=[email.strip().lower() for email in emails])
    return get_user_model().objects.filter(condition, is_active=True).order_by("pk")


def bulk_adjust(
    customers,
    amount,
    currency: str,
    *,
    idempotency_key: str,
    reason: str = Reason.ADJUSTMENT,
    kind: str | None = None,
    internal_note: str = "",
    customer_note: str = "",
    expires_at: datetime | None = None,
    debit_mode: str = TAKE_AVAILABLE,
    dry_run: bool = False,
    actor: Actor,
) -> BulkAdjustResult:
    """Credit (amount > 0) or debit (amount < 0) every customer in `customers`.

    Credit is of `kind` (default: the reason's, see LOT_KIND_BY_REASON)."""
    kind = kind or lot_kind_for(reason)
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency, allow_negative=True)
    keys.for_caller(actor, idempotency_key)  # refused here if it is no key
    if debit_mode not in (TAKE_AVAILABLE, SKIP):
        raise StoreCreditError("Unknown debit mode.", field="debit_mode")
    customers = list(customers[: MAX_ACCOUNTS + 1])
    if len(customers) > MAX_ACCOUNTS:
        raise StoreCreditError(
            f"At most {MAX_ACCOUNTS} customers can be adjusted at once.",
            code=StoreCreditErrorCode.INVALID,
        )
    accounts = {
        account.user_id: account
        for account in StoreCreditAccount.objects.filter(
            user__in=customers, currency=currency
        )
    }
    done = {
        entry.account.user_id: entry
        for entry in StoreCreditEntry.objects.filter(
            account__in=accounts.values(),
            idempotency_key__in=[
                keys.bulk(actor, idempotency_key, c.pk) for c in customers
            ],
        ).select_related("account")
    }
    result = BulkAdjustResult(currency=currency, dry_run=dry_run)
    for customer in customers:
        if customer.pk in done:
            entry = done[customer.pk]
            if (entry.amount > 0) != (amount > 0) or (
                amount > 0 and entry.amount != amount
            ):
                raise IdempotencyConflict(
                    "This idempotency key was already used for a different "
                    "bulk adjustment.",
                    field="idempotency_key",
                )
            result.items.append(_item(customer, entry.amount, entry))
            continue
        change = _planned_change(accounts.get(customer.pk), amount, debit_mode)
        if change == 0 or dry_run:
            result.items.append(_item(customer, change, None))
            continue
        try:
            entry = ledger.adjust(
                customer,
                change,
                currency,
                idempotency_key=keys.bulk(actor, idempotency_key, customer.pk),
                reason=reason,
                kind=kind,
                expires_at=expires_at if change > 0 else None,
                customer_note=customer_note,
                internal_note=internal_note,
                actor=actor,
            )
        except InsufficientFunds:
            # Spent between planning and locking: a debit never goes below zero.
            result.items.append(_item(customer, Decimal(0), None))
            continue
        except StoreCreditError as error:
            # One customer's refusal (a balance at its maximum, say) never stops
            # the others; a retry with the same key completes what it can.
            logger.warning(
                "Bulk adjustment of customer %s refused: %s", customer.pk, error
            )
            result.items.append(
                BulkAdjustItem(
                    user_id=customer.pk,
                    email=customer.email,
                    amount=Decimal(0),
                    status=FAILED,
                )
            )
            continue
        notifications.notify_entry(entry)
        result.items.append(_item(customer, entry.amount, entry))
    return result


def _planned_change(account, amount: Decimal, debit_mode: str) -> Decimal:
    if amount > 0:
        return amount
    available = account.available if account is not None else Decimal(0)
    wanted = -amount
    if available >= wanted:
        return amount
    if debit_mode == SKIP or available <= 0:
        return Decimal(0)
    return -available


def _item(customer, change: Decimal, entry) -> BulkAdjustItem:
    if change > 0:
        status = CREDITED
    elif change < 0:
        status = DEBITED
    else:
        status = SKIPPED
    return BulkAdjustItem(
        user_id=customer.pk,
        email=customer.email,
        amount=change,
        status=status,
        entry=entry,
    )
