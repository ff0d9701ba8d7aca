"""Lists: filters, sorting, keyset pagination, and a fixed number of queries
whatever the page size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from saleor_storecredit import ledger
from saleor_storecredit.actors import Actor, Reference

from .conftest import global_id, outcome

ACCOUNTS = """
query($filter: StoreCreditAccountFilterInput, $sortBy: StoreCreditAccountSortingInput,
      $first: Int, $after: String) {
  storeCreditAccounts(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id email currency status canUse note
      balance { amount } held { amount } available { amount }
      user { email }
      lots { kind remainingAmount { amount } expiresAt }
    } }
  }
}
"""
TRANSACTIONS = """
query($filter: StoreCreditTransactionFilterInput, $first: Int, $after: String) {
  storeCreditTransactions(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id createdAt kind reason currency customerNote internalNote orderId
      amount { amount } balanceAfter { amount } heldChange { amount }
      account { email user { email } }
      actor { type user { email } app { name } }
    } }
  }
}
"""


def _customers(count, prefix="shopper"):
    User = get_user_model()
    return [User.objects.create(email=f"{prefix}{n}@example.com") for n in range(count)]


def _fill(customers, staff_user, app):
    for n, customer in enumerate(customers):
        ledger.credit(
            customer,
            Decimal(10 + n),
            "USD",
            idempotency_key="first",
            expires_at=timezone.now() + timedelta(days=10),
            actor=Actor.staff(staff_user),
        )
        ledger.credit(
            customer, Decimal(5), "USD", idempotency_key="second", actor=Actor.app(app)
        )
        ledger.debit(customer, Decimal(2), "USD", idempotency_key="spend")


def _count_queries(client, query, variables):
    client.post_graphql(query, variables)  # per-process caches warm up first
    with CaptureQueriesContext(connection) as queries:
        response = client.post_graphql(query, variables)
    assert "errors" not in response.json(), response.json()
    return len(queries)


@pytest.mark.parametrize(
    ("query", "field"),
    [(ACCOUNTS, "storeCreditAccounts"), (TRANSACTIONS, "storeCreditTransactions")],
    ids=["accounts", "transactions"],
)
def test_lists_cost_the_same_number_of_queries_for_any_page_size(
    query, field, caller, staff_user, app
):
    client = caller("staff")
    _fill(_customers(2, "few"), staff_user, app)
    few = _count_queries(client, query, {"first": 100})
    _fill(_customers(12, "many"), staff_user, app)

    many = _count_queries(client, query, {"first": 100})

    assert many == few
    assert many <= 20


def test_withdrawal_list_costs_the_same_for_any_page_size(
    caller, customer_user, credit, store_credit_settings
):
    from saleor_storecredit.withdrawals import request_withdrawal

    client = caller("app")
    query = (
        "query { storeCreditWithdrawals(first: 100) { edges { node { "
        "status amount { amount } account { email user { email } } } } } }"
    )
    credit(customer_user, "100")
    request_withdrawal(customer_user, "USD", Decimal(1), note="", idempotency_key="1")
    few = _count_queries(client, query, {})
    for key in range(2, 12):
        request_withdrawal(
            customer_user, "USD", Decimal(1), note="", idempotency_key=str(key)
        )

    assert _count_queries(client, query, {}) == few


def test_transactions_newest_first_with_keyset_pages(caller, customer_user, credit):
    for n in range(1, 8):
        credit(customer_user, str(n))
    client = caller("customer")
    seen = []
    after = None
    while True:
        data = outcome(
            client.post_graphql(TRANSACTIONS, {"first": 3, "after": after}),
            "storeCreditTransactions",
        )[1]
        seen += [edge["node"]["amount"]["amount"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert seen == [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    assert data["totalCount"] == 7


def test_transaction_filters(caller, customer_user, customer_user2, staff_user, order):
    ledger.credit(
        customer_user,
        Decimal(10),
        "USD",
        idempotency_key="a",
        actor=Actor.staff(staff_user),
    )
    ledger.credit(customer_user, Decimal(10), "EUR", idempotency_key="b")
    ledger.debit(
        customer_user,
        Decimal(3),
        "USD",
        idempotency_key="c",
        reference=Reference(order_id=order.pk),
    )
    ledger.credit(
        customer_user2, Decimal(4), "USD", idempotency_key="d", reason="bonus"
    )
    client = caller("staff")

    def amounts(filter_):
        data = outcome(
            client.post_graphql(TRANSACTIONS, {"first": 50, "filter": filter_}),
            "storeCreditTransactions",
        )[1]
        return sorted(edge["node"]["amount"]["amount"] for edge in data["edges"])

    assert amounts({"currency": "EUR"}) == [10.0]
    assert amounts({"kinds": ["DEBIT"]}) == [-3.0]
    assert amounts({"reasons": ["bonus"]}) == [4.0]
    assert amounts({"order": global_id("Order", order.pk)}) == [-3.0]
    assert amounts({"user": global_id("User", customer_user2.pk)}) == [4.0]
    assert amounts({"actor": global_id("User", staff_user.pk)}) == [10.0]
    assert amounts({"createdAt": {"gte": "2100-01-01T00:00:00+00:00"}}) == []
    assert amounts({"createdAt": {"lte": "2100-01-01T00:00:00+00:00"}}) == [
        -3.0,
        4.0,
        10.0,
        10.0,
    ]


def test_customers_cannot_filter_by_other_customers(world, caller):
    response = caller("customer").post_graphql(
        TRANSACTIONS,
        {"first": 5, "filter": {"user": global_id("User", world["other"].pk)}},
    )

    assert outcome(response, "storeCreditTransactions") == ("denied", None)


def test_account_filters_and_sorting(caller, customer_users, credit, customer_user):
    first, second, third = customer_users
    credit(first, "30")
    credit(second, "5", expires_at=timezone.now() + timedelta(days=3))
    credit(third, "12")
    ledger.set_status(ledger.get_account(third, "USD"), "on_hold")
    client = caller("staff")

    def emails(filter_=None, sort_by=None):
        data = outcome(
            client.post_graphql(
                ACCOUNTS, {"first": 50, "filter": filter_, "sortBy": sort_by}
            ),
            "storeCreditAccounts",
        )[1]
        return [edge["node"]["email"] for edge in data["edges"]]

    by_balance = {"field": "BALANCE", "direction": "DESC"}
    assert emails(sort_by=by_balance) == [first.email, third.email, second.email]
    assert emails(sort_by={"field": "EMAIL", "direction": "ASC"}) == sorted(
        user.email for user in customer_users
    )
    assert emails({"status": "ON_HOLD"}) == [third.email]
    assert emails({"balance": {"gte": 10, "lte": 20}}) == [third.email]
    assert emails({"hasExpiringCredit": True}) == [second.email]
    assert emails({"search": "Leslie"}) == [customer_user.email]
    assert emails({"currencies": ["EUR"]}) == []


def test_sorted_accounts_page_by_cursor(caller, make_customer_with_credit):
    client = caller("app")
    for n in range(5):
        make_customer_with_credit(f"page{n}@example.com", "7")  # equal balances
    seen = []
    after = None
    while True:
        data = outcome(
            client.post_graphql(
                ACCOUNTS,
                {
                    "first": 2,
                    "after": after,
                    "sortBy": {"field": "BALANCE", "direction": "ASC"},
                },
            ),
            "storeCreditAccounts",
        )[1]
        seen += [edge["node"]["email"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]

    assert sorted(seen) == [f"page{n}@example.com" for n in range(5)]
    assert len(seen) == 5


def test_lots_are_listed_soonest_expiring_first(caller, customer_user, credit):
    credit(customer_user, "1")
    credit(customer_user, "2", expires_at=timezone.now() + timedelta(days=30))
    credit(customer_user, "3", expires_at=timezone.now() + timedelta(days=3))
    ledger.debit(customer_user, Decimal(3), "USD", idempotency_key="spend")

    data = outcome(
        caller("customer").post_graphql(
            'query { storeCreditAccount(currency: "USD") '
            "{ lots { remainingAmount { amount } } } }"
        ),
        "storeCreditAccount",
    )[1]

    # The 3 spent came from the lot expiring first; the spent lot is gone.
    assert [lot["remainingAmount"]["amount"] for lot in data["lots"]] == [2.0, 1.0]


@pytest.fixture
def make_customer_with_credit(credit):
    def make(email, amount):
        customer = get_user_model().objects.create(email=email)
        credit(customer, amount)
        return customer

    return make
