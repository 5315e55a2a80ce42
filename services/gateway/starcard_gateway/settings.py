"""What the gateway reads from its environment on top of every process's runtime settings."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import SettingsConfigDict
from starcard_runtime.settings import RuntimeSettings


class GatewaySettings(RuntimeSettings):
    """Environment: ``STARCARD_GATEWAY_HOST``, ``STARCARD_GATEWAY_PORT``, ``STARCARD_ADMIN_KEY``,
    ``STARCARD_PORTAL_SECRET``, ``STARCARD_PORTAL_URL``, ``STARCARD_READY_*``."""

    # A refused value is not echoed: it may be a secret (a portal secret too short, say).
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    host: str = Field(default="127.0.0.1", validation_alias="STARCARD_GATEWAY_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="STARCARD_GATEWAY_PORT")
    admin_key: SecretStr | None = Field(
        default=None,
        validation_alias="STARCARD_ADMIN_KEY",
        description="The operator's key for /v1/operator routes; unset, those routes are off.",
    )
    read_pool_size: int = Field(default=10, ge=1, validation_alias="STARCARD_GATEWAY_POOL_SIZE")
    portal_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        validation_alias="STARCARD_PORTAL_SECRET",
        description="Signs client portal tokens; the same on every gateway process. Unset, each "
        "process draws a random one, and its tokens die with it.",
    )
    portal_url: AnyHttpUrl | None = Field(
        default=None,
        validation_alias="STARCARD_PORTAL_URL",
        description="The client portal's address; a minted token comes with it as a link, the "
        "token in the fragment (which browsers never send to a server).",
    )
    ready_heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias="STARCARD_READY_HEARTBEAT_SECONDS",
        description="/readyz answers not ready when no projections process has followed a read "
        "model for this long (it beats about once a second).",
    )
    ready_max_lag: int = Field(
        default=50_000,
        ge=0,
        validation_alias="STARCARD_READY_MAX_LAG",
        description="/readyz answers not ready while a read model is more than this many events "
        "behind its source.",
    )
