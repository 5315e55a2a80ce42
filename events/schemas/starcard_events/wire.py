"""The base of every model on the wire."""

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """Frozen, and refuses fields it does not know.

    Refusing unknown fields turns a producer's typo (`referal_code`) into a dead letter with a
    reason instead of a silently lost fact; a new field is a new `schema_version`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
