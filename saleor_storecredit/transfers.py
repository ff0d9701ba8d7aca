"""Customers sending credit to each other: the shop's rules, then the ledger.

A transfer must not tell a stranger who shops here. The sender is checked
first (transfers allowed, amount, standing, funds), so what a sender without
credit hears never depends on the email; then every email that cannot receive
(nobody, a staff member, an inactive customer) gets one answer, and those
answers are counted per sender like failed gift-card codes. The note is the
sender's own text, mailed to the recipient: one line, no links, and the
recipient's email says who wrote it.
"""

import re
import unicodedata

from django.contrib.auth import get_user_model

from . import ledger, notifications
from .actors import Actor
from .attempts import TRANSFER_RECIPIENTS
from .config import get_settings
from .error_codes import StoreCreditErrorCode
from .exceptions import IdempotencyConflict, InsufficientFunds, StoreCreditError
from .ledger import keys, reads
from .ledger.operations import TransferResult
from .ledger.rules import TRANSFER
from .ledger.validation import validate_text
from .ledger.writer import require_no_debt, require_payable
from .money import validate_amount, validate_currency

MAX_EMAIL_LENGTH = 254
MAX_NOTE_LENGTH = 200

# Text that a mail client turns into a link: a scheme, www., or a host name
# such as example.com (which email addresses contain too).
_LINK = re.compile(
    r"://|\b(?:mailto|tel|sms|javascript|data|file):|\bwww\d?\."
    r"|[a-z0-9-][.\uff0e\u3002](?:[a-z]{2,63}|xn--[a-z0-9-]+)\b",
    re.IGNORECASE,
)
# Characters that reorder or hide text: a note must read as it was written.
_HIDDEN = {"\u200b", "\u2028", "\u2029", "\u2060", "\ufeff"} | {
    chr(c)
    for c in (*range(0x200E, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def send_credit(
    sender, email, amount, currency, *, idempotency_key: str, note=None
) -> TransferResult:
    """Send credit to the active customer with this email, when the shop allows
    transfers. The credit keeps its expiry; the recipient is told."""
    settings = get_settings()
    if not settings.allow_transfers:
        raise StoreCreditError(
            "Transfers are not available in this shop.",
            code=StoreCreditErrorCode.TRANSFERS_DISABLED,
        )
    currency = validate_currency(currency)
    amount = validate_amount(amount, currency)
    note = validate_transfer_note(note)
    actor = Actor.customer(sender)
    email = _email(email)
    account = ledger.get_account(sender, currency)
    earlier = _earlier_recipient(account, keys.stored(idempotency_key, actor))
    if earlier is not None:
        # A retry: the first answer again, whatever the sender's credit is now.
        return _replay(
            sender, earlier, email, amount, currency, idempotency_key, note, settings
        )
    _check_sender(account, amount, currency, settings)
    if email and email.casefold() == (sender.email or "").casefold():
        raise StoreCreditError(
            "You cannot send store credit to yourself.",
            code=StoreCreditErrorCode.SAME_ACCOUNT,
            field="email",
        )
    TRANSFER_RECIPIENTS.check(actor)
    recipient = _recipient(email) if email else None
    if recipient is None:
        TRANSFER_RECIPIENTS.count_failure(actor)
        raise cannot_receive()
    try:
        result = ledger.transfer(
            sender,
            recipient,
            amount,
            currency,
            idempotency_key=idempotency_key,
            customer_note=note,
            actor=actor,
            rules=settings.rules,
        )
    except StoreCreditError as error:
        # The recipient was found: a refusal now (a recipient deleted or a
        # balance spent meanwhile) must not tell more than the refusals above.
        TRANSFER_RECIPIENTS.count_failure(actor)
        if error.field == "recipient":
            raise cannot_receive() from None
        raise
    notifications.notify_entry(result.credit)
    return result


def cannot_receive() -> StoreCreditError:
    """The one answer for every email that cannot receive credit."""
    return StoreCreditError(
        "Store credit cannot be sent to this email.",
        code=StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
        field="email",
    )


def validate_transfer_note(note) -> str:
    """The sender's note as plain text the recipient can trust to be only that:
    one line, no control or hidden characters, no links."""
    note = validate_text(note, "note", max_length=MAX_NOTE_LENGTH).strip()
    if any(unicodedata.category(c) == "Cc" or c in _HIDDEN for c in note):
        raise StoreCreditError(
            "Note must be one line of text without control characters.",
            field="note",
        )
    if _LINK.search(note):
        raise StoreCreditError(
            "Note cannot contain links or web or email addresses.", field="note"
        )
    return note


def _earlier_recipient(account, key):
    """The account that received the transfer the sender made with this key;
    None when the sender never used the key."""
    if account is None or reads.entry_with_key([account.pk], [key]) is None:
        return None
    received = reads.entry_with_key(None, [keys.transfer_received(account.pk, key)])
    return received.account if received is not None else _NOT_A_TRANSFER


# The key was used for something other than a transfer.
_NOT_A_TRANSFER = object()


def _replay(sender, earlier, email, amount, currency, idempotency_key, note, settings):
    """Answer a retry from the sender's own history, without looking anyone up:
    the same email replays the transfer, anything else reused the key."""
    recipient = getattr(earlier, "user", None)
    if recipient is None or email.casefold() != (recipient.email or "").casefold():
        raise IdempotencyConflict(
            "This idempotency key was already used for a different operation.",
            field="idempotency_key",
        )
    return ledger.transfer(
        sender,
        recipient,
        amount,
        currency,
        idempotency_key=idempotency_key,
        customer_note=note,
        actor=Actor.customer(sender),
        rules=settings.rules,
    )


def _check_sender(account, amount, currency: str, settings) -> None:
    """What the sender can find out about themself: standing, what they owe
    and what they may send. Read without a lock; the ledger checks all again
    under the account's lock."""
    if account is None:
        raise InsufficientFunds(f"You have no store credit in {currency}.")
    require_payable(account)
    require_no_debt(account)
    available = min(
        reads.available_now(account),
        reads.usable(account, settings.spend_for(TRANSFER)),
    )
    if amount > available:
        raise InsufficientFunds(
            f"Not enough store credit that can be sent: {available} {currency}.",
            field="amount",
        )


def _email(email) -> str:
    try:
        return validate_text(email, "email", max_length=MAX_EMAIL_LENGTH).strip()
    except StoreCreditError:
        return ""


def _recipient(email: str):
    """The active customer (never staff) with this email, matched exactly when
    emails differ only in case."""
    candidates = list(
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True, is_staff=False)
        .order_by("pk")[:2]
    )
    exact = [user for user in candidates if user.email == email]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None
