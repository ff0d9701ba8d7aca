"""storecredit_import in Saleor: customers by Saleor's User, told only if asked."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import Reason, StoreCreditEntry
from saleor_storecredit.notifications_config import StoreCreditNotifyEvent as Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_markers():
    cache.clear()
    yield
    assert find_problems() == []


def run(path, *args):
    call_command(
        "storecredit_import",
        str(path),
        *args,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_import_with_notify_tells_each_new_credit_once(
    tmp_path, notified, customer_user, django_capture_on_commit_callbacks
):
    path = tmp_path / "opening.csv"
    path.write_text(
        f"email,currency,amount,note\n{customer_user.email.upper()},USD,15.00,Welcome\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        run(path, "--create-accounts", "--notify")
    with django_capture_on_commit_callbacks(execute=True):
        run(path, "--create-accounts", "--notify")  # nothing new

    entry = StoreCreditEntry.objects.get()
    assert entry.reason == Reason.IMPORT
    assert [
        (e, p["entry"]["amount"], p["entry"]["customer_note"]) for e, p in notified
    ] == [(Event.CREDIT_ADDED, "15.00", "Welcome")]


def test_import_without_notify_tells_nobody(
    tmp_path, notified, customer_user, django_capture_on_commit_callbacks
):
    path = tmp_path / "opening.csv"
    path.write_text(f"email,currency,amount\n{customer_user.email},USD,15.00\n")

    with django_capture_on_commit_callbacks(execute=True):
        run(path, "--create-accounts")

    assert StoreCreditEntry.objects.count() == 1
    assert notified == []
