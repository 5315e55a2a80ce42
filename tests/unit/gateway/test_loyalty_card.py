"""What the client's loyalty card says: stars, circles, the reward's label, the line under them."""

from datetime import UTC, datetime

from starcard_gateway.models.loyalty import LoyaltyCardPublic
from starcard_projections.loyalty import (
    LoyaltyCard,
    NextReward,
    OutstandingReward,
    reward_label,
)


def toward(session_count: int, counted: int, *, min_minutes: int = 0) -> NextReward:
    return NextReward("m10", session_count, min_minutes, "Thanks!", 25, counted)


def test_a_reward_with_a_minimum_says_how_many_sessions_that_long_are_to_go() -> None:
    assert toward(10, 7, min_minutes=60).sessions_to_go_text == "3 more 60+ min sessions to go"
    assert toward(10, 9, min_minutes=60).sessions_to_go_text == "1 more 60+ min session to go"


def test_a_reward_for_any_length_just_counts_sessions() -> None:
    assert toward(5, 4).sessions_to_go_text == "1 more session to go"
    assert toward(5, 0).sessions_to_go_text == "5 more sessions to go"


def test_stars_never_overflow_the_circles() -> None:
    due = toward(5, 7)

    assert (due.stars, due.circles, due.to_go) == (5, 5, 0)
    assert due.sessions_to_go_text == "Your reward comes with your next session"


def test_a_discount_sits_on_the_last_circle_as_its_percentage() -> None:
    assert reward_label(10, "Thank you for your 5th visit!") == "10% off"


def test_a_message_only_reward_shows_its_message_shortened_at_a_word() -> None:
    assert reward_label(None, "Thanks for coming back!") == "Thanks for coming back!"
    assert (
        reward_label(None, "Thank you so much for coming back again")
        == "Thank you so much for\u2026"
    )


def test_the_card_flips_to_the_outstanding_code_and_keeps_counting_underneath() -> None:
    expires_at = datetime(2027, 3, 30, 10, tzinfo=UTC)
    card = LoyaltyCard(
        "ada",
        total_stars=6,
        next_reward=toward(10, 6, min_minutes=60),
        outstanding=OutstandingReward("LOYAL-ABCDEFGH", 10, expires_at, "Thanks!"),
    )

    shown = LoyaltyCardPublic.from_card(card).model_dump()

    assert shown["outstanding"] == {
        "code": "LOYAL-ABCDEFGH",
        "discount_percent": 10,
        "expires_at": expires_at,
        "message": "Thanks!",
    }
    assert shown["next_reward"] == {
        "milestone_id": "m10",
        "stars": 6,
        "circles": 10,
        "to_go": 4,
        "reward_label": "25% off",
        "min_minutes_label": "60+ min",
        "sessions_to_go_text": "4 more 60+ min sessions to go",
    }
    assert shown["all_rewards_earned"] is False


def test_once_every_reward_is_earned_there_is_nothing_left_to_count_toward() -> None:
    shown = LoyaltyCardPublic.from_card(LoyaltyCard("ada", 12, None, None))

    assert (shown.next_reward, shown.all_rewards_earned) == (None, True)
