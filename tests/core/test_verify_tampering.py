"""storecredit_verify notices any single-row change of any ledger table made
with SQL access: owners, currencies, account state, holds, withdrawals, entries,
lot movements, events and checkpoints.

Each test runs one statement the way an attacker at the database would: plain
SQL where the database allows it, with the triggers off (session_replication_role
= replica, as in test_verify_history.py) where it refuses. The change is undone
after find_problems() has looked, so the shop is clean again afterwards.
"""

import importlib
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.ledger.verification import find_problems, record_checkpoint
from saleor_storecredit.models import (
    AccountStatus,
    StoreCreditAccountEvent,
    StoreCreditHold,
)

from .conftest import in_days, settle_withdrawal, withdraw

ACCOUNT = "storecredit_storecreditaccount"
LOT = "storecredit_storecreditlot"
HOLD = "storecredit_storecredithold"
ENTRY = "storecredit_storecreditentry"
MOVEMENT = "storecredit_storecreditlotmovement"
WITHDRAWAL = "storecredit_storecreditwithdrawal"
EVENT = "storecredit_storecreditaccountevent"
WITHDRAWAL_EVENT = "storecredit_storecreditwithdrawalevent"
CHECKPOINT = "storecredit_storecreditcheckpoint"


class _Undo(Exception):
    pass


def _run(statement: str, params, bypass: bool):
    with connection.cursor() as cursor:
        if bypass:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        if bypass:
            cursor.execute("SET LOCAL session_replication_role = origin")


def tampered(statement: str, *params, bypass: bool = False) -> list:
    """find_problems() after one raw statement; then the statement is undone.

    bypass: the database refuses the statement; first prove it does, then run
    it with the triggers off.
    """
    if bypass:
        with pytest.raises(DatabaseError), transaction.atomic():
            _run(statement, params, bypass=False)
    found = []
    try:
        with transaction.atomic():
            _run(statement, params, bypass)
            found = find_problems()
            raise _Undo
    except _Undo:
        pass
    assert find_problems() == [], "the change was not undone"
    return found


def named(found: list, account_id: int, text: str) -> bool:
    return any(p.account_id == account_id and text in p.message for p in found)


@pytest.fixture
def shop(customer, other_customer, make_customer, fund, staff):
    """Alice: two lots, a partly captured checkout hold, a debit, a pending and
    a paid withdrawal, a staff note and a decision on use; Bob: a balance;
    Mallory: a customer without credit."""
    checkout = uuid.uuid4()
    fund(customer, "100")
    fund(customer, "15", expires_at=in_days(30))
    fund(other_customer, "50")
    hold = ledger.authorize(
        customer,
        "30",
        "USD",
        idempotency_key="pay",
        reference=Reference(checkout_id=checkout),
    )
    ledger.capture(hold, "10", idempotency_key="capture")
    ledger.debit(customer, "5", "USD", idempotency_key="spend")
    pending = withdraw(customer, "20", "w1")
    paid = settle_withdrawal(withdraw(customer, "7", "w2"), "paid")
    alice = ledger.get_account(customer, "USD")
    ledger.update_account(alice, note="VIP since 2019", can_use=True)
    alice.refresh_from_db()
    assert find_problems() == []
    return {
        "alice": alice,
        "bob": ledger.get_account(other_customer, "USD"),
        "mallory": make_customer("mallory@example.com"),
        "hold": hold,
        "pending": pending,
        "paid": paid,
        "lot": alice.lots.order_by("pk").first(),
        "entry": alice.entries.order_by("pk").first(),
    }


# --- accounts ---------------------------------------------------------------------


def test_owner_handed_to_another_customer(shop):
    alice, mallory = shop["alice"], shop["mallory"]
    found = tampered(
        f"UPDATE {ACCOUNT} SET user_id = %s WHERE id = %s", mallory.pk, alice.pk
    )
    assert named(
        found,
        alice.pk,
        f"owner is user {mallory.pk}, but the account was opened for "
        f"user {alice.user_id}",
    )


def test_owner_taken_away_while_the_customer_exists(shop):
    alice = shop["alice"]
    found = tampered(f"UPDATE {ACCOUNT} SET user_id = NULL WHERE id = %s", alice.pk)
    assert named(found, alice.pk, "owner is nobody, but the account was opened for")


def test_a_deleted_customer_leaves_an_account_without_owner_that_verifies(
    shop, customer
):
    customer.delete()  # Saleor deletes users; the account keeps its credit
    shop["alice"].refresh_from_db()
    assert shop["alice"].user_id is None
    assert find_problems() == []


def test_an_ownerless_account_given_to_someone(shop, customer):
    customer.delete()
    alice, mallory = shop["alice"], shop["mallory"]
    found = tampered(
        f"UPDATE {ACCOUNT} SET user_id = %s WHERE id = %s", mallory.pk, alice.pk
    )
    assert named(found, alice.pk, f"owner is user {mallory.pk}")


def test_currency_changed(shop):
    alice = shop["alice"]
    found = tampered(f"UPDATE {ACCOUNT} SET currency = 'KWD' WHERE id = %s", alice.pk)
    assert named(found, alice.pk, "currency is KWD, but the account was opened in USD")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("balance = balance + 1", "!= sum of entries"),
        ("held = held - 1", "!= sum of entry hold changes"),
        ("entry_count = entry_count - 1", "entries, but the account counted"),
        ("status = 'on_hold'", "status is on_hold, but its last recorded change"),
        ("can_use = NULL", "use is by the shop rules, but its last recorded change"),
        ("can_use = false", "use is false, but its last recorded change says true"),
        ("note = 'trusted'", "staff note is not the one last recorded"),
    ],
    ids=["balance", "held", "entry_count", "status", "can_use", "refused", "note"],
)
def test_account_column_changed(shop, change, message):
    alice = shop["alice"]
    found = tampered(f"UPDATE {ACCOUNT} SET {change} WHERE id = %s", alice.pk)
    assert named(found, alice.pk, message)


def test_an_account_on_hold_lifted_behind_staffs_back(shop):
    alice = shop["alice"]
    ledger.set_status(alice, AccountStatus.ON_HOLD)
    found = tampered(f"UPDATE {ACCOUNT} SET status = 'active' WHERE id = %s", alice.pk)
    assert named(found, alice.pk, "status is active, but its last recorded change")


def test_a_deleted_account_is_noticed_without_a_checkpoint(shop):
    alice = shop["alice"]
    found = tampered(f"DELETE FROM {ACCOUNT} WHERE id = %s", alice.pk, bypass=True)
    assert named(found, alice.pk, f"opened for user {alice.user_id} in USD, now gone")
    assert named(found, alice.pk, "ledger rows of a missing account")
    assert all(p.currency == "USD" for p in found if p.account_id == alice.pk)


def test_an_account_without_its_opening_record(shop):
    """Inserted with the triggers off, so the database records no opening."""
    found = []
    try:
        with transaction.atomic():
            _run(
                f"INSERT INTO {ACCOUNT} (id, email, currency, balance, held, status, "
                "note, entry_count, created_at, updated_at) VALUES (987654, '', "
                "'USD', 0, 0, 'active', '', 0, now(), now())",
                (),
                bypass=True,
            )
            found = find_problems()
            raise _Undo
    except _Undo:
        pass
    assert named(found, 987654, "no record of its opening")


def test_an_account_opened_by_sql_is_recorded_by_the_database(shop, make_customer):
    """Whatever inserts an account, the database records its opening."""
    carol = make_customer("carol@example.com")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCOUNT} (user_id, email, currency, balance, held, "
            "status, can_use, note, entry_count, created_at, updated_at) VALUES "
            "(%s, '', 'EUR', 0, 0, 'on_hold', false, 'new', 0, now(), now()) "
            "RETURNING id",
            [carol.pk],
        )
        (account_id,) = cursor.fetchone()
    events = StoreCreditAccountEvent.objects.filter(account_id=account_id)
    assert sorted(events.values_list("type", "new_value", "user_id", "currency")) == [
        ("can_use_changed", "false", None, ""),
        ("note_changed", "new", None, ""),
        ("opened", "", carol.pk, "EUR"),
        ("status_changed", "on_hold", None, ""),
    ]


# --- lots ---------------------------------------------------------------------------


def test_lot_remaining_changed(shop):
    lot = shop["lot"]
    found = tampered(
        f"UPDATE {LOT} SET remaining_amount = remaining_amount - 1 WHERE id = %s",
        lot.pk,
    )
    assert named(found, lot.account_id, "lots that disagree with their movements")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("original_amount = original_amount + 1", "lots that disagree"),
        ("expires_at = now() + interval '1 year'", "lots that disagree"),
        ("account_id = {bob}", "!= unspent lots"),
    ],
    ids=["original_amount", "expires_at", "account"],
)
def test_lot_history_changed(shop, change, message):
    lot, bob = shop["lot"], shop["bob"]
    found = tampered(
        f"UPDATE {LOT} SET {change.format(bob=bob.pk)} WHERE id = %s",
        lot.pk,
        bypass=True,
    )
    assert named(found, lot.account_id, message)


def test_lot_deleted(shop):
    lot = shop["lot"]
    found = tampered(f"DELETE FROM {LOT} WHERE id = %s", lot.pk, bypass=True)
    assert named(found, lot.account_id, "!= unspent lots")


# --- holds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("amount = amount + 1", "hold(s) disagree with their entries"),
        ("captured_amount = 11", "hold(s) disagree with their entries"),
        ("released_amount = 1", "hold(s) disagree with their entries"),
        ("status = 'captured'", "hold(s) whose status is not what their amounts say"),
        ("reason = 'withdrawal'", "hold(s) disagree with their entries"),
        ("checkout_id = gen_random_uuid()", "hold(s) disagree with their entries"),
        ("order_id = gen_random_uuid()", "hold(s) disagree with their entries"),
        ("payment_id = 1", "hold(s) disagree with their entries"),
        ("transaction_id = gen_random_uuid()", "hold(s) disagree with their entries"),
        ("account_id = {bob}", "hold(s) disagree with their entries"),
    ],
    ids=[
        "amount",
        "captured",
        "released",
        "status",
        "reason",
        "checkout",
        "order",
        "payment",
        "transaction",
        "account",
    ],
)
def test_hold_column_changed(shop, change, message):
    hold, bob = shop["hold"], shop["bob"]
    found = tampered(
        f"UPDATE {HOLD} SET {change.format(bob=bob.pk)} WHERE id = %s", hold.pk
    )
    assert named(found, hold.account_id, message)


def test_a_closed_hold_moved_to_another_account(shop):
    paid, bob = shop["paid"], shop["bob"]
    found = tampered(
        f"UPDATE {HOLD} SET account_id = %s WHERE id = %s", bob.pk, paid.hold_id
    )
    assert named(found, paid.account_id, "hold(s) disagree with their entries")


def test_a_closed_hold_deleted(shop):
    paid = shop["paid"]
    found = tampered(f"DELETE FROM {HOLD} WHERE id = %s", paid.hold_id, bypass=True)
    assert named(found, paid.account_id, "hold(s) disagree with their entries")


# --- entries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("amount = amount + 1", "entries whose amount is not what they moved"),
        ("held_change = 1", "not the running sum"),
        ("balance_after = balance_after + 1", "not the running sum"),
        ("held_after = 1", "not the running sum"),
        ("account_id = {bob}", "not the running sum"),
        ("hold_id = {hold}", "hold(s) disagree with their entries"),
    ],
    ids=["amount", "held_change", "balance_after", "held_after", "account", "hold"],
)
def test_entry_column_changed(shop, change, message):
    entry, bob, hold = shop["entry"], shop["bob"], shop["hold"]
    found = tampered(
        f"UPDATE {ENTRY} SET {change.format(bob=bob.pk, hold=hold.pk)} WHERE id = %s",
        entry.pk,
        bypass=True,
    )
    assert named(found, entry.account_id, message)


def test_entry_kind_of_a_capture_changed(shop):
    hold = shop["hold"]
    capture = hold.entries.get(kind="capture")
    found = tampered(
        f"UPDATE {ENTRY} SET kind = 'release' WHERE id = %s", capture.pk, bypass=True
    )
    assert named(found, hold.account_id, "hold(s) disagree with their entries")


def test_entry_deleted(shop):
    entry = shop["entry"]
    found = tampered(
        f"DELETE FROM {MOVEMENT} WHERE entry_id = %s; "
        f"DELETE FROM {ENTRY} WHERE id = %s",
        entry.pk,
        entry.pk,
        bypass=True,
    )
    assert named(found, entry.account_id, "entries, but the account counted")


# --- lot movements ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("amount = amount + 1", "lots that disagree with their movements"),
        ("lot_id = {other_lot}", "lots that disagree with their movements"),
        ("entry_id = {other_entry}", "entries whose amount is not what they moved"),
        ("expires_at = now()", "lots that disagree with their movements"),
    ],
    ids=["amount", "lot", "entry", "expires_at"],
)
def test_lot_movement_column_changed(shop, change, message):
    entry, alice = shop["entry"], shop["alice"]
    other = alice.entries.filter(kind="credit").order_by("pk")[1]
    movement = entry.lot_movements.get()
    found = tampered(
        f"UPDATE {MOVEMENT} SET "
        + change.format(other_lot=other.lot_id, other_entry=other.pk)
        + " WHERE id = %s",
        movement.pk,
        bypass=True,
    )
    assert named(found, alice.pk, message)


def test_lot_movement_deleted(shop):
    movement = shop["entry"].lot_movements.get()
    found = tampered(f"DELETE FROM {MOVEMENT} WHERE id = %s", movement.pk, bypass=True)
    assert named(found, shop["alice"].pk, "lots that disagree with their movements")


# --- withdrawals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "change", "message"),
    [
        ("pending", "amount = amount + 1", "is not as requested"),
        ("pending", "account_id = {bob}", "is not as requested"),
        ("pending", "hold_id = {hold}", "is not as requested"),
        ("pending", "hold_id = NULL", "is not as requested"),
        (
            "pending",
            "status = 'approved'",
            "is approved, but was last recorded pending",
        ),
        ("pending", "status = 'paid'", "is paid, but was last recorded pending"),
        ("paid", "status = 'rejected'", "is rejected, but was last recorded paid"),
        ("paid", "status = 'pending'", "is pending, but was last recorded paid"),
    ],
    ids=[
        "amount",
        "account",
        "hold",
        "no-hold",
        "approved",
        "paid",
        "paid-to-rejected",
        "paid-to-pending",
    ],
)
def test_withdrawal_column_changed(shop, target, change, message):
    withdrawal, bob, hold = shop[target], shop["bob"], shop["hold"]
    found = tampered(
        f"UPDATE {WITHDRAWAL} SET {change.format(bob=bob.pk, hold=hold.pk)} "
        "WHERE id = %s",
        withdrawal.pk,
    )
    assert named(found, withdrawal.account_id, f"withdrawal {withdrawal.pk}")
    assert named(found, withdrawal.account_id, message)


def test_withdrawal_status_against_its_hold(shop):
    """Even with a forged record, a paid withdrawal's hold must be captured."""
    pending = shop["pending"]
    found = tampered(
        f"UPDATE {WITHDRAWAL} SET status = 'paid' WHERE id = %s; "
        f"INSERT INTO {WITHDRAWAL_EVENT} (withdrawal_id, account_id, hold_id, "
        "amount, status, actor_type, created_at) SELECT id, account_id, hold_id, "
        f"amount, 'paid', 'system', now() FROM {WITHDRAWAL} WHERE id = %s",
        pending.pk,
        pending.pk,
    )
    assert named(
        found, pending.account_id, f"withdrawal {pending.pk} is paid, but its hold"
    )


def test_withdrawal_deleted(shop):
    paid = shop["paid"]
    found = tampered(f"DELETE FROM {WITHDRAWAL} WHERE id = %s", paid.pk, bypass=True)
    assert named(found, paid.account_id, f"withdrawal {paid.pk} is missing")


def test_withdrawal_without_a_record(shop, customer):
    hold = ledger.authorize(
        customer, "1", "USD", idempotency_key="x", reason="withdrawal"
    )
    found = tampered(
        f"INSERT INTO {WITHDRAWAL} (account_id, hold_id, amount, status, "
        "customer_note, staff_note, created_at, updated_at) VALUES "
        "(%s, %s, 1, 'pending', '', '', now(), now())",
        hold.account_id,
        hold.pk,
    )
    ledger.release(hold, idempotency_key="x-release")
    assert any("has no record of its request" in p.message for p in found)


# --- account events, withdrawal records, checkpoints --------------------------------


@pytest.mark.parametrize(
    ("where", "change", "message"),
    [
        ("type = 'opened'", "user_id = {mallory}", "owner is user"),
        ("type = 'opened'", "currency = 'KWD'", "opened in KWD"),
        ("type = 'can_use_changed'", "new_value = 'false'", "use is true"),
        ("type = 'note_changed'", "new_value = ''", "staff note is not"),
    ],
    ids=["opened-user", "opened-currency", "can_use", "note"],
)
def test_account_event_changed(shop, where, change, message):
    alice, mallory = shop["alice"], shop["mallory"]
    event = alice.events.filter(**_lookup(where)).latest("pk")
    found = tampered(
        f"UPDATE {EVENT} SET {change.format(mallory=mallory.pk)} WHERE id = %s",
        event.pk,
        bypass=True,
    )
    assert named(found, alice.pk, message)


def _lookup(where: str) -> dict:
    field, value = (part.strip(" '") for part in where.split("="))
    return {field: value}


def test_account_opening_deleted(shop):
    alice = shop["alice"]
    found = tampered(
        f"DELETE FROM {EVENT} WHERE account_id = %s AND type = 'opened'",
        alice.pk,
        bypass=True,
    )
    assert named(found, alice.pk, "no record of its opening")


def test_withdrawal_record_changed(shop):
    paid = shop["paid"]
    record = paid.events.latest("pk")
    found = tampered(
        f"UPDATE {WITHDRAWAL_EVENT} SET status = 'rejected' WHERE id = %s",
        record.pk,
        bypass=True,
    )
    assert named(found, paid.account_id, "is paid, but was last recorded rejected")


def test_withdrawal_records_deleted(shop):
    paid = shop["paid"]
    found = tampered(
        f"DELETE FROM {WITHDRAWAL_EVENT} WHERE withdrawal_id = %s", paid.pk, bypass=True
    )
    assert named(found, paid.account_id, "has no record of its request")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("entries = entries + 1", "entries counted on"),
        ("accounts = accounts + 1", "accounts counted on"),
        ("movements = movements + 1", "lot movements counted on"),
        ("entries_digest = '1'", "were changed since"),
        ("lots_digest = '1'", "were changed since"),
    ],
    ids=["entries", "accounts", "movements", "entries-digest", "lots-digest"],
)
def test_checkpoint_changed(shop, change, message):
    checkpoint = record_checkpoint()
    found = tampered(
        f"UPDATE {CHECKPOINT} SET {change} WHERE id = %s", checkpoint.pk, bypass=True
    )
    assert any(p.account_id is None and message in p.message for p in found)


# --- a shop in normal use, and shops from before these records ---------------------


def test_a_shop_after_every_kind_of_operation_verifies(
    customer, other_customer, fund, staff, capsys
):
    fund(customer, "100")
    fund(customer, "10", expires_at=in_days(1))
    fund(other_customer, "20", currency="EUR")
    hold = ledger.authorize(customer, "30", "USD", idempotency_key="a")
    ledger.capture(hold, "10", idempotency_key="c")
    ledger.release(hold, idempotency_key="r")
    spent = ledger.debit(customer, "5", "USD", idempotency_key="d")
    ledger.reverse(spent, idempotency_key="undo")
    ledger.transfer(customer, other_customer, "3", "USD", idempotency_key="t")
    for status in ("approved", "rejected", "paid", "canceled"):
        withdrawal = withdraw(customer, "2", f"w-{status}")
        if status == "paid":
            settle_withdrawal(withdrawal, "approved")
        settle_withdrawal(withdrawal, status)
    withdraw(customer, "1", "w-open")
    account = ledger.get_account(customer, "USD")
    ledger.update_account(account, status=AccountStatus.ON_HOLD, note="Check ID")
    ledger.update_account(account, status=AccountStatus.ACTIVE, can_use=False)
    ledger.update_account(account, can_use=None, note="Checked, OK")
    other_customer.delete()

    assert find_problems() == []
    call_command("storecredit_verify")
    assert "all accounts consistent" in capsys.readouterr().out
    assert sorted(
        StoreCreditHold.objects.filter(withdrawal__isnull=False).values_list(
            "withdrawal__status", "status"
        )
    ) == [
        ("approved", "active"),
        ("canceled", "released"),
        ("paid", "captured"),
        ("pending", "active"),
        ("rejected", "released"),
    ]


def test_the_migration_records_what_a_shop_had_before(shop):
    """A shop from before 0007: no opening records, no withdrawal records, notes
    recorded in lower case, and state changed with no event at all. The
    migration's backfill makes it verify clean."""
    migration = importlib.import_module(
        "saleor_storecredit.migrations.0007_verify_ownership"
    )
    alice = shop["alice"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"DELETE FROM {EVENT} WHERE type = 'opened'")
        cursor.execute(f"DELETE FROM {WITHDRAWAL_EVENT}")
        cursor.execute(f"UPDATE {EVENT} SET new_value = lower(new_value)")
        cursor.execute(
            f"UPDATE {ACCOUNT} SET status = 'on_hold' WHERE id = %s", [alice.pk]
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert find_problems() != []

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    assert find_problems() == []
    assert alice.events.filter(type="opened", user_id=alice.user_id).exists()
