"""storeCreditTransfer: the sender is checked first, every email that cannot
receive gets one answer, look-ups are throttled per sender, and the note is
plain text."""

import pytest
from django.core.cache import cache
from saleor.account.models import User

from saleor_storecredit import ledger
from saleor_storecredit.ledger.verification import find_problems
from saleor_storecredit.models import AccountStatus

from .conftest import ledger_state

TRANSFER = """
mutation($email: String!, $amount: Decimal!, $note: String, $currency: String!) {
  storeCreditTransfer(
    email: $email, currency: $currency, amount: $amount, note: $note
  ) {
    transaction { amount { amount } customerNote }
    errors { field code message }
  }
}
"""


def send(client, email, amount="1", note=None, currency="USD"):
    response = client.post_graphql(
        TRANSFER,
        {"email": email, "amount": amount, "note": note, "currency": currency},
    )
    data = response.json()["data"]["storeCreditTransfer"]
    return data["errors"], data["transaction"]


@pytest.fixture
def inactive_customer(db):
    return User.objects.create(email="gone@example.com", is_active=False)


@pytest.fixture
def cannot_receive(customer_user2, staff_user, inactive_customer):
    """Emails of nobody, of a staff member and of an inactive customer."""
    return ["nobody@example.com", staff_user.email, inactive_customer.email]


def test_a_sender_without_credit_hears_the_same_whoever_the_email_names(
    user_api_client, customer_user2, cannot_receive, store_credit_settings, credit
):
    credit(customer_user2, "5.00")
    answers = [
        send(user_api_client, email)
        for email in [customer_user2.email, *cannot_receive, ""]
    ]

    assert {str(errors) for errors, _ in answers} == {
        str(
            [
                {
                    "field": None,
                    "code": "INSUFFICIENT_FUNDS",
                    "message": "You have no store credit in USD.",
                }
            ]
        )
    }


def test_a_sender_with_too_little_credit_hears_it_before_any_look_up(
    user_api_client,
    customer_user,
    customer_user2,
    cannot_receive,
    credit,
    store_credit_settings,
):
    credit(customer_user, "5.00")

    answers = {
        str(send(user_api_client, email, amount="5.01")[0])
        for email in [customer_user2.email, *cannot_receive]
    }

    assert len(answers) == 1 and "INSUFFICIENT_FUNDS" in answers.pop()
    assert ledger.get_account(customer_user, "USD").balance == 5


def test_every_email_that_cannot_receive_gets_one_answer(
    user_api_client, customer_user, cannot_receive, credit, store_credit_settings
):
    credit(customer_user, "20.00")
    before = ledger_state()

    answers = [
        send(user_api_client, email)[0]
        for email in [*cannot_receive, "NOBODY@example.com "]
    ]

    assert all(
        errors
        == [
            {
                "field": "email",
                "code": "RECIPIENT_NOT_FOUND",
                "message": "Store credit cannot be sent to this email.",
            }
        ]
        for errors in answers
    ), answers
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"status": AccountStatus.ON_HOLD}, "ACCOUNT_ON_HOLD"),
        ({"can_use": False}, "NOT_ELIGIBLE"),
    ],
)
def test_a_sender_on_hold_or_refused_cannot_send_to_anyone(
    user_api_client,
    customer_user,
    customer_user2,
    cannot_receive,
    credit,
    store_credit_settings,
    setup,
    code,
):
    account = credit(customer_user, "20.00").account
    ledger.update_account(account, **setup)
    before = ledger_state()

    codes = {
        send(user_api_client, email)[0][0]["code"]
        for email in [customer_user2.email, *cannot_receive]
    }

    assert codes == {code}
    assert ledger_state() == before


def test_recipient_look_ups_are_throttled_per_sender(
    user_api_client,
    user2_api_client,
    customer_user,
    customer_user2,
    credit,
    store_credit_settings,
):
    credit(customer_user, "20.00")
    credit(customer_user2, "20.00")
    for n in range(5):
        assert send(user_api_client, f"guess{n}@example.com")[0][0]["code"] == (
            "RECIPIENT_NOT_FOUND"
        )

    throttled, _ = send(user_api_client, customer_user2.email)
    other_sender, sent = send(user2_api_client, customer_user.email)

    assert throttled == [
        {
            "field": "email",
            "code": "TOO_MANY_ATTEMPTS",
            "message": "Too many transfer attempts. Please try again later.",
        }
    ]
    assert other_sender == [] and sent["amount"] == {"amount": -1.0}
    assert ledger.get_account(customer_user, "USD").balance == 21
    # The counter lives in Saleor's shared cache; once its window has passed
    # (cleared here), the sender may send again.
    cache.clear()
    assert send(user_api_client, customer_user2.email)[0] == []
    assert find_problems() == []


def test_sending_to_oneself_is_same_account_and_not_counted(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings
):
    credit(customer_user, "20.00")

    for _ in range(6):
        errors, _ = send(user_api_client, customer_user.email.upper())
        assert [e["code"] for e in errors] == ["SAME_ACCOUNT"]

    assert send(user_api_client, customer_user2.email)[0] == []


@pytest.mark.parametrize(
    "note",
    [
        "line one\nline two",
        "tab\there",
        "bell\x07",
        "reversed \u202etxt.exe",
        "zero\u200bwidth",
        "x" * 201,
        "Verify your account at https://evil.example/login",
        "go to www.evil-shop.test now",
        "visit evil.com",
        "write to support@evil.example",
        "mailto:help",
        "javascript:alert(1)",
        "full\uff0ecom",
    ],
)
def test_notes_that_could_mislead_are_refused(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings, note
):
    credit(customer_user, "20.00")
    before = ledger_state()

    errors, _ = send(user_api_client, customer_user2.email, note=note)

    assert [(e["field"], e["code"]) for e in errors] == [("note", "INVALID")]
    assert ledger_state() == before


def test_a_note_is_stored_and_shown_as_written(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings
):
    credit(customer_user, "20.00")
    note = "<b>Happy</b> birthday & enjoy, Mr. Smith! 3.50 for cake, e.g. 🎂"

    errors, sent = send(user_api_client, customer_user2.email, note=note)

    assert errors == []
    assert sent["customerNote"] == note
    received = ledger.get_account(customer_user2, "USD").entries.get()
    assert received.customer_note == note


KEYED = """
mutation($email: String!, $amount: Decimal!, $key: String!) {
  storeCreditTransfer(
    email: $email, currency: "USD", amount: $amount, idempotencyKey: $key
  ) {
    transaction { id amount { amount } }
    errors { field code }
  }
}
"""


def test_a_retry_returns_the_first_result_whatever_the_credit_is_now(
    user_api_client, customer_user, customer_user2, credit, store_credit_settings
):
    account = credit(customer_user, "20.00").account
    variables = {"email": customer_user2.email, "amount": "20", "key": "gift-1"}
    first = user_api_client.post_graphql(KEYED, variables).json()["data"]
    ledger.update_account(account, status=AccountStatus.ON_HOLD)

    again = user_api_client.post_graphql(KEYED, variables).json()["data"]

    assert first == again
    assert first["storeCreditTransfer"]["errors"] == []
    assert ledger.get_account(customer_user2, "USD").balance == 20
    assert find_problems() == []


def test_a_reused_key_tells_nothing_about_other_emails(
    user_api_client,
    customer_user,
    customer_user2,
    staff_user,
    credit,
    store_credit_settings,
):
    credit(customer_user, "20.00")
    user_api_client.post_graphql(
        KEYED, {"email": customer_user2.email, "amount": "1", "key": "gift-1"}
    )
    before = ledger_state()

    answers = [
        user_api_client.post_graphql(
            KEYED, {"email": email, "amount": "1", "key": "gift-1"}
        ).json()["data"]["storeCreditTransfer"]["errors"]
        for email in ["nobody@example.com", staff_user.email, "x@example.com"] * 3
    ]

    assert all(
        errors == [{"field": "idempotencyKey", "code": "IDEMPOTENCY_KEY_REUSED"}]
        for errors in answers
    ), answers
    assert ledger_state() == before
