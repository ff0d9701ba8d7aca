"""The store-credit types: accounts, their lots and transactions, withdrawals."""

from dataclasses import dataclass

import graphene
from graphene import relay
from graphql.error import GraphQLError
from promise import Promise
from saleor.graphql.account.types import User
from saleor.graphql.app.types import App
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.connection import (
    CountableConnection,
    create_connection_slice,
    from_global_cursor,
    to_global_cursor,
)
from saleor.graphql.core.fields import ConnectionField
from saleor.graphql.core.scalars import UUID, DateTime
from saleor.graphql.core.types import (
    BaseObjectType,
    ModelObjectType,
    Money,
    NonNullList,
)
from saleor.graphql.order.types import Order

from .. import models, saleor_compat
from ..reports import Report
from .dataloaders import (
    ApprovalByEntryIdLoader,
    EntryCountByAccountIdLoader,
    EntryPage,
    EntryPagesByAccountIdLoader,
    OrderIdByPaymentReferenceLoader,
    StoreCreditAccountByIdLoader,
    UnspentLotsByAccountIdLoader,
)
from .enums import (
    StoreCreditAccountStatusEnum,
    StoreCreditAdjustmentApprovalStatusEnum,
    StoreCreditBulkDebitModeEnum,
    StoreCreditBulkJobStatusEnum,
    StoreCreditErrorCode,
    StoreCreditTransactionKindEnum,
    StoreCreditWithdrawalStatusEnum,
)
from .filters import StoreCreditTransactionFilterInput, filter_transactions
from .resolvers import entries_queryset
from .utils import DOC_CATEGORY_STORE_CREDIT, get_requestor, money

STAFF_ONLY = " Visible to staff and apps that manage store credit; null for customers."


def _is_manager(info) -> bool:
    return get_requestor(info).is_manager


class StoreCreditLot(BaseObjectType):
    kind = graphene.String(
        required=True,
        description=(
            "What kind of credit it is (what the shop's `credit_rules` let it "
            "do): store_credit, refund, return, gift_card, top_up, bonus, "
            "adjustment, cashback, app or transfer."
        ),
    )
    source = graphene.String(
        required=True,
        description=(
            "What created the credit: top_up, bonus, order_refund, gift_card, "
            "transfer, staff, bulk_job, import, app, system (unknown for credit "
            "older than the plugin's provenance records)."
        ),
    )
    source_id = graphene.String(
        description=(
            "Which one created it, as the database numbers it: the app (app), "
            "the staff member (staff), the order (top_up, bonus, order_refund), "
            "the gift card, the bulk job, the sending account (transfer), the "
            "import row's digest; null when there is none." + STAFF_ONLY
        )
    )
    original_amount = graphene.Field(
        Money, required=True, description="Credit the lot started with."
    )
    remaining_amount = graphene.Field(
        Money, required=True, description="Credit still unspent in this lot."
    )
    expires_at = DateTime(
        description="When what is left of the lot expires; null if it never does."
    )
    created_at = DateTime(required=True, description="When the credit was added.")

    class Meta:
        description = (
            "A parcel of credit with its own expiry. Payments spend the lots that "
            "expire soonest first."
        )
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_source_id(root: models.StoreCreditLot, info: ResolveInfo):
        return (root.source_id or None) if _is_manager(info) else None

    @staticmethod
    def resolve_original_amount(root: models.StoreCreditLot, _info):
        return money(root.original_amount, root.account.currency)

    @staticmethod
    def resolve_remaining_amount(root: models.StoreCreditLot, _info):
        return money(root.remaining_amount, root.account.currency)


class StoreCreditActor(BaseObjectType):
    type = graphene.String(
        required=True,
        description="Who moved the credit: staff, app, customer or system.",
    )
    user = graphene.Field(User, description="The staff member or customer, if any.")
    app = graphene.Field(App, description="The app, if an app moved the credit.")

    class Meta:
        description = "Who made a store-credit transaction."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_type(root: models.StoreCreditEntry, _info):
        return root.actor_type

    @staticmethod
    def resolve_user(root: models.StoreCreditEntry, info: ResolveInfo):
        if root.actor_user_id is None:
            return None
        return saleor_compat.load_user(info.context, root.actor_user_id)

    @staticmethod
    def resolve_app(root: models.StoreCreditEntry, info: ResolveInfo):
        if root.actor_app_id is None:
            return None
        return saleor_compat.load_app(info.context, root.actor_app_id)


class StoreCreditTransaction(ModelObjectType[models.StoreCreditEntry]):
    id = graphene.GlobalID(required=True, description="The ID of the transaction.")
    created_at = DateTime(required=True, description="When the transaction happened.")
    kind = StoreCreditTransactionKindEnum(
        required=True, description="What the transaction did to the balance."
    )
    reason = graphene.String(
        required=True,
        description=(
            "Why the credit moved, e.g. payment, refund, gift_card, withdrawal, "
            "transfer, expiry, bonus, top_up, adjustment, manual."
        ),
    )
    currency = graphene.String(required=True, description="Currency code.")
    amount = graphene.Field(
        Money,
        required=True,
        description="Change of the balance: positive adds credit, negative takes it.",
    )
    held_change = graphene.Field(
        Money,
        required=True,
        description="Change of the credit reserved by pending payments and withdrawals.",
    )
    balance_after = graphene.Field(
        Money, required=True, description="Balance right after this transaction."
    )
    customer_note = graphene.String(
        required=True, description="Note shown to the customer."
    )
    internal_note = graphene.String(description="Staff-only note." + STAFF_ONLY)
    actor = graphene.Field(
        StoreCreditActor, description="Who made the transaction." + STAFF_ONLY
    )
    account = graphene.Field(
        lambda: StoreCreditAccount,
        required=True,
        description="The account the transaction belongs to.",
    )
    order = graphene.Field(
        Order,
        description=(
            "The order the credit moved for. A checkout's payment is booked before "
            "its order exists; it shows the order Saleor created from it."
        ),
    )
    order_id = UUID(description="ID of the order the credit moved for, if any.")
    checkout_id = UUID(description="ID of the checkout the credit moved for, if any.")
    transaction_item_id = UUID(
        description="ID of the Saleor payment transaction the credit moved for."
    )
    approval = graphene.Field(
        lambda: StoreCreditAdjustmentApproval,
        description=(
            "For an adjustment that waited for a second staff member: the request, "
            "with who asked (`requestedBy`); `actor` is who approved it." + STAFF_ONLY
        ),
    )

    class Meta:
        description = "One movement of store credit. Transactions are never changed."
        interfaces = [relay.Node]
        model = models.StoreCreditEntry
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_currency(root: models.StoreCreditEntry, info: ResolveInfo):
        return _account(root, info).then(lambda account: account.currency)

    @staticmethod
    def resolve_amount(root: models.StoreCreditEntry, info: ResolveInfo):
        return _account(root, info).then(lambda a: money(root.amount, a.currency))

    @staticmethod
    def resolve_held_change(root: models.StoreCreditEntry, info: ResolveInfo):
        return _account(root, info).then(lambda a: money(root.held_change, a.currency))

    @staticmethod
    def resolve_balance_after(root: models.StoreCreditEntry, info: ResolveInfo):
        return _account(root, info).then(
            lambda a: money(root.balance_after, a.currency)
        )

    @staticmethod
    def resolve_internal_note(root: models.StoreCreditEntry, info: ResolveInfo):
        return root.internal_note if _is_manager(info) else None

    @staticmethod
    def resolve_actor(root: models.StoreCreditEntry, info: ResolveInfo):
        return root if _is_manager(info) else None

    @staticmethod
    def resolve_account(root: models.StoreCreditEntry, info: ResolveInfo):
        return _account(root, info)

    @staticmethod
    def resolve_order_id(root: models.StoreCreditEntry, info: ResolveInfo):
        if root.order_id is not None:
            return root.order_id
        reference = (root.payment_id, root.transaction_id, root.checkout_id)
        if reference == (None, None, None):
            return None
        # Booked before its order existed (a checkout's payment): the order Saleor
        # made of that payment, transaction item or checkout.
        return OrderIdByPaymentReferenceLoader(info.context).load(reference)

    @staticmethod
    def resolve_order(root: models.StoreCreditEntry, info: ResolveInfo):
        def load(order_id):
            # Saleor's Order type reads its wrapper (`root.node`), not a bare model.
            return (
                saleor_compat.load_order(info.context, order_id) if order_id else None
            )

        order_id = StoreCreditTransaction.resolve_order_id(root, info)
        return Promise.resolve(order_id).then(load)

    @staticmethod
    def resolve_transaction_item_id(root: models.StoreCreditEntry, _info):
        return root.transaction_id

    @staticmethod
    def resolve_approval(root: models.StoreCreditEntry, info: ResolveInfo):
        if not _is_manager(info):
            return None
        return ApprovalByEntryIdLoader(info.context).load(root.pk)


def _account(root, info):
    return StoreCreditAccountByIdLoader(info.context).load(root.account_id)


class StoreCreditTransactionCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        node = StoreCreditTransaction


class StoreCreditAccount(ModelObjectType[models.StoreCreditAccount]):
    id = graphene.GlobalID(required=True, description="The ID of the account.")
    user = graphene.Field(
        User,
        description=(
            "The customer who owns the credit; null once the customer is deleted."
        ),
    )
    email = graphene.String(
        required=True, description="Email of the customer when the account was opened."
    )
    currency = graphene.String(required=True, description="Currency code.")
    balance = graphene.Field(
        Money, required=True, description="All credit on the account, held included."
    )
    held = graphene.Field(
        Money,
        required=True,
        description="Credit reserved by pending payments and withdrawals.",
    )
    available = graphene.Field(
        Money, required=True, description="Credit the customer can spend now."
    )
    status = StoreCreditAccountStatusEnum(
        required=True, description="Whether the account may be spent from."
    )
    can_use = graphene.Boolean(
        description=(
            "Staff decision on whether the customer may pay with store credit; "
            "null leaves it to the shop's eligibility rules."
        )
    )
    note = graphene.String(description="Staff-only note on the account." + STAFF_ONLY)
    lots = graphene.List(
        graphene.NonNull(StoreCreditLot),
        required=True,
        description="Credit still unspent, soonest-expiring first.",
    )
    transactions = ConnectionField(
        StoreCreditTransactionCountableConnection,
        filter=StoreCreditTransactionFilterInput(
            description="Filtering options for the account's transactions."
        ),
        description="History of the account, newest first.",
    )
    created_at = DateTime(required=True, description="When the account was opened.")
    updated_at = DateTime(required=True, description="When the account last changed.")

    class Meta:
        description = "A customer's store credit in one currency."
        interfaces = [relay.Node]
        model = models.StoreCreditAccount
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_user(root: models.StoreCreditAccount, info: ResolveInfo):
        requestor = get_requestor(info)
        is_owner = requestor.user is not None and requestor.user.pk == root.user_id
        if root.user_id is None or not (requestor.is_manager or is_owner):
            return None
        return saleor_compat.load_user(info.context, root.user_id)

    @staticmethod
    def resolve_balance(root: models.StoreCreditAccount, _info):
        return money(root.balance, root.currency)

    @staticmethod
    def resolve_held(root: models.StoreCreditAccount, _info):
        return money(root.held, root.currency)

    @staticmethod
    def resolve_available(root: models.StoreCreditAccount, _info):
        return money(root.available, root.currency)

    @staticmethod
    def resolve_note(root: models.StoreCreditAccount, info: ResolveInfo):
        return root.note if _is_manager(info) else None

    @staticmethod
    def resolve_lots(root: models.StoreCreditAccount, info: ResolveInfo):
        return UnspentLotsByAccountIdLoader(info.context).load(root.pk)

    @staticmethod
    def resolve_transactions(
        root: models.StoreCreditAccount, info: ResolveInfo, **kwargs
    ):
        return account_history(root, info, kwargs)


def account_history(account: models.StoreCreditAccount, info: ResolveInfo, args):
    """One page of the account's history, loaded with the same page of every
    other account in the list (one query for the pages, one for the counts):
    the same entries, order, cursors and page info as storeCreditTransactions
    filtered to the account."""
    requestor = get_requestor(info)
    filter_ = args.get("filter")
    # Saleor's checks of first/last/after/before and the filter's own, on a
    # queryset that reads nothing.
    create_connection_slice(
        models.StoreCreditEntry.objects.none(),
        info,
        dict(args),
        StoreCreditTransactionCountableConnection,
    )
    filter_transactions(entries_queryset(info).none(), filter_, requestor)
    page = EntryPage(
        entries=lambda account_ids: filter_transactions(
            entries_queryset(info).filter(account_id__in=account_ids),
            filter_,
            requestor,
        ),
        first=args.get("first"),
        last=args.get("last"),
        after=_cursor_pk(args.get("after")),
        before=_cursor_pk(args.get("before")),
    )
    page_key = repr(sorted(args.items()))
    pages = EntryPagesByAccountIdLoader(info.context)
    pages.pages.setdefault(page_key, page)
    key = (account.pk, page_key)
    connection_type = StoreCreditTransactionCountableConnection

    def total_count():
        return EntryCountByAccountIdLoader(info.context).load(key)

    def build(rows):
        size = page.first or page.last
        if not size:
            return connection_type(
                edges=[],
                page_info=graphene.relay.PageInfo(
                    has_previous_page=False, has_next_page=False
                ),
                total_count=total_count,
            )
        more = len(rows) > size
        rows = rows[:size]
        if page.last:
            rows.reverse()
        edges = [
            connection_type.Edge(node=entry, cursor=to_global_cursor([entry.pk]))
            for entry in rows
        ]
        cursor_given = page.after is not None or page.before is not None
        return connection_type(
            edges=edges,
            page_info=graphene.relay.PageInfo(
                has_next_page=more if page.first else cursor_given,
                has_previous_page=cursor_given if page.first else more,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=total_count,
        )

    return pages.load(key).then(build)


def _cursor_pk(cursor: str | None) -> int | None:
    """The entry pk a cursor of the history names (as Saleor encodes it)."""
    if not cursor:
        return None
    try:
        (pk,) = from_global_cursor(cursor)
        return int(pk)
    except (TypeError, ValueError) as error:
        raise GraphQLError("Received cursor is invalid.") from error


class StoreCreditAccountCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        node = StoreCreditAccount


class StoreCreditWithdrawal(ModelObjectType[models.StoreCreditWithdrawal]):
    id = graphene.GlobalID(required=True, description="The ID of the withdrawal.")
    account = graphene.Field(
        StoreCreditAccount, required=True, description="The account paid out from."
    )
    amount = graphene.Field(
        Money, required=True, description="Amount to be paid out; held until settled."
    )
    status = StoreCreditWithdrawalStatusEnum(
        required=True, description="Where the request stands."
    )
    customer_note = graphene.String(
        required=True, description="The customer's note, e.g. where to pay."
    )
    staff_note = graphene.String(
        required=True, description="Staff's note, shown to the customer."
    )
    created_at = DateTime(required=True, description="When it was requested.")
    updated_at = DateTime(required=True, description="When it last changed.")
    processed_at = DateTime(description="When staff last acted on it.")

    class Meta:
        description = "A customer's request to be paid out store credit."
        interfaces = [relay.Node]
        model = models.StoreCreditWithdrawal
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_account(root: models.StoreCreditWithdrawal, info: ResolveInfo):
        return _account(root, info)

    @staticmethod
    def resolve_amount(root: models.StoreCreditWithdrawal, info: ResolveInfo):
        return _account(root, info).then(lambda a: money(root.amount, a.currency))


class StoreCreditWithdrawalCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        node = StoreCreditWithdrawal


class StoreCreditReportMovement(BaseObjectType):
    reason = graphene.String(required=True, description="Why the credit moved.")
    credited = graphene.Field(
        Money, required=True, description="Credit added for this reason."
    )
    debited = graphene.Field(
        Money, required=True, description="Credit taken for this reason."
    )
    net = graphene.Field(Money, required=True, description="Credited minus debited.")
    count = graphene.Int(required=True, description="Number of transactions.")

    class Meta:
        description = "Store credit moved for one reason within a report's period."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    # The root is a (ReasonMovement, currency) pair.
    @staticmethod
    def resolve_reason(root, _info):
        return root[0].reason

    @staticmethod
    def resolve_credited(root, _info):
        return money(root[0].credited, root[1])

    @staticmethod
    def resolve_debited(root, _info):
        return money(root[0].debited, root[1])

    @staticmethod
    def resolve_net(root, _info):
        return money(root[0].net, root[1])

    @staticmethod
    def resolve_count(root, _info):
        return root[0].count


class StoreCreditReport(BaseObjectType):
    currency = graphene.String(required=True, description="Currency code.")
    period_start = DateTime(description="Start of the period; null: since the start.")
    period_end = DateTime(required=True, description="End of the period.")
    movements = graphene.List(
        graphene.NonNull(StoreCreditReportMovement),
        required=True,
        description="Credit moved in the period, per reason.",
    )
    issued = graphene.Field(
        Money,
        required=True,
        description="Credit added to accounts, transfers between customers excluded.",
    )
    spent = graphene.Field(Money, required=True, description="Credit paid for orders.")
    refunded = graphene.Field(
        Money, required=True, description="Credit given back for refunded payments."
    )
    expired = graphene.Field(Money, required=True, description="Credit that expired.")
    withdrawn = graphene.Field(
        Money, required=True, description="Credit paid out to customers."
    )
    transferred = graphene.Field(
        Money, required=True, description="Credit moved from one customer to another."
    )
    topped_up = graphene.Field(Money, required=True, description="Credit bought.")
    bonus = graphene.Field(Money, required=True, description="Bonus credit given.")
    opening_liability = graphene.Field(
        Money, required=True, description="Credit outstanding when the period began."
    )
    closing_liability = graphene.Field(
        Money, required=True, description="Credit outstanding when the period ended."
    )
    accounts_with_balance = graphene.Int(
        required=True, description="Accounts holding credit now."
    )
    expiring_soon = graphene.Field(
        Money, required=True, description="Credit expiring in the next 30 days."
    )
    expiring_accounts = graphene.Int(
        required=True, description="Accounts with credit expiring in the next 30 days."
    )

    class Meta:
        description = (
            "Store-credit statistics for one currency: money movement per reason "
            "and the outstanding liability."
        )
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_period_start(root: Report, _info):
        return root.start

    @staticmethod
    def resolve_period_end(root: Report, _info):
        return root.end

    @staticmethod
    def resolve_movements(root: Report, _info):
        return [(movement, root.currency) for movement in root.movements]

    @staticmethod
    def resolve_issued(root: Report, _info):
        return money(root.issued, root.currency)

    @staticmethod
    def resolve_spent(root: Report, _info):
        return money(root.spent, root.currency)

    @staticmethod
    def resolve_refunded(root: Report, _info):
        return money(root.refunded, root.currency)

    @staticmethod
    def resolve_expired(root: Report, _info):
        return money(root.expired, root.currency)

    @staticmethod
    def resolve_withdrawn(root: Report, _info):
        return money(root.withdrawn, root.currency)

    @staticmethod
    def resolve_transferred(root: Report, _info):
        return money(root.transferred, root.currency)

    @staticmethod
    def resolve_topped_up(root: Report, _info):
        return money(root.topped_up, root.currency)

    @staticmethod
    def resolve_bonus(root: Report, _info):
        return money(root.bonus, root.currency)

    @staticmethod
    def resolve_opening_liability(root: Report, _info):
        return money(root.opening_liability, root.currency)

    @staticmethod
    def resolve_closing_liability(root: Report, _info):
        return money(root.closing_liability, root.currency)

    @staticmethod
    def resolve_expiring_soon(root: Report, _info):
        return money(root.expiring_soon, root.currency)


class CheckoutStoreCredit(BaseObjectType):
    eligible = graphene.Boolean(
        required=True,
        description=(
            "Whether the checkout's customer can pay with store credit here now "
            "(true as well when credit is already applied)."
        ),
    )
    reason = StoreCreditErrorCode(
        description=(
            "Why not, when not eligible: NOT_ELIGIBLE, GATEWAY_INACTIVE, "
            "ACCOUNT_ON_HOLD, BELOW_MINIMUM, NOTHING_TO_PAY, INSUFFICIENT_FUNDS or "
            "PARTIAL_PAYMENT_NOT_ALLOWED."
        )
    )
    message = graphene.String(
        description="The reason in words, for the customer; null when eligible."
    )
    available = graphene.Field(
        Money,
        description=(
            "The customer's credit in the checkout's currency that can still be "
            "applied (credit already applied not included). Null for anyone but "
            "the checkout's customer and staff who manage store credit."
        ),
    )
    applied = graphene.Field(
        Money,
        required=True,
        description="Store credit applied to (held for) or charged on this checkout.",
    )
    remaining_to_pay = graphene.Field(
        Money,
        required=True,
        description=(
            "What is left to pay after gift cards, store credit and every other "
            "payment (what `transactionInitialize` without amount asks for)."
        ),
    )

    class Meta:
        description = (
            "Store credit on a checkout: can it pay, what it pays, what is left."
        )
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_available(root, _info):
        return None if root.available is None else money(root.available, root.currency)

    @staticmethod
    def resolve_applied(root, _info):
        return money(root.applied, root.currency)

    @staticmethod
    def resolve_remaining_to_pay(root, _info):
        return money(root.remaining, root.currency)

    @staticmethod
    def resolve_reason(root, _info):
        return root.reason.value if root.reason is not None else None


class OrderStoreCredit(BaseObjectType):
    paid = graphene.Field(
        Money, required=True, description="Store credit that paid for the order."
    )
    refunded = graphene.Field(
        Money,
        required=True,
        description=(
            "Store credit given back for the order: refunds of the credit payment, "
            "credit returned at the configured order statuses and refunds to store "
            "credit of other payments."
        ),
    )
    refundable = graphene.Field(
        Money,
        required=True,
        description="Part of the store-credit payment that can still be refunded.",
    )

    class Meta:
        description = "Store credit of an order: paid with it, given back as it."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    # The root is a (OrderCredit, currency) pair.
    @staticmethod
    def resolve_paid(root, _info):
        return money(root[0].paid, root[1])

    @staticmethod
    def resolve_refunded(root, _info):
        return money(root[0].refunded, root[1])

    @staticmethod
    def resolve_refundable(root, _info):
        return money(root[0].refundable, root[1])


class StoreCreditBulkJobFailure(BaseObjectType):
    user = graphene.Field(User, description="The customer, if they still exist.")
    email = graphene.String(required=True, description="The customer's email.")
    message = graphene.String(required=True, description="Why it was refused.")

    class Meta:
        description = "A customer a bulk job could not credit or debit."
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_user(root: dict, info: ResolveInfo):
        return saleor_compat.load_user(info.context, root["user_id"])

    @staticmethod
    def resolve_email(root: dict, _info):
        return root["email"]

    @staticmethod
    def resolve_message(root: dict, _info):
        return root["message"]


@dataclass(frozen=True)
class _Decider:
    """The staff member who decided an approval or bulk job, as StoreCreditActor reads it."""

    actor_type: str
    actor_user_id: int | None
    actor_app_id: int | None = None


class StoreCreditBulkJob(ModelObjectType[models.StoreCreditBulkJob]):
    id = graphene.GlobalID(required=True, description="The ID of the bulk job.")
    status = StoreCreditBulkJobStatusEnum(
        required=True, description="Where the job stands."
    )
    currency = graphene.String(required=True, description="Currency code.")
    amount = graphene.Field(
        Money,
        required=True,
        description="Per customer: positive adds credit, negative deducts it.",
    )
    reason = graphene.String(required=True, description="Why the credit moves.")
    debit_mode = StoreCreditBulkDebitModeEnum(
        required=True,
        description="For deductions from accounts with less available credit.",
    )
    expires_at = DateTime(description="When the added credit expires.")
    customer_note = graphene.String(
        required=True, description="Note shown to the customers."
    )
    note = graphene.String(required=True, description="Staff-only note.")
    started_by = graphene.Field(
        StoreCreditActor, required=True, description="Who started the job."
    )
    approved_by = graphene.Field(
        StoreCreditActor,
        description="The second staff member who approved a job above the "
        "approval threshold; the actor of every transaction it makes.",
    )
    approved_at = DateTime(description="When it was approved.")
    rejected_by = graphene.Field(
        StoreCreditActor,
        description="The staff member who rejected it (status REJECTED).",
    )
    decision_note = graphene.String(
        required=True, description="Note of whoever approved or rejected it."
    )
    total = graphene.Int(
        required=True, description="Customers matched when the job started."
    )
    done = graphene.Int(required=True, description="Customers done so far.")
    credited_count = graphene.Int(required=True, description="Accounts credited.")
    debited_count = graphene.Int(required=True, description="Accounts debited.")
    skipped_count = graphene.Int(
        required=True, description="Accounts left as they were (nothing to take)."
    )
    failed_count = graphene.Int(
        required=True, description="Customers the ledger refused; the others went on."
    )
    total_amount = graphene.Field(
        Money, required=True, description="Sum of the changes made so far."
    )
    failures = NonNullList(
        StoreCreditBulkJobFailure,
        required=True,
        description="The first 100 customers refused, with the reason.",
    )
    created_at = DateTime(required=True, description="When the job was started.")
    started_at = DateTime(description="When a worker first took it up.")
    updated_at = DateTime(required=True, description="When it last made progress.")
    finished_at = DateTime(
        description="When it completed, was canceled, rejected or failed."
    )
    canceled_at = DateTime(description="When staff canceled it.")

    class Meta:
        description = (
            "Credit or debit of a group of customers, run in the background: "
            "each customer is adjusted once, whatever happens to the worker. A "
            "job above the approval threshold waits (AWAITING_APPROVAL) until "
            "another staff member approves it."
        )
        interfaces = [relay.Node]
        model = models.StoreCreditBulkJob
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_amount(root: models.StoreCreditBulkJob, _info):
        return money(root.amount, root.currency)

    @staticmethod
    def resolve_total_amount(root: models.StoreCreditBulkJob, _info):
        return money(root.total_amount, root.currency)

    @staticmethod
    def resolve_note(root: models.StoreCreditBulkJob, _info):
        return root.internal_note

    @staticmethod
    def resolve_started_by(root: models.StoreCreditBulkJob, _info):
        return root

    @staticmethod
    def resolve_approved_by(root: models.StoreCreditBulkJob, _info):
        if root.approved_by_user_id is None:
            return None
        return _Decider(models.ActorType.STAFF, root.approved_by_user_id)

    @staticmethod
    def resolve_rejected_by(root: models.StoreCreditBulkJob, _info):
        if root.rejected_by_user_id is None:
            return None
        return _Decider(models.ActorType.STAFF, root.rejected_by_user_id)

    @staticmethod
    def resolve_failures(root: models.StoreCreditBulkJob, _info):
        return root.failures


class StoreCreditBulkJobCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        node = StoreCreditBulkJob


class StoreCreditAdjustmentApproval(
    ModelObjectType[models.StoreCreditAdjustmentApproval]
):
    id = graphene.GlobalID(required=True, description="The ID of the approval.")
    status = StoreCreditAdjustmentApprovalStatusEnum(
        required=True, description="Where the request stands."
    )
    user = graphene.Field(User, description="The customer; null once deleted.")
    currency = graphene.String(required=True, description="Currency code.")
    amount = graphene.Field(
        Money,
        required=True,
        description="Asked change: positive adds credit, negative deducts it.",
    )
    reason = graphene.String(required=True, description="Why the credit moves.")
    kind = graphene.String(required=True, description="Kind of the credit added.")
    expires_at = DateTime(description="When the added credit expires, if a date.")
    expires_after_days = graphene.Int(
        description="Days after the approval at which the added credit expires."
    )
    note = graphene.String(required=True, description="Staff-only note.")
    customer_note = graphene.String(
        required=True, description="Note shown to the customer."
    )
    requested_by = graphene.Field(
        StoreCreditActor, required=True, description="Who asked (the maker)."
    )
    decided_by = graphene.Field(
        StoreCreditActor,
        description="Who approved or rejected it (the checker); the maker when "
        "they canceled it.",
    )
    decision_note = graphene.String(
        required=True, description="Note of whoever decided."
    )
    transaction = graphene.Field(
        StoreCreditTransaction,
        description="The adjustment made when it was approved.",
    )
    created_at = DateTime(required=True, description="When it was asked for.")
    decided_at = DateTime(description="When it was approved, rejected or canceled.")

    class Meta:
        description = (
            "A staff adjustment above the shop's approval threshold: no credit "
            "moves until another staff member approves it."
        )
        interfaces = [relay.Node]
        model = models.StoreCreditAdjustmentApproval
        doc_category = DOC_CATEGORY_STORE_CREDIT

    @staticmethod
    def resolve_user(root: models.StoreCreditAdjustmentApproval, info: ResolveInfo):
        if root.user_id is None:
            return None
        return saleor_compat.load_user(info.context, root.user_id)

    @staticmethod
    def resolve_amount(root: models.StoreCreditAdjustmentApproval, _info):
        return money(root.amount, root.currency)

    @staticmethod
    def resolve_kind(root: models.StoreCreditAdjustmentApproval, _info):
        return root.lot_kind

    @staticmethod
    def resolve_note(root: models.StoreCreditAdjustmentApproval, _info):
        return root.internal_note

    @staticmethod
    def resolve_requested_by(root: models.StoreCreditAdjustmentApproval, _info):
        return root

    @staticmethod
    def resolve_decided_by(root: models.StoreCreditAdjustmentApproval, _info):
        if root.decided_at is None:
            return None
        if root.decided_by_user_id is None:  # an app canceled its own request
            return root
        return _Decider(models.ActorType.STAFF, root.decided_by_user_id)

    @staticmethod
    def resolve_transaction(root: models.StoreCreditAdjustmentApproval, _info):
        return root.entry


class StoreCreditAdjustmentApprovalCountableConnection(CountableConnection):
    class Meta:
        doc_category = DOC_CATEGORY_STORE_CREDIT
        node = StoreCreditAdjustmentApproval
