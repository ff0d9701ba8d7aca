import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def make_customer(db):
    counter = iter(range(1, 10**9))

    def make(email=None):
        n = next(counter)
        return get_user_model().objects.create_user(
            username=f"customer{n}", email=email or f"customer{n}@example.com"
        )

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer("alice@example.com")


@pytest.fixture
def other_customer(make_customer):
    return make_customer("bob@example.com")
