"""Whole HTML pages that frame Block Kit the way Slack's desktop client does: a channel, a thread, a modal over a
dimmed channel, and an App Home tab (pure functions, no I/O; html_render draws the blocks)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulators.reading import Reader, read_as, zone_named
from simulators.slack.html_render import blocks_html
from simulators.slack.html_text import Names, mrkdwn_html, text_html

__all__ = ["Post", "home_page", "message_page", "modal_page"]

APP_NAME = "leadmover"
# The reader the tour is drawn for: Slack shows every <!date> in the reader's own zone, so the pictures pick one.
TOUR_ZONE = "America/New_York"
_READER = Reader(zone=zone_named(TOUR_ZONE))
_ZONE_NOTE = f'<div class="zone-note">Times as a reader in {TOUR_ZONE} sees them.</div>'


def _blocks(blocks: Any, names: Names) -> str:
    return blocks_html(read_as(blocks, _READER), names=names)


@dataclass(frozen=True)
class Post:
    """One message as a channel shows it: its blocks (or its text when it has none) and who posted it when."""

    blocks: Sequence[Mapping[str, Any]] = ()
    text: str = ""
    time: str = "9:41 AM"
    author: str = APP_NAME
    app: bool = True
    edited: bool = False
    replies: int = 0


_CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d; font: 15px/1.46668 Lato, "Noto Color Emoji", sans-serif;
  -webkit-font-smoothing: antialiased; }
a { color: #1264a3; text-decoration: none; }
b { font-weight: 700; }
code { font: 12px/1.5 Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; color: #e01e5a; padding: 2px 3px 1px;
  background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px; }
pre { font: 12px/1.5 Monaco, Menlo, Consolas, "DejaVu Sans Mono", monospace; margin: 4px 0; padding: 8px;
  background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px; white-space: pre-wrap; }
blockquote { margin: 0; padding-left: 16px; border-left: 4px solid #ddd; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; font-weight: 400; }
.unsupported { color: #e01e5a; font: 12px monospace; border: 1px dashed #e01e5a; padding: 1px 4px; }
.bar { height: 49px; padding: 0 20px; display: flex; align-items: center; gap: 8px; border-bottom: 1px solid #ddd;
  font-weight: 900; font-size: 18px; }
.bar .sub { font-weight: 400; font-size: 13px; color: #616061; }
.pane { padding: 8px 0 16px; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.message:hover { background: #f8f8f8; }
.avatar { flex: 0 0 36px; height: 36px; border-radius: 6px; color: #fff; font-weight: 900; font-size: 15px;
  display: flex; align-items: center; justify-content: center;
  background: linear-gradient(135deg, #2eb67d 0%, #1a7f64 100%); }
.avatar.person { background: linear-gradient(135deg, #ecb22e 0%, #e07b1e 100%); }
.body { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; gap: 6px; }
.name { font-weight: 900; }
.badge { font-size: 10px; font-weight: 700; color: #616061; background: rgba(29,28,29,.13); border-radius: 2px;
  padding: 1px 3px; position: relative; top: -1px; }
.time, .edited { color: #616061; font-size: 12px; }
.edited { line-height: 1.2; }
.replies { margin-top: 4px; font-size: 13px; font-weight: 700; color: #1264a3; }
.divider-replies { display: flex; align-items: center; gap: 12px; color: #616061; font-size: 13px; padding: 0 20px; }
.divider-replies::after { content: ""; flex: 1; border-top: 1px solid #ddd; }
.block { margin: 4px 0; }
.section { display: flex; gap: 12px; align-items: flex-start; }
.section .main { flex: 1; min-width: 0; word-wrap: break-word; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 4px; }
.context { display: flex; flex-wrap: wrap; gap: 8px; font-size: 12px; line-height: 1.5; color: #616061; }
.context code { font-size: 11px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 12px 0 4px; }
hr.divider { border: 0; border-top: 1px solid #ddd; margin: 16px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { display: inline-flex; align-items: center; height: 28px; padding: 0 12px; font-size: 13px; font-weight: 700;
  color: #1d1c1d; background: #fff; border: 1px solid rgba(29,28,29,.3); border-radius: 4px; white-space: nowrap; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { color: #e01e5a; border-color: rgba(224,30,90,.6); }
.button.overflow { padding: 0 8px; font-size: 16px; }
.image { background: #e8e8e8; color: #616061; font-size: 12px; border-radius: 4px; padding: 24px; text-align: center; }
.image.small { display: inline-block; width: 20px; height: 20px; padding: 0; vertical-align: middle; }
.input { margin: 16px 0; }
.label { font-weight: 700; margin-bottom: 8px; }
.optional { font-weight: 400; color: #616061; }
.hint { font-size: 13px; color: #616061; margin-top: 6px; }
.field, .select { display: flex; align-items: center; min-height: 40px; padding: 0 12px; border-radius: 8px;
  border: 1px solid rgba(29,28,29,.3); background: #fff; }
.field.multiline { min-height: 88px; align-items: flex-start; padding-top: 9px; }
.select { gap: 8px; }
.select .value { flex: 1; }
.chevron { width: 8px; height: 8px; border: solid #616061; border-width: 0 2px 2px 0; transform: rotate(45deg);
  margin: -4px 2px 0 0; }
.placeholder { color: #868686; }
.token { display: inline-block; background: rgba(29,28,29,.06); border-radius: 4px; padding: 0 6px; margin-right: 4px; }
.choices { display: flex; flex-direction: column; gap: 8px; }
.choice { display: flex; gap: 8px; align-items: flex-start; }
.choice-label { line-height: 20px; }
.description { font-size: 13px; color: #616061; }
.radio, .checkbox { flex: 0 0 18px; height: 18px; margin-top: 1px; background: #fff;
  border: 1px solid rgba(29,28,29,.5); }
.radio { border-radius: 50%; }
.checkbox { border-radius: 4px; }
.radio.on { border: 5px solid #1264a3; }
.checkbox.on { background: #1264a3; border-color: #1264a3; position: relative; }
.checkbox.on::after { content: ""; position: absolute; left: 5px; top: 1px; width: 5px; height: 10px;
  border: solid #fff; border-width: 0 2px 2px 0; transform: rotate(45deg); }
.scrim { min-height: 100vh; padding: 32px 0; background: rgba(0,0,0,.5); display: flex; justify-content: center;
  align-items: flex-start; }
.modal { width: 520px; background: #fff; border-radius: 8px; box-shadow: 0 18px 48px rgba(0,0,0,.35); }
.modal-head { display: flex; align-items: center; gap: 12px; height: 70px; padding: 0 20px 0 28px; }
.modal-head .avatar { flex-basis: 28px; height: 28px; font-size: 11px; }
.modal-title { flex: 1; font-size: 22px; font-weight: 900; }
.close { font-size: 22px; color: #616061; }
.modal-body { padding: 0 28px 4px; }
.modal-foot { display: flex; justify-content: flex-end; gap: 12px; padding: 20px 28px 24px;
  border-top: 1px solid #ddd; }
.modal-foot .button { height: 36px; padding: 0 16px; font-size: 15px; }
.home-head { display: flex; align-items: center; gap: 10px; padding: 16px 20px 0; }
.home-head .name { font-size: 18px; }
.tabs { display: flex; gap: 24px; padding: 0 20px; border-bottom: 1px solid #ddd; font-size: 14px; color: #616061; }
.tabs span { padding: 12px 0 10px; }
.tabs .active { color: #1d1c1d; font-weight: 700; border-bottom: 2px solid #1d1c1d; }
.home-body { padding: 8px 28px 24px; max-width: 760px; }
.zone-note { padding: 4px 20px 8px; color: #616061; font-size: 12px; }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# The app's icon: two arrows, leads going one way and the other.
_APP_ICON = (
    '<svg viewBox="0 0 24 24" width="62%" height="62%" fill="none" stroke="#fff" stroke-width="2.4" '
    'stroke-linecap="round" stroke-linejoin="round"><path d="M4 8h15l-4-4M20 16H5l4 4"/></svg>'
)


def _avatar(name: str, *, app: bool) -> str:
    if app:
        return f'<div class="avatar">{_APP_ICON}</div>'
    initials = "".join(word[0] for word in name.split()[:2]).upper() or "?"
    return f'<div class="avatar person">{html.escape(initials)}</div>'


def _post(post: Post, names: Names) -> str:
    badge = '<span class="badge">APP</span>' if post.app else ""
    edited = '<div class="edited">(edited)</div>' if post.edited else ""
    content = (
        _blocks(list(post.blocks), names) if post.blocks else mrkdwn_html(read_as(post.text, _READER), names=names)
    )
    replies = ""
    if post.replies:
        replies = f'<div class="replies">{post.replies} {"reply" if post.replies == 1 else "replies"}</div>'
    return (
        f'<div class="message">{_avatar(post.author, app=post.app)}<div class="body">'
        f'<div class="meta"><span class="name">{html.escape(post.author)}</span>{badge}'
        f'<span class="time">{html.escape(post.time)}</span></div>\n{content}{edited}{replies}</div></div>'
    )


def message_page(
    posts: Sequence[Post], *, channel: str, names: Names, thread: Sequence[Post] = (), title: str = ""
) -> str:
    """A channel's messages, or with `thread` a thread pane: `posts[0]` as its parent and `thread` as replies."""
    if thread:
        count = f"{len(thread)} {'reply' if len(thread) == 1 else 'replies'}"
        bar = f'<div class="bar">Thread <span class="sub">#{html.escape(channel)}</span></div>'
        parent = _post(posts[0], names)
        replies = "\n".join(_post(p, names) for p in thread)
        body = f'{bar}<div class="pane">{parent}<div class="divider-replies">{count}</div>{replies}</div>{_ZONE_NOTE}'
    else:
        bar = f'<div class="bar"># {html.escape(channel)}</div>'
        body = f'{bar}<div class="pane">{"".join(_post(p, names) for p in posts)}</div>{_ZONE_NOTE}'
    return _document(title or f"#{channel}", body)


def modal_page(view: Mapping[str, Any], *, names: Names, title: str = "") -> str:
    """A modal as it opens over the client: title bar, blocks, and its Cancel and submit buttons."""
    foot = ""
    if view.get("close"):
        foot += f'<span class="button">{text_html(view["close"], names=names)}</span>'
    if view.get("submit"):
        foot += f'<span class="button primary">{text_html(view["submit"], names=names)}</span>'
    heading = text_html(view.get("title"), names=names)
    footer = f'<div class="modal-foot">{foot}</div>' if foot else ""
    body = (
        f'<div class="scrim"><div class="modal"><div class="modal-head">{_avatar(APP_NAME, app=True)}'
        f'<div class="modal-title">{heading}</div><span class="close">\u2715</span></div>\n'
        f'<div class="modal-body">\n{_blocks(view.get("blocks"), names)}\n</div>{footer}</div></div>{_ZONE_NOTE}'
    )
    return _document(title or str((view.get("title") or {}).get("text", "")), body)


def home_page(view: Mapping[str, Any], *, names: Names, title: str = "") -> str:
    """An app's Home tab: its name and tabs, then the published blocks."""
    head = (
        f'<div class="home-head">{_avatar(APP_NAME, app=True)}<span class="name">{APP_NAME}</span></div>'
        '<div class="tabs"><span class="active">Home</span><span>Messages</span><span>About</span></div>'
    )
    body = f'{head}<div class="home-body">\n{_blocks(view.get("blocks"), names)}\n</div>{_ZONE_NOTE}'
    return _document(title or f"{APP_NAME} Home", body)
