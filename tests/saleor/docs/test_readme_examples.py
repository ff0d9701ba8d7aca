"""Every GraphQL example and manage.py command in the README runs, as written.

Examples are extracted from README.md, so the documentation cannot drift from
the code: a new example without a scenario here fails the suite.
"""

import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from saleor.app.models import App
from saleor.channel.models import Channel
from saleor.graphql.core.utils import to_global_id_or_none

from saleor_storecredit import ledger
from saleor_storecredit.dashboard.manifest import APP_IDENTIFIER, manifest_url
from saleor_storecredit.demo.flows import COMPLETE, ORDER_PAYMENTS, PAY_REST
from saleor_storecredit.models import StoreCreditWithdrawal
from saleor_storecredit.verification import find_problems

from ..plugin_config import PLUGINS, configure

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)


def operation_name(block: str) -> str:
    return re.match(r"\s*(?:query|mutation)\s+(\w+)", block).group(1)


GRAPHQL_EXAMPLES = {operation_name(block): block for block in readme_blocks("graphql")}


class Shop:
    """The callers and data the README's examples talk about."""

    def __init__(self, clients, customer, checkout, staff_group):
        self.clients = clients
        self.customer = customer
        self.checkout = checkout
        self.staff_group = staff_group

    def post(self, as_, query, variables=None):
        response = self.clients[as_].post_graphql(query, variables or {})
        content = response.json()
        assert "errors" not in content, content
        return content["data"]

    def credit(self, amount="100.00"):
        return ledger.credit(
            self.customer, Decimal(amount), "USD", idempotency_key=f"readme-{amount}"
        )

    def checkout_id(self):
        return to_global_id_or_none(self.checkout)

    def apply_credit(self, amount="5.00"):
        self.credit()
        self.post(
            "customer",
            GRAPHQL_EXAMPLES["ApplyStoreCredit"],
            {"id": self.checkout_id(), "amount": amount},
        )

    def order_paid_partly_with_credit(self):
        """An order paid 5.00 with credit and the rest by an app's transaction."""
        self.apply_credit("5.00")
        data = self.post("customer", CHECKOUT_TOTAL, {"id": self.checkout_id()})
        total = Decimal(str(data["checkout"]["totalPrice"]["gross"]["amount"]))
        self.post(
            "app",
            PAY_REST,
            {"id": self.checkout_id(), "amount": str(total - 5), "currency": "USD"},
        )
        order = self.post("customer", COMPLETE, {"id": self.checkout_id()})
        order_id = order["checkoutComplete"]["order"]["id"]
        payments = self.post("staff", ORDER_PAYMENTS, {"id": order_id})["order"]
        return next(
            t["id"]
            for t in payments["transactions"]
            if t["pspReference"].startswith("storecredit:")
        )


@pytest.fixture
def shop(
    settings,
    user_api_client,
    staff_api_client,
    app_api_client,
    customer_user,
    checkout_ready_to_complete,
    permission_group_manage_users,
    permission_manage_payments,
    permission_manage_orders,
    permission_manage_plugins,
):
    settings.PLUGINS = PLUGINS
    configure(allow_withdrawals="true", withdrawal_minimum="1")
    permission_group_manage_users.permissions.add(
        permission_manage_payments, permission_manage_orders, permission_manage_plugins
    )
    permission_group_manage_users.user_set.add(staff_api_client.user)
    app_api_client.app.permissions.add(permission_manage_payments)
    checkout = checkout_ready_to_complete
    checkout.user = customer_user
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    clients = {
        "customer": user_api_client,
        "staff": staff_api_client,
        "app": app_api_client,
    }
    return Shop(clients, customer_user, checkout, permission_group_manage_users)


def _customer_id(shop):
    return {"user": to_global_id_or_none(shop.customer)}


def _account_id(shop):
    account = shop.credit().account
    return {"id": to_global_id_or_none(account)}


CHECKOUT_TOTAL = """
query Total($id: ID!) { checkout(id: $id) { totalPrice { gross { amount } } } }"""


def _pay_with_credit(shop):
    shop.credit()
    data = shop.post("customer", CHECKOUT_TOTAL, {"id": shop.checkout_id()})
    return {
        "id": shop.checkout_id(),
        "amount": data["checkout"]["totalPrice"]["gross"]["amount"],
    }


def _enable(shop):
    # The README's example names the channel every new Saleor shop has.
    Channel.objects.create(
        name="Default channel", slug="default-channel", currency_code="USD",
        default_country="US",
    )  # fmt: skip
    return {}


def _apply(shop):
    shop.credit()
    return {"id": shop.checkout_id(), "amount": "5.00"}


def _remove(shop):
    shop.apply_credit()
    return {"id": shop.checkout_id()}


def _gift_card(shop, gift_card):
    gift_card.used_by = None
    gift_card.save(update_fields=["used_by"])
    return {"code": gift_card.code}


def _withdrawal(shop):
    shop.credit()
    return {"amount": "10.00"}


def _pending_withdrawal(shop):
    shop.credit()
    shop.post(
        "customer",
        GRAPHQL_EXAMPLES["RequestWithdrawal"],
        {"amount": "10.00"},
    )
    return {"id": to_global_id_or_none(StoreCreditWithdrawal.objects.get())}


def _bulk(shop, customer_type):
    shop.customer.customer_type = customer_type
    shop.customer.save(update_fields=["customer_type"])
    return {"customerType": to_global_id_or_none(customer_type)}


def _refund(shop):
    return {"id": shop.order_paid_partly_with_credit()}


SCENARIOS = {
    # operation: (caller, variables builder, the payload's root field)
    "EnableStoreCredit": ("staff", lambda shop, **_: _enable(shop), "pluginUpdate"),
    "MyStoreCredit": ("customer", lambda shop, **_: shop.credit() and {}, None),
    "PayWithStoreCredit": ("customer", lambda shop, **_: _pay_with_credit(shop), "checkoutPaymentCreate"),
    "ApplyStoreCredit": ("customer", lambda shop, **_: _apply(shop), "storeCreditCheckoutApply"),
    "RemoveStoreCredit": ("customer", lambda shop, **_: _remove(shop), "storeCreditCheckoutRemove"),
    "RedeemGiftCard": ("customer", lambda shop, gift_card, **_: _gift_card(shop, gift_card), "storeCreditRedeemGiftCard"),
    "RequestWithdrawal": ("customer", lambda shop, **_: _withdrawal(shop), "storeCreditWithdrawalRequest"),
    "AdjustStoreCredit": ("staff", lambda shop, **_: _customer_id(shop), "storeCreditAdjust"),
    "BulkCredit": ("staff", lambda shop, customer_type, **_: _bulk(shop, customer_type), "storeCreditBulkAdjust"),
    "HoldAccount": ("staff", lambda shop, **_: _account_id(shop), "storeCreditAccountUpdate"),
    "RefundToStoreCredit": ("staff", lambda shop, **_: _refund(shop), "transactionRequestAction"),
    "PendingWithdrawals": ("staff", lambda shop, **_: _pending_withdrawal(shop) and {}, None),
    "ProcessWithdrawal": ("staff", lambda shop, **_: _pending_withdrawal(shop), "storeCreditWithdrawalProcess"),
    "StoreCreditReport": ("staff", lambda shop, **_: shop.credit() and {}, None),
}  # fmt: skip


def test_every_readme_example_has_a_scenario():
    assert set(GRAPHQL_EXAMPLES) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_readme_graphql_example_runs(name, shop, gift_card, customer_type):
    caller, variables_for, payload_field = SCENARIOS[name]
    variables = variables_for(shop, gift_card=gift_card, customer_type=customer_type)

    data = shop.post(caller, GRAPHQL_EXAMPLES[name], variables)

    if payload_field:
        assert data[payload_field]["errors"] == []
    assert find_problems() == []


def test_readme_example_results(shop, gift_card):
    """The flows the README promises do what it says."""
    variables = _gift_card(shop, gift_card)
    data = shop.post("customer", GRAPHQL_EXAMPLES["RedeemGiftCard"], variables)
    assert Decimal(
        str(data["storeCreditRedeemGiftCard"]["transaction"]["amount"]["amount"])
    ) == Decimal(str(gift_card.initial_balance_amount))

    shop.credit("100.00")
    data = shop.post("customer", GRAPHQL_EXAMPLES["MyStoreCredit"])
    balances = {
        edge["node"]["currency"]: Decimal(str(edge["node"]["balance"]["amount"]))
        for edge in data["storeCreditAccounts"]["edges"]
    }
    assert balances["USD"] == Decimal("100") + Decimal(
        str(gift_card.initial_balance_amount)
    )


def readme_manage_commands() -> list[list[str]]:
    commands = []
    for block in readme_blocks("bash"):
        for line in block.splitlines():
            if line.startswith("python manage.py "):
                commands.append(shlex.split(line.split("#")[0])[2:])
    return commands


def test_readme_manage_py_commands_run(shop, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shop.credit()
    (tmp_path / "opening-balances.csv").write_text(
        "email,currency,amount,kind,expiry,note\n"
        f"{shop.customer.email},USD,12.50,store_credit,,Moved from the old shop\n"
    )
    ran = []
    for args in readme_manage_commands():
        if args[0] == "migrate":
            continue  # the test database itself was migrated that way
        call_command(*args)
        ran.append(args[0])
    assert ran == [
        "storecredit_dashboard",
        "storecredit_dashboard",
        "storecredit_verify",
        "storecredit_import",
        "storecredit_export",
        "storecredit_report",
    ]
    assert App.objects.filter(identifier=APP_IDENTIFIER, is_active=True).exists()
    assert manifest_url() in capsys.readouterr().out
    assert "payment" in (tmp_path / "ledger.csv").read_text() or (
        (tmp_path / "ledger.csv").read_text().count("\n") >= 2
    )
