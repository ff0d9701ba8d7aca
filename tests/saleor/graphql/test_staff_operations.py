"""Staff and apps add, deduct and hold credit; customers send it to each other."""

from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.utils import timezone
from saleor.account.models import CustomerType
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import StoreCreditEntry

from .conftest import global_id, ledger_state, outcome, run_in_parallel

ADJUST = """
mutation($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { kind reason amount { amount } balanceAfter { amount }
                  customerNote internalNote actor { type user { email } } }
    account { balance { amount } lots { kind expiresAt } }
    errors { field code }
  }
}
"""
BULK = """
mutation($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) {
    dryRun count changedCount skippedCount totalAmount { amount currency }
    results { email status amount { amount } } resultsCapped
    job { id status total done creditedCount debitedCount skippedCount
          failedCount totalAmount { amount } }
    errors { field code }
  }
}
"""
JOB = """
query($id: ID!) {
  storeCreditBulkJob(id: $id) {
    status total done creditedCount debitedCount skippedCount failedCount
    totalAmount { amount }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: StoreCreditAccountUpdateInput!) {
  storeCreditAccountUpdate(id: $id, input: $input) {
    account { status canUse note }
    errors { field code }
  }
}
"""
TRANSFER = """
mutation($email: String!, $amount: Decimal!, $key: String) {
  storeCreditTransfer(
    email: $email, currency: "USD", amount: $amount, note: "Happy birthday",
    idempotencyKey: $key
  ) {
    transaction { amount { amount } customerNote }
    account { balance { amount } }
    errors { field code }
  }
}
"""


def _adjust(client, user, amount, key="adjust-1", **extra):
    variables = {
        "input": {
            "user": global_id("User", user.pk),
            "currency": "USD",
            "amount": amount,
            "idempotencyKey": key,
            **extra,
        }
    }
    return outcome(client.post_graphql(ADJUST, variables), "storeCreditAdjust")


def test_staff_add_credit_with_expiry_and_notes(caller, customer_user, staff_user):
    expires_at = (timezone.now() + timedelta(days=90)).isoformat()

    status, data = _adjust(
        caller("staff"),
        customer_user,
        "15.00",
        reason="BONUS",
        note="loyalty",
        customerNote="Thanks!",
        expiresAt=expires_at,
    )

    assert status == "ok"
    transaction = data["transaction"]
    assert transaction["kind"] == "CREDIT"
    assert transaction["reason"] == "bonus"
    assert transaction["amount"] == {"amount": 15.0}
    assert transaction["balanceAfter"] == {"amount": 15.0}
    assert transaction["customerNote"] == "Thanks!"
    assert transaction["internalNote"] == "loyalty"
    assert transaction["actor"] == {
        "type": "staff",
        "user": {"email": staff_user.email},
    }
    assert data["account"]["lots"][0]["kind"] == "bonus"
    assert data["account"]["lots"][0]["expiresAt"]


def test_staff_deduct_credit_but_never_below_zero(caller, customer_user, credit):
    credit(customer_user, "10.00")
    client = caller("staff")

    assert _adjust(client, customer_user, "-4.00")[1]["account"]["balance"] == {
        "amount": 6.0
    }
    before = ledger_state()
    assert _adjust(client, customer_user, "-6.01", key="adjust-2") == (
        "error",
        ["INSUFFICIENT_FUNDS"],
    )
    assert ledger_state() == before


def test_adjust_retried_with_its_key_changes_once(caller, customer_user):
    client = caller("app")

    first = _adjust(client, customer_user, "7.00")
    again = _adjust(client, customer_user, "7.00")
    reused = _adjust(client, customer_user, "8.00")

    assert first == again
    assert reused == ("error", ["IDEMPOTENCY_KEY_REUSED"])
    assert ledger.get_account(customer_user, "USD").balance == Decimal("7.00")


def test_channel_restricted_staff_manage_only_their_currencies(
    staff_api_client, customer_user, credit, channel_PLN, permission_group_manage_users
):
    credit(customer_user, "10.00", "USD")
    credit(customer_user, "10.00", "PLN")
    group = permission_group_manage_users
    group.restricted_access_to_channels = True
    group.save(update_fields=["restricted_access_to_channels"])
    group.channels.set([channel_PLN])
    group.user_set.add(staff_api_client.user)

    content = outcome(
        staff_api_client.post_graphql(
            "query { storeCreditAccounts(first: 10) { edges { node { currency } } } }"
        ),
        "storeCreditAccounts",
    )
    denied = _adjust(staff_api_client, customer_user, "5.00")

    assert [edge["node"]["currency"] for edge in content[1]["edges"]] == ["PLN"]
    assert denied == ("error", ["PERMISSION_DENIED"])


def _bulk(client, **values):
    variables = {"input": {"currency": "USD", "idempotencyKey": "bulk-1", **values}}
    return outcome(client.post_graphql(BULK, variables), "storeCreditBulkAdjust")


def _job(client, job_id):
    return outcome(client.post_graphql(JOB, {"id": job_id}), "storeCreditBulkJob")[1]


@pytest.fixture
def vip(customer_user, customer_user2):
    customer_type = CustomerType.objects.create(name="VIP", slug="vip")
    customer_user.customer_type = customer_type
    customer_user.save(update_fields=["customer_type"])
    customer_user2.customer_type = customer_type
    customer_user2.save(update_fields=["customer_type"])
    return customer_type


def test_bulk_dry_run_reports_without_writing(caller, vip, customer_users):
    before = ledger_state()

    status, data = _bulk(
        caller("staff"),
        customerTypes=[global_id("CustomerType", vip.pk)],
        emails=["test3@example.com"],
        amount="5.00",
        dryRun=True,
    )

    assert status == "ok"
    assert data["dryRun"] is True
    assert (data["count"], data["changedCount"], data["skippedCount"]) == (3, 3, 0)
    assert data["totalAmount"] == {"amount": 15.0, "currency": "USD"}
    assert data["resultsCapped"] is False and data["job"] is None
    assert {result["status"] for result in data["results"]} == {"credited"}
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("mode", "changed", "skipped", "total", "balances"),
    [
        ("TAKE_AVAILABLE", 2, 1, -14.0, [0, 0, 0]),
        ("SKIP", 1, 2, -10.0, [0, 4, 0]),
    ],
)
def test_bulk_debit_never_goes_below_zero(
    mode, changed, skipped, total, balances, caller, customer_users, credit
):
    first, second, third = customer_users
    credit(first, "10.00")
    credit(second, "4.00")
    credit(third, "12.00")
    ledger.authorize(third, Decimal("12.00"), "USD", idempotency_key="checkout")
    # `first` has 10 available, `second` 4, `third` 12 but all of it held.

    status, data = _bulk(
        caller("app"),
        users=[global_id("User", user.pk) for user in customer_users],
        amount="-10.00",
        debitMode=mode,
    )

    assert status == "ok", data
    # Saleor's tests run Celery tasks eagerly: the job ran once the call committed.
    job = _job(caller("app"), data["job"]["id"])
    assert job["status"] == "COMPLETED"
    assert (job["debitedCount"], job["skippedCount"]) == (changed, skipped)
    assert job["totalAmount"]["amount"] == total
    available = [ledger.get_account(user, "USD").available for user in customer_users]
    assert available == [Decimal(amount) for amount in balances]
    # Held credit is never taken.
    assert ledger.get_account(third, "USD").held == Decimal("12.00")
    assert find_problems() == []


def test_bulk_retried_with_its_key_writes_once(caller, customer_users):
    users = [global_id("User", user.pk) for user in customer_users]

    first = _bulk(caller("staff"), users=users, amount="3.00")
    again = _bulk(caller("staff"), users=users, amount="3.00")

    assert first[1]["job"]["id"] == again[1]["job"]["id"]
    assert _job(caller("staff"), again[1]["job"]["id"])["creditedCount"] == 3
    assert StoreCreditEntry.objects.count() == 3
    assert _bulk(caller("staff"), users=users, amount="4.00") == (
        "error",
        ["IDEMPOTENCY_KEY_REUSED"],
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_bulk_credit_sent_twice_at_once_writes_once(customer_users, staff_user):
    staff_user.user_permissions.add(Permission.objects.get(codename="manage_users"))
    users = [global_id("User", user.pk) for user in customer_users]
    clients = [ApiClient(user=staff_user), ApiClient(user=staff_user)]

    results = run_in_parallel(
        *[partial(_bulk, client, users=users, amount="5.00") for client in clients]
    )

    assert [result[0] for result in results] == ["ok", "ok"]
    assert results[0][1]["job"]["id"] == results[1][1]["job"]["id"]
    assert (
        sorted(StoreCreditEntry.objects.values_list("amount", flat=True))
        == [Decimal("5.00")] * 3
    )
    assert find_problems() == []


def test_account_update_puts_on_hold_and_sets_can_use(world, caller):
    client = caller("staff")
    account_id = global_id("StoreCreditAccount", world["account"].pk)

    held = outcome(
        client.post_graphql(
            UPDATE,
            {
                "id": account_id,
                "input": {"status": "ON_HOLD", "canUse": False, "note": "chargeback"},
            },
        ),
        "storeCreditAccountUpdate",
    )
    cleared = outcome(
        client.post_graphql(UPDATE, {"id": account_id, "input": {"canUse": None}}),
        "storeCreditAccountUpdate",
    )

    assert held[1]["account"] == {
        "status": "ON_HOLD",
        "canUse": False,
        "note": "chargeback",
    }
    assert cleared[1]["account"] == {
        "status": "ON_HOLD",
        "canUse": None,
        "note": "chargeback",
    }
    # On hold: the customer can no longer spend.
    assert outcome(
        caller("customer").post_graphql(
            TRANSFER, {"email": "test2@example.com", "amount": "1"}
        ),
        "storeCreditTransfer",
    ) == ("error", ["ACCOUNT_ON_HOLD"])


def test_customers_see_no_staff_notes(world, caller):
    caller("staff").post_graphql(
        UPDATE,
        {
            "id": global_id("StoreCreditAccount", world["account"].pk),
            "input": {"note": "watch this one"},
        },
    )
    query = (
        'query { storeCreditAccount(currency: "USD") { note } '
        "storeCreditTransactions(first: 5) { edges { node { internalNote actor { type } } } } }"
    )

    content = caller("customer").post_graphql(query).json()["data"]

    assert content["storeCreditAccount"] == {"note": None}
    assert {
        (edge["node"]["internalNote"], edge["node"]["actor"])
        for edge in content["storeCreditTransactions"]["edges"]
    } == {(None, None)}


def test_transfer_moves_credit_with_its_expiry(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings
):
    expires_at = timezone.now() + timedelta(days=5)
    credit(customer_user, "20.00", expires_at=expires_at)

    status, data = outcome(
        user_api_client.post_graphql(
            TRANSFER, {"email": "TEST2@example.com", "amount": "8.00", "key": "gift-1"}
        ),
        "storeCreditTransfer",
    )

    assert status == "ok"
    assert data["transaction"]["amount"] == {"amount": -8.0}
    assert data["account"]["balance"] == {"amount": 12.0}
    received = ledger.get_account(customer_user2, "USD")
    assert received.balance == Decimal("8.00")
    assert received.lots.get().expires_at == expires_at
    # Retried with its key: sent once.
    user_api_client.post_graphql(
        TRANSFER, {"email": "test2@example.com", "amount": "8.00", "key": "gift-1"}
    )
    received.refresh_from_db()
    assert received.balance == Decimal("8.00")
    assert find_problems() == []


def test_transfers_refused_when_the_shop_does_not_allow_them(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings
):
    credit(customer_user, "20.00")
    store_credit_settings(allow_transfers=False)
    before = ledger_state()

    assert outcome(
        user_api_client.post_graphql(
            TRANSFER, {"email": "test2@example.com", "amount": "1"}
        ),
        "storeCreditTransfer",
    ) == ("error", ["TRANSFERS_DISABLED"])
    assert ledger_state() == before
