"""Saleor plugin: store credit as a payment gateway, with its Dashboard settings.

Global (one configuration for every channel; the channels it is offered in are
a setting) so that it runs after Saleor's always-on webhook plugin and its
transaction results land last. Inactive until the merchant enables it. Every
method starts by handing back `previous_value` when inactive, as Saleor expects.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from saleor.plugins.base_plugin import BasePlugin

from . import config
from .config import PLUGIN_ID, StoreCreditSettings, parse_settings
from .dashboard import views as dashboard_views
from .error_codes import StoreCreditErrorCode
from .exceptions import StoreCreditError
from .notifications_config import validate_notification_configuration
from .saleor_compat import SUPPORTED_RANGE, unsupported_reason

logger = logging.getLogger(__name__)

# On a Saleor older than the supported range the gateway's modules cannot be
# imported (they use names Saleor added later): the plugin loads, stays off and
# says why, and Saleor starts as without it.
UNSUPPORTED_REASON = unsupported_reason()
if UNSUPPORTED_REASON is None:
    from .gateway import callers, eligibility, orders, payments, transactions
    from .ledger import reads

DESCRIPTION = (
    "Customers pay with their store-credit balance, fully or in part, and get "
    f"credit back on refunds, cancellations and returns. Supports Saleor "
    f"{SUPPORTED_RANGE}."
)


class StoreCreditPlugin(BasePlugin):
    PLUGIN_ID = PLUGIN_ID
    PLUGIN_NAME = config.PLUGIN_NAME
    PLUGIN_DESCRIPTION = (
        DESCRIPTION
        if UNSUPPORTED_REASON is None
        else f"{UNSUPPORTED_REASON} {DESCRIPTION}"
    )
    CONFIGURATION_PER_CHANNEL = False
    DEFAULT_ACTIVE = False
    DEFAULT_CONFIGURATION = config.DEFAULT_CONFIGURATION
    CONFIG_STRUCTURE = config.config_structure(UNSUPPORTED_REASON)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if UNSUPPORTED_REASON is not None:
            # Every method starts with `if not self.active`: nothing runs.
            self.active = False

    @property
    def settings(self) -> StoreCreditSettings:
        """This request's settings, parsed once from the configuration Saleor loaded."""
        cached = getattr(self, "_storecredit_settings", None)
        if cached is None:
            try:
                cached = parse_settings(self.configuration, active=self.active)
            except ValidationError as error:
                logger.error("Store-credit configuration is invalid: %s", error)
                cached = StoreCreditSettings(active=False)
            self._storecredit_settings = cached
        return cached

    def _caller(self):
        """Who asks for what runs now (gateway/callers.py)."""
        return callers.current(self.requestor)

    # --- Dashboard configuration --------------------------------------------------

    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration, **kwargs):
        """Refuse bad Dashboard input with a message per setting."""
        if UNSUPPORTED_REASON is not None and plugin_configuration.active:
            raise ValidationError(
                {"active": ValidationError(UNSUPPORTED_REASON, code="invalid")}
            )
        settings = parse_settings(
            plugin_configuration.configuration, active=plugin_configuration.active
        )
        errors = {}
        from saleor.account.models import CustomerType
        from saleor.channel.models import Channel

        if settings.channels:
            known = set(
                Channel.objects.filter(slug__in=settings.channels).values_list(
                    "slug", flat=True
                )
            )
            if unknown := [slug for slug in settings.channels if slug not in known]:
                errors[config.CHANNELS] = ValidationError(
                    f"Channels: no channel with slug {', '.join(unknown)}.",
                    code="not_found",
                )
        if settings.customer_types:
            known = set(
                CustomerType.objects.filter(
                    slug__in=settings.customer_types
                ).values_list("slug", flat=True)
            )
            unknown = [slug for slug in settings.customer_types if slug not in known]
            if unknown:
                errors[config.CUSTOMER_TYPES] = ValidationError(
                    f"Customer types: no customer type with slug {', '.join(unknown)}.",
                    code="not_found",
                )
        try:
            validate_notification_configuration(settings.raw)
        except ValidationError as error:
            errors.update(error.error_dict)
        if errors:
            raise ValidationError(errors)

    # --- the Store credit app for the Dashboard ---------------------------------

    def webhook(self, request, path, previous_value):
        """Serve the app's manifest, token target and pages (saleor_storecredit.dashboard)."""
        if not self.active:
            return previous_value
        return dashboard_views.handle(request, path) or previous_value

    # --- gateway listing ----------------------------------------------------------

    def get_supported_currencies(self, previous_value):
        if not self.active:
            return previous_value
        # Accounts exist per currency: every channel currency is supported.
        from saleor.channel.models import Channel

        return sorted(
            set(Channel.objects.values_list("currency_code", flat=True).distinct())
        )

    def get_payment_config(self, previous_value):
        if not self.active:
            return previous_value
        settings = self.settings
        return [
            {"field": "display_name", "value": settings.display_name},
            {
                "field": "allow_partial_payment",
                "value": settings.allow_partial_payment,
            },
        ]

    def get_payment_gateways(
        self, currency, checkout_info, checkout_lines, previous_value
    ):
        """Listed for a checkout only when its customer could pay with credit now.

        Without a checkout (Saleor checking a gateway id when a payment is
        created) the gateway is listed and the rules are applied when paying.
        """
        if not self.active:
            return previous_value
        from saleor.payment.interface import PaymentGateway

        settings = self.settings
        if checkout_info is not None:
            if not self._eligible_for_checkout(settings, checkout_info, checkout_lines):
                return []
            currencies = [checkout_info.checkout.currency]
        else:
            currencies = [currency] if currency else self.get_supported_currencies([])
        return [
            PaymentGateway(
                id=self.PLUGIN_ID,
                name=settings.display_name,
                config=self.get_payment_config([]),
                currencies=currencies,
            )
        ]

    def _eligible_for_checkout(self, settings, checkout_info, checkout_lines) -> bool:
        """Listed only where `Checkout.storeCredit` says eligible: the same
        function decides, for the caller who asks."""
        from saleor.checkout.calculations import (
            calculate_checkout_total_with_gift_cards,
        )

        checkout = checkout_info.checkout
        user = checkout_info.user
        caller = self._caller()
        if user is None or not caller.may_spend_for(checkout.user_id):
            return False
        total = calculate_checkout_total_with_gift_cards(
            manager=checkout_info.manager,
            checkout_info=checkout_info,
            lines=checkout_lines or [],
            database_connection_name=checkout_info.database_connection_name,
        ).gross.amount
        applied, others = transactions.checkout_paid(
            checkout.pk, using=checkout_info.database_connection_name
        )
        refusal = eligibility.checkout_refusal(
            settings,
            may_spend=True,
            customer=user,
            channel_slug=checkout_info.channel.slug,
            currency=checkout.currency,
            total=total,
            products=eligibility.line_info_products(checkout_lines),
            account=reads.account(
                user.pk,
                checkout.currency,
                using=checkout_info.database_connection_name,
            ),
            applied=applied,
            paid_by_others=others,
        )
        return refusal is None

    def token_is_required_as_payment_input(self, previous_value):
        if not self.active:
            return previous_value
        return False

    # --- the legacy Payment API road -------------------------------------------

    def process_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.process_payment(
            self.settings, payment_information, self._caller()
        )

    def authorize_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.authorize_payment(
            self.settings, payment_information, self._caller()
        )

    def capture_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.capture_payment(payment_information)

    def void_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.void_payment(payment_information)

    def refund_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.refund_payment(payment_information)

    def confirm_payment(self, payment_information, previous_value):
        if not self.active:
            return previous_value
        return payments.confirm_payment(
            self.settings, payment_information, self._caller()
        )

    # --- the Transactions API road ------------------------------------------------

    def _is_ours(self, transaction_data) -> bool:
        return transaction_data.transaction.app_identifier == self.PLUGIN_ID

    def transaction_charge_requested(self, transaction_data, previous_value):
        if not self.active or not self._is_ours(transaction_data):
            return previous_value
        skipped = transactions.webhook_skip_notices(transaction_data.event)
        transactions.charge(
            transaction_data.transaction,
            transaction_data.event,
            transaction_data.action_value,
        )
        # Handled, its outcome recorded: the webhook plugin's "skipped" notice
        # would read as a failure in the Dashboard.
        transactions.withdraw_webhook_skip_notices(skipped)
        return previous_value

    def transaction_refund_requested(self, transaction_data, previous_value):
        if not self.active or not self._is_ours(transaction_data):
            return previous_value
        skipped = transactions.webhook_skip_notices(transaction_data.event)
        transactions.refund(
            transaction_data.transaction,
            transaction_data.event,
            transaction_data.action_value,
        )
        # Handled, its outcome recorded: the webhook plugin's "skipped" notice
        # would read as a failure in the Dashboard.
        transactions.withdraw_webhook_skip_notices(skipped)
        return previous_value

    def transaction_cancelation_requested(self, transaction_data, previous_value):
        if not self.active or not self._is_ours(transaction_data):
            return previous_value
        skipped = transactions.webhook_skip_notices(transaction_data.event)
        transactions.cancel(
            transaction_data.transaction,
            transaction_data.event,
            transaction_data.action_value,
        )
        # Handled, its outcome recorded: the webhook plugin's "skipped" notice
        # would read as a failure in the Dashboard.
        transactions.withdraw_webhook_skip_notices(skipped)
        return previous_value

    def preprocess_order_creation(self, checkout_info, lines, previous_value):
        """Before an order is created, never hold more credit than it still needs.

        A failure stops the completion with an error the customer can read:
        completing anyway could create an order the held credit does not match.
        """
        if not self.active:
            return previous_value
        try:
            transactions.check_guest_top_up(self.settings, checkout_info, lines or [])
            transactions.reconcile_checkout(
                self.settings,
                checkout_info,
                lines or [],
                checkout_info.manager,
                self._caller(),
            )
        except StoreCreditError as error:
            raise transactions.completion_error(error.message) from error
        except DatabaseError as error:
            logger.exception(
                "Could not reconcile store credit on checkout %s.",
                checkout_info.checkout.pk,
            )
            raise transactions.completion_error(
                "Your store credit could not be checked. Nothing was taken; "
                "please try again."
            ) from error
        return previous_value

    def _checkout_changed(self, checkout):
        """Someone else's change of a checkout releases its credit; its
        customer's own change (or an app acting for them) may apply it."""
        if getattr(self, "_storecredit_applying", False):
            return  # the checkout changed by applying credit to it
        caller = self._caller()
        if not caller.may_spend_for(checkout.user_id):
            transactions.release_checkout_credit(
                checkout.pk,
                message="Released: the checkout was changed by someone else.",
            )
            payments.cancel_checkout_payments(checkout.pk)
            return
        # The customer changed (attach): the previous customer's credit goes back.
        transactions.release_checkout_credit(
            checkout.pk,
            only_not_owned=True,
            message="Released: the checkout's customer changed.",
        )
        self._auto_apply(checkout, caller)

    def _auto_apply(self, checkout, caller):
        settings = self.settings
        if not settings.auto_apply or checkout.user_id is None:
            return
        self._storecredit_applying = True
        try:
            from saleor.plugins.manager import get_plugins_manager

            transactions.apply_to_checkout(
                settings,
                caller=caller,
                checkout_pk=checkout.pk,
                manager=get_plugins_manager(allow_replica=False),
                quiet_when_nothing_to_do=True,
            )
        except StoreCreditError as error:
            # A refusal (no credit, not eligible, a top-up in the cart): the
            # customer pays another way; nothing was written.
            if error.code == StoreCreditErrorCode.NOT_PAYABLE_WITH_CREDIT:
                # Credit applied automatically before a top-up or gift card
                # was added goes back; completion would refuse it anyway.
                transactions.release_checkout_credit(checkout.pk)
            logger.info(
                "Store credit not applied automatically to %s: %s",
                checkout.pk,
                error.code.value,
            )
        except DatabaseError:
            # Rolled back whole (one transaction); the next change retries.
            logger.exception("Could not apply store credit to %s.", checkout.pk)
        finally:
            self._storecredit_applying = False

    def checkout_created(self, checkout, previous_value, webhooks=None):
        if not self.active:
            return previous_value
        self._checkout_changed(checkout)
        return previous_value

    def checkout_updated(self, checkout, previous_value, webhooks=None):
        if not self.active:
            return previous_value
        self._checkout_changed(checkout)
        return previous_value

    # --- orders -----------------------------------------------------------------

    def _order_changed(self, order, previous_value):
        if not self.active:
            return previous_value
        orders.handle_order_hook(order, self.settings)
        return previous_value

    def order_created(self, order, previous_value, webhooks=None):
        if not self.active:
            return previous_value
        # Before Saleor's order_created looks at the charge status (after the
        # plugins): the order is then handled as one created paid.
        orders.handle_order_hook(order, self.settings, created=True)
        return previous_value

    def order_confirmed(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_updated(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_fully_paid(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_paid(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_cancelled(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_expired(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_fulfilled(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_refunded(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)

    def order_fully_refunded(self, order, previous_value, webhooks=None):
        return self._order_changed(order, previous_value)
