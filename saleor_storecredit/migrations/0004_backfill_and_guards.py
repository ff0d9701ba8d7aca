"""Recompute what every existing entry moved in each lot, count entries, and
guard every ledger table in the database itself.

Entries written before lot movements were recorded are replayed in order with
the rule the ledger used then (a given lot first, then soonest expiry, then
oldest), so every lot's remaining amount is the sum of its movements from the
first entry on. Where a replay disagrees with a stored lot, verify reports it.
"""

import logging
from decimal import Decimal

from django.db import migrations

logger = logging.getLogger("saleor_storecredit.migrations")

LEDGER_TABLES = [
    "storecredit_storecreditaccount",
    "storecredit_storecreditlot",
    "storecredit_storecredithold",
    "storecredit_storecreditwithdrawal",
    "storecredit_storecreditentry",
    "storecredit_storecreditlotmovement",
    "storecredit_storecreditaccountevent",
    "storecredit_storecreditcheckpoint",
]
APPEND_ONLY_TABLES = [
    "storecredit_storecreditlotmovement",
    "storecredit_storecreditaccountevent",
    "storecredit_storecreditcheckpoint",
]
NEVER_DELETED_TABLES = [
    "storecredit_storecreditaccount",
    "storecredit_storecredithold",
    "storecredit_storecreditwithdrawal",
]

GUARDS = (
    """
CREATE OR REPLACE FUNCTION storecredit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'store-credit ledger rows are never changed or deleted '
        '(% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

-- TRUNCATE skips row triggers: refuse it, unless the session says it flushes a
-- test database (options "-c storecredit.allow_truncate=on").
CREATE OR REPLACE FUNCTION storecredit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('storecredit.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'store-credit ledger tables cannot be truncated (%); a test '
        'database flush sets storecredit.allow_truncate=on', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

-- A lot's amount, kind and expiry are history: only what is left of it, and
-- when its reminder was sent, ever change.
CREATE OR REPLACE FUNCTION storecredit_guard_lot() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        OR NEW.id IS DISTINCT FROM OLD.id
        OR NEW.account_id IS DISTINCT FROM OLD.account_id
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.original_amount IS DISTINCT FROM OLD.original_amount
        OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
        OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'store-credit lots keep their amount, kind and expiry '
            '(% refused)', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER storecredit_lot_guard
    BEFORE UPDATE OR DELETE ON storecredit_storecreditlot
    FOR EACH ROW EXECUTE FUNCTION storecredit_guard_lot();
"""
    + "".join(
        f"""
CREATE TRIGGER storecredit_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION storecredit_refuse_change();
"""
        for table in APPEND_ONLY_TABLES
    )
    + "".join(
        f"""
CREATE TRIGGER storecredit_never_deleted BEFORE DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION storecredit_refuse_change();
"""
        for table in NEVER_DELETED_TABLES
    )
    + "".join(
        f"""
CREATE TRIGGER storecredit_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION storecredit_refuse_truncate();
"""
        for table in LEDGER_TABLES
    )
)

DROP_GUARDS = (
    "".join(
        f"DROP TRIGGER IF EXISTS storecredit_no_truncate ON {table};\n"
        for table in LEDGER_TABLES
    )
    + "".join(
        f"DROP TRIGGER IF EXISTS storecredit_append_only ON {table};\n"
        for table in APPEND_ONLY_TABLES
    )
    + "".join(
        f"DROP TRIGGER IF EXISTS storecredit_never_deleted ON {table};\n"
        for table in NEVER_DELETED_TABLES
    )
    + """
DROP TRIGGER IF EXISTS storecredit_lot_guard ON storecredit_storecreditlot;
DROP FUNCTION IF EXISTS storecredit_guard_lot();
DROP FUNCTION IF EXISTS storecredit_refuse_truncate();
DROP FUNCTION IF EXISTS storecredit_refuse_change();
"""
)

COUNT_ENTRIES = """
UPDATE storecredit_storecreditaccount a
SET entry_count = c.n
FROM (SELECT account_id, COUNT(*) AS n FROM storecredit_storecreditentry
      GROUP BY account_id) c
WHERE c.account_id = a.id
"""


def _spend_order(lot, first_lot_id):
    far = (1, None)
    expiry = (0, lot.expires_at) if lot.expires_at is not None else far
    return (lot.id != first_lot_id, expiry[0], expiry[1] or 0, lot.created_at, lot.id)


def _replay_account(account_id, Entry, Lot, Movement) -> list:
    lots = {lot.id: lot for lot in Lot.objects.filter(account_id=account_id)}
    remaining = dict.fromkeys(lots, Decimal(0))
    movements = []
    for entry in Entry.objects.filter(account_id=account_id).order_by("id"):
        if entry.amount > 0 and entry.lot_id in lots:
            remaining[entry.lot_id] += entry.amount
            movements.append((entry, entry.lot_id, entry.amount))
        elif entry.amount < 0:
            need = -entry.amount
            if entry.kind == "expiry" and entry.lot_id in lots:
                order = [entry.lot_id]
            else:
                first = None
                if entry.kind == "reversal" and entry.reversed_entry_id:
                    first = (
                        Entry.objects.filter(pk=entry.reversed_entry_id)
                        .values_list("lot_id", flat=True)
                        .first()
                    )
                order = sorted(
                    (lot for lot in lots.values() if remaining[lot.id] > 0),
                    key=lambda lot: _spend_order(lot, first),
                )
                order = [lot.id for lot in order]
            for lot_id in order:
                if need <= 0:
                    break
                take = min(remaining[lot_id], need)
                if take <= 0:
                    continue
                remaining[lot_id] -= take
                need -= take
                movements.append((entry, lot_id, -take))
    if any(remaining[lot_id] != lot.remaining_amount for lot_id, lot in lots.items()):
        logger.warning(
            "Store-credit account %s: its lots do not match a replay of its "
            "entries; storecredit_verify will report it.",
            account_id,
        )
    return [
        Movement(
            entry_id=entry.id,
            lot_id=lot_id,
            amount=amount,
            expires_at=lots[lot_id].expires_at,
        )
        for entry, lot_id, amount in movements
    ]


def backfill_movements(apps, schema_editor):
    Entry = apps.get_model("storecredit", "StoreCreditEntry")
    Lot = apps.get_model("storecredit", "StoreCreditLot")
    Movement = apps.get_model("storecredit", "StoreCreditLotMovement")
    account_ids = (
        Entry.objects.order_by().values_list("account_id", flat=True).distinct()
    )
    for account_id in account_ids.iterator():
        Movement.objects.bulk_create(
            _replay_account(account_id, Entry, Lot, Movement), batch_size=1000
        )


class Migration(migrations.Migration):
    dependencies = [("storecredit", "0003_ledger_integrity")]

    operations = [
        migrations.RunPython(backfill_movements, migrations.RunPython.noop),
        migrations.RunSQL(COUNT_ENTRIES, migrations.RunSQL.noop),
        migrations.RunSQL(GUARDS, DROP_GUARDS),
    ]
