import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.ledger.rules import WITHDRAW, Spend
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    Reason,
    StoreCreditAccount,
    StoreCreditAccountEvent,
    StoreCreditAdjustmentApproval,
    StoreCreditEntry,
    StoreCreditHold,
    StoreCreditLot,
    StoreCreditLotMovement,
    StoreCreditWithdrawal,
    StoreCreditWithdrawalEvent,
)

LEDGER_MODELS = (
    StoreCreditAccount,
    StoreCreditLot,
    StoreCreditHold,
    StoreCreditEntry,
    StoreCreditWithdrawal,
    StoreCreditLotMovement,
    StoreCreditAccountEvent,
    StoreCreditWithdrawalEvent,
    StoreCreditAdjustmentApproval,
)


def ledger_rows() -> dict:
    """Row count of every ledger table: a refused call must leave them unchanged."""
    return {model.__name__: model.objects.count() for model in LEDGER_MODELS}


def withdraw(owner, amount, key: str, rules=None) -> StoreCreditWithdrawal:
    """A withdrawal request as withdrawals.py makes it (that module needs Saleor):
    the amount held, the request stored and recorded. With `rules`, only the
    kinds they let be withdrawn are held, as the shop's settings do."""
    spend = Spend.for_use(rules, WITHDRAW) if rules else Spend.for_use(None, None)
    hold = ledger.authorize(
        owner,
        amount,
        "USD",
        idempotency_key=key,
        reason=Reason.WITHDRAWAL,
        spend_from=spend,
        use=WITHDRAW,
    )
    withdrawal = StoreCreditWithdrawal.objects.create(
        account_id=hold.account_id, hold=hold, amount=hold.amount
    )
    ledger.record_withdrawal(withdrawal)
    return withdrawal


def settle_withdrawal(withdrawal: StoreCreditWithdrawal, status: str):
    """A step of withdrawals.py: paid captures the hold, rejected or canceled
    releases it, approved moves nothing; then the new status is saved and
    recorded."""
    key = f"withdrawal-{withdrawal.pk}-{status}"
    if status == "paid":
        ledger.capture(withdrawal.hold, idempotency_key=key)
    elif status in ("rejected", "canceled"):
        ledger.release(withdrawal.hold, idempotency_key=key)
    withdrawal.status = status
    withdrawal.save(update_fields=["status", "updated_at"])
    ledger.record_withdrawal(withdrawal)
    return withdrawal


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def run_in_parallel(workers: int, work) -> list:
    """Call work(i) in `workers` threads, each with its own database connection,
    all released together; returns each result or the exception it raised."""
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(request):
    """Every test that touches the database ends with storecredit_verify's check,
    except those that corrupt the ledger on purpose (they ask for `allow_problems`)."""
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db")
    )
    if uses_db:
        # Set the database up first so it is torn down (rolled back) after the check.
        request.getfixturevalue("_django_db_helper")
    yield
    if uses_db and "allow_problems" not in request.fixturenames:
        assert find_problems() == []


@pytest.fixture
def allow_problems():
    """Marks a test that corrupts the ledger deliberately."""


@pytest.fixture
def make_customer(db):
    counter = iter(range(1, 10**9))

    def make(email=None):
        n = next(counter)
        return get_user_model().objects.create_user(
            username=f"customer{n}-{email or ''}",
            email=email or f"customer{n}@example.com",
        )

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer("alice@example.com")


@pytest.fixture
def other_customer(make_customer):
    return make_customer("bob@example.com")


@pytest.fixture
def fund():
    """Credit a customer; the key is derived so tests stay short."""
    counter = iter(range(1, 10**9))

    def fund(owner, amount, currency="USD", **kwargs):
        kwargs.setdefault("idempotency_key", f"fund-{next(counter)}")
        return ledger.credit(owner, amount, currency, **kwargs)

    return fund


@pytest.fixture
def account(customer, fund):
    """Alice's USD account with 100.00 of credit."""
    return fund(customer, "100.00").account


def balance_of(account) -> tuple[Decimal, Decimal]:
    account.refresh_from_db()
    return account.balance, account.held


@pytest.fixture
def staff(make_customer):
    user = make_customer("staff@example.com")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user
