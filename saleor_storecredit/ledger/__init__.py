"""The ledger service: the only code that changes balances, lots and holds.

GraphQL, the gateway, tasks and commands call the functions below and never
touch the ledger's tables. The modules show its structure:

- validation.py: checks of everything a caller hands in, before any transaction;
- keys.py: every idempotency key format and each caller kind's namespace;
- locking.py: row locks in the fixed order, and replays of repeated keys;
- writer.py: appending entries, storing balances, recording lot movements;
- rules.py: what each kind of credit may do, and the spending order;
- operations.py, holds.py, expiry.py, accounts.py: what callers ask for;
- events.py: the append-only record of each step of a withdrawal;
- batches.py: many credits or expiries in one short transaction;
- reads.py: what callers may read without locks;
- verification.py: the proof that everything agrees with the entries.
"""

from .accounts import UNCHANGED, get_account, set_status, update_account
from .batches import CreditRequest, CreditResult, credit_many
from .events import record_withdrawal
from .expiry import due_account_ids, expire_accounts_each, expire_due_lots
from .holds import authorize, capture, release
from .keys import MAX_CALLER_KEY_LENGTH, MAX_KEY_LENGTH
from .operations import (
    TransferResult,
    adjust,
    claw_back,
    credit,
    debit,
    refund,
    refundable_amount,
    reverse,
    transfer,
)
from .validation import ExpiresAfter
from .writer import Provenance

__all__ = [
    "MAX_CALLER_KEY_LENGTH",
    "MAX_KEY_LENGTH",
    "UNCHANGED",
    "CreditRequest",
    "CreditResult",
    "ExpiresAfter",
    "credit_many",
    "TransferResult",
    "Provenance",
    "adjust",
    "authorize",
    "claw_back",
    "capture",
    "credit",
    "debit",
    "due_account_ids",
    "expire_accounts_each",
    "expire_due_lots",
    "get_account",
    "refund",
    "record_withdrawal",
    "refundable_amount",
    "release",
    "reverse",
    "set_status",
    "transfer",
    "update_account",
]
