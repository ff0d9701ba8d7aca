"""checkout.availablePaymentGateways lists store credit only when usable."""

from decimal import Decimal

import pytest
from saleor.account.models import CustomerType

from saleor_storecredit import ledger
from saleor_storecredit.models import AccountStatus, StoreCreditAccount

from .conftest import configure
from .utils import checkout_total, gateway_ids

pytestmark = pytest.mark.django_db

GATEWAY = "storecredit.gateway"


@pytest.fixture
def funded(customer_user, customer_checkout, give_credit):
    give_credit(customer_user, checkout_total(customer_checkout) + 1)
    return StoreCreditAccount.objects.get(user=customer_user)


def test_listed_for_an_eligible_customer(
    user_api_client, customer_checkout, plugin_enabled, funded
):
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)


def test_hidden_when_plugin_inactive(
    user_api_client, customer_checkout, plugin_enabled, funded
):
    configure(active=False)
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)


def test_hidden_outside_configured_channels(
    user_api_client, customer_checkout, plugin_enabled, funded, channel_PLN
):
    configure(channels=channel_PLN.slug)
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)
    configure(channels=f"{channel_PLN.slug}, {customer_checkout.channel.slug}")
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)


def test_hidden_for_anonymous_checkout(
    api_client, customer_checkout, plugin_enabled, funded
):
    customer_checkout.user = None
    customer_checkout.save(update_fields=["user"])
    assert GATEWAY not in gateway_ids(api_client, customer_checkout)


def test_customer_type_and_per_customer_decision(
    user_api_client, customer_user, customer_checkout, plugin_enabled, funded
):
    wholesale = CustomerType.objects.create(name="Wholesale", slug="wholesale")
    configure(customer_types="wholesale")
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)

    ledger.update_account(funded, can_use=True)
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)

    ledger.update_account(funded, can_use=False)
    customer_user.customer_type = wholesale
    customer_user.save(update_fields=["customer_type"])
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)


def test_hidden_while_account_on_hold(
    user_api_client, customer_checkout, plugin_enabled, funded
):
    ledger.set_status(funded, AccountStatus.ON_HOLD)
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)


def test_balance_must_cover_total_unless_partial_allowed(
    user_api_client, customer_user, customer_checkout, plugin_enabled, give_credit
):
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)  # no credit
    give_credit(customer_user, "1.00")
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)
    configure(allow_partial_payment=False)
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)


def test_hidden_below_minimum_order_total(
    user_api_client, customer_checkout, plugin_enabled, funded
):
    total = checkout_total(customer_checkout)
    configure(minimum_order_total=str(total + Decimal("0.01")))
    assert GATEWAY not in gateway_ids(user_api_client, customer_checkout)
    configure(minimum_order_total=str(total))
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)
