// Every operation the pages send. All exist in the plugin's schema
// (saleor_storecredit/graphql/schema.graphql) or in Saleor's, except the
// `user` argument of storeCreditRedeemGiftCard (staff redeeming for a
// customer), which comes with the `native` branch.

const ACCOUNT_FIELDS = `
  id currency status canUse note
  balance { amount } available { amount } held { amount }
  lots { kind remainingAmount { amount } expiresAt }
`;

const TRANSACTION_FIELDS = `
  id createdAt kind reason currency
  amount { amount } heldChange { amount } balanceAfter { amount }
  customerNote internalNote orderId
  actor { type user { email } app { name } }
`;

export const CUSTOMER_CREDIT = `
query StoreCreditCustomer($user: ID!) {
  storeCreditAccounts(first: 20, filter: { users: [$user] }) {
    edges { node { ${ACCOUNT_FIELDS} } }
  }
  storeCreditTransactions(first: 10, filter: { user: $user }) {
    edges { node { ${TRANSACTION_FIELDS} } }
  }
}`;

export const CURRENCIES = `
query StoreCreditCurrencies { shop { channelCurrencies } }`;

export const ADJUST = `
mutation StoreCreditDashboardAdjust($input: StoreCreditAdjustInput!) {
  storeCreditAdjust(input: $input) {
    transaction { id amount { amount currency } balanceAfter { amount } }
    account { id balance { amount } available { amount } }
    approval { id status amount { amount currency } }
    errors { field code message }
  }
}`;

export const REDEEM_FOR_CUSTOMER = `
mutation StoreCreditDashboardRedeem($code: String!, $user: ID!) {
  storeCreditRedeemGiftCard(code: $code, user: $user) {
    transaction { amount { amount currency } balanceAfter { amount } }
    errors { field code message }
  }
}`;

export const ACCOUNT_UPDATE = `
mutation StoreCreditDashboardAccountUpdate($id: ID!, $input: StoreCreditAccountUpdateInput!) {
  storeCreditAccountUpdate(id: $id, input: $input) {
    account { ${ACCOUNT_FIELDS} }
    errors { field code message }
  }
}`;

export const ORDER_CREDIT = `
query StoreCreditOrder($order: ID!) {
  order(id: $order) {
    id number
    user { id email }
    total { gross { amount currency } }
    transactions { id name pspReference chargedAmount { amount currency } refundedAmount { amount } }
  }
  storeCreditTransactions(first: 100, filter: { order: $order }) {
    edges { node { id createdAt kind reason amount { amount currency } } }
  }
}`;

export const REFUND_TRANSACTION = `
mutation StoreCreditDashboardRefund($id: ID!, $amount: PositiveDecimal!, $reason: ID) {
  transactionRequestAction(id: $id, actionType: REFUND, amount: $amount, refundReasonReference: $reason) {
    transaction { id chargedAmount { amount } refundedAmount { amount } }
    errors { field code message }
  }
}`;

// Shops that set a refund reason type (Saleor 3.22+) require staff to name a
// reason (a Page of that type) for every transaction refund.
export const REFUND_REASONS = `
query StoreCreditDashboardRefundReasons {
  refundSettings { reasonReferenceType { id name } }
}`;

export const REFUND_REASON_PAGES = `
query StoreCreditDashboardRefundReasonPages($type: ID!) {
  pages(first: 100, filter: { pageTypes: [$type] }) { edges { node { id title } } }
}`;

export const ACCOUNTS = `
query StoreCreditAccounts($filter: StoreCreditAccountFilterInput, $sortBy: StoreCreditAccountSortingInput, $after: String) {
  storeCreditAccounts(first: 50, filter: $filter, sortBy: $sortBy, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id email currency status canUse user { id } balance { amount } available { amount } held { amount } } }
  }
}`;

export const WITHDRAWALS = `
query StoreCreditWithdrawals {
  storeCreditWithdrawals(first: 50, filter: { status: [PENDING, APPROVED] }) {
    edges { node { id status createdAt customerNote staffNote amount { amount currency } account { email user { id } } } }
  }
}`;

export const PROCESS_WITHDRAWAL = `
mutation StoreCreditDashboardProcess($id: ID!, $action: StoreCreditWithdrawalActionEnum!, $note: String) {
  storeCreditWithdrawalProcess(id: $id, action: $action, note: $note) {
    withdrawal { id status }
    errors { field code message }
  }
}`;

const APPROVAL_FIELDS = `
  id status createdAt reason note customerNote
  amount { amount currency }
  user { id email }
  requestedBy { type user { email } app { name } }
`;

export const APPROVALS = `
query StoreCreditApprovals {
  storeCreditAdjustmentApprovals(first: 50, filter: { status: [PENDING] }) {
    edges { node { ${APPROVAL_FIELDS} } }
  }
}`;

export const APPROVE_ADJUSTMENT = `
mutation StoreCreditDashboardApprove($id: ID!, $note: String) {
  storeCreditAdjustmentApprove(id: $id, note: $note) {
    approval { id status }
    transaction { amount { amount currency } balanceAfter { amount } }
    errors { field code message }
  }
}`;

export const REJECT_ADJUSTMENT = `
mutation StoreCreditDashboardReject($id: ID!, $note: String) {
  storeCreditAdjustmentReject(id: $id, note: $note) {
    approval { id status }
    errors { field code message }
  }
}`;

export const CUSTOMER_TYPES = `
query StoreCreditCustomerTypes {
  customerTypes(first: 100) { edges { node { id name } } }
  shop { channelCurrencies }
}`;

const BULK_JOB_FIELDS = `
  id status currency amount { amount } reason total done
  creditedCount debitedCount skippedCount failedCount
  totalAmount { amount currency }
  failures { email message }
  startedBy { type user { email } app { name } }
  approvedBy { type user { email } } rejectedBy { type user { email } } decisionNote
  createdAt finishedAt canceledAt
`;

export const BULK_ADJUST = `
mutation StoreCreditDashboardBulk($input: StoreCreditBulkAdjustInput!) {
  storeCreditBulkAdjust(input: $input) {
    dryRun count changedCount skippedCount totalAmount { amount currency } needsApproval
    results { email status amount { amount } }
    job { ${BULK_JOB_FIELDS} }
    errors { field code message }
  }
}`;

export const BULK_JOBS = `
query StoreCreditDashboardBulkJobs {
  storeCreditBulkJobs(first: 10) { edges { node { ${BULK_JOB_FIELDS} } } }
}`;

export const BULK_JOB = `
query StoreCreditDashboardBulkJob($id: ID!) {
  storeCreditBulkJob(id: $id) { ${BULK_JOB_FIELDS} }
}`;

export const BULK_JOB_CANCEL = `
mutation StoreCreditDashboardBulkJobCancel($id: ID!) {
  storeCreditBulkJobCancel(id: $id) {
    job { ${BULK_JOB_FIELDS} }
    errors { field code message }
  }
}`;

export const BULK_JOB_APPROVE = `
mutation StoreCreditDashboardBulkJobApprove($id: ID!, $note: String) {
  storeCreditBulkJobApprove(id: $id, note: $note) {
    job { ${BULK_JOB_FIELDS} }
    errors { field code message }
  }
}`;

export const BULK_JOB_REJECT = `
mutation StoreCreditDashboardBulkJobReject($id: ID!, $note: String) {
  storeCreditBulkJobReject(id: $id, note: $note) {
    job { ${BULK_JOB_FIELDS} }
    errors { field code message }
  }
}`;

export function reportQuery(monthEnds) {
  const liability = monthEnds
    .map(
      (end, index) =>
        `m${index}: storeCreditReport(currency: $currency, period: { lte: "${end}" }) { closingLiability { amount } }`,
    )
    .join("\n  ");
  return `
query StoreCreditDashboardReport($currency: String!, $period: DateTimeRangeInput) {
  report: storeCreditReport(currency: $currency, period: $period) {
    openingLiability { amount } closingLiability { amount }
    issued { amount } spent { amount } refunded { amount } expired { amount }
    withdrawn { amount } transferred { amount } toppedUp { amount } bonus { amount }
    accountsWithBalance expiringSoon { amount } expiringAccounts
    movements { reason credited { amount } debited { amount } net { amount } count }
  }
  expiring: storeCreditAccounts(first: 20, filter: { hasExpiringCredit: true, currencies: [$currency] }) {
    edges { node { id email lots { remainingAmount { amount } expiresAt } } }
  }
  ${liability}
}`;
}

export const HISTORY_PAGE = `
query StoreCreditHistory($filter: StoreCreditTransactionFilterInput, $after: String) {
  storeCreditTransactions(first: 100, filter: $filter, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${TRANSACTION_FIELDS} account { email } } }
  }
}`;

export const ADJUST_REASONS = [
  "MANUAL",
  "ADJUSTMENT",
  "BONUS",
  "TOP_UP",
  "REFUND",
  "ORDER_CANCELLATION",
  "ORDER_RETURN",
  "IMPORT",
];
