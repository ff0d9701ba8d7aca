"""The store-credit fields are served by Saleor's own /graphql/ endpoint."""

from saleor.graphql.tests.utils import get_graphql_content

QUERY = """
query {
  storeCreditAccounts(first: 10) {
    edges { node { currency balance { amount currency } available { amount } } }
  }
}
"""


def test_customer_reads_balance_through_saleor_endpoint(
    user_api_client, customer_user, credit
):
    credit(customer_user, "12.50")

    content = get_graphql_content(user_api_client.post_graphql(QUERY))

    edges = content["data"]["storeCreditAccounts"]["edges"]
    assert [edge["node"]["balance"] for edge in edges] == [
        {"amount": 12.5, "currency": "USD"}
    ]
    assert edges[0]["node"]["available"] == {"amount": 12.5}


def test_schema_is_rebound_everywhere_saleor_imports_it():
    from saleor import urls
    from saleor.graphql import api, views

    assert api.schema.storecredit_extended
    assert views.schema is api.schema
    api_view = next(p for p in urls.urlpatterns if p.name == "api")
    assert api_view.callback.view_initkwargs["schema"] is api.schema
    assert "storeCreditAdjust" in api.schema.get_mutation_type().fields
