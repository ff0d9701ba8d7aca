"""Query cost entries for the store-credit fields.

Saleor's GraphQL view validates every query against `COST_MAP` (imported by
name, so the same dict is extended in place). Connections cost `first`/`last`
times their children, like Saleor's own lists.
"""

from .. import saleor_compat

PAGINATED = {"complexity": 1, "multipliers": ["first", "last"]}

STORE_CREDIT_COSTS = {
    "Query": {
        "storeCreditAccount": {"complexity": 1},
        "storeCreditAccounts": PAGINATED,
        "storeCreditTransactions": PAGINATED,
        "storeCreditWithdrawals": PAGINATED,
        "storeCreditReport": {"complexity": 1},
        "storeCreditBulkJob": {"complexity": 1},
        "storeCreditBulkJobs": PAGINATED,
        "storeCreditAdjustmentApprovals": PAGINATED,
    },
    "StoreCreditAdjustmentApproval": {
        "user": {"complexity": 1},
        "requestedBy": {"complexity": 1},
        "decidedBy": {"complexity": 1},
        "transaction": {"complexity": 1},
    },
    "StoreCreditBulkJob": {
        "startedBy": {"complexity": 1},
        "approvedBy": {"complexity": 1},
        "rejectedBy": {"complexity": 1},
        "failures": {"complexity": 1},
    },
    "StoreCreditBulkJobFailure": {
        "user": {"complexity": 1},
    },
    "StoreCreditAccount": {
        "user": {"complexity": 1},
        "lots": {"complexity": 1},
        "transactions": PAGINATED,
    },
    "StoreCreditTransaction": {
        "account": {"complexity": 1},
        "actor": {"complexity": 1},
        "order": {"complexity": 1},
        "approval": {"complexity": 1},
    },
    "StoreCreditActor": {
        "user": {"complexity": 1},
        "app": {"complexity": 1},
    },
    "StoreCreditWithdrawal": {
        "account": {"complexity": 1},
    },
    "User": {"storeCredit": {"complexity": 1}},
    "Checkout": {"storeCredit": {"complexity": 1}},
    "Order": {"storeCredit": {"complexity": 1}},
}


def register_query_costs():
    saleor_compat.register_query_costs(STORE_CREDIT_COSTS)
