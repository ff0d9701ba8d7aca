import graphene
from saleor.graphql.core import ResolveInfo

from ... import app_rewards
from ...exceptions import NotFound, StoreCreditError
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import Requestor
from .base import StoreCreditAppMutation


class StoreCreditAppRewardReverse(StoreCreditAppMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The reversal recorded."
    )
    account = graphene.Field(StoreCreditAccount, description="The account changed.")

    class Arguments:
        id = graphene.ID(
            required=True,
            description="ID of the reward's transaction (StoreCreditTransaction).",
        )
        idempotency_key = graphene.String(
            required=True,
            description="Key of this take-back, in the app's own namespace: "
            "sending it again returns the first result.",
        )
        customer_note = graphene.String(description="Note shown to the customer.")

    class Meta:
        description = (
            "Take back a reward the calling app gave, while it is unspent: the "
            "reward's own credit is reversed, never other credit "
            "(ENTRY_NOT_REVERSIBLE once spent, expired or reversed). Rewards of "
            "other apps are refused (PERMISSION_DENIED)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, **data):
        try:
            entry = app_rewards.take_back(
                cls._entry_pk(data["id"]),
                idempotency_key=data["idempotency_key"],
                actor=requestor.actor,
                customer_note=data.get("customer_note") or "",
            )
        except StoreCreditError as error:
            if error.field == "entry":
                error.field = "id"
            raise
        return cls(transaction=entry, account=entry.account)

    @classmethod
    def _entry_pk(cls, global_id) -> int:
        (pk,) = cls.get_global_ids_or_error([global_id], "StoreCreditTransaction", "id")
        try:
            return int(pk)
        except (TypeError, ValueError):
            raise NotFound("Transaction not found.", field="id") from None
