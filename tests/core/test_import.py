from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from saleor_storecredit.importing import import_file
from saleor_storecredit.models import Reason, StoreCreditAccount, StoreCreditEntry

from .conftest import ledger_rows, run_in_parallel


def write_csv(tmp_path, text, name="balances.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_import(path, *args):
    """Run the command; returns (stdout+stderr text, error or None)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("storecredit_import", path, *args, stdout=out, stderr=err)
        error = None
    except CommandError as raised:
        error = raised
    return out.getvalue() + err.getvalue(), error


def balance(user, currency="USD"):
    account = StoreCreditAccount.objects.filter(user=user, currency=currency).first()
    return account.balance if account else None


@pytest.mark.django_db
def test_import_credits_every_row(tmp_path, customer, other_customer):
    expiry = (timezone.now() + timedelta(days=30)).date()
    path = write_csv(
        tmp_path,
        "email,currency,amount,kind,expiry,note\n"
        f"alice@example.com,USD,10.50,store_credit,{expiry},Welcome back\n"
        "BOB@example.com,usd,5,bonus,,\n"
        "alice@example.com,EUR,7.00,,,\n",
    )

    output, error = run_import(path, "--create-accounts")

    assert error is None, output
    assert "Imported 3 credit(s)" in output
    assert balance(customer) == Decimal("10.50")
    assert balance(customer, "EUR") == Decimal("7.00")
    assert balance(other_customer) == Decimal("5.00")
    entry = StoreCreditEntry.objects.get(
        account__user=customer, account__currency="USD"
    )
    assert entry.reason == Reason.IMPORT
    assert entry.customer_note == "Welcome back"
    assert entry.lot.kind == "store_credit"
    # A date means usable through that day.
    assert entry.lot.expires_at == timezone.make_aware(
        datetime.combine(expiry + timedelta(days=1), time.min)
    )
    assert (
        StoreCreditEntry.objects.get(account__user=other_customer).lot.kind == "bonus"
    )


@pytest.mark.django_db
def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path, customer):
    path = write_csv(
        tmp_path,
        "email,currency,amount,expiry\n"
        "alice@example.com,USD,10,\n"  # line 2: good
        "nobody@example.com,USD,10,\n"  # 3: unknown customer
        "alice@example.com,XXX,10,\n"  # 4: unknown currency
        "alice@example.com,USD,-1,\n"  # 5: negative
        "alice@example.com,USD,1.234,\n"  # 6: too precise
        "alice@example.com,USD,abc,\n"  # 7: not a number
        "alice@example.com,USD,10,2001-01-01\n"  # 8: expiry in the past
        "\n"  # 9: blank, ignored
        "alice@example.com,USD\n"  # 10: missing values
        "not-an-email,USD,10,\n"  # 11
        f"alice@example.com,USD,{'9' * 400},\n",  # 12: 400 digits
    )
    before = ledger_rows()

    output, error = run_import(path, "--create-accounts")

    assert error is not None
    assert "9 of 10 rows are bad; nothing was imported" in str(error)
    for line, text in [
        (3, "no customer with email nobody@example.com"),
        (4, "currency"),
        (5, "amount"),
        (6, "decimal places"),
        (7, "not a number"),
        (8, "in the past"),
        (10, "expected 4 values, found 2"),
        (11, "is not an email address"),
        (12, "must not exceed 1000000000000"),
    ]:
        assert f"line {line}: " in output and text in output, (line, output)
    assert "line 2:" not in output
    assert ledger_rows() == before


@pytest.mark.django_db
def test_skip_bad_rows_imports_the_good_ones(tmp_path, customer):
    path = write_csv(
        tmp_path,
        "email,currency,amount\n"
        "alice@example.com,USD,10\n"
        "nobody@example.com,USD,10\n"
        "alice@example.com,USD,2.5\n",
    )

    output, error = run_import(path, "--create-accounts", "--skip-bad-rows")

    assert error is None, output
    assert "line 3: " in output
    assert balance(customer) == Decimal("12.50")


@pytest.mark.django_db
def test_rerunning_the_same_file_credits_nothing_twice(tmp_path, customer):
    text = (
        "email,currency,amount,note\n"
        "alice@example.com,USD,10,gift\n"
        "alice@example.com,USD,10,gift\n"  # the same row twice: two credits
        "alice@example.com,USD,3,\n"
    )
    path = write_csv(tmp_path, text)

    output, error = run_import(path, "--create-accounts")
    assert error is None, output
    assert "Imported 3 credit(s)" in output
    assert "1 row(s) repeat an earlier row" in output
    assert balance(customer) == Decimal("23.00")

    output, error = run_import(path, "--create-accounts")
    assert error is None, output
    assert "Imported 0 credit(s); 3 already imported" in output
    assert balance(customer) == Decimal("23.00")

    # Reordered and respelled, it is still the same file.
    respelled = write_csv(
        tmp_path,
        "Amount,Email,Currency,Note\n"
        "3.00,ALICE@example.com,usd,\n"
        "10.00,alice@example.com,USD,gift\n"
        "10,alice@example.com,USD, gift\n",
        name="again.csv",
    )
    output, error = run_import(respelled, "--create-accounts")
    assert error is None, output
    assert balance(customer) == Decimal("23.00")

    # A third identical row is a new credit.
    grown = write_csv(tmp_path, text + "alice@example.com,USD,10,gift\n", "more.csv")
    output, error = run_import(grown, "--create-accounts")
    assert "Imported 1 credit(s); 3 already imported" in output
    assert balance(customer) == Decimal("33.00")


@pytest.mark.django_db
def test_customers_without_an_account_need_create_accounts(
    tmp_path, customer, other_customer, fund
):
    fund(customer, "1.00")
    path = write_csv(
        tmp_path,
        "email,currency,amount\nalice@example.com,USD,10\nbob@example.com,USD,10\n",
    )

    output, error = run_import(path)
    assert error is not None
    assert "line 3: email: bob@example.com has no USD store-credit account" in output
    assert balance(other_customer) is None

    output, error = run_import(path, "--create-accounts")
    assert error is None, output
    assert balance(customer) == Decimal("11.00")
    assert balance(other_customer) == Decimal("10.00")


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path, customer):
    path = write_csv(tmp_path, "email,currency,amount\nalice@example.com,USD,10\n")
    before = ledger_rows()

    output, error = run_import(path, "--create-accounts", "--dry-run")

    assert error is None
    assert "All 1 rows are valid" in output
    assert ledger_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("email,amount\nalice@example.com,1\n", "missing column(s): currency"),
        ("email,currency,amount,colour\n", "unknown column(s): colour"),
        ("email,currency,amount,email\n", "repeated column(s): email"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, customer, text, message):
    output, error = run_import(write_csv(tmp_path, text))
    assert error is not None
    assert message in str(error)


@pytest.mark.django_db
def test_notify_needs_saleor(tmp_path, customer):
    path = write_csv(tmp_path, "email,currency,amount\nalice@example.com,USD,10\n")
    before = ledger_rows()

    output, error = run_import(path, "--create-accounts", "--notify")

    assert "--notify needs Saleor" in str(error)
    assert ledger_rows() == before


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_credits_once(tmp_path, make_customer):
    customers = [make_customer() for _ in range(5)]
    lines = [f"{c.email},USD,{i + 1}.50,note {i}" for i, c in enumerate(customers)]
    path = write_csv(tmp_path, "email,currency,amount,note\n" + "\n".join(lines * 3))

    results = run_in_parallel(
        3, lambda i: import_file(path, create_accounts=True, skip_bad_rows=False)
    )

    assert not any(isinstance(result, Exception) for result in results), results
    for i, customer in enumerate(customers):
        # Each row is in the file three times: three credits, not nine.
        assert balance(customer) == 3 * (Decimal(i + 1) + Decimal("0.50"))
