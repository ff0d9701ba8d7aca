"""The storefront and staff flows the demo plays through Saleor's /graphql/.

The same steps run against a live server (the `storecredit_demo` command) and
inside the Saleor test suite, so the demo cannot drift from the API.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

# post(query, variables, as_) -> the response's JSON; `as_` is "customer",
# "staff" or "app" and the transport adds that actor's token.
Post = Callable[[str, dict, str], dict]


@dataclass
class DemoShop:
    """What the flows need from the shop: where to buy and what to buy."""

    channel_slug: str
    variant_id: str
    customer_email: str
    customer_id: str
    address: dict
    currency: str = "USD"
    credit_amount: Decimal = Decimal("50.00")
    apply_amount: Decimal = Decimal("20.00")
    refund_amount: Decimal = Decimal("5.00")
    gift_card_amount: Decimal = Decimal("15.00")
    # Page ID of a refund reason, for shops whose staff must give one.
    refund_reason_reference: str | None = None


@dataclass
class DemoResult:
    balance_steps: list[Decimal] = field(default_factory=list)
    order_id: str | None = None
    order_charge_status: str | None = None
    history_kinds: list[str] = field(default_factory=list)
    final_balance: Decimal | None = None


class DemoError(Exception):
    pass


ADJUST = """
mutation Credit($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { kind reason amount { amount currency } balanceAfter { amount } }
    errors { field code message }
  }
}"""

BALANCE = """
query MyStoreCredit {
  storeCreditAccounts(first: 10) {
    edges { node { currency balance { amount } held { amount } available { amount } } }
  }
}"""

CHECKOUT_CREATE = """
mutation CreateCheckout($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkout {
      id
      totalPrice { gross { amount currency } }
      shippingMethods { id name }
      availablePaymentGateways { id name }
    }
    errors { field code message }
  }
}"""

DELIVERY = """
mutation Delivery($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) {
    checkout { id totalPrice { gross { amount currency } } }
    errors { field code message }
  }
}"""

APPLY = """
mutation PayPartlyWithCredit($id: ID!, $amount: PositiveDecimal) {
  storeCreditCheckoutApply(id: $id, amount: $amount) {
    appliedAmount { amount currency }
    checkout { id totalPrice { gross { amount } } authorizeStatus chargeStatus }
    errors { field code message }
  }
}"""

PAY_REST = """
mutation PayTheRest($id: ID!, $amount: PositiveDecimal!, $currency: String!) {
  transactionCreate(
    id: $id
    transaction: {
      name: "Demo card"
      pspReference: "demo-card-1"
      amountCharged: { amount: $amount, currency: $currency }
      availableActions: [REFUND]
    }
  ) {
    transaction { id chargedAmount { amount } }
    errors { field code message }
  }
}"""

COMPLETE = """
mutation Complete($id: ID!) {
  checkoutComplete(id: $id) {
    order { id number status chargeStatus total { gross { amount } } }
    errors { field code message }
  }
}"""

ORDER_PAYMENTS = """
query OrderPayments($id: ID!) {
  order(id: $id) {
    number
    chargeStatus
    transactions { id name pspReference chargedAmount { amount } }
  }
}"""

REFUND = """
mutation RefundToCredit($id: ID!, $amount: PositiveDecimal!, $reason: ID) {
  transactionRequestAction(
    id: $id, actionType: REFUND, amount: $amount, refundReasonReference: $reason
  ) {
    transaction { id refundedAmount { amount } }
    errors { field code message }
  }
}"""

GIFT_CARD_CREATE = """
mutation NewGiftCard($amount: PositiveDecimal!, $currency: String!) {
  giftCardCreate(input: {balance: {amount: $amount, currency: $currency}, isActive: true}) {
    giftCard { id code }
    errors { field code message }
  }
}"""

REDEEM = """
mutation Redeem($code: String!) {
  storeCreditRedeemGiftCard(code: $code) {
    transaction { kind amount { amount } balanceAfter { amount } }
    errors { field code message }
  }
}"""

HISTORY = """
query History {
  storeCreditTransactions(first: 20) {
    edges { node { createdAt kind reason amount { amount currency } balanceAfter { amount } customerNote } }
  }
}"""


def _data(response: dict, name: str) -> dict:
    if response.get("errors"):
        raise DemoError(f"{name}: {response['errors']}")
    payload = response["data"][name]
    if isinstance(payload, dict) and payload.get("errors"):
        raise DemoError(f"{name}: {payload['errors']}")
    return payload


class Flows:
    """Plays each step, printing the request and a readable result."""

    def __init__(self, post: Post, shop: DemoShop, echo: Callable[[str], None]):
        self.post = post
        self.shop = shop
        self.echo = echo
        self.result = DemoResult()

    def call(self, title: str, as_: str, query: str, variables: dict, name: str):
        self.echo(f"\n=== {title}  (as {as_})")
        self.echo(query.strip())
        if variables:
            self.echo("variables: " + json.dumps(variables, indent=2, default=str))
        payload = _data(self.post(query, variables, as_), name)
        self.echo("result: " + json.dumps(payload, indent=2))
        return payload

    def balance(self) -> Decimal:
        data = _data(self.post(BALANCE, {}, "customer"), "storeCreditAccounts")
        for edge in data["edges"]:
            if edge["node"]["currency"] == self.shop.currency:
                return Decimal(str(edge["node"]["balance"]["amount"]))
        return Decimal(0)

    def run(self) -> DemoResult:
        shop, money = self.shop, lambda d: str(d)
        self.call(
            "Staff credits the demo customer",
            "staff",
            ADJUST,
            {
                "input": {
                    "user": shop.customer_id,
                    "currency": shop.currency,
                    "amount": money(shop.credit_amount),
                    "reason": "MANUAL",
                    "note": "Demo opening balance",
                    "customerNote": "Welcome to store credit!",
                    "idempotencyKey": "demo-opening-balance",
                }
            },
            "storeCreditAdjust",
        )
        self.call(
            "Customer reads the balance", "customer", BALANCE, {}, "storeCreditAccounts"
        )
        self.result.balance_steps.append(self.balance())

        checkout = self.call(
            "Customer opens a checkout",
            "customer",
            CHECKOUT_CREATE,
            {
                "input": {
                    "channel": shop.channel_slug,
                    "email": shop.customer_email,
                    "lines": [{"quantity": 1, "variantId": shop.variant_id}],
                    "shippingAddress": shop.address,
                    "billingAddress": shop.address,
                }
            },
            "checkoutCreate",
        )["checkout"]
        checkout_id = checkout["id"]
        if checkout["shippingMethods"]:
            self.call(
                "Customer picks a delivery method",
                "customer",
                DELIVERY,
                {"id": checkout_id, "method": checkout["shippingMethods"][0]["id"]},
                "checkoutDeliveryMethodUpdate",
            )
        applied = self.call(
            "Customer pays part of the checkout with store credit",
            "customer",
            APPLY,
            {"id": checkout_id, "amount": money(shop.apply_amount)},
            "storeCreditCheckoutApply",
        )
        total = Decimal(str(applied["checkout"]["totalPrice"]["gross"]["amount"]))
        rest = total - Decimal(str(applied["appliedAmount"]["amount"]))
        self.call(
            "A payment app charges the rest (a second transaction)",
            "app",
            PAY_REST,
            {"id": checkout_id, "amount": money(rest), "currency": shop.currency},
            "transactionCreate",
        )
        order = self.call(
            "Customer completes the checkout",
            "customer",
            COMPLETE,
            {"id": checkout_id},
            "checkoutComplete",
        )["order"]
        self.result.order_id = order["id"]
        self.result.balance_steps.append(self.balance())

        payments = self.call(
            "Staff looks at the order's payments",
            "staff",
            ORDER_PAYMENTS,
            {"id": order["id"]},
            "order",
        )
        self.result.order_charge_status = payments["chargeStatus"]
        credit_transaction_id = next(
            t["id"]
            for t in payments["transactions"]
            if t["pspReference"].startswith("storecredit:")
        )
        self.call(
            "Staff refunds part of the store-credit payment back to credit",
            "staff",
            REFUND,
            {
                "id": credit_transaction_id,
                "amount": money(shop.refund_amount),
                "reason": shop.refund_reason_reference,
            },
            "transactionRequestAction",
        )
        self.result.balance_steps.append(self.balance())

        card = self.call(
            "Staff issues a gift card",
            "staff",
            GIFT_CARD_CREATE,
            {"amount": money(shop.gift_card_amount), "currency": shop.currency},
            "giftCardCreate",
        )["giftCard"]
        self.call(
            "Customer redeems the gift card into store credit",
            "customer",
            REDEEM,
            {"code": card["code"]},
            "storeCreditRedeemGiftCard",
        )
        self.result.balance_steps.append(self.balance())

        history = self.call(
            "Customer reads the history",
            "customer",
            HISTORY,
            {},
            "storeCreditTransactions",
        )
        self.result.history_kinds = [e["node"]["kind"] for e in history["edges"]]
        self.result.final_balance = self.result.balance_steps[-1]
        return self.result
