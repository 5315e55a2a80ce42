"""The clock ticks once per tenant-local day: the tick of a tenant's date is due when that date
begins in its time zone, says when the day began there, and when its quiet hours end."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from starcard_kernel.quiet_hours import QuietHours
from starcard_runtime.clock import (
    CLOCK_NAMESPACE,
    TenantClock,
    TickLedger,
    quarter_hour,
    tick,
)

pytestmark = pytest.mark.unit

NINE = time(9)


def utc(moment: str) -> datetime:
    """``utc("2026-03-13 11:00")``: an instant in UTC."""
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def local_date(zone: str, now: datetime) -> date:
    """The date the clock ticks for a tenant in `zone` at `now`, looking for the first time."""
    [due] = TickLedger().due([TenantClock("anna", zone)], now)
    return due.data.date


@pytest.mark.parametrize(
    ("zone", "last_instant_of_13_march", "midnight_utc"),
    [
        ("Europe/London", utc("2026-03-13 23:59:59"), utc("2026-03-14 00:00")),  # GMT
        ("America/New_York", utc("2026-03-14 03:59:59"), utc("2026-03-14 04:00")),  # EDT, UTC-4
        ("Pacific/Auckland", utc("2026-03-13 10:59:59"), utc("2026-03-13 11:00")),  # NZDT, +13
    ],
)
def test_a_tenants_day_begins_at_midnight_in_its_own_time_zone(
    zone: str, last_instant_of_13_march: datetime, midnight_utc: datetime
) -> None:
    assert local_date(zone, last_instant_of_13_march) == date(2026, 3, 13)
    assert local_date(zone, midnight_utc) == date(2026, 3, 14)
    assert tick("anna", date(2026, 3, 14), zone).occurred_at == midnight_utc


def test_in_summer_london_ticks_at_eleven_at_night_utc() -> None:
    assert local_date("Europe/London", utc("2026-07-01 22:59")) == date(2026, 7, 1)
    assert local_date("Europe/London", utc("2026-07-01 23:00")) == date(2026, 7, 2)


def test_a_tick_names_the_zone_and_when_the_quiet_hours_end_that_day() -> None:
    ticked = tick("anna", date(2026, 3, 14), "Pacific/Auckland", time(7, 30))

    assert ticked.occurred_at == utc("2026-03-13 11:00")
    assert ticked.occurred_at.tzinfo == UTC
    assert ticked.data.date == date(2026, 3, 14)
    assert ticked.data.time_zone == "Pacific/Auckland"
    assert ticked.data.daytime_from == utc("2026-03-13 18:30")  # 07:30 on the 14th there


def test_without_quiet_hours_nothing_waits() -> None:
    assert tick("anna", date(2026, 3, 14), "Europe/London", None).data.daytime_from is None


def test_quiet_hours_that_run_past_midnight_end_on_the_ticks_own_morning() -> None:
    # 21:00 to 09:00: the tick of the 14th comes at midnight, inside them, and waits for 09:00.
    ticked = tick("anna", date(2026, 3, 14), "America/New_York", NINE)

    assert ticked.occurred_at == utc("2026-03-14 04:00")
    assert ticked.data.daytime_from == utc("2026-03-14 13:00")


def test_the_tick_of_a_tenants_day_has_one_event_id_whatever_its_zone_or_quiet_hours() -> None:
    day = date(2026, 3, 14)
    ids = {
        tick("anna", day).event_id,
        tick("anna", day, "Pacific/Auckland", NINE).event_id,
        tick("anna", day, "America/New_York", None).event_id,
    }

    assert ids == {uuid.uuid5(CLOCK_NAMESPACE, "anna:2026-03-14")}
    assert tick("brook", day).event_id not in ids


def test_on_the_day_the_clocks_go_forward_the_day_is_23_hours_long() -> None:
    spring = tick("anna", date(2026, 3, 29), "Europe/London", NINE)  # 01:00 GMT -> 02:00 BST
    after = tick("anna", date(2026, 3, 30), "Europe/London", NINE)

    assert spring.occurred_at == utc("2026-03-29 00:00")
    assert spring.data.daytime_from == utc("2026-03-29 08:00")  # 09:00 BST
    assert after.occurred_at - spring.occurred_at == timedelta(hours=23)


def test_on_the_day_the_clocks_go_back_the_day_is_25_hours_long() -> None:
    autumn = tick("anna", date(2026, 10, 25), "Europe/London", NINE)  # 02:00 BST -> 01:00 GMT
    after = tick("anna", date(2026, 10, 26), "Europe/London", NINE)

    assert autumn.occurred_at == utc("2026-10-24 23:00")  # midnight BST
    assert autumn.data.daytime_from == utc("2026-10-25 09:00")  # 09:00 GMT
    assert after.occurred_at - autumn.occurred_at == timedelta(hours=25)


@pytest.mark.parametrize(
    ("zone", "day", "first_instant"),
    [
        ("America/Havana", date(2026, 3, 8), utc("2026-03-08 05:00")),  # 00:00 -> 01:00
        ("America/Santiago", date(2026, 9, 6), utc("2026-09-06 04:00")),  # 24:00 -> 01:00
        ("Africa/Cairo", date(2026, 4, 24), utc("2026-04-23 22:00")),  # 00:00 -> 01:00
    ],
)
def test_a_day_whose_midnight_the_clocks_skip_begins_when_they_jump(
    zone: str, day: date, first_instant: datetime
) -> None:
    ticked = tick("anna", day, zone)

    assert ticked.occurred_at == first_instant
    assert local_date(zone, first_instant) == day
    assert local_date(zone, first_instant - timedelta(microseconds=1)) == day - timedelta(days=1)


def test_a_midnight_that_happens_twice_begins_the_day_at_its_first() -> None:
    # Havana, 1 November 2026: at 01:00 CDT the clocks go back to 00:00 CST.
    ticked = tick("anna", date(2026, 11, 1), "America/Havana")

    assert ticked.occurred_at == utc("2026-11-01 04:00")  # 00:00 CDT, UTC-4
    assert local_date("America/Havana", ticked.occurred_at - timedelta(microseconds=1)) == date(
        2026, 10, 31
    )


# -- the ledger: which ticks are due ---------------------------------------------------------


LONDON = TenantClock("anna", "Europe/London", QuietHours(start=time(21), end=NINE))
AUCKLAND = TenantClock("brook", "Pacific/Auckland", QuietHours(start=time(22), end=time(7, 30)))


def ticks(ledger: TickLedger, tenants: list[TenantClock], now: datetime) -> list[tuple[str, date]]:
    """The ticks due at `now`, as ``(tenant, date)``, published (so remembered)."""
    due = ledger.due(tenants, now)
    ledger.ticked(due)
    return [(each.tenant_id, each.data.date) for each in due]


def test_at_the_first_look_every_tenant_gets_the_tick_of_its_own_date() -> None:
    ledger = TickLedger()

    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 12:00")) == [
        ("anna", date(2026, 3, 13)),
        ("brook", date(2026, 3, 14)),
    ]
    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 23:59")) == []


def test_each_tenant_is_ticked_when_its_own_date_changes() -> None:
    ledger = TickLedger()
    ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 10:00"))

    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 10:59")) == []
    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 11:00")) == [
        ("brook", date(2026, 3, 14))
    ]
    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-13 23:59")) == []
    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-14 00:00")) == [
        ("anna", date(2026, 3, 14))
    ]


def test_a_tick_not_published_stays_due() -> None:
    ledger = TickLedger()

    assert len(ledger.due([LONDON], utc("2026-03-14 00:00"))) == 1
    assert len(ledger.due([LONDON], utc("2026-03-14 00:01"))) == 1


def test_a_tenant_added_later_gets_the_tick_of_its_day() -> None:
    ledger = TickLedger()
    ticks(ledger, [LONDON], utc("2026-03-14 00:00"))

    assert ticks(ledger, [LONDON, AUCKLAND], utc("2026-03-14 10:00")) == [
        ("brook", date(2026, 3, 14))
    ]


def test_a_tenant_that_changes_zone_gets_at_most_one_tick_per_local_date() -> None:
    ledger = TickLedger()
    ticks(ledger, [AUCKLAND], utc("2026-03-14 12:00"))  # the 15th in Auckland
    moved_west = TenantClock("brook", "Europe/London", QuietHours(start=time(21), end=NINE))

    # In London it is the 14th again: a day the tenant has passed is not ticked twice.
    assert ticks(ledger, [moved_west], utc("2026-03-14 13:00")) == []
    assert ticks(ledger, [moved_west], utc("2026-03-15 00:00")) == []  # the 15th: ticked already
    assert ticks(ledger, [moved_west], utc("2026-03-16 00:00")) == [("brook", date(2026, 3, 16))]

    moved_east = TenantClock("brook", "Pacific/Auckland", None)
    assert ticks(ledger, [moved_east], utc("2026-03-16 11:00")) == [("brook", date(2026, 3, 17))]


def test_the_tenants_are_read_again_in_each_quarter_hour_of_utc() -> None:
    assert quarter_hour(utc("2026-03-13 10:59:59")) == utc("2026-03-13 10:45")
    assert quarter_hour(utc("2026-03-13 11:00")) == utc("2026-03-13 11:00")
    kathmandu = datetime(2026, 3, 14, 0, tzinfo=ZoneInfo("Asia/Kathmandu"))  # UTC+05:45
    assert quarter_hour(kathmandu) == kathmandu


def test_a_tick_published_inside_the_quiet_hours_waits_for_their_end_the_next_morning() -> None:
    london = TenantClock("glow", "Europe/London", QuietHours(start=time(21), end=time(9)))
    ledger = TickLedger()

    # A scheduler restarted at 22:30 London time (BST) ticks the day again.
    [late] = ledger.due([london], datetime(2026, 6, 10, 21, 30, tzinfo=UTC))
    assert late.data.date == date(2026, 6, 10)
    assert late.data.daytime_from == datetime(2026, 6, 11, 8, 0, tzinfo=UTC)

    # At 14:00 the morning's end stands; at 06:00 it is this morning's.
    assert TickLedger().due([london], datetime(2026, 6, 10, 13, 0, tzinfo=UTC))[
        0
    ].data.daytime_from == datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    assert TickLedger().due([london], datetime(2026, 6, 10, 5, 0, tzinfo=UTC))[
        0
    ].data.daytime_from == datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def test_quiet_hours_within_one_day_hold_only_inside_them() -> None:
    siesta = QuietHours(start=time(13), end=time(15))

    assert siesta.until(datetime(2026, 6, 10, 14, 0, tzinfo=UTC), ZoneInfo("UTC")) == datetime(
        2026, 6, 10, 15, 0, tzinfo=UTC
    )
    assert siesta.until(datetime(2026, 6, 10, 16, 0, tzinfo=UTC), ZoneInfo("UTC")) is None
