"""Every list of the store-credit API costs the same number of queries for one
row as for twenty: each nested field (an account's history and lots, a history
row's order, account and actor, a customer's `storeCredit`, an order's, a
withdrawal's account, a bulk job's failures) is loaded in batches."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.order.models import Order
from saleor.payment.models import Payment
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor, Reference
from saleor_storecredit.config import PLUGIN_ID
from saleor_storecredit.models import StoreCreditBulkJob
from saleor_storecredit.withdrawals import request_withdrawal

HISTORY_ROW = """
  id kind reason currency orderId checkoutId transactionItemId
  amount { amount } heldChange { amount } balanceAfter { amount }
  order { id number }
  account { id email }
  actor { type user { email } app { name } }
"""
HISTORY = (
    "transactions(first: 3) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { node { " + HISTORY_ROW + " } } }"
)
ACCOUNT = (
    "id currency balance { amount } note user { email } "
    "lots { kind remainingAmount { amount } expiresAt } " + HISTORY
)

QUERIES = {
    "accounts": (
        "storeCreditAccounts",
        "{ storeCreditAccounts(first: 100) { edges { node { " + ACCOUNT + " } } } }",
    ),
    "transactions": (
        "storeCreditTransactions",
        "{ storeCreditTransactions(first: 100) { totalCount edges { node { "
        + HISTORY_ROW
        + " } } } }",
    ),
    "withdrawals": (
        "storeCreditWithdrawals",
        "{ storeCreditWithdrawals(first: 100) { edges { node { "
        "amount { amount } account { " + ACCOUNT + " } } } } }",
    ),
    "customers": (
        "customers",
        "{ customers(first: 100) { edges { node { storeCredit { "
        + ACCOUNT
        + " } } } } }",
    ),
    "orders": (
        "orders",
        "{ orders(first: 100) { edges { node { "
        "storeCredit { paid { amount } refunded { amount } refundable { amount } } "
        "} } } }",
    ),
    "bulk jobs": (
        "storeCreditBulkJobs",
        "{ storeCreditBulkJobs(first: 100) { edges { node { "
        "startedBy { type user { email } } "
        "failures { email message user { email } } } } } }",
    ),
}


@pytest.fixture
def staff_client(staff_api_client, permission_group_no_perms_all_channels):
    """Staff who manage store credit and orders, in every channel."""
    permission_group_no_perms_all_channels.user_set.add(staff_api_client.user)
    staff_api_client.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["manage_users", "manage_orders"])
    )
    return staff_api_client


@pytest.fixture
def store_credit_rows(staff_user, app, channel_USD, store_credit_settings):
    """`add(n)`: n more customers, each with every kind of row the lists show."""
    User = get_user_model()
    made = iter(range(10**6))

    def add(count):
        for _ in range(count):
            n = next(made)
            customer = User.objects.create(email=f"rows{n}@example.com")
            order = Order.objects.create(
                channel=channel_USD,
                currency="USD",
                user=customer,
                user_email=customer.email,
                checkout_token=str(uuid.uuid4()),
                lines_count=0,
            )
            payment = Payment.objects.create(
                gateway=PLUGIN_ID,
                order=order,
                total=Decimal(3),
                currency="USD",
                is_active=True,
            )
            ledger.credit(
                customer,
                Decimal(50),
                "USD",
                idempotency_key="staff",
                expires_at=timezone.now() + timezone.timedelta(days=9),
                actor=Actor.staff(staff_user),
            )
            ledger.credit(
                customer, Decimal(5), "USD", idempotency_key="app", actor=Actor.app(app)
            )
            # Paid for the order through each kind of reference the history
            # resolves to it: the order, its payment, its checkout.
            for key, reference in (
                ("order", Reference(order_id=order.pk)),
                ("payment", Reference(payment_id=payment.pk)),
                ("checkout", Reference(checkout_id=uuid.UUID(order.checkout_token))),
            ):
                ledger.debit(
                    customer,
                    Decimal(1),
                    "USD",
                    idempotency_key=key,
                    reference=reference,
                )
            request_withdrawal(
                customer, "USD", Decimal(2), note="", idempotency_key="out"
            )
            StoreCreditBulkJob.objects.create(
                idempotency_key=f"job-{n}",
                request_hash="x",
                currency="USD",
                amount=Decimal(-1),
                reason="adjustment",
                lot_kind="adjustment",
                debit_mode="skip",
                actor_type="staff",
                actor_user_id=staff_user.pk,
                failures=[
                    {"user_id": customer.pk, "email": customer.email, "message": "no"}
                ],
            )

    return add


def _run(client, query, field):
    client.post_graphql(query)  # per-process caches warm up first
    with CaptureQueriesContext(connection) as queries:
        content = client.post_graphql(query).json()
    assert "errors" not in content, content
    edges = content["data"][field]["edges"]
    return len(queries), len(edges)


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_list_costs_the_same_for_one_row_as_for_twenty(
    name, staff_client, store_credit_rows
):
    field, query = QUERIES[name]
    store_credit_rows(1)
    one, rows = _run(staff_client, query, field)
    assert rows >= 1

    store_credit_rows(19)
    twenty, rows = _run(staff_client, query, field)

    assert rows >= 20
    assert twenty == one


def test_a_customer_s_own_lists_cost_the_same_for_one_row_as_for_twenty(
    user_api_client, customer_user, staff_user
):
    query = (
        "{ me { storeCredit { " + ACCOUNT + " } } "
        "storeCreditAccounts(first: 5) { edges { node { " + ACCOUNT + " } } } }"
    )

    def run():
        user_api_client.post_graphql(query)
        with CaptureQueriesContext(connection) as queries:
            content = user_api_client.post_graphql(query).json()
        assert "errors" not in content, content
        (account,) = content["data"]["me"]["storeCredit"]
        return len(queries), len(account["transactions"]["edges"])

    ledger.credit(customer_user, Decimal(9), "USD", idempotency_key="usd")
    ledger.credit(customer_user, Decimal(9), "USD", idempotency_key="usd-2")
    one, _ = run()
    for n in range(20):
        ledger.debit(customer_user, Decimal("0.10"), "USD", idempotency_key=f"d{n}")
    twenty, shown = run()

    assert shown == 3
    assert twenty == one
