"""Part payment through the Transactions API: credit applied to the checkout,
the rest paid by a payment app, captured once when the order is created."""

from decimal import Decimal

import pytest
from saleor.order import OrderChargeStatus, OrderEvents
from saleor.order.models import Order
from saleor.payment.models import TransactionItem

from saleor_storecredit import ledger
from saleor_storecredit.config import PLUGIN_ID
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
    remove_credit,
    request_action,
)

# Outside a test transaction: the capture in order_created runs as in
# production (it is skipped inside an atomic block).
pytestmark = pytest.mark.django_db(transaction=True)


def credit_item():
    return TransactionItem.objects.get(app_identifier=PLUGIN_ID)


def test_apply_holds_credit_as_a_plugin_transaction(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")

    result = apply_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    assert result["appliedAmount"] == {"amount": 10.0, "currency": "USD"}
    assert result["checkout"]["authorizeStatus"] == "PARTIAL"
    assert balance(customer_user) == (Decimal("10.00"), Decimal("10.00"))
    item = credit_item()
    assert item.app_id is None
    assert item.authorized_value == Decimal("10.00")
    assert item.checkout_id == customer_checkout.pk


def test_apply_caps_at_the_unpaid_part_and_the_asked_amount(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total + 100)

    assert (
        apply_credit(user_api_client, customer_checkout, "5.00")["appliedAmount"][
            "amount"
        ]
        == 5.0
    )
    # Applying again re-computes: everything still unpaid, not 5 more.
    result = apply_credit(user_api_client, customer_checkout)

    assert Decimal(str(result["appliedAmount"]["amount"])) == total
    assert result["checkout"]["authorizeStatus"] == "FULL"
    assert balance(customer_user) == (total + 100, total)


def test_partial_payment_to_order_captures_once_and_refund_returns_credit(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")

    result = complete_paid_partly(
        user_api_client,
        app_api_client,
        permission_manage_payments,
        customer_checkout,
        Decimal("10.00"),
    )

    assert result["errors"] == []
    order = Order.objects.get()
    item = credit_item()
    assert order.charge_status == OrderChargeStatus.FULL
    # Saleor recorded the order as fully paid once, as for any order born paid.
    assert order.events.filter(type=OrderEvents.ORDER_FULLY_PAID).count() == 1
    assert item.order_id == order.pk
    assert (item.authorized_value, item.charged_value) == (0, Decimal("10.00"))
    assert balance(customer_user) == (Decimal(0), Decimal(0))
    captures = StoreCreditEntry.objects.filter(kind=EntryKind.CAPTURE)
    assert [(c.amount, c.order_id) for c in captures] == [(Decimal("-10.00"), order.pk)]

    refunded = request_action(
        staff_api_client, item, "REFUND", "4.00", [permission_manage_payments]
    )

    assert refunded["errors"] == []
    assert refunded["transaction"]["refundedAmount"]["amount"] == 4.0
    assert refunded["transaction"]["chargedAmount"]["amount"] == 6.0
    assert balance(customer_user) == (Decimal("4.00"), Decimal(0))


@pytest.mark.django_db(transaction=True)
def test_checkout_complete_answers_with_the_order_paid(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    # Outside a test transaction Saleor's order_created runs before the
    # mutation answers, as in production: the credit is captured there, before
    # Saleor looks at the new order's charge status.
    give_credit(customer_user, "10.00")

    result = complete_paid_partly(
        user_api_client,
        app_api_client,
        permission_manage_payments,
        customer_checkout,
        Decimal("10.00"),
    )

    assert result["errors"] == []
    assert result["order"]["chargeStatus"] == "FULL"
    order = Order.objects.get()
    assert order.events.filter(type=OrderEvents.ORDER_FULLY_PAID).count() == 1
    assert balance(customer_user) == (Decimal(0), Decimal(0))
    assert StoreCreditEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1
    assert find_problems() == []


def test_remove_gives_the_credit_back(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")
    apply_credit(user_api_client, customer_checkout)

    result = remove_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    assert result["checkout"]["authorizeStatus"] == "NONE"
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
    assert credit_item().authorized_value == 0


def test_only_the_owner_may_apply(
    user_api_client,
    api_client,
    customer_user,
    customer_checkout,
    staff_user,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, "10.00")
    customer_checkout.user = staff_user
    customer_checkout.save(update_fields=["user"])

    assert apply_credit(user_api_client, customer_checkout)["errors"][0]["code"] == (
        "NOT_FOUND"
    )
    assert apply_credit(api_client, customer_checkout)["errors"][0]["code"] == (
        "NOT_ELIGIBLE"
    )
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


def test_total_dropping_after_apply_does_not_overpay(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total + 100)
    apply_credit(user_api_client, customer_checkout)
    line = customer_checkout.lines.first()
    line.quantity = 1
    line.save(update_fields=["quantity"])
    customer_checkout.price_expiration = customer_checkout.created_at
    customer_checkout.save(update_fields=["price_expiration"])
    new_total = checkout_total(customer_checkout)
    assert new_total < total

    result = complete(user_api_client, customer_checkout)

    assert result["errors"] == []
    assert Order.objects.get().charge_status == OrderChargeStatus.FULL
    assert credit_item().charged_value == new_total
    assert balance(customer_user) == (total + 100 - new_total, Decimal(0))


@pytest.mark.parametrize(
    ("setup", "amount", "code"),
    [
        ("no_credit", None, "INSUFFICIENT_FUNDS"),
        ("on_hold", None, "ACCOUNT_ON_HOLD"),
        ("inactive", None, "GATEWAY_INACTIVE"),
        ("other_channel", None, "NOT_ELIGIBLE"),
        ("minimum", None, "BELOW_MINIMUM"),
        ("no_partial", None, "PARTIAL_PAYMENT_NOT_ALLOWED"),
        ("locked", None, "CHECKOUT_LOCKED"),
        ("paid", None, "NOTHING_TO_PAY"),
        (None, "0.001", "TOO_MANY_DECIMAL_PLACES"),
        (None, "1e20", "AMOUNT_TOO_LARGE"),
        (None, "9" * 400, "AMOUNT_TOO_LARGE"),
    ],
)
def test_apply_refusals_have_distinct_codes_and_move_nothing(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    setup,
    amount,
    code,
):
    from django.utils import timezone

    from saleor_storecredit import ledger
    from saleor_storecredit.models import AccountStatus, StoreCreditAccount

    from .conftest import configure

    total = checkout_total(customer_checkout)
    if setup != "no_credit":
        give_credit(customer_user, "10.00")
    if setup == "on_hold":
        ledger.set_status(
            StoreCreditAccount.objects.get(user=customer_user), AccountStatus.ON_HOLD
        )
    elif setup == "inactive":
        configure(active=False)
    elif setup == "other_channel":
        configure(channels="another-channel")
    elif setup == "minimum":
        configure(minimum_order_total=str(total + 1))
    elif setup == "no_partial":
        configure(allow_partial_payment=False)
    elif setup == "locked":
        customer_checkout.completing_started_at = timezone.now()
        customer_checkout.save(update_fields=["completing_started_at"])
    elif setup == "paid":
        pay_rest_by_app(
            app_api_client, permission_manage_payments, customer_checkout, total
        )

    result = apply_credit(user_api_client, customer_checkout, amount)

    assert result["errors"][0]["code"] == code, result
    assert result["errors"][0]["message"]
    assert not TransactionItem.objects.filter(app_identifier=PLUGIN_ID).exists()
    if setup != "no_credit":
        assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


CHECKOUT_LINES_UPDATE = """
mutation ($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { errors { code message } }
}
"""


def test_auto_apply_keeps_credit_in_step_with_the_checkout(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    import graphene
    from saleor.graphql.tests.utils import get_graphql_content

    from .conftest import configure
    from .utils import checkout_id

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

    set_quantity(5)
    assert credit_item().authorized_value == checkout_total(customer_checkout)

    set_quantity(1)
    smaller = checkout_total(customer_checkout)
    assert credit_item().authorized_value == smaller
    assert balance(customer_user) == (Decimal("1000.00"), smaller)


GRANT_REFUND = """
mutation ($id: ID!, $input: OrderGrantRefundCreateInput!) {
  orderGrantRefundCreate(id: $id, input: $input) {
    grantedRefund { id }
    errors { code field message }
  }
}
"""

REFUND_GRANTED = """
mutation ($id: ID!, $grantedRefundId: ID!) {
  transactionRequestRefundForGrantedRefund(id: $id, grantedRefundId: $grantedRefundId) {
    transaction { refundedAmount { amount } chargedAmount { amount } }
    errors { code field message }
  }
}
"""


def test_granted_refund_on_the_credit_transaction_returns_credit(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    import graphene
    from saleor.graphql.tests.utils import get_graphql_content
    from saleor.order import OrderGrantedRefundStatus

    give_credit(customer_user, "10.00")
    place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    order = Order.objects.get()
    item = credit_item()
    item_id = graphene.Node.to_global_id("TransactionItem", item.token)
    granted = get_graphql_content(
        staff_api_client.post_graphql(
            GRANT_REFUND,
            {
                "id": graphene.Node.to_global_id("Order", order.pk),
                "input": {"amount": "3.00", "transactionId": item_id},
            },
            permissions=[permission_manage_orders, permission_manage_payments],
        )
    )["data"]["orderGrantRefundCreate"]
    assert granted["errors"] == []

    refunded = get_graphql_content(
        staff_api_client.post_graphql(
            REFUND_GRANTED,
            {"id": item_id, "grantedRefundId": granted["grantedRefund"]["id"]},
        )
    )["data"]["transactionRequestRefundForGrantedRefund"]

    assert refunded["errors"] == []
    assert refunded["transaction"]["refundedAmount"]["amount"] == 3.0
    assert balance(customer_user) == (Decimal("3.00"), Decimal(0))
    assert order.granted_refunds.get().status == OrderGrantedRefundStatus.SUCCESS


@pytest.mark.parametrize(
    "change", [{"status": "on_hold"}, {"can_use": False}], ids=["on hold", "refused"]
)
def test_account_stopped_after_apply_cannot_complete_with_credit(
    change,
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    """Staff put the account on hold (or refuse it credit) while credit sits
    on the checkout: completion is refused and nothing is taken."""
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total + 5)
    assert apply_credit(user_api_client, customer_checkout)["errors"] == []
    account = ledger.get_account(customer_user, "USD")
    ledger.update_account(account, **change)

    result = complete(user_api_client, customer_checkout)

    assert result["order"] is None
    assert [e["code"] for e in result["errors"]] == ["PAYMENT_ERROR"]
    assert not Order.objects.exists()
    assert balance(customer_user) == (total + 5, total)  # still only held
    assert StoreCreditEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 0
    # The customer can take the credit off and pay another way.
    assert remove_credit(user_api_client, customer_checkout)["errors"] == []
    assert balance(customer_user) == (total + 5, Decimal(0))
