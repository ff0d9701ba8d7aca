"""The ledger as CSV, streamed: rows go out as the database hands them over.

A server-side cursor (`iterator(chunk_size=...)`) keeps one chunk in memory at a
time, so a million entries need the same memory as a thousand.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from .ledger.validation import validate_reason, validate_text
from .models import StoreCreditEntry
from .money import currency_precision, validate_currency

CHUNK_SIZE = 2000

# (CSV column, entry field) in the order written.
COLUMNS = [
    ("entry_id", "id"),
    ("created_at", "created_at"),
    ("account_id", "account_id"),
    ("user_id", "account__user_id"),
    ("email", "account__email"),
    ("currency", "account__currency"),
    ("kind", "kind"),
    ("reason", "reason"),
    ("amount", "amount"),
    ("held_change", "held_change"),
    ("balance_after", "balance_after"),
    ("held_after", "held_after"),
    ("lot_id", "lot_id"),
    ("hold_id", "hold_id"),
    ("withdrawal_id", "withdrawal_id"),
    ("reversed_entry_id", "reversed_entry_id"),
    ("order_id", "order_id"),
    ("checkout_id", "checkout_id"),
    ("payment_id", "payment_id"),
    ("transaction_id", "transaction_id"),
    ("gift_card_id", "gift_card_id"),
    ("actor_type", "actor_type"),
    ("actor_user_id", "actor_user_id"),
    ("actor_app_id", "actor_app_id"),
    ("customer_note", "customer_note"),
    ("internal_note", "internal_note"),
]
HEADER = [name for name, _ in COLUMNS]
_FIELDS = [field for _, field in COLUMNS]
_MONEY = {
    index
    for index, (name, _) in enumerate(COLUMNS)
    if name in ("amount", "held_change", "balance_after", "held_after")
}
_CURRENCY = HEADER.index("currency")
_CREATED = HEADER.index("created_at")


@dataclass(frozen=True)
class ExportFilter:
    """Which entries to export; empty fields mean no restriction."""

    currency: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    customers: list[str] = field(default_factory=list)  # emails or user ids
    reasons: list[str] = field(default_factory=list)

    def queryset(self, using: str = "default"):
        entries = StoreCreditEntry.objects.using(using)
        if self.currency:
            entries = entries.filter(account__currency=validate_currency(self.currency))
        if self.start:
            entries = entries.filter(created_at__gte=self.start)
        if self.end:
            entries = entries.filter(created_at__lt=self.end)
        if self.customers:
            who = Q()
            for customer in self.customers:
                customer = validate_text(customer, "customer", max_length=254).strip()
                if customer.isascii() and customer.isdigit() and len(customer) < 19:
                    who |= Q(account__user_id=int(customer))
                else:
                    who |= Q(account__email__iexact=customer)
            entries = entries.filter(who)
        if self.reasons:
            entries = entries.filter(
                reason__in=[validate_reason(reason) for reason in self.reasons]
            )
        return entries.order_by("pk")


def rows(export_filter: ExportFilter, using: str = "default") -> Iterator[list]:
    """CSV rows (header first), amounts at the currency's precision."""
    yield HEADER
    precision: dict[str, str] = {}
    values = (
        export_filter.queryset(using)
        .values_list(*_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for values_row in values:
        row = list(values_row)
        currency = row[_CURRENCY]
        places = precision.get(currency)
        if places is None:
            places = precision[currency] = f".{currency_precision(currency)}f"
        for index in _MONEY:
            row[index] = format(row[index], places)
        row[_CREATED] = row[_CREATED].isoformat()
        yield [_cell(value, index) for index, value in enumerate(row)]


# A text cell starting with one of these is a formula to a spreadsheet: a note
# such as =HYPERLINK(...) must reach finance as text, never run.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value, index: int):
    if value is None:
        return ""
    if (
        index not in _MONEY
        and isinstance(value, str)
        and value.startswith(_FORMULA_START)
    ):
        return "'" + value
    return value


def write_csv(out, export_filter: ExportFilter, using: str = "default") -> int:
    """Write the export to a text stream; returns the number of entries."""
    return _write(csv.writer(out), rows(export_filter, using)) - 1


def _write(writer, all_rows: Iterable[list]) -> int:
    count = 0
    for row in all_rows:
        writer.writerow(row)
        count += 1
    return count
