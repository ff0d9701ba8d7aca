"""Every Saleor internal the plugin relies on, in one place.

Saleor offers plugins BasePlugin, its models and its GraphQL base classes. What
is below is not offered: private functions, module attributes rebound at start,
the query cost map, data loader keys, the wrappers its GraphQL types expect.
Each entry says the Saleor versions it was checked on; a Saleor upgrade starts
here. The module imports nothing from Saleor at import time, so it answers
"is this Saleor supported?" on any version, also where Saleor is absent.
"""

import logging
import re
import sys

logger = logging.getLogger(__name__)

# The oldest Saleor the plugin runs on: below it, it imports names Saleor does
# not have yet (CustomerType, giftcard.lock_objects, the transaction request
# helper, the checkout price data loader — all added in 3.23).
MINIMUM_VERSION = (3, 23)
SUPPORTED_RANGE = "3.23 and newer"
CHECKED_ON = ("3.23.28", "3.24.0-a.0")


def saleor_version() -> str | None:
    try:
        import saleor
    except ImportError:
        return None
    return getattr(saleor, "__version__", None)


def parse_version(version: str) -> tuple[int, int] | None:
    match = re.match(r"\s*(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def unsupported_reason(version: str | None = None) -> str | None:
    """Why the plugin must stay off on this Saleor, or None when it may run."""
    version = saleor_version() if version is None else version
    if version is None:
        return None  # the bare ledger, without Saleor: nothing to refuse
    parsed = parse_version(version)
    if parsed is None:
        return (
            f"Store credit is off: Saleor's version {version!r} cannot be read; "
            f"the plugin supports Saleor {SUPPORTED_RANGE}."
        )
    if parsed < MINIMUM_VERSION:
        return (
            f"Store credit is off: it needs Saleor {SUPPORTED_RANGE} and this is "
            f"Saleor {version}. Upgrade Saleor, or install a plugin release made "
            "for this version."
        )
    return None


def log_if_unsupported() -> str | None:
    reason = unsupported_reason()
    if reason is not None:
        logger.warning("saleor-storecredit: %s", reason)
    return reason


# --- wrappers Saleor's GraphQL types expect ------------------------------------
# Checked on 3.23.28 and 3.24.0-a.0: Order and Checkout types (and their
# connections) take `SyncWebhookControlContext(node=...)` and read `root.node`.


def wrap_for_graphql(node, allow_sync_webhooks: bool = True):
    """A Saleor model as Saleor's own resolvers hand it to Order and Checkout."""
    from saleor.graphql.core.context import SyncWebhookControlContext

    if node is None:
        return None
    return SyncWebhookControlContext(node=node, allow_sync_webhooks=allow_sync_webhooks)


def unwrap(root):
    """The model behind a root Saleor wrapped (or the root itself)."""
    return getattr(root, "node", root)


# --- data loader keys ------------------------------------------------------------
# Checked on 3.23.28 and 3.24.0-a.0: the checkout price calculation loader is
# keyed by (checkout token, allow sync webhooks, force status update) and
# answers (CheckoutInfo, [CheckoutLineInfo]) after fetch_checkout_data.


def checkout_price_loader(context):
    from saleor.graphql.checkout.dataloaders.calculations import (
        CheckoutPriceCalculationByCheckoutIdAndWebhookSyncAndForceStatusUpdateLoader,
    )

    return CheckoutPriceCalculationByCheckoutIdAndWebhookSyncAndForceStatusUpdateLoader(
        context
    )


def load_priced_checkout(context, checkout, allow_sync_webhooks: bool):
    """Promise of (CheckoutInfo, lines) priced as `Checkout.totalPrice` prices it."""
    return checkout_price_loader(context).load(
        (checkout.token, allow_sync_webhooks, False)
    )


# Saleor's loaders keyed by primary key (3.23.28, 3.24.0-a.0): sharing them
# shares their per-request cache with Saleor's own resolvers.


def load_user(context, pk):
    from saleor.graphql.account.dataloaders import UserByUserIdLoader

    return UserByUserIdLoader(context).load(pk)


def load_app(context, pk):
    from saleor.graphql.app.dataloaders import AppByIdLoader

    return AppByIdLoader(context).load(pk)


def load_order(context, pk):
    """Promise of the order wrapped as Saleor's Order type expects it."""
    from saleor.graphql.order.dataloaders import OrderByIdLoader

    return OrderByIdLoader(context).load(pk).then(wrap_for_graphql)


def load_checkout_transactions(context, checkout_pk):
    from saleor.graphql.checkout.dataloaders.models import (
        TransactionItemsByCheckoutIDLoader,
    )

    return TransactionItemsByCheckoutIDLoader(context).load(checkout_pk)


def prime_checkout_prices(context, checkout_info, lines):
    """Answer the checkout fields of a mutation's response from the checkout
    the mutation has just priced, instead of pricing it again."""
    loader = checkout_price_loader(context)
    token = checkout_info.checkout.token
    for allow_sync_webhooks in (True, False):
        for force_status_update in (True, False):
            loader.prime(
                (token, allow_sync_webhooks, force_status_update),
                (checkout_info, lines),
            )


# --- functions Saleor keeps outside its public API ---------------------------------


def create_transaction_event_requested(*args, **kwargs):
    """Record a refund/cancel/charge request on a TransactionItem, as Saleor's
    `transactionRequestAction` does. GraphQL-layer helper; 3.23.28, 3.24.0-a.0."""
    from saleor.graphql.payment.mutations.transaction import utils

    return utils.create_transaction_event_requested(*args, **kwargs)


# What Saleor's webhook plugin records as a failure event on a transaction
# request for an item no app owns (saleor/plugins/webhook/plugin.py
# `_request_transaction_action`, and the synchronous transport's
# `trigger_transaction_request`); checked on 3.23.28 and 3.24.0-a.0.
WEBHOOK_SKIP_NOTICES = (
    "Transaction request skipped. Missing relation to PaymentApp.",
    "Cannot process the action as the given transaction is not attached to any app.",
)


def gift_card_qs_select_for_update():
    """Saleor's lock order for gift cards (saleor.giftcard.lock_objects, added in
    3.23; checked on 3.23.28 and 3.24.0-a.0)."""
    from saleor.giftcard.lock_objects import gift_card_qs_select_for_update as qs

    return qs()


# --- extending Saleor's schema ---------------------------------------------------
# Checked on 3.23.28 and 3.24.0-a.0: saleor.graphql.api builds `schema` once with
# build_federated_schema(Query, mutation=Mutation, types=..., subscription=...,
# directives=...); these modules import it by name; saleor.urls builds its view
# with `schema` as an init keyword; graphene 2 reads an ObjectType's
# `_meta.fields` when a schema is built.

SCHEMA_HOLDERS = (
    "saleor.graphql.api",
    "saleor.graphql.views",
    "saleor.urls",
    "saleor.graphql.management.commands.get_graphql_schema",
)
_FEDERATION_TYPES = {"_Any", "_Entity", "_Service"}


def completes_paid_checkouts(channel) -> bool:
    """Whether Saleor completes the channel's fully paid checkouts by itself,
    in a background task (Channel.automatically_complete_fully_paid_checkouts;
    checked on 3.23.28 and 3.24.0-a.0)."""
    return bool(getattr(channel, "automatically_complete_fully_paid_checkouts", False))


def saleor_api():
    from saleor.graphql import api

    return api


def build_schema_like(original, *, query, mutation):
    """Build a schema as saleor.graphql.api does, taking its extra types,
    subscription and directives from the schema Saleor built."""
    from saleor.graphql.core.federation.schema import build_federated_schema

    types = [
        graphene_type
        for graphene_type in (original.types or [])
        if getattr(getattr(graphene_type, "_meta", None), "name", None)
        not in _FEDERATION_TYPES
    ]
    return build_federated_schema(
        query,
        mutation=mutation,
        types=types,
        subscription=original._subscription,
        directives=original.get_directives(),
    )


def monitor_fields_usage(schema):
    monitor = getattr(saleor_api(), "monitor_fields_usage", None)
    if monitor is not None:
        monitor(schema)


def rebind_schema(original, schema, query, mutation):
    """Make every holder of Saleor's schema serve `schema` instead."""
    for name in SCHEMA_HOLDERS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "schema", None) is original:
            module.schema = schema
    api = saleor_api()
    api.Query = query
    api.Mutation = mutation
    # A URL conf imported before ready() already built its view with the old
    # schema; its keyword arguments are shared with the view function.
    urls = sys.modules.get("saleor.urls")
    for pattern in getattr(urls, "urlpatterns", ()):
        initkwargs = getattr(pattern.callback, "view_initkwargs", None)
        if initkwargs and initkwargs.get("schema") is original:
            initkwargs["schema"] = schema


def allow_writer():
    """Saleor refuses reads of the writer database in a request outside this
    context (saleor.core.db.connection.allow_writer; checked on 3.23.28 and
    3.24.0-a.0); a mutation's checks read what it is about to write."""
    from saleor.core.db.connection import allow_writer as saleor_allow_writer

    return saleor_allow_writer()


def mutation_class(mutation, field_name: str):
    """The mutation class behind a field of Saleor's Mutation type (its
    `handle_errors` answers with the mutation's own error type); checked on
    3.23.28 and 3.24.0-a.0."""
    return mutation._meta.fields[field_name].type


def add_fields(graphene_type, **fields):
    """Add fields (with their resolvers) to one of Saleor's object types before
    the schema is rebuilt: graphene 2's `extend type`. Idempotent."""
    for name, field in fields.items():
        graphene_type._meta.fields.setdefault(name, field)


# --- query cost --------------------------------------------------------------------
# Checked on 3.23.28 and 3.24.0-a.0: the GraphQL view validates queries against
# saleor.graphql.query_cost_map.COST_MAP, imported by name (so it is extended in
# place).


def register_query_costs(costs: dict):
    from saleor.graphql.query_cost_map import COST_MAP

    for type_name, fields in costs.items():
        COST_MAP.setdefault(type_name, {}).update(fields)


# saleor/giftcard/const.py: the app identifier of the TransactionItems of
# Saleor's own gift-card payment gateway (checked on 3.23.28, 3.24.0-a.0).
GIFT_CARD_GATEWAY_ID = "saleor.io.gift-card-payment-gateway"


def refunded_lines(order) -> tuple[dict, bool]:
    """({order line id: quantity refunded}, whether shipping was refunded),
    from what Saleor records of refunds by line: granted refunds that were
    processed (status SUCCESS) and fulfillments of refunded products (the
    Payment API's refunds with lines). Checked on 3.23.28, 3.24.0-a.0."""
    from django.db.models import Sum
    from saleor.order import FulfillmentStatus, OrderGrantedRefundStatus
    from saleor.order.models import FulfillmentLine, OrderGrantedRefundLine

    quantities: dict = {}
    granted = (
        OrderGrantedRefundLine.objects.filter(
            granted_refund__order_id=order.pk,
            granted_refund__status=OrderGrantedRefundStatus.SUCCESS,
        )
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"))
    )
    refunded = (
        FulfillmentLine.objects.filter(
            fulfillment__order_id=order.pk,
            fulfillment__status__in=[
                FulfillmentStatus.REFUNDED,
                FulfillmentStatus.REFUNDED_AND_RETURNED,
            ],
        )
        .values("order_line_id")
        .annotate(quantity=Sum("quantity"))
    )
    for row in [*granted, *refunded]:
        line = row["order_line_id"]
        quantities[line] = quantities.get(line, 0) + row["quantity"]
    shipping = order.granted_refunds.filter(
        status=OrderGrantedRefundStatus.SUCCESS, shipping_costs_included=True
    ).exists()
    return quantities, shipping
