"""How to reach one client of one tenant: the email address and phone on file, if any, and
whether the client agreed to receive SMS offers.

Kept from the booking platform's ``ClientRegistered`` and ``ClientUpdated`` events, which carry
the client's full record, so an update without an email means the email was removed. Platforms
re-send and records arrive out of order: the record with the latest ``occurred_at`` wins, and an
older one arriving late changes nothing. The address and the phone are personal data: they live
only in the notifier's own schema and are never logged.

A STOP replied by SMS is not kept here but on the phone number (``SmsOptOut``): it is the
client's own word, which no later record from the platform overrides.
"""

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_notifier.domain.ids import contact_id

__all__ = ["Contact"]


class Contact(Aggregate):
    """The email, phone and SMS consent of one client, as of the latest client record seen.

    Opened with `Contact(tenant_id=..., client_id=..., email=..., as_of=...)`; its id is
    `contact_id(tenant_id, client_id)`.
    """

    @staticmethod
    def create_id(tenant_id: str, client_id: str) -> UUID:
        """The contact's id follows from its tenant and client, so any process finds it."""
        return contact_id(tenant_id, client_id)

    @event("Opened")
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        email: str | None,
        as_of: datetime,
        phone: str | None = None,
        sms_consent: bool = False,
    ) -> None:
        # `phone` and `sms_consent` default: "Opened" events stored before them lack them.
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.email = email
        self.phone = phone
        self.sms_consent = sms_consent
        self.as_of = as_of

    def update(
        self,
        email: str | None,
        as_of: datetime,
        *,
        phone: str | None = None,
        sms_consent: bool = False,
    ) -> None:
        """Take the client's record as of `as_of`, unless a later one was already taken.

        The time is recorded even when nothing changed, so that an older record arriving
        afterwards cannot bring back an address or a consent the client has since replaced.
        """
        if as_of > self.as_of:
            self._update(email=email, as_of=as_of, phone=phone, sms_consent=sms_consent)

    @event("Updated")
    def _update(
        self,
        email: str | None,
        as_of: datetime,
        phone: str | None = None,
        sms_consent: bool = False,
    ) -> None:
        self.email = email
        self.phone = phone
        self.sms_consent = sms_consent
        self.as_of = as_of
