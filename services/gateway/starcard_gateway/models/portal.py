"""The client portal's models: the token a tenant mints for a client, and the client's
referral link, referrals, credit banner, points and campaign offers, in the words the portal
shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starcard_campaigns.api import Campaign, Offer
from starcard_events.envelope import ClientId
from starcard_events.money import Money
from starcard_events.money_format import format_money
from starcard_events.points_facts import Reason
from starcard_projections.points import PointsMovementRow, PointsSummary
from starcard_projections.referrals import CreditBanner, ReferralRow
from starcard_referrals.api import Link, ReferralSettings, Trigger

from starcard_gateway.models.common import money_by_currency
from starcard_gateway.models.points import NextExpiryPublic

DEFAULT_PORTAL_TTL_MINUTES = 7 * 24 * 60
MAX_PORTAL_TTL_MINUTES = 30 * 24 * 60
NO_BOOKING_PAGE_HINT = (
    "No link yet: it appears once the business sets its booking page (booking_page_url in its "
    "referral settings)."
)


class PortalTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: ClientId = Field(
        description="The client the token is for: the platform's client id (letters, digits, "
        "'_', '.', '-'; up to 128 characters), as in the booking events."
    )
    ttl_minutes: int = Field(
        default=DEFAULT_PORTAL_TTL_MINUTES,
        ge=1,
        le=MAX_PORTAL_TTL_MINUTES,
        description="How long the token works, in minutes: 7 days unless given, 30 days at most.",
        examples=[DEFAULT_PORTAL_TTL_MINUTES],
    )


class PortalTokenPublic(BaseModel):
    token: str = Field(
        description="The client's portal token, for `Authorization: Bearer <token>` on "
        "`/v1/portal` routes. It opens that client's portal only, never the tenant's API."
    )
    expires_at: datetime = Field(description="When the token stops working.")
    portal_url: str | None = Field(
        description="The portal's address with the token in its fragment, to send the client; "
        "null when the gateway has no `STARCARD_PORTAL_URL`."
    )


class ReferralLinkPublic(BaseModel):
    code: str = Field(description="The client's referral code, the same every time.")
    url: str | None = Field(
        description="The link to share: the business's booking page with `?ref=<code>`; null "
        "until the business sets its booking page."
    )
    hint: str | None = Field(description="Why `url` is null, when it is; else null.")

    @classmethod
    def from_link(cls, link: Link) -> ReferralLinkPublic:
        hint = NO_BOOKING_PAGE_HINT if link.url is None else None
        return cls(code=link.code, url=link.url, hint=hint)


class PortalReferralPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: Literal["invited", "booked", "completed"] = Field(
        description="How far the friend got: invited, booked, completed."
    )
    colour: Literal["red", "amber", "green"] = Field(
        description="Its dot: red invited, amber booked, green completed."
    )


class CreditBannerPublic(BaseModel):
    amounts: list[Money] = Field(description="Fixed credit left, by currency.")
    percents: list[int] = Field(description="Unused percentage credits, oldest first.")
    text: str = Field(
        description="The banner as the client reads it.",
        examples=["You have £10.00 credit — it will be applied at your next booking"],
    )

    @classmethod
    def from_banner(cls, banner: CreditBanner) -> CreditBannerPublic:
        amounts = money_by_currency(banner.amounts)
        parts = [format_money(m.amount_minor, m.currency) for m in amounts]
        credits = [f"{_and(parts)} credit"] if parts else []
        if banner.percents:
            credits.append(f"{_and([f'{percent}%' for percent in banner.percents])} off")
        when = (
            "it will be applied at your next booking"
            if len(parts) + len(banner.percents) == 1
            else "they will be applied from your next booking"
        )
        return cls(
            amounts=amounts, percents=banner.percents, text=f"You have {_and(credits)} — {when}"
        )


def _and(items: list[str]) -> str:
    """The items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else items[0]


class PortalReferralsPublic(BaseModel):
    link: ReferralLinkPublic = Field(description="The client's own referral link.")
    referrals: list[PortalReferralPublic] = Field(
        description="The friends who came through it, most recent first."
    )
    credit_banner: CreditBannerPublic | None = Field(
        description="The client's unused referral credit; null when they have none."
    )
    count: int = Field(description="How many people came through the link.")
    pending_rewards: int = Field(
        description="Referrals that will earn the client a reward once the friend's first paid "
        "visit is done (booked, not completed yet, when the programme rewards on completion)."
    )

    @classmethod
    def from_parts(
        cls,
        link: Link,
        rows: list[ReferralRow],
        banner: CreditBanner | None,
        settings: ReferralSettings,
    ) -> PortalReferralsPublic:
        on_completion = settings.trigger is Trigger.FIRST_COMPLETED
        return cls(
            link=ReferralLinkPublic.from_link(link),
            referrals=[PortalReferralPublic.model_validate(row) for row in rows],
            credit_banner=None if banner is None else CreditBannerPublic.from_banner(banner),
            count=len(rows),
            pending_rewards=sum(1 for row in rows if row.stage == "booked") if on_completion else 0,
        )


# -- points --------------------------------------------------------------------------------

BONUS_TEXT = {
    "rebook": "Rebooking bonus",
    "package": "Package bonus",
    "referral": "Referral bonus",
    "birthday": "Birthday bonus",
}


def movement_text(row: PointsMovementRow) -> str:
    """A movement as the client reads it; an adjustment's note is the business's own, and
    stays on the dashboard."""
    detail = row.detail or ""
    match row.reason:
        case "earned":
            text = detail or "Points earned"
        case "bonus":
            label = BONUS_TEXT.get(row.rule or "", "Bonus")
            text = f"{label}: {detail}" if detail and detail != row.rule else label
        case "redeemed":
            text = "Used at checkout"
        case "expired":
            text = "Expired"
        case "reversed":
            text = "Refund: taken back" if row.points < 0 else "Refund: given back"
        case _:
            text = "Adjusted by the business"
    return text


class PortalPointsMovementPublic(BaseModel):
    at: datetime = Field(description="When the points moved.")
    reason: Reason = Field(description="Why they moved.")
    text: str = Field(
        description="The movement as the client reads it.",
        examples=["Deep tissue massage, 60 min"],
    )
    points: int = Field(description="Points added (positive) or taken (negative).")
    balance: int = Field(description="The balance after it.")
    expires_on: date | None = Field(description="When the points it added expire; else null.")

    @classmethod
    def from_row(cls, row: PointsMovementRow) -> PortalPointsMovementPublic:
        return cls(
            at=row.at,
            reason=row.reason,
            text=movement_text(row),
            points=row.points,
            balance=row.balance,
            expires_on=row.expires_on,
        )


class PortalPointsPublic(BaseModel):
    enabled: bool = Field(description="Whether the business's points programme is on.")
    balance: int = Field(description="The client's points.")
    next_expiry: NextExpiryPublic | None = Field(
        description="The next day some of the client's points expire, or null."
    )
    data: list[PortalPointsMovementPublic] = Field(
        description="One page of the client's points movements, newest first."
    )
    count: int = Field(description="How many movements there are in all.")

    @classmethod
    def from_parts(
        cls,
        enabled: bool,
        summary: PointsSummary,
        rows: list[PointsMovementRow],
        count: int,
    ) -> PortalPointsPublic:
        return cls(
            enabled=enabled,
            balance=summary.balance,
            next_expiry=NextExpiryPublic.from_pair(summary.next_expiry),
            data=[PortalPointsMovementPublic.from_row(row) for row in rows],
            count=count,
        )


# -- campaign offers -------------------------------------------------------------------------

OFFER_NAMES: dict[Campaign, str] = {
    "birthday": "Birthday",
    "anniversary": "Anniversary",
    "reengagement": "We miss you",
}
"""Each campaign's offer as the client knows it (re-engagement is the business's word)."""


class PortalOfferPublic(BaseModel):
    campaign: Campaign = Field(description="The campaign that made the offer.")
    name: str = Field(
        description="The offer's name as the client reads it.",
        examples=["Birthday", "Anniversary", "We miss you"],
    )
    code: str = Field(description="The single-use code to give when booking or paying.")
    discount_percent: int | None = Field(
        description="What the code takes off, in percent; null for a complimentary add-on."
    )
    add_on: str | None = Field(
        description="The complimentary add-on the code is worth; null for a discount."
    )
    expires_at: datetime = Field(description="When the code lapses unused.")
    valid_until: date = Field(
        description="The last day the code works, in the business's time zone (it lapses at "
        "midnight after it), as the offer's message says it."
    )
    booking_url: str | None = Field(
        description="Where to book, as the offer's message carried it; null when the business "
        "had no booking link then."
    )

    @classmethod
    def from_offer(cls, offer: Offer, *, now: datetime) -> PortalOfferPublic | None:
        """A sent offer with a code that works at `now`; None otherwise (held out, lapsed, or a
        points reward, which has no code: the points are in the client's account)."""
        terms = offer.terms
        if (
            terms is None
            or terms.code is None
            or terms.expires_at is None
            or terms.valid_until is None
            or terms.expires_at <= now
        ):
            return None
        return cls(
            campaign=offer.campaign,
            name=OFFER_NAMES[offer.campaign],
            code=terms.code,
            discount_percent=terms.discount_percent,
            add_on=terms.add_on,
            expires_at=terms.expires_at,
            valid_until=terms.valid_until,
            booking_url=terms.booking_url,
        )


class PortalOffersPublic(BaseModel):
    data: list[PortalOfferPublic] = Field(
        description="The client's offers sent (not held out) whose code has been neither used "
        "nor expired, newest first."
    )
    count: int

    @classmethod
    def from_offers(
        cls, offers: list[Offer], *, used: set[str], now: datetime
    ) -> PortalOffersPublic:
        """The offers of `offers` (oldest first, as the campaigns service lists them) sent to
        the client whose code works at `now` and is not among the `used` codes, newest first."""
        shown = (PortalOfferPublic.from_offer(offer, now=now) for offer in reversed(offers))
        data = [each for each in shown if each is not None and each.code not in used]
        return cls(data=data, count=len(data))
