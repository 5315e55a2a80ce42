"""CampaignsService: the campaign use cases, on its own event store (schema ``campaigns``)."""

from __future__ import annotations

from typing import ClassVar

from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.records import InboundRecord

__all__ = ["CampaignsService"]


class CampaignsService(BatchApplication):
    """Birthday rewards (and, later, anniversaries and re-engagement) on the clock."""

    name = "campaigns"
    service_name: ClassVar[str] = "campaigns"

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        """Nothing yet: the campaigns are being built."""
