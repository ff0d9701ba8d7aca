import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_speed(tmp_path):
    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"u{i}", email=f"u{i}@example.com") for i in range(1000)]
    )
    path = tmp_path / "f.csv"
    with open(path, "w") as f:
        f.write("email,currency,amount,note\n")
        for i in range(5000):
            f.write(f"u{i % 1000}@example.com,USD,{i % 50 + 1}.25,row {i}\n")
    t = time.monotonic()
    call_command("storecredit_import", str(path), "--create-accounts")
    print("import", time.monotonic() - t)
    t = time.monotonic()
    call_command("storecredit_import", str(path), "--create-accounts")
    print("rerun", time.monotonic() - t)
