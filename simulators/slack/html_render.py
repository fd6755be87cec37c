"""Block Kit as HTML fragments styled like Slack, for the screenshot tour (pure functions, no I/O).

Named html_render, not html, so that it never reads as the standard library's `html`. Whatever it cannot draw shows
as "[unsupported: type]", so a gap is seen in the pictures rather than hidden. Text objects are html_text's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from simulators.slack.html_text import EMOJI, Names, esc, mrkdwn_html, plain_html, text_html, unsupported

__all__ = ["blocks_html", "element_html"]


def _label(option: Any, names: Names) -> str:
    return text_html(option.get("text"), names=names) if isinstance(option, Mapping) else ""


def _button(element: Mapping[str, Any], names: Names) -> str:
    style = element.get("style")
    classes = "button" + (f" {style}" if style in ("primary", "danger") else "")
    label = text_html(element.get("text"), names=names)
    if element.get("url"):
        return f'<a class="{classes}" href="{esc(str(element["url"]))}">{label}</a>'
    return f'<span class="{classes}">{label}</span>'


def _choice_list(element: Mapping[str, Any], names: Names, *, mark: str) -> str:
    chosen = [element.get("initial_option"), *list(element.get("initial_options") or [])]
    values = {o.get("value") for o in chosen if isinstance(o, Mapping)}
    rows = []
    for option in element.get("options") or []:
        on = " on" if option.get("value") in values else ""
        description = option.get("description")
        extra = f'<div class="description">{text_html(description, names=names)}</div>' if description else ""
        rows.append(
            f'<div class="choice"><span class="{mark}{on}"></span>'
            f'<div><div class="choice-label">{_label(option, names)}</div>{extra}</div></div>'
        )
    return f'<div class="choices">{"".join(rows)}</div>'


def _select(element: Mapping[str, Any], names: Names) -> str:
    kind = str(element.get("type"))
    shown = [_label(o, names) for o in [element.get("initial_option"), *(element.get("initial_options") or [])] if o]
    for key in ("initial_user", "initial_channel", "initial_conversation"):
        if element.get(key):
            prefix = "@" if key == "initial_user" else "#"
            ident = str(element[key])
            shown.append(esc(prefix + names.get(ident, ident)))
    for key in ("initial_users", "initial_channels", "initial_conversations"):
        prefix = "@" if key == "initial_users" else "#"
        shown += [esc(prefix + names.get(str(i), str(i))) for i in element.get(key) or []]
    if shown and kind.startswith("multi_"):
        value = "".join(f'<span class="token">{s}</span>' for s in shown)
    elif shown:
        value = shown[0]
    else:
        placeholder = text_html(element.get("placeholder"), names=names) or "Select an item"
        value = f'<span class="placeholder">{placeholder}</span>'
    return f'<div class="select"><span class="value">{value}</span><span class="chevron"></span></div>'


def _field(element: Mapping[str, Any], names: Names) -> str:
    kind = str(element.get("type"))
    initial = element.get("initial_value") or element.get("initial_date") or element.get("initial_time")
    if initial not in (None, ""):
        value = plain_html(str(initial), emoji=False)
    else:
        value = f'<span class="placeholder">{text_html(element.get("placeholder"), names=names)}</span>'
    tall = " multiline" if element.get("multiline") else ""
    icon = {"datepicker": "\U0001f4c5 ", "timepicker": "\U0001f552 "}.get(kind, "")
    return f'<div class="field{tall}">{icon}{value}</div>'


_FIELDS: Final = frozenset({
    "plain_text_input", "number_input", "email_text_input", "url_text_input", "datepicker", "timepicker",
})  # fmt: skip
_SELECTS: Final = frozenset({
    "static_select", "external_select", "users_select", "conversations_select", "channels_select",
    "multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
    "multi_channels_select",
})  # fmt: skip
_ELEMENTS: Final[dict[str, Callable[[Mapping[str, Any], Names], str]]] = {
    "button": _button,
    "overflow": lambda e, n: '<span class="button overflow">\u22ee</span>',
    "image": lambda e, n: f'<span class="image small" title="{esc(str(e.get("alt_text", "")))}"></span>',
    "radio_buttons": lambda e, n: _choice_list(e, n, mark="radio"),
    "checkboxes": lambda e, n: _choice_list(e, n, mark="checkbox"),
    **dict.fromkeys(_SELECTS, _select),
    **dict.fromkeys(_FIELDS, _field),
}


def element_html(element: Mapping[str, Any], *, names: Names) -> str:
    """One interactive element (a button, a select, an input…) as it looks in Slack."""
    draw = _ELEMENTS.get(str(element.get("type")))
    return draw(element, names) if draw else unsupported(element.get("type"))


def _section(block: Mapping[str, Any], names: Names) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="text">{text_html(block["text"], names=names)}</div>')
    if block.get("fields"):
        cells = "".join(f"<div>{text_html(f, names=names)}</div>" for f in block["fields"])
        parts.append(f'<div class="fields">{cells}</div>')
    accessory = block.get("accessory")
    side = f'<div class="accessory">{element_html(accessory, names=names)}</div>' if accessory else ""
    return f'<div class="block section"><div class="main">{"".join(parts)}</div>{side}</div>'


def _context(block: Mapping[str, Any], names: Names) -> str:
    items = []
    for element in block.get("elements") or []:
        if element.get("type") == "image":
            items.append(element_html(element, names=names))
        else:
            items.append(f"<span>{text_html(element, names=names)}</span>")
    return f'<div class="block context">{"".join(items)}</div>'


def _input(block: Mapping[str, Any], names: Names) -> str:
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    hint = block.get("hint")
    below = f'<div class="hint">{text_html(hint, names=names)}</div>' if hint else ""
    return (
        f'<div class="block input"><div class="label">{text_html(block.get("label"), names=names)}{optional}</div>'
        f"{element_html(block.get('element') or {}, names=names)}{below}</div>"
    )


def _rich(element: Mapping[str, Any], names: Names) -> str:
    kind = element.get("type")
    inner = "".join(_rich(e, names) for e in element.get("elements") or [])
    if kind == "text":
        out = plain_html(str(element.get("text", "")), emoji=False)
        style = element.get("style") or {}
        for key, tag in (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b")):
            out = f"<{tag}>{out}</{tag}>" if style.get(key) else out
        return out
    if kind == "link":
        url = str(element.get("url", ""))
        return f'<a href="{esc(url)}">{esc(str(element.get("text") or url))}</a>'
    if kind in ("user", "channel"):
        ident = str(element.get(f"{kind}_id", ""))
        return f'<span class="mention">{"@" if kind == "user" else "#"}{esc(names.get(ident, ident))}</span>'
    if kind == "emoji":
        name = str(element.get("name", ""))
        return EMOJI.get(name, f":{esc(name)}:")
    wrap = {"rich_text_section": "div", "rich_text_preformatted": "pre", "rich_text_quote": "blockquote"}
    if kind in wrap:
        return f"<{wrap[kind]}>{inner}</{wrap[kind]}>"
    if kind == "rich_text_list":
        tag = "ol" if element.get("style") == "ordered" else "ul"
        items = "".join(f"<li>{_rich(e, names)}</li>" for e in element.get("elements") or [])
        return f"<{tag}>{items}</{tag}>"
    return unsupported(kind)


_BLOCKS: Final[dict[str, Callable[[Mapping[str, Any], Names], str]]] = {
    "section": _section,
    "context": _context,
    "input": _input,
    "divider": lambda b, n: '<hr class="block divider">',
    "header": lambda b, n: f'<div class="block header">{text_html(b.get("text"), names=n)}</div>',
    "actions": lambda b, n: (
        f'<div class="block actions">{"".join(element_html(e, names=n) for e in b.get("elements") or [])}</div>'
    ),
    "image": lambda b, n: f'<div class="block image">{esc(str(b.get("alt_text", "")))}</div>',
    "rich_text": lambda b, n: f'<div class="block rich">{"".join(_rich(e, n) for e in b.get("elements") or [])}</div>',
    "markdown": lambda b, n: f'<div class="block section">{mrkdwn_html(str(b.get("text", "")), names=n)}</div>',
}


def blocks_html(blocks: Any, *, names: Names) -> str:
    """Every block in order; one of a type not drawn here shows as "[unsupported: type]"."""
    out = []
    for block in blocks or []:
        draw = _BLOCKS.get(str(block.get("type")))
        out.append(draw(block, names) if draw else f'<div class="block">{unsupported(block.get("type"))}</div>')
    return "\n".join(out)
