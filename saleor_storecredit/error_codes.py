from enum import Enum


class StoreCreditErrorCode(str, Enum):
    """One code list for the ledger, the gateway and GraphQL."""

    GRAPHQL_ERROR = "graphql_error"
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"

    INVALID_AMOUNT = "invalid_amount"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    TOO_MANY_DECIMAL_PLACES = "too_many_decimal_places"
    AMOUNT_TOO_LARGE = "amount_too_large"
    INVALID_CURRENCY = "invalid_currency"
    CURRENCY_MISMATCH = "currency_mismatch"

    INSUFFICIENT_FUNDS = "insufficient_funds"
    ACCOUNT_ON_HOLD = "account_on_hold"
    ACCOUNT_NOT_FOUND = "account_not_found"
    HOLD_NOT_FOUND = "hold_not_found"
    HOLD_NOT_ACTIVE = "hold_not_active"
    CAPTURE_EXCEEDS_HOLD = "capture_exceeds_hold"
    REFUND_EXCEEDS_CAPTURED = "refund_exceeds_captured"
    ENTRY_NOT_REVERSIBLE = "entry_not_reversible"
    SAME_ACCOUNT = "same_account"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_EXPIRY = "invalid_expiry"
    OWN_ACCOUNT = "own_account"
    # Credit is owed back to the shop (a refunded top-up): nothing leaves as
    # cash or for another person until it is settled.
    CREDIT_OWED = "credit_owed"
    # The shop's credit rules do not let this kind of credit be used so.
    NOT_ALLOWED_FOR_KIND = "not_allowed_for_kind"

    # Adjustments waiting for a second staff member (maker-checker)
    APPROVAL_NOT_FOUND = "approval_not_found"
    APPROVAL_NOT_PENDING = "approval_not_pending"
    APPROVAL_BY_REQUESTER = "approval_by_requester"

    # Bulk jobs
    BULK_JOB_NOT_FOUND = "bulk_job_not_found"
    BULK_JOB_FINISHED = "bulk_job_finished"

    # Gateway
    NOT_ELIGIBLE = "not_eligible"
    BELOW_MINIMUM = "below_minimum"
    PARTIAL_PAYMENT_NOT_ALLOWED = "partial_payment_not_allowed"
    CHECKOUT_LOCKED = "checkout_locked"
    GATEWAY_INACTIVE = "gateway_inactive"
    NOTHING_TO_PAY = "nothing_to_pay"
    NOT_PAYABLE_WITH_CREDIT = "not_payable_with_credit"

    # Customer operations
    GIFT_CARD_NOT_FOUND = "gift_card_not_found"
    GIFT_CARD_EXPIRED = "gift_card_expired"
    GIFT_CARD_EMPTY = "gift_card_empty"
    GIFT_CARD_NOT_USABLE = "gift_card_not_usable"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    WITHDRAWALS_DISABLED = "withdrawals_disabled"
    BELOW_WITHDRAWAL_MINIMUM = "below_withdrawal_minimum"
    WITHDRAWAL_NOT_PENDING = "withdrawal_not_pending"
    INVALID_WITHDRAWAL_ACTION = "invalid_withdrawal_action"
    TRANSFERS_DISABLED = "transfers_disabled"
    RECIPIENT_NOT_FOUND = "recipient_not_found"
