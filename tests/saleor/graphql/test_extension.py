"""The store-credit fields are served by Saleor's own /graphql/ endpoint."""

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_installing_twice_keeps_one_schema():
    from saleor.graphql import api

    from saleor_storecredit.graphql.extension import install

    assert install() is api.schema


FRESH_PROCESS = """
import asyncio, json
from saleor.asgi import application  # what uvicorn loads: django.setup() inside
from saleor.celeryconf import app  # what a Celery worker loads
from django.urls import get_resolver
from saleor.graphql import api, views

view = get_resolver().resolve("/graphql/").func
print(json.dumps({
    "served": view.view_initkwargs["schema"] is api.schema,
    "views": views.schema is api.schema,
    "fields": sorted(f for f in api.schema.get_query_type().fields if f.startswith("storeCredit")),
}))
"""


def test_a_fresh_asgi_or_celery_process_serves_the_fields():
    """No settings beyond the installed app: a new process extends the schema itself."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.saleor.settings"}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )

    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["served"] and state["views"]
    assert "storeCreditAccounts" in state["fields"]
