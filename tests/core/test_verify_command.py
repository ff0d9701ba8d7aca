"""storecredit_verify: silent success on a healthy ledger, exit 1 naming the
accounts that disagree with their history."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import (
    StoreCreditAccount,
    StoreCreditHold,
    StoreCreditLot,
)

ROOT = Path(__file__).resolve().parents[2]


def run_verify():
    """Run the command; return the exit code `manage.py storecredit_verify` would
    give (run_from_argv turns a CommandError into its returncode)."""
    try:
        call_command("storecredit_verify")
    except CommandError as error:
        sys.stderr.write(f"CommandError: {error}\n")
        return error.returncode
    return 0


@pytest.fixture
def ledger_in_use(customer, other_customer, fund):
    fund(customer, "100")
    fund(other_customer, "50")
    hold = ledger.authorize(customer, "30", "USD", idempotency_key="a")
    ledger.capture(hold, "10", idempotency_key="c")
    ledger.debit(other_customer, "5", "USD", idempotency_key="d")
    ledger.transfer(customer, other_customer, "20", "USD", idempotency_key="t")
    return ledger.get_account(customer, "USD"), hold


def execute(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_healthy_ledger_passes(ledger_in_use, capsys):
    assert run_verify() == 0
    assert "all accounts consistent" in capsys.readouterr().out


def test_empty_ledger_passes(db, capsys):
    assert run_verify() == 0


@pytest.mark.parametrize(
    ("table", "change"),
    [
        (StoreCreditAccount, "balance = balance + 1 WHERE id = {account}"),
        (StoreCreditAccount, "held = held - 1 WHERE id = {account}"),
        (StoreCreditLot, "remaining_amount = remaining_amount - 1 WHERE id = {lot}"),
        (StoreCreditHold, "captured_amount = 11 WHERE id = {hold}"),
        (StoreCreditHold, "status = 'released' WHERE id = {hold}"),
    ],
    ids=["balance", "held", "lot", "hold-captured", "hold-status"],
)
def test_corruption_is_reported_with_the_account(
    ledger_in_use, allow_problems, capsys, table, change
):
    account, hold = ledger_in_use
    lot = account.lots.filter(remaining_amount__gt=1).first()
    execute(
        f"UPDATE {table._meta.db_table} SET "
        + change.format(account=account.pk, lot=lot.pk, hold=hold.pk)
    )

    assert run_verify() == 1

    errors = capsys.readouterr().err
    assert f"account {account.pk} (USD)" in errors
    assert "problem(s) found" in errors
    assert [p.account_id for p in find_problems()] == [account.pk] * len(
        find_problems()
    )


def _django_admin(env_url):
    env = {**os.environ, "DATABASE_URL": env_url, "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "tests.core.settings"
    return subprocess.run(
        [sys.executable, "-m", "django", "storecredit_verify"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_as_a_process(customer, fund, allow_problems):
    account = fund(customer, "10").account
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    healthy = _django_admin(url)
    execute(
        f"UPDATE {StoreCreditAccount._meta.db_table} SET balance = 9 WHERE id = %s",
        account.pk,
    )
    corrupt = _django_admin(url)

    assert healthy.returncode == 0, healthy.stderr
    assert corrupt.returncode == 1
    assert f"account {account.pk} (USD): balance 9.000 != sum of entries" in (
        corrupt.stderr
    )
