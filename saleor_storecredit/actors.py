"""Who moved the money and what Saleor object it concerns."""

import uuid
from dataclasses import asdict, dataclass

from .models import ActorType


@dataclass(frozen=True)
class Actor:
    type: str = ActorType.SYSTEM
    user_id: int | None = None
    app_id: int | None = None

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(ActorType.STAFF, user_id=user.pk)

    @classmethod
    def customer(cls, user) -> "Actor":
        return cls(ActorType.CUSTOMER, user_id=user.pk)

    @classmethod
    def app(cls, app) -> "Actor":
        return cls(ActorType.APP, app_id=app.pk)

    def as_fields(self) -> dict:
        return {
            "actor_type": self.type,
            "actor_user_id": self.user_id,
            "actor_app_id": self.app_id,
        }


SYSTEM = Actor()


@dataclass(frozen=True)
class Reference:
    """Identifiers of the Saleor objects an entry concerns (no foreign keys)."""

    order_id: uuid.UUID | None = None
    checkout_id: uuid.UUID | None = None
    payment_id: int | None = None
    transaction_id: uuid.UUID | None = None
    gift_card_id: int | None = None

    def as_fields(self) -> dict:
        return asdict(self)

    def merged(self, other: "Reference | None") -> "Reference":
        if other is None:
            return self
        values = self.as_fields()
        values.update({k: v for k, v in other.as_fields().items() if v is not None})
        return Reference(**values)

    def refund_key(self) -> tuple[str, object] | None:
        """The identifier refunds are counted against: the most specific one."""
        for field in ("transaction_id", "payment_id", "order_id", "checkout_id"):
            value = getattr(self, field)
            if value is not None:
                return field, value
        return None

    def fingerprint(self) -> dict:
        return {k: str(v) for k, v in self.as_fields().items() if v is not None}


NO_REFERENCE = Reference()
