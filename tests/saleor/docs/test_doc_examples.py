"""Every GraphQL example and manage.py command in README.md and docs/*.md runs,
as written.

Examples are extracted from the documents, so the documentation cannot drift
from the code: a new example without a scenario here fails the suite. Every
operation is named; placeholders such as "<User ID>" are replaced with real IDs.
"""

import importlib
import json
import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils.module_loading import import_string
from graphql import parse, print_ast
from graphql.language.ast import OperationDefinition
from saleor.app.models import App
from saleor.channel.models import Channel
from saleor.graphql.core.utils import to_global_id_or_none
from saleor.graphql.tests.fixtures import API_PATH
from saleor.order.models import Order
from saleor.permission.models import Permission

from saleor_storecredit import approvals, bulk_jobs, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.dashboard.manifest import APP_IDENTIFIER, manifest_url
from saleor_storecredit.demo.flows import COMPLETE, ORDER_PAYMENTS, PAY_REST
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import LotKind, StoreCreditWithdrawal

from ..plugin_config import PLUGINS, WITHDRAWABLE_STAFF_CREDIT, configure

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def doc_blocks(languages, documents=DOCUMENTS) -> list[tuple[Path, str]]:
    pattern = rf"```(?:{'|'.join(languages)})\n(.*?)```"
    return [
        (path, block)
        for path in documents
        for block in re.findall(pattern, path.read_text(), re.DOTALL)
    ]


def readme_blocks(language: str) -> list[str]:
    return [block for _, block in doc_blocks([language], [README])]


def operations() -> list[tuple[Path, str | None, str]]:
    """(document, operation name, operation) of every GraphQL example."""
    found = []
    for path, block in doc_blocks(["graphql"]):
        for definition in parse(block).definitions:
            assert isinstance(definition, OperationDefinition), (path, block)
            name = definition.name.value if definition.name else None
            found.append((path, name, print_ast(definition)))
    return found


OPERATIONS = operations()
GRAPHQL_EXAMPLES = {name: text for _, name, text in OPERATIONS}


class Shop:
    """The callers and data the README's examples talk about."""

    def __init__(self, clients, customer, checkout, staff_group):
        self.clients = clients
        self.customer = customer
        self.checkout = checkout
        self.staff_group = staff_group

    def post(self, as_, query, variables=None):
        for placeholder, value in self.placeholders().items():
            query = query.replace(placeholder, value)
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

    def placeholders(self):
        customer_type = self.customer.customer_type
        return {
            '"<User ID>"': f'"{to_global_id_or_none(self.customer)}"',
            '"<CustomerType ID>"': (
                f'"{to_global_id_or_none(customer_type)}"' if customer_type else '""'
            ),
        }

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
        self.order_id = order_id
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
    configure(
        allow_withdrawals="true",
        withdrawal_minimum="1",
        allow_transfers="true",
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
    )
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


def _pending_approval(shop):
    """An adjustment above the threshold another staff member asked for."""
    configure(approval_threshold="USD:500")
    maker = get_user_model().objects.create(email="maker@example.com", is_staff=True)
    approval = approvals.adjust(
        shop.customer,
        Decimal("750"),
        "USD",
        idempotency_key="ticket-8812",
        kind=LotKind.STORE_CREDIT,
        internal_note="Apology for the late parcel",
        actor=Actor.staff(maker),
    ).approval
    return {"id": to_global_id_or_none(approval)}


def _pending_withdrawal(shop):
    shop.credit()
    shop.post(
        "customer",
        GRAPHQL_EXAMPLES["RequestWithdrawal"],
        {"amount": "10.00"},
    )
    return {"id": to_global_id_or_none(StoreCreditWithdrawal.objects.get())}


def _bulk(shop, customer_type, dry_run=True):
    shop.customer.customer_type = customer_type
    shop.customer.save(update_fields=["customer_type"])
    return {"customerType": to_global_id_or_none(customer_type), "dryRun": dry_run}


def _bulk_job(shop, customer_type):
    """A job started by the README's BulkCredit (run at once: tasks are eager)."""
    data = shop.post(
        "staff", GRAPHQL_EXAMPLES["BulkCredit"], _bulk(shop, customer_type, False)
    )
    return {"id": data["storeCreditBulkAdjust"]["job"]["id"]}


def _waiting_bulk_job(shop, customer_type):
    """A job no worker has picked up yet (started through the service, whose
    task the GraphQL path would run at once here)."""
    _bulk(shop, customer_type)
    staff = shop.clients["staff"].user
    job, _ = bulk_jobs.start_job(
        bulk_jobs.Selection.of(customer_type_ids=[customer_type.pk]),
        bulk_jobs.validate_request("5.00", "USD", actor=Actor.staff(staff)),
        "waiting",
    )
    return {"id": to_global_id_or_none(job)}


def _bulk_job_awaiting_approval(shop, customer_type):
    """A job above the threshold another staff member started."""
    configure(approval_threshold="USD:1")
    _bulk(shop, customer_type)
    maker = get_user_model().objects.create(email="maker@example.com", is_staff=True)
    job, _ = bulk_jobs.start_job(
        bulk_jobs.Selection.of(customer_type_ids=[customer_type.pk]),
        bulk_jobs.validate_request("5.00", "USD", actor=Actor.staff(maker)),
        "vip-list",
    )
    assert job.status == "awaiting_approval"
    return {"id": to_global_id_or_none(job)}


def _refund(shop):
    return {"id": shop.order_paid_partly_with_credit()}


def _partial_refund(shop):
    return {"id": shop.order_paid_partly_with_credit(), "amount": "1.00"}


def _order(shop):
    shop.order_paid_partly_with_credit()
    return {"id": shop.order_id}


def _history_with_order(shop):
    shop.order_paid_partly_with_credit()
    return {}


def _completable(shop):
    variables = _pay_with_credit(shop)
    shop.post("customer", GRAPHQL_EXAMPLES["PayWithStoreCredit"], variables)
    return {"id": shop.checkout_id()}


def _approved_withdrawal(shop):
    variables = _pending_withdrawal(shop)
    shop.post("staff", GRAPHQL_EXAMPLES["ProcessWithdrawal"], variables)
    return variables


def _with_customer_type(shop, customer_type):
    _bulk(shop, customer_type)
    shop.credit()
    return {}


def _transfer(shop):
    shop.credit()
    get_user_model().objects.create(email="friend@example.com")
    return {}


def _may_create_apps(shop):
    shop.staff_group.permissions.add(Permission.objects.get(codename="manage_apps"))
    return {}


def _rewarded(shop):
    """A reward the shop's app gave with the docs' RewardCustomer."""
    data = shop.post("app", GRAPHQL_EXAMPLES["RewardCustomer"])
    return {"id": data["storeCreditAppReward"]["transaction"]["id"]}


SCENARIOS = {
    # operation: (caller, variables builder, the payload's root field)
    # README.md
    "EnableStoreCredit": ("staff", lambda shop, **_: _enable(shop), "pluginUpdate"),
    "MyStoreCredit": ("customer", lambda shop, **_: shop.credit() and {}, None),
    "PayWithStoreCredit": ("customer", lambda shop, **_: _pay_with_credit(shop), "checkoutPaymentCreate"),
    "ApplyStoreCredit": ("customer", lambda shop, **_: _apply(shop), "storeCreditCheckoutApply"),
    "RemoveStoreCredit": ("customer", lambda shop, **_: _remove(shop), "storeCreditCheckoutRemove"),
    "RedeemGiftCard": ("customer", lambda shop, gift_card, **_: _gift_card(shop, gift_card), "storeCreditRedeemGiftCard"),
    "RequestWithdrawal": ("customer", lambda shop, **_: _withdrawal(shop), "storeCreditWithdrawalRequest"),
    "AdjustStoreCredit": ("staff", lambda shop, **_: _customer_id(shop), "storeCreditAdjust"),
    "BulkCredit": ("staff", lambda shop, customer_type, **_: _bulk(shop, customer_type), "storeCreditBulkAdjust"),
    "BulkJobProgress": ("staff", lambda shop, customer_type, **_: _bulk_job(shop, customer_type), None),
    "HoldAccount": ("staff", lambda shop, **_: _account_id(shop), "storeCreditAccountUpdate"),
    "RefundToStoreCredit": ("staff", lambda shop, **_: _refund(shop), "transactionRequestAction"),
    "PendingWithdrawals": ("staff", lambda shop, **_: _pending_withdrawal(shop) and {}, None),
    "ProcessWithdrawal": ("staff", lambda shop, **_: _pending_withdrawal(shop), "storeCreditWithdrawalProcess"),
    "StoreCreditReport": ("staff", lambda shop, **_: shop.credit() and {}, None),
    # docs/configuration.md
    "ConfigureStoreCredit": ("staff", lambda shop, **_: _enable(shop), "pluginUpdate"),
    # docs/graphql.md
    "StoreCredit": ("customer", lambda shop, **_: shop.credit() and {}, None),
    "MyAccount": ("customer", lambda shop, **_: shop.credit() and {}, None),
    "History": ("customer", lambda shop, **_: _history_with_order(shop), None),
    "Redeem": ("customer", lambda shop, gift_card, **_: _gift_card(shop, gift_card), "storeCreditRedeemGiftCard"),
    "Withdraw": ("customer", lambda shop, **_: shop.credit() and {}, "storeCreditWithdrawalRequest"),
    "MyWithdrawals": ("customer", lambda shop, **_: _pending_withdrawal(shop) and {}, None),
    "Cancel": ("customer", lambda shop, **_: _pending_withdrawal(shop), "storeCreditWithdrawalCancel"),
    "Send": ("customer", lambda shop, **_: _transfer(shop), "storeCreditTransfer"),
    "Customer": ("staff", lambda shop, **_: shop.credit() and _customer_id(shop), None),
    "Accounts": ("staff", lambda shop, customer_type, **_: _with_customer_type(shop, customer_type), None),
    "CustomersWithCredit": ("staff", lambda shop, **_: shop.credit() and {}, None),
    "Adjust": ("staff", lambda shop, **_: {}, "storeCreditAdjust"),
    "PendingApprovals": ("staff", lambda shop, **_: _pending_approval(shop) and {}, None),
    "ApproveAdjustment": ("staff", lambda shop, **_: _pending_approval(shop), "storeCreditAdjustmentApprove"),
    "RejectAdjustment": ("staff", lambda shop, **_: _pending_approval(shop), "storeCreditAdjustmentReject"),
    "Bulk": ("staff", lambda shop, customer_type, **_: _with_customer_type(shop, customer_type) or {"dryRun": True}, "storeCreditBulkAdjust"),
    "BulkJob": ("staff", lambda shop, customer_type, **_: _bulk_job(shop, customer_type), None),
    "BulkJobs": ("staff", lambda shop, customer_type, **_: _bulk_job(shop, customer_type) and {}, None),
    "CancelBulkJob": ("staff", lambda shop, customer_type, **_: _waiting_bulk_job(shop, customer_type), "storeCreditBulkJobCancel"),
    "BulkJobsAwaitingApproval": ("staff", lambda shop, customer_type, **_: _bulk_job_awaiting_approval(shop, customer_type) and {}, None),
    "ApproveBulkJob": ("staff", lambda shop, customer_type, **_: _bulk_job_awaiting_approval(shop, customer_type), "storeCreditBulkJobApprove"),
    "RejectBulkJob": ("staff", lambda shop, customer_type, **_: _bulk_job_awaiting_approval(shop, customer_type), "storeCreditBulkJobReject"),
    "RedeemForCustomer": ("staff", lambda shop, gift_card, **_: _gift_card(shop, gift_card), "storeCreditRedeemGiftCard"),
    "Hold": ("staff", lambda shop, **_: _account_id(shop), "storeCreditAccountUpdate"),
    "Pending": ("staff", lambda shop, **_: _pending_withdrawal(shop) and {}, None),
    "Process": ("staff", lambda shop, **_: _approved_withdrawal(shop), "storeCreditWithdrawalProcess"),
    "Report": ("staff", lambda shop, **_: shop.credit() and {}, None),
    "CreateRewardsApp": ("staff", lambda shop, **_: _may_create_apps(shop), "appCreate"),
    "RewardCustomer": ("app", lambda shop, **_: {}, "storeCreditAppReward"),
    "RewardedCredit": ("app", lambda shop, **_: _rewarded(shop) and {}, None),
    "TakeBackReward": ("app", lambda shop, **_: _rewarded(shop), "storeCreditAppRewardReverse"),
    # docs/payments.md
    "AvailableGateways": ("customer", lambda shop, **_: shop.credit() and {"id": shop.checkout_id()}, None),
    "PayWholeOrderWithCredit": ("customer", lambda shop, **_: _pay_with_credit(shop), "checkoutPaymentCreate"),
    "CompleteCheckout": ("customer", lambda shop, **_: _completable(shop), "checkoutComplete"),
    "ApplyCredit": ("customer", lambda shop, **_: _apply(shop), "storeCreditCheckoutApply"),
    "PayTheRest": ("customer", lambda shop, **_: _apply(shop) and {"id": shop.checkout_id()}, "transactionInitialize"),
    "RemoveCredit": ("customer", lambda shop, **_: _remove(shop), "storeCreditCheckoutRemove"),
    "RefundCredit": ("staff", lambda shop, **_: _partial_refund(shop), "transactionRequestAction"),
    "OrderCredit": ("customer", lambda shop, **_: _order(shop), None),
}  # fmt: skip
# Examples whose answer is an error here, and the error codes expected.
EXPECTED_ERRORS = {
    # "your.payment.app" stands for the shop's payment app: none is installed.
    "PayTheRest": {"NOT_FOUND"},
}


def test_every_example_is_named_once():
    names = [name for _, name, _ in OPERATIONS]
    assert None not in names, "name every GraphQL example (query Name { ... })"
    assert len(names) == len(set(names)), "example names must be unique"


def test_every_example_has_a_scenario():
    assert set(GRAPHQL_EXAMPLES) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_readme_graphql_example_runs(name, shop, gift_card, customer_type):
    caller, variables_for, payload_field = SCENARIOS[name]
    variables = variables_for(shop, gift_card=gift_card, customer_type=customer_type)

    data = shop.post(caller, GRAPHQL_EXAMPLES[name], variables)

    if payload_field:
        codes = {error["code"] for error in data[payload_field]["errors"]}
        assert codes == EXPECTED_ERRORS.get(name, set()), data[payload_field]
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


def test_readme_bulk_job_credits_the_customer_type(shop, customer_type):
    variables = _bulk_job(shop, customer_type)
    data = shop.post("staff", GRAPHQL_EXAMPLES["BulkJobProgress"], variables)
    job = data["storeCreditBulkJob"]
    assert (job["status"], job["total"], job["done"]) == ("COMPLETED", 1, 1)
    assert job["totalAmount"]["amount"] == 10.0
    assert ledger.get_account(shop.customer, "USD").balance == Decimal("10.00")
    assert find_problems() == []


def test_an_app_credits_a_customer_with_the_token_appcreate_gives(shop):
    """The docs' whole flow: staff create the app, the app calls with
    `Authorization: Bearer <app token>`, the lot names the app as its source,
    and the app takes its reward back."""
    _may_create_apps(shop)
    created = shop.post("staff", GRAPHQL_EXAMPLES["CreateRewardsApp"])["appCreate"]
    token = created["authToken"]
    app = App.objects.get(name="Affiliate rewards")
    assert created["app"]["permissions"] == [{"code": "HANDLE_PAYMENTS"}]
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def as_app(name, variables=None):
        query = GRAPHQL_EXAMPLES[name]
        for placeholder, value in shop.placeholders().items():
            query = query.replace(placeholder, value)
        response = bearer.post(
            API_PATH,
            {"query": query, "variables": variables or {}},
            content_type="application/json",
        )
        content = response.json()
        assert "errors" not in content, content
        return content["data"]

    rewarded = as_app("RewardCustomer")["storeCreditAppReward"]
    assert rewarded["errors"] == []
    assert rewarded["transaction"]["reason"] == "app_reward"
    assert rewarded["account"]["balance"]["amount"] == 12.5
    # A retry (a timeout, a redelivered webhook) credits nothing more.
    assert as_app("RewardCustomer")["storeCreditAppReward"] == rewarded

    account = as_app("RewardedCredit")["storeCreditAccount"]
    assert account["lots"] == [
        {
            "kind": "app",
            "source": "app",
            "sourceId": str(app.pk),
            "originalAmount": {"amount": 12.5},
            "expiresAt": None,
        }
    ]
    assert [edge["node"] for edge in account["transactions"]["edges"]] == [
        {
            "reason": "app_reward",
            "amount": {"amount": 12.5},
            "actor": {"type": "app", "app": {"name": "Affiliate rewards"}},
        }
    ]

    taken = as_app("TakeBackReward", {"id": rewarded["transaction"]["id"]})
    taken = taken["storeCreditAppRewardReverse"]
    assert taken["errors"] == []
    assert taken["transaction"] == {"kind": "REVERSAL", "amount": {"amount": -12.5}}
    assert taken["account"]["balance"]["amount"] == 0
    assert find_problems() == []


def manage_commands(documents=DOCUMENTS) -> list[list[str]]:
    """The `python manage.py ...` lines of the shell blocks (continuations joined)."""
    commands = []
    for _, block in doc_blocks(["bash", "sh"], documents):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("python manage.py "):
                commands.append(shlex.split(line.split("#")[0])[2:])
    return commands


def test_documented_manage_py_commands_run(shop, tmp_path, monkeypatch, capsys):
    """Run as written, on a shop new to store credit (no account yet)."""
    monkeypatch.chdir(tmp_path)
    # `--write` writes the SDL into the checkout: keep the test's copy apart.
    monkeypatch.setattr(
        "saleor_storecredit.graphql.sdl.SDL_PATH", tmp_path / "schema.graphql"
    )
    newcomer = get_user_model().objects.create(email="alice@example.com")
    (tmp_path / "opening-balances.csv").write_text(
        "email,currency,amount,kind,expiry,note\n"
        f"{newcomer.email},USD,12.50,store_credit,,Moved from the old shop\n"
    )
    ran = []
    for args in manage_commands():
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
        "storecredit_graphql_schema",
        "storecredit_export",
    ]
    assert (tmp_path / "schema.graphql").exists()
    assert App.objects.filter(identifier=APP_IDENTIFIER, is_active=True).exists()
    assert manifest_url() in capsys.readouterr().out


def test_readme_import_example_works_for_a_new_shop(shop, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    newcomer = get_user_model().objects.create(email="alice@example.com")
    (tmp_path / "opening-balances.csv").write_text(
        "email,currency,amount,kind,expiry,note\n"
        f"{newcomer.email},USD,12.50,store_credit,,Moved from the old shop\n"
    )
    (args,) = [a for a in manage_commands([README]) if a[0] == "storecredit_import"]
    call_command(*[a for a in args if a != "--dry-run"])
    assert newcomer.store_credit_accounts.get().balance == Decimal("12.50")


def test_readme_worker_and_beat_lines_name_saleors_objects():
    lines = [
        shlex.split(line)
        for block in readme_blocks("bash")
        for line in block.splitlines()
        if line.startswith("celery ")
    ]
    assert [line[3] for line in lines] == ["worker", "beat"]
    for line in lines:
        module, attribute = line[line.index("--app") + 1].split(":")
        assert getattr(importlib.import_module(module), attribute).main == "saleor"
    beat = lines[1]
    import_string(beat[beat.index("--scheduler") + 1])


def test_order_of_a_history_entry_is_saleors_order(shop):
    """`order` on a history entry resolves as Saleor's own Order fields do."""
    shop.order_paid_partly_with_credit()
    data = shop.post("customer", GRAPHQL_EXAMPLES["History"])
    numbers = {
        edge["node"]["order"]["number"]
        for edge in data["storeCreditTransactions"]["edges"]
        if edge["node"]["order"]
    }
    assert numbers == {str(Order.objects.get().number)}


def test_documented_configuration_error_is_what_the_api_answers(shop):
    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = json.loads(
        re.search(r"`(\{\"field\": [^`]*\})`", text, re.DOTALL).group(1)
    )
    _enable(shop)
    query = GRAPHQL_EXAMPLES["ConfigureStoreCredit"]
    assert query.count('"10.00"') == 1  # the minimum order total
    query = query.replace('"10.00"', '"-1"')
    data = shop.post("staff", query)
    assert data["pluginUpdate"]["errors"] == [documented]
