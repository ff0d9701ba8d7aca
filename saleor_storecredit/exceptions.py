from .error_codes import StoreCreditErrorCode


class StoreCreditError(Exception):
    """A refusal the caller can show: a code, a customer-readable message, a field."""

    code = StoreCreditErrorCode.INVALID

    def __init__(self, message: str, *, code=None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __repr__(self):
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class InvalidAmount(StoreCreditError):
    code = StoreCreditErrorCode.INVALID_AMOUNT


class InvalidCurrency(StoreCreditError):
    code = StoreCreditErrorCode.INVALID_CURRENCY


class CurrencyMismatch(StoreCreditError):
    code = StoreCreditErrorCode.CURRENCY_MISMATCH


class InsufficientFunds(StoreCreditError):
    code = StoreCreditErrorCode.INSUFFICIENT_FUNDS


class AccountOnHold(StoreCreditError):
    code = StoreCreditErrorCode.ACCOUNT_ON_HOLD


class NotFound(StoreCreditError):
    code = StoreCreditErrorCode.NOT_FOUND


class IdempotencyConflict(StoreCreditError):
    code = StoreCreditErrorCode.IDEMPOTENCY_KEY_REUSED
