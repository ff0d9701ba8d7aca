import threading
from decimal import Decimal

import graphene
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from saleor.giftcard.models import GiftCard
from saleor.graphql.tests.fixtures import ApiClient
from saleor.graphql.tests.utils import get_graphql_content_from_response
from saleor.permission.models import Permission
from saleor.plugins.models import PluginConfiguration
from saleor.tests.utils import prepare_test_db_connections

from saleor_storecredit import ledger
from saleor_storecredit.actors import SYSTEM
from saleor_storecredit.config import PLUGIN_ID
from saleor_storecredit.models import StoreCreditEntry, StoreCreditWithdrawal
from saleor_storecredit.withdrawals import request_withdrawal

from ..plugin_config import WITHDRAWABLE_STAFF_CREDIT

CALLERS = (
    "anonymous",
    "customer",
    "other_customer",
    "staff_without_permission",
    "staff",
    "app_without_permission",
    "app",
)
MANAGERS = {"staff", "app"}


@pytest.fixture(autouse=True)
def _clear_cache():
    # Gift-card attempt counters live in Saleor's cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def credit():
    """Give a customer credit through the ledger, as any other caller would."""
    counter = iter(range(1, 10**9))

    def give(user, amount, currency="USD", **kwargs):
        return ledger.credit(
            user,
            Decimal(amount),
            currency,
            idempotency_key=f"test-credit-{next(counter)}",
            actor=SYSTEM,
            **kwargs,
        )

    return give


@pytest.fixture
def store_credit_settings(db):
    """The plugin configured with withdrawals and transfers allowed."""

    def configure(**values):
        # These tests are about who may withdraw and send, not which credit
        # may: the credit they give by hand is withdrawable here.
        values.setdefault("credit_rules", WITHDRAWABLE_STAFF_CREDIT)
        configuration = [
            {"name": name, "value": value} for name, value in values.items()
        ]
        PluginConfiguration.objects.update_or_create(
            identifier=PLUGIN_ID,
            channel=None,
            defaults={"active": True, "configuration": configuration},
        )

    configure(allow_withdrawals=True, allow_transfers=True, withdrawal_minimum="1")
    return configure


@pytest.fixture
def make_gift_card(db):
    counter = iter(range(1, 10**6))

    def make(balance="20", currency="USD", **kwargs):
        amount = Decimal(balance)
        return GiftCard.objects.create(
            code=f"STORECREDIT{next(counter):05d}",
            currency=currency,
            initial_balance_amount=amount,
            current_balance_amount=amount,
            **kwargs,
        )

    return make


@pytest.fixture
def caller(
    request,
    api_client,
    user_api_client,
    user2_api_client,
    staff_api_client,
    app_api_client,
):
    """An API client by role name, with the permissions the role implies."""

    def get(role: str) -> ApiClient:
        if role == "anonymous":
            return api_client
        if role == "customer":
            return user_api_client
        if role == "other_customer":
            return user2_api_client
        if role == "staff_without_permission":
            return staff_api_client
        if role == "staff":
            staff_api_client.user.user_permissions.add(
                Permission.objects.get(codename="manage_users")
            )
            return staff_api_client
        if role == "app_without_permission":
            return app_api_client
        if role == "app":
            app_api_client.app.permissions.add(
                Permission.objects.get(codename="handle_payments")
            )
            return app_api_client
        raise ValueError(role)

    return get


def global_id(type_name: str, pk) -> str:
    return graphene.Node.to_global_id(type_name, pk)


def outcome(response, field: str):
    """('denied' | 'error' | 'ok', data or error codes) of one root field."""
    content = get_graphql_content_from_response(response)
    if content.get("errors"):
        codes = [e["extensions"]["exception"]["code"] for e in content["errors"]]
        if "PermissionDenied" in codes:
            return "denied", None
        return "error", [e["message"] for e in content["errors"]]
    data = content["data"][field]
    if isinstance(data, dict) and data.get("errors"):
        return "error", [error["code"] for error in data["errors"]]
    return "ok", data


def ledger_state():
    """What a refused call must leave unchanged."""
    return (
        StoreCreditEntry.objects.count(),
        sorted(StoreCreditWithdrawal.objects.values_list("pk", "status")),
    )


@pytest.fixture
def world(customer_user, customer_user2, credit, store_credit_settings):
    """Two customers with credit; the first has a pending withdrawal."""
    credit(customer_user, "100.00")
    credit(customer_user2, "50.00")
    withdrawal = _withdrawal(customer_user, "10.00")
    return {
        "customer": customer_user,
        "other": customer_user2,
        "account": ledger.get_account(customer_user, "USD"),
        "other_account": ledger.get_account(customer_user2, "USD"),
        "withdrawal": withdrawal,
    }


def _withdrawal(user, amount):
    return request_withdrawal(
        user, "USD", Decimal(amount), note="IBAN DE00", idempotency_key="w-1"
    )


def run_in_parallel(*calls):
    """Run the calls at the same moment, each in a thread with its own connection.

    Saleor's tests wrap the replica alias around the default connection only in
    the main thread (connections are per thread); each thread does the same.
    """
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def run(index, call):
        prepare_test_db_connections()
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            connections[settings.DATABASE_CONNECTION_DEFAULT_NAME].close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results
