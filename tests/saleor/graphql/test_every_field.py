"""Every field of every type the plugin adds to Saleor's schema, queried with
data behind it, as a customer and as staff.

The list of fields comes from the schema itself (what the plugin's schema has
that Saleor's own has not), so a new field is queried here without anyone
writing it down. A field returning one of Saleor's types selects that type's
fields from SALEOR_TYPE_FIELDS: a Saleor type the plugin starts to return must
be added there (the test says so).
"""

from datetime import timedelta
from decimal import Decimal

import graphene
import pytest
from django.utils import timezone
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from saleor.checkout.models import Checkout
from saleor.graphql.api import schema
from saleor.graphql.tests.fixtures import ApiClient
from saleor.graphql.tests.utils import get_graphql_content_from_response
from saleor.order.models import Order
from saleor.permission.models import Permission

from saleor_storecredit import approvals, bulk_job_approvals, bulk_jobs, ledger
from saleor_storecredit.actors import Actor
from saleor_storecredit.config import parse_settings
from saleor_storecredit.ledger import keys
from saleor_storecredit.ledger.validation import ExpiresAfter
from saleor_storecredit.models import (
    LotKind,
    StoreCreditAdjustmentApproval,
    StoreCreditEntry,
    StoreCreditWithdrawal,
)
from saleor_storecredit.withdrawals import request_withdrawal

from ..gateway.utils import checkout_total, pay_rest_by_app
from ..plugin_config import PLUGINS, WITHDRAWABLE_STAFF_CREDIT, configure
from .conftest import global_id

# What is selected of Saleor's own types when a plugin field returns one.
SALEOR_TYPE_FIELDS = {
    "User": "id email",
    "App": "id name",
    "Order": "id number status",
    "Checkout": "id token",
    "Money": "amount currency",
    "PageInfo": "hasNextPage hasPreviousPage startCursor endCursor",
}
# Arguments given to every field that takes them.
LIST_ARGUMENTS = {"first": "20"}
# Root fields only staff may call.
STAFF_ONLY_ROOTS = {"storeCreditReport"}
# Fields that may be null in this data set, and why.
MAY_BE_NULL = {
    # Eligible customers have no reason to be refused.
    ("CheckoutStoreCredit", "reason"),
    ("CheckoutStoreCredit", "message"),
}


def named_type(graphql_type):
    while isinstance(graphql_type, (GraphQLList, GraphQLNonNull)):
        graphql_type = graphql_type.of_type
    return graphql_type


def is_leaf(graphql_type) -> bool:
    return isinstance(named_type(graphql_type), (GraphQLScalarType, GraphQLEnumType))


def plugin_fields() -> set[tuple[str, str]]:
    """(type, field) of every field the plugin adds: all fields of its own object
    types and the fields it adds to Saleor's types (Query, Mutation, User, ...)."""
    original = schema.storecredit_original.get_type_map()
    pairs = set()
    for name, graphql_type in schema.get_type_map().items():
        if not isinstance(graphql_type, GraphQLObjectType) or name.startswith("__"):
            continue
        base = original.get(name)
        for field in graphql_type.fields:
            if base is None or field not in base.fields:
                pairs.add((name, field))
    return pairs


PLUGIN_FIELDS = plugin_fields()
PLUGIN_TYPES = {type_name for type_name, _ in PLUGIN_FIELDS} - {
    "Query",
    "Mutation",
    "User",
    "Checkout",
    "Order",
}


def field_arguments(field, given: dict) -> str:
    values = {**{k: v for k, v in LIST_ARGUMENTS.items() if k in field.args}, **given}
    if not values:
        return ""
    return "(" + ", ".join(f"{name}: {value}" for name, value in values.items()) + ")"


def selection(graphql_type, visited, path=()) -> str:
    """Every field of a plugin type, recursing into plugin types not yet on the
    path; Saleor's types get SALEOR_TYPE_FIELDS."""
    name = graphql_type.name
    if name not in PLUGIN_TYPES:
        assert name in SALEOR_TYPE_FIELDS, (
            f"A store-credit field returns Saleor's {name}: add what to select of it "
            "to SALEOR_TYPE_FIELDS."
        )
        return SALEOR_TYPE_FIELDS[name]
    parts = []
    for field_name, field in graphql_type.fields.items():
        target = named_type(field.type)
        arguments = field_arguments(field, {})
        if is_leaf(field.type):
            parts.append(field_name + arguments)
        elif target.name not in path + (name,):
            inner = selection(target, visited, path + (name,))
            parts.append(f"{field_name}{arguments} {{ {inner} }}")
        else:
            continue
        visited.add((name, field_name))
    return " ".join(parts)


def root_query(root_field: str, arguments: str, visited) -> str:
    field = schema.get_query_type().fields[root_field]
    visited.add(("Query", root_field))
    inner = selection(named_type(field.type), visited)
    return f"{root_field}{arguments} {{ {inner} }}"


def saleor_root(root_field, arguments, type_name, visited) -> str:
    """A Saleor root field (me, user, checkout, order) selecting the fields the
    plugin added to its type."""
    graphql_type = schema.get_type(type_name)
    parts = []
    for pair in sorted(PLUGIN_FIELDS):
        if pair[0] != type_name:
            continue
        field = graphql_type.fields[pair[1]]
        inner = selection(named_type(field.type), visited)
        parts.append(f"{pair[1]} {{ {inner} }}")
        visited.add(pair)
    return f"{root_field}{arguments} {{ id {' '.join(parts)} }}"


def mutation_document(root_field: str, variables: dict, visited) -> str:
    field = schema.get_mutation_type().fields[root_field]
    declared = ", ".join(
        f"${name}: {field.args[name].type}" for name in variables if name in field.args
    )
    passed = ", ".join(f"{name}: ${name}" for name in variables if name in field.args)
    visited.add(("Mutation", root_field))
    inner = selection(named_type(field.type), visited)
    return (
        f"mutation Run{'(' + declared + ')' if declared else ''} "
        f"{{ {root_field}{'(' + passed + ')' if passed else ''} {{ {inner} }} }}"
    )


def non_null_fields(graphql_type, data, found):
    """Record (type, field) of every non-null value in a response."""
    if isinstance(data, list):
        for item in data:
            non_null_fields(graphql_type, item, found)
        return
    if not isinstance(data, dict) or not isinstance(graphql_type, GraphQLObjectType):
        return
    for key, value in data.items():
        if key not in graphql_type.fields or value is None:
            continue
        found.add((graphql_type.name, key))
        non_null_fields(named_type(graphql_type.fields[key].type), value, found)


def post(client, document, variables=None):
    content = get_graphql_content_from_response(
        client.post_graphql(document, variables or {})
    )
    assert "errors" not in content, (document, content.get("errors"))
    return content["data"]


@pytest.fixture
def shop(
    settings,
    customer_user,
    user_api_client,
    staff_api_client,
    app_api_client,
    checkout_ready_to_complete,
    permission_manage_payments,
    permission_group_manage_users,
    gift_card,
    customer_type,
    django_user_model,
):
    """A customer with credit of every origin: staff, app, a paid and refunded
    order, a checkout with credit applied, a processed withdrawal."""
    settings.PLUGINS = PLUGINS
    configure(
        allow_withdrawals="true",
        credit_rules=WITHDRAWABLE_STAFF_CREDIT,
        allow_transfers="true",
        withdrawal_minimum="1",
        expiry_days="store_credit:365",
        approval_threshold="USD:500",
    )
    staff = staff_api_client.user
    permission_group_manage_users.permissions.add(
        Permission.objects.get(codename="manage_orders"), permission_manage_payments
    )
    permission_group_manage_users.user_set.add(staff)
    app = app_api_client.app
    customer_user.customer_type = customer_type
    customer_user.save(update_fields=["customer_type"])

    ledger.credit(
        customer_user,
        Decimal("80.00"),
        "USD",
        idempotency_key="from-app",
        expires_at=timezone.now() + timedelta(days=30),
        actor=Actor.app(app),
    )
    ledger.adjust(
        customer_user,
        Decimal("20.00"),
        "USD",
        idempotency_key="from-staff",
        internal_note="Goodwill",
        customer_note="Sorry!",
        actor=Actor.staff(staff),
    )
    # An order paid partly with credit, the rest by an app; 2.00 refunded.
    checkout = checkout_ready_to_complete
    checkout.user = customer_user
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    total = checkout_total(checkout)
    variant = checkout.lines.first().variant
    post(
        user_api_client,
        "mutation($id: ID!) { storeCreditCheckoutApply(id: $id, amount: 5) "
        "{ errors { code } } }",
        {"id": global_id("Checkout", checkout.pk)},
    )
    pay_rest_by_app(app_api_client, permission_manage_payments, checkout, total - 5)
    post(
        user_api_client,
        "mutation($id: ID!) { checkoutComplete(id: $id) { errors { code } } }",
        {"id": global_id("Checkout", checkout.pk)},
    )
    order = Order.objects.get(checkout_token=checkout.pk)
    item = order.payment_transactions.get(app_identifier="storecredit.gateway")
    post(
        staff_api_client,
        "mutation($id: ID!) { transactionRequestAction(id: $id, actionType: REFUND, "
        "amount: 2) { errors { code } } }",
        {"id": global_id("TransactionItem", item.token)},
    )
    # A second checkout with credit applied.
    created = post(
        user_api_client,
        "mutation($variant: ID!) { checkoutCreate(input: { channel: "
        f'"{checkout.channel.slug}", lines: [{{ quantity: 1, variantId: $variant }}] }})'
        " { checkout { id } errors { code } } }",
        {"variant": global_id("ProductVariant", variant.pk)},
    )
    open_checkout = Checkout.objects.get(
        pk=graphene.Node.from_global_id(created["checkoutCreate"]["checkout"]["id"])[1]
    )
    post(
        user_api_client,
        "mutation($id: ID!) { storeCreditCheckoutApply(id: $id, amount: 3) "
        "{ errors { code } } }",
        {"id": global_id("Checkout", open_checkout.pk)},
    )
    withdrawal = request_withdrawal(
        customer_user, "USD", Decimal("4"), note="IBAN", idempotency_key="w-1"
    )
    post(
        staff_api_client,
        "mutation($id: ID!) { storeCreditWithdrawalProcess(id: $id, action: APPROVE, "
        'note: "Paying") { errors { code } } }',
        {"id": global_id("StoreCreditWithdrawal", withdrawal.pk)},
    )
    account = ledger.get_account(customer_user, "USD")
    post(
        staff_api_client,
        "mutation($id: ID!) { storeCreditAccountUpdate(id: $id, input: "
        '{ canUse: true, note: "VIP" }) { errors { code } } }',
        {"id": global_id("StoreCreditAccount", account.pk)},
    )
    # A bulk job that ran (with one customer refused) and one still waiting.
    ledger.credit(
        customer_user,
        Decimal("1.00"),
        "USD",
        idempotency_key=keys.bulk(
            Actor.staff(staff), "every-field-job", customer_user.pk
        ),
    )
    # Above the threshold, approved by a second staff member, then run.
    checker = django_user_model.objects.create(
        email="checker@example.com", is_staff=True
    )
    checker.user_permissions.add(Permission.objects.get(codename="manage_users"))
    low_threshold = parse_settings([{"name": "approval_threshold", "value": "USD:2"}])
    ran, _ = bulk_jobs.start_job(
        bulk_jobs.Selection.of(user_ids=[customer_user.pk, staff.pk]),
        bulk_jobs.validate_request(
            "3.00", "USD", actor=Actor.staff(staff),
            expires_at=timezone.now() + timedelta(days=60),
            customer_note="Spring", internal_note="VIP spring",
        ),
        "every-field-job",
        settings=low_threshold,
    )  # fmt: skip
    bulk_job_approvals.approve(ran, actor=Actor.staff(checker), note="Checked")
    bulk_jobs.run_job(ran.pk)
    waiting, _ = bulk_jobs.start_job(
        bulk_jobs.Selection.of(customer_type_ids=[customer_type.pk]),
        bulk_jobs.validate_request("1.00", "USD", actor=Actor.app(app)),
        "every-field-waiting",
    )
    # Bulk jobs waiting for approval: one rejected here, two decided below.
    big_jobs = {}
    for key in ("rejected", "to-approve", "to-reject"):
        big_jobs[key], _ = bulk_jobs.start_job(
            bulk_jobs.Selection.of(user_ids=[customer_user.pk]),
            bulk_jobs.validate_request("5.00", "USD", actor=Actor.staff(staff)),
            f"every-field-big-{key}",
            settings=low_threshold,
        )
    bulk_job_approvals.reject(
        big_jobs["rejected"], actor=Actor.staff(checker), note="Not now"
    )
    # Adjustments above the threshold: one approved by a second staff member,
    # two waiting (to approve and to reject below).
    for amount, key, expires_at in (
        ("600", "every-field-approved", timezone.now() + timedelta(days=40)),
        ("700", "every-field-pending", ExpiresAfter(30)),
        ("-80", "every-field-reject", None),
    ):
        approvals.adjust(
            customer_user,
            amount,
            "USD",
            idempotency_key=key,
            kind=LotKind.BONUS,
            expires_at=expires_at,
            customer_note="Welcome back",
            internal_note="Ticket 7",
            actor=Actor.staff(staff),
            settings=parse_settings(
                [{"name": "approval_threshold", "value": "USD:50"}]
            ),
        )
    approved = StoreCreditAdjustmentApproval.objects.get(
        idempotency_key="staff:every-field-approved"
    )
    approvals.approve(approved, actor=Actor.staff(checker), note="Checked")
    return {
        "pending_approval": StoreCreditAdjustmentApproval.objects.get(
            idempotency_key="staff:every-field-pending"
        ),
        "rejected_approval": StoreCreditAdjustmentApproval.objects.get(
            idempotency_key="staff:every-field-reject"
        ),
        "bulk_job": ran,
        "waiting_bulk_job": waiting,
        "bulk_job_to_approve": big_jobs["to-approve"],
        "bulk_job_to_reject": big_jobs["to-reject"],
        "customer": customer_user,
        "order": order,
        "checkout": open_checkout,
        "withdrawal": withdrawal,
        "account": account,
        "gift_card": gift_card,
        "customer_type": customer_type,
        "clients": {
            "customer": user_api_client,
            "staff": staff_api_client,
            "checker": ApiClient(user=checker),
            "app": app_api_client,  # HANDLE_PAYMENTS (it paid the order)
        },
    }


def queries(shop, role, visited) -> str:
    customer_id = global_id("User", shop["customer"].pk)
    parts = [
        root_query(
            "storeCreditAccount",
            f'(currency: "USD"{", user: " + repr_id(customer_id) if role == "staff" else ""})',
            visited,
        ),
        root_query("storeCreditAccounts", "(first: 20)", visited),
        root_query("storeCreditTransactions", "(first: 50)", visited),
        root_query("storeCreditWithdrawals", "(first: 20)", visited),
        saleor_root("me", "", "User", visited),
        saleor_root(
            "checkout", f"(id: {repr_id(global_id('Checkout', shop['checkout'].pk))})",
            "Checkout", visited,
        ),
        saleor_root(
            "order", f"(id: {repr_id(global_id('Order', shop['order'].pk))})",
            "Order", visited,
        ),
    ]  # fmt: skip
    if role == "staff":
        since = (timezone.now() - timedelta(days=1)).isoformat()
        parts += [
            root_query(
                "storeCreditReport",
                f'(currency: "USD", period: {{ gte: "{since}" }})',
                visited,
            ),
            saleor_root("user", f"(id: {repr_id(customer_id)})", "User", visited),
            root_query(
                "storeCreditBulkJob",
                f"(id: {repr_id(global_id('StoreCreditBulkJob', shop['bulk_job'].pk))})",
                visited,
            ),
            root_query("storeCreditBulkJobs", "(first: 20)", visited),
            root_query(
                "storeCreditAdjustmentApprovals",
                "(first: 20, filter: { status: [APPROVED, PENDING] })",
                visited,
            ),
        ]
    return "query Everything { " + " ".join(parts) + " }"


def repr_id(value: str) -> str:
    return f'"{value}"'


def mutations(shop):
    """(caller, root field, variables) of every plugin mutation, with real data."""
    customer_id = global_id("User", shop["customer"].pk)
    return [
        ("staff", "storeCreditAdjust", {"input": {
            "user": customer_id, "currency": "USD", "amount": "7.00",
            "reason": "MANUAL", "kind": "BONUS", "note": "n", "customerNote": "c",
            "expiresAt": (timezone.now() + timedelta(days=9)).isoformat(),
            "idempotencyKey": "every-field-adjust"}}),
        ("staff", "storeCreditBulkAdjust", {"input": {
            "users": [customer_id], "currency": "USD", "amount": "1.00",
            "reason": "BONUS", "idempotencyKey": "every-field-bulk", "dryRun": True}}),
        ("staff", "storeCreditBulkAdjust", {"input": {
            "users": [customer_id], "currency": "USD", "amount": "1.00",
            "reason": "BONUS", "idempotencyKey": "every-field-bulk"}}),
        ("staff", "storeCreditAccountUpdate", {
            "id": global_id("StoreCreditAccount", shop["account"].pk),
            "input": {"status": "ACTIVE", "note": "checked"}}),
        ("staff", "storeCreditRedeemGiftCard", {
            "code": shop["gift_card"].code, "user": customer_id}),
        ("customer", "storeCreditTransfer", {
            "email": "someone-else@example.com", "currency": "USD", "amount": "1.00",
            "idempotencyKey": "every-field-transfer"}),
        ("customer", "storeCreditWithdrawalRequest", {
            "currency": "USD", "amount": "2.00", "note": "IBAN",
            "idempotencyKey": "every-field-withdrawal"}),
        ("customer", "storeCreditWithdrawalCancel", lambda: {
            "id": global_id("StoreCreditWithdrawal", StoreCreditWithdrawal.objects.latest("pk").pk)}),
        ("staff", "storeCreditWithdrawalProcess", {
            "id": global_id("StoreCreditWithdrawal", shop["withdrawal"].pk),
            "action": "MARK_PAID", "note": "Paid"}),
        ("customer", "storeCreditCheckoutApply", {
            "id": global_id("Checkout", shop["checkout"].pk), "amount": "4.00"}),
        ("customer", "storeCreditCheckoutRemove", {
            "id": global_id("Checkout", shop["checkout"].pk)}),
        ("staff", "storeCreditBulkJobCancel", {
            "id": global_id("StoreCreditBulkJob", shop["waiting_bulk_job"].pk)}),
        ("staff", "storeCreditAdjust", {"input": {
            "user": customer_id, "currency": "USD", "amount": "900.00",
            "idempotencyKey": "every-field-big"}}),
        ("checker", "storeCreditAdjustmentApprove", {
            "id": global_id("StoreCreditAdjustmentApproval", shop["pending_approval"].pk),
            "note": "ok"}),
        ("checker", "storeCreditBulkJobApprove", {
            "id": global_id("StoreCreditBulkJob", shop["bulk_job_to_approve"].pk),
            "note": "ok"}),
        ("checker", "storeCreditBulkJobReject", {
            "id": global_id("StoreCreditBulkJob", shop["bulk_job_to_reject"].pk),
            "note": "no"}),
        ("checker", "storeCreditAdjustmentReject", {
            "id": global_id("StoreCreditAdjustmentApproval", shop["rejected_approval"].pk),
            "note": "no"}),
        ("app", "storeCreditAppReward", {"input": {
            "email": shop["customer"].email, "currency": "USD", "amount": "6.00",
            "kind": "CASHBACK", "customerNote": "Referral",
            "expiresAt": (timezone.now() + timedelta(days=9)).isoformat(),
            "idempotencyKey": "every-field-reward"}}),
        ("app", "storeCreditAppRewardReverse", lambda: {
            "id": global_id("StoreCreditTransaction", StoreCreditEntry.objects.get(
                reason="app_reward", kind="credit").pk),
            "idempotencyKey": "every-field-take-back", "customerNote": "Returned"}),
        # A refusal, so that the error type's fields carry data too.
        ("staff", "storeCreditAdjust", {"input": {
            "user": customer_id, "currency": "XXX1", "amount": "1",
            "idempotencyKey": "every-field-refused"}}),
    ]  # fmt: skip


def test_every_plugin_field_answers_with_data(shop, django_user_model):
    django_user_model.objects.create(email="someone-else@example.com")
    visited: set = set()
    found: set = set()
    clients = shop["clients"]

    # Customers: their own credit, staff-only fields null, no error anywhere.
    customer_data = post(clients["customer"], queries(shop, "customer", visited))
    assert set(customer_data) >= {"storeCreditAccounts", "me", "checkout", "order"}
    assert not STAFF_ONLY_ROOTS & set(customer_data)

    staff_data = post(clients["staff"], queries(shop, "staff", visited))
    non_null_fields(schema.get_query_type(), staff_data, found)

    for role, root_field, variables in mutations(shop):
        variables = variables() if callable(variables) else variables
        data = post(
            clients[role], mutation_document(root_field, variables, visited), variables
        )
        non_null_fields(schema.get_mutation_type(), data, found)

    assert PLUGIN_FIELDS - visited == set(), "fields never queried"
    assert sorted(PLUGIN_FIELDS - found - MAY_BE_NULL) == [], "fields never with data"


def test_customer_sees_own_credit_and_no_staff_fields(shop):
    data = post(shop["clients"]["customer"], queries(shop, "customer", set()))
    accounts = data["me"]["storeCredit"]
    assert [account["currency"] for account in accounts] == ["USD"]
    assert accounts[0]["note"] is None
    for edge in data["storeCreditTransactions"]["edges"]:
        assert edge["node"]["internalNote"] is None
        assert edge["node"]["actor"] is None
    assert data["order"]["storeCredit"]["paid"]["amount"] == 5
    assert data["order"]["storeCredit"]["refunded"]["amount"] == 2
    assert data["order"]["storeCredit"]["refundable"]["amount"] == 3
    checkout_credit = data["checkout"]["storeCredit"]
    assert checkout_credit["eligible"] is True
    assert checkout_credit["applied"]["amount"] == 3
    # The history's order is Saleor's Order, resolved as Saleor resolves it.
    orders = [
        edge["node"]["order"]
        for edge in data["storeCreditTransactions"]["edges"]
        if edge["node"]["order"]
    ]
    assert orders and orders[0]["number"] == str(shop["order"].number)
