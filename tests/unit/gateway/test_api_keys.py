"""API keys and tenant ids: their shape, and what is stored of them."""

import hashlib

import pytest
from starcard_gateway.tenants import (
    API_KEY_PATTERN,
    InvalidTenant,
    check_tenant_id,
    is_operator_key,
    new_api_key,
    tenant_id_from_name,
)


def test_a_key_names_its_id_and_only_the_hash_of_its_secret_is_kept() -> None:
    key_id, secret_hash, api_key = new_api_key()

    parsed = API_KEY_PATTERN.fullmatch(api_key)
    assert parsed is not None
    assert parsed["key_id"] == key_id
    assert len(key_id) == 12
    assert secret_hash == hashlib.sha256(parsed["secret"].encode()).hexdigest()
    assert parsed["secret"] not in secret_hash


def test_every_key_is_different() -> None:
    assert len({new_api_key()[2] for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("name", "tenant_id"),
    [
        ("Anna's Massage Studio", "anna-s-massage-studio"),
        ("  Zoë  Spa & Wellness ", "zoe-spa-wellness"),
        ("Clinic 42", "clinic-42"),
    ],
)
def test_a_tenant_id_is_a_slug_of_the_name(name: str, tenant_id: str) -> None:
    assert tenant_id_from_name(name) == tenant_id


def test_a_name_with_nothing_to_slug_asks_for_an_explicit_id() -> None:
    with pytest.raises(InvalidTenant, match="give one explicitly"):
        tenant_id_from_name("☺☺")


def test_a_long_name_gives_an_id_of_at_most_63_characters() -> None:
    assert len(tenant_id_from_name("a" * 100)) == 63


@pytest.mark.parametrize("tenant_id", ["Anna", "-anna", "anna:spa", "anna spa", "", "a" * 64])
def test_tenant_ids_that_could_break_a_record_key_or_url_are_refused(tenant_id: str) -> None:
    with pytest.raises(InvalidTenant, match="lowercase letters"):
        check_tenant_id(tenant_id)


def test_nobody_is_operator_while_no_admin_key_is_set() -> None:
    assert not is_operator_key("", "")
    assert not is_operator_key("anything", "")
    assert not is_operator_key("wrong", "right")
    assert is_operator_key("right", "right")
