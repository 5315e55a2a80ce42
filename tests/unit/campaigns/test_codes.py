"""Birthday codes and rewards: the code's prefix, worth and expiry; one reward per client and
year."""

import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from starcard_campaigns.domain.codes import CampaignCode, campaign_code, is_campaign_code
from starcard_campaigns.domain.ids import birthday_reward_id, campaign_code_id
from starcard_campaigns.domain.programme import BirthdaySettings
from starcard_campaigns.domain.rewards import BirthdayReward
from starcard_kernel.refusals import CodeAlreadyRedeemed, CodeExpired

from .factories import CLIENT, TENANT, new_events, stored_and_replayed

pytestmark = pytest.mark.unit

CODE = "BDAY-7K3MPQ9X"
ISSUED_AT = datetime(2025, 3, 7, 6, 0, tzinfo=UTC)
SETTINGS = BirthdaySettings(enabled=True, discount_percent=15, valid_days=30)


def birthday_code(code: str = CODE) -> CampaignCode:
    """A 15% birthday code of the test client, issued at ISSUED_AT, valid 30 days."""
    return CampaignCode(
        code=code,
        tenant_id=TENANT,
        client_id=CLIENT,
        discount_percent=SETTINGS.discount_percent,
        campaign="birthday",
        issued_at=ISSUED_AT,
        expires_at=SETTINGS.reward_expiry(ISSUED_AT),
    )


def test_a_campaign_code_is_bday_and_eight_unambiguous_characters() -> None:
    drawn = {campaign_code(secrets.choice) for _ in range(2000)}

    assert len(drawn) == 2000
    for code in drawn:
        assert re.fullmatch(r"BDAY-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", code)


@pytest.mark.parametrize(
    ("text", "is_ours"),
    [
        (CODE, True),
        (" bday-7k3mpq9x ", True),
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
    issued = birthday_code()

    assert issued.id == campaign_code_id(CODE)
    assert (issued.code, issued.tenant_id, issued.client_id) == (CODE, TENANT, CLIENT)
    assert (issued.discount_percent, issued.campaign) == (15, "birthday")
    assert (issued.issued_at, issued.expires_at) == (ISSUED_AT, ISSUED_AT + timedelta(days=30))
    [event] = new_events(issued)
    assert type(event).__name__ == "Issued"
    assert (event.campaign, event.discount_percent) == ("birthday", 15)


def test_a_code_works_until_the_campaigns_valid_days_have_passed() -> None:
    issued = birthday_code()
    expires_at = ISSUED_AT + timedelta(days=30)

    assert issued.status(expires_at - timedelta(seconds=1)) == "outstanding"
    assert issued.status(expires_at) == "expired"
    with pytest.raises(CodeExpired):
        issued.redeem("booking-1", CLIENT, expires_at)


def test_a_code_is_used_once_and_takes_its_percentage_off() -> None:
    issued = birthday_code()

    issued.redeem("booking-1", CLIENT, ISSUED_AT + timedelta(days=3))

    assert issued.status(ISSUED_AT + timedelta(days=3)) == "redeemed"
    assert issued.discount_on(12000) == 1800
    with pytest.raises(CodeAlreadyRedeemed):
        issued.redeem("booking-2", CLIENT, ISSUED_AT + timedelta(days=4))


def test_a_code_survives_storing_and_replaying_every_kind_of_event() -> None:
    issued = birthday_code()
    issued.redeem("booking-1", CLIENT, ISSUED_AT + timedelta(days=3))

    assert stored_and_replayed(issued) == issued


def birthday_reward(year: int = 2025, celebrated: date = date(2025, 3, 14)) -> BirthdayReward:
    return BirthdayReward(
        tenant_id=TENANT,
        client_id=CLIENT,
        year=year,
        celebrated_on=celebrated.isoformat(),
        code=CODE,
        discount_percent=SETTINGS.discount_percent,
        message=SETTINGS.message,
        issued_at=ISSUED_AT,
        expires_at=SETTINGS.reward_expiry(ISSUED_AT),
    )


def test_a_reward_is_granted_with_the_code_and_note_sent() -> None:
    granted = birthday_reward()

    assert granted.id == birthday_reward_id(TENANT, CLIENT, 2025)
    assert (granted.tenant_id, granted.client_id, granted.year) == (TENANT, CLIENT, 2025)
    assert granted.celebrated_on == date(2025, 3, 14)
    assert (granted.code, granted.discount_percent, granted.message) == (
        CODE,
        15,
        SETTINGS.message,
    )
    assert (granted.issued_at, granted.expires_at) == (ISSUED_AT, ISSUED_AT + timedelta(days=30))
    [event] = new_events(granted)
    assert (type(event).__name__, event.celebrated_on) == ("Granted", "2025-03-14")


def test_one_reward_per_client_and_year() -> None:
    """The id is the uniqueness rule: the same client and year is the same reward."""
    assert birthday_reward(2025).id == birthday_reward(2025).id
    assert birthday_reward(2025).id != birthday_reward(2026, date(2026, 3, 14)).id
    assert birthday_reward_id(TENANT, CLIENT, 2025) != birthday_reward_id(TENANT, "other", 2025)


def test_a_reward_survives_storing_and_replaying() -> None:
    granted = birthday_reward(2026, date(2026, 1, 2))

    replayed = stored_and_replayed(granted)

    assert replayed == granted
    assert replayed.celebrated_on == date(2026, 1, 2)
