"""The database itself keeps the history append-only and balances non-negative."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from saleor_storecredit import ledger
from saleor_storecredit.models import StoreCreditAccount, StoreCreditEntry

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
