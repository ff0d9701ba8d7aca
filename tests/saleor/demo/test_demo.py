"""The demo's scripted part, played through /graphql/ with Saleor's api clients."""

from decimal import Decimal

import pytest
from saleor.graphql.core.utils import to_global_id_or_none

from saleor_storecredit.demo import shop as demo_shop
from saleor_storecredit.demo.flows import DemoShop, Flows
from saleor_storecredit.ledger.verification import find_problems

from ..plugin_config import PLUGINS


@pytest.fixture
def demo_api(
    settings,
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_group_manage_users,
    permission_manage_payments,
    permission_manage_gift_card,
    permission_manage_orders,
):
    settings.PLUGINS = PLUGINS
    demo_shop.enable_plugin(allow_partial_payment=True)
    # A staff group with access to every channel, as the shop's own staff have.
    permission_group_manage_users.permissions.add(
        permission_manage_payments,
        permission_manage_gift_card,
        permission_manage_orders,
    )
    permission_group_manage_users.user_set.add(staff_api_client.user)
    app_api_client.app.permissions.add(permission_manage_payments)
    clients = {
        "customer": user_api_client,
        "staff": staff_api_client,
        "app": app_api_client,
    }

    def post(query, variables, as_):
        return clients[as_].post_graphql(query, variables).json()

    return post


def test_demo_flows_pay_partly_refund_and_redeem(
    demo_api, customer_user, product, shipping_method, capsys
):
    variant = product.variants.get()
    shop = DemoShop(
        channel_slug=variant.channel_listings.get().channel.slug,
        variant_id=to_global_id_or_none(variant),
        customer_email=customer_user.email,
        customer_id=to_global_id_or_none(customer_user),
        address=demo_shop.ADDRESS,
        credit_amount=Decimal("50.00"),
        apply_amount=Decimal("5.00"),
        refund_amount=Decimal("2.00"),
        gift_card_amount=Decimal("15.00"),
    )

    result = Flows(demo_api, shop, print).run()

    # 50 credited; 5 paid towards the order; 2 refunded; 15 from the gift card.
    assert result.balance_steps == [
        Decimal("50"),
        Decimal("45"),
        Decimal("47"),
        Decimal("62"),
    ]
    assert result.order_charge_status == "FULL"
    assert result.history_kinds[:2] == ["CREDIT", "REFUND"]
    assert "CAPTURE" in result.history_kinds
    assert "storeCreditCheckoutApply" in capsys.readouterr().out
    assert find_problems() == []


def test_demo_command_refuses_a_shop_database(settings):
    """A shop's database (here the test one) never gets the demo's sample data."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="storecredit_demo runs only"):
        call_command("storecredit_demo", "--no-serve")

    settings.SETTINGS_MODULE = "saleor_storecredit.demo.settings"
    with pytest.raises(CommandError, match="was not created by `make demo`"):
        call_command("storecredit_demo", "--no-serve")
