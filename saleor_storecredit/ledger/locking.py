"""Taking the ledger's row locks and reading what a key already wrote.

The lock order lives in lock_objects.py: accounts by primary key, then the hold
or withdrawal being changed.
"""

from django.contrib.auth import get_user_model

from ..error_codes import StoreCreditErrorCode
from ..exceptions import CurrencyMismatch, IdempotencyConflict, NotFound
from ..lock_objects import (
    BY_ID,
    OF_CUSTOMER,
    OF_HOLD,
    hold_qs_select_for_update,
    lock_accounts_with_entries,
)
from ..models import StoreCreditAccount, StoreCreditEntry
from .validation import validate_id


def account_not_found() -> NotFound:
    return NotFound(
        "Store-credit account not found.",
        code=StoreCreditErrorCode.ACCOUNT_NOT_FOUND,
        field="account",
    )


def create_account(owner, currency: str) -> None:
    """Create the customer's account unless it exists; the customer must exist."""
    if not get_user_model().objects.filter(pk=owner.pk).exists():
        raise NotFound("Customer not found.", field="user")
    StoreCreditAccount.objects.bulk_create(
        [
            StoreCreditAccount(
                user_id=owner.pk,
                email=getattr(owner, "email", "") or "",
                currency=currency,
            )
        ],
        ignore_conflicts=True,
    )


def lock_account(owner, currency: str, key: str, *, create: bool = False):
    """Lock the owner's account in `currency`; create it first when asked.

    `owner` is a customer (user) or a StoreCreditAccount. Returns the account
    (None when the customer has none and none was to be created) and what an
    earlier call with `key` wrote (see replay). The account keeps the customer's
    current email, so it still says whose it was once they are deleted.
    """
    if isinstance(owner, StoreCreditAccount):
        if owner.currency != currency:
            raise CurrencyMismatch(
                f"This store credit is in {owner.currency}, not {currency}.",
                field="currency",
            )
        found, prior = lock_accounts_with_entries(BY_ID, [owner.pk], [key])
        if not found:
            raise account_not_found()
        return found[0], prior
    email = getattr(owner, "email", "") or ""
    found, prior = lock_accounts_with_entries(OF_CUSTOMER, [owner.pk, currency], [key])
    if not found and create:
        create_account(owner, currency)
        found, prior = lock_accounts_with_entries(
            OF_CUSTOMER, [owner.pk, currency], [key]
        )
    account = found[0] if found else None
    if account is not None and email and account.email != email:
        account.email = email
    return account, prior


def lock_hold(hold, key: str):
    """Lock the hold's account, then the hold (the order of lock_objects.py)."""
    hold_id = validate_id(hold, "hold", StoreCreditErrorCode.HOLD_NOT_FOUND)
    found, prior = lock_accounts_with_entries(OF_HOLD, [hold_id], [key])
    if not found:
        raise NotFound(
            "This store-credit authorization does not exist.",
            code=StoreCreditErrorCode.HOLD_NOT_FOUND,
            field="hold",
        )
    account = found[0]
    locked = hold_qs_select_for_update().get(pk=hold_id)
    locked.account = account
    return account, locked, prior


def replay(account, prior: dict, key: str, fingerprint: str):
    """The entry an earlier call with this key wrote, if any.

    `prior` is what was read with the account's lock; the same key with another
    request raises IdempotencyConflict (never a success).
    """
    if account is None or (account.pk, key) not in prior:
        return None
    entry_id, request_hash = prior[account.pk, key]
    if request_hash != fingerprint:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different operation.",
            field="idempotency_key",
        )
    entry = StoreCreditEntry.objects.get(pk=entry_id)
    entry.account = account
    return entry


def account_id(owner, currency: str, *, create: bool) -> int | None:
    """Find (or create, unlocked) an account id, so both can be locked in pk order."""
    if isinstance(owner, StoreCreditAccount):
        if owner.currency != currency:
            raise CurrencyMismatch(
                f"This store credit is in {owner.currency}, not {currency}.",
                field="currency",
            )
        return owner.pk
    qs = StoreCreditAccount.objects.filter(user_id=owner.pk, currency=currency)
    found = qs.values_list("pk", flat=True).first()
    if found is None and create:
        create_account(owner, currency)
        found = qs.values_list("pk", flat=True).first()
    return found
