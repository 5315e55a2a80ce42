"""Settings every Starcard process reads from its environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    """Where the servers are and how a service consumes.

    Environment: ``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``, ``STARCARD_*`` for the rest.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    database_url: str = Field(
        default="postgresql://starcard:starcard@127.0.0.1:5433/starcard",
        validation_alias="DATABASE_URL",
    )
    topic_prefix: str = Field(
        default="",
        validation_alias="STARCARD_TOPIC_PREFIX",
        description="Prepended to every topic name; lets tests and demos run side by side.",
    )
    batch_max_records: int = Field(
        default=5000, ge=1, validation_alias="STARCARD_BATCH_MAX_RECORDS"
    )
    log_level: str = Field(default="INFO", validation_alias="STARCARD_LOG_LEVEL")

    def topic(self, name: str) -> str:
        """The deployed name of a logical topic."""
        return self.topic_prefix + name
