"""Real parallel connections: each worker is a thread with its own database
connection, all released at once by a barrier."""

from decimal import Decimal

import pytest
from django.db import DatabaseError

from saleor_storecredit import ledger
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    EntryKind,
    StoreCreditAccount,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
)

from .conftest import balance_of, in_days, run_in_parallel

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

WORKERS = 24


def codes(results):
    return sorted(
        r.code.value if isinstance(r, StoreCreditError) else type(r).__name__
        for r in results
    )


def no_database_errors(results):
    errors = [r for r in results if isinstance(r, DatabaseError | RuntimeError)]
    assert errors == []


def test_parallel_debits_never_overdraw(customer, fund):
    fund(customer, "20.00")

    results = run_in_parallel(
        WORKERS,
        lambda i: ledger.debit(customer, "1.00", "USD", idempotency_key=f"d{i}"),
    )

    no_database_errors(results)
    assert codes(results) == ["StoreCreditEntry"] * 20 + ["insufficient_funds"] * 4
    account = ledger.get_account(customer, "USD")
    assert balance_of(account) == (0, 0)
    assert find_problems() == []


def test_parallel_debits_lose_no_update(customer, fund):
    fund(customer, "100.00")
    fund(customer, "50.00", expires_at=in_days(3))

    def spend(i):
        return [
            ledger.debit(customer, "0.35", "USD", idempotency_key=f"d{i}-{n}")
            for n in range(5)
        ]

    results = run_in_parallel(WORKERS, spend)

    no_database_errors(results)
    assert all(isinstance(r, list) for r in results)
    account = ledger.get_account(customer, "USD")
    spent = Decimal("0.35") * 5 * WORKERS
    assert balance_of(account) == (Decimal("150.00") - spent, 0)
    assert sorted(e.balance_after for r in results for e in r) == [
        Decimal("150.00") - Decimal("0.35") * n for n in range(WORKERS * 5, 0, -1)
    ]
    assert find_problems() == []


def test_opposite_transfers_never_deadlock(customer, other_customer, fund):
    fund(customer, "100")
    fund(other_customer, "100")
    rounds = 10

    def shuttle(i):
        sender, recipient = (
            (customer, other_customer) if i % 2 else (other_customer, customer)
        )
        for n in range(rounds):
            ledger.transfer(sender, recipient, "1", "USD", idempotency_key=f"t{i}-{n}")
        return "done"

    results = run_in_parallel(20, shuttle)

    assert results == ["done"] * 20
    alice = ledger.get_account(customer, "USD")
    bob = ledger.get_account(other_customer, "USD")
    assert balance_of(alice)[0] + balance_of(bob)[0] == Decimal(200)
    assert balance_of(alice)[0] == Decimal(100)  # as many sent each way
    assert StoreCreditEntry.objects.filter(kind=EntryKind.DEBIT).count() == 20 * rounds
    assert find_problems() == []


def test_parallel_captures_never_exceed_the_hold(customer, fund):
    fund(customer, "100")
    hold = ledger.authorize(customer, "10", "USD", idempotency_key="a")

    results = run_in_parallel(
        WORKERS, lambda i: ledger.capture(hold, "1", idempotency_key=f"c{i}")
    )

    no_database_errors(results)
    captured = [r for r in results if isinstance(r, StoreCreditEntry)]
    refused = {r.code for r in results if isinstance(r, StoreCreditError)}
    assert len(captured) == 10
    assert refused <= {
        StoreCreditErrorCode.CAPTURE_EXCEEDS_HOLD,
        StoreCreditErrorCode.HOLD_NOT_ACTIVE,
    }
    hold.refresh_from_db()
    assert (hold.captured_amount, hold.status) == (Decimal(10), "captured")
    assert balance_of(hold.account) == (Decimal(90), 0)
    assert find_problems() == []


def test_parallel_capture_and_release_of_one_hold(customer, fund):
    fund(customer, "100")
    hold = ledger.authorize(customer, "50", "USD", idempotency_key="a")

    def settle(i):
        if i % 2:
            return ledger.capture(hold, "3", idempotency_key=f"c{i}")
        return ledger.release(hold, "3", idempotency_key=f"r{i}")

    results = run_in_parallel(WORKERS, settle)

    no_database_errors(results)
    hold.refresh_from_db()
    assert hold.captured_amount + hold.released_amount == Decimal(48)
    assert hold.remaining == Decimal(2)
    assert find_problems() == []


RETRIED_OPERATIONS = ["credit", "debit", "authorize", "capture", "transfer"]


@pytest.mark.parametrize("operation", RETRIED_OPERATIONS)
def test_parallel_retries_of_one_key_write_once(
    operation, customer, other_customer, make_customer, fund
):
    newcomer = make_customer("new@example.com")
    fund(customer, "100")
    hold = ledger.authorize(customer, "30", "USD", idempotency_key="h")
    calls = {
        # The newcomer has no account yet: the retries also race to create it.
        "credit": lambda: ledger.credit(newcomer, "5", "USD", idempotency_key="same"),
        "debit": lambda: ledger.debit(customer, "5", "USD", idempotency_key="same"),
        "authorize": lambda: ledger.authorize(
            customer, "5", "USD", idempotency_key="same"
        ),
        "capture": lambda: ledger.capture(hold, "5", idempotency_key="same"),
        "transfer": lambda: ledger.transfer(
            customer, newcomer, "5", "USD", idempotency_key="same"
        ),
    }
    rows_before = StoreCreditEntry.objects.count()

    results = run_in_parallel(WORKERS, lambda i: calls[operation]())

    no_database_errors(results)
    assert not [r for r in results if isinstance(r, Exception)]
    identities = {
        (r.debit.pk, r.credit.pk) if hasattr(r, "debit") else r.pk for r in results
    }
    assert len(identities) == 1
    written = 2 if operation == "transfer" else 1
    assert StoreCreditEntry.objects.count() == rows_before + written
    assert StoreCreditAccount.objects.filter(user=newcomer).count() == (
        1 if operation in ("credit", "transfer") else 0
    )
    assert find_problems() == []


def test_parallel_expiry_workers_expire_each_lot_once(make_customer, fund):
    customers = [make_customer() for _ in range(30)]
    for customer in customers:
        fund(customer, "4", expires_at=in_days(1))
        fund(customer, "6", expires_at=in_days(2))
        fund(customer, "1")
    now = in_days(3)

    results = run_in_parallel(8, lambda i: ledger.expire_due_lots(now=now))

    no_database_errors(results)
    expiries = [entry for entries in results for entry in entries]
    assert len(expiries) == 60
    assert len({entry.lot_id for entry in expiries}) == 60
    assert StoreCreditEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 60
    assert not StoreCreditLot.objects.filter(
        expires_at__isnull=False, remaining_amount__gt=0
    ).exists()
    for customer in customers:
        assert ledger.get_account(customer, "USD").balance == Decimal(1)
    assert find_problems() == []


def test_mixed_traffic_on_two_accounts_stays_consistent(customer, other_customer, fund):
    fund(customer, "60")
    fund(other_customer, "60")

    def traffic(i):
        me, them = (customer, other_customer) if i % 2 else (other_customer, customer)
        for n in range(6):
            key = f"{i}-{n}"
            try:
                match n % 6:
                    case 0:
                        ledger.debit(me, "2", "USD", idempotency_key=key)
                    case 1:
                        hold = ledger.authorize(me, "3", "USD", idempotency_key=key)
                        ledger.capture(hold, "1", idempotency_key=f"{key}c")
                        ledger.release(hold, idempotency_key=f"{key}r")
                    case 2:
                        ledger.transfer(me, them, "1.5", "USD", idempotency_key=key)
                    case 3:
                        ledger.credit(them, "0.5", "USD", idempotency_key=key)
                    case 4:
                        ledger.adjust(me, "-0.25", "USD", idempotency_key=key)
                    case 5:
                        ledger.expire_due_lots()
            except StoreCreditError as error:
                assert error.code == StoreCreditErrorCode.INSUFFICIENT_FUNDS
        return "done"

    results = run_in_parallel(WORKERS, traffic)

    assert results == ["done"] * WORKERS
    total = sum(
        balance_of(ledger.get_account(c, "USD"))[0] for c in (customer, other_customer)
    )
    # Each worker: -2 debit, -1 capture, +0.5 credit, -0.25 adjustment.
    assert total == Decimal(120) - WORKERS * Decimal("2.75")
    assert not StoreCreditHold.objects.filter(status="active").exists()
    assert find_problems() == []
