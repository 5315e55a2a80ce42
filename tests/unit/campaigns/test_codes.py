"""Campaign codes: the prefix that names the campaign, the worth (a percentage off or a
complimentary add-on) and the expiry."""

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from starcard_campaigns.domain.codes import (
    CODE_PREFIXES,
    CampaignCode,
    campaign_code,
    is_campaign_code,
)
from starcard_campaigns.domain.ids import campaign_code_id
from starcard_campaigns.domain.programme import CAMPAIGNS, BirthdaySettings, Campaign
from starcard_kernel.refusals import CodeAlreadyRedeemed, CodeExpired

from .factories import (
    CLIENT,
    TENANT,
    new_events,
    replayed_as_stored_without,
    stored_and_replayed,
)

pytestmark = pytest.mark.unit

CODE = "BDAY-7K3MPQ9X"
ISSUED_AT = datetime(2025, 3, 7, tzinfo=UTC)  # a tick's midnight
SETTINGS = BirthdaySettings(enabled=True, discount_percent=15, valid_days=30)


ADD_ON = "Scalp massage, 15 min"


def issued_code(
    code: str = CODE, campaign: Campaign = "birthday", *, add_on: str | None = None
) -> CampaignCode:
    """A code of the test client, issued at ISSUED_AT, valid 30 days: 15% off, or worth the
    complimentary `add_on`."""
    return CampaignCode(
        code=code,
        tenant_id=TENANT,
        client_id=CLIENT,
        discount_percent=None if add_on else SETTINGS.discount_percent,
        campaign=campaign,
        issued_at=ISSUED_AT,
        expires_at=SETTINGS.code_expiry(ISSUED_AT.date(), UTC),
        add_on=add_on,
    )


@pytest.mark.parametrize(
    ("campaign", "prefix"),
    [("birthday", "BDAY-"), ("anniversary", "ANNV-"), ("reengagement", "BACK-")],
)
def test_a_campaign_code_is_its_campaigns_prefix_and_eight_unambiguous_characters(
    campaign: Campaign, prefix: str
) -> None:
    drawn = {campaign_code(campaign, secrets.choice) for _ in range(2000)}

    assert len(drawn) == 2000
    for code in drawn:
        assert re.fullmatch(f"{prefix}[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{{8}}", code)
        assert is_campaign_code(code)


def test_every_campaign_has_a_prefix_of_its_own() -> None:
    assert set(CODE_PREFIXES) == set(CAMPAIGNS)
    assert len(set(CODE_PREFIXES.values())) == len(CAMPAIGNS)


@pytest.mark.parametrize(
    ("text", "is_ours"),
    [
        (CODE, True),
        (" bday-7k3mpq9x ", True),
        ("ANNV-7K3MPQ9X", True),
        ("back-7k3mpq9x", True),
        ("LOYAL-7K3MPQ9X", False),
        ("REF-7K3MPQ9X", False),
        ("BDAY7K3MPQ9X", False),
    ],
)
def test_a_campaign_code_is_recognised_by_its_prefix_as_typed_at_a_till(
    text: str, is_ours: bool
) -> None:
    assert is_campaign_code(text) is is_ours


def test_an_issued_code_holds_its_client_worth_campaign_and_expiry() -> None:
    issued = issued_code()

    assert issued.id == campaign_code_id(CODE)
    assert (issued.code, issued.tenant_id, issued.client_id) == (CODE, TENANT, CLIENT)
    assert (issued.discount_percent, issued.campaign) == (15, "birthday")
    assert (issued.issued_at, issued.expires_at) == (ISSUED_AT, ISSUED_AT + timedelta(days=30))
    [event] = new_events(issued)
    assert type(event).__name__ == "Issued"
    assert (event.campaign, event.discount_percent) == ("birthday", 15)


def test_a_code_works_until_the_campaigns_valid_days_have_passed() -> None:
    issued = issued_code()
    expires_at = ISSUED_AT + timedelta(days=30)

    assert issued.status(expires_at - timedelta(seconds=1)) == "outstanding"
    assert issued.status(expires_at) == "expired"
    with pytest.raises(CodeExpired):
        issued.redeem("booking-1", CLIENT, expires_at)


def test_a_code_is_used_once_and_takes_its_percentage_off() -> None:
    issued = issued_code()

    issued.redeem("booking-1", CLIENT, ISSUED_AT + timedelta(days=3))

    assert issued.status(ISSUED_AT + timedelta(days=3)) == "redeemed"
    assert issued.discount_on(12000) == 1800
    with pytest.raises(CodeAlreadyRedeemed):
        issued.redeem("booking-2", CLIENT, ISSUED_AT + timedelta(days=4))


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_a_code_survives_storing_and_replaying_every_kind_of_event(campaign: Campaign) -> None:
    issued = issued_code(f"{CODE_PREFIXES[campaign]}7K3MPQ9X", campaign)
    issued.redeem("booking-1", CLIENT, ISSUED_AT + timedelta(days=3))

    replayed = stored_and_replayed(issued)

    assert replayed == issued
    assert replayed.campaign == campaign


def test_a_code_worth_an_add_on_takes_nothing_off_and_names_the_add_on() -> None:
    issued = issued_code(add_on=ADD_ON)

    assert (issued.add_on, issued.discount_percent) == (ADD_ON, None)
    assert issued.discount_on(12000) == 0
    issued.redeem("booking-1", CLIENT, ISSUED_AT + timedelta(days=3))
    assert issued.status(ISSUED_AT + timedelta(days=3)) == "redeemed"
    assert stored_and_replayed(issued) == issued


def test_a_code_stored_before_add_ons_existed_replays_as_the_discount_it_was() -> None:
    replayed = replayed_as_stored_without(issued_code(), "add_on")

    assert (replayed.discount_percent, replayed.add_on) == (15, None)
    assert replayed.discount_on(12000) == 1800
