"""Apps credit customers with rewards of their own (storeCreditAppReward) and
take back what is unspent (storeCreditAppRewardReverse), through /graphql/
with an app token."""

from datetime import timedelta
from decimal import Decimal

import graphene
import pytest
from django.utils import timezone
from saleor.app.models import App
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.actors import SYSTEM
from saleor_storecredit.exceptions import StoreCreditError
from saleor_storecredit.ledger.reads import usable_by_purpose
from saleor_storecredit.ledger.rules import DEFAULT_RULES
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    LotKind,
    LotSource,
    Reason,
    StoreCreditEntry,
    StoreCreditLot,
)
from saleor_storecredit.withdrawals import request_withdrawal

from .conftest import global_id, ledger_state, outcome

REWARD = """
mutation Reward($input: StoreCreditAppRewardInput!) {
  storeCreditAppReward(input: $input) {
    transaction { id kind reason amount { amount currency } customerNote
                  actor { type app { name } } }
    account { balance { amount } lots { kind source sourceId expiresAt } }
    errors { field code message }
  }
}
"""
REVERSE = """
mutation TakeBack($id: ID!, $key: String!) {
  storeCreditAppRewardReverse(id: $id, idempotencyKey: $key,
                              customerNote: "Order returned") {
    transaction { id kind reason amount { amount } }
    account { balance { amount } }
    errors { field code message }
  }
}
"""
CUSTOMER_LOTS = """
query { storeCreditAccount(currency: "USD") { lots { kind source sourceId } } }
"""


def _app_client(name, *permissions) -> ApiClient:
    app = App.objects.create(name=name, is_active=True)
    app.permissions.add(*Permission.objects.filter(codename__in=permissions))
    return ApiClient(app=app)


@pytest.fixture
def rewards_app(app_api_client, permission_manage_payments):
    app_api_client.app.permissions.add(permission_manage_payments)
    return app_api_client


@pytest.fixture
def other_app(db):
    return _app_client("Royalties", "handle_payments")


def reward_input(customer, **fields):
    values = {
        "user": global_id("User", customer.pk),
        "currency": "USD",
        "amount": "12.50",
        "idempotencyKey": "order-1042",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def reward(client, **input):
    return outcome(
        client.post_graphql(REWARD, {"input": input}), "storeCreditAppReward"
    )


def take_back(client, entry_id, key="take-back-1042"):
    return outcome(
        client.post_graphql(
            REVERSE, {"id": global_id("StoreCreditTransaction", entry_id), "key": key}
        ),
        "storeCreditAppRewardReverse",
    )


def _pk(transaction) -> int:
    return int(graphene.Node.from_global_id(transaction["id"])[1])


# --- crediting ------------------------------------------------------------------


def test_app_credits_a_customer_with_its_own_source(
    rewards_app, customer_user, user_api_client
):
    status, data = reward(
        rewards_app, **reward_input(customer_user, customerNote="Affiliate reward")
    )

    assert status == "ok", data
    app = rewards_app.app
    assert data["transaction"] | {"id": None} == {
        "id": None,
        "kind": "CREDIT",
        "reason": "app_reward",
        "amount": {"amount": 12.5, "currency": "USD"},
        "customerNote": "Affiliate reward",
        "actor": {"type": "app", "app": {"name": app.name}},
    }
    assert data["account"]["balance"]["amount"] == 12.5
    assert data["account"]["lots"] == [
        {"kind": "app", "source": "app", "sourceId": str(app.pk), "expiresAt": None}
    ]
    entry = StoreCreditEntry.objects.get(pk=_pk(data["transaction"]))
    assert (entry.actor_type, entry.actor_app_id, entry.reason) == (
        "app",
        app.pk,
        Reason.APP_REWARD,
    )
    assert entry.idempotency_key == f"app:{app.pk}:order-1042"
    lot = StoreCreditLot.objects.get(account=entry.account)
    assert (lot.kind, lot.source, lot.source_id, lot.cash_backed) == (
        LotKind.APP,
        LotSource.APP,
        str(app.pk),
        False,
    )
    # The customer sees where the credit came from, not which app's row it is.
    content = user_api_client.post_graphql(CUSTOMER_LOTS).json()
    assert content["data"]["storeCreditAccount"]["lots"] == [
        {"kind": "app", "source": "app", "sourceId": None}
    ]
    assert find_problems() == []


def test_app_credits_by_email_any_case_as_cashback(rewards_app, customer_user):
    status, data = reward(
        rewards_app,
        **reward_input(
            customer_user, user=None, email="TEST@example.com", kind="CASHBACK"
        ),
    )

    assert status == "ok", data
    assert data["account"]["lots"][0]["kind"] == "cashback"
    assert data["account"]["lots"][0]["source"] == "app"
    assert ledger.get_account(customer_user, "USD").balance == Decimal("12.50")


def test_reward_expires_by_the_shops_expiry_days_for_its_kind(
    rewards_app, customer_user, store_credit_settings
):
    store_credit_settings(expiry_days="app:30, cashback:7")

    status, data = reward(rewards_app, **reward_input(customer_user))
    lot = StoreCreditLot.objects.get(account__user=customer_user)
    assert status == "ok", data
    left = lot.expires_at - timezone.now()
    assert timedelta(days=30) - timedelta(minutes=5) < left <= timedelta(days=30)
    # Retried later, it is the same request (a period, not a date).
    assert reward(rewards_app, **reward_input(customer_user)) == (status, data)

    chosen = timezone.now() + timedelta(days=3)
    status, data = reward(
        rewards_app,
        **reward_input(
            customer_user,
            kind="CASHBACK",
            expiresAt=chosen.isoformat(),
            idempotencyKey="order-1043",
        ),
    )
    assert status == "ok", data
    assert StoreCreditLot.objects.get(kind=LotKind.CASHBACK).expires_at == chosen


def test_retry_returns_the_same_transaction_and_credits_once(
    rewards_app, customer_user
):
    first = reward(rewards_app, **reward_input(customer_user))
    again = reward(rewards_app, **reward_input(customer_user))

    assert first[0] == "ok"
    assert again == first
    assert ledger.get_account(customer_user, "USD").balance == Decimal("12.50")

    for changed in ({"amount": "13.00"}, {"kind": "CASHBACK"}, {"customerNote": "x"}):
        assert reward(rewards_app, **reward_input(customer_user, **changed)) == (
            "error",
            ["IDEMPOTENCY_KEY_REUSED"],
        )
    assert ledger.get_account(customer_user, "USD").balance == Decimal("12.50")


def test_two_apps_with_the_same_key_never_collide(
    rewards_app, other_app, customer_user
):
    mine = reward(rewards_app, **reward_input(customer_user))
    theirs = reward(other_app, **reward_input(customer_user, amount="3.00"))

    assert mine[0] == theirs[0] == "ok"
    assert mine[1]["transaction"]["id"] != theirs[1]["transaction"]["id"]
    assert ledger.get_account(customer_user, "USD").balance == Decimal("15.50")
    # Each app's retry finds its own reward.
    for client, first, amount in (
        (rewards_app, mine, "12.50"),
        (other_app, theirs, "3.00"),
    ):
        status, again = reward(client, **reward_input(customer_user, amount=amount))
        assert (status, again["transaction"]) == ("ok", first[1]["transaction"])
    sources = sorted(
        StoreCreditLot.objects.values_list("source", "source_id", "original_amount")
    )
    assert sources == sorted(
        [
            ("app", str(rewards_app.app.pk), Decimal("12.50")),
            ("app", str(other_app.app.pk), Decimal("3.00")),
        ]
    )
    # Nor do an app's keys meet staff keys: the same key from staff is its own.
    ledger.credit(
        customer_user, Decimal("1"), "USD", idempotency_key="order-1042", actor=SYSTEM
    )
    assert ledger.get_account(customer_user, "USD").balance == Decimal("16.50")


def test_reward_is_not_withdrawable_under_the_default_rules(
    rewards_app, customer_user, store_credit_settings
):
    reward(rewards_app, **reward_input(customer_user))
    reward(
        rewards_app,
        **reward_input(customer_user, kind="CASHBACK", idempotencyKey="cashback-1"),
    )
    account = ledger.get_account(customer_user, "USD")

    assert usable_by_purpose(account, DEFAULT_RULES) == {
        "pay": Decimal("25.00"),
        "withdraw": Decimal(0),
        "transfer": Decimal(0),
    }
    with pytest.raises(StoreCreditError) as refused:
        request_withdrawal(
            customer_user, "USD", Decimal("5"), note="IBAN", idempotency_key="w"
        )
    assert refused.value.code.name == "INSUFFICIENT_FUNDS"


# --- who may ---------------------------------------------------------------------


@pytest.fixture
def staff_with_every_permission(staff_api_client):
    staff_api_client.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["manage_users", "handle_payments"])
    )
    return staff_api_client


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "customer",
        "staff",
        "app_without_permission",
        "app_with_manage_users",
        "inactive_app",
    ],
)
def test_only_apps_with_handle_payments_give_rewards(
    who,
    api_client,
    user_api_client,
    staff_with_every_permission,
    app_api_client,
    customer_user,
    customer_user2,
):
    client = {
        "anonymous": api_client,
        "customer": user_api_client,
        "staff": staff_with_every_permission,
        "app_without_permission": app_api_client,
    }.get(who)
    if who == "app_with_manage_users":
        client = _app_client("Users app", "manage_users")
    if who == "inactive_app":
        client = _app_client("Old app", "handle_payments")
        client.app.is_active = False
        client.app.save(update_fields=["is_active"])
    before = ledger_state()

    assert reward(client, **reward_input(customer_user2)) == ("denied", None)
    assert ledger_state() == before


def test_staff_and_customers_cannot_take_back_rewards(
    rewards_app, customer_user, user_api_client, staff_with_every_permission
):
    _, data = reward(rewards_app, **reward_input(customer_user))
    entry_id = _pk(data["transaction"])

    for client in (user_api_client, staff_with_every_permission):
        assert take_back(client, entry_id) == ("denied", None)
    assert ledger.get_account(customer_user, "USD").balance == Decimal("12.50")


def test_staff_accounts_never_receive_rewards(rewards_app, staff_user):
    """Nobody credits their own staff account through an app's token."""
    by_id = reward(rewards_app, **reward_input(staff_user))
    by_email = reward(
        rewards_app, **reward_input(staff_user, user=None, email=staff_user.email)
    )

    assert by_id == ("error", ["NOT_FOUND"])
    assert by_email == ("error", ["NOT_FOUND"])
    assert not StoreCreditEntry.objects.exists()


# --- bad input ---------------------------------------------------------------------


BAD_INPUTS = {
    "zero": ({"amount": "0"}, "AMOUNT_NOT_POSITIVE"),
    "negative": ({"amount": "-5.00"}, "AMOUNT_NOT_POSITIVE"),
    "too precise": ({"amount": "1.005"}, "TOO_MANY_DECIMAL_PLACES"),
    "too large": ({"amount": "10000000000000"}, "AMOUNT_TOO_LARGE"),
    "unknown currency": ({"currency": "XXX"}, "INVALID_CURRENCY"),
    "withdrawn currency": ({"currency": "DEM"}, "INVALID_CURRENCY"),
    "long currency": ({"currency": "U" * 300}, "INVALID_CURRENCY"),
    "no customer": ({"user": None}, "REQUIRED"),
    "both": ({"email": "test@example.com"}, "INVALID"),
    "unknown user": ({"user": global_id("User", 10**9)}, "NOT_FOUND"),
    "huge user id": ({"user": global_id("User", 10**30)}, "NOT_FOUND"),
    "not a user": ({"user": global_id("Order", 1)}, "GRAPHQL_ERROR"),
    "malformed id": ({"user": "x"}, "GRAPHQL_ERROR"),
    "empty id": ({"user": ""}, "NOT_FOUND"),
    "unknown email": ({"user": None, "email": "nobody@example.com"}, "NOT_FOUND"),
    "empty email": ({"user": None, "email": " "}, "INVALID"),
    "long email": ({"user": None, "email": "a" * 300 + "@x.com"}, "INVALID"),
    "nul email": ({"user": None, "email": "a\x00@x.com"}, "INVALID"),
    "top-up kind": ({"kind": "TOP_UP"}, "NOT_ALLOWED_FOR_KIND"),
    "refund kind": ({"kind": "REFUND"}, "NOT_ALLOWED_FOR_KIND"),
    "store credit kind": ({"kind": "STORE_CREDIT"}, "NOT_ALLOWED_FOR_KIND"),
    "empty key": ({"idempotencyKey": ""}, "INVALID_IDEMPOTENCY_KEY"),
    "blank key": ({"idempotencyKey": "   "}, "INVALID_IDEMPOTENCY_KEY"),
    "long key": ({"idempotencyKey": "k" * 201}, "INVALID_IDEMPOTENCY_KEY"),
    "nul key": ({"idempotencyKey": "k\x00"}, "INVALID_IDEMPOTENCY_KEY"),
    "long note": ({"customerNote": "n" * 1001}, "INVALID"),
    "nul note": ({"customerNote": "a\x00b"}, "INVALID"),
    "past expiry": ({"expiresAt": "2020-01-01T00:00:00+00:00"}, "INVALID_EXPIRY"),
    "naive expiry": ({"expiresAt": "2099-01-01T00:00:00"}, "INVALID_EXPIRY"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_every_bad_input_has_a_code(case, rewards_app, customer_user):
    changes, code = BAD_INPUTS[case]
    before = ledger_state()

    status, codes = reward(rewards_app, **reward_input(customer_user, **changes))

    assert (status, codes) == ("error", [code])
    assert ledger_state() == before


def test_inactive_customer_gets_nothing(rewards_app, customer_user):
    customer_user.is_active = False
    customer_user.save(update_fields=["is_active"])

    assert reward(rewards_app, **reward_input(customer_user)) == (
        "error",
        ["NOT_FOUND"],
    )


def test_above_the_approval_threshold_a_reward_is_refused(
    rewards_app, customer_user, store_credit_settings
):
    store_credit_settings(approval_threshold="USD:100")

    assert reward(rewards_app, **reward_input(customer_user, amount="100.00"))[0] == (
        "ok"
    )
    assert reward(
        rewards_app,
        **reward_input(customer_user, amount="100.01", idempotencyKey="big"),
    ) == ("error", ["AMOUNT_TOO_LARGE"])
    # A reward booked before the threshold was lowered is still replayed.
    store_credit_settings(approval_threshold="USD:10")
    assert reward(rewards_app, **reward_input(customer_user, amount="100.00"))[0] == (
        "ok"
    )
    assert ledger.get_account(customer_user, "USD").balance == Decimal("100.00")


# --- taking back --------------------------------------------------------------------


def test_app_takes_back_its_unspent_reward_once(rewards_app, customer_user):
    _, data = reward(rewards_app, **reward_input(customer_user))
    entry_id = _pk(data["transaction"])

    status, taken = take_back(rewards_app, entry_id)

    assert status == "ok", taken
    assert taken["transaction"]["kind"] == "REVERSAL"
    assert taken["transaction"]["reason"] == "app_reward"
    assert taken["transaction"]["amount"]["amount"] == -12.5
    assert taken["account"]["balance"]["amount"] == 0
    assert take_back(rewards_app, entry_id) == (status, taken)
    assert take_back(rewards_app, entry_id, key="another") == (
        "error",
        ["ENTRY_NOT_REVERSIBLE"],
    )
    assert find_problems() == []


def test_app_cannot_take_back_what_is_not_its_reward(
    rewards_app, other_app, customer_user, credit
):
    _, theirs = reward(other_app, **reward_input(customer_user))
    staff_credit = credit(customer_user, "20.00")

    assert take_back(rewards_app, _pk(theirs["transaction"])) == (
        "error",
        ["PERMISSION_DENIED"],
    )
    assert take_back(rewards_app, staff_credit.pk) == (
        "error",
        ["ENTRY_NOT_REVERSIBLE"],
    )
    assert take_back(rewards_app, 10**9) == ("error", ["NOT_FOUND"])
    assert ledger.get_account(customer_user, "USD").balance == Decimal("32.50")


def test_spent_reward_cannot_be_taken_back(rewards_app, customer_user):
    _, data = reward(rewards_app, **reward_input(customer_user))
    ledger.debit(customer_user, Decimal("5.00"), "USD", idempotency_key="pay-1")

    status, codes = take_back(rewards_app, _pk(data["transaction"]))

    assert (status, codes) == ("error", ["ENTRY_NOT_REVERSIBLE"])
    assert ledger.get_account(customer_user, "USD").balance == Decimal("7.50")


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"id": "x", "key": "k"}, "GRAPHQL_ERROR"),
        ({"id": global_id("Order", 1), "key": "k"}, "GRAPHQL_ERROR"),
        (
            {"id": global_id("StoreCreditTransaction", "abc"), "key": "k"},
            "GRAPHQL_ERROR",
        ),
        ({"id": global_id("StoreCreditTransaction", 10**30), "key": "k"}, "NOT_FOUND"),
        ({"key": ""}, "INVALID_IDEMPOTENCY_KEY"),
        ({"key": "k" * 201}, "INVALID_IDEMPOTENCY_KEY"),
    ],
)
def test_bad_take_back_input_has_a_code(variables, code, rewards_app, customer_user):
    _, data = reward(rewards_app, **reward_input(customer_user))
    variables = {"id": data["transaction"]["id"], **variables}
    before = ledger_state()

    response = rewards_app.post_graphql(REVERSE, variables)

    assert outcome(response, "storeCreditAppRewardReverse") == ("error", [code])
    assert ledger_state() == before
