"""The "Move Instantly leads" step's inputs: as Slack sends them, named as Workflow Builder shows them when one is
not usable, and kept to ask for a waiting run's move again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.instantly.schemas import LEAD_FILTERS
from storage.orders import MoveMode

# The inputs as Workflow Builder shows them (manifest.yml), to name the one at fault.
INPUT_TITLES: Final = {
    "from": "From",
    "to": "To",
    "mode": "Move or copy",
    "limit": "At most this many leads",
    "lead_status": "Lead status",
    "skip_duplicates": "Skip leads already at the destination",
    "channel_id": "Announce in",
    "user_id": "Run for",
    "workflow_name": "Workflow name",
}


class StepInputs(BaseModel):
    """The step's inputs as Slack sends them (`from` and `to` are Python words, hence the other names)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=True)

    source: str = Field(alias="from", min_length=1, max_length=300)
    destination: str = Field(alias="to", min_length=1, max_length=300)
    mode: MoveMode = MoveMode.MOVE
    limit: int | None = Field(default=None, ge=1, le=10_000_000)
    lead_status: str | None = None
    skip_duplicates: bool = False
    channel_id: str = Field(pattern=r"^[CGD][A-Z0-9]+$")
    user_id: str = Field(pattern=r"^[UW][A-Z0-9]+$")
    workflow_name: str | None = Field(default=None, max_length=200)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("lead_status", "workflow_name", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def problem_in(error: ValidationError) -> str:
    """The first thing wrong with the inputs, in words for the workflow's builder."""
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    field = INPUT_TITLES.get(name, name)
    return f"The step's input “{field}” is not usable ({first['msg'].lower()}), so nothing was moved."


def lead_status_code(given: str) -> str | None:
    """Instantly's filter code for a lead status given as its code or as the form's words; None if it is neither."""
    wanted = given.strip()
    if wanted.upper() in LEAD_FILTERS:
        return wanted.upper()
    return next((code for code, words in LEAD_FILTERS.items() if words.casefold() == wanted.casefold()), None)


def kept_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs worth keeping to ask again: the step's own, as plain values."""
    return {
        key: value
        for key, value in inputs.items()
        if key in INPUT_TITLES and (value is None or isinstance(value, (str, int, float, bool)))
    }
