"""Fixtures for the gateway: the plugin enabled the way a merchant enables it."""

from decimal import Decimal

import pytest

from saleor_storecredit import ledger

from ..plugin_config import PLUGIN_PATH, WEBHOOK_PLUGIN_PATH, configure  # noqa: F401


@pytest.fixture
def plugin_enabled(settings):
    settings.PLUGINS = [WEBHOOK_PLUGIN_PATH, PLUGIN_PATH]
    configure()
    return configure


@pytest.fixture
def give_credit():
    counter = iter(range(1, 10**9))

    def give(user, amount, currency="USD", **kwargs):
        return ledger.credit(
            user,
            Decimal(amount),
            currency,
            idempotency_key=f"test-credit-{next(counter)}",
            **kwargs,
        )

    return give


@pytest.fixture
def customer_checkout(checkout_ready_to_complete, customer_user):
    """A checkout of the logged-in customer, ready to pay (total 30.00 + shipping)."""
    checkout = checkout_ready_to_complete
    checkout.user = customer_user
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    return checkout


@pytest.fixture
def staff_api_client(staff_api_client, permission_group_no_perms_all_channels):
    """Staff with access to every channel, as Dashboard users acting on orders."""
    permission_group_no_perms_all_channels.user_set.add(staff_api_client.user)
    return staff_api_client
