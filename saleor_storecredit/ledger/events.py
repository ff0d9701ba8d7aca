"""Append-only records of each step of a withdrawal, so verify can tell a
withdrawal row changed behind the ledger's back (its amount, account, hold or
status) from one the ledger moved."""

from ..actors import SYSTEM, Actor
from ..models import StoreCreditWithdrawal, StoreCreditWithdrawalEvent


def record_withdrawal(
    withdrawal: StoreCreditWithdrawal, actor: Actor = SYSTEM
) -> StoreCreditWithdrawalEvent:
    """Record the withdrawal as it is now; call it in the transaction that
    created or changed it, after saving."""
    return StoreCreditWithdrawalEvent.objects.create(
        withdrawal_id=withdrawal.pk,
        account_id=withdrawal.account_id,
        hold_id=withdrawal.hold_id,
        amount=withdrawal.amount,
        status=withdrawal.status,
        **actor.as_fields(),
    )
