"""Who may add, hold or spend store credit outside the checkout: every
mutation that moves credit, called through /graphql/ by every kind of caller.

The checkout roads (Payment API, apply, auto-apply, complete) are in
tests/saleor/gateway/test_who_may_spend.py. The rules are those of
docs/graphql.md ("Who may call what"): customers move only their own credit;
staff with MANAGE_USERS and apps with MANAGE_USERS or HANDLE_PAYMENTS manage
everyone's credit but never, as staff, their own (OWN_ACCOUNT); only staff
approve adjustments; only apps with HANDLE_PAYMENTS give and take back app
rewards; everyone else is refused. Each cell of MATRIX says what
the caller gets back and how every account in the shop changes: a refusal
moves nothing anywhere.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from saleor.account.models import User
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from saleor_storecredit import app_rewards, approvals, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.bulk_jobs import lot_kind_for
from saleor_storecredit.models import (
    AccountStatus,
    Reason,
    StoreCreditAccount,
    StoreCreditAdjustmentApproval,
    StoreCreditWithdrawal,
)
from saleor_storecredit.withdrawals import request_withdrawal

from ..plugin_config import WITHDRAWABLE_STAFF_CREDIT
from .conftest import global_id, outcome

CALLERS = (
    "anonymous",
    "other_customer",  # a signed-in customer who is not the owner
    "owner",  # the customer whose credit it is
    "staff",  # MANAGE_USERS, acting on the owner
    "staff_own",  # MANAGE_USERS, acting on their own customer account
    "staff_no_perm",  # staff without MANAGE_USERS
    "app_no_perm",
    "app_handle_payments",
    "app_manage_users",
    "app_impersonate",  # IMPERSONATE_USER only
)
APP_PERMISSIONS = {
    "app_handle_payments": "handle_payments",
    "app_manage_users": "manage_users",
    "app_impersonate": "impersonate_user",
}

# Each account holds credit from the start: the owner 100 (10 of it held by a
# pending withdrawal), the other customer 50, the staff member 40 (10 held by
# their own pending withdrawal); a customer to send credit to; a gift card of
# 20; one adjustment of +100 for the owner and one for the staff member waiting
# for approval (asked by another staff member; the threshold is 50).


# --- the outcomes a caller can notice --------------------------------------


@dataclass(frozen=True)
class Expected:
    result: tuple  # ("ok", data) | ("error", [codes]) | ("denied", None)
    changes: dict = field(default_factory=dict)  # what moves, see `state`


DENIED = Expected(("denied", None))  # PermissionDenied, the field is not theirs
NOT_FOUND = Expected(("error", ["NOT_FOUND"]))
OWN = Expected(("error", ["OWN_ACCOUNT"]))
APPS_NEVER_APPROVE = Expected(("error", ["PERMISSION_DENIED"]))


def ok(data=None, **changes) -> Expected:
    return Expected(("ok", data), changes)


def row(default: Expected, **cells: Expected) -> dict:
    """Every caller gets `default`, except those named."""
    assert set(cells) <= set(CALLERS), set(cells) - set(CALLERS)
    return {caller: cells.get(caller, default) for caller in CALLERS}


def managers(success: Expected, **cells: Expected) -> dict:
    """Staff with MANAGE_USERS and apps with HANDLE_PAYMENTS or MANAGE_USERS
    succeed, staff on their own credit get OWN_ACCOUNT, everyone else is
    refused."""
    succeeding = {
        "staff": success,
        "staff_own": OWN,
        "app_handle_payments": success,
        "app_manage_users": success,
    }
    return row(DENIED, **{**succeeding, **cells})


def customers(success_for) -> dict:
    """Every signed-in person acts on their own credit (staff as customers);
    apps and anonymous callers are refused."""
    return row(
        DENIED,
        other_customer=success_for("other"),
        owner=success_for("owner"),
        staff=success_for("staff"),
        staff_own=success_for("staff"),
        staff_no_perm=success_for("staff"),
    )


MATRIX = {
    # Customer roads: the caller's own credit.
    "withdrawal_request_5": customers(lambda who: ok(**{f"{who}_held": "+5"})),
    "transfer_5": customers(
        lambda who: ok(**{f"{who}_balance": "-5", "recipient_balance": "+5"})
    ),
    "redeem_gift_card": customers(
        lambda who: ok(**{f"{who}_balance": "+20", "card": "-20"})
    ),
    # Cancelling someone else's withdrawal: it does not exist for the caller.
    "withdrawal_cancel": row(
        DENIED,
        other_customer=NOT_FOUND,
        owner=ok(owner_held="-10", owner_withdrawal="canceled"),
        staff=NOT_FOUND,  # staff reject withdrawals, they do not cancel them
        staff_own=ok(staff_held="-10", staff_withdrawal="canceled"),
        staff_no_perm=NOT_FOUND,
    ),
    # Staff roads.
    "withdrawal_approve": managers(ok(owner_withdrawal="approved")),
    "withdrawal_reject": managers(ok(owner_held="-10", owner_withdrawal="rejected")),
    "withdrawal_mark_paid": managers(
        ok(owner_balance="-10", owner_held="-10", owner_withdrawal="paid")
    ),
    "redeem_gift_card_for_user": managers(ok(owner_balance="+20", card="-20")),
    "adjust_5": managers(ok(owner_balance="+5")),
    "adjust_above_threshold": managers(ok("pending", pending_approvals="+1")),
    "adjustment_approve": managers(
        ok(
            "approved",
            owner_balance="+100",
            owner_approval="approved",
            pending_approvals="-1",
        ),
        app_handle_payments=APPS_NEVER_APPROVE,
        app_manage_users=APPS_NEVER_APPROVE,
    ),
    # Bulk jobs never include staff: on their own user they match nobody.
    "bulk_adjust_dry_run": managers(ok(1), staff_own=ok(0)),
    "bulk_adjust": managers(ok(1, owner_balance="+5"), staff_own=ok(0)),
    # The account starts on hold; the caller tries to lift the hold.
    "account_update": managers(ok(owner_account="active")),
    # App roads: only apps with HANDLE_PAYMENTS, whatever staff may do.
    "app_reward_5": row(DENIED, app_handle_payments=ok(owner_balance="+5")),
    # The world's app gave the owner a reward of 5; the caller takes it back.
    "app_reward_take_back": row(DENIED, app_handle_payments=ok(owner_balance="-5")),
}

# MATRIX at a glance (test_the_grid_is_the_matrix keeps it true): ok, - for
# PermissionDenied, or the error code (nf NOT_FOUND, OWN OWN_ACCOUNT, PD
# PERMISSION_DENIED). Columns: anonymous, other customer, owner, staff with
# MANAGE_USERS, the same on their own account, staff without MANAGE_USERS,
# apps without permission, with HANDLE_PAYMENTS, MANAGE_USERS, IMPERSONATE_USER.
# Bulk jobs on a staff member's own user are "ok" and change nobody.
GRID = """
                           anon other owner staff   own nostf   app    hp    mu   imp
withdrawal_request_5          -    ok    ok    ok    ok    ok     -     -     -     -
transfer_5                    -    ok    ok    ok    ok    ok     -     -     -     -
redeem_gift_card              -    ok    ok    ok    ok    ok     -     -     -     -
withdrawal_cancel             -    nf    ok    nf    ok    nf     -     -     -     -
withdrawal_approve            -     -     -    ok   OWN     -     -    ok    ok     -
withdrawal_reject             -     -     -    ok   OWN     -     -    ok    ok     -
withdrawal_mark_paid          -     -     -    ok   OWN     -     -    ok    ok     -
redeem_gift_card_for_user     -     -     -    ok   OWN     -     -    ok    ok     -
adjust_5                      -     -     -    ok   OWN     -     -    ok    ok     -
adjust_above_threshold        -     -     -    ok   OWN     -     -    ok    ok     -
adjustment_approve            -     -     -    ok   OWN     -     -    PD    PD     -
bulk_adjust_dry_run           -     -     -    ok    ok     -     -    ok    ok     -
bulk_adjust                   -     -     -    ok    ok     -     -    ok    ok     -
account_update                -     -     -    ok   OWN     -     -    ok    ok     -
app_reward_5                  -     -     -     -     -     -     -    ok     -     -
app_reward_take_back          -     -     -     -     -     -     -    ok     -     -
"""


# --- the world and what a caller can see of it -------------------------------


@pytest.fixture
def world(
    customer_user, customer_user2, staff_user, app, credit, store_credit_settings, db
):
    store_credit_settings(
        allow_withdrawals=True,
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
        allow_transfers=True,
        withdrawal_minimum="1",
        approval_threshold="USD:50",
    )
    maker = User.objects.create(email="maker@example.com", is_staff=True)
    world = {
        "owner": customer_user,
        "other": customer_user2,
        "staff": staff_user,
        "recipient": User.objects.create(email="recipient@example.com"),
        "app": app,  # the app of the app clients
        "withdrawal": {},
        "approval": {},
    }
    credit(customer_user, "100.00")
    credit(customer_user2, "50.00")
    credit(staff_user, "40.00")
    for user in (customer_user, staff_user):
        world["withdrawal"][user.pk] = request_withdrawal(
            user, "USD", Decimal("10"), note="IBAN DE00", idempotency_key="w-1"
        )
        world["approval"][user.pk] = approvals.adjust(
            user,
            Decimal("100"),
            "USD",
            idempotency_key=f"maker-{user.pk}",
            kind=lot_kind_for(Reason.ADJUSTMENT),
            actor=Actor.staff(maker),
        ).approval
    return world


def state(world, card) -> dict:
    """Everything a refused call must leave as it was."""
    seen = {}
    for name in ("owner", "other", "staff", "recipient"):
        account = StoreCreditAccount.objects.filter(
            user=world[name], currency="USD"
        ).first()
        seen[f"{name}_balance"] = account.balance if account else Decimal(0)
        seen[f"{name}_held"] = account.held if account else Decimal(0)
        if name in ("owner", "staff"):
            seen[f"{name}_account"] = account.status
            user_id = world[name].pk
            seen[f"{name}_withdrawal"] = StoreCreditWithdrawal.objects.get(
                pk=world["withdrawal"][user_id].pk
            ).status
            seen[f"{name}_approval"] = StoreCreditAdjustmentApproval.objects.get(
                pk=world["approval"][user_id].pk
            ).status
    card.refresh_from_db()
    seen["card"] = card.current_balance_amount
    seen["pending_approvals"] = Decimal(
        StoreCreditAdjustmentApproval.objects.filter(status="pending").count()
    )
    return seen


def expected_state(before: dict, changes: dict) -> dict:
    """Amounts change by the signed value given, statuses become the value."""
    after = dict(before)
    for key, change in changes.items():
        assert key in before, key
        if isinstance(before[key], Decimal):
            after[key] = before[key] + Decimal(change)
        else:
            after[key] = change
    return after


@pytest.fixture
def client_for(
    api_client, user_api_client, user2_api_client, staff_api_client, app_api_client
):
    def get(role: str) -> ApiClient:
        if role == "anonymous":
            return api_client
        if role == "owner":
            return user_api_client
        if role == "other_customer":
            return user2_api_client
        if role in ("staff", "staff_own"):
            staff_api_client.user.user_permissions.add(
                Permission.objects.get(codename="manage_users")
            )
            return staff_api_client
        if role == "staff_no_perm":
            return staff_api_client
        if role in APP_PERMISSIONS:
            app_api_client.app.permissions.add(
                Permission.objects.get(codename=APP_PERMISSIONS[role])
            )
        return app_api_client

    return get


# --- the roads -----------------------------------------------------------------
# Each takes the caller's client, the world and the customer acted on (the
# owner; for staff_own the staff member themselves) and returns the outcome.


def _call(client, name, arguments, variables, result="__typename"):
    query = (
        f"mutation{arguments[0]} {{ {name}{arguments[1]} "
        f"{{ {result} errors {{ field code message }} }} }}"
    )
    return outcome(client.post_graphql(query, variables), name)


def _plain(result):
    status, data = result
    return status, (data if status == "error" else None)


def withdrawal_request_5(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditWithdrawalRequest",
            ("", '(currency: "USD", amount: 5.00, idempotencyKey: "m")'),
            {},
        )
    )


def transfer_5(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditTransfer",
            (
                "",
                '(email: "recipient@example.com", currency: "USD", amount: 5.00)',
            ),
            {},
        )
    )


def redeem_gift_card(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditRedeemGiftCard",
            ("($code: String!)", "(code: $code)"),
            {"code": card.code},
        )
    )


def redeem_gift_card_for_user(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditRedeemGiftCard",
            ("($code: String!, $user: ID)", "(code: $code, user: $user)"),
            {"code": card.code, "user": global_id("User", target.pk)},
        )
    )


def withdrawal_cancel(client, world, target, card):
    withdrawal = world["withdrawal"][target.pk]
    return _plain(
        _call(
            client,
            "storeCreditWithdrawalCancel",
            ("($id: ID!)", "(id: $id)"),
            {"id": global_id("StoreCreditWithdrawal", withdrawal.pk)},
        )
    )


def _process(action):
    def process(client, world, target, card):
        withdrawal = world["withdrawal"][target.pk]
        return _plain(
            _call(
                client,
                "storeCreditWithdrawalProcess",
                ("($id: ID!)", f"(id: $id, action: {action})"),
                {"id": global_id("StoreCreditWithdrawal", withdrawal.pk)},
            )
        )

    return process


def _adjust(amount, key):
    def adjust(client, world, target, card):
        status, data = _call(
            client,
            "storeCreditAdjust",
            ("($input: StoreCreditAdjustInput!)", "(input: $input)"),
            {
                "input": {
                    "user": global_id("User", target.pk),
                    "currency": "USD",
                    "amount": amount,
                    "idempotencyKey": key,
                }
            },
            result="approval { status }",
        )
        if status == "ok" and data["approval"]:
            return status, data["approval"]["status"].lower()
        return _plain((status, data))

    return adjust


def adjustment_approve(client, world, target, card):
    approval = world["approval"][target.pk]
    status, data = _call(
        client,
        "storeCreditAdjustmentApprove",
        ("($id: ID!)", "(id: $id)"),
        {"id": global_id("StoreCreditAdjustmentApproval", approval.pk)},
        result="approval { status }",
    )
    if status == "ok":
        return status, data["approval"]["status"].lower()
    return status, data


def _bulk(dry_run):
    def bulk(client, world, target, card):
        status, data = _call(
            client,
            "storeCreditBulkAdjust",
            ("($input: StoreCreditBulkAdjustInput!)", "(input: $input)"),
            {
                "input": {
                    "users": [global_id("User", target.pk)],
                    "currency": "USD",
                    "amount": "5.00",
                    "idempotencyKey": f"bulk-{dry_run}",
                    "dryRun": dry_run,
                }
            },
            result="count",
        )
        return status, (data["count"] if status == "ok" else data)

    return bulk


def account_update(client, world, target, card):
    account = ledger.get_account(target, "USD")
    return _plain(
        _call(
            client,
            "storeCreditAccountUpdate",
            ("($id: ID!)", "(id: $id, input: {status: ACTIVE})"),
            {"id": global_id("StoreCreditAccount", account.pk)},
        )
    )


def app_reward_5(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditAppReward",
            ("($input: StoreCreditAppRewardInput!)", "(input: $input)"),
            {
                "input": {
                    "user": global_id("User", target.pk),
                    "currency": "USD",
                    "amount": "5.00",
                    "idempotencyKey": "matrix-reward",
                }
            },
        )
    )


def app_reward_take_back(client, world, target, card):
    return _plain(
        _call(
            client,
            "storeCreditAppRewardReverse",
            ("($id: ID!)", '(id: $id, idempotencyKey: "matrix-take-back")'),
            {"id": global_id("StoreCreditTransaction", world["reward"].pk)},
        )
    )


def _app_rewarded(world):
    world["reward"] = app_rewards.reward(
        world["owner"],
        Decimal("5"),
        "USD",
        idempotency_key="matrix-given",
        actor=Actor.app(world["app"]),
    )


def _hold_both(world):
    for name in ("owner", "staff"):
        account = ledger.get_account(world[name], "USD")
        ledger.update_account(account, status=AccountStatus.ON_HOLD)


ROADS = {
    "withdrawal_request_5": withdrawal_request_5,
    "transfer_5": transfer_5,
    "redeem_gift_card": redeem_gift_card,
    "withdrawal_cancel": withdrawal_cancel,
    "withdrawal_approve": _process("APPROVE"),
    "withdrawal_reject": _process("REJECT"),
    "withdrawal_mark_paid": _process("MARK_PAID"),
    "redeem_gift_card_for_user": redeem_gift_card_for_user,
    "adjust_5": _adjust("5.00", "matrix-small"),
    "adjust_above_threshold": _adjust("100.00", "matrix-big"),
    "adjustment_approve": adjustment_approve,
    "bulk_adjust_dry_run": _bulk(True),
    "bulk_adjust": _bulk(False),
    "account_update": account_update,
    "app_reward_5": app_reward_5,
    "app_reward_take_back": app_reward_take_back,
}
PREPARE = {"account_update": _hold_both, "app_reward_take_back": _app_rewarded}

CASES = [
    pytest.param(road, caller, expected, id=f"{road}-{caller}")
    for road, by_caller in MATRIX.items()
    for caller, expected in by_caller.items()
]


def test_every_road_has_a_row_for_every_caller():
    assert set(MATRIX) == set(ROADS)
    assert all(set(by_caller) == set(CALLERS) for by_caller in MATRIX.values())


@pytest.mark.parametrize(("road", "caller", "expected"), CASES)
def test_caller_matrix(road, caller, expected, world, client_for, make_gift_card):
    card = make_gift_card("20")
    if road in PREPARE:
        PREPARE[road](world)
    client = client_for(caller)
    target = world["staff"] if caller == "staff_own" else world["owner"]
    before = state(world, card)

    result = ROADS[road](client, world, target, card)

    assert result == expected.result
    assert state(world, card) == expected_state(before, expected.changes)


# --- the matrix at a glance ------------------------------------------------------

SYMBOLS = {"NOT_FOUND": "nf", "OWN_ACCOUNT": "OWN", "PERMISSION_DENIED": "PD"}
COLUMNS = ("anon", "other", "owner", "staff", "own", "nostf", "app", "hp", "mu", "imp")


def summary() -> str:
    """MATRIX in one line per road: ok, - (PermissionDenied) or the error code."""

    def symbol(expected: Expected) -> str:
        status, data = expected.result
        if status == "error":
            return "/".join(SYMBOLS.get(code, code) for code in data)
        return {"ok": "ok", "denied": "-"}[status]

    width = max(map(len, MATRIX))
    lines = [" ".join([" " * width, *(f"{c:>5}" for c in COLUMNS)])]
    for road, by_caller in MATRIX.items():
        cells = (f"{symbol(by_caller[c]):>5}" for c in CALLERS)
        lines.append(" ".join([f"{road:<{width}}", *cells]))
    return "\n".join(line.rstrip() for line in lines)


def test_the_grid_is_the_matrix():
    assert summary() == GRID.strip("\n")
