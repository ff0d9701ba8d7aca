"""Credit back on order statuses and returns; top-up purchases. Each once."""

from decimal import Decimal

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order

from saleor_storecredit import ledger
from saleor_storecredit.config import PLUGIN_ID, get_settings
from saleor_storecredit.gateway.orders import handle_order
from saleor_storecredit.models import LotKind, StoreCreditEntry, StoreCreditLot

from .conftest import configure
from .utils import (
    balance,
    checkout_total,
    complete,
    pay_rest_by_app,
    pay_with_credit,
    place_order_paid_partly,
)

# Outside a test transaction: the capture in order_created runs as in
# production (it is skipped inside an atomic block).
pytestmark = pytest.mark.django_db(transaction=True)

ORDER_CANCEL = """
mutation ($id: ID!) {
  orderCancel(id: $id) { order { status } errors { code message } }
}
"""

ORDER_FULFILL = """
mutation ($order: ID, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { errors { code message field } }
}
"""

ORDER_RETURN = """
mutation ($order: ID!, $input: OrderReturnProductsInput!) {
  orderFulfillmentReturnProducts(order: $order, input: $input) {
    order { status }
    errors { code message field }
  }
}
"""


def cancel(staff_api_client, permission_manage_orders, order):
    content = get_graphql_content(
        staff_api_client.post_graphql(
            ORDER_CANCEL,
            {"id": graphene.Node.to_global_id("Order", order.pk)},
            permissions=[permission_manage_orders],
        )
    )
    assert content["data"]["orderCancel"]["errors"] == []
    return content["data"]["orderCancel"]["order"]


def test_cancel_returns_credit_of_a_part_paid_order_once(
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
    give_credit(customer_user, "10.00")
    place_order_paid_partly(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, credit=Decimal("10"),
    )  # fmt: skip
    order = Order.objects.get()
    assert balance(customer_user) == (Decimal(0), Decimal(0))

    assert cancel(staff_api_client, permission_manage_orders, order)["status"] == (
        "CANCELED"
    )

    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))
    # The same hook again (Saleor fires order_updated too): nothing more.
    handle_order(order.pk, get_settings())
    handle_order(order.pk, get_settings())
    assert balance(customer_user) == (Decimal("10.00"), Decimal(0))


def test_cancel_refunds_a_legacy_credit_payment(
    user_api_client,
    staff_api_client,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()

    cancel(staff_api_client, permission_manage_orders, order)

    assert balance(customer_user) == (total, Decimal(0))
    payment = order.payments.get()
    assert payment.captured_amount == 0
    handle_order(order.pk, get_settings())
    assert balance(customer_user) == (total, Decimal(0))


def test_return_of_all_lines_returns_credit(
    user_api_client,
    staff_api_client,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
    give_credit,
):
    configure(return_statuses="canceled, returned")
    total = checkout_total(customer_checkout)
    give_credit(customer_user, total)
    assert pay_with_credit(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    order_id = graphene.Node.to_global_id("Order", order.pk)
    fulfill_lines = [
        {
            "orderLineId": graphene.Node.to_global_id("OrderLine", line.pk),
            "stocks": [
                {
                    "quantity": line.quantity,
                    "warehouse": graphene.Node.to_global_id(
                        "Warehouse", line.allocations.get().stock.warehouse_id
                    ),
                }
            ],
        }
        for line in order.lines.all()
    ]
    content = get_graphql_content(
        staff_api_client.post_graphql(
            ORDER_FULFILL,
            {"order": order_id, "input": {"lines": fulfill_lines}},
            permissions=[permission_manage_orders],
        )
    )
    assert content["data"]["orderFulfill"]["errors"] == []
    assert balance(customer_user) == (Decimal(0), Decimal(0))
    fulfillment_lines = [
        {
            "fulfillmentLineId": graphene.Node.to_global_id("FulfillmentLine", fl.pk),
            "quantity": fl.quantity,
        }
        for fl in order.fulfillments.get().lines.all()
    ]

    content = get_graphql_content(
        staff_api_client.post_graphql(
            ORDER_RETURN,
            {"order": order_id, "input": {"fulfillmentLines": fulfillment_lines}},
        )
    )

    assert content["data"]["orderFulfillmentReturnProducts"]["errors"] == []
    order.refresh_from_db()
    assert order.status == "returned"
    assert balance(customer_user) == (total, Decimal(0))


def test_refund_to_store_credit_status_credits_what_was_paid_by_card(
    user_api_client,
    staff_api_client,
    app_api_client,
    permission_manage_payments,
    permission_manage_orders,
    customer_user,
    customer_checkout,
    plugin_enabled,
):
    configure(return_statuses="", refund_to_credit_statuses="canceled")
    total = checkout_total(customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )
    assert complete(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()

    cancel(staff_api_client, permission_manage_orders, order)
    handle_order(order.pk, get_settings())

    assert balance(customer_user) == (total, Decimal(0))
    lot = StoreCreditLot.objects.get()
    assert lot.kind == LotKind.REFUND
    assert StoreCreditEntry.objects.get().order_id == order.pk


def test_top_up_purchase_credits_price_times_quantity_plus_bonus_once(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
):
    line = customer_checkout.lines.get()
    sku = line.variant.sku
    configure(top_up_skus=sku, top_up_bonus_tiers="20:5, 1000:10")
    total = checkout_total(customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )

    assert complete(user_api_client, customer_checkout)["errors"] == []

    order = Order.objects.get()
    order_line = order.lines.get()
    bought = order_line.unit_price_gross_amount * order_line.quantity
    bonus = (bought * Decimal("0.05")).quantize(Decimal("0.01"))
    assert balance(customer_user) == (bought + bonus, Decimal(0))
    kinds = sorted(StoreCreditLot.objects.values_list("kind", flat=True))
    assert kinds == [LotKind.BONUS, LotKind.TOP_UP]
    handle_order(order.pk, get_settings())
    assert balance(customer_user) == (bought + bonus, Decimal(0))


def test_a_key_conflict_is_raised_and_retried_never_taken_as_done(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    monkeypatch,
    caplog,
):
    """Two runs that computed different arguments for one order credit (a
    race): the second is not told "already given"; it fails loudly and the
    retry task runs it again."""
    from saleor_storecredit.gateway import orders
    from saleor_storecredit.gateway.orders import handle_order_hook

    line = customer_checkout.lines.get()
    configure(top_up_skus=line.variant.sku, expiry_days="top_up:30")
    total = checkout_total(customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )
    assert complete(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()
    entries = StoreCreditEntry.objects.count()
    assert entries == 1
    # The racing run: other arguments, and it did not see the first entry.
    configure(top_up_skus=line.variant.sku, expiry_days="top_up:60")
    monkeypatch.setattr(orders.reads, "entry_with_key", lambda *args: None)
    monkeypatch.setattr(orders.reads, "order_money_totals", lambda *args: {})
    scheduled = []
    monkeypatch.setattr(
        "saleor_storecredit.gateway.tasks.handle_order_task.delay", scheduled.append
    )

    handle_order_hook(order, get_settings())

    assert scheduled == [str(order.pk)]
    assert "IdempotencyConflict" in caplog.text
    assert StoreCreditEntry.objects.count() == entries


def test_order_credit_expiry_is_counted_from_the_order_date(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
):
    from datetime import timedelta

    line = customer_checkout.lines.get()
    configure(top_up_skus=line.variant.sku, expiry_days="top_up:30")
    total = checkout_total(customer_checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, customer_checkout, total
    )
    assert complete(user_api_client, customer_checkout)["errors"] == []
    order = Order.objects.get()

    lot = StoreCreditLot.objects.get(kind=LotKind.TOP_UP)
    assert lot.expires_at == order.created_at + timedelta(days=30)
    # Running again replays: same arguments, nothing new.
    handle_order(order.pk, get_settings())
    assert StoreCreditLot.objects.count() == 1


REFUND_REPORTED = """
mutation ($id: ID!, $amount: PositiveDecimal!, $psp: String!) {
  transactionEventReport(
    id: $id, type: REFUND_SUCCESS, amount: $amount, pspReference: $psp
  ) { errors { code message } }
}
"""


def report_refund(app_api_client, permission_manage_payments, order, amount, psp):
    item = order.payment_transactions.exclude(app_identifier=PLUGIN_ID).get()
    content = get_graphql_content(
        app_api_client.post_graphql(
            REFUND_REPORTED,
            {
                "id": graphene.Node.to_global_id("TransactionItem", item.token),
                "amount": str(amount),
                "psp": psp,
            },
            permissions=[permission_manage_payments],
            check_no_permissions=False,
        )
    )
    assert content["data"]["transactionEventReport"]["errors"] == []


def buy_top_up(user_client, app_client, permission, checkout, **settings):
    """The checkout's product configured as a top-up, paid in full by an app:
    (the order, what the app paid, what its top-up line cost)."""
    configure(top_up_skus=checkout.lines.get().variant.sku, **settings)
    total = checkout_total(checkout)
    pay_rest_by_app(app_client, permission, checkout, total)
    assert complete(user_client, checkout)["errors"] == []
    order = Order.objects.get()
    return order, total, order.lines.get().total_price_gross_amount


def test_refunded_top_up_takes_its_credit_and_bonus_back(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
):
    """The card payment for a top-up goes back: the credit it bought (and the
    bonus in proportion) goes too, or the customer would have both."""
    order, total, bought = buy_top_up(
        user_api_client, app_api_client, permission_manage_payments,
        customer_checkout, top_up_bonus_tiers="1:10",
    )  # fmt: skip
    bonus = (bought * Decimal("0.10")).quantize(Decimal("0.01"))
    assert balance(customer_user) == (bought + bonus, Decimal(0))

    # The card gives back all but half the top-up's price. A refund by amount
    # comes out of the top-up first: what is still paid pays the shipping.
    kept = (bought / 2).quantize(Decimal("0.01"))
    report_refund(
        app_api_client, permission_manage_payments, order, total - kept, "r-1"
    )
    # Saleor's order_refunded hook did it; nothing else was called.

    kept_top_up = max(kept - (total - bought), Decimal(0))
    kept_bonus = (kept_top_up / 10).quantize(Decimal("0.01"))
    assert balance(customer_user) == (kept_top_up + kept_bonus, Decimal(0))

    report_refund(app_api_client, permission_manage_payments, order, kept, "r-2")
    handle_order(order.pk, get_settings())  # again: nothing more
    assert balance(customer_user) == (Decimal(0), Decimal(0))
    # Changed settings never take anything back by themselves.
    configure(top_up_skus="", top_up_bonus_tiers="")
    handle_order(order.pk, get_settings())
    assert balance(customer_user) == (Decimal(0), Decimal(0))


def test_spent_top_up_credit_stays_spent_when_the_top_up_is_refunded(
    user_api_client,
    app_api_client,
    permission_manage_payments,
    customer_user,
    customer_checkout,
    plugin_enabled,
    caplog,
):
    order, total, bought = buy_top_up(
        user_api_client, app_api_client, permission_manage_payments, customer_checkout
    )
    ledger.debit(customer_user, bought - 1, "USD", idempotency_key="spent-it")

    report_refund(app_api_client, permission_manage_payments, order, total, "r-all")
    handle_order(order.pk, get_settings())

    assert balance(customer_user) == (Decimal(0), Decimal(0))  # the 1.00 left
    # What was spent is owed back: settled from the next credit.
    assert "owed back" in caplog.text
    account = ledger.get_account(customer_user, "USD")
    assert account.owed == bought - 1
