"""Run against Saleor's own fixtures, the way Saleor's root conftest does."""

import importlib.util

import django.test
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.testcases import TransactionTestCase
from saleor.tests.utils import prepare_test_db_connections

from saleor_storecredit.ledger.verification import find_problems

TEST_DATABASES = {
    settings.DATABASE_CONNECTION_DEFAULT_NAME,
    settings.DATABASE_CONNECTION_REPLICA_NAME,
}
django.test.TransactionTestCase.databases = TEST_DATABASES
django.test.TestCase.databases = TEST_DATABASES

prepare_test_db_connections()

_SALEOR_FIXTURES = [
    "saleor.tests.fixtures",
    "saleor.app.tests.fixtures",
    "saleor.plugins.tests.fixtures",
    "saleor.graphql.tests.fixtures",
    "saleor.webhook.tests.fixtures",
    "saleor.tax.tests.fixtures",
    "saleor.channel.tests.fixtures",
    "saleor.page.tests.fixtures",
    "saleor.menu.tests.fixtures",
    "saleor.warehouse.tests.fixtures",
    "saleor.thumbnail.tests.fixtures",
    "saleor.order.tests.fixtures",
    "saleor.product.tests.fixtures",
    "saleor.site.tests.fixtures",
    "saleor.shipping.tests.fixtures",
    "saleor.permission.tests.fixtures",
    "saleor.giftcard.tests.fixtures",
    "saleor.discount.tests.fixtures",
    "saleor.checkout.tests.fixtures",
    "saleor.attribute.tests.fixtures",
    "saleor.account.tests.fixtures",
    "saleor.graphql.account.tests.fixtures",
    "saleor.payment.tests.fixtures",
    "saleor.webhook.tests.circuit_breaker.fixtures",
]


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# Fixture modules move between Saleor releases: load those this release has.
pytest_plugins = [module for module in _SALEOR_FIXTURES if _exists(module)]


class _FlushWithCascade(TransactionTestCase):
    """As in Saleor's conftest: flush with CASCADE after transactional tests."""

    def _fixture_teardown(self):
        for db_name in self._databases_names(include_mirrors=False):
            inhibit_post_migrate = self.available_apps is not None or (
                self.serialized_rollback
                and hasattr(connections[db_name], "_test_serialized_contents")
            )
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=db_name,
                reset_sequences=False,
                allow_cascade=True,
                inhibit_post_migrate=inhibit_post_migrate,
            )


django.test.TransactionTestCase = _FlushWithCascade


def _uses_database(request) -> bool:
    return (
        request.node.get_closest_marker("django_db") is not None
        or "_django_db_helper" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def ledger_verified(request):
    """After every test that touches the database, `storecredit_verify`'s check
    finds nothing: a test that leaves the ledger inconsistent fails even when
    its own assertions pass. The database is set up before this fixture, so the
    check runs before the test's rollback or flush."""
    if not _uses_database(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    assert find_problems() == []
