"""Failed guesses counted per caller in Saleor's shared cache, so guessing
gift-card codes or customers' emails is slow from every pod at once.

A caller who failed `limit` times is refused for the rest of the window, which
starts at their first failure. Nothing is kept in the process.
"""

from dataclasses import dataclass

from django.core.cache import cache

from .actors import Actor
from .error_codes import StoreCreditErrorCode
from .exceptions import StoreCreditError


@dataclass(frozen=True)
class AttemptLimit:
    name: str
    field: str
    message: str
    limit: int = 5
    window: int = 15 * 60  # seconds

    def _key(self, actor: Actor) -> str:
        return (
            f"storecredit:{self.name}-failures:"
            f"{actor.type}:{actor.user_id or actor.app_id}"
        )

    def check(self, actor: Actor) -> None:
        """Refuse a caller who has used up their failures."""
        if (cache.get(self._key(actor)) or 0) >= self.limit:
            raise StoreCreditError(
                self.message,
                code=StoreCreditErrorCode.TOO_MANY_ATTEMPTS,
                field=self.field,
            )

    def count_failure(self, actor: Actor) -> None:
        key = self._key(actor)
        # add() is atomic in a shared cache: the window starts at the first failure.
        cache.add(key, 0, timeout=self.window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window)


GIFT_CARD_CODES = AttemptLimit(
    "gift-card",
    field="code",
    message="Too many gift card attempts. Please try again later.",
)
TRANSFER_RECIPIENTS = AttemptLimit(
    "transfer-recipient",
    field="email",
    message="Too many transfer attempts. Please try again later.",
)
