"""Bad input for every argument is refused with a clear error and writes nothing."""

import pytest

from saleor_storecredit.ledger.verification import find_problems

from .conftest import global_id, ledger_state, outcome

ADJUST = """
mutation($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) { transaction { id } errors { field code } }
}
"""
BULK = """
mutation($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) { count errors { field code } }
}
"""
WITHDRAW = """
mutation($currency: String!, $amount: Decimal!, $note: String) {
  storeCreditWithdrawalRequest(currency: $currency, amount: $amount, note: $note) {
    withdrawal { id } errors { field code }
  }
}
"""
TRANSFER = """
mutation($email: String!, $currency: String!, $amount: Decimal!, $note: String) {
  storeCreditTransfer(email: $email, currency: $currency, amount: $amount, note: $note) {
    transaction { id } errors { field code }
  }
}
"""
PROCESS = """
mutation($id: ID!, $action: StoreCreditWithdrawalActionEnum!) {
  storeCreditWithdrawalProcess(id: $id, action: $action) {
    withdrawal { id } errors { field code }
  }
}
"""
CANCEL = """
mutation($id: ID!) {
  storeCreditWithdrawalCancel(id: $id) { withdrawal { id } errors { field code } }
}
"""
UPDATE = """
mutation($id: ID!, $input: StoreCreditAccountUpdateInput!) {
  storeCreditAccountUpdate(id: $id, input: $input) { account { id } errors { field code } }
}
"""
REDEEM = """
mutation($code: String!) {
  storeCreditRedeemGiftCard(code: $code) { transaction { id } errors { field code } }
}
"""
REDEEM_FOR = """
mutation($code: String!, $user: ID) {
  storeCreditRedeemGiftCard(code: $code, user: $user) {
    transaction { id } errors { field code }
  }
}
"""
# A well-formed key of the wrong form for integer-keyed types.
UUID = "00000000-0000-0000-0000-000000000000"


def _adjust_input(world, **overrides):
    values = {
        "user": global_id("User", world["customer"].pk),
        "currency": "USD",
        "amount": "5.00",
        "idempotencyKey": "bad-input",
    }
    values.update(overrides)
    return {"input": values}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"amount": "-500.00"}, ["INSUFFICIENT_FUNDS"]),
        ({"amount": "0"}, ["AMOUNT_NOT_POSITIVE"]),
        ({"amount": "0.001"}, ["TOO_MANY_DECIMAL_PLACES"]),
        ({"amount": "1e40"}, ["AMOUNT_TOO_LARGE"]),
        ({"amount": "9" * 400}, ["AMOUNT_TOO_LARGE"]),
        ({"amount": "-" + "9" * 400}, ["AMOUNT_TOO_LARGE"]),
        ({"currency": "XYZ"}, ["INVALID_CURRENCY"]),
        ({"currency": ""}, ["INVALID_CURRENCY"]),
        ({"currency": "JPY", "amount": "1.5"}, ["TOO_MANY_DECIMAL_PLACES"]),
        ({"user": "not-an-id"}, ["GRAPHQL_ERROR"]),
        (
            {"user": global_id("Order", "9d9a1a4b-6e5c-4e38-9a4e-2c3a1b0c9d8e")},
            ["GRAPHQL_ERROR"],
        ),
        ({"user": global_id("User", 999999)}, ["NOT_FOUND"]),
        ({"idempotencyKey": ""}, ["INVALID_IDEMPOTENCY_KEY"]),
        ({"idempotencyKey": "k" * 300}, ["INVALID_IDEMPOTENCY_KEY"]),
        ({"expiresAt": "2001-01-01T00:00:00+00:00"}, ["INVALID_EXPIRY"]),
        ({"note": "nul \x00 byte"}, ["INVALID"]),
        ({"customerNote": "nul \x00 byte"}, ["INVALID"]),
    ],
)
def test_adjust_refuses_bad_input(overrides, expected, world, caller):
    client = caller("staff")
    before = ledger_state()

    response = client.post_graphql(ADJUST, _adjust_input(world, **overrides))

    assert outcome(response, "storeCreditAdjust") == ("error", expected)
    assert ledger_state() == before
    assert find_problems() == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"amount": "NaN"}, 'Expected type "Decimal"'),
        ({"amount": "Infinity"}, 'Expected type "Decimal"'),
        ({"amount": "ten"}, 'Expected type "Decimal"'),
        ({"reason": "FREE_MONEY"}, 'Expected type "StoreCreditAdjustReasonEnum"'),
    ],
)
def test_adjust_refuses_values_the_schema_cannot_parse(
    variables, message, world, caller
):
    client = caller("staff")
    before = ledger_state()

    response = client.post_graphql(ADJUST, _adjust_input(world, **variables))

    status, messages = outcome(response, "storeCreditAdjust")
    assert status == "error"
    assert message in messages[0]
    assert ledger_state() == before


INLINE_AMOUNT = """
mutation {{
  storeCreditWithdrawalRequest(currency: "USD", amount: {amount}) {{
    withdrawal {{ id }} errors {{ field code }}
  }}
  storeCreditTransfer(email: "test2@example.com", currency: "USD", amount: {amount}) {{
    transaction {{ id }} errors {{ field code }}
  }}
}}
"""


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("9" * 400, "AMOUNT_TOO_LARGE"),
        ("9" * 400 + ".5", "AMOUNT_TOO_LARGE"),
        ("1" + "0" * 399 + "e2", "AMOUNT_TOO_LARGE"),
        ("-" + "9" * 400, "AMOUNT_NOT_POSITIVE"),
    ],
)
def test_amounts_of_400_digits_written_inline_are_refused(amount, code, world, caller):
    before = ledger_state()

    response = caller("customer").post_graphql(INLINE_AMOUNT.format(amount=amount))

    for field in ("storeCreditWithdrawalRequest", "storeCreditTransfer"):
        assert outcome(response, field) == ("error", [code])
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"users": ["bogus"]}, ["GRAPHQL_ERROR"]),
        ({"users": [global_id("Product", 1)]}, ["GRAPHQL_ERROR"]),
        ({"customerTypes": ["bogus"]}, ["GRAPHQL_ERROR"]),
        ({"amount": "0"}, ["AMOUNT_NOT_POSITIVE"]),
        ({"amount": "1.234"}, ["TOO_MANY_DECIMAL_PLACES"]),
        ({"amount": "9" * 400}, ["AMOUNT_TOO_LARGE"]),
        ({"currency": "usdollars"}, ["INVALID_CURRENCY"]),
        ({"idempotencyKey": "  "}, ["INVALID_IDEMPOTENCY_KEY"]),
        ({"expiresAt": "2001-01-01T00:00:00+00:00"}, ["INVALID_EXPIRY"]),
        ({"note": "\x00"}, ["INVALID"]),
    ],
)
def test_bulk_adjust_refuses_bad_input(overrides, expected, world, caller):
    client = caller("app")
    variables = {
        "input": {
            "users": [global_id("User", world["customer"].pk)],
            "currency": "USD",
            "amount": "5.00",
            "idempotencyKey": "bulk-bad-input",
            **overrides,
        }
    }
    before = ledger_state()

    response = client.post_graphql(BULK, variables)

    assert outcome(response, "storeCreditBulkAdjust") == ("error", expected)
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"currency": "USD", "amount": "-1"}, ["AMOUNT_NOT_POSITIVE"]),
        ({"currency": "USD", "amount": "0"}, ["AMOUNT_NOT_POSITIVE"]),
        ({"currency": "USD", "amount": "1.001"}, ["TOO_MANY_DECIMAL_PLACES"]),
        ({"currency": "USD", "amount": "0.5"}, ["BELOW_WITHDRAWAL_MINIMUM"]),
        ({"currency": "USD", "amount": "1000"}, ["INSUFFICIENT_FUNDS"]),
        ({"currency": "USD", "amount": "9" * 400}, ["AMOUNT_TOO_LARGE"]),
        ({"currency": "EUR", "amount": "5"}, ["INSUFFICIENT_FUNDS"]),
        ({"currency": "ABC", "amount": "5"}, ["INVALID_CURRENCY"]),
        ({"currency": "USD", "amount": "5", "note": "x" * 5000}, ["INVALID"]),
        ({"currency": "USD", "amount": "5", "note": "\x00"}, ["INVALID"]),
    ],
)
def test_withdrawal_request_refuses_bad_input(variables, expected, world, caller):
    before = ledger_state()

    response = caller("customer").post_graphql(WITHDRAW, variables)

    assert outcome(response, "storeCreditWithdrawalRequest") == ("error", expected)
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"email": "nobody@example.com"}, ["RECIPIENT_NOT_FOUND"]),
        ({"email": ""}, ["RECIPIENT_NOT_FOUND"]),
        ({"email": "test@example.com"}, ["SAME_ACCOUNT"]),
        ({"amount": "-3"}, ["AMOUNT_NOT_POSITIVE"]),
        ({"amount": "3.999"}, ["TOO_MANY_DECIMAL_PLACES"]),
        ({"amount": "90.01"}, ["INSUFFICIENT_FUNDS"]),
        ({"amount": "9" * 400}, ["AMOUNT_TOO_LARGE"]),
        ({"currency": "QQQ"}, ["INVALID_CURRENCY"]),
        ({"note": "\x00"}, ["INVALID"]),
    ],
)
def test_transfer_refuses_bad_input(variables, expected, world, caller):
    before = ledger_state()
    values = {"email": "test2@example.com", "currency": "USD", "amount": "3"}
    values.update(variables)

    response = caller("customer").post_graphql(TRANSFER, values)

    assert outcome(response, "storeCreditTransfer") == ("error", expected)
    assert ledger_state() == before


@pytest.mark.parametrize(
    "bad_id",
    [
        "garbage",
        global_id("User", 1),
        global_id("StoreCreditWithdrawal", 999999),
        global_id("StoreCreditWithdrawal", "abc"),
    ],
)
def test_withdrawal_ids_are_checked(bad_id, world, caller):
    before = ledger_state()

    process = caller("staff").post_graphql(PROCESS, {"id": bad_id, "action": "APPROVE"})
    cancel = caller("customer").post_graphql(CANCEL, {"id": bad_id})

    assert outcome(process, "storeCreditWithdrawalProcess")[0] == "error"
    assert outcome(cancel, "storeCreditWithdrawalCancel")[0] == "error"
    assert ledger_state() == before


def test_withdrawal_process_refuses_unknown_action(world, caller):
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    before = ledger_state()

    response = caller("staff").post_graphql(
        PROCESS, {"id": withdrawal_id, "action": "PAY_TWICE"}
    )

    status, messages = outcome(response, "storeCreditWithdrawalProcess")
    assert status == "error"
    assert 'Expected type "StoreCreditWithdrawalActionEnum"' in messages[0]
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("bad_id", "input_", "error"),
    [
        ("nope", {"status": "ON_HOLD"}, ["GRAPHQL_ERROR"]),
        (global_id("User", 1), {"status": "ON_HOLD"}, ["GRAPHQL_ERROR"]),
        (global_id("StoreCreditAccount", 999999), {"status": "ON_HOLD"}, ["NOT_FOUND"]),
        # A key of the wrong form for the type, and no ID at all.
        (global_id("StoreCreditAccount", UUID), {"status": "ON_HOLD"}, ["NOT_FOUND"]),
        ("", {"status": "ON_HOLD"}, ["NOT_FOUND"]),
    ],
)
def test_account_update_checks_ids(bad_id, input_, error, world, caller):
    response = caller("staff").post_graphql(UPDATE, {"id": bad_id, "input": input_})

    assert outcome(response, "storeCreditAccountUpdate") == ("error", error)
    world["account"].refresh_from_db()
    assert world["account"].status == "active"


def test_account_update_refuses_unknown_status(world, caller):
    account_id = global_id("StoreCreditAccount", world["account"].pk)

    response = caller("staff").post_graphql(
        UPDATE, {"id": account_id, "input": {"status": "FROZEN"}}
    )

    assert outcome(response, "storeCreditAccountUpdate")[0] == "error"
    world["account"].refresh_from_db()
    assert world["account"].status == "active"


@pytest.mark.parametrize(
    "user", ["", global_id("User", UUID), global_id("User", 10**30)]
)
def test_staff_redeem_and_adjust_refuse_ids_no_customer_can_have(user, world, caller):
    before = ledger_state()
    staff = caller("staff")

    redeemed = staff.post_graphql(REDEEM_FOR, {"code": "NOPE-NOPE", "user": user})
    adjusted = staff.post_graphql(
        ADJUST,
        {
            "input": {
                "user": user,
                "currency": "USD",
                "amount": "5.00",
                "idempotencyKey": "no-one",
            }
        },
    )

    assert outcome(redeemed, "storeCreditRedeemGiftCard")[0] == "error"
    assert outcome(adjusted, "storeCreditAdjust")[0] == "error"
    assert ledger_state() == before


@pytest.mark.parametrize("code", ["", " ", "x" * 500, "nul\x00code", "NOPE-NOPE"])
def test_redeem_refuses_unknown_codes(code, world, caller):
    before = ledger_state()

    response = caller("customer").post_graphql(REDEEM, {"code": code})

    assert outcome(response, "storeCreditRedeemGiftCard") == (
        "error",
        ["GIFT_CARD_NOT_FOUND"],
    )
    assert ledger_state() == before


LIST_QUERIES = [
    "storeCreditAccounts",
    "storeCreditTransactions",
    "storeCreditWithdrawals",
]


@pytest.mark.parametrize("field", LIST_QUERIES)
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 101", "exceeds the `first` limit"),
        ("last: 101", "exceeds the `last` limit"),
        ("first: 100000", "exceeds the maximum cost"),
        ("first: -5", "must be a non-negative integer"),
        ("first: 5, last: 5", "cannot be combined"),
        ('first: 5, after: "bm90IGEgY3Vyc29y"', "cursor is invalid"),
        ('first: 5, after: "%%%"', "cursor is invalid"),
    ],
)
def test_lists_refuse_absurd_pagination(field, arguments, message, world, caller):
    query = f"query {{ {field}({arguments}) {{ edges {{ node {{ id }} }} }} }}"

    response = caller("staff").post_graphql(query)

    status, messages = outcome(response, field)
    assert status == "error"
    assert message in messages[0]


@pytest.mark.parametrize(
    ("field", "filter_", "message"),
    [
        (
            "storeCreditAccounts",
            '{currencies: ["NOPE"]}',
            "not a currency store credit can hold",
        ),
        ("storeCreditAccounts", '{customerTypes: ["x"]}', "Invalid ID"),
        ("storeCreditAccounts", '{users: ["VXNlcjpmb28="]}', "Invalid ID"),
        ("storeCreditAccounts", "{status: FROZEN}", "StoreCreditAccountStatusEnum"),
        (
            "storeCreditTransactions",
            "{kinds: [GIFT]}",
            "StoreCreditTransactionKindEnum",
        ),
        ("storeCreditTransactions", '{order: "bad"}', "Invalid ID"),
        ("storeCreditTransactions", '{actor: "T3JkZXI6MQ=="}', "Expected: User or App"),
        (
            "storeCreditTransactions",
            '{currency: "EURO"}',
            "not a currency store credit can hold",
        ),
        (
            "storeCreditWithdrawals",
            "{status: [LOST]}",
            "StoreCreditWithdrawalStatusEnum",
        ),
        ("storeCreditWithdrawals", '{user: "x"}', "Invalid ID"),
        # Text the database cannot compare.
        ("storeCreditAccounts", '{search: "a\\u0000b"}', "NUL"),
        ("storeCreditAccounts", f'{{search: "{"x" * 300}"}}', "at most 256"),
        ("storeCreditTransactions", '{reasons: ["\\u0000"]}', "NUL"),
        (
            "storeCreditAccounts",
            f'{{users: ["{global_id("User", UUID)}"]}}',
            "Invalid ID",
        ),
    ],
)
def test_list_filters_refuse_bad_values(field, filter_, message, world, caller):
    query = f"query {{ {field}(first: 5, filter: {filter_}) {{ totalCount }} }}"

    response = caller("staff").post_graphql(query)

    status, messages = outcome(response, field)
    assert status == "error"
    assert message in messages[0]


@pytest.mark.parametrize(
    "arguments",
    [
        'currency: "XYZ"',
        'currency: "USD", user: "bad"',
        'id: "bad"',
        f'id: "{global_id("StoreCreditAccount", UUID)}"',
        f'id: "{global_id("StoreCreditAccount", 10**30)}"',
    ],
)
def test_account_lookup_refuses_bad_arguments(arguments, world, caller):
    query = f"query {{ storeCreditAccount({arguments}) {{ id }} }}"

    response = caller("staff").post_graphql(query)

    assert outcome(response, "storeCreditAccount")[0] == "error"


def test_report_refuses_bad_currency_and_period(world, caller):
    client = caller("staff")
    bad_currency = client.post_graphql(
        'query { storeCreditReport(currency: "??") { issued { amount } } }'
    )
    reversed_period = client.post_graphql(
        'query { storeCreditReport(currency: "USD", period: '
        '{gte: "2030-01-01T00:00:00+00:00", lte: "2020-01-01T00:00:00+00:00"}) '
        "{ issued { amount } } }"
    )

    assert outcome(bad_currency, "storeCreditReport")[0] == "error"
    status, messages = outcome(reversed_period, "storeCreditReport")
    assert status == "error"
    assert "must start before it ends" in messages[0]


def test_bulk_adjust_refuses_unknown_debit_mode(world, caller):
    variables = {
        "input": {
            "users": [global_id("User", world["customer"].pk)],
            "currency": "USD",
            "amount": "-5.00",
            "idempotencyKey": "bulk-mode",
            "debitMode": "OVERDRAW",
        }
    }
    before = ledger_state()

    status, messages = outcome(
        caller("staff").post_graphql(BULK, variables), "storeCreditBulkAdjust"
    )

    assert status == "error"
    assert "StoreCreditBulkDebitModeEnum" in messages[0]
    assert ledger_state() == before


def test_notes_with_nul_bytes_are_refused(world, caller):
    account_id = global_id("StoreCreditAccount", world["account"].pk)
    withdrawal_id = global_id("StoreCreditWithdrawal", world["withdrawal"].pk)
    before = ledger_state()

    update = caller("staff").post_graphql(
        UPDATE, {"id": account_id, "input": {"note": "a\x00b"}}
    )
    process = caller("staff").post_graphql(
        PROCESS.replace(
            "$action: StoreCreditWithdrawalActionEnum!)",
            "$action: StoreCreditWithdrawalActionEnum!, $note: String)",
        ).replace("action: $action)", "action: $action, note: $note)"),
        {"id": withdrawal_id, "action": "REJECT", "note": "a\x00b"},
    )

    assert outcome(update, "storeCreditAccountUpdate") == ("error", ["INVALID"])
    assert outcome(process, "storeCreditWithdrawalProcess") == ("error", ["INVALID"])
    assert ledger_state() == before


def test_account_sorting_refuses_unknown_field(world, caller):
    query = (
        "query { storeCreditAccounts(first: 5, sortBy: {field: SECRET, direction: ASC})"
        " { totalCount } }"
    )

    status, messages = outcome(
        caller("staff").post_graphql(query), "storeCreditAccounts"
    )

    assert status == "error"
    assert "StoreCreditAccountSortField" in messages[0]
