"""Reads a submitted move modal into one validated model, or into field errors keyed by block_id."""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from bot.instantly.schemas import ESG_CODES, ESP_CODES, LEAD_FILTERS
from handlers import ids
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveMode, MoveOptions, MoveOrder

_EMAIL: Final = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
# Used with fullmatch: `$` would also accept a trailing newline, and that id would reach Instantly.
_RESOURCE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CONTACTS: Final = 1000
# The modal's max_length for the search box. Checked here too because the search is quoted in the
# announcement, whose Block Kit text Slack refuses past 3000 characters.
MAX_SEARCH: Final = 200


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("leadmover", message)


class Picked(BaseModel):
    """An option chosen in an external select: its value and the label the person saw."""

    value: str
    label: str


def _endpoint(picked: Picked, *, what: str) -> Endpoint:
    kind, _, resource_id = picked.value.partition(":")
    if picked.value == ids.UNAVAILABLE:
        raise _fail(f"Instantly could not be searched when you picked the {what}. Open the list and pick again.")
    if kind not in tuple(EndpointKind) or not _RESOURCE_ID.fullmatch(resource_id):
        raise _fail(f"Pick the {what} from the suggestions.")
    return Endpoint(kind=EndpointKind(kind), id=resource_id, name=picked.label)


def _picked(value: object, info: ValidationInfo) -> Endpoint:
    what = "source" if info.field_name == ids.SOURCE else "destination"
    if value is None:
        raise _fail(f"Choose a {what} campaign or list.")
    if isinstance(value, Endpoint):
        return value
    return _endpoint(Picked.model_validate(value), what=what)


def _blank_is_none(value: object) -> object:
    return value.strip() or None if isinstance(value, str) else value


class LeadChoice(BaseModel):
    """Which leads: the source and the filters, validated; what a preview needs. Field names are block_ids."""

    model_config = ConfigDict(frozen=True)

    source: Endpoint
    search: str | None = None
    filter: str | None = None
    contacts: list[str] = Field(default_factory=list)
    esp_code: int | None = None
    esg_code: str | None = None

    _source = field_validator("source", mode="before")(_picked)
    _blank_search = field_validator("search", mode="before")(_blank_is_none)

    @field_validator("search")
    @classmethod
    def _search(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_SEARCH:
            raise _fail(f"Keep the search to {MAX_SEARCH} characters or fewer.")
        return value

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: str | None) -> str | None:
        if value is not None and value not in LEAD_FILTERS:
            raise _fail("Pick one of the listed filters.")
        return value

    @field_validator("contacts", mode="before")
    @classmethod
    def _contacts(cls, value: object) -> list[str]:
        if not value:
            return []
        emails = [part.strip() for part in re.split(r"[,;\s]+", str(value)) if part.strip()]
        bad = [e for e in emails if len(e) > 254 or not _EMAIL.match(e)]
        if bad:
            shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
            raise _fail(f"Not an email address: {shown}. Separate addresses with commas or new lines.")
        if len(emails) > MAX_CONTACTS:
            raise _fail(f"At most {MAX_CONTACTS} email addresses at a time.")
        return list(dict.fromkeys(e.lower() for e in emails))

    @field_validator("esp_code", mode="before")
    @classmethod
    def _esp(cls, value: object) -> int | None:
        if value is None or value == "":
            return None
        if str(value).isdigit() and int(str(value)) in ESP_CODES:
            return int(str(value))
        raise _fail("Pick one of the listed email providers.")

    @field_validator("esg_code")
    @classmethod
    def _esg(cls, value: str | None) -> str | None:
        if value is not None and value not in ESG_CODES:
            raise _fail("Pick one of the listed email security gateways.")
        return value

    def lead_filters(self) -> LeadFilters:
        return LeadFilters(
            search=self.search,
            lead_status=self.filter,
            emails=tuple(self.contacts),
            email_provider=self.esp_code,
            security_gateway=self.esg_code,
        )


class MoveSubmission(LeadChoice):
    """Everything the move modal asks, validated; field names are the modal's block_ids."""

    destination: Endpoint
    mode: MoveMode = MoveMode.MOVE
    limit: int | None = Field(default=None)
    assigned_to: str | None = None
    options: list[str] = Field(default_factory=list)

    _destination = field_validator("destination", mode="before")(_picked)
    _blank_assignee = field_validator("assigned_to", mode="before")(_blank_is_none)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        if value not in (None, *MoveMode):
            raise _fail("Choose move or copy.")
        return value or MoveMode.MOVE

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, value: object) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise _fail("Enter a whole number of leads, like 500.")
        number = int(text)
        if number < 1:
            raise _fail("The limit must be at least 1. Leave it empty to take every matching lead.")
        if number > 10_000_000:
            raise _fail("That limit is larger than any Instantly workspace holds.")
        return number

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in MoveOptions.flag_names()]
        if unknown:
            raise _fail("Unknown option. Reopen the form and tick only the listed options.")
        return value

    @field_validator("assigned_to")
    @classmethod
    def _assignee(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind, _, user_id = value.partition(":")
        if kind != "member" or not _RESOURCE_ID.fullmatch(user_id):
            raise _fail("Pick the person from the suggestions.")
        return user_id

    @field_validator("destination")
    @classmethod
    def _distinct(cls, destination: Endpoint, info: ValidationInfo) -> Endpoint:
        # A field validator, not a model one, so this is reported alongside any other bad field.
        source = info.data.get(ids.SOURCE)
        if isinstance(source, Endpoint) and source.same_place(destination):
            raise _fail("The destination must differ from the source.")
        return destination

    def to_order(self, *, assignee_name: str | None = None) -> MoveOrder:
        flags = dict.fromkeys(self.options, True)
        name = assignee_name if self.assigned_to is not None else None
        return MoveOrder(
            source=self.source,
            destination=self.destination,
            mode=self.mode,
            limit=self.limit,
            filters=self.lead_filters(),
            options=MoveOptions(assign_to=self.assigned_to, assign_to_name=name, **flags),
        )


def _state(values: dict[str, Any], block_id: str) -> object:
    """The submitted value of one input, in the plain form MoveSubmission takes."""
    element = (values.get(block_id) or {}).get(block_id) or {}
    kind = element.get("type")
    if kind in ("external_select", "static_select", "radio_buttons"):
        option = element.get("selected_option")
        if not option:
            return None
        if kind == "external_select" and block_id in (ids.SOURCE, ids.DESTINATION):
            return {"value": option.get("value", ""), "label": (option.get("text") or {}).get("text", "")}
        return option.get("value")
    if kind == "checkboxes":
        return [o.get("value") for o in element.get("selected_options") or []]
    return element.get("value")


def parse(view: dict[str, Any]) -> MoveOrder | dict[str, str]:
    """A MoveOrder, or {block_id: message} for every field that is wrong."""
    values = (view.get("state") or {}).get("values") or {}
    fields = (
        *(ids.SOURCE, ids.DESTINATION, ids.MODE, ids.LIMIT, ids.SEARCH, ids.FILTER),
        *(ids.CONTACTS, ids.ASSIGNED_TO, ids.ESP_CODE, ids.ESG_CODE, ids.OPTIONS),
    )
    raw: dict[str, object] = {name: value for name in fields if (value := _state(values, name)) is not None}
    # Source and destination are always present so that a missing one gets its own words, not pydantic's.
    raw.setdefault(ids.SOURCE, None)
    raw.setdefault(ids.DESTINATION, None)
    try:
        submission = MoveSubmission.model_validate(raw)
    except ValidationError as exc:
        return _field_errors(exc)
    try:
        return submission.to_order(assignee_name=_assignee_name(values))
    except ValidationError as exc:
        return _field_errors(exc)


def _assignee_name(values: dict[str, Any]) -> str | None:
    """How the picker named the chosen member: kept with the order, so Run again shows whom without asking Instantly."""
    element = (values.get(ids.ASSIGNED_TO) or {}).get(ids.ASSIGNED_TO) or {}
    option = element.get("selected_option") if isinstance(element, dict) else None
    text = option.get("text") if isinstance(option, dict) else None
    name = text.get("text") if isinstance(text, dict) else None
    return name[:200] if isinstance(name, str) and name.strip() else None


def lead_choice(view: dict[str, Any]) -> LeadChoice | dict[str, str] | None:
    """The source and filters entered so far (None before a source is picked), or {block_id: message}."""
    values = (view.get("state") or {}).get("values") or {}
    fields = (ids.SOURCE, ids.SEARCH, ids.FILTER, ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE)
    raw: dict[str, object] = {name: value for name in fields if (value := _state(values, name)) is not None}
    if raw.get(ids.SOURCE) is None:
        return None
    try:
        return LeadChoice.model_validate(raw)
    except ValidationError as exc:
        return _field_errors(exc)


def takes_everything(order: MoveOrder) -> bool:
    """A move with no limit and no filter: every lead of the source goes, so it is confirmed first."""
    return order.limit is None and order.filters == LeadFilters()


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        block_id = str(error["loc"][0]) if error["loc"] else ids.SOURCE
        message = error["msg"] if error["type"] == "leadmover" else "This value is not valid."
        errors.setdefault(block_id, message)
    return errors


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def channel_of(view: dict[str, Any]) -> str | None:
    """The channel the modal was opened from, carried in private_metadata."""
    channel = _metadata(view).get("channel_id")
    return channel if isinstance(channel, str) and channel else None


def run_again(view: dict[str, Any]) -> bool:
    """Whether the modal was opened by Run again (App Home), which says so in private_metadata."""
    return isinstance(_metadata(view).get("run_again"), int)
