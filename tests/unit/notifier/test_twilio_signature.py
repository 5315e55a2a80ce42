"""Twilio's request signature, as its documentation computes it."""

import pytest
from starcard_notifier.twilio_signature import is_signed, signature

pytestmark = pytest.mark.unit

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}


def test_the_signature_is_twilios_for_its_documented_example() -> None:
    assert signature(URL, PARAMS.items(), "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_the_order_of_the_parameters_does_not_matter() -> None:
    assert signature(URL, reversed(PARAMS.items()), "12345") == signature(
        URL, PARAMS.items(), "12345"
    )


@pytest.mark.parametrize(
    "given",
    [None, "", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", signature(URL, PARAMS.items(), "another")],
)
def test_anything_but_the_signature_is_refused(given: str | None) -> None:
    assert not is_signed(URL, PARAMS.items(), "12345", given)


def test_a_changed_parameter_breaks_the_signature() -> None:
    tampered = PARAMS | {"Body": "STOP"}

    assert not is_signed(URL, tampered.items(), "12345", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
