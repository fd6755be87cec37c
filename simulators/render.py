"""Render Slack messages and modals as readable plain text for the terminal demo (pure functions, no I/O)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simulators.reading import Reader, for_reader, read_as

if TYPE_CHECKING:
    from simulators.slack.conversations import Message

__all__ = ["SLACK_TOKEN", "mrkdwn_to_text", "render_message", "render_view", "token_parts"]

_RULE = "-" * 40
# Slack's tokens in mrkdwn: <@U1>, <#C1|name>, <!here>, <!date^…|fallback>, <https://x|label>, <mailto:a@b.c>.
SLACK_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_ELEMENT_KINDS = {
    "plain_text_input": "text input",
    "email_text_input": "email input",
    "url_text_input": "URL input",
    "number_input": "number input",
    "rich_text_input": "rich text input",
    "static_select": "dropdown",
    "multi_static_select": "multi-select dropdown",
    "external_select": "search dropdown",
    "multi_external_select": "multi-select search dropdown",
    "radio_buttons": "radio buttons",
    "checkboxes": "checkboxes",
    "users_select": "user picker",
    "multi_users_select": "multi-user picker",
    "conversations_select": "conversation picker",
    "multi_conversations_select": "multi-conversation picker",
    "channels_select": "channel picker",
    "multi_channels_select": "multi-channel picker",
    "datepicker": "date picker",
    "timepicker": "time picker",
    "datetimepicker": "date and time picker",
    "file_input": "file upload",
}


def token_parts(target: str, label: str | None) -> tuple[str, str]:
    """(kind, shown) of one Slack token: kind is "user", "channel", "special" (<!…>) or "link"; shown is what Slack
    shows when it knows no names (the label, else the id)."""
    if target.startswith("@") or target.startswith("#"):
        kind = "user" if target[0] == "@" else "channel"
        return kind, f"{target[0]}{label.lstrip('@#')}" if label else target
    if target.startswith("!"):
        return "special", label or f"@{target[1:].split('^', 1)[0]}"
    return "link", label if label else target.removeprefix("mailto:")


def _replace_link(match: re.Match[str]) -> str:
    return token_parts(match.group(1), match.group(2))[1]


def mrkdwn_to_text(text: str) -> str:
    """Light mrkdwn to plain text: ``<@U1>`` -> ``@U1``, ``<url|label>`` -> ``label``; *bold* is kept."""
    return html.unescape(SLACK_TOKEN.sub(_replace_link, text))


def _text(obj: Any) -> str:
    if isinstance(obj, Mapping):
        value = str(obj.get("text", ""))
        return mrkdwn_to_text(value) if obj.get("type") == "mrkdwn" else value
    return "" if obj is None else str(obj)


def _option_label(option: Any) -> str:
    return _text(option.get("text")) if isinstance(option, Mapping) else str(option)


def _element_inline(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind in ("button", "workflow_button"):
        return f"[{_text(element.get('text'))}]"
    if kind == "overflow":
        return "[...]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    label = _text(element.get("placeholder")) or _ELEMENT_KINDS.get(str(kind), str(kind))
    initial = element.get("initial_option")
    if isinstance(initial, Mapping):
        label = _option_label(initial)
    return f"[{label} v]"


def _options(element: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(group label, option label) pairs."""
    found = [("", _option_label(o)) for o in element.get("options") or []]
    for group in element.get("option_groups") or []:
        found += [(_text(group.get("label")), _option_label(o)) for o in group.get("options") or []]
    return found


def _selected(element: Mapping[str, Any]) -> set[str]:
    chosen = [element.get("initial_option"), *list(element.get("initial_options") or [])]
    return {_option_label(o) for o in chosen if isinstance(o, Mapping)}


def _render_input(block: Mapping[str, Any]) -> list[str]:
    element = block.get("element") or {}
    kind = str(element.get("type", "?"))
    label = _text(block.get("label"))
    descr = _ELEMENT_KINDS.get(kind, kind)
    extras = []
    if element.get("placeholder"):
        extras.append(f'"{_text(element["placeholder"])}"')
    for key in ("initial_value", "initial_date", "initial_time", "initial_user"):
        if element.get(key) not in (None, ""):
            extras.append(f"= {element[key]}")
    if kind == "external_select" and isinstance(element.get("initial_option"), Mapping):
        # Its options live at the app, so the one chosen shows only here.
        extras.append(f"= {_option_label(element['initial_option'])}")
    if block.get("optional"):
        extras.append("(optional)")
    lines = [" ".join([f"{label}: <{descr}>", *extras])]
    chosen = _selected(element)
    marks = {"radio_buttons": ("(*)", "( )"), "checkboxes": ("[x]", "[ ]")}.get(kind, ("*", "-"))
    last_group = ""
    for group, option in _options(element):
        if group and group != last_group:
            lines.append(f"    {group}:")
            last_group = group
        lines.append(f"    {marks[0] if option in chosen else marks[1]} {option}")
    if block.get("hint"):
        lines.append(f"    ({_text(block['hint'])})")
    return lines


def _rich_text(element: Any) -> str:
    if isinstance(element, Mapping):
        kind = element.get("type")
        if kind == "text":
            return str(element.get("text", ""))
        if kind == "link":
            return str(element.get("text") or element.get("url", ""))
        if kind == "user":
            return f"@{element.get('user_id', '')}"
        if kind == "channel":
            return f"#{element.get('channel_id', '')}"
        if kind == "emoji":
            return f":{element.get('name', '')}:"
        inner = "".join(_rich_text(e) for e in element.get("elements") or [])
        return inner + "\n" if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote") else inner
    return ""


def _render_block(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"))
        return [title, "=" * len(title)]
    if kind == "divider":
        return [_RULE]
    if kind == "section":
        lines = _text(block.get("text")).splitlines() if block.get("text") else []
        for item in block.get("fields") or []:
            lines += [f"  {line}" for line in _text(item).splitlines()]
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            lines.append(f"  {_element_inline(accessory)}")
        return lines
    if kind == "context":
        parts = [
            f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else _text(e)
            for e in block.get("elements") or []
            if isinstance(e, Mapping)
        ]
        return [f"  {' | '.join(parts)}"]
    if kind == "actions":
        return [" ".join(_element_inline(e) for e in block.get("elements") or [] if isinstance(e, Mapping))]
    if kind == "input":
        return _render_input(block)
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return _rich_text(block).rstrip("\n").splitlines()
    if kind == "markdown":
        return mrkdwn_to_text(str(block.get("text", ""))).splitlines()
    return [f"[{kind} block]"]


def _render_blocks(blocks: Any) -> str:
    lines: list[str] = []
    for block in blocks or []:
        if isinstance(block, Mapping):
            lines.extend(_render_block(block))
    return "\n".join(lines)


def render_message(message: Message | Mapping[str, Any], reader: Reader | None = None) -> str:
    """Plain text of a message: its blocks when it has any, else its text; with a `reader`, mentions and dates as
    that person's client draws them."""
    if isinstance(message, Mapping):
        blocks, text = message.get("blocks"), str(message.get("text") or "")
    else:
        blocks, text = message.blocks, message.text
    if reader is not None:
        blocks, text = read_as(blocks, reader), for_reader(text, reader)
    return _render_blocks(blocks) if blocks else mrkdwn_to_text(text)


def render_view(view: Mapping[str, Any], reader: Reader | None = None) -> str:
    """Plain text of a modal or a Home tab: title bar (a Home tab's is "Home", as Slack's tab says), blocks, and the
    close/submit buttons."""
    title = _text(view.get("title")) or ("Home" if view.get("type") == "home" else "Untitled view")
    lines = [f"+{'=' * (len(title) + 2)}+", f"| {title} |", f"+{'=' * (len(title) + 2)}+"]
    body = _render_blocks(read_as(view.get("blocks"), reader) if reader is not None else view.get("blocks"))
    if body:
        lines.append(body)
    buttons = [f"[{_text(view[key])}]" for key in ("close", "submit") if view.get(key)]
    if buttons:
        lines += [_RULE, " ".join(buttons)]
    return "\n".join(lines)
