"""Customers asking to be paid out their credit, and staff settling the requests.

The amount is authorized (held) when the request is made, so it cannot be spent
while staff decide; paying captures the hold, rejecting or cancelling releases
it. Each step locks the account, then the withdrawal (lock_objects.py order),
and its ledger call has a key derived from the withdrawal, so retries are safe.
"""

from django.db import transaction
from django.utils import timezone

from . import ledger, notifications
from .actors import Actor
from .config import get_settings
from .error_codes import StoreCreditErrorCode
from .exceptions import StoreCreditError
from .ledger import keys
from .ledger.rules import WITHDRAW
from .ledger.validation import require_not_own_account, validate_text
from .ledger.writer import require_no_debt, require_payable
from .lock_objects import account_qs_select_for_update, withdrawal_qs_select_for_update
from .models import Reason, StoreCreditWithdrawal, WithdrawalStatus
from .money import validate_amount, validate_currency

APPROVE = "approve"
REJECT = "reject"
MARK_PAID = "mark_paid"

# action -> (statuses it may start from, status it leads to)
_TRANSITIONS = {
    APPROVE: ({WithdrawalStatus.PENDING}, WithdrawalStatus.APPROVED),
    REJECT: (
        {WithdrawalStatus.PENDING, WithdrawalStatus.APPROVED},
        WithdrawalStatus.REJECTED,
    ),
    MARK_PAID: (
        {WithdrawalStatus.PENDING, WithdrawalStatus.APPROVED},
        WithdrawalStatus.PAID,
    ),
}


def validate_note(note, field: str = "note") -> str:
    """Notes share the ledger's one limit for stored text."""
    return validate_text(note, field).strip()


def request_withdrawal(
    user, currency, amount, *, note: str | None, idempotency_key: str
) -> StoreCreditWithdrawal:
    """Hold `amount` of the customer's withdrawable credit (the kinds the
    shop's rules let be paid out) and record the request."""
    settings = get_settings()
    if not settings.allow_withdrawals:
        raise StoreCreditError(
            "Withdrawals are not available in this shop.",
            code=StoreCreditErrorCode.WITHDRAWALS_DISABLED,
        )
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    note = validate_note(note)
    minimum = settings.withdrawal_minimum.for_currency(currency)
    if minimum and amount < minimum:
        raise StoreCreditError(
            f"The smallest withdrawal is {minimum} {currency}.",
            code=StoreCreditErrorCode.BELOW_WITHDRAWAL_MINIMUM,
            field="amount",
        )
    with transaction.atomic():
        hold = ledger.authorize(
            user,
            amount,
            currency,
            idempotency_key=keys.withdrawal_request(
                Actor.customer(user), idempotency_key
            ),
            reason=Reason.WITHDRAWAL,
            customer_note=note,
            actor=Actor.customer(user),
            spend_from=settings.spend_for(WITHDRAW),
            use=WITHDRAW,
        )
        withdrawal = StoreCreditWithdrawal.objects.filter(hold=hold).first()
        if withdrawal is None:
            # Under the account's lock: a refusal rolls the hold back.
            require_payable(hold.account)
            require_no_debt(hold.account)
            withdrawal = StoreCreditWithdrawal.objects.create(
                account_id=hold.account_id,
                hold=hold,
                amount=hold.amount,
                customer_note=note,
            )
            ledger.record_withdrawal(withdrawal, Actor.customer(user))
            _notify(withdrawal, requested=True)
    return withdrawal


def cancel_withdrawal(user, withdrawal_id: int) -> StoreCreditWithdrawal:
    """The customer takes back a request staff have not acted on yet."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal is None or withdrawal.account.user_id != user.pk:
            raise StoreCreditError(
                "Withdrawal not found.", code=StoreCreditErrorCode.NOT_FOUND, field="id"
            )
        if withdrawal.status == WithdrawalStatus.CANCELED:
            return withdrawal
        if withdrawal.status != WithdrawalStatus.PENDING:
            raise StoreCreditError(
                "Only a pending withdrawal can be cancelled.",
                code=StoreCreditErrorCode.WITHDRAWAL_NOT_PENDING,
                field="id",
            )
        ledger.release(
            withdrawal.hold,
            idempotency_key=keys.withdrawal(withdrawal.pk, "cancel"),
            actor=Actor.customer(user),
        )
        _set_status(withdrawal, WithdrawalStatus.CANCELED, actor=None)
        ledger.record_withdrawal(withdrawal, Actor.customer(user))
        _notify(withdrawal)
    return withdrawal


def process_withdrawal(
    withdrawal_id: int, action: str, *, note: str | None, actor: Actor
) -> StoreCreditWithdrawal:
    """Staff approve, reject (credit returned) or mark paid (credit taken).

    An account on hold or refused by staff can only be rejected: approving or
    paying it is ACCOUNT_ON_HOLD / NOT_ELIGIBLE until staff release it."""
    if action not in _TRANSITIONS:
        raise StoreCreditError(
            "Unknown withdrawal action.",
            code=StoreCreditErrorCode.INVALID_WITHDRAWAL_ACTION,
            field="action",
        )
    note = validate_note(note) if note is not None else None
    allowed_from, target = _TRANSITIONS[action]
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal is None:
            raise StoreCreditError(
                "Withdrawal not found.", code=StoreCreditErrorCode.NOT_FOUND, field="id"
            )
        # Also for APPROVE, which moves no money: nobody approves their own payout.
        require_not_own_account(actor, withdrawal.account.user_id, field="id")
        if withdrawal.status == target:
            return withdrawal  # a retry of the same decision
        if withdrawal.status not in allowed_from:
            raise StoreCreditError(
                f"This withdrawal is {withdrawal.status} and cannot be changed so.",
                code=StoreCreditErrorCode.WITHDRAWAL_NOT_PENDING,
                field="id",
            )
        if action != REJECT:
            # Paying out (or promising to) an account on hold, refused or
            # owing credit back is what those are there to stop; rejecting
            # gives the credit back (and settles what is owed from it).
            require_payable(withdrawal.account)
            require_no_debt(withdrawal.account)
        key = keys.withdrawal(withdrawal.pk, action)
        if action == REJECT:
            ledger.release(
                withdrawal.hold,
                idempotency_key=key,
                internal_note=note or "",
                actor=actor,
            )
        elif action == MARK_PAID:
            ledger.capture(
                withdrawal.hold,
                idempotency_key=key,
                internal_note=note or "",
                actor=actor,
            )
        if note is not None:
            withdrawal.staff_note = note
        _set_status(withdrawal, target, actor=actor)
        ledger.record_withdrawal(withdrawal, actor)
        _notify(withdrawal)
    return withdrawal


def _lock(withdrawal_id) -> StoreCreditWithdrawal | None:
    account_id = (
        StoreCreditWithdrawal.objects.filter(pk=withdrawal_id)
        .values_list("account_id", flat=True)
        .first()
    )
    if account_id is None:
        return None
    account = account_qs_select_for_update().get(pk=account_id)
    withdrawal = withdrawal_qs_select_for_update().get(pk=withdrawal_id)
    withdrawal.account = account
    return withdrawal


def _set_status(withdrawal: StoreCreditWithdrawal, status: str, actor: Actor | None):
    withdrawal.status = status
    withdrawal.processed_at = timezone.now()
    if actor is not None:
        withdrawal.processed_by_user_id = actor.user_id
        withdrawal.processed_by_app_id = actor.app_id
    withdrawal.save(
        update_fields=[
            "status",
            "staff_note",
            "processed_at",
            "processed_by_user_id",
            "processed_by_app_id",
            "updated_at",
        ]
    )


def _notify(withdrawal: StoreCreditWithdrawal, requested: bool = False):
    """Staff hear of new requests, customers of decisions (sent after commit)."""
    if requested:
        notifications.send_withdrawal_requested(withdrawal)
    else:
        notifications.send_withdrawal_status_changed(withdrawal)
