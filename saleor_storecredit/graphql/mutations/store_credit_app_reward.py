import graphene
from saleor.graphql.account.types import User
from saleor.graphql.core import ResolveInfo
from saleor.graphql.core.scalars import DateTime, Decimal
from saleor.graphql.core.types import BaseInputObjectType

from ... import app_rewards
from ...error_codes import StoreCreditErrorCode
from ...exceptions import StoreCreditError
from ...models import LotKind
from ...notifications import notify_entry
from ..enums import StoreCreditKindEnum
from ..types import StoreCreditAccount, StoreCreditTransaction
from ..utils import DOC_CATEGORY_STORE_CREDIT, Requestor
from .base import StoreCreditAppMutation


class StoreCreditAppRewardInput(BaseInputObjectType):
    user = graphene.ID(description="ID of the customer (User); or give `email`.")
    email = graphene.String(description="Email of the customer; or give `user`.")
    currency = graphene.String(required=True, description="Currency code.")
    amount = Decimal(required=True, description="Credit to add (positive).")
    kind = StoreCreditKindEnum(
        description=(
            "APP (default) or CASHBACK: the kind the shop's `credit_rules` and "
            "`expiry_days` name. Any other kind is refused (NOT_ALLOWED_FOR_KIND): "
            "rewards are never cash."
        )
    )
    customer_note = graphene.String(description="Note shown to the customer.")
    expires_at = DateTime(
        description="When the reward expires. Default: `expiry_days` of its "
        "kind, else never."
    )
    idempotency_key = graphene.String(
        required=True,
        description=(
            "Key of this reward, in the app's own namespace: sending it again "
            "returns the first result instead of crediting twice; another app's "
            "keys never collide with it."
        ),
    )

    class Meta:
        description = "Fields required to give a customer an app reward."
        doc_category = DOC_CATEGORY_STORE_CREDIT


class StoreCreditAppReward(StoreCreditAppMutation):
    transaction = graphene.Field(
        StoreCreditTransaction, description="The credit recorded."
    )
    account = graphene.Field(StoreCreditAccount, description="The account credited.")

    class Arguments:
        input = StoreCreditAppRewardInput(
            required=True, description="Fields required to give the reward."
        )

    class Meta:
        description = (
            "Credit a customer with the calling app's reward (an affiliate "
            "commission, a royalty, cashback). The credit's source is the app "
            "(`StoreCreditLot.source: app`, `sourceId`: the app's ID) and its "
            "reason `app_reward`. Staff accounts cannot receive it (NOT_FOUND); "
            "above the shop's approval threshold it is refused (AMOUNT_TOO_LARGE)."
        )

    @classmethod
    def run(cls, info: ResolveInfo, requestor: Requestor, /, *, input):
        entry = app_rewards.reward(
            cls._customer(info, input),
            input["amount"],
            input["currency"],
            idempotency_key=input["idempotency_key"],
            actor=requestor.actor,
            kind=input.get("kind") or LotKind.APP,
            expires_at=input.get("expires_at"),
            customer_note=input.get("customer_note") or "",
        )
        notify_entry(entry)
        return cls(transaction=entry, account=entry.account)

    @classmethod
    def _customer(cls, info: ResolveInfo, input):
        user_id, email = input.get("user"), input.get("email")
        if user_id is not None and email is not None:
            raise StoreCreditError(
                "Give either the customer's ID or their email, not both.",
                code=StoreCreditErrorCode.INVALID,
                field="email",
            )
        if email is not None:
            return app_rewards.customer_by_email(email)
        if user_id is None:
            raise StoreCreditError(
                "Give the customer's ID or email.",
                code=StoreCreditErrorCode.REQUIRED,
                field="user",
            )
        user = cls.get_node_or_error(info, user_id, field="user", only_type=User)
        return app_rewards.require_customer(user)
