"""Campaign codes: ``BDAY-``, ``ANNV-`` or ``BACK-`` and eight characters, single use, a percentage
off or a complimentary add-on, valid for the campaign's days.

"Automated birthday reward ... a treatment discount ... valid for 30 days." It works at checkout
like a loyalty code, because it is one: the kernel's single-use code (``starcard_kernel.codes``),
the same alphabet, the same refusals; a campaign code adds its prefix (which names its campaign
to the client and the till), the campaign it rewards and what it is worth: the percentage it
takes off, or a complimentary add-on ("a complimentary add-on" of a birthday reward), which takes
nothing off the bill and tells the till to add the add-on free. Its expiry is the campaign's
(`OfferSettings.valid_days`), not the kernel's 12 months.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event
from starcard_kernel.codes import SingleUseCode, draw_code, normalize_code
from starcard_kernel.money import percent_of

from starcard_campaigns.domain.ids import campaign_code_id
from starcard_campaigns.domain.programme import Campaign

__all__ = ["CODE_PREFIXES", "CampaignCode", "campaign_code", "is_campaign_code"]

CODE_PREFIXES: dict[Campaign, str] = {
    "birthday": "BDAY-",
    "anniversary": "ANNV-",
    "reengagement": "BACK-",
}


def campaign_code(campaign: Campaign, choose: Callable[[str], str]) -> str:
    """The campaign's prefix and eight characters, each picked by `choose` (`secrets.choice`)
    from the kernel's alphabet."""
    return draw_code(CODE_PREFIXES[campaign], choose)


def is_campaign_code(text: str) -> bool:
    """The text looks like a campaign code (other codes belong to other programmes)."""
    return normalize_code(text).startswith(tuple(CODE_PREFIXES.values()))


class CampaignCode(SingleUseCode):
    """One campaign reward's code: issued → redeemed | expired (``SingleUseCode``).

    Created with `CampaignCode(code=..., tenant_id=..., client_id=..., discount_percent=...,
    campaign=..., issued_at=..., expires_at=..., add_on=...)` (every argument named: the event
    library treats a keyword-only default as required anyway); its id is
    `campaign_code_id(code)`, so a code drawn twice is a version conflict, drawn again. A code
    worth an `add_on` has no `discount_percent` (None).
    """

    @staticmethod
    def create_id(code: str) -> UUID:
        return campaign_code_id(code)

    @event("Issued")
    def __init__(
        self,
        *,
        code: str,
        tenant_id: str,
        client_id: str,
        discount_percent: int | None,
        campaign: Campaign,
        issued_at: datetime,
        expires_at: datetime,
        add_on: str | None = None,
    ) -> None:
        # `add_on` defaults to None: "Issued" events stored before it existed (discount codes)
        # are replayed by calling this method with the stored arguments.
        self._open(
            code=code,
            tenant_id=tenant_id,
            client_id=client_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        self.discount_percent = discount_percent
        self.campaign = campaign
        self.add_on = add_on

    def discount_on(self, amount_minor: int) -> int:
        """What the code takes off `amount_minor`: nothing, for a code worth an add-on."""
        if self.discount_percent is None:
            return 0
        return percent_of(amount_minor, self.discount_percent)
