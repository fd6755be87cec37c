"""Slack's text as HTML fragments for the screenshot tour (pure functions, no I/O): mrkdwn, plain_text, emoji
shortcodes, and the visible mark of anything the renderer cannot draw. html_render draws the blocks around them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, Final

from simulators.render import SLACK_TOKEN, token_parts

__all__ = ["EMOJI", "Names", "esc", "mrkdwn_html", "plain_html", "text_html", "unsupported"]

Names = Mapping[str, str]  # user and channel ids -> the names Slack would show

# The shortcodes leadmover writes (and a few neighbours), as the Unicode Slack shows for them.
EMOJI: Final[dict[str, str]] = {
    "white_check_mark": "\u2705",
    "x": "\u274c",
    "no_entry_sign": "\U0001f6ab",
    "no_entry": "\u26d4",
    "hourglass_flowing_sand": "\u23f3",
    "hourglass": "\u231b",
    "warning": "\u26a0\ufe0f",
    "raised_hand": "\u270b",
    "double_vertical_bar": "\u23f8\ufe0f",
    "information_source": "\u2139\ufe0f",
    "mag": "\U0001f50d",
    "pencil2": "\u270f\ufe0f",
    "tada": "\U0001f389",
    "arrow_right": "\u27a1\ufe0f",
    "inbox_tray": "\U0001f4e5",
    "outbox_tray": "\U0001f4e4",
}
_EMOJI_CODE: Final = re.compile(r":([a-z0-9_+-]+):")
_PRE: Final = re.compile(r"```(.*?)```", re.DOTALL)
_CODE: Final = re.compile(r"`([^`\n]+)`")
_STASHED: Final = re.compile(r"\x00(\d+)\x00")
# Slack emphasises only between word boundaries: snake_case and 2*3*4 stay as written.
_EMPHASIS: Final = tuple(
    (re.compile(rf"(?<![\w{m}])\{m}(?=\S)([^{m}\n]+?)(?<=\S)\{m}(?![\w{m}])"), tag)
    for m, tag in (("*", "b"), ("_", "i"), ("~", "s"))
)
_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")


def esc(text: str) -> str:
    return html.escape(text.replace("\x00", ""), quote=True)  # NUL marks set-aside fragments in _inline


def _unslack(text: str) -> str:
    """Slack's own three entities back to characters (&amp; last, so "&amp;lt;" stays "&lt;")."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(escaped: str) -> str:
    return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)


def _token_html(target: str, label: str | None, names: Names) -> str:
    kind, shown = token_parts(target, label)
    if kind in ("user", "channel"):
        name = names.get(target[1:])
        shown = f"{target[0]}{name}" if name else _unslack(shown)
        return f'<span class="mention">{esc(shown)}</span>'
    shown = _unslack(shown)
    if kind == "special":
        broadcast = shown.startswith("@")
        return f'<span class="mention">{esc(shown)}</span>' if broadcast else esc(shown)
    if target.startswith(_LINK_SCHEMES):
        return f'<a href="{esc(_unslack(target))}">{_emoji(esc(shown))}</a>'
    return esc(f"<{target}>")  # not a link Slack would make: shown as typed


def _inline(line: str, names: Names) -> str:
    """One line of mrkdwn: code and Slack tokens set aside first, so that emphasis never reaches into them."""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    line = _CODE.sub(lambda m: keep(f"<code>{esc(_unslack(m.group(1)))}</code>"), line.replace("\x00", ""))
    line = SLACK_TOKEN.sub(lambda m: keep(_token_html(m.group(1), m.group(2), names)), line)
    out = html.escape(_unslack(line), quote=True)  # keeps the NUL markers, which _esc would drop
    for pattern, tag in _EMPHASIS:
        out = pattern.sub(rf"<{tag}>\1</{tag}>", out)
    return _STASHED.sub(lambda m: stash[int(m.group(1))], _emoji(out))


def _lines(text: str, names: Names) -> str:
    """Lines joined with <br>; a run of lines starting with ">" is a quote."""
    out: list[str] = []
    quote: list[str] = []
    for line in text.split("\n"):
        if line.startswith((">", "&gt;")):
            quote.append(_inline(line.removeprefix(">").removeprefix("&gt;").removeprefix(" "), names))
            continue
        if quote:
            out.append(f"<blockquote>{'<br>'.join(quote)}</blockquote>")
            quote = []
        out.append(_inline(line, names) + "<br>")
    if quote:
        out.append(f"<blockquote>{'<br>'.join(quote)}</blockquote>")
    return "".join(out).removesuffix("<br>")


def mrkdwn_html(text: str, *, names: Names) -> str:
    """Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes, links, mentions, dates
    (their fallback), :emoji:; Slack's &lt; &gt; &amp; shown as characters and everything else escaped."""
    out: list[str] = []
    pos = 0
    for match in _PRE.finditer(text):
        out.append(_lines(text[pos : match.start()], names))
        code = match.group(1).strip("\n")
        out.append(f"<pre>{esc(_unslack(code))}</pre>")
        pos = match.end()
    out.append(_lines(text[pos:], names))
    return "".join(out)


def plain_html(text: str, *, emoji: bool = True) -> str:
    """A plain_text object's text: shown as written, with :emoji: codes drawn when it allows them."""
    escaped = esc(text).replace("\n", "<br>")
    return _emoji(escaped) if emoji else escaped


def text_html(obj: Any, *, names: Names) -> str:
    """A text object (plain_text or mrkdwn), or "" when there is none."""
    if not isinstance(obj, Mapping):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(str(obj.get("text", "")), names=names)
    return plain_html(str(obj.get("text", "")), emoji=obj.get("emoji", True) is not False)


def unsupported(kind: Any) -> str:
    return f'<span class="unsupported">[unsupported: {esc(str(kind))}]</span>'
