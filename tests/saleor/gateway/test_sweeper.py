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

pytestmark = pytest.mark.django_db


def test_credit_on_an_abandoned_checkout_returns_after_the_configured_time(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    ledger_consistent,
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
    ledger_consistent,
):
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)

    customer_checkout.delete()
    assert release_abandoned_checkouts(get_settings()) == 1

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
