"""Serve the store-credit fields from Saleor's own /graphql/ endpoint.

Saleor builds its schema once, in `saleor.graphql.api`, and the URL conf and
the GraphQL view import it by name. `install()` runs from the app's ready():
it subclasses Saleor's Query and Mutation with this plugin's mixins, builds the
schema again with the same types, subscription and directives, and rebinds the
module attributes that hold it; Saleor's User, Checkout and Order types get
their `storeCredit` field the same way. The Saleor internals this touches live
in saleor_compat. Every process that calls django.setup() (the
ASGI server, Celery workers, management commands, tests) does the same, so no
setting beyond installing the app is needed.
"""

from .. import saleor_compat
from ..gateway import callers
from .checkout.payment_create import guard as payment_create_guard
from .utils import get_requestor


def install():
    """Extend Saleor's schema once per process; return the schema in use."""
    api = saleor_compat.saleor_api()

    if getattr(api.schema, "storecredit_extended", False):
        return api.schema

    from .query_cost import register_query_costs
    from .schema import StoreCreditMutations, StoreCreditQueries, extend_saleor_types

    mutation_mixins = [StoreCreditMutations]
    checkout_mutations = _checkout_mutations()
    if checkout_mutations is not None:
        mutation_mixins.append(checkout_mutations)

    original = api.schema
    extend_saleor_types()
    query = type("Query", (StoreCreditQueries, api.Query), {})
    mutation = type("Mutation", (*mutation_mixins, api.Mutation), {})
    schema = saleor_compat.build_schema_like(original, query=query, mutation=mutation)
    schema.storecredit_extended = True
    schema.storecredit_original = original

    tell_who_asks(schema, mutation)
    saleor_compat.monitor_fields_usage(schema)
    register_query_costs()
    saleor_compat.rebind_schema(original, schema, query, mutation)
    return schema


def tell_who_asks(schema, mutation):
    """Let the gateway know who sent each mutation (gateway/callers.py): the
    plugin's hooks run inside Saleor's mutations and Saleor hands them no
    requestor for anonymous callers, which would look like Saleor's own
    background work."""
    fields = schema.get_mutation_type().fields
    payment_create = fields.get("checkoutPaymentCreate")
    if payment_create is not None and payment_create.resolver is not None:
        payment_create.resolver = payment_create_guard(
            payment_create.resolver,
            saleor_compat.mutation_class(mutation, "checkout_payment_create"),
        )
    for name, field in fields.items():
        if field.resolver is not None:
            field.resolver = _with_caller(field.resolver, name)


def _with_caller(resolver, name):
    def resolve(root, info, **args):
        def who():
            requestor = get_requestor(info)
            return requestor.user, requestor.app

        with callers.asking(who, name):
            return resolver(root, info, **args)

    return resolve


def _checkout_mutations():
    """The gateway's checkout mutations, when that part of the plugin is present."""
    try:
        from .checkout.schema import StoreCreditCheckoutMutations
    except ImportError as error:
        if error.name and error.name.startswith(__package__ + ".checkout"):
            return None
        raise
    return StoreCreditCheckoutMutations
