from decimal import Decimal

from saleor_storecredit import ledger
from saleor_storecredit.models import AccountStatus, EntryKind, Reason

from .conftest import balance_of, in_days


def test_due_lots_expire_what_is_left(customer, fund):
    expiring = fund(customer, "30", expires_at=in_days(5))
    later = fund(customer, "20", expires_at=in_days(50))
    fund(customer, "10")
    ledger.debit(customer, "12", "USD", idempotency_key="d")

    (entry,) = ledger.expire_due_lots(now=in_days(6))

    assert entry.kind == EntryKind.EXPIRY
    assert entry.reason == Reason.EXPIRY
    assert entry.amount == Decimal(-18)
    assert entry.balance_after == Decimal(30)
    assert entry.lot_id == expiring.lot_id
    expiring.lot.refresh_from_db()
    later.lot.refresh_from_db()
    assert expiring.lot.remaining_amount == 0
    assert later.lot.remaining_amount == 20
    assert balance_of(entry.account) == (Decimal(30), 0)


def test_nothing_expires_before_its_time(customer, fund):
    fund(customer, "30", expires_at=in_days(5))
    assert ledger.expire_due_lots(now=in_days(4)) == []
    assert ledger.expire_due_lots() == []


def test_expiry_runs_once_per_lot(customer, fund):
    fund(customer, "30", expires_at=in_days(5))
    fund(customer, "5", expires_at=in_days(5))
    assert len(ledger.expire_due_lots(now=in_days(6))) == 2
    assert ledger.expire_due_lots(now=in_days(7)) == []


def test_held_credit_never_expires(customer, fund):
    lot = fund(customer, "10", expires_at=in_days(1))
    hold = ledger.authorize(customer, "6", "USD", idempotency_key="a")

    (entry,) = ledger.expire_due_lots(now=in_days(2))

    assert entry.amount == Decimal(-4)
    account = entry.account
    assert balance_of(account) == (Decimal(6), Decimal(6))
    fully_held = ledger.expire_due_lots(now=in_days(2))
    assert fully_held == []

    ledger.capture(hold, "2", idempotency_key="c")
    ledger.release(hold, idempotency_key="r")
    (rest,) = ledger.expire_due_lots(now=in_days(3))

    assert rest.amount == Decimal(-4)
    assert rest.lot_id == lot.lot_id
    assert balance_of(account) == (0, 0)


def test_a_hold_keeps_the_lot_it_reserves(customer, fund):
    expiring = fund(customer, "10", expires_at=in_days(1))
    fund(customer, "10")
    hold = ledger.authorize(customer, "4", "USD", idempotency_key="a")

    (entry,) = ledger.expire_due_lots(now=in_days(2))

    # The hold reserved 4 of the lot that expires first: the other 6 expire.
    assert entry.amount == Decimal(-6)
    assert entry.lot_id == expiring.lot_id
    assert balance_of(entry.account) == (Decimal(14), Decimal(4))
    expiring.lot.refresh_from_db()
    assert expiring.lot.held_amount == Decimal(4)
    assert hold.expires_at is not None


def test_accounts_on_hold_still_expire(account, customer, fund):
    fund(customer, "5", expires_at=in_days(1))
    ledger.set_status(account, AccountStatus.ON_HOLD)
    (entry,) = ledger.expire_due_lots(now=in_days(2))
    assert entry.balance_after == Decimal(100)


def test_expiry_covers_many_accounts_in_batches(make_customer, fund):
    customers = [make_customer() for _ in range(5)]
    for customer in customers:
        fund(customer, "3", expires_at=in_days(1))

    first = ledger.expire_due_lots(now=in_days(2), limit=2)
    rest = ledger.expire_due_lots(now=in_days(2), limit=10)

    assert (len(first), len(rest)) == (2, 3)
    for customer in customers:
        assert ledger.get_account(customer, "USD").balance == 0
