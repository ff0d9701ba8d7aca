"""The history's order filter finds the rows its `orderId` shows, on both
payment roads, though a checkout's payment is booked before its order exists."""

from decimal import Decimal

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order
from saleor.permission.models import Permission

from saleor_storecredit.config import PLUGIN_ID

from .test_legacy_payment import ORDER_REFUND, staff_call
from .utils import (
    checkout_total,
    complete_paid_partly,
    pay_with_credit,
    request_action,
)

pytestmark = pytest.mark.django_db(transaction=True)

HISTORY = """
query ($filter: StoreCreditTransactionFilterInput) {
  storeCreditTransactions(first: 100, filter: $filter) {
    totalCount
    edges { node { id kind orderId order { id } } }
  }
}
"""


def history(client, order=None):
    variables = {}
    if order is not None:
        variables["filter"] = {"order": graphene.Node.to_global_id("Order", order.pk)}
    data = get_graphql_content(client.post_graphql(HISTORY, variables))["data"]
    rows = [edge["node"] for edge in data["storeCreditTransactions"]["edges"]]
    assert data["storeCreditTransactions"]["totalCount"] == len(rows)
    return rows


def assert_filter_matches_the_field(client, order, kinds):
    shown = [row for row in history(client) if row["orderId"] == str(order.pk)]
    assert sorted(row["kind"] for row in shown) == sorted(kinds)
    assert history(client, order) == shown
    order_id = graphene.Node.to_global_id("Order", order.pk)
    assert {row["order"]["id"] for row in shown} == {order_id}


def test_payment_api_debit_and_refund_are_found_by_their_order(
    user_api_client,
    staff_api_client,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    give_credit(customer_user, checkout_total(customer_checkout) + Decimal(5))
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    refunded = staff_call(
        staff_api_client,
        ORDER_REFUND,
        {"id": graphene.Node.to_global_id("Order", order.pk), "amount": "5.00"},
        [permission_manage_orders],
    )
    assert refunded["errors"] == []
    staff_api_client.user.user_permissions.add(
        Permission.objects.get(codename="manage_users")
    )

    for client in (user_api_client, staff_api_client):
        assert_filter_matches_the_field(client, order, ["DEBIT", "REFUND"])
    # The credit given outside any order is not among them.
    assert len(history(user_api_client)) == 3


def test_transaction_authorization_capture_and_refund_are_found_by_their_order(
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
    item = order.payment_transactions.get(app_identifier=PLUGIN_ID)
    refunded = request_action(
        staff_api_client, item, "REFUND", "4.00", [permission_manage_payments]
    )
    assert refunded["errors"] == []

    assert_filter_matches_the_field(
        user_api_client, order, ["AUTHORIZATION", "CAPTURE", "REFUND"]
    )


def test_an_order_of_another_customer_finds_none_of_mine(
    user_api_client,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
    order_list,
):
    give_credit(customer_user, checkout_total(customer_checkout))
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []

    assert history(user_api_client, order_list[0]) == []
