import graphene
from saleor.graphql.account.types import User
from saleor.graphql.checkout.types import Checkout
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.connection import create_connection_slice
from saleor.graphql.core.fields import ConnectionField, PermissionsField
from saleor.graphql.core.types import DateTimeRangeInput
from saleor.graphql.order.types import Order

from .. import saleor_compat
from .filters import (
    StoreCreditAccountFilterInput,
    StoreCreditAdjustmentApprovalFilterInput,
    StoreCreditBulkJobFilterInput,
    StoreCreditTransactionFilterInput,
    StoreCreditWithdrawalFilterInput,
    filter_accounts,
    filter_approvals,
    filter_bulk_jobs,
    filter_transactions,
    filter_withdrawals,
)
from .mutations import (
    StoreCreditAccountUpdate,
    StoreCreditAdjust,
    StoreCreditAdjustmentApprove,
    StoreCreditAdjustmentReject,
    StoreCreditAppReward,
    StoreCreditAppRewardReverse,
    StoreCreditBulkAdjust,
    StoreCreditBulkJobApprove,
    StoreCreditBulkJobCancel,
    StoreCreditBulkJobReject,
    StoreCreditRedeemGiftCard,
    StoreCreditTransfer,
    StoreCreditWithdrawalCancel,
    StoreCreditWithdrawalProcess,
    StoreCreditWithdrawalRequest,
)
from .resolvers import (
    accounts_queryset,
    approvals_queryset,
    bulk_jobs_queryset,
    entries_queryset,
    resolve_account,
    resolve_bulk_job,
    resolve_checkout_store_credit,
    resolve_order_store_credit,
    resolve_report,
    resolve_user_store_credit,
    withdrawals_queryset,
)
from .sorters import StoreCreditAccountSortingInput
from .types import (
    CheckoutStoreCredit,
    OrderStoreCredit,
    StoreCreditAccount,
    StoreCreditAccountCountableConnection,
    StoreCreditAdjustmentApprovalCountableConnection,
    StoreCreditBulkJob,
    StoreCreditBulkJobCountableConnection,
    StoreCreditReport,
    StoreCreditTransactionCountableConnection,
    StoreCreditWithdrawalCountableConnection,
)
from .utils import (
    CUSTOMER_DESCRIPTION,
    CUSTOMER_OR_MANAGER_PERMISSIONS,
    DOC_CATEGORY_STORE_CREDIT,
    MANAGER_DESCRIPTION,
    MANAGER_PERMISSIONS,
    get_requestor,
)


class StoreCreditQueries(graphene.ObjectType):
    store_credit_account = PermissionsField(
        StoreCreditAccount,
        id=graphene.Argument(graphene.ID, description="ID of the account."),
        currency=graphene.Argument(
            graphene.String, description="Currency of the account."
        ),
        user=graphene.Argument(
            graphene.ID,
            description="ID of the customer (User); staff and apps only. "
            "Customers get their own account.",
        ),
        description=(
            "Look up a store-credit account by ID, or by currency (and customer). "
            "Null when the customer has no credit in that currency."
            + CUSTOMER_DESCRIPTION
        ),
        permissions=CUSTOMER_OR_MANAGER_PERMISSIONS,
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )
    store_credit_accounts = ConnectionField(
        StoreCreditAccountCountableConnection,
        filter=StoreCreditAccountFilterInput(description="Filtering options."),
        sort_by=StoreCreditAccountSortingInput(description="Sort accounts."),
        description="Store-credit accounts, one per customer and currency."
        + CUSTOMER_DESCRIPTION,
        permissions=CUSTOMER_OR_MANAGER_PERMISSIONS,
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )
    store_credit_transactions = ConnectionField(
        StoreCreditTransactionCountableConnection,
        filter=StoreCreditTransactionFilterInput(description="Filtering options."),
        description="Store-credit history, newest first." + CUSTOMER_DESCRIPTION,
        permissions=CUSTOMER_OR_MANAGER_PERMISSIONS,
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )
    store_credit_withdrawals = ConnectionField(
        StoreCreditWithdrawalCountableConnection,
        filter=StoreCreditWithdrawalFilterInput(description="Filtering options."),
        description="Withdrawal requests, newest first." + CUSTOMER_DESCRIPTION,
        permissions=CUSTOMER_OR_MANAGER_PERMISSIONS,
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )
    store_credit_report = PermissionsField(
        StoreCreditReport,
        currency=graphene.Argument(
            graphene.String, required=True, description="Currency of the report."
        ),
        period=graphene.Argument(
            DateTimeRangeInput,
            description="Period of the report (both ends included); "
            "without `gte` since the first transaction, without `lte` until now.",
        ),
        description="Store-credit statistics: money movement per reason, "
        "outstanding liability, credit expiring soon." + MANAGER_DESCRIPTION,
        permissions=list(MANAGER_PERMISSIONS),
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )

    store_credit_bulk_job = PermissionsField(
        StoreCreditBulkJob,
        id=graphene.Argument(
            graphene.ID, required=True, description="ID of the bulk job."
        ),
        description="A bulk credit or debit and its progress." + MANAGER_DESCRIPTION,
        permissions=list(MANAGER_PERMISSIONS),
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )
    store_credit_bulk_jobs = ConnectionField(
        StoreCreditBulkJobCountableConnection,
        filter=StoreCreditBulkJobFilterInput(description="Filtering options."),
        description="Bulk credits and debits, newest first." + MANAGER_DESCRIPTION,
        permissions=list(MANAGER_PERMISSIONS),
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )

    store_credit_adjustment_approvals = ConnectionField(
        StoreCreditAdjustmentApprovalCountableConnection,
        filter=StoreCreditAdjustmentApprovalFilterInput(
            description="Filtering options."
        ),
        description="Adjustments above the approval threshold, newest first: "
        "the pending ones wait for a second staff member." + MANAGER_DESCRIPTION,
        permissions=list(MANAGER_PERMISSIONS),
        auto_permission_message=False,
        doc_category=DOC_CATEGORY_STORE_CREDIT,
    )

    @staticmethod
    def resolve_store_credit_adjustment_approvals(_root, info: ResolveInfo, /, **kw):
        qs = filter_approvals(
            approvals_queryset(info).select_related("entry"), kw.get("filter")
        )
        return create_connection_slice(
            qs, info, kw, StoreCreditAdjustmentApprovalCountableConnection
        )

    @staticmethod
    def resolve_store_credit_bulk_job(_root, info: ResolveInfo, /, *, id):
        return resolve_bulk_job(info, id)

    @staticmethod
    def resolve_store_credit_bulk_jobs(_root, info: ResolveInfo, /, **kwargs):
        qs = filter_bulk_jobs(bulk_jobs_queryset(info), kwargs.get("filter"))
        return create_connection_slice(
            qs, info, kwargs, StoreCreditBulkJobCountableConnection
        )

    @staticmethod
    def resolve_store_credit_account(_root, info: ResolveInfo, /, **kwargs):
        return resolve_account(info, **kwargs)

    @staticmethod
    def resolve_store_credit_accounts(_root, info: ResolveInfo, /, **kwargs):
        qs = filter_accounts(
            accounts_queryset(info), kwargs.get("filter"), get_requestor(info)
        )
        return create_connection_slice(
            qs, info, kwargs, StoreCreditAccountCountableConnection
        )

    @staticmethod
    def resolve_store_credit_transactions(_root, info: ResolveInfo, /, **kwargs):
        qs = filter_transactions(
            entries_queryset(info), kwargs.get("filter"), get_requestor(info)
        )
        return create_connection_slice(
            qs, info, kwargs, StoreCreditTransactionCountableConnection
        )

    @staticmethod
    def resolve_store_credit_withdrawals(_root, info: ResolveInfo, /, **kwargs):
        qs = filter_withdrawals(
            withdrawals_queryset(info), kwargs.get("filter"), get_requestor(info)
        )
        return create_connection_slice(
            qs, info, kwargs, StoreCreditWithdrawalCountableConnection
        )

    @staticmethod
    def resolve_store_credit_report(_root, info: ResolveInfo, /, *, currency, **kw):
        return resolve_report(info, currency, kw.get("period"))


class StoreCreditMutations(graphene.ObjectType):
    store_credit_adjust = StoreCreditAdjust.Field()
    store_credit_adjustment_approve = StoreCreditAdjustmentApprove.Field()
    store_credit_adjustment_reject = StoreCreditAdjustmentReject.Field()
    store_credit_app_reward = StoreCreditAppReward.Field()
    store_credit_app_reward_reverse = StoreCreditAppRewardReverse.Field()
    store_credit_bulk_adjust = StoreCreditBulkAdjust.Field()
    store_credit_bulk_job_cancel = StoreCreditBulkJobCancel.Field()
    store_credit_bulk_job_approve = StoreCreditBulkJobApprove.Field()
    store_credit_bulk_job_reject = StoreCreditBulkJobReject.Field()
    store_credit_account_update = StoreCreditAccountUpdate.Field()
    store_credit_redeem_gift_card = StoreCreditRedeemGiftCard.Field()
    store_credit_transfer = StoreCreditTransfer.Field()
    store_credit_withdrawal_request = StoreCreditWithdrawalRequest.Field()
    store_credit_withdrawal_cancel = StoreCreditWithdrawalCancel.Field()
    store_credit_withdrawal_process = StoreCreditWithdrawalProcess.Field()


def extend_saleor_types():
    """`storeCredit` on Saleor's own User, Checkout and Order, as Saleor puts
    gift cards on them."""
    saleor_compat.add_fields(
        User,
        store_credit=graphene.Field(
            graphene.List(graphene.NonNull(StoreCreditAccount)),
            description=(
                "The customer's store credit, one account per currency."
                + CUSTOMER_DESCRIPTION
            ),
            resolver=resolve_user_store_credit,
        ),
    )
    saleor_compat.add_fields(
        Checkout,
        store_credit=graphene.Field(
            CheckoutStoreCredit,
            required=True,
            description=(
                "Store credit on this checkout: whether its customer can pay with "
                "it, what is applied, what is left to pay."
            ),
            resolver=resolve_checkout_store_credit,
        ),
    )
    saleor_compat.add_fields(
        Order,
        store_credit=graphene.Field(
            OrderStoreCredit,
            description=(
                "Store credit that paid for the order and that was given back for "
                "it. For the order's customer, staff with MANAGE_ORDERS, and staff "
                "and apps who manage store credit."
            ),
            resolver=resolve_order_store_credit,
        ),
    )
