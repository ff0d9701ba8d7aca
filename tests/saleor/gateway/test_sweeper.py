"""Credit held on abandoned or deleted checkouts goes back by itself."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_storecredit.config import get_settings
from saleor_storecredit.gateway.sweeper import release_abandoned_checkouts
from saleor_storecredit.gateway.tasks import release_abandoned_checkouts_task

from .conftest import configure
from .utils import apply_credit, balance

# Outside a test transaction: the capture in order_created runs as in
# production (it is skipped inside an atomic block).
pytestmark = pytest.mark.django_db(transaction=True)


def test_credit_on_an_abandoned_checkout_returns_after_the_configured_time(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    configure(abandoned_checkout_minutes="30")
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)

    assert release_abandoned_checkouts(get_settings()) == 0
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))

    type(customer_checkout).objects.filter(pk=customer_checkout.pk).update(
        last_change=timezone.now() - timedelta(minutes=31)
    )
    assert release_abandoned_checkouts_task() == 1

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
    assert release_abandoned_checkouts(get_settings()) == 0


def test_credit_on_a_deleted_checkout_returns(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)

    customer_checkout.delete()
    assert release_abandoned_checkouts(get_settings()) == 1

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


def test_one_failing_checkout_never_stops_the_sweep_for_the_others(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    monkeypatch,
    caplog,
):
    from saleor.checkout.models import Checkout
    from saleor.payment.models import TransactionItem

    from saleor_storecredit.gateway import sweeper

    from .test_races_and_faults import copy_checkout

    give_credit(customer_user, "10.00")
    second = copy_checkout(Checkout.objects.get(pk=customer_checkout.pk))
    apply_credit(user_api_client, customer_checkout, "4.00")
    apply_credit(user_api_client, second, "6.00")
    Checkout.objects.update(last_change=timezone.now() - timedelta(days=1))
    broken = TransactionItem.objects.get(checkout_id=customer_checkout.pk)
    cancel_item = sweeper.cancel_item

    def fail_for_one(item, **kwargs):
        if item.pk == broken.pk:
            raise RuntimeError("Saleor write failed")
        return cancel_item(item, **kwargs)

    monkeypatch.setattr(sweeper, "cancel_item", fail_for_one)

    assert release_abandoned_checkouts(get_settings()) == 1

    assert balance(customer_user) == (Decimal("10.00"), Decimal("4.00"))
    assert "abandoned checkout" in caplog.text
    # The next run retries it.
    monkeypatch.setattr(sweeper, "cancel_item", cancel_item)
    assert release_abandoned_checkouts(get_settings()) == 1
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


def test_a_touched_checkout_cannot_keep_expired_credit_alive(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    monkeypatch,
):
    from saleor.checkout.models import Checkout
    from saleor.payment.models import TransactionItem

    from saleor_storecredit.ledger.holds import HOLD_AFTER_EXPIRY
    from saleor_storecredit.models import EntryKind, StoreCreditEntry, StoreCreditHold

    expiring = give_credit(
        customer_user, "10.00", expires_at=timezone.now() + timedelta(hours=2)
    ).lot
    give_credit(customer_user, "3.00")
    apply_credit(user_api_client, customer_checkout)
    hold = StoreCreditHold.objects.get()
    assert hold.expires_at == expiring.expires_at + HOLD_AFTER_EXPIRY

    def at(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        # The customer keeps touching the checkout.
        Checkout.objects.update(last_change=moment)

    # Past the credit's expiry, within the hold's deadline: the checkout keeps it.
    at(expiring.expires_at + HOLD_AFTER_EXPIRY / 2)
    assert release_abandoned_checkouts(get_settings()) == 0
    assert balance(customer_user) == (Decimal("13.00"), Decimal("13.00"))

    # Past the deadline: the hold ends and the expired credit expires with it.
    at(hold.expires_at + timedelta(minutes=1))
    assert release_abandoned_checkouts(get_settings()) == 1

    assert balance(customer_user) == (Decimal("3.00"), Decimal(0))
    expiry = StoreCreditEntry.objects.get(kind=EntryKind.EXPIRY)
    assert expiry.amount == Decimal("-10.00")
    item = TransactionItem.objects.get()
    assert item.authorized_value == 0
    assert release_abandoned_checkouts(get_settings()) == 0
