"""The plugin's Dashboard settings: their structure, defaults, parsing and reading.

Saleor stores a plugin's configuration as a list of {"name", "value"} pairs whose
values arrive from `pluginUpdate` as strings (only Boolean fields are converted).
`parse_settings` turns that list into a typed, validated `StoreCreditSettings`;
`get_settings` reads it from the database on every call, so every pod, hook and
Celery task sees the merchant's latest change.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from .error_codes import StoreCreditErrorCode
from .exceptions import InvalidAmount, StoreCreditError
from .ledger.rules import DEFAULT_ORDER, DEFAULT_USES, USES, CreditRules, Spend
from .ledger.validation import ExpiresAfter
from .models import LotKind
from .money import MAX_AMOUNT, to_decimal, validate_amount, validate_currency
from .notifications_config import (
    NOTIFICATION_CONFIG_STRUCTURE,
    NOTIFICATION_DEFAULT_CONFIGURATION,
)

logger = logging.getLogger(__name__)

PLUGIN_ID = "storecredit.gateway"
PLUGIN_NAME = "Store credit"

# Saleor's OrderStatus values (saleor/order/__init__.py), kept here so the
# settings parse without Saleor installed (the ledger's own test suite).
ORDER_STATUSES = (
    "unconfirmed",
    "unfulfilled",
    "partially fulfilled",
    "fulfilled",
    "partially_returned",
    "returned",
    "canceled",
    "expired",
)
FULLY_PAID = "fully_paid"
# A top-up credits only once the order was paid or the merchant decided it ships.
TOP_UP_TRIGGERS = (FULLY_PAID, "unfulfilled", "partially fulfilled", "fulfilled")

MAX_EXPIRY_DAYS = 36500
MAX_MINUTES = 60 * 24 * 365
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")

# Setting names, as stored in Saleor's PluginConfiguration.
ACTIVE = "active"
DISPLAY_NAME = "display_name"
CHANNELS = "channels"
MINIMUM_ORDER_TOTAL = "minimum_order_total"
ALLOW_PARTIAL_PAYMENT = "allow_partial_payment"
CUSTOMER_TYPES = "customer_types"
RETURN_STATUSES = "return_statuses"
REFUND_TO_CREDIT_STATUSES = "refund_to_credit_statuses"
TOP_UP_SKUS = "top_up_skus"
TOP_UP_TRIGGERS_KEY = "top_up_triggers"
TOP_UP_BONUS_TIERS = "top_up_bonus_tiers"
EXPIRY_DAYS = "expiry_days"
ABANDONED_CHECKOUT_MINUTES = "abandoned_checkout_minutes"
AUTO_APPLY = "auto_apply"
ALLOW_WITHDRAWALS = "allow_withdrawals"
WITHDRAWAL_MINIMUM = "withdrawal_minimum"
ALLOW_TRANSFERS = "allow_transfers"
STAFF_NOTIFICATION_EMAILS = "staff_notification_emails"
EXPIRY_REMINDER_DAYS = "expiry_reminder_days"
APPROVAL_THRESHOLD = "approval_threshold"
CREDIT_RULES = "credit_rules"
SPENDING_ORDER = "spending_order"

_STRING = "String"  # saleor.plugins.base_plugin.ConfigurationTypeField values
_BOOLEAN = "Boolean"

GATEWAY_DEFAULT_CONFIGURATION = [
    {"name": DISPLAY_NAME, "value": "Store credit"},
    {"name": CHANNELS, "value": ""},
    {"name": MINIMUM_ORDER_TOTAL, "value": "0"},
    {"name": ALLOW_PARTIAL_PAYMENT, "value": True},
    {"name": CUSTOMER_TYPES, "value": ""},
    {"name": RETURN_STATUSES, "value": "canceled, expired"},
    {"name": REFUND_TO_CREDIT_STATUSES, "value": ""},
    {"name": TOP_UP_SKUS, "value": ""},
    {"name": TOP_UP_TRIGGERS_KEY, "value": FULLY_PAID},
    {"name": TOP_UP_BONUS_TIERS, "value": ""},
    {"name": EXPIRY_DAYS, "value": ""},
    {"name": ABANDONED_CHECKOUT_MINUTES, "value": "360"},
    {"name": AUTO_APPLY, "value": False},
    {"name": ALLOW_WITHDRAWALS, "value": False},
    {"name": WITHDRAWAL_MINIMUM, "value": "0"},
    {"name": ALLOW_TRANSFERS, "value": False},
    {"name": STAFF_NOTIFICATION_EMAILS, "value": ""},
    {"name": EXPIRY_REMINDER_DAYS, "value": "7"},
    {"name": APPROVAL_THRESHOLD, "value": ""},
    {"name": CREDIT_RULES, "value": ""},
    {"name": SPENDING_ORDER, "value": ""},
]


def _field(type_, label, help_text):
    return {"type": type_, "label": label, "help_text": help_text}


GATEWAY_CONFIG_STRUCTURE = {
    DISPLAY_NAME: _field(
        _STRING, "Display name", "Name of the payment method shown to customers."
    ),
    CHANNELS: _field(
        _STRING,
        "Channels",
        "Comma-separated channel slugs where store credit is offered. "
        "Empty: every channel.",
    ),
    MINIMUM_ORDER_TOTAL: _field(
        _STRING,
        "Minimum order total",
        "Smallest checkout total that can be paid with store credit, e.g. 10.00. "
        "0: no minimum.",
    ),
    ALLOW_PARTIAL_PAYMENT: _field(
        _BOOLEAN,
        "Allow partial payment",
        "Let customers pay part of a checkout with store credit and the rest "
        "with another payment method.",
    ),
    CUSTOMER_TYPES: _field(
        _STRING,
        "Customer types",
        "Comma-separated customer type slugs allowed to pay with store credit. "
        "Empty: every customer.",
    ),
    RETURN_STATUSES: _field(
        _STRING,
        "Order statuses returning credit",
        "Comma-separated order statuses at which store credit paid for an order "
        "goes back to the customer, e.g. canceled, expired.",
    ),
    REFUND_TO_CREDIT_STATUSES: _field(
        _STRING,
        "Order statuses refunding to store credit",
        "Comma-separated order statuses at which everything paid for the order "
        "(by any payment method, less what was already refunded) is credited to "
        "the customer as store credit, e.g. returned. Empty: never.",
    ),
    TOP_UP_SKUS: _field(
        _STRING,
        "Top-up product SKUs",
        "Comma-separated variant SKUs whose purchase credits the buyer's balance.",
    ),
    TOP_UP_TRIGGERS_KEY: _field(
        _STRING,
        "Top-up credit moments",
        "When a top-up purchase credits the buyer: fully_paid, or order statuses "
        "unfulfilled, partially fulfilled, fulfilled (comma-separated; the first "
        "one reached credits, once).",
    ),
    TOP_UP_BONUS_TIERS: _field(
        _STRING,
        "Top-up bonus tiers",
        "Comma-separated threshold:percent pairs, e.g. 100:5, 500:10 gives +5% "
        "from 100 and +10% from 500. Empty: no bonus.",
    ),
    EXPIRY_DAYS: _field(
        _STRING,
        "Expiry in days per credit kind",
        "Comma-separated kind:days pairs, e.g. store_credit:365, top_up:730, "
        "bonus:90. Kinds: " + ", ".join(LotKind.values) + " (the `kind` staff "
        "choose when adding credit; credit added with reason MANUAL or IMPORT is "
        "store_credit). Missing or empty: never expires.",
    ),
    ABANDONED_CHECKOUT_MINUTES: _field(
        _STRING,
        "Abandoned checkout minutes",
        "Minutes without change after which store credit applied to a checkout "
        "goes back to the customer.",
    ),
    AUTO_APPLY: _field(
        _BOOLEAN,
        "Apply credit automatically",
        "Apply a logged-in customer's available store credit to their checkout "
        "as the first payment, so the storefront only collects the rest.",
    ),
    ALLOW_WITHDRAWALS: _field(
        _BOOLEAN,
        "Allow withdrawals",
        "Let customers ask for their store credit to be paid out.",
    ),
    WITHDRAWAL_MINIMUM: _field(
        _STRING,
        "Withdrawal minimum",
        "Smallest amount a customer may withdraw, per currency: comma-separated "
        "currency:amount pairs, e.g. USD:25, EUR:20, JPY:3000. A number without "
        "a currency is the minimum of every currency not listed (25 alone means "
        "25 USD, 25 EUR and 25 JPY). 0 or empty: no minimum.",
    ),
    ALLOW_TRANSFERS: _field(
        _BOOLEAN,
        "Allow transfers",
        "Let customers send store credit to another customer.",
    ),
    STAFF_NOTIFICATION_EMAILS: _field(
        _STRING,
        "Staff notification emails",
        "Comma-separated addresses told about withdrawal requests.",
    ),
    EXPIRY_REMINDER_DAYS: _field(
        _STRING,
        "Expiry reminder days",
        "Days before credit expires at which the customer is reminded. 0: never.",
    ),
    APPROVAL_THRESHOLD: _field(
        _STRING,
        "Approval threshold per currency",
        "Comma-separated currency:amount pairs, e.g. USD:500, EUR:450. A staff "
        "adjustment of more than the amount (credit or deduction) waits until "
        "another staff member approves it. A currency not listed, or empty: no "
        "approval needed.",
    ),
    CREDIT_RULES: _field(
        _STRING,
        "What each kind of credit may do",
        "Comma-separated kind:uses pairs, uses joined by + from pay, withdraw, "
        "transfer (or none), e.g. bonus:pay, top_up:pay+withdraw, "
        "gift_card:pay+transfer. Kinds: " + ", ".join(LotKind.values) + ". A kind "
        "not listed keeps its default: "
        + "; ".join(
            f"{kind} {'+'.join(use for use in USES if use in uses) or 'none'}"
            for kind, uses in DEFAULT_USES.items()
        )
        + ". Withdrawal and transfer still need to be allowed above.",
    ),
    SPENDING_ORDER: _field(
        _STRING,
        "Spending order",
        "Comma-separated kinds in the order a payment, withdrawal or transfer "
        "takes them (soonest expiry first within a kind); kinds not listed come "
        "after. Empty: " + ", ".join(DEFAULT_ORDER) + " (promotional credit "
        "first, so paid credit stays withdrawable).",
    ),
}

DEFAULT_CONFIGURATION = GATEWAY_DEFAULT_CONFIGURATION + [
    dict(item) for item in NOTIFICATION_DEFAULT_CONFIGURATION
]
CONFIG_STRUCTURE = {**GATEWAY_CONFIG_STRUCTURE, **NOTIFICATION_CONFIG_STRUCTURE}


def config_structure(unsupported_reason: str | None = None) -> dict:
    """The Dashboard fields; on an unsupported Saleor each help text says why the
    plugin stays off."""
    if unsupported_reason is None:
        return CONFIG_STRUCTURE
    return {
        name: {**item, "help_text": f"{unsupported_reason} {item['help_text']}"}
        for name, item in CONFIG_STRUCTURE.items()
    }


@dataclass(frozen=True)
class CurrencyAmounts:
    """An amount per currency, and one for the currencies not listed."""

    amounts: dict[str, Decimal] = field(default_factory=dict)
    other: Decimal = Decimal(0)

    def for_currency(self, currency: str) -> Decimal:
        return self.amounts.get(currency, self.other)


@dataclass(frozen=True)
class StoreCreditSettings:
    active: bool = False
    display_name: str = "Store credit"
    channels: list[str] = field(default_factory=list)
    minimum_order_total: Decimal = Decimal(0)
    allow_partial_payment: bool = True
    customer_types: list[str] = field(default_factory=list)
    return_statuses: list[str] = field(default_factory=lambda: ["canceled", "expired"])
    refund_to_credit_statuses: list[str] = field(default_factory=list)
    top_up_skus: list[str] = field(default_factory=list)
    top_up_triggers: list[str] = field(default_factory=lambda: [FULLY_PAID])
    # (threshold, percent), ascending by threshold.
    top_up_bonus_tiers: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    # Lot kind -> days until expiry; a kind not listed never expires.
    expiry_days: dict[str, int | None] = field(default_factory=dict)
    abandoned_checkout_minutes: int = 360
    auto_apply: bool = False
    allow_withdrawals: bool = False
    withdrawal_minimum: CurrencyAmounts = field(default_factory=CurrencyAmounts)
    allow_transfers: bool = False
    staff_notification_emails: list[str] = field(default_factory=list)
    expiry_reminder_days: int = 7
    # Currency -> largest staff adjustment made without a second staff member.
    approval_threshold: dict[str, Decimal] = field(default_factory=dict)
    # Lot kind -> what it may do (ledger/rules.py); kinds not listed: defaults.
    credit_rules: dict = field(default_factory=lambda: dict(DEFAULT_USES))
    spending_order: tuple = DEFAULT_ORDER
    raw: dict = field(default_factory=dict)

    @property
    def rules(self) -> CreditRules:
        return CreditRules(uses=self.credit_rules, order=self.spending_order)

    def spend_for(self, use: str) -> Spend:
        """What a payment, withdrawal or transfer may take under these rules."""
        return Spend.for_use(self.rules, use)

    def offered_in_channel(self, channel_slug: str) -> bool:
        return not self.channels or channel_slug in self.channels

    def allows_customer_type(self, customer_type_slug: str | None) -> bool:
        return not self.customer_types or customer_type_slug in self.customer_types

    def bonus_percent(self, amount: Decimal) -> Decimal:
        """The percent of the highest tier whose threshold `amount` reaches."""
        percent = Decimal(0)
        for threshold, tier_percent in self.top_up_bonus_tiers:
            if amount >= threshold:
                percent = tier_percent
        return percent

    def needs_approval(self, amount: Decimal, currency: str) -> bool:
        """Whether a staff adjustment of `amount` (either sign) waits for a
        second staff member."""
        threshold = self.approval_threshold.get(currency)
        return threshold is not None and abs(amount) > threshold

    def expiry_days_for(self, kind: str) -> int | None:
        return self.expiry_days.get(kind)

    def expiry_for(self, kind: str) -> ExpiresAfter | None:
        """How long credit of `kind` lasts under `expiry_days`; None: forever."""
        days = self.expiry_days_for(kind)
        return ExpiresAfter(days) if days else None


# --- parsing -------------------------------------------------------------------


def _items(value) -> list[str]:
    """Comma- or newline-separated text (or a list) as stripped, unique items."""
    if value is None:
        return []
    if isinstance(value, str):
        parts: Iterable = re.split(r"[,\n]", value)
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise ValueError("must be text")
    seen: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise ValueError("must be text")
        item = part.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false")


def _decimal(value, *, allow_zero=True, maximum=MAX_AMOUNT) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    try:
        number = to_decimal(value)
    except InvalidAmount as error:
        if error.code == StoreCreditErrorCode.AMOUNT_TOO_LARGE:
            raise ValueError(f"must not exceed {maximum}") from None
        raise ValueError("must be a number, e.g. 10.00") from None
    if number < 0 or (number == 0 and not allow_zero):
        raise ValueError(
            "must be greater than zero" if not allow_zero else "must not be negative"
        )
    if number > maximum:
        raise ValueError(f"must not exceed {maximum}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise ValueError("can have at most 3 decimal places")
    return number


def _currency_amounts(value) -> CurrencyAmounts:
    """`USD:25, EUR:20, JPY:3000`, each amount exact in its currency. A bare
    number (what the setting held before it took currencies) is the amount of
    every currency not listed, so a saved configuration keeps its meaning."""
    amounts: dict[str, Decimal] = {}
    other = None
    for item in _items(value):
        currency_text, sep, amount_text = item.rpartition(":")
        if not sep:
            if other is not None:
                raise ValueError(f"{item!r}: only one amount can be without a currency")
            other = _decimal(item)
            continue
        try:
            currency = validate_currency(currency_text)
        except StoreCreditError:
            raise ValueError(
                f"{currency_text.strip()[:8]!r} is not a currency code, e.g. USD:25"
            ) from None
        if currency in amounts:
            raise ValueError(f"{currency} is listed twice")
        amount = _decimal(amount_text)
        if amount:
            try:
                amount = validate_amount(amount, currency)
            except StoreCreditError as error:
                raise ValueError(f"{currency}: {error.message.rstrip('.')}") from None
        amounts[currency] = amount
    return CurrencyAmounts(amounts=amounts, other=other or Decimal(0))


def _int(value, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    text = str(value).strip() if value is not None else ""
    if not re.fullmatch(r"\d+", text):
        raise ValueError("must be a whole number")
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError(f"must be between {minimum} and {maximum}")
    return number


def _status(item: str, allowed: Iterable[str]) -> str:
    """Match an order status loosely: 'Partially fulfilled' and 'partially_fulfilled'
    both mean Saleor's 'partially fulfilled'."""
    wanted = item.lower().replace("_", " ").replace("-", " ")
    for status in allowed:
        if status.replace("_", " ") == wanted:
            return status
    raise ValueError(f"{item!r} is not one of: {', '.join(allowed)}")


def _statuses(value, allowed=ORDER_STATUSES) -> list[str]:
    return [_status(item, allowed) for item in _items(value)]


def _slugs(value) -> list[str]:
    items = _items(value)
    for item in items:
        if not _SLUG.match(item):
            raise ValueError(f"{item!r} is not a valid slug")
    return items


def _skus(value) -> list[str]:
    items = _items(value)
    for item in items:
        if len(item) > 255:
            raise ValueError(f"{item[:20]!r}... is longer than 255 characters")
    return items


def _tiers(value) -> list[tuple[Decimal, Decimal]]:
    tiers: dict[Decimal, Decimal] = {}
    for item in _items(value):
        threshold_text, sep, percent_text = item.partition(":")
        if not sep:
            raise ValueError(f"{item!r} must be threshold:percent, e.g. 100:5")
        threshold = _decimal(threshold_text.strip(), allow_zero=False)
        percent = _decimal(
            percent_text.strip().rstrip("%"), allow_zero=False, maximum=Decimal(100)
        )
        if threshold in tiers:
            raise ValueError(f"threshold {threshold} is listed twice")
        tiers[threshold] = percent
    return sorted(tiers.items())


def _expiry(value) -> dict[str, int | None]:
    days: dict[str, int | None] = {}
    for item in _items(value):
        kind, sep, days_text = item.partition(":")
        kind = kind.strip().lower()
        if not sep:
            raise ValueError(f"{item!r} must be kind:days, e.g. store_credit:365")
        if kind not in LotKind.values:
            raise ValueError(
                f"{kind!r} is not a credit kind ({', '.join(LotKind.values)})"
            )
        days_text = days_text.strip()
        days[kind] = (
            None
            if days_text.lower() in ("", "never")
            else _int(days_text, minimum=1, maximum=MAX_EXPIRY_DAYS)
        )
    return days


def _kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in LotKind.values:
        raise ValueError(f"{kind!r} is not a credit kind ({', '.join(LotKind.values)})")
    return kind


def _credit_rules(value) -> dict:
    uses = dict(DEFAULT_USES)
    listed = set()
    for item in _items(value):
        kind_text, sep, uses_text = item.partition(":")
        if not sep:
            raise ValueError(f"{item!r} must be kind:uses, e.g. bonus:pay")
        kind = _kind(kind_text)
        if kind in listed:
            raise ValueError(f"{kind} is listed twice")
        listed.add(kind)
        chosen = set()
        for use in uses_text.split("+"):
            use = use.strip().lower()
            if use == "none" or not use:
                continue
            if use not in USES:
                raise ValueError(f"{use!r} is not one of pay, withdraw, transfer, none")
            chosen.add(use)
        uses[kind] = frozenset(chosen)
    return uses


def _spending_order(value) -> tuple:
    order = [_kind(item) for item in _items(value)]
    return tuple(order) if order else DEFAULT_ORDER


def _thresholds(value) -> dict[str, Decimal]:
    thresholds: dict[str, Decimal] = {}
    for item in _items(value):
        code, sep, amount_text = item.partition(":")
        if not sep:
            raise ValueError(f"{item!r} must be currency:amount, e.g. USD:500")
        try:
            currency = validate_currency(code.strip())
            amount = validate_amount(amount_text.strip(), currency)
        except StoreCreditError as error:
            raise ValueError(f"{item!r}: {error.message}") from None
        if currency in thresholds:
            raise ValueError(f"{currency} is listed twice")
        thresholds[currency] = amount
    return thresholds


def _text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must not be empty")
    if len(value) > 100:
        raise ValueError("must be at most 100 characters")
    return value.strip()


def _emails(value) -> list[str]:
    items = _items(value)
    for item in items:
        if not _EMAIL.match(item):
            raise ValueError(f"{item!r} is not an email address")
    return items


_PARSERS = {
    DISPLAY_NAME: _text,
    CHANNELS: _slugs,
    MINIMUM_ORDER_TOTAL: _decimal,
    ALLOW_PARTIAL_PAYMENT: _bool,
    CUSTOMER_TYPES: _slugs,
    RETURN_STATUSES: _statuses,
    REFUND_TO_CREDIT_STATUSES: _statuses,
    TOP_UP_SKUS: _skus,
    TOP_UP_TRIGGERS_KEY: lambda value: _statuses(value, TOP_UP_TRIGGERS),
    TOP_UP_BONUS_TIERS: _tiers,
    EXPIRY_DAYS: _expiry,
    ABANDONED_CHECKOUT_MINUTES: lambda value: _int(
        value, minimum=1, maximum=MAX_MINUTES
    ),
    AUTO_APPLY: _bool,
    ALLOW_WITHDRAWALS: _bool,
    WITHDRAWAL_MINIMUM: _currency_amounts,
    ALLOW_TRANSFERS: _bool,
    STAFF_NOTIFICATION_EMAILS: _emails,
    EXPIRY_REMINDER_DAYS: lambda value: _int(value, minimum=0, maximum=3650),
    APPROVAL_THRESHOLD: _thresholds,
    CREDIT_RULES: _credit_rules,
    SPENDING_ORDER: _spending_order,
}


def raw_configuration(configuration: list[dict] | None) -> dict:
    """{name: value} of the defaults overlaid with what is stored."""
    raw = {item["name"]: item["value"] for item in DEFAULT_CONFIGURATION}
    for item in configuration or []:
        if isinstance(item, dict) and "name" in item:
            raw[item["name"]] = item.get("value")
    return raw


def parse_settings(
    configuration: list[dict] | None, *, active: bool = True
) -> StoreCreditSettings:
    """Typed settings from Saleor's configuration list; missing names take defaults.

    Raises django ValidationError with one message per bad field, keyed by the
    setting's name, so the Dashboard shows what to fix.
    """
    raw = raw_configuration(configuration)
    values = {}
    errors = {}
    for name, parser in _PARSERS.items():
        try:
            values[name] = parser(raw.get(name))
        except ValueError as error:
            label = CONFIG_STRUCTURE[name]["label"]
            errors[name] = ValidationError(f"{label}: {error}.", code="invalid")
    if errors:
        raise ValidationError(errors)
    if set(values[RETURN_STATUSES]) & set(values[REFUND_TO_CREDIT_STATUSES]):
        raise ValidationError(
            {
                REFUND_TO_CREDIT_STATUSES: ValidationError(
                    "An order status cannot both return the credit paid and refund "
                    "the whole order to store credit.",
                    code="invalid",
                )
            }
        )
    return StoreCreditSettings(active=bool(active), raw=raw, **values)


def get_settings() -> StoreCreditSettings:
    """The global configuration as stored now (read on every call: no cache).

    Not configured yet: the defaults, inactive. A stored configuration that no
    longer parses (edited outside the Dashboard) leaves the gateway inactive
    rather than half-working.
    """
    from saleor.core.db.connection import allow_writer
    from saleor.plugins.models import PluginConfiguration

    with allow_writer():
        stored = (
            PluginConfiguration.objects.filter(
                identifier=PLUGIN_ID, channel__isnull=True
            )
            .values("active", "configuration")
            .first()
        )
    if stored is None:
        return parse_settings([], active=False)
    try:
        return parse_settings(stored["configuration"], active=stored["active"])
    except ValidationError as error:
        logger.error("Store-credit configuration is invalid: %s", error.messages)
        return StoreCreditSettings(
            active=False, raw=raw_configuration(stored["configuration"])
        )
