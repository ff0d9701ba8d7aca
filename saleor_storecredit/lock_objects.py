"""Row locks of the ledger, in one place so the lock order is visible.

Order: accounts by primary key, then the hold or withdrawal being changed.
Lots are changed only under their account's lock and need no lock of their own.
"""

from .models import StoreCreditAccount, StoreCreditHold, StoreCreditWithdrawal


def account_qs_select_for_update():
    return StoreCreditAccount.objects.select_for_update(of=("self",)).order_by("pk")


def hold_qs_select_for_update():
    return StoreCreditHold.objects.select_for_update(of=("self",))


def withdrawal_qs_select_for_update():
    return StoreCreditWithdrawal.objects.select_for_update(of=("self",))
