"""Real parallel connections and injected failures; the ledger stays whole."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from saleor.checkout.models import Checkout
from saleor.order.models import Order
from saleor.payment.models import TransactionItem
from saleor.plugins.manager import get_plugins_manager

from saleor_storecredit.config import PLUGIN_ID, get_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.gateway import transactions
from saleor_storecredit.gateway.callers import Caller
from saleor_storecredit.gateway.orders import handle_order, handle_order_safely
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import EntryKind, StoreCreditEntry

from .utils import (
    apply_credit,
    balance,
    checkout_total,
    complete,
    complete_paid_partly,
    pay_rest_by_app,
    place_order_paid_partly,
)

concurrency = pytest.mark.concurrency


def run_parallel(*functions):
    """Start the functions together, each in its own thread and DB connection."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)
    # A thread's new connections are built from settings that still name the
    # database outside the test; point them at the test database.
    names = {alias: connections[alias].settings_dict["NAME"] for alias in connections}

    def runner(index, function):
        try:
            for alias, name in names.items():
                connections[alias].settings_dict["NAME"] = name
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - the outcome is the result
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def copy_checkout(checkout):
    lines = list(checkout.lines.all())
    checkout.pk = None
    checkout.token = None
    checkout.save()
    for line in lines:
        line.pk = None
        line.checkout = checkout
        line.save()
    return Checkout.objects.get(pk=checkout.pk)


@concurrency
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_applying_the_same_credit_never_overspend(
    customer_user, customer_checkout, plugin_enabled, give_credit
):
    give_credit(customer_user, "10.00")
    second = copy_checkout(Checkout.objects.get(pk=customer_checkout.pk))
    settings = get_settings()

    def apply(checkout_pk):
        return lambda: transactions.apply_to_checkout(
            settings,
            caller=Caller(user=customer_user, in_request=True),
            checkout_pk=checkout_pk,
            manager=get_plugins_manager(allow_replica=False),
        )

    results = run_parallel(apply(customer_checkout.pk), apply(second.pk))

    held = sum(
        TransactionItem.objects.filter(app_identifier=PLUGIN_ID).values_list(
            "authorized_value", flat=True
        ),
        Decimal(0),
    )
    assert held == Decimal("10.00")
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))
    # The loser is told why: the credit is held by the other checkout.
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1, results
    assert isinstance(failures[0], StoreCreditError), failures
    assert failures[0].code == StoreCreditErrorCode.INSUFFICIENT_FUNDS


@concurrency
@pytest.mark.django_db(transaction=True)
def test_completion_racing_removal_settles_one_way(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total - 10
    )

    results = run_parallel(
        lambda: complete(user_api_client, customer_checkout),
        lambda: transactions.remove_from_checkout(
            caller=Caller(user=customer_user, in_request=True),
            checkout_pk=customer_checkout.pk,
        ),
    )

    completed, removed = results
    order = Order.objects.first()
    captured = -sum(
        StoreCreditEntry.objects.filter(kind=EntryKind.CAPTURE).values_list(
            "amount", flat=True
        ),
        Decimal(0),
    )
    if isinstance(removed, Exception):
        # The order was created first; the checkout is gone.
        assert removed.code == StoreCreditErrorCode.NOT_FOUND, results
        assert completed["errors"] == [], results
        assert captured == Decimal("10.00"), results
        assert balance(customer_user) == (Decimal(0), Decimal(0))
    else:
        # The credit went back first: nothing is taken, and either the
        # completion is refused or (removed between Saleor's payment check and
        # the order's creation) the order is not fully paid.
        assert captured == 0, results
        assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
        if order is None:
            assert completed["errors"][0]["code"] == "CHECKOUT_NOT_FULLY_PAID"
        else:
            assert order.charge_status != "full", results
    assert find_problems() == []


@concurrency
@pytest.mark.django_db(transaction=True)
def test_a_hook_firing_twice_at_once_returns_credit_once(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")
    place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status="canceled")
    settings = get_settings()

    results = run_parallel(
        lambda: handle_order(order.pk, settings),
        lambda: handle_order(order.pk, settings),
    )

    assert results == [None, None]

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
    assert find_problems() == []


@pytest.mark.django_db
def test_failure_after_the_ledger_write_while_applying_leaves_neither(
    customer_user, customer_checkout, plugin_enabled, give_credit, monkeypatch
):
    give_credit(customer_user, "10.00")

    def broken(*args, **kwargs):
        raise RuntimeError("Saleor write failed")

    monkeypatch.setattr(transactions, "checkout_payments_changed", broken)
    with pytest.raises(RuntimeError):
        transactions.apply_to_checkout(
            get_settings(),
            caller=Caller(user=customer_user, in_request=True),
            checkout_pk=customer_checkout.pk,
            manager=get_plugins_manager(allow_replica=False),
        )

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
    assert not TransactionItem.objects.exists()
    assert find_problems() == []


@pytest.mark.django_db(transaction=True)
def test_failure_while_capturing_is_retried_and_captures_once(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    monkeypatch,
):
    give_credit(customer_user, "10.00")
    original_report, original_record = transactions._report, transactions._record_charge
    scheduled = []

    def broken(*args, **kwargs):
        raise RuntimeError("Saleor write failed")

    # Both roads fail: the capture in order_created and the retry through
    # Saleor's transaction events in the hooks after it.
    monkeypatch.setattr(transactions, "_record_charge", broken)
    monkeypatch.setattr(transactions, "_report", broken)
    monkeypatch.setattr(
        "saleor_storecredit.gateway.tasks.handle_order_task.delay", scheduled.append
    )

    # The hook fails inside checkoutComplete but never raises into Saleor.
    result = complete_paid_partly(
        user_api_client,
        app_api_client,
        permission_manage_payments,
        customer_checkout,
        Decimal("10.00"),
    )
    assert result["errors"] == []
    order = Order.objects.get()
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))
    assert str(order.pk) in scheduled
    assert find_problems() == []

    monkeypatch.setattr(transactions, "_report", original_report)
    monkeypatch.setattr(transactions, "_record_charge", original_record)
    handle_order_safely(order.pk, get_settings())  # the retry
    handle_order_safely(order.pk, get_settings())

    assert balance(customer_user) == (Decimal(0), Decimal(0))
    assert StoreCreditEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1
    assert find_problems() == []


@pytest.mark.django_db(transaction=True)
def test_failed_reconcile_stops_completion_and_leaves_the_checkout_open(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    monkeypatch,
):
    from django.db import OperationalError

    total = checkout_total(customer_checkout)
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total - 10
    )

    def broken(*args, **kwargs):
        raise OperationalError("database went away")

    monkeypatch.setattr(transactions, "_paid_by_others", broken)
    result = complete(user_api_client, customer_checkout)

    assert result["errors"][0]["code"] == "PAYMENT_ERROR"
    assert "could not be checked" in result["errors"][0]["message"]
    assert not Order.objects.exists()
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))
    # Saleor's completion lock was never set by the plugin: the customer can
    # go on (pay another way, remove the credit) at once.
    checkout = Checkout.objects.get(pk=customer_checkout.pk)
    assert checkout.completing_started_at is None
    assert not checkout.is_checkout_locked()

    monkeypatch.undo()
    assert complete(user_api_client, customer_checkout)["errors"] == []
    assert balance(customer_user) == (Decimal(0), Decimal(0))
