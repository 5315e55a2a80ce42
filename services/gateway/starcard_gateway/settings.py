"""What the gateway reads from its environment on top of every process's runtime settings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from starcard_runtime.settings import RuntimeSettings


class GatewaySettings(RuntimeSettings):
    """Environment: ``STARCARD_GATEWAY_HOST``, ``STARCARD_GATEWAY_PORT``, ``STARCARD_ADMIN_KEY``."""

    host: str = Field(default="127.0.0.1", validation_alias="STARCARD_GATEWAY_HOST")
    port: int = Field(default=8000, ge=1, le=65535, validation_alias="STARCARD_GATEWAY_PORT")
    admin_key: SecretStr | None = Field(
        default=None,
        validation_alias="STARCARD_ADMIN_KEY",
        description="The operator's key for /v1/operator routes; unset, those routes are off.",
    )
    read_pool_size: int = Field(default=10, ge=1, validation_alias="STARCARD_GATEWAY_POOL_SIZE")
