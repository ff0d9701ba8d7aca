"""Serve the store-credit fields from Saleor's own /graphql/ endpoint.

Saleor builds its schema once, in `saleor.graphql.api`, and the URL conf and
the GraphQL view import it by name. `install()` runs from the app's ready():
it subclasses Saleor's Query and Mutation with this plugin's mixins, builds the
schema again with the same types, subscription and directives, and rebinds the
module attributes that hold it. Every process that calls django.setup() (the
ASGI server, Celery workers, management commands, tests) does the same, so no
setting beyond installing the app is needed.
"""

import sys

from django.apps import apps

# Modules that import `schema` by name from saleor.graphql.api.
_SCHEMA_HOLDERS = (
    "saleor.graphql.api",
    "saleor.graphql.views",
    "saleor.urls",
    "saleor.graphql.management.commands.get_graphql_schema",
)
_FEDERATION_TYPES = {"_Any", "_Entity", "_Service"}


def saleor_graphql_available() -> bool:
    return apps.is_installed("saleor.graphql")


def install():
    """Extend Saleor's schema once per process; return the schema in use."""
    from saleor.graphql import api

    if getattr(api.schema, "storecredit_extended", False):
        return api.schema

    from .query_cost import register_query_costs
    from .schema import StoreCreditMutations, StoreCreditQueries

    mutation_mixins = [StoreCreditMutations]
    checkout_mutations = _checkout_mutations()
    if checkout_mutations is not None:
        mutation_mixins.append(checkout_mutations)

    original = api.schema
    query = type("Query", (StoreCreditQueries, api.Query), {})
    mutation = type("Mutation", (*mutation_mixins, api.Mutation), {})
    schema = build_schema_like(original, query=query, mutation=mutation)
    schema.storecredit_extended = True
    schema.storecredit_original = original

    monitor = getattr(api, "monitor_fields_usage", None)
    if monitor is not None:
        monitor(schema)
    register_query_costs()
    _rebind(original, schema, query, mutation)
    return schema


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


def _checkout_mutations():
    """The gateway's checkout mutations, when that part of the plugin is present."""
    try:
        from .checkout.schema import StoreCreditCheckoutMutations
    except ImportError as error:
        if error.name and error.name.startswith(__package__ + ".checkout"):
            return None
        raise
    return StoreCreditCheckoutMutations


def _rebind(original, schema, query, mutation):
    for name in _SCHEMA_HOLDERS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "schema", None) is original:
            module.schema = schema
    api = sys.modules["saleor.graphql.api"]
    api.Query = query
    api.Mutation = mutation
    # A URL conf imported before ready() already built its view with the old
    # schema; its keyword arguments are shared with the view function.
    urls = sys.modules.get("saleor.urls")
    for pattern in getattr(urls, "urlpatterns", ()):
        initkwargs = getattr(pattern.callback, "view_initkwargs", None)
        if initkwargs and initkwargs.get("schema") is original:
            initkwargs["schema"] = schema
