"""storecredit_verify's checks of the Saleor side: what Saleor believes the
plugin holds and charged must be what the ledger says.

Runs only where Saleor is installed; tables are found through the app
registry, so the module also loads in the bare ledger project.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import connections
from django.utils import timezone

from .config import PLUGIN_ID
from .models import (
    EntryKind,
    HoldStatus,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
)
from .money import quantize

# A checkout deleted a moment ago may still have its credit held until the
# sweeper's next run (every 10 minutes): only older holds are reported.
ORPHAN_GRACE = timedelta(minutes=30)

_ITEMS_SQL = """
SELECT t.token, t.currency, t.authorized_value, t.charged_value, t.refunded_value,
       COALESCE(h.open_held, 0), COALESCE(e.captured, 0), COALESCE(e.refunded, 0)
FROM {item} t
LEFT JOIN (
    SELECT transaction_id, SUM(amount - captured_amount - released_amount) AS open_held
    FROM {hold} WHERE status = %(active)s AND transaction_id IS NOT NULL
    GROUP BY transaction_id
) h ON h.transaction_id = t.token
LEFT JOIN (
    SELECT transaction_id,
           -SUM(amount) FILTER (WHERE kind = %(capture)s) AS captured,
           SUM(amount) FILTER (WHERE kind = %(refund)s) AS refunded
    FROM {entry} WHERE transaction_id IS NOT NULL
    GROUP BY transaction_id
) e ON e.transaction_id = t.token
WHERE t.app_identifier = %(plugin)s
ORDER BY t.id
"""

_ORPHAN_HOLDS_SQL = """
SELECT h.id, a.currency, h.checkout_id, h.amount - h.captured_amount - h.released_amount
FROM {hold} h
JOIN {account} a ON a.id = h.account_id
WHERE h.status = %(active)s
  AND h.checkout_id IS NOT NULL
  AND h.order_id IS NULL
  AND h.created_at < %(cutoff)s
  AND NOT EXISTS (SELECT 1 FROM {checkout} c WHERE c.token = h.checkout_id)
  AND NOT EXISTS (
      SELECT 1 FROM {item} t
      WHERE t.token = h.transaction_id AND t.order_id IS NOT NULL
  )
ORDER BY h.id
"""

# Orders whose credit bought with money (top-ups, refunds to credit) stands
# above what the order's lines and shipping cost, or that never existed.
_ORDER_CREDIT_SQL = """
SELECT e.order_id, a.currency,
       SUM(CASE WHEN e.kind = 'credit' THEN e.amount
                ELSE e.amount - e.owed_change END) AS standing,
       o.id IS NOT NULL AS exists,
       COALESCE(o.total_gross_amount, 0) AS total
FROM {entry} e
JOIN {account} a ON a.id = e.account_id
LEFT JOIN {order} o ON o.id = e.order_id
WHERE e.order_id IS NOT NULL
  AND (e.kind = 'credit' AND (e.reason IN ('top_up', 'refund')
        OR e.reason = 'gift_card' AND e.gift_card_id IS NULL)
       OR e.kind = 'clawback' AND e.reason IN ('top_up', 'refund', 'gift_card'))
  AND EXISTS (SELECT 1 FROM {lot} l WHERE l.order_id = e.order_id
              AND l.source IN ('top_up', 'order_refund'))
GROUP BY e.order_id, a.currency, o.id, o.total_gross_amount
HAVING SUM(CASE WHEN e.kind = 'credit' THEN e.amount
                ELSE e.amount - e.owed_change END) > COALESCE(o.total_gross_amount, 0)
"""


@dataclass
class SaleorProblem:
    """A disagreement between Saleor's records and the ledger."""

    subject: str
    currency: str
    message: str

    def __str__(self):
        return f"{self.subject} ({self.currency}): {self.message}"


def saleor_installed() -> bool:
    return apps.is_installed("saleor.payment") and apps.is_installed("saleor.checkout")


def find_saleor_problems(using: str = "default", now=None) -> list[SaleorProblem]:
    """Every plugin-owned TransactionItem whose authorized, charged or refunded
    amount differs from its holds and entries, and every hold still open on a
    checkout that no longer exists (and became no order)."""
    if not saleor_installed():
        return []
    item_table = apps.get_model("payment", "TransactionItem")._meta.db_table
    checkout_table = apps.get_model("checkout", "Checkout")._meta.db_table
    tables = {
        "item": item_table,
        "checkout": checkout_table,
        "hold": StoreCreditHold._meta.db_table,
        "entry": StoreCreditEntry._meta.db_table,
        "account": StoreCreditHold._meta.get_field(
            "account"
        ).related_model._meta.db_table,
        "order": apps.get_model("order", "Order")._meta.db_table,
        "lot": StoreCreditLot._meta.db_table,
    }
    params = {
        "active": HoldStatus.ACTIVE,
        "capture": EntryKind.CAPTURE,
        "refund": EntryKind.REFUND,
        "plugin": PLUGIN_ID,
        "cutoff": (now or timezone.now()) - ORPHAN_GRACE,
    }
    problems = []
    with connections[using].cursor() as cursor:
        cursor.execute(_ITEMS_SQL.format(**tables), params)
        for row in cursor.fetchall():
            problems.extend(_item_problems(*row))
        cursor.execute(_ORPHAN_HOLDS_SQL.format(**tables), params)
        for hold_id, currency, checkout_id, held in cursor.fetchall():
            problems.append(
                SaleorProblem(
                    f"hold {hold_id}",
                    currency,
                    f"still holds {quantize(held, currency)} for checkout "
                    f"{checkout_id}, which no "
                    "longer exists",
                )
            )
        cursor.execute(_ORDER_CREDIT_SQL.format(**tables))
        for order_id, currency, standing, exists, total in cursor.fetchall():
            problems.append(
                SaleorProblem(
                    f"order {order_id}",
                    currency,
                    f"{quantize(standing, currency)} of credit bought with its money "
                    + (
                        f"stands, more than the order's total {quantize(total, currency)}"
                        if exists
                        else "stands, but the order does not exist"
                    ),
                )
            )
    return problems


def _item_problems(
    token, currency, authorized, charged, refunded, held, captured, given_back
) -> list[SaleorProblem]:
    subject = f"transaction item {token}"
    authorized, charged, refunded, held, captured, given_back = (
        quantize(amount, currency)
        for amount in (authorized, charged, refunded, held, captured, given_back)
    )
    problems = []
    if authorized != held:
        problems.append(
            SaleorProblem(
                subject,
                currency,
                f"authorized {authorized} but the ledger holds {held}",
            )
        )
    if charged != captured - given_back:
        problems.append(
            SaleorProblem(
                subject,
                currency,
                f"charged {charged} but the ledger captured {captured} and "
                f"refunded {given_back}",
            )
        )
    if refunded != given_back:
        problems.append(
            SaleorProblem(
                subject,
                currency,
                f"refunded {refunded} but the ledger refunded {given_back}",
            )
        )
    return problems
