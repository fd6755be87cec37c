"""Block Kit checks for the views, messages and options the app sends, with Slack-style error messages.

First the shape (our rules: types, nesting, unique ids, counts); then, on a well-formed payload, slack_sdk's models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

from simulators.slack.sdk_checks import UNREADABLE, error, sdk_errors

JSON = dict[str, Any]
BLOCK_TYPES = frozenset({
    "actions", "context", "divider", "file", "header", "image", "input", "markdown",
    "rich_text", "section", "table", "video", "call",
})  # fmt: skip
INPUT_ELEMENTS = frozenset({
    "checkboxes", "channels_select", "conversations_select", "datepicker", "datetimepicker",
    "email_text_input", "external_select", "file_input", "multi_channels_select",
    "multi_conversations_select", "multi_external_select", "multi_static_select", "multi_users_select",
    "number_input", "plain_text_input", "radio_buttons", "rich_text_input", "static_select", "timepicker",
    "url_text_input", "users_select",
})  # fmt: skip
ELEMENTS = INPUT_ELEMENTS | {"button", "image", "overflow", "workflow_button"}
MESSAGE_BLOCK_LIMIT = 50  # slack_sdk checks a view's 100, not a message's 50
_OPTION_ELEMENTS = frozenset({"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"})
_EXTERNAL_SELECTS = frozenset({"external_select", "multi_external_select"})
_OPTION_LIMITS = {"radio_buttons": 10, "checkboxes": 10}  # selects (100) and overflow (5): slack_sdk
# Which inputs take a dispatch_action_config (when a block_actions is sent), and its triggers.
_TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"})
_DISPATCH_TRIGGERS = frozenset({"on_enter_pressed", "on_character_entered"})


def check_view(view: Any, *, kind: str = "modal") -> list[str]:
    """Problems with a view for views.open / views.update or a response_action (pointers under /view); `kind`
    "home" checks a Home tab for views.publish instead."""
    shape = _Shape()
    shape.view(view, kind=kind)
    if shape.errors:
        return shape.errors
    try:
        blocks = [Block.parse(block) for block in view["blocks"]]
        model = View(**{**view, "blocks": blocks})
    except UNREADABLE as exc:
        return [error("/view", f"slack_sdk cannot read it: {exc!r}")]
    return sdk_errors(model, view, "/view")


def check_message_blocks(blocks: Any) -> list[str]:
    """Problems with the blocks of a message (chat.*, a command's answer, a response_url post)."""
    shape = _Shape()
    shape.blocks(blocks, "/blocks", limit=MESSAGE_BLOCK_LIMIT)
    if shape.errors:
        return shape.errors
    errors: list[str] = []
    for i, block in enumerate(blocks):
        try:
            model = Block.parse(block)
        except UNREADABLE as exc:
            errors.append(error(f"/blocks/{i}", f"slack_sdk cannot read it: {exc!r}"))
            continue
        if model is not None:
            errors += sdk_errors(model, block, f"/blocks/{i}")
    return errors


def check_options(answer: Mapping[str, Any]) -> list[str]:
    """Problems with a non-empty answer to an options load, held to static_select's rules."""
    element = {"type": "static_select", **answer}
    shape = _Shape()
    shape.element(element, "", set())
    if shape.errors:
        return shape.errors
    try:
        model = BlockElement.parse(element)
    except UNREADABLE as exc:
        return [error("", f"slack_sdk cannot read it: {exc!r}")]
    return sdk_errors(model, element, "") if isinstance(model, JsonObject) else []


def element_options(element: Mapping[str, Any]) -> list[JSON]:
    """The element's options, with option groups flattened."""
    found = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        found.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return found


def interactive_elements(block: Mapping[str, Any]) -> list[JSON]:
    """The interactive elements of a block (those that carry an action_id)."""
    kind = block.get("type")
    found: list[Any] = []
    if kind == "input":
        found = [block.get("element")]
    elif kind == "actions":
        found = list(block.get("elements") or [])
    elif kind == "section":
        found = [block.get("accessory")]
    return [e for e in found if isinstance(e, dict) and e.get("type") in ELEMENTS and e.get("type") != "image"]


# ---------------------------------------------------------------------------- our rules


class _Shape:
    """The rules slack_sdk's models miss: types and nesting, non-empty text, unique ids, option counts."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, pointer: str, message: str) -> None:
        self.errors.append(error(pointer, message))

    def text(self, obj: Any, pointer: str, *, plain: bool = False, limit: int | None = None) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ({"plain_text"} if plain else {"plain_text", "mrkdwn"}):
            self.err(pointer, f"must be a {'plain_text' if plain else 'plain_text or mrkdwn'} text object")
            return
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.err(pointer + "/text", "must be more than 0 characters")
        elif limit is not None and len(value) > limit:
            self.err(pointer + "/text", f"must be less than {limit + 1} characters")

    def length(self, value: Any, pointer: str, limit: int) -> None:
        if value is not None and len(str(value)) > limit:
            self.err(pointer, f"must be less than {limit + 1} characters")

    def option(self, option: Any, pointer: str, *, plain: bool) -> None:
        if not isinstance(option, dict):
            self.err(pointer, "must be an option object")
            return
        self.text(option.get("text"), pointer + "/text", plain=plain)
        if not isinstance(option.get("value"), str) or not option["value"]:
            self.err(pointer + "/value", "must provide a string value")

    def element(self, el: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict) or el.get("type") not in ELEMENTS:
            self.err(pointer + "/type", f"unknown element type {el.get('type') if isinstance(el, dict) else el!r}")
            return
        kind = el["type"]
        action_id = el.get("action_id")
        if action_id is not None:
            if action_id in action_ids:
                self.err(pointer + "/action_id", f"action_id {action_id!r} already exists")
            action_ids.add(action_id)
        if "placeholder" in el:
            self.text(el["placeholder"], pointer + "/placeholder", plain=True)
        if "confirm" in el:
            self.confirm(el["confirm"], pointer + "/confirm")
        if kind in {"button", "workflow_button"}:
            self.text(el.get("text"), pointer + "/text", plain=True)
            for key in ("value", "url"):  # slack_sdk measures them without asking whether they are strings
                if key in el and not isinstance(el[key], str):
                    self.err(f"{pointer}/{key}", "must be a string")
        elif kind in _OPTION_ELEMENTS:
            self._options(el, pointer)
        elif kind in _EXTERNAL_SELECTS:
            self._external_initial(el, pointer)
        if "dispatch_action_config" in el:
            self._dispatch_config(el, pointer)
        if kind == "number_input" and not isinstance(el.get("is_decimal_allowed"), bool):
            self.err(pointer + "/is_decimal_allowed", "must provide a boolean value")
        elif kind == "plain_text_input":
            for key in ("max_length", "min_length"):
                if key in el and not (isinstance(el[key], int) and 0 <= el[key] <= 3000):
                    self.err(f"{pointer}/{key}", "must be an integer between 0 and 3000")
            longest = el["max_length"] if isinstance(el.get("max_length"), int) else 3000
            if isinstance(el.get("initial_value"), str) and len(el["initial_value"]) > longest:
                self.err(f"{pointer}/initial_value", f"must be at most {longest} characters")

    def _dispatch_config(self, el: JSON, pointer: str) -> None:
        where = pointer + "/dispatch_action_config"
        if el["type"] not in _TEXT_INPUTS:
            self.err(where, f"is not allowed on a {el['type']}")
            return
        config = el["dispatch_action_config"]
        triggers = config.get("trigger_actions_on") if isinstance(config, dict) else None
        if not isinstance(triggers, list) or not triggers or not set(triggers) <= _DISPATCH_TRIGGERS:
            self.err(where + "/trigger_actions_on", f"must be a non-empty array of {sorted(_DISPATCH_TRIGGERS)}")

    def confirm(self, dialog: Any, pointer: str) -> None:
        """A confirmation dialog: slack_sdk's model fails on a missing part and accepts mrkdwn where Slack won't."""
        if not isinstance(dialog, dict):
            self.err(pointer, "must be a confirmation dialog object")
            return
        for key in ("title", "text", "confirm", "deny"):
            self.text(dialog.get(key), f"{pointer}/{key}", plain=key != "text")

    def _external_initial(self, el: JSON, pointer: str) -> None:
        """An external select's preselection: Slack cannot hold it to options it never loaded, but it must be a whole
        option object, with plain_text as in every select menu."""
        if "initial_option" in el:
            self.option(el["initial_option"], pointer + "/initial_option", plain=True)
        if "initial_options" in el:
            chosen = el["initial_options"]
            if not isinstance(chosen, list):
                self.err(pointer + "/initial_options", "must be an array")
                return
            for i, option in enumerate(chosen):
                self.option(option, f"{pointer}/initial_options/{i}", plain=True)

    def _options(self, el: JSON, pointer: str) -> None:
        kind = el["type"]
        if "options" not in el and "option_groups" not in el and kind not in {"static_select", "multi_static_select"}:
            self.err(pointer + "/options", "must provide options")
            return
        plain = kind in {"static_select", "multi_static_select", "overflow"}
        options = el.get("options")
        if "options" in el:
            limit = _OPTION_LIMITS.get(kind)
            if not isinstance(options, list) or not options:
                self.err(pointer + "/options", "must provide at least 1 option")
                return
            if limit is not None and len(options) > limit:
                self.err(pointer + "/options", f"must provide at most {limit} options")
            for i, option in enumerate(options):
                self.option(option, f"{pointer}/options/{i}", plain=plain)
        groups = el.get("option_groups")
        if groups is not None and not isinstance(groups, list):
            self.err(pointer + "/option_groups", "must be an array")
            return
        for g, group in enumerate(groups or []):
            where = f"{pointer}/option_groups/{g}"
            if not isinstance(group, dict) or not isinstance(group.get("options"), list):
                self.err(where, "must be an option group with options")
                continue
            self.text(group.get("label"), where + "/label", plain=True)
            for i, option in enumerate(group["options"]):
                self.option(option, f"{where}/options/{i}", plain=plain)
        values = {o.get("value") for o in element_options(el)}
        initial = [el["initial_option"]] if isinstance(el.get("initial_option"), dict) else []
        initial += [o for o in el.get("initial_options") or [] if isinstance(o, dict)]
        for option in initial:
            if option.get("value") not in values:
                self.err(pointer + "/initial_option", "must match one of the provided options")

    def blocks(self, blocks: Any, pointer: str, *, limit: int | None, action_ids: set[str] | None = None) -> None:
        if not isinstance(blocks, list):
            self.err(pointer, "must be an array")
            return
        if limit is not None and len(blocks) > limit:
            self.err(pointer, f"must contain at most {limit} items")
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", block_ids, set() if action_ids is None else action_ids)

    def block(self, block: Any, pointer: str, block_ids: set[str], action_ids: set[str]) -> None:
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else block
            self.err(pointer + "/type", f"unknown block type {kind!r}")
            return
        kind = block["type"]
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                self.err(pointer + "/block_id", f"block_id {block_id!r} already exists")
            block_ids.add(block_id)
        if kind == "section":
            if "text" in block:
                self.text(block["text"], pointer + "/text")
            fields = block.get("fields") or []
            for i, item in enumerate(fields if isinstance(fields, list) else []):
                self.text(item, f"{pointer}/fields/{i}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], pointer + "/accessory", action_ids)
        elif kind == "header":
            self.text(block.get("text"), pointer + "/text", plain=True)
        elif kind in {"context", "actions"}:
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.err(pointer + "/elements", "must provide at least 1 element")
                return
            for i, item in enumerate(elements):
                if kind == "actions":
                    self.element(item, f"{pointer}/elements/{i}", action_ids)
                elif not (isinstance(item, dict) and item.get("type") == "image"):
                    self.text(item, f"{pointer}/elements/{i}", limit=3000)
        elif kind == "input":
            self.text(block.get("label"), pointer + "/label", plain=True)
            element = block.get("element")
            if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
                self.err(pointer + "/element", "must provide an input element")
            else:
                self.element(element, pointer + "/element", action_ids)
            if "hint" in block:
                self.text(block["hint"], pointer + "/hint", plain=True)
            dispatch = block.get("dispatch_action", False)
            if not isinstance(dispatch, bool):
                self.err(pointer + "/dispatch_action", "must be a boolean")
            elif dispatch and isinstance(element, dict) and element.get("type") == "file_input":
                self.err(pointer + "/dispatch_action", "unsupported type: a file_input cannot dispatch actions")
        if kind != "input" and "dispatch_action" in block:
            self.err(pointer + "/dispatch_action", "is only allowed on input blocks")

    def view(self, view: Any, *, kind: str = "modal") -> None:
        if not isinstance(view, dict):
            self.err("/view", "must be an object")
            return
        if view.get("type") != kind:
            self.err("/view/type", f"must be {kind}")
        if kind == "home":
            # A Home tab has no title bar and no buttons of its own: Slack refuses them in views.publish.
            for key in ("title", "submit", "close"):
                if key in view:
                    self.err(f"/view/{key}", "is not allowed in a home view")
        else:
            self.text(view.get("title"), "/view/title", plain=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                self.text(view[key], f"/view/{key}", plain=True)
        blocks = view.get("blocks")
        self.blocks(blocks, "/view/blocks", limit=None, action_ids=set())
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            self.err("/view/submit", "must provide submit when the view contains input blocks")
        self.length(view.get("external_id"), "/view/external_id", 255)
