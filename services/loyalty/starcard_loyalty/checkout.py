"""The checkout use cases: quote a client's code, redeem it on a booking (from the gateway's
checkout, or from a booking event that carries it).

A quote is a question asked now: without an ``at`` it uses the current time and changes nothing.
A redemption saves the code and the client's record together, and records an expiry it reveals
even when it refuses the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starcard_runtime.batching import UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.tenant_codes import code_in_batch, stored_code

from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import DiscountCode, check_money, normalize_code
from starcard_loyalty.domain.errors import CodeAlreadyRedeemed, CodeExpired, CodeNotFound
from starcard_loyalty.domain.ids import client_loyalty_id
from starcard_loyalty.domain.rewards import IssuedReward
from starcard_loyalty.rewards_and_codes import RewardsAndCodes

__all__ = ["CheckoutUseCases", "Quote", "Redemption"]

Fired = IssuedReward | None
"""The queued reward a redemption released, if any."""
Refused = CodeExpired | CodeAlreadyRedeemed
"""Why a checkout could not use a code, though it may have recorded the code's expiry."""


@dataclass(frozen=True)
class Quote:
    """What a code takes off an amount at checkout, in minor units of `currency`."""

    code: str
    discount_percent: int
    discount_minor: int
    total_minor: int
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class Redemption(Quote):
    """A code used on a booking, and the queued reward that fired because of it, if any."""

    booking_id: str
    redeemed_at: datetime
    next_reward: IssuedReward | None


class CheckoutUseCases(RewardsAndCodes):
    """Quote and redeem loyalty codes."""

    def quote(
        self,
        tenant_id: str,
        client_id: str,
        code: str,
        amount_minor: int,
        currency: str,
        *,
        at: datetime | None = None,
    ) -> Quote:
        """What the client's code takes off `amount_minor`, if they can use it at `at` (now,
        unless given). Changes nothing: a code past its expiry is refused as expired here, and
        recorded as expired by the next redemption attempt, event or clock tick."""
        check_money(amount_minor, currency)
        moment = datetime.now(UTC) if at is None else at
        discount = stored_code(self, DiscountCode, tenant_id, normalize_code(code))
        discount.check_redeemable(client_id, moment)
        return self._quote(discount, amount_minor, currency)

    def redeem(  # noqa: PLR0917 - the order the gateway's checkout agreed on
        self,
        tenant_id: str,
        client_id: str,
        code: str,
        booking_id: str,
        amount_minor: int,
        currency: str,
        at: datetime,
    ) -> Redemption:
        """Use the client's code on a booking at checkout; idempotent by booking id.

        The code and the client's record (and the code of the queued reward that fires) are
        saved together; a concurrent change (the client's partition, another checkout) is met by
        reloading and trying again. An expired code is refused with `CodeExpired`, after its
        expiry is recorded and the queue behind it released.
        """
        check_money(amount_minor, currency)
        code = normalize_code(code)

        def redeem(unit: UnitOfWork) -> tuple[Fired | Refused, DiscountCode, ClientLoyalty]:
            discount = code_in_batch(unit, DiscountCode, tenant_id, code)
            discount.check_is_clients(client_id)
            client = self._client_with_code(unit, discount)
            self._expire_due(unit, client, at)
            try:
                return self._redeem(unit, client, discount, booking_id, at), discount, client
            except (CodeExpired, CodeAlreadyRedeemed) as refusal:
                # Refused, but the expiry it revealed is saved all the same.
                return refusal, discount, client

        outcome, discount, client = retry_on_conflict(self, redeem)
        if isinstance(outcome, Refused):
            raise outcome
        if discount.redeemed_at is None:  # pragma: no cover - _redeem redeemed it
            raise AssertionError(code)
        quote = self._quote(discount, amount_minor, currency)
        return Redemption(
            code=quote.code,
            discount_percent=quote.discount_percent,
            discount_minor=quote.discount_minor,
            total_minor=quote.total_minor,
            currency=quote.currency,
            expires_at=quote.expires_at,
            booking_id=booking_id,
            redeemed_at=discount.redeemed_at,
            next_reward=outcome or client.reward_released_by(code),
        )

    def redeem_code_from_booking(  # noqa: PLR0917 - the order the handlers and gateway agreed on
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        code: str,
        booking_id: str,
        at: datetime,
    ) -> IssuedReward | None:
        """ "A code used in a booking event's discounts counts as a redemption too, once."

        Idempotent by booking id, so a booking and its completion both carrying the code redeem
        it once. Raises what the checkout would (`CodeNotFound`, `CodeOfAnotherClient`,
        `CodeExpired`, `CodeAlreadyRedeemed`); an expiry it reveals is recorded all the same.
        Returns the queued reward that fired, if any.
        """
        self.programme_for(unit, tenant_id)
        discount = code_in_batch(unit, DiscountCode, tenant_id, normalize_code(code))
        discount.check_is_clients(client_id)
        client = self._client_with_code(unit, discount)
        self._expire_due(unit, client, at)
        return self._redeem(unit, client, discount, booking_id, at)

    def _redeem(
        self,
        unit: UnitOfWork,
        client: ClientLoyalty,
        discount: DiscountCode,
        booking_id: str,
        at: datetime,
    ) -> IssuedReward | None:
        """Redeem on both aggregates; both refuse before either changes."""
        if discount.booking_id == booking_id:
            return None
        discount.check_redeemable(client.client_id, at)
        fired = client.redeem_reward(discount.code, booking_id, at, self.new_code)
        discount.redeem(booking_id, client.client_id, at)
        if fired is not None:
            self._add_codes(unit, client, [fired])
        return fired

    @staticmethod
    def _client_with_code(unit: UnitOfWork, discount: DiscountCode) -> ClientLoyalty:
        client = unit.get(client_loyalty_id(discount.tenant_id, discount.client_id), ClientLoyalty)
        if client is None:  # pragma: no cover - a code is saved with its client's record
            raise CodeNotFound(discount.code)
        return client

    @staticmethod
    def _quote(discount: DiscountCode, amount_minor: int, currency: str) -> Quote:
        off = discount.discount_on(amount_minor)
        return Quote(
            code=discount.code,
            discount_percent=discount.discount_percent,
            discount_minor=off,
            total_minor=amount_minor - off,
            currency=currency,
            expires_at=discount.expires_at,
        )
