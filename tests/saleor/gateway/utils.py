"""GraphQL documents and helpers shared by the gateway tests."""

from decimal import Decimal

import graphene
from saleor.checkout.calculations import calculate_checkout_total_with_gift_cards
from saleor.checkout.fetch import fetch_checkout_info, fetch_checkout_lines
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order
from saleor.plugins.manager import get_plugins_manager

from saleor_storecredit.models import StoreCreditAccount

CHECKOUT_GATEWAYS_QUERY = """
query ($id: ID) {
  checkout(id: $id) {
    totalPrice { gross { amount } }
    availablePaymentGateways { id name currencies }
  }
}
"""

PAYMENT_CREATE = """
mutation ($id: ID, $input: PaymentInput!) {
  checkoutPaymentCreate(id: $id, input: $input) {
    payment { id chargeStatus }
    errors { code field message }
  }
}
"""

CHECKOUT_COMPLETE = """
mutation ($id: ID) {
  checkoutComplete(id: $id) {
    order { id status chargeStatus paymentStatus total { gross { amount } } }
    errors { code field message }
  }
}
"""


def checkout_id(checkout) -> str:
    return graphene.Node.to_global_id("Checkout", checkout.pk)


def checkout_total(checkout) -> Decimal:
    """The total as Saleor computes it now (prices refreshed)."""
    checkout.refresh_from_db()
    manager = get_plugins_manager(allow_replica=False)
    lines, _ = fetch_checkout_lines(checkout)
    info = fetch_checkout_info(checkout, lines, manager)
    return calculate_checkout_total_with_gift_cards(
        manager=manager, checkout_info=info, lines=lines, force_update=True
    ).gross.amount


def gateway_ids(api_client, checkout) -> list[str]:
    content = get_graphql_content(
        api_client.post_graphql(CHECKOUT_GATEWAYS_QUERY, {"id": checkout_id(checkout)})
    )
    return [g["id"] for g in content["data"]["checkout"]["availablePaymentGateways"]]


def balance(user, currency="USD") -> tuple[Decimal, Decimal]:
    account = StoreCreditAccount.objects.get(user=user, currency=currency)
    return account.balance, account.held


def create_credit_payment(api_client, checkout, amount=None):
    """checkoutPaymentCreate with store credit for the checkout's total (or
    `amount`); returns its payload."""
    amount = checkout_total(checkout) if amount is None else amount
    content = get_graphql_content(
        api_client.post_graphql(
            PAYMENT_CREATE,
            {
                "id": checkout_id(checkout),
                "input": {"gateway": "storecredit.gateway", "amount": str(amount)},
            },
        )
    )
    return content["data"]["checkoutPaymentCreate"]


def pay_with_credit(api_client, checkout, amount=None):
    """checkoutPaymentCreate + checkoutComplete; returns the complete payload."""
    assert create_credit_payment(api_client, checkout, amount)["errors"] == []
    content = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id(checkout)})
    )
    return content["data"]["checkoutComplete"]


APPLY = """
mutation ($id: ID!, $amount: PositiveDecimal) {
  storeCreditCheckoutApply(id: $id, amount: $amount) {
    appliedAmount { amount currency }
    checkout { id authorizeStatus chargeStatus totalPrice { gross { amount } } }
    errors { code field message }
  }
}
"""

REMOVE = """
mutation ($id: ID!) {
  storeCreditCheckoutRemove(id: $id) {
    appliedAmount { amount }
    checkout { id authorizeStatus }
    errors { code field message }
  }
}
"""

TRANSACTION_CREATE = """
mutation ($id: ID!, $transaction: TransactionCreateInput!) {
  transactionCreate(id: $id, transaction: $transaction) {
    transaction { id chargedAmount { amount } }
    errors { code field message }
  }
}
"""

REQUEST_ACTION = """
mutation ($id: ID, $action_type: TransactionActionEnum!, $amount: PositiveDecimal) {
  transactionRequestAction(id: $id, actionType: $action_type, amount: $amount) {
    transaction {
      id
      authorizedAmount { amount }
      chargedAmount { amount }
      refundedAmount { amount }
      canceledAmount { amount }
    }
    errors { code field message }
  }
}
"""


def apply_credit(api_client, checkout, amount=None):
    variables = {"id": checkout_id(checkout)}
    if amount is not None:
        variables["amount"] = str(amount)
    content = get_graphql_content(api_client.post_graphql(APPLY, variables))
    return content["data"]["storeCreditCheckoutApply"]


def remove_credit(api_client, checkout):
    content = get_graphql_content(
        api_client.post_graphql(REMOVE, {"id": checkout_id(checkout)})
    )
    return content["data"]["storeCreditCheckoutRemove"]


def pay_rest_by_app(app_api_client, permission_manage_payments, checkout, amount):
    """A plain transaction created by a payment app, as any other gateway would."""
    content = get_graphql_content(
        app_api_client.post_graphql(
            TRANSACTION_CREATE,
            {
                "id": checkout_id(checkout),
                "transaction": {
                    "name": "Card",
                    "pspReference": "psp-1",
                    "availableActions": ["REFUND"],
                    "amountCharged": {"amount": str(amount), "currency": "USD"},
                },
            },
            permissions=[permission_manage_payments],
        )
    )
    assert content["data"]["transactionCreate"]["errors"] == []


def complete(api_client, checkout):
    content = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id(checkout)})
    )
    return content["data"]["checkoutComplete"]


def request_action(staff_client, item, action, amount=None, permissions=()):
    variables = {
        "id": graphene.Node.to_global_id("TransactionItem", item.token),
        "action_type": action,
    }
    if amount is not None:
        variables["amount"] = str(amount)
    content = get_graphql_content(
        staff_client.post_graphql(
            REQUEST_ACTION, variables, permissions=list(permissions)
        )
    )
    return content["data"]["transactionRequestAction"]


def complete_paid_partly(
    user_api_client, app_api_client, permission_manage_payments, checkout, credit
):
    """Apply the customer's credit (`credit` of it is available), let an app pay
    the rest and complete the checkout; returns checkoutComplete's answer."""
    total = checkout_total(checkout)
    apply_credit(user_api_client, checkout)
    pay_rest_by_app(
        app_api_client, permission_manage_payments, checkout, total - credit
    )
    return complete(user_api_client, checkout)


def place_order_paid_partly(
    user_api_client, app_api_client, permission_manage_payments, checkout, credit
):
    """As `complete_paid_partly`, and return the order."""
    result = complete_paid_partly(
        user_api_client, app_api_client, permission_manage_payments, checkout, credit
    )
    assert result["errors"] == []
    return Order.objects.get_by_checkout_token(checkout.pk)
