import uuid

import graphene
from django.contrib.auth import get_user_model
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import Decimal
from saleor.permission.auth_filters import AuthorizationFilters

from ... import ledger
from ...actors import Actor
from ...config import get_settings
from ...error_codes import StoreCreditErrorCode
from ...exceptions import StoreCreditError
from ...notifications import notify_entry
from ...withdrawals import validate_note
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import Requestor
from .base import StoreCreditMutation


class StoreCreditTransfer(StoreCreditMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The credit taken from the sender."
    )
    account = graphene.Field(StoreCreditAccount, description="The sender's account.")

    class Arguments:
        email = graphene.String(required=True, description="The recipient's email.")
        currency = graphene.String(required=True, description="Currency code.")
        amount = Decimal(required=True, description="Amount to send.")
        note = graphene.String(description="Note shown to both customers.")
        idempotency_key = graphene.String(
            description="Key of this transfer: sending it again returns the first "
            "result instead of sending twice."
        )

    class Meta:
        description = (
            "Send store credit to another customer, when the shop allows it. The "
            "credit keeps its expiry."
        )
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, **data):
        if not get_settings().allow_transfers:
            raise StoreCreditError(
                "Transfers are not available in this shop.",
                code=StoreCreditErrorCode.TRANSFERS_DISABLED,
            )
        sender = requestor.user
        email = (data["email"] or "").strip()
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
                data["amount"],
                data["currency"],
                idempotency_key=data.get("idempotency_key") or str(uuid.uuid4()),
                customer_note=validate_note(data.get("note")),
                actor=Actor.customer(sender),
            )
        except StoreCreditError as error:
            if error.field == "recipient":
                error.field = "email"
            raise
        notify_entry(result.credit)
        return cls(transaction=result.debit, account=result.debit.account)
