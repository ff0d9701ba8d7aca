"""storecredit_verify sees every way the stored ledger can disagree with its
history: lots changed behind the ledger's back, a forged or lost entry in the
middle of a history, rows that vanished since the last clean run.

Each test corrupts the ledger on purpose with the database's triggers off
(session_replication_role = replica), as a buggy script or a restore would.
"""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems, record_checkpoint

from .conftest import in_days


def raw(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def messages():
    return " | ".join(str(problem) for problem in find_problems())


@pytest.fixture
def history(customer, fund):
    """Alice: 10 expiring in a day, 20 that never expire, then 5 spent."""
    expiring = fund(customer, "10", expires_at=in_days(1))
    lasting = fund(customer, "20")
    spent = ledger.debit(customer, "5", "USD", idempotency_key="spend")
    assert find_problems() == []
    return expiring, lasting, spent


def test_moving_credit_from_an_expiring_lot_to_a_lasting_one(
    customer, fund, allow_problems
):
    lasting = fund(customer, "20")
    ledger.debit(customer, "5", "USD", idempotency_key="spend")  # lasting: 15 left
    expiring = fund(customer, "10", expires_at=in_days(1))
    raw(
        "UPDATE storecredit_storecreditlot SET remaining_amount = remaining_amount "
        "+ (CASE WHEN id = %s THEN -5 ELSE 5 END) WHERE id IN (%s, %s)",
        expiring.lot_id,
        expiring.lot_id,
        lasting.lot_id,
    )
    assert "lots that disagree with their movements" in messages()


def test_clearing_a_lot_expiry(history, allow_problems):
    expiring, _, _ = history
    raw(
        "UPDATE storecredit_storecreditlot SET expires_at = NULL WHERE id = %s",
        expiring.lot_id,
    )
    assert "lots that disagree with their movements" in messages()


def test_forging_an_entry_in_the_middle_of_a_history(
    customer, other_customer, fund, allow_problems
):
    first = fund(customer, "10")
    gap = fund(other_customer, "1")  # its id will lie between Alice's entries
    fund(customer, "20")
    raw("DELETE FROM storecredit_storecreditlotmovement WHERE entry_id = %s", gap.pk)
    raw("DELETE FROM storecredit_storecreditentry WHERE id = %s", gap.pk)
    # A credit of 100 slipped into Alice's history between her two credits,
    # with a plausible balance_after; the later entry does not include it.
    raw(
        "INSERT INTO storecredit_storecreditentry (id, account_id, kind, reason, "
        "amount, held_change, balance_after, held_after, lot_id, customer_note, "
        "internal_note, actor_type, idempotency_key, request_hash, created_at) "
        "SELECT %s, account_id, 'credit', 'manual', 0, 0, 110, 0, NULL, '', '', "
        "'system', 'forged', '', created_at FROM storecredit_storecreditentry "
        "WHERE id = %s",
        gap.pk,
        first.pk,
    )
    alice = [
        problem.message
        for problem in find_problems()
        if problem.account_id == first.account_id
    ]
    assert any("not the running sum" in message for message in alice)
    assert any("account counted" in message for message in alice)


def test_losing_an_entry_in_the_middle_of_a_history(history, allow_problems):
    _, lasting, _ = history
    raw(
        "DELETE FROM storecredit_storecreditlotmovement WHERE entry_id = %s", lasting.pk
    )
    raw("DELETE FROM storecredit_storecreditentry WHERE id = %s", lasting.pk)
    found = messages()
    assert "not the running sum" in found
    assert "entries, but the account counted" in found


def test_a_whole_ledger_lost_since_the_last_clean_run(history, allow_problems):
    record_checkpoint()
    for table in (
        "storecredit_storecreditlotmovement",
        "storecredit_storecreditentry",
        "storecredit_storecreditlot",
        "storecredit_storecreditaccountevent",
        "storecredit_storecreditaccount",
    ):
        raw(f"DELETE FROM {table}")
    found = messages()
    assert "entries counted on" in found and "are missing" in found
    assert "accounts counted on" in found


def test_the_verify_command_records_a_checkpoint_when_clean(history, capsys):
    call_command("storecredit_verify")
    assert "all accounts consistent (1 accounts, 3 entries)" in capsys.readouterr().out
    assert find_problems() == []


def test_reversal_moves_exactly_the_lots_of_the_original(history):
    expiring, lasting, spent = history
    reversal = ledger.reverse(spent, idempotency_key="undo")
    expiring.lot.refresh_from_db()
    lasting.lot.refresh_from_db()
    assert reversal.amount == Decimal(5)
    assert expiring.lot.remaining_amount == Decimal(10)
    assert lasting.lot.remaining_amount == Decimal(20)
    assert {(m.lot_id, m.amount) for m in reversal.lot_movements.all()} == {
        (expiring.lot_id, Decimal(5))
    }
