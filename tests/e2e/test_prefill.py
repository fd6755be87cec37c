"""`/leads move from:… to:… limit:…` over signed HTTP: the modal opens at once, the names are looked up in Instantly
and filled in with views.update, and submitting it unchanged makes exactly the move named."""

from __future__ import annotations

import json
import time
from typing import Any

from slack_sdk import WebClient

from app.local_stack import DemoWorkspace, LocalStack
from handlers import ids
from tests.e2e.flows import pick, submit_move


def _command(stack: LocalStack, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the view views.open opened, as sent, and the same view once any views.update has landed)."""
    before = len(stack.slack.opened_views())
    sent = time.monotonic()
    response = stack.slack.send_command(stack.app_url, text=text)
    assert response.status == 200
    assert response.elapsed < 3
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=3)
    opening = stack.slack.calls_to("views.open")[-1]
    assert opening.at - sent < 3
    _open_latency.append(opening.at - sent)
    first = opening.args["view"]
    first = json.loads(first) if isinstance(first, str) else first
    view_id = stack.slack.opened_views()[-1]["id"]
    if "Looking up" in json.dumps(first):
        assert stack.slack.wait_for(lambda: "Looking up" not in json.dumps(stack.slack.view(view_id)), timeout=5)
    return first, stack.slack.view(view_id)


_open_latency: list[float] = []  # how long each views.open came after its command was sent, newest last


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict(next(b for b in view["blocks"] if b.get("block_id") == block_id))


def _initial(view: dict[str, Any], block_id: str) -> Any:
    return _block(view, block_id)["element"].get("initial_option")


def _hint(view: dict[str, Any], block_id: str) -> str:
    return str((_block(view, block_id).get("hint") or {}).get("text", ""))


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": value}


def test_names_and_limit_are_filled_in_and_submitting_unchanged_makes_that_move(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    first, view = _command(stack, 'move from:"acme q1 OUTBOUND" to:"Acme warm leads" limit:200')
    # At once: the limit, and a note where the names go; nothing that needs Instantly.
    assert _block(first, ids.LIMIT)["element"]["initial_value"] == "200"
    assert _hint(first, ids.SOURCE) == "Looking up \u201cacme q1 OUTBOUND\u201d in Instantly\u2026"
    assert _initial(first, ids.SOURCE) is None
    # Then filled in, with the options exactly as the pickers offer them.
    campaign = workspace.campaigns["Acme Q1 outbound"]
    warm = workspace.lists["Acme warm leads"]
    assert _initial(view, ids.SOURCE) == _option(f"campaign:{campaign}", "Acme Q1 outbound")
    assert _initial(view, ids.DESTINATION) == _option(f"list:{warm}", "Acme warm leads")
    assert _hint(view, ids.SOURCE) == ""
    assert _hint(view, ids.DESTINATION) == ""
    assert _block(view, ids.LIMIT)["element"]["initial_value"] == "200"
    # Slack sends no action for an initial option, so the fill brings the named source's preview with it.
    assert "Pick where the leads come from" in _block(first, ids.PREVIEW)["text"]["text"]
    preview = _block(view, ids.PREVIEW)["text"]["text"]
    assert "campaign *Acme Q1 outbound* holds 1,250 leads" in preview
    assert f"• lead1@{campaign[:8]}.example.com" in preview

    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={})
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies() == [
        {"campaign": campaign, "to_list_id": warm, "copy_leads": False, "limit": 200}
    ]


def test_an_exact_name_wins_over_names_that_contain_it(stack: LocalStack, workspace: DemoWorkspace) -> None:
    acme = stack.instantly.add_campaign("Acme")
    _first, view = _command(stack, "move from:ACME")
    assert _initial(view, ids.SOURCE) == _option(f"campaign:{acme}", "Acme")


def test_a_modal_changed_meanwhile_is_not_overwritten(stack: LocalStack, workspace: DemoWorkspace) -> None:
    # views.update carries the hash views.open answered: had the modal changed since, Slack refuses the update.
    stack.instantly.delay["/api/v2/lead-lists"] = 1.0
    stack.slack.send_command(stack.app_url, text="move from:list:initech")
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) == 1, timeout=3)
    opened = stack.slack.opened_views()[0]
    client = WebClient(token=stack.slack.bot_token, base_url=stack.slack.api_url)
    changed = {k: opened[k] for k in ("type", "callback_id", "blocks", "submit", "close", "private_metadata")}
    client.views_update(view_id=opened["id"], hash=opened["hash"], view={**changed, "title": _text("Changed")})
    assert stack.slack.wait_for(lambda: len(stack.slack.calls_to("views.update")) == 2, timeout=5)
    time.sleep(0.2)
    now = stack.slack.view(opened["id"])
    assert now["title"]["text"] == "Changed"
    assert _initial(now, ids.SOURCE) is None
    assert stack.slack.calls_to("views.update")[1].args["view_id"] == opened["id"]


def test_copy_prefills_copy_and_the_same_names(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _first, view = _command(stack, "copy from:initech to:trade")
    assert _block(view, ids.MODE)["element"]["initial_option"]["value"] == ids.MODE_COPY
    assert view["title"]["text"] == "Copy leads"
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values={})
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    [body] = stack.instantly.move_bodies()
    assert body["list_id"] == workspace.lists["Initech prospects"]
    assert body["to_list_id"] == workspace.lists["Trade show 2026"]
    assert body["copy_leads"] is True


def test_ambiguous_and_unknown_names_are_said_beside_the_field_and_left_empty(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _first, view = _command(stack, 'move from:acme to:"Nowhere at all"')
    assert _initial(view, ids.SOURCE) is None
    assert _initial(view, ids.DESTINATION) is None
    assert _hint(view, ids.SOURCE).startswith("\u201cacme\u201d matches 2 campaigns and 1 list: pick one")
    assert _hint(view, ids.DESTINATION) == "No campaign or list is called \u201cNowhere at all\u201d. Pick one here."
    # The person picks there, as ever.
    view = stack.slack.view(view["id"])
    chosen = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "initech", "Initech prospects"),
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=chosen)
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies()[0]["to_list_id"] == workspace.lists["Initech prospects"]


def test_a_kind_settles_a_name_that_is_both_a_campaign_and_a_list(stack: LocalStack, workspace: DemoWorkspace) -> None:
    cold_campaign = stack.instantly.add_campaign("Cold storage")
    cold_list = stack.instantly.add_list("Cold storage")
    _first, both = _command(stack, 'move from:globex to:"cold storage"')
    assert _initial(both, ids.DESTINATION) is None
    assert "1 campaign and 1 list" in _hint(both, ids.DESTINATION)
    assert "to:list:" in _hint(both, ids.DESTINATION)
    _first, as_list = _command(stack, 'move from:globex to:list:"cold storage"')
    assert _initial(as_list, ids.DESTINATION) == _option(f"list:{cold_list}", "Cold storage")
    _first, as_campaign = _command(stack, 'move from:list:initech to:campaign:"Cold storage"')
    assert _initial(as_campaign, ids.DESTINATION) == _option(f"campaign:{cold_campaign}", "Cold storage")
    assert _initial(as_campaign, ids.SOURCE)["value"] == f"list:{workspace.lists['Initech prospects']}"


def test_a_slow_instantly_still_opens_the_modal_in_time_and_says_so_beside_the_field(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.instantly.delay["/api/v2/campaigns"] = 2.5
    first, view = _command(stack, "move from:acme to:list:warm limit:10")
    # Opened before Instantly was asked, not merely within the 3 s: resolving first would take the whole time box.
    assert _open_latency[-1] < 1.0
    assert "Looking up" in _hint(first, ids.SOURCE)
    assert (
        _hint(view, ids.SOURCE)
        == "Could not look up \u201cacme\u201d: Instantly was too slow to answer. Pick it here instead."
    )
    # The list search alone was not held up by the slow campaigns.
    assert _initial(view, ids.DESTINATION)["value"] == f"list:{workspace.lists['Acme warm leads']}"
    assert _block(view, ids.LIMIT)["element"]["initial_value"] == "10"


def test_instantly_down_is_said_beside_the_field(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.fail_next("GET", "/api/v2/lead-lists", status=401, message="Invalid API key")
    _first, view = _command(stack, "move from:list:initech")
    assert _initial(view, ids.SOURCE) is None
    assert _hint(view, ids.SOURCE) == (
        "Could not look up \u201cinitech\u201d: Instantly could not be searched just now. Pick it here instead."
    )


def test_a_limit_alone_needs_no_instantly_call_and_no_update(stack: LocalStack, workspace: DemoWorkspace) -> None:
    searches = len(stack.instantly.requests)
    first, _view = _command(stack, "move limit:75")
    assert _block(first, ids.LIMIT)["element"]["initial_value"] == "75"
    time.sleep(0.3)
    assert stack.slack.calls_to("views.update") == []
    assert len(stack.instantly.requests) == searches


def _answer(stack: LocalStack, text: str, *, escape: bool = True) -> dict[str, Any]:
    before = len(stack.slack.responses)
    stack.slack.send_command(stack.app_url, text=text, escape=escape)
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=3), text
    return stack.slack.responses[-1]


def test_unreadable_words_are_said_in_words_and_open_nothing(stack: LocalStack, workspace: DemoWorkspace) -> None:
    for text, says in (
        ("move form:acme", "I don't know `form:`"),
        ("move limit:lots", "`limit:lots`"),
        ('copy from:"Acme', "never closed"),
    ):
        answer = _answer(stack, text)
        assert answer["response_type"] == "ephemeral"
        assert says in answer["text"]
        assert "Traceback" not in answer["text"]
    assert stack.slack.opened_views() == []
    assert stack.instantly.requests == [] or all("search" not in r.query for r in stack.instantly.requests)


def test_what_was_typed_is_escaped_where_it_is_shown(stack: LocalStack, workspace: DemoWorkspace) -> None:
    # Typed as Slack delivers it with should_escape: "<b>" as entities; and raw, a broadcast token.
    answer = _answer(stack, "move <b>:x")
    assert "<b>" not in answer["text"]
    assert "&lt;b&gt;:" in answer["text"]
    answer = _answer(stack, "move <!channel>:x", escape=False)
    assert "<!channel>" not in answer["text"]
    # In the modal's hint (plain text, shown as written) the name reads as the person typed it.
    _first, view = _command(stack, 'move from:"<!here> & co"')
    assert _hint(view, ids.SOURCE) == "No campaign or list is called \u201c@here & co\u201d. Pick one here."


def test_a_person_who_may_not_move_is_refused_before_anything_is_read_or_searched(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.slack.add_user("U0GUEST", is_restricted=True)
    before = len(stack.slack.responses)
    stack.slack.send_command(stack.app_url, text="move from:acme limit:nope", user_id="U0GUEST")
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=3)
    refusal = stack.slack.responses[-1]["text"]
    assert "limit" not in refusal
    assert "may not" in refusal or "guest" in refusal.lower(), refusal
    assert stack.slack.opened_views() == []
    assert not any("search" in r.query for r in stack.instantly.requests)
