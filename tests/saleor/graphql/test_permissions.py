"""Every store-credit query and mutation, called by every kind of caller.

Customers only ever see and move their own credit, whatever IDs they send;
staff need MANAGE_USERS, apps MANAGE_USERS or HANDLE_PAYMENTS. A refused call
writes nothing.
"""

import pytest
from saleor.permission.models import Permission

from saleor_storecredit.ledger.verification import find_problems

from .conftest import CALLERS, MANAGERS, global_id, ledger_state, outcome

CUSTOMER = "test@example.com"
OTHER = "test2@example.com"
BOTH = sorted([CUSTOMER, OTHER])
USERS = {"customer", "other_customer", "staff_without_permission", "staff"}


def _email(status, data):
    return status, (data["email"] if status == "ok" and data else data)


def _emails(data, path="edges"):
    return sorted({edge["node"]["account"]["email"] for edge in data[path]})


ACCOUNT_FIELDS = "id email balance { amount } user { email } note"


def account_by_id(client, world):
    query = f"query($id: ID) {{ storeCreditAccount(id: $id) {{ {ACCOUNT_FIELDS} }} }}"
    response = client.post_graphql(
        query, {"id": global_id("StoreCreditAccount", world["account"].pk)}
    )
    return _email(*outcome(response, "storeCreditAccount"))


def account_by_user(client, world):
    query = (
        'query($user: ID) { storeCreditAccount(user: $user, currency: "USD") '
        f"{{ {ACCOUNT_FIELDS} }} }}"
    )
    response = client.post_graphql(
        query, {"user": global_id("User", world["customer"].pk)}
    )
    return _email(*outcome(response, "storeCreditAccount"))


def own_account(client, world):
    query = f'query {{ storeCreditAccount(currency: "USD") {{ {ACCOUNT_FIELDS} }} }}'
    return _email(*outcome(client.post_graphql(query), "storeCreditAccount"))


def accounts(client, world):
    query = "query { storeCreditAccounts(first: 20) { edges { node { email } } } }"
    status, data = outcome(client.post_graphql(query), "storeCreditAccounts")
    if status != "ok":
        return status, data
    return status, sorted(edge["node"]["email"] for edge in data["edges"])


def transactions(client, world):
    query = (
        "query { storeCreditTransactions(first: 50) "
        "{ edges { node { amount { amount } account { email } } } } }"
    )
    status, data = outcome(client.post_graphql(query), "storeCreditTransactions")
    return status, (_emails(data) if status == "ok" else data)


def withdrawals(client, world):
    query = (
        "query { storeCreditWithdrawals(first: 20) "
        "{ edges { node { status account { email } } } } }"
    )
    status, data = outcome(client.post_graphql(query), "storeCreditWithdrawals")
    return status, (_emails(data) if status == "ok" else data)


def report(client, world):
    query = (
        'query { storeCreditReport(currency: "USD") '
        "{ closingLiability { amount } accountsWithBalance } }"
    )
    status, data = outcome(client.post_graphql(query), "storeCreditReport")
    return status, (data["closingLiability"]["amount"] if status == "ok" else data)


def _mutation(client, name, arguments, variables, result="__typename"):
    query = (
        f"mutation({arguments[0]}) {{ {name}({arguments[1]}) "
        f"{{ {result} errors {{ field code message }} }} }}"
    )
    status, data = outcome(client.post_graphql(query, variables), name)
    return status, (data if status == "error" else None)


def adjust(client, world):
    return _mutation(
        client,
        "storeCreditAdjust",
        ("$input: StoreCreditAdjustInput!", "input: $input"),
        {
            "input": {
                "user": global_id("User", world["customer"].pk),
                "currency": "USD",
                "amount": "5.00",
                "idempotencyKey": "matrix-adjust",
            }
        },
    )


def bulk_adjust(client, world):
    return _mutation(
        client,
        "storeCreditBulkAdjust",
        ("$input: StoreCreditBulkAdjustInput!", "input: $input"),
        {
            "input": {
                "users": [global_id("User", world["customer"].pk)],
                "currency": "USD",
                "amount": "5.00",
                "idempotencyKey": "matrix-bulk",
            }
        },
    )


def account_update(client, world):
    return _mutation(
        client,
        "storeCreditAccountUpdate",
        ("$id: ID!", 'id: $id, input: {status: ON_HOLD, note: "fraud check"}'),
        {"id": global_id("StoreCreditAccount", world["account"].pk)},
    )


def withdrawal_process(client, world):
    return _mutation(
        client,
        "storeCreditWithdrawalProcess",
        ("$id: ID!", "id: $id, action: REJECT"),
        {"id": global_id("StoreCreditWithdrawal", world["withdrawal"].pk)},
    )


def withdrawal_cancel(client, world):
    return _mutation(
        client,
        "storeCreditWithdrawalCancel",
        ("$id: ID!", "id: $id"),
        {"id": global_id("StoreCreditWithdrawal", world["withdrawal"].pk)},
    )


def withdrawal_request(client, world):
    return _mutation(
        client,
        "storeCreditWithdrawalRequest",
        ("$amount: Decimal!", 'currency: "USD", amount: $amount'),
        {"amount": "5.00"},
    )


def transfer(client, world):
    return _mutation(
        client,
        "storeCreditTransfer",
        (
            "$amount: Decimal!",
            'email: "test3@example.com", currency: "USD", amount: $amount',
        ),
        {"amount": "5.00"},
    )


def redeem_gift_card(client, world):
    return _mutation(
        client,
        "storeCreditRedeemGiftCard",
        ("$code: String!", "code: $code"),
        {"code": world["gift_card"].code},
    )


DENIED = ("denied", None)
OK = ("ok", None)


def _only(allowed: set, when_allowed, otherwise=DENIED):
    return {role: when_allowed if role in allowed else otherwise for role in CALLERS}


EXPECTED = {
    account_by_id: {
        **_only(USERS | MANAGERS, ("ok", None)),
        "customer": ("ok", CUSTOMER),
        "staff": ("ok", CUSTOMER),
        "app": ("ok", CUSTOMER),
    },
    account_by_user: _only(MANAGERS, ("ok", CUSTOMER)),
    own_account: {
        **_only(USERS, ("ok", None)),
        "customer": ("ok", CUSTOMER),
        "other_customer": ("ok", OTHER),
        # Apps must name the customer.
        "app": ("error", ["Apps must give the customer (`user`) to look up."]),
    },
    accounts: {
        **_only(USERS | MANAGERS, ("ok", [])),
        "customer": ("ok", [CUSTOMER]),
        "other_customer": ("ok", [OTHER]),
        "staff": ("ok", BOTH),
        "app": ("ok", BOTH),
    },
    transactions: {
        **_only(USERS | MANAGERS, ("ok", [])),
        "customer": ("ok", [CUSTOMER]),
        "other_customer": ("ok", [OTHER]),
        "staff": ("ok", BOTH),
        "app": ("ok", BOTH),
    },
    withdrawals: {
        **_only(USERS | MANAGERS, ("ok", [])),
        "customer": ("ok", [CUSTOMER]),
        "staff": ("ok", [CUSTOMER]),
        "app": ("ok", [CUSTOMER]),
    },
    report: _only(MANAGERS, ("ok", 150.0)),
    adjust: _only(MANAGERS, OK),
    bulk_adjust: _only(MANAGERS, OK),
    account_update: _only(MANAGERS, OK),
    withdrawal_process: _only(MANAGERS, OK),
    withdrawal_cancel: {
        **_only(USERS, ("error", ["NOT_FOUND"])),
        "customer": OK,
    },
    withdrawal_request: {
        **_only(USERS, ("error", ["INSUFFICIENT_FUNDS"])),
        "customer": OK,
        "other_customer": OK,
    },
    transfer: {
        **_only(USERS, ("error", ["INSUFFICIENT_FUNDS"])),
        "customer": OK,
        "other_customer": OK,
    },
    redeem_gift_card: _only(USERS, OK),
}

CASES = [
    pytest.param(operation, role, expected, id=f"{operation.__name__}-{role}")
    for operation, by_role in EXPECTED.items()
    for role, expected in by_role.items()
]


@pytest.mark.parametrize(("operation", "role", "expected"), CASES)
def test_permission_matrix(
    operation, role, expected, world, caller, customer_users, make_gift_card
):
    world["gift_card"] = make_gift_card("20")
    client = caller(role)
    before = ledger_state()

    result = operation(client, world)

    assert result == expected
    if result[0] != "ok":
        assert ledger_state() == before
    assert find_problems() == []


def test_handle_payments_is_enough_for_apps_but_not_for_staff(
    world, staff_api_client, app_api_client
):
    handle_payments = Permission.objects.get(codename="handle_payments")
    manage_users = Permission.objects.get(codename="manage_users")
    staff_api_client.user.user_permissions.add(handle_payments)
    app_api_client.app.permissions.add(manage_users)

    assert accounts(staff_api_client, world) == ("ok", [])
    assert adjust(staff_api_client, world) == DENIED
    assert accounts(app_api_client, world) == ("ok", BOTH)
    assert adjust(app_api_client, world) == OK
