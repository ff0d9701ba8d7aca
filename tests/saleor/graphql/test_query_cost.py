"""Every store-credit list has a query-cost entry, so nested lists cannot bypass
Saleor's query-cost limit."""

from saleor.graphql.api import schema
from saleor.graphql.query_cost_map import COST_MAP

from .conftest import outcome


def _paginated_fields():
    for type_name, type_ in schema.get_type_map().items():
        if not (type_name == "Query" or type_name.startswith("StoreCredit")):
            continue
        for field_name, field in getattr(type_, "fields", {}).items():
            if type_name == "Query" and not field_name.startswith("storeCredit"):
                continue
            if "first" in getattr(field, "args", {}):
                yield type_name, field_name


def test_every_store_credit_connection_has_a_cost_entry():
    fields = list(_paginated_fields())

    assert ("Query", "storeCreditTransactions") in fields
    assert ("StoreCreditAccount", "transactions") in fields
    for type_name, field_name in fields:
        entry = COST_MAP[type_name][field_name]
        assert entry["multipliers"] == ["first", "last"], (type_name, field_name)


def test_nested_lists_are_priced(world, caller):
    query = """
    query {
      storeCreditAccounts(first: 100) { edges { node {
        transactions(first: 100) { edges { node {
          account { transactions(first: 100) { edges { node { id } } } }
        } } }
      } } }
    }
    """

    status, messages = outcome(
        caller("staff").post_graphql(query), "storeCreditAccounts"
    )

    assert status == "error"
    assert "exceeds the maximum cost" in messages[0]
