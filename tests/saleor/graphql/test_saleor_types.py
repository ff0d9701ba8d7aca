"""`storeCredit` on Saleor's own User, Checkout and Order: who sees what, and a
fixed number of queries however many rows a page has."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.checkout.models import Checkout
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.actors import Reference
from saleor_storecredit.models import LotKind, StoreCreditLot

from ..plugin_config import PLUGINS, configure
from .conftest import global_id


def _count(client, query, variables=None):
    client.post_graphql(query, variables or {})  # per-process caches warm up
    with CaptureQueriesContext(connection) as queries:
        content = client.post_graphql(query, variables or {}).json()
    assert "errors" not in content, content
    return len(queries), content["data"]


def _customers(count, prefix):
    User = get_user_model()
    customers = []
    for n in range(count):
        customer = User.objects.create(email=f"{prefix}{n}@example.com")
        for currency in ("USD", "EUR"):
            ledger.credit(
                customer, Decimal(10 + n), currency, idempotency_key=f"c-{currency}"
            )
        customers.append(customer)
    return customers


CUSTOMERS = """
query { customers(first: 50) { edges { node { email
  storeCredit { currency balance { amount } available { amount } held { amount }
                status canUse }
} } } }
"""


def test_user_store_credit_of_a_page_costs_the_same_for_more_rows(caller, db):
    staff = caller("staff")
    _customers(2, "few")
    few, _ = _count(staff, CUSTOMERS)
    _customers(6, "many")
    many, data = _count(staff, CUSTOMERS)
    assert many == few
    credit = {
        edge["node"]["email"]: edge["node"]["storeCredit"]
        for edge in data["customers"]["edges"]
    }
    assert [a["currency"] for a in credit["many5@example.com"]] == ["EUR", "USD"]
    assert credit["many5@example.com"][0]["balance"]["amount"] == 15


ME = "query { me { storeCredit { currency balance { amount } note } } }"
USER = "query($id: ID!) { user(id: $id) { storeCredit { currency } } }"


def test_customers_see_their_own_accounts_only(
    user_api_client, user2_api_client, customer_user, customer_user2
):
    ledger.credit(customer_user, Decimal(5), "USD", idempotency_key="mine")
    ledger.credit(customer_user2, Decimal(7), "USD", idempotency_key="theirs")

    data = user_api_client.post_graphql(ME).json()["data"]
    assert data["me"]["storeCredit"] == [
        {"currency": "USD", "balance": {"amount": 5.0}, "note": None}
    ]
    # `user(id:)` is for staff: a customer asking for another gets nothing.
    content = user_api_client.post_graphql(
        USER, {"id": global_id("User", customer_user2.pk)}
    ).json()
    assert content["data"]["user"] is None
    assert content["errors"][0]["extensions"]["exception"]["code"] == (
        "PermissionDenied"
    )


def test_staff_without_manage_users_are_refused_another_customers_credit(
    staff_api_client, customer_user, permission_manage_staff
):
    """MANAGE_STAFF reads users, not their money."""
    ledger.credit(customer_user, Decimal(5), "USD", idempotency_key="k")
    staff_api_client.user.user_permissions.add(permission_manage_staff)
    staff_api_client.user.is_staff = True
    staff_api_client.user.save()
    customer_user.is_staff = True  # MANAGE_STAFF sees staff users only
    customer_user.save(update_fields=["is_staff"])
    content = staff_api_client.post_graphql(
        USER, {"id": global_id("User", customer_user.pk)}
    ).json()
    assert content["data"]["user"]["storeCredit"] is None
    assert content["errors"][0]["extensions"]["exception"]["code"] == (
        "PermissionDenied"
    )


ORDERS = """
query { me { orders(first: 20) { edges { node { number %s } } } } }
"""
ORDER_CREDIT = (
    "storeCredit { paid { amount } refunded { amount } refundable { amount } }"
)


def _order_entries(orders, customer):
    ledger.credit(customer, Decimal(100), "USD", idempotency_key="funds")
    for order in orders:
        reference = Reference(order_id=order.pk)
        ledger.debit(
            customer, Decimal(6), "USD", idempotency_key=f"pay-{order.pk}",
            reference=reference,
        )  # fmt: skip
        ledger.refund(
            customer, Decimal(2), "USD", idempotency_key=f"refund-{order.pk}",
            reference=reference,
        )  # fmt: skip


def test_order_store_credit_costs_the_same_for_more_orders(
    user_api_client, order_list, customer_user
):
    _order_entries(order_list, customer_user)
    plain, _ = _count(user_api_client, ORDERS % "")
    with_credit, data = _count(user_api_client, ORDERS % ORDER_CREDIT)
    for order in order_list[1:]:
        order.delete()
    plain_one, _ = _count(user_api_client, ORDERS % "")
    with_credit_one, _ = _count(user_api_client, ORDERS % ORDER_CREDIT)
    assert with_credit - plain == with_credit_one - plain_one
    assert len(data["me"]["orders"]["edges"]) == 3
    credit = data["me"]["orders"]["edges"][0]["node"]["storeCredit"]
    assert credit == {
        "paid": {"amount": 6.0},
        "refunded": {"amount": 2.0},
        "refundable": {"amount": 4.0},
    }


ORDER = "query($id: ID!) { order(id: $id) { " + ORDER_CREDIT + " } }"


def test_order_store_credit_for_its_customer_not_for_others(
    user_api_client, user2_api_client, staff_api_client, order_list, customer_user
):
    _order_entries(order_list[:1], customer_user)
    order_id = global_id("Order", order_list[0].pk)
    own = user_api_client.post_graphql(ORDER, {"id": order_id}).json()
    assert own["data"]["order"]["storeCredit"]["paid"]["amount"] == 6
    # Saleor answers an order to whoever has its ID; its credit is refused to
    # other customers and to staff without MANAGE_ORDERS or MANAGE_USERS.
    for client in (user2_api_client, staff_api_client):
        content = client.post_graphql(ORDER, {"id": order_id}).json()
        assert ((content.get("data") or {}).get("order") or {}).get(
            "storeCredit"
        ) is None
        assert content["errors"][0]["extensions"]["exception"]["code"] == (
            "PermissionDenied"
        )


# Saleor prices each checkout with some queries of its own (taxes per
# checkout): the baseline selects the total, priced by the same data loader.
CHECKOUTS = """
query { me { checkouts(first: 20) { edges { node {
  id totalPrice { gross { amount } } %s
} } } } }
"""
CHECKOUT_CREDIT = (
    "storeCredit { eligible reason message available { amount } applied { amount } "
    "remainingToPay { amount } }"
)


@pytest.fixture
def credit_plugin(settings):
    settings.PLUGINS = PLUGINS
    configure()


def test_checkout_store_credit_costs_the_same_for_more_checkouts(
    credit_plugin, user_api_client, customer_user, channel_USD
):
    ledger.credit(customer_user, Decimal(50), "USD", idempotency_key="funds")
    Checkout.objects.create(currency="USD", channel=channel_USD, user=customer_user)
    plain_one, _ = _count(user_api_client, CHECKOUTS % "")
    with_credit_one, _ = _count(user_api_client, CHECKOUTS % CHECKOUT_CREDIT)
    Checkout.objects.bulk_create(
        [
            Checkout(currency="USD", channel=channel_USD, user=customer_user)
            for _ in range(3)
        ]
    )
    plain, _ = _count(user_api_client, CHECKOUTS % "")
    with_credit, data = _count(user_api_client, CHECKOUTS % CHECKOUT_CREDIT)
    assert with_credit - plain == with_credit_one - plain_one
    # Empty checkouts: nothing to pay.
    credit = data["me"]["checkouts"]["edges"][0]["node"]["storeCredit"]
    assert credit["eligible"] is False
    assert credit["reason"] == "NOTHING_TO_PAY"
    assert credit["available"] == {"amount": 50.0}


CHECKOUT = "query($id: ID!) { checkout(id: $id) { " + CHECKOUT_CREDIT + " } }"


def test_checkout_store_credit_tells_the_customer_why_not(
    credit_plugin, user_api_client, user2_api_client, checkout_with_item, customer_user
):
    checkout = checkout_with_item
    checkout.user = customer_user
    checkout.save(update_fields=["user"])
    checkout_id = global_id("Checkout", checkout.pk)

    data = user_api_client.post_graphql(CHECKOUT, {"id": checkout_id}).json()["data"]
    assert data["checkout"]["storeCredit"]["reason"] == "INSUFFICIENT_FUNDS"
    assert data["checkout"]["storeCredit"]["available"] == {"amount": 0.0}

    ledger.credit(customer_user, Decimal(500), "USD", idempotency_key="funds")
    data = user_api_client.post_graphql(CHECKOUT, {"id": checkout_id}).json()["data"]
    assert data["checkout"]["storeCredit"]["eligible"] is True
    assert data["checkout"]["storeCredit"]["reason"] is None
    assert data["checkout"]["storeCredit"]["remainingToPay"]["amount"] > 0

    # Anyone holding a checkout's ID can read it: never the owner's wallet.
    data = user2_api_client.post_graphql(CHECKOUT, {"id": checkout_id}).json()["data"]
    credit = data["checkout"]["storeCredit"]
    assert credit["available"] is None
    assert (credit["eligible"], credit["reason"]) == (False, "NOT_ELIGIBLE")


ADJUST = """
mutation($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { id }
    errors { field code }
  }
}
"""


def test_manual_credit_is_store_credit_and_expires_as_configured(
    credit_plugin, caller, customer_user
):
    configure(expiry_days="store_credit:365")
    staff = caller("staff")
    variables = {
        "input": {
            "user": global_id("User", customer_user.pk),
            "currency": "USD",
            "amount": "25.00",
            "reason": "MANUAL",
            "idempotencyKey": "ticket-1",
        }
    }
    first = staff.post_graphql(ADJUST, variables).json()["data"]["storeCreditAdjust"]
    again = staff.post_graphql(ADJUST, variables).json()["data"]["storeCreditAdjust"]
    assert first["errors"] == again["errors"] == []
    assert first["transaction"]["id"] == again["transaction"]["id"]
    (lot,) = StoreCreditLot.objects.filter(account__user=customer_user)
    assert lot.kind == LotKind.STORE_CREDIT
    expected = timezone.now() + timedelta(days=365)
    assert abs(lot.expires_at - expected) < timedelta(minutes=5)

    variables["input"].update(
        kind="BONUS", idempotencyKey="ticket-2", reason="ADJUSTMENT"
    )
    staff.post_graphql(ADJUST, variables)
    bonus = StoreCreditLot.objects.get(account__user=customer_user, kind="bonus")
    assert bonus.expires_at is None  # bonus has no expiry configured


BULK = """
mutation($type: ID!) {
  storeCreditBulkAdjust(input: { customerTypes: [$type], currency: "USD",
    amount: 5, idempotencyKey: "bulk-1", dryRun: true }) {
    count results { email }
    errors { code }
  }
}
"""


def test_bulk_by_customer_type_leaves_staff_out(
    caller, customer_user, staff_user, customer_type
):
    for user in (customer_user, staff_user):
        user.customer_type = customer_type
        user.save(update_fields=["customer_type"])
    staff = caller("staff")
    data = staff.post_graphql(
        BULK, {"type": global_id("CustomerType", customer_type.pk)}
    ).json()["data"]["storeCreditBulkAdjust"]
    assert data["count"] == 1
    assert data["results"] == [{"email": customer_user.email}]


REDEEM_FOR = """
mutation($code: String!, $user: ID) {
  storeCreditRedeemGiftCard(code: $code, user: $user) {
    transaction { amount { amount } actor { type } }
    account { user { email } }
    errors { field code }
  }
}
"""


def test_staff_redeem_a_gift_card_for_a_customer_with_saleors_events(
    caller, customer_user, make_gift_card, mocker
):
    from saleor.giftcard import GiftCardEvents

    card = make_gift_card("30")
    updated = mocker.patch(
        "saleor.plugins.manager.PluginsManager.gift_card_updated", autospec=True
    )
    staff = caller("staff")
    # post_graphql runs the on-commit callbacks, where Saleor's webhook goes.
    data = staff.post_graphql(
        REDEEM_FOR,
        {"code": card.code, "user": global_id("User", customer_user.pk)},
    ).json()["data"]["storeCreditRedeemGiftCard"]
    assert data["errors"] == []
    assert data["account"]["user"]["email"] == customer_user.email
    assert data["transaction"]["actor"]["type"] == "staff"
    card.refresh_from_db()
    assert card.current_balance_amount == 0
    event = card.events.get(type=GiftCardEvents.BALANCE_ADJUSTED)
    assert event.user == staff.user
    assert event.parameters["balance"]["old_current_balance"] == "30.000"
    updated.assert_called_once()
    assert updated.call_args.args[1] == card


def test_customers_cannot_redeem_into_someone_else(
    user_api_client, customer_user2, make_gift_card
):
    card = make_gift_card("30")
    content = user_api_client.post_graphql(
        REDEEM_FOR, {"code": card.code, "user": global_id("User", customer_user2.pk)}
    ).json()
    assert content["errors"][0]["extensions"]["exception"]["code"] == (
        "PermissionDenied"
    )
    card.refresh_from_db()
    assert card.current_balance_amount == 30


def test_apps_with_handle_payments_redeem_for_a_customer(
    app_api_client, customer_user, make_gift_card
):
    app_api_client.app.permissions.add(
        Permission.objects.get(codename="handle_payments")
    )
    card = make_gift_card("12")
    data = app_api_client.post_graphql(
        REDEEM_FOR, {"code": card.code, "user": global_id("User", customer_user.pk)}
    ).json()["data"]["storeCreditRedeemGiftCard"]
    assert data["errors"] == []
    assert data["transaction"]["actor"]["type"] == "app"
