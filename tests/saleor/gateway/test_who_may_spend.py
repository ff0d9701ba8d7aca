"""Only the owner spends: every road that lists, holds or takes a customer's
credit, tried by everyone who can reach the checkout through /graphql/.

A checkout's ID is no key to a wallet: anonymous callers, other customers,
staff and apps without the documented permissions may change or complete a
checkout as Saleor allows, but they never add, hold or spend its customer's
credit (their changes release it).
"""

from decimal import Decimal

import graphene
import pytest
from django.core.exceptions import ValidationError
from saleor.checkout.complete_checkout import complete_checkout
from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
from saleor.graphql.tests.fixtures import ApiClient
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order
from saleor.payment.models import Payment
from saleor.plugins.manager import get_plugins_manager

from saleor_storecredit import ledger
from saleor_storecredit.models import AccountStatus, ActorType, StoreCreditEntry

from .conftest import configure
from .utils import (
    TRANSACTION_CREATE,
    apply_credit,
    balance,
    checkout_id,
    checkout_total,
    complete,
    create_credit_payment,
    gateway_ids,
)

pytestmark = pytest.mark.django_db(transaction=True)

GATEWAY = "storecredit.gateway"

LINES_UPDATE = """
mutation ($id: ID, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { errors { code message } }
}
"""

SHIPPING_ADDRESS_UPDATE = """
mutation ($id: ID, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) {
    errors { code message }
  }
}
"""

DETACH = """
mutation ($id: ID) { checkoutCustomerDetach(id: $id) { errors { code message } } }
"""

ATTACH = """
mutation ($id: ID) { checkoutCustomerAttach(id: $id) { errors { code message } } }
"""

CHECKOUT_CREDIT = """
query ($id: ID) {
  checkout(id: $id) {
    storeCredit { eligible reason applied { amount } }
    availablePaymentGateways { id }
  }
}
"""


def post(client, query, variables):
    return get_graphql_content(client.post_graphql(query, variables))["data"]


def set_quantity(client, checkout, quantity):
    line = checkout.lines.get()
    data = post(
        client,
        LINES_UPDATE,
        {
            "id": checkout_id(checkout),
            "lines": [
                {
                    "lineId": graphene.Node.to_global_id("CheckoutLine", line.pk),
                    "quantity": quantity,
                }
            ],
        },
    )
    assert data["checkoutLinesUpdate"]["errors"] == []


def pay_by_payment_api(client, checkout):
    """checkoutPaymentCreate + checkoutComplete as `client`; the order or None."""
    if create_credit_payment(client, checkout)["errors"]:
        return None
    return complete(client, checkout)["order"]


@pytest.fixture
def other_customer_client(customer_user2):
    return ApiClient(user=customer_user2)


@pytest.fixture
def spending_app(
    app_api_client,
    permission_manage_payments,
    permission_impersonate_user,
    permission_manage_checkouts,
    permission_handle_checkouts,
):
    """An app the docs allow to spend for a customer: HANDLE_PAYMENTS and
    IMPERSONATE_USER (a POS or a storefront backend), with Saleor's checkout
    permissions."""
    app_api_client.app.permissions.add(
        permission_manage_payments,
        permission_impersonate_user,
        permission_manage_checkouts,
        permission_handle_checkouts,
    )
    return app_api_client


@pytest.fixture
def payment_app(
    app_api_client,
    permission_manage_payments,
    permission_manage_checkouts,
    permission_handle_checkouts,
):
    """Any payment app: HANDLE_PAYMENTS (and checkouts), not IMPERSONATE_USER."""
    app_api_client.app.permissions.add(
        permission_manage_payments,
        permission_manage_checkouts,
        permission_handle_checkouts,
    )
    return app_api_client


@pytest.fixture
def rich_customer(customer_user, give_credit, plugin_enabled):
    give_credit(customer_user, "1000.00")
    return customer_user


# --- the Payment API road --------------------------------------------------------


@pytest.mark.parametrize(
    "stranger",
    ["api_client", "other_customer_client", "staff_api_client", "payment_app"],
)
def test_payment_api_strangers_cannot_spend_the_owners_credit(
    request, stranger, rich_customer, customer_checkout, graphql_address_data
):
    client = request.getfixturevalue(stranger)
    set_quantity(client, customer_checkout, 10)
    post(
        client,
        SHIPPING_ADDRESS_UPDATE,
        {"id": checkout_id(customer_checkout), "address": graphql_address_data},
    )

    assert GATEWAY not in gateway_ids(client, customer_checkout)
    order = pay_by_payment_api(client, customer_checkout)

    assert order is None
    assert not Order.objects.exists()
    # Refused when the payment was to be created: nothing left dangling.
    assert not Payment.objects.filter(gateway=GATEWAY).exists()
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


def test_payment_api_owner_spends(user_api_client, rich_customer, customer_checkout):
    total = checkout_total(customer_checkout)
    assert GATEWAY in gateway_ids(user_api_client, customer_checkout)

    order = pay_by_payment_api(user_api_client, customer_checkout)

    assert order["chargeStatus"] == "FULL"
    assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))


def test_payment_api_app_acting_for_the_customer_spends(
    spending_app, rich_customer, customer_checkout
):
    total = checkout_total(customer_checkout)

    order = pay_by_payment_api(spending_app, customer_checkout)

    assert order["chargeStatus"] == "FULL"
    assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))
    debit = StoreCreditEntry.objects.get(kind="debit")
    assert (debit.actor_type, debit.actor_app_id) == (
        ActorType.APP,
        spending_app.app.pk,
    )


# --- the Transactions API road ---------------------------------------------------


@pytest.mark.parametrize("stranger", ["api_client", "other_customer_client"])
def test_auto_apply_never_holds_for_a_strangers_change(
    request, stranger, rich_customer, customer_checkout
):
    configure(auto_apply=True)
    client = request.getfixturevalue(stranger)

    set_quantity(client, customer_checkout, 10)
    data = complete(client, customer_checkout)

    assert data["order"] is None
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


def test_auto_apply_for_the_owners_own_change(
    user_api_client, rich_customer, customer_checkout
):
    configure(auto_apply=True)

    set_quantity(user_api_client, customer_checkout, 3)

    assert balance(rich_customer)[1] == checkout_total(customer_checkout)


def test_a_strangers_change_releases_the_owners_credit(
    user_api_client, api_client, rich_customer, customer_checkout
):
    assert apply_credit(user_api_client, customer_checkout)["errors"] == []
    assert balance(rich_customer)[1] > 0

    set_quantity(api_client, customer_checkout, 10)

    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))
    data = post(
        user_api_client, CHECKOUT_CREDIT, {"id": checkout_id(customer_checkout)}
    )
    assert data["checkout"]["storeCredit"]["applied"]["amount"] == 0


@pytest.mark.parametrize(
    "stranger",
    ["api_client", "other_customer_client", "staff_api_client", "payment_app"],
)
def test_strangers_cannot_complete_a_checkout_paid_with_the_owners_credit(
    request, stranger, user_api_client, rich_customer, customer_checkout
):
    total = checkout_total(customer_checkout)
    assert apply_credit(user_api_client, customer_checkout)["errors"] == []

    data = complete(request.getfixturevalue(stranger), customer_checkout)

    assert data["order"] is None
    assert data["errors"][0]["code"] == "PAYMENT_ERROR"
    assert balance(rich_customer) == (Decimal("1000.00"), total)
    # The owner still completes it.
    assert complete(user_api_client, customer_checkout)["order"]["chargeStatus"] == (
        "FULL"
    )
    assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))


def test_app_acting_for_the_customer_applies_and_completes(
    spending_app, rich_customer, customer_checkout
):
    total = checkout_total(customer_checkout)

    applied = apply_credit(spending_app, customer_checkout)
    assert applied["errors"] == []
    assert complete(spending_app, customer_checkout)["order"]["chargeStatus"] == "FULL"

    assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))
    hold = StoreCreditEntry.objects.get(kind="authorization")
    assert (hold.actor_type, hold.actor_app_id) == (ActorType.APP, spending_app.app.pk)


def test_payment_app_cannot_apply_a_customers_credit(
    payment_app, rich_customer, customer_checkout
):
    assert apply_credit(payment_app, customer_checkout)["errors"][0]["code"] == (
        "NOT_ELIGIBLE"
    )
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


# --- a hold follows the checkout's customer ------------------------------------------


def test_credit_never_follows_the_checkout_to_another_customer(
    user_api_client,
    other_customer_client,
    staff_user,
    rich_customer,
    customer_user2,
    customer_checkout,
):
    """Applied 40, the account put on hold, the owner refused; then detach and
    another customer's attach + complete: no order is paid with the first
    customer's credit (that would be a transfer while transfers are off)."""
    assert apply_credit(user_api_client, customer_checkout, "40.00")["errors"] == []
    ledger.set_status(ledger.get_account(rich_customer, "USD"), AccountStatus.ON_HOLD)
    assert complete(user_api_client, customer_checkout)["order"] is None

    post(user_api_client, DETACH, {"id": checkout_id(customer_checkout)})
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))
    post(other_customer_client, ATTACH, {"id": checkout_id(customer_checkout)})
    data = complete(other_customer_client, customer_checkout)

    assert data["order"] is None
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))
    assert not StoreCreditEntry.objects.filter(kind="capture").exists()


def test_attach_releases_the_previous_customers_credit(
    user_api_client, other_customer_client, rich_customer, customer_checkout
):
    assert apply_credit(user_api_client, customer_checkout, "40.00")["errors"] == []
    # Saleor lets a checkout be re-attached only from anonymous; the plugin
    # must not rely on that: move it under the other customer directly too.
    post(user_api_client, DETACH, {"id": checkout_id(customer_checkout)})
    post(other_customer_client, ATTACH, {"id": checkout_id(customer_checkout)})

    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


def test_completion_refuses_credit_of_anyone_but_the_buyer(
    user_api_client, rich_customer, customer_user2, customer_checkout
):
    """Even when no hook ran (the customer changed under the plugin's feet),
    completion checks every hold's account against the buyer."""
    assert apply_credit(user_api_client, customer_checkout)["errors"] == []
    customer_checkout.user = customer_user2
    customer_checkout.email = customer_user2.email
    customer_checkout.save(update_fields=["user", "email"])

    data = complete(ApiClient(user=customer_user2), customer_checkout)

    assert data["order"] is None
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


# --- Saleor's own background completion ---------------------------------------------


@pytest.mark.parametrize("automatic_completion", [True, False])
def test_background_completion_only_where_the_shop_turned_it_on(
    automatic_completion, user_api_client, rich_customer, customer_checkout
):
    total = checkout_total(customer_checkout)
    assert apply_credit(user_api_client, customer_checkout)["errors"] == []
    customer_checkout.refresh_from_db()
    channel = customer_checkout.channel
    channel.automatically_complete_fully_paid_checkouts = automatic_completion
    channel.save(update_fields=["automatically_complete_fully_paid_checkouts"])

    manager = get_plugins_manager(allow_replica=False)
    lines, _ = fetch_checkout_lines(customer_checkout)
    info = fetch_checkout_info(customer_checkout, lines, manager)
    try:
        order, _, _ = complete_checkout(
            manager=manager,
            checkout_info=info,
            lines=lines,
            payment_data={},
            store_source=False,
            user=None,
            app=None,
        )
    except ValidationError:
        order = None

    if automatic_completion:
        assert order is not None
        assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))
    else:
        assert order is None
        assert balance(rich_customer) == (Decimal("1000.00"), total)


# --- one answer: the field and the gateway ---------------------------------------------


@pytest.mark.parametrize(
    "who", ["user_api_client", "api_client", "other_customer_client"]
)
def test_checkout_store_credit_and_the_gateway_list_agree(
    request, who, rich_customer, customer_checkout
):
    data = post(
        request.getfixturevalue(who),
        CHECKOUT_CREDIT,
        {"id": checkout_id(customer_checkout)},
    )["checkout"]
    listed = GATEWAY in [gateway["id"] for gateway in data["availablePaymentGateways"]]

    assert data["storeCredit"]["eligible"] is listed
    assert listed is (who == "user_api_client")


def test_top_up_in_the_checkout_one_answer_too(
    user_api_client, rich_customer, customer_checkout
):
    sku = customer_checkout.lines.get().variant.sku
    configure(top_up_skus=sku)

    data = post(
        user_api_client, CHECKOUT_CREDIT, {"id": checkout_id(customer_checkout)}
    )["checkout"]

    assert data["storeCredit"]["eligible"] is False
    assert data["storeCredit"]["reason"] == "NOT_PAYABLE_WITH_CREDIT"
    assert GATEWAY not in [
        gateway["id"] for gateway in data["availablePaymentGateways"]
    ]


def test_payment_api_refuses_a_top_up_when_the_payment_is_created(
    user_api_client, rich_customer, customer_checkout
):
    configure(top_up_skus=customer_checkout.lines.get().variant.sku)

    created = create_credit_payment(user_api_client, customer_checkout)

    assert created["payment"] is None
    assert created["errors"][0]["code"] == "NOT_SUPPORTED_GATEWAY"
    assert "top-ups" in created["errors"][0]["message"]
    assert not Payment.objects.exists()
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


# --- found by the red team ------------------------------------------------------------

ORDER_CREATE_FROM_CHECKOUT = """
mutation ($id: ID!) {
  orderCreateFromCheckout(id: $id, removeCheckout: false) {
    order { id chargeStatus }
    errors { code field message }
  }
}
"""


def test_order_create_from_checkout_refusal_is_a_coded_error(
    user_api_client, payment_app, rich_customer, customer_checkout
):
    """An app's orderCreateFromCheckout speaks its own error codes: a refusal
    is an `errors` entry, never a failed response."""
    assert apply_credit(user_api_client, customer_checkout, "10.00")["errors"] == []

    data = post(
        payment_app, ORDER_CREATE_FROM_CHECKOUT, {"id": checkout_id(customer_checkout)}
    )["orderCreateFromCheckout"]

    assert data["order"] is None
    assert data["errors"][0]["code"] == "GRAPHQL_ERROR"
    assert "customer" in data["errors"][0]["message"]
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal("10.00"))


def test_order_create_from_checkout_by_an_app_acting_for_the_customer(
    spending_app, rich_customer, customer_checkout
):
    total = checkout_total(customer_checkout)
    assert apply_credit(spending_app, customer_checkout)["errors"] == []

    data = post(
        spending_app, ORDER_CREATE_FROM_CHECKOUT, {"id": checkout_id(customer_checkout)}
    )["orderCreateFromCheckout"]

    assert data["errors"] == []
    assert balance(rich_customer) == (Decimal("1000.00") - total, Decimal(0))


def test_payment_api_a_strangers_change_after_the_payment_voids_it(
    user_api_client, api_client, rich_customer, customer_checkout, graphql_address_data
):
    """The customer created the store-credit payment; a stranger redirects the
    shipping address; the customer's completion must not pay for that."""
    assert create_credit_payment(user_api_client, customer_checkout)["errors"] == []
    post(
        api_client,
        SHIPPING_ADDRESS_UPDATE,
        {
            "id": checkout_id(customer_checkout),
            "address": {**graphql_address_data, "firstName": "Mallory"},
        },
    )

    data = complete(user_api_client, customer_checkout)

    assert data["order"] is None
    assert not Payment.objects.filter(gateway=GATEWAY, is_active=True).exists()
    assert balance(rich_customer) == (Decimal("1000.00"), Decimal(0))


def test_a_guest_cannot_buy_credit_for_the_customer_whose_email_it_names(
    api_client, payment_app, customer_user, checkout_ready_to_complete, plugin_enabled
):
    """Saleor gives a guest order to the customer with the checkout's email: a
    top-up paid by anyone would become that customer's credit."""
    checkout = checkout_ready_to_complete
    checkout.user = None
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    configure(top_up_skus=checkout.lines.get().variant.sku)
    paid = post(
        payment_app,
        TRANSACTION_CREATE,
        {
            "id": checkout_id(checkout),
            "transaction": {
                "name": "Card",
                "pspReference": "psp-guest",
                "amountCharged": {
                    "amount": str(checkout_total(checkout)),
                    "currency": "USD",
                },
            },
        },
    )
    assert paid["transactionCreate"]["errors"] == []

    data = complete(api_client, checkout)

    assert data["order"] is None
    assert data["errors"][0]["code"] == "PAYMENT_ERROR"
    assert not StoreCreditEntry.objects.exists()
