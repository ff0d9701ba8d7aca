"""Every idempotency key format, and the namespace of each kind of caller.

Keys are unique per account. Keys that callers choose (customers, staff, apps,
code calling the service directly) are stored under their caller kind's prefix,
so nobody can claim a key the plugin will later use for its own writes (an
expiry, a capture, a top-up) or one another caller kind chose. The plugin's own
keys are built here and nowhere else; none starts with a caller prefix.
"""

import hashlib

from ..actors import Actor
from ..error_codes import StoreCreditErrorCode
from ..exceptions import StoreCreditError
from ..models import ActorType
from .validation import validate_text

# What a caller may choose; the stored key adds at most this much.
MAX_CALLER_KEY_LENGTH = 200
MAX_KEY_LENGTH = 255

CALLER_PREFIXES = ("customer:", "staff:", "app:", "api:")


class IdempotencyKey(str):
    """A key in its stored, namespaced form (what the ledger writes)."""

    __slots__ = ()


def _system(*parts) -> IdempotencyKey:
    key = ":".join(str(part) for part in parts)
    # Fails loudly in development, never at a customer: formats are fixed below.
    assert not key.startswith(CALLER_PREFIXES), key
    assert len(key) <= MAX_KEY_LENGTH, key
    return IdempotencyKey(key)


def for_caller(actor: Actor, key) -> IdempotencyKey:
    """A key a caller chose, in the namespace of the caller's kind."""
    key = validate_text(
        key,
        "idempotency_key",
        max_length=MAX_CALLER_KEY_LENGTH,
        required=True,
        code=StoreCreditErrorCode.INVALID_IDEMPOTENCY_KEY,
    )
    if actor.type == ActorType.CUSTOMER:
        prefix = f"customer:{actor.user_id}:"
    elif actor.type == ActorType.STAFF:
        prefix = "staff:"
    elif actor.type == ActorType.APP:
        prefix = f"app:{actor.app_id}:"
    else:
        prefix = "api:"
    return IdempotencyKey(prefix + key)


def stored(key, actor: Actor) -> IdempotencyKey:
    """The form the ledger stores: system keys as built, anything else namespaced."""
    if isinstance(key, IdempotencyKey):
        return key
    if not isinstance(key, str):
        raise StoreCreditError(
            f"Idempotency key must be 1 to {MAX_CALLER_KEY_LENGTH} characters.",
            code=StoreCreditErrorCode.INVALID_IDEMPOTENCY_KEY,
            field="idempotency_key",
        )
    return for_caller(actor, key)


def _digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --- the plugin's own keys -----------------------------------------------------


def expiry(lot_id: int, entry_number: int) -> IdempotencyKey:
    """Unique by the account's entry count: credit put back into a lot after a
    partial expiry can expire again under a key of its own."""
    return _system("expiry", lot_id, "entry", entry_number)


def debt_settled(account_id: int, entry_number: int) -> IdempotencyKey:
    """Settling owed credit: unique by the account's entry count."""
    return _system("debt-settled", account_id, "entry", entry_number)


def transfer_received(source_account_id: int, sent_key: str) -> IdempotencyKey:
    """The recipient's side of a transfer: derived from the sender's stored key."""
    digest = hashlib.sha256(f"{source_account_id}:{sent_key}".encode()).hexdigest()
    return _system("transfer-from", source_account_id, digest)


def bulk(actor: Actor, bulk_key, user_id: int) -> IdempotencyKey:
    """Each account's key in a bulk adjustment, from the caller's bulk key (as
    chosen, or in its stored form: a bulk job keeps only that)."""
    bulk_key = stored(bulk_key, actor)
    return _system("bulk", _digest(bulk_key), user_id)


def import_row(row_digest: str, occurrence: int) -> IdempotencyKey:
    return _system("import", row_digest, occurrence)


def gift_card(gift_card_id: int) -> IdempotencyKey:
    return _system("gift-card", gift_card_id)


def withdrawal_request(actor: Actor, key) -> IdempotencyKey:
    """A customer's withdrawal request: keyed by the customer's own key, but
    stored apart from every key a customer can choose."""
    chosen = for_caller(actor, key)
    return _system("withdrawal-request", actor.user_id, _digest(chosen, 64))


def withdrawal(withdrawal_id: int, action: str) -> IdempotencyKey:
    return _system("withdrawal", withdrawal_id, action)


def approval(approval_id: int) -> IdempotencyKey:
    """The adjustment an approved request makes: one per approval, whoever
    approves and however often."""
    return _system("approval", approval_id)


def order(order_id, trigger: str) -> IdempotencyKey:
    return _system("order", order_id, trigger)


def payment(payment_id: int, *parts) -> IdempotencyKey:
    return _system("payment", payment_id, *parts)


def transaction_item(token, *parts) -> IdempotencyKey:
    return _system("transaction", token, *parts)


def checkout(checkout_id, *parts) -> IdempotencyKey:
    return _system("checkout", checkout_id, *parts)


def repair_hold(hold_id: int) -> IdempotencyKey:
    return _system("repair", "hold", hold_id)
