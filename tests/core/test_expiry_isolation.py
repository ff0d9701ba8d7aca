"""One account the hourly expiry cannot do now (locked by another transaction,
a lock it would wait too long for, a failure) is left for the next run; every
other due account still expires in this one."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from saleor_storecredit import ledger
from saleor_storecredit.expiry import expire_due_credit
from saleor_storecredit.ledger import batches, expiry
from saleor_storecredit.models import (
    EntryKind,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditLot,
)

from .conftest import in_days

ACCOUNTS = 6


@pytest.fixture
def due_customers(make_customer, fund):
    customers = [make_customer() for _ in range(ACCOUNTS)]
    for customer in customers:
        fund(customer, "10", expires_at=in_days(1))
        fund(customer, "2")
    return customers


def expired_users() -> set:
    return set(
        StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).values_list(
            "account__user_id", flat=True
        )
    )


class HeldLock:
    """Another connection that holds a row lock until told to let go."""

    def __init__(self, sql, params):
        self.sql, self.params = sql, params
        self.taken, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(self.sql, self.params)
                self.taken.set()
                self.done.wait(timeout=60)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def lock_account_row(account):
    table = StoreCreditAccount._meta.db_table
    return HeldLock(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [account.pk])


def lock_lot_rows(account):
    table = StoreCreditLot._meta.db_table
    return HeldLock(
        f"SELECT id FROM {table} WHERE account_id = %s FOR UPDATE", [account.pk]
    )


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "lock", [lock_account_row, lock_lot_rows], ids=["account locked", "lots locked"]
)
@pytest.mark.parametrize("busy", [0, 2, 5], ids=["first", "middle", "last"])
def test_a_locked_account_waits_for_the_next_run_and_the_others_expire(
    due_customers, lock, busy, monkeypatch
):
    monkeypatch.setattr(batches, "EXPIRY_LOCK_TIMEOUT", "200ms")
    busy_customer = due_customers[busy]
    account = ledger.get_account(busy_customer, "USD")

    with lock(account):
        expire_due_credit(now=in_days(2), batch_size=2)

    others = {c.pk for c in due_customers} - {busy_customer.pk}
    assert expired_users() == others
    account.refresh_from_db()
    assert account.balance == Decimal(12)

    # The next run, once the lock is gone, expires the one left.
    (entry,) = expire_due_credit(now=in_days(2), batch_size=2)
    assert entry.account_id == account.pk
    account.refresh_from_db()
    assert account.balance == Decimal(2)


def test_a_failing_account_waits_for_the_next_run_and_the_others_expire(
    due_customers, monkeypatch
):
    broken = ledger.get_account(due_customers[0], "USD").pk
    real = expiry.expire_accounts

    def fail_for_one(account_ids, now):
        if broken in account_ids:
            raise RuntimeError("broken account")
        return real(account_ids, now)

    monkeypatch.setattr(expiry, "expire_accounts", fail_for_one)
    entries = expire_due_credit(now=in_days(2), batch_size=2)

    assert len(entries) == ACCOUNTS - 1
    assert expired_users() == {c.pk for c in due_customers[1:]}

    monkeypatch.setattr(expiry, "expire_accounts", real)
    (entry,) = expire_due_credit(now=in_days(2), batch_size=2)
    assert entry.account_id == broken
