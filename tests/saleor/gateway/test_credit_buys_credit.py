"""Credit never buys credit: top-ups and gift cards are paid another way, and
what credit paid never comes back as top-up, bonus or gift-card credit."""

from decimal import Decimal

import pytest
from saleor.checkout.models import Checkout
from saleor.giftcard.events import gift_cards_bought_event
from saleor.order.models import Order
from saleor.payment.models import Payment, TransactionItem

from saleor_storecredit.config import PLUGIN_ID, get_settings
from saleor_storecredit.error_codes import StoreCreditErrorCode
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.gateway.orders import handle_order
from saleor_storecredit.giftcards import redeem_gift_card
from saleor_storecredit.models import LotKind, StoreCreditEntry, StoreCreditLot

from .conftest import configure
from .utils import (
    apply_credit,
    balance,
    checkout_id,
    checkout_total,
    complete,
    create_credit_payment,
    gateway_ids,
    pay_rest_by_app,
    place_order_paid_partly,
)

pytestmark = pytest.mark.django_db(transaction=True)


def make_top_up(checkout, **settings):
    sku = checkout.lines.get().variant.sku
    configure(top_up_skus=sku, **settings)
    return sku


def make_gift_card_product(checkout):
    product_type = checkout.lines.get().variant.product.product_type
    product_type.kind = "gift_card"
    product_type.save(update_fields=["kind"])


@pytest.mark.parametrize("bought", ["top_up", "gift_card"])
def test_credit_is_refused_for_a_checkout_buying_credit(
    bought,
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    if bought == "top_up":
        make_top_up(customer_checkout)
    else:
        make_gift_card_product(customer_checkout)
    give_credit(customer_user, "500.00")

    assert "storecredit.gateway" not in gateway_ids(user_api_client, customer_checkout)
    result = apply_credit(user_api_client, customer_checkout)

    assert result["errors"][0]["code"] == "NOT_PAYABLE_WITH_CREDIT"
    assert not TransactionItem.objects.filter(app_identifier=PLUGIN_ID).exists()
    assert balance(customer_user) == (Decimal("500.00"), Decimal(0))


def test_payment_api_refuses_credit_for_a_top_up(
    user_api_client, customer_user, customer_checkout, plugin_enabled, give_credit
):
    make_top_up(customer_checkout, top_up_bonus_tiers="1:10")
    give_credit(customer_user, "500.00")

    created = create_credit_payment(user_api_client, customer_checkout)

    # Refused before Saleor creates the payment: nothing left on the order.
    assert created["errors"][0]["code"] == "NOT_SUPPORTED_GATEWAY"
    assert not Payment.objects.exists()
    assert not Order.objects.exists()
    assert balance(customer_user) == (Decimal("500.00"), Decimal(0))
    assert not StoreCreditLot.objects.filter(
        kind__in=[LotKind.TOP_UP, LotKind.BONUS]
    ).exists()


def test_top_up_added_after_the_payment_was_created_stops_completion(
    user_api_client, customer_user, customer_checkout, plugin_enabled, give_credit
):
    give_credit(customer_user, "500.00")
    created = create_credit_payment(user_api_client, customer_checkout)
    assert created["errors"] == []
    make_top_up(customer_checkout, top_up_bonus_tiers="1:10")

    result = complete(user_api_client, customer_checkout)

    assert result["order"] is None
    assert not Order.objects.exists()
    assert balance(customer_user) == (Decimal("500.00"), Decimal(0))
    assert not StoreCreditLot.objects.filter(
        kind__in=[LotKind.TOP_UP, LotKind.BONUS]
    ).exists()


def test_top_up_added_after_the_credit_was_applied_stops_completion(
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
    make_top_up(customer_checkout, top_up_bonus_tiers="1:10")

    result = complete(user_api_client, customer_checkout)

    assert result["errors"][0]["code"] == "PAYMENT_ERROR"
    assert "top-up" in result["errors"][0]["message"]
    assert not Order.objects.exists()
    # Nothing taken, and the checkout is not left locked by the failure.
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))
    assert Checkout.objects.get(pk=customer_checkout.pk).completing_started_at is None


def test_top_up_paid_partly_with_credit_credits_only_the_other_payment(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    """The issue's attack: 30 of credit for a 30 top-up with a 10 % bonus came
    back as 33. Here the SKU becomes a top-up after the credit was taken (the
    checkout could not refuse it): only the card's part becomes credit."""
    give_credit(customer_user, "10.00")
    total = checkout_total(customer_checkout)
    order = place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    assert balance(customer_user) == (Decimal(0), Decimal(0))
    order_line = order.lines.get()
    configure(top_up_skus=order_line.product_sku, top_up_bonus_tiers="1:10")
    bought = order_line.total_price_gross_amount
    paid_elsewhere = total - Decimal(10)

    handle_order(order.pk, get_settings())
    handle_order(order.pk, get_settings())

    top_up = min(bought, paid_elsewhere)
    bonus = (top_up / 10).quantize(Decimal("0.01"))
    assert balance(customer_user) == (top_up + bonus, Decimal(0))
    assert top_up + bonus <= paid_elsewhere * Decimal("1.1")
    assert StoreCreditEntry.objects.filter(reason="top_up").count() == 1


def test_top_up_is_credited_only_once_the_order_is_paid(
    user_api_client, customer_user, customer_checkout, plugin_enabled
):
    """A status trigger alone never credits an unpaid top-up order."""
    make_top_up(customer_checkout, top_up_triggers="unfulfilled")
    customer_checkout.channel.allow_unpaid_orders = True
    customer_checkout.channel.save(update_fields=["allow_unpaid_orders"])

    assert complete(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status="unfulfilled")
    handle_order(order.pk, get_settings())

    assert not StoreCreditEntry.objects.exists()


def test_gift_card_bought_with_credit_is_not_redeemed_into_credit(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    gift_card,
):
    give_credit(customer_user, "10.00")
    order = place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    gift_cards_bought_event([gift_card], order, None, None)
    card_balance = gift_card.current_balance_amount
    entries = StoreCreditEntry.objects.count()

    with pytest.raises(StoreCreditError) as error:
        redeem_gift_card(customer_user, gift_card.code)

    assert error.value.code == StoreCreditErrorCode.GIFT_CARD_NOT_USABLE
    assert StoreCreditEntry.objects.count() == entries
    gift_card.refresh_from_db()
    assert gift_card.current_balance_amount == card_balance


def test_gift_card_bought_without_credit_is_redeemed(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    gift_card,
):
    total = checkout_total(customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )
    assert complete(user_api_client, customer_checkout)["errors"] == []
    gift_cards_bought_event([gift_card], Order.objects.get(), None, None)

    entry = redeem_gift_card(customer_user, gift_card.code)

    assert entry.amount == gift_card.current_balance_amount


def test_auto_applied_credit_goes_back_when_a_top_up_is_in_the_checkout(
    user_api_client, customer_user, customer_checkout, plugin_enabled, give_credit
):
    import graphene
    from saleor.graphql.tests.utils import get_graphql_content

    from .test_checkout_credit import CHECKOUT_LINES_UPDATE

    configure(auto_apply=True)
    give_credit(customer_user, "1000.00")
    line = customer_checkout.lines.get()

    def set_quantity(quantity):
        content = get_graphql_content(
            user_api_client.post_graphql(
                CHECKOUT_LINES_UPDATE,
                {
                    "id": checkout_id(customer_checkout),
                    "lines": [
                        {
                            "lineId": graphene.Node.to_global_id(
                                "CheckoutLine", line.pk
                            ),
                            "quantity": quantity,
                        }
                    ],
                },
            )
        )
        assert content["data"]["checkoutLinesUpdate"]["errors"] == []

    set_quantity(2)
    assert balance(customer_user)[1] > 0
    configure(auto_apply=True, top_up_skus=line.variant.sku)

    set_quantity(3)

    assert balance(customer_user) == (Decimal("1000.00"), Decimal(0))
    assert not TransactionItem.objects.filter(
        app_identifier=PLUGIN_ID, authorized_value__gt=0
    ).exists()
