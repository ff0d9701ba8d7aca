"""Customers sending credit to each other: the shop's rules, then the ledger."""

from django.contrib.auth import get_user_model

from . import ledger, notifications
from .actors import Actor
from .config import get_settings
from .error_codes import StoreCreditErrorCode
from .exceptions import StoreCreditError
from .ledger.operations import TransferResult
from .ledger.validation import validate_text
from .withdrawals import validate_note


def send_credit(
    sender, email, amount, currency, *, idempotency_key: str, note=None
) -> TransferResult:
    """Send credit to the active customer with this email, when the shop allows
    transfers. The credit keeps its expiry; the recipient is told."""
    if not get_settings().allow_transfers:
        raise StoreCreditError(
            "Transfers are not available in this shop.",
            code=StoreCreditErrorCode.TRANSFERS_DISABLED,
        )
    email = validate_text(email, "email", max_length=254).strip()
    recipient = (
        get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if email
        else None
    )
    if recipient is None:
        raise StoreCreditError(
            "No customer with this email.",
            code=StoreCreditErrorCode.RECIPIENT_NOT_FOUND,
            field="email",
        )
    try:
        result = ledger.transfer(
            sender,
            recipient,
            amount,
            currency,
            idempotency_key=idempotency_key,
            customer_note=validate_note(note),
            actor=Actor.customer(sender),
        )
    except StoreCreditError as error:
        if error.field == "recipient":
            error.field = "email"
        raise
    notifications.notify_entry(result.credit)
    return result
