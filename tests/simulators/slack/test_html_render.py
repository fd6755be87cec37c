"""Block Kit and mrkdwn drawn as HTML for the screenshot tour (html_text, html_render, html_pages): escaping,
mrkdwn, each block and element kind, and the pages around them."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.slack.html_pages import Post, home_page, message_page, modal_page
from simulators.slack.html_render import blocks_html, element_html
from simulators.slack.html_text import mrkdwn_html, plain_html
from tests.simulators.slack.samples import pt

NAMES = {"U0DANA": "Dana", "C0SALES": "sales"}


def md(text: str) -> str:
    return mrkdwn_html(text, names=NAMES)


def opt(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": pt(text), "value": value}
    if description:
        option["description"] = pt(description)
    return option


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold* _italic_ ~gone~", "<b>bold</b> <i>italic</i> <s>gone</s>"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("* not bold *", "* not bold *"),
        ("`a *b* <@U0DANA>`", "<code>a *b* &lt;@U0DANA&gt;</code>"),
        ("```line 1\n*x* &lt;y&gt;```", "<pre>line 1\n*x* &lt;y&gt;</pre>"),
        ("> quoted\n> again\nafter", "<blockquote>quoted<br>again</blockquote>after"),
        ("a\nb", "a<br>b"),
        ("<https://x.io/a?b=1&amp;c=2|the *job*>", '<a href="https://x.io/a?b=1&amp;c=2">the *job*</a>'),
        ("*<https://x.io|job>*", '<b><a href="https://x.io">job</a></b>'),
        ("<mailto:a@b.c>", '<a href="mailto:a@b.c">a@b.c</a>'),
        ("<javascript:alert(1)|x>", "&lt;javascript:alert(1)&gt;"),
        ("<@U0DANA> in <#C0SALES>", '<span class="mention">@Dana</span> in <span class="mention">#sales</span>'),
        ("<@U0NEW> <#C0NEW|general>", '<span class="mention">@U0NEW</span> <span class="mention">#general</span>'),
        ("<!here> <!channel>", '<span class="mention">@here</span> <span class="mention">@channel</span>'),
        ("<!date^1773151320^{date_short_pretty} at {time}|2026-03-10 14:02 UTC>", "2026-03-10 14:02 UTC"),
        (":white_check_mark: :x: :no_entry_sign: :hourglass_flowing_sand:", "\u2705 \u274c \U0001f6ab \u23f3"),
        (":not_an_emoji: at 09:30:00", ":not_an_emoji: at 09:30:00"),
        ("a &lt;b&gt; &amp; c &amp;lt;", "a &lt;b&gt; &amp; c &amp;lt;"),
        ("<script>\"x\"</script> & 'y'", "&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; &#x27;y&#x27;"),
        ("*<@U0DANA>*, _Acme &amp; Co_", '<b><span class="mention">@Dana</span></b>, <i>Acme &amp; Co</i>'),
    ],
)
def test_mrkdwn(text: str, html: str) -> None:
    assert md(text) == html


def test_text_from_people_can_never_become_markup() -> None:
    hostile = '<img src=x onerror="alert(1)"> \x00 </div>'
    for rendered in (
        md(hostile),
        plain_html(hostile),
        blocks_html([{"type": "header", "text": pt(hostile)}], names={}),
    ):
        assert "<img" not in rendered
        assert "</div></div>" not in rendered
        assert "\x00" not in rendered


def test_plain_text_shows_stars_and_draws_emoji_only_when_allowed() -> None:
    assert plain_html("*Start* :x:") == "*Start* \u274c"
    assert plain_html("*Start* :x:", emoji=False) == "*Start* :x:"


def test_section_with_text_fields_and_each_accessory() -> None:
    for accessory, expected in [
        ({"type": "button", "text": pt("Run again"), "action_id": "a"}, '<span class="button">Run again</span>'),
        ({"type": "overflow", "action_id": "o", "options": [opt("One", "1")]}, 'class="button overflow"'),
        ({"type": "image", "image_url": "https://x.io/i.png", "alt_text": "logo"}, 'title="logo"'),
    ]:
        block = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Job*"},
            "fields": [{"type": "mrkdwn", "text": "*Moved*\n10"}, pt("Left")],
            "accessory": accessory,
        }
        html = blocks_html([block], names=NAMES)
        assert '<div class="text"><b>Job</b></div>' in html
        assert '<div class="fields"><div><b>Moved</b><br>10</div><div>Left</div></div>' in html
        assert f'<div class="accessory">{expected}' in html or expected in html


def test_context_divider_header_actions_image_markdown() -> None:
    html = blocks_html(
        [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "`job`"}, pt("plain")]},
            {"type": "divider"},
            {"type": "header", "text": pt("Your jobs")},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": pt("Approve"), "action_id": "a", "style": "primary"},
                    {"type": "button", "text": pt("Reject"), "action_id": "r", "style": "danger"},
                    {"type": "button", "text": pt("Open"), "action_id": "o", "url": "https://app.instantly.ai/"},
                ],
            },
            {"type": "image", "image_url": "https://x.io/c.png", "alt_text": "chart"},
            {"type": "markdown", "text": "**b**"},
        ],
        names=NAMES,
    )
    assert '<div class="block context"><span><code>job</code></span><span>plain</span></div>' in html
    assert '<hr class="block divider">' in html
    assert '<div class="block header">Your jobs</div>' in html
    assert '<span class="button primary">Approve</span>' in html
    assert '<span class="button danger">Reject</span>' in html
    assert '<a class="button" href="https://app.instantly.ai/">Open</a>' in html
    assert '<div class="block image">chart</div>' in html
    assert "unsupported" not in html


def test_an_unknown_block_or_element_shows_as_unsupported() -> None:
    html = blocks_html([{"type": "video", "title": pt("x")}, {"type": "section", "text": pt("ok")}], names={})
    assert '<span class="unsupported">[unsupported: video]</span>' in html
    assert "ok" in html
    assert (
        element_html({"type": "file_input"}, names={}) == '<span class="unsupported">[unsupported: file_input]</span>'
    )


def _input(element: dict[str, Any], **extra: Any) -> str:
    block = {"type": "input", "block_id": "b", "label": pt("Label"), "element": element, **extra}
    return blocks_html([block], names=NAMES)


def test_inputs_show_label_optional_hint_and_value_or_placeholder() -> None:
    html = _input({"type": "plain_text_input", "placeholder": pt("e.g. John")}, optional=True, hint=pt("A hint"))
    assert '<div class="label">Label <span class="optional">(optional)</span></div>' in html
    assert '<div class="field"><span class="placeholder">e.g. John</span></div>' in html
    assert '<div class="hint">A hint</div>' in html
    assert '<div class="field multiline">' in _input({"type": "plain_text_input", "multiline": True})
    assert '<div class="field">a &lt;b&gt;</div>' in _input({"type": "plain_text_input", "initial_value": "a <b>"})
    assert '<div class="field">500</div>' in _input(
        {"type": "number_input", "is_decimal_allowed": False, "initial_value": "500"}
    )
    assert "2026-03-10" in _input({"type": "datepicker", "initial_date": "2026-03-10"})


def test_selects_show_the_chosen_option_or_their_placeholder() -> None:
    options = [opt("Active", "a"), opt("Paused", "p")]
    static = _input({"type": "static_select", "placeholder": pt("Any status"), "options": options})
    assert '<span class="value"><span class="placeholder">Any status</span></span>' in static
    external = _input({"type": "external_select", "initial_option": opt("Acme Q4", "campaign:1")})
    assert '<span class="value">Acme Q4</span><span class="chevron"></span>' in external
    users = _input({"type": "users_select", "initial_user": "U0DANA"})
    assert '<span class="value">@Dana</span>' in users
    multi = _input({"type": "multi_users_select", "initial_users": ["U0DANA", "U0NEW"]})
    assert '<span class="token">@Dana</span><span class="token">@U0NEW</span>' in multi
    assert "Select an item" in _input({"type": "conversations_select"})


def test_radio_buttons_and_checkboxes_mark_what_is_chosen() -> None:
    modes = [opt("Move", "move", "Take them out"), opt("Copy", "copy")]
    radios = _input({"type": "radio_buttons", "options": modes, "initial_option": modes[1]})
    assert '<span class="radio"></span><div><div class="choice-label">Move</div>' in radios
    assert '<div class="description">Take them out</div>' in radios
    assert '<span class="radio on"></span><div><div class="choice-label">Copy</div>' in radios
    flags = [opt("Skip duplicates", "skip"), opt("Reset", "reset")]
    boxes = _input({"type": "checkboxes", "options": flags, "initial_options": [flags[0]]})
    assert '<span class="checkbox on"></span><div><div class="choice-label">Skip duplicates</div>' in boxes
    assert '<span class="checkbox"></span><div><div class="choice-label">Reset</div>' in boxes


def test_rich_text() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi <you>", "style": {"bold": True}},
                    {"type": "user", "user_id": "U0DANA"},
                    {"type": "emoji", "name": "tada"},
                    {"type": "link", "url": "https://x.io", "text": "x"},
                ],
            },
            {"type": "rich_text_list", "style": "ordered", "elements": [{"type": "rich_text_section", "elements": []}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "code"}]},
        ],
    }
    html = blocks_html([block], names=NAMES)
    assert (
        '<div><b>Hi &lt;you&gt;</b><span class="mention">@Dana</span>\U0001f389<a href="https://x.io">x</a></div>'
        in html
    )
    assert "<ol><li><div></div></li></ol>" in html
    assert "<pre>code</pre>" in html


def test_pages_frame_messages_threads_modals_and_home() -> None:
    post = Post(blocks=[{"type": "section", "text": pt("Hello")}], time="2:02 PM", edited=True)
    channel = message_page([post], channel="sales", names={})
    assert channel.startswith("<!DOCTYPE html>")
    assert '<div class="bar"># sales</div>' in channel
    assert (
        '<span class="name">leadmover</span><span class="badge">APP</span><span class="time">2:02 PM</span>' in channel
    )
    assert '<div class="edited">(edited)</div>' in channel
    reply = Post(text="*Done*", author="Dana Reyes", app=False)
    thread = message_page([post], channel="sales", names={}, thread=[reply])
    assert '<div class="divider-replies">1 reply</div>' in thread
    assert '<div class="avatar person">DR</div>' in thread
    assert "<b>Done</b>" in thread
    modal = modal_page(
        {"type": "modal", "title": pt("Move <leads>"), "submit": pt("Start"), "close": pt("Cancel")}, names={}
    )
    assert "<title>Move &lt;leads&gt;</title>" in modal
    assert '<span class="button">Cancel</span><span class="button primary">Start</span>' in modal
    home = home_page({"type": "home", "blocks": [{"type": "divider"}]}, names={})
    assert '<span class="active">Home</span>' in home
    assert '<hr class="block divider">' in home
