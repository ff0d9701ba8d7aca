"""The database itself keeps the history append-only and balances non-negative."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.models import (
    StoreCreditAccount,
    StoreCreditEntry,
)

from .conftest import withdraw

ENTRY_TABLE = StoreCreditEntry._meta.db_table
ACCOUNT_TABLE = StoreCreditAccount._meta.db_table


def refused_by_database(statement, *params, error=DatabaseError):
    with pytest.raises(error), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)


@pytest.fixture
def entry(customer, fund):
    return fund(customer, "10")


def test_sql_update_of_an_entry_is_refused(entry):
    refused_by_database(
        f"UPDATE {ENTRY_TABLE} SET amount = 1000 WHERE id = %s", entry.pk
    )
    refused_by_database(f"UPDATE {ENTRY_TABLE} SET customer_note = 'edited'")
    entry.refresh_from_db()
    assert entry.amount == 10


def test_sql_delete_of_an_entry_is_refused(entry):
    refused_by_database(f"DELETE FROM {ENTRY_TABLE} WHERE id = %s", entry.pk)
    refused_by_database(f"DELETE FROM {ENTRY_TABLE}")
    assert StoreCreditEntry.objects.filter(pk=entry.pk).exists()


def test_orm_update_and_delete_of_entries_are_refused(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        StoreCreditEntry.objects.filter(pk=entry.pk).update(internal_note="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.internal_note = "edited"
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        StoreCreditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        StoreCreditEntry.objects.get(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.internal_note == ""


def test_entries_can_still_be_appended(entry, customer):
    ledger.debit(customer, "1", "USD", idempotency_key="d")
    assert StoreCreditEntry.objects.count() == 2


def test_negative_balance_is_refused(entry):
    account_id = entry.account_id
    refused_by_database(
        f"UPDATE {ACCOUNT_TABLE} SET balance = -0.01 WHERE id = %s",
        account_id,
        error=IntegrityError,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.filter(pk=account_id).update(balance=-1)


def test_held_above_balance_or_negative_is_refused(entry):
    for held in ("10.01", "-1"):
        refused_by_database(
            f"UPDATE {ACCOUNT_TABLE} SET held = %s WHERE id = %s",
            held,
            entry.account_id,
            error=IntegrityError,
        )


def test_lot_cannot_go_negative_or_above_its_original(entry):
    table = entry.lot._meta.db_table
    for remaining in ("-1", "10.01"):
        refused_by_database(
            f"UPDATE {table} SET remaining_amount = %s WHERE id = %s",
            remaining,
            entry.lot_id,
            error=IntegrityError,
        )


def test_entry_with_a_negative_balance_after_is_refused(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            account_id=entry.account_id,
            kind="debit",
            reason="manual",
            amount=-20,
            balance_after=-10,
            idempotency_key="bad",
            request_hash="x",
        )


def test_duplicate_idempotency_key_is_refused_by_the_database(entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            account_id=entry.account_id,
            kind="credit",
            reason="manual",
            amount=0,
            balance_after=10,
            idempotency_key=entry.idempotency_key,
            request_hash="x",
        )


LEDGER_TABLES = [
    "storecredit_storecreditaccount",
    "storecredit_storecreditlot",
    "storecredit_storecredithold",
    "storecredit_storecreditwithdrawal",
    "storecredit_storecreditentry",
    "storecredit_storecreditlotmovement",
    "storecredit_storecreditaccountevent",
    "storecredit_storecreditcheckpoint",
    "storecredit_storecreditwithdrawalevent",
]


def truncate_refused(statement):
    """TRUNCATE skips row triggers; the ledger refuses it unless a test-database
    flush says so (these tests' connections do, so each test turns it off)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows
            cursor.execute("SET LOCAL storecredit.allow_truncate = 'off'")
            cursor.execute(statement)
    assert "cannot be truncated" in str(error.value)


@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_truncate_of_a_ledger_table_is_refused(entry, table):
    truncate_refused(f"TRUNCATE {table} CASCADE")
    assert StoreCreditEntry.objects.filter(pk=entry.pk).exists()


def test_truncate_cascading_from_saleor_users_is_refused(entry):
    truncate_refused("TRUNCATE auth_user CASCADE")
    assert StoreCreditEntry.objects.filter(pk=entry.pk).exists()


def test_a_test_database_flush_may_truncate(entry):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL storecredit.allow_truncate = 'on'")
            cursor.execute(f"TRUNCATE {', '.join(LEDGER_TABLES)} CASCADE")
        assert not StoreCreditEntry.objects.exists()
        transaction.set_rollback(True)
    assert StoreCreditEntry.objects.filter(pk=entry.pk).exists()


def test_a_lot_keeps_its_amount_kind_and_expiry(entry, customer, fund):
    table = entry.lot._meta.db_table
    expiring = fund(customer, "5", expires_at=timezone.now() + timedelta(days=1))
    refused_by_database(
        f"UPDATE {table} SET expires_at = NULL WHERE id = %s", expiring.lot_id
    )
    for change in (
        "expires_at = now()",
        "original_amount = 5",
        "kind = 'bonus'",
        "account_id = account_id + 1",
    ):
        refused_by_database(f"UPDATE {table} SET {change} WHERE id = %s", entry.lot_id)
    refused_by_database(f"DELETE FROM {table} WHERE id = %s", entry.lot_id)


def test_movements_events_and_checkpoints_are_append_only(entry, customer):
    ledger.update_account(entry.account, note="watch")
    withdraw(customer, "1", "w")
    for table in (
        "storecredit_storecreditlotmovement",
        "storecredit_storecreditaccountevent",
        "storecredit_storecreditwithdrawalevent",
    ):
        refused_by_database(f"UPDATE {table} SET id = id")
        refused_by_database(f"DELETE FROM {table}")


@pytest.mark.parametrize(
    "table",
    [
        "storecredit_storecreditaccount",
        "storecredit_storecredithold",
        "storecredit_storecreditwithdrawal",
    ],
)
def test_ledger_rows_are_never_deleted(entry, customer, table):
    withdraw(customer, "1", "h")
    refused_by_database(f"DELETE FROM {table}")
