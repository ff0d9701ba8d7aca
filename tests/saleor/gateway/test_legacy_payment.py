"""Paying the whole checkout with store credit through the legacy Payment API."""

from decimal import Decimal

import graphene
import pytest
from saleor.core.exceptions import GiftCardNotApplicable
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order
from saleor.payment.models import Payment

from saleor_storecredit.gateway.callers import Caller
from saleor_storecredit.models import EntryKind, StoreCreditEntry

from .utils import balance, checkout_total, pay_with_credit

# Outside a test transaction: the capture in order_created runs as in
# production (it is skipped inside an atomic block).
pytestmark = pytest.mark.django_db(transaction=True)


def test_full_payment_debits_once_and_creates_a_paid_order(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total + Decimal("5.00"))

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    order = result["order"]
    assert order["chargeStatus"] == "FULL"
    assert order["paymentStatus"] == "FULLY_CHARGED"
    assert balance(customer_user) == (Decimal("5.00"), Decimal(0))
    payment = Payment.objects.get()
    debits = StoreCreditEntry.objects.filter(kind=EntryKind.DEBIT)
    assert [(e.amount, e.payment_id) for e in debits] == [(-total, payment.pk)]

    # The debit was booked before the order existed; its history row shows it.
    history = get_graphql_content(user_api_client.post_graphql(MY_HISTORY))
    (account,) = history["data"]["storeCreditAccounts"]["edges"]
    rows = [edge["node"] for edge in account["node"]["transactions"]["edges"]]
    paid = [row for row in rows if row["kind"] == "DEBIT"]
    order_global_id = graphene.Node.to_global_id("Order", payment.order_id)
    assert paid == [
        {
            "kind": "DEBIT",
            "orderId": str(payment.order_id),
            "order": {"id": order_global_id},
        }
    ]


MY_HISTORY = """
{ storeCreditAccounts(first: 5) { edges { node {
  transactions(first: 10) { edges { node { kind orderId order { id } } } }
} } } }
"""


def test_payment_fails_without_enough_credit_and_moves_nothing(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, Decimal("1.00"))

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["order"] is None
    assert result["errors"][0]["code"] == "PAYMENT_ERROR"
    assert "does not cover" in result["errors"][0]["message"]
    assert balance(customer_user) == (Decimal("1.00"), Decimal(0))


def test_authorize_only_when_channel_does_not_confirm_orders(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    channel = customer_checkout.channel
    channel.automatically_confirm_all_new_orders = False
    channel.save(update_fields=["automatically_confirm_all_new_orders"])
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["errors"] == []
    assert result["order"]["status"] == "UNCONFIRMED"
    assert balance(customer_user) == (total, total)


ORDER_CAPTURE = """
mutation ($id: ID!, $amount: PositiveDecimal!) {
  orderCapture(id: $id, amount: $amount) { errors { code message } }
}
"""

ORDER_VOID = """
mutation ($id: ID!) { orderVoid(id: $id) { errors { code message } } }
"""

ORDER_REFUND = """
mutation ($id: ID!, $amount: PositiveDecimal!) {
  orderRefund(id: $id, amount: $amount) { errors { code message } }
}
"""


def staff_call(staff_api_client, query, variables, permissions=()):
    content = get_graphql_content(
        staff_api_client.post_graphql(query, variables, permissions=list(permissions))
    )
    return next(iter(content["data"].values()))


def test_authorized_payment_is_captured_then_partly_refunded(
    user_api_client,
    staff_api_client,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    channel = customer_checkout.channel
    channel.automatically_confirm_all_new_orders = False
    channel.save(update_fields=["automatically_confirm_all_new_orders"])
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    order_id = graphene.Node.to_global_id("Order", order.pk)

    captured = staff_call(
        staff_api_client,
        ORDER_CAPTURE,
        {"id": order_id, "amount": str(total)},
        [permission_manage_orders],
    )
    assert captured["errors"] == []
    assert balance(customer_user) == (Decimal(0), Decimal(0))

    refunded = staff_call(
        staff_api_client, ORDER_REFUND, {"id": order_id, "amount": "5.00"}
    )
    assert refunded["errors"] == []
    assert balance(customer_user) == (Decimal("5.00"), Decimal(0))
    # Never more than was paid: refunding the whole total now is refused.
    refused = staff_call(
        staff_api_client, ORDER_REFUND, {"id": order_id, "amount": str(total)}
    )
    assert refused["errors"]
    assert balance(customer_user) == (Decimal("5.00"), Decimal(0))


def test_void_releases_an_authorized_payment(
    user_api_client,
    staff_api_client,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    channel = customer_checkout.channel
    channel.automatically_confirm_all_new_orders = False
    channel.save(update_fields=["automatically_confirm_all_new_orders"])
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()

    voided = staff_call(
        staff_api_client,
        ORDER_VOID,
        {"id": graphene.Node.to_global_id("Order", order.pk)},
        [permission_manage_orders],
    )

    assert voided["errors"] == []
    assert balance(customer_user) == (total, Decimal(0))


def test_credit_comes_back_when_saleor_cannot_create_the_order(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    monkeypatch,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)

    def fail(*args, **kwargs):
        raise GiftCardNotApplicable("The order could not be created.")

    monkeypatch.setattr("saleor.checkout.complete_checkout._create_order", fail)

    result = pay_with_credit(user_api_client, customer_checkout)

    assert result["order"] is None
    assert balance(customer_user) == (total, Decimal(0))
    assert StoreCreditEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


def test_retried_process_payment_debits_once(
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    payment_dummy,
):
    from saleor.payment.utils import create_payment_information

    from saleor_storecredit.config import get_settings
    from saleor_storecredit.gateway import payments

    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    payment = Payment.objects.create(
        gateway="storecredit.gateway",
        checkout=customer_checkout,
        total=total,
        currency="USD",
        is_active=True,
    )
    info = create_payment_information(payment)

    owner = Caller(user=customer_user, in_request=True)
    first = payments.process_payment(get_settings(), info, owner)
    again = payments.process_payment(get_settings(), info, owner)

    assert first.is_success and again.is_success
    assert first.transaction_id == again.transaction_id
    assert balance(customer_user) == (Decimal(0), Decimal(0))
