"""Referral events: someone followed a client's referral link."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from starcard_events.envelope import Envelope, ExternalId
from starcard_events.limits import MAX_URL_LENGTH
from starcard_events.wire import WireModel

ReferralCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
"""The code in a referral link: 8 to 64 URL-safe characters (letters, digits, '_', '-')."""


class LinkVisit(WireModel):
    """A visit to a booking page through a referral link."""

    referral_code: ReferralCode = Field(description="The code of the referral link followed.")
    visitor_id: ExternalId = Field(
        description=(
            "The platform's id of the visitor (e.g. a cookie id), so that a later booking by the "
            "same visitor can be tied to this visit."
        )
    )
    landing: Annotated[
        str, StringConstraints(max_length=MAX_URL_LENGTH, pattern=r"^(/|https?://)[^\s]*$")
    ] = Field(description="The page the link landed on: a URL path ('/book') or a full URL.")


class LinkVisited(Envelope[LinkVisit]):
    """Someone followed a client's referral link to the tenant's booking page."""

    type: Literal["LinkVisited"] = Field(description="Always 'LinkVisited'.")
