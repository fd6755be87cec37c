"""More filters over signed HTTP against the fake Slack (issue 20, point 3): the e-mail list, provider, gateway and
assignee stay off a new form; the button (block_actions) brings them in with views.update, and the form keeps them
across the previews' updates, a refused submission and Back from the confirmation. Hiding them takes away only those
left empty, so every value a person sees is submitted and none is lost."""

from __future__ import annotations

import json
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack
from handlers import ids, more_filters, preview_view
from tests.e2e.flows import confirmation, open_modal, pick, show_more_filters

MORE = set(more_filters.FIELDS)


def _blocks(stack: LocalStack, view_id: str) -> dict[str, dict[str, Any]]:
    return {str(b.get("block_id")): b for b in stack.slack.view(view_id)["blocks"]}


def _button(stack: LocalStack, view_id: str) -> tuple[str, str] | None:
    block = _blocks(stack, view_id).get(ids.MORE_FILTERS)
    return (block["elements"][0]["text"]["text"], block["elements"][0]["value"]) if block else None


def _preview(stack: LocalStack, view_id: str) -> str:
    return str(_blocks(stack, view_id)[ids.PREVIEW]["text"]["text"])


def _updates(stack: LocalStack, view_id: str) -> int:
    return sum(1 for call in stack.slack.calls_to("views.update") if call.args.get("view_id") == view_id)


def _choose(stack: LocalStack, view_id: str, action_id: str, value: Any) -> None:
    """The person picks or types `value` in the input `action_id`: Slack sends block_actions at once, and the app
    answers with a views.update of the form (its preview)."""
    before = _updates(stack, view_id)
    response = stack.slack.click_in_view(stack.app_url, view_id=view_id, action_id=action_id, values={action_id: value})
    assert response.status == 200
    assert stack.slack.wait_for(lambda: _updates(stack, view_id) > before, timeout=5)


def _press(stack: LocalStack, view_id: str, value: str) -> None:
    response = stack.slack.click_in_view(stack.app_url, view_id=view_id, action_id=ids.MORE_FILTERS, value=value)
    assert response.status == 200
    assert response.elapsed < 3


def test_a_new_form_keeps_them_behind_more_filters_which_stays_open_through_previews_and_errors(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = open_modal(stack)
    assert not MORE & set(_blocks(stack, view["id"]))
    assert _button(stack, view["id"]) == ("More filters", more_filters.SHOW)

    show_more_filters(stack, view)
    assert _button(stack, view["id"]) == ("Fewer filters", more_filters.HIDE)
    [update] = [c for c in stack.slack.calls_to("views.update") if c.args.get("view_id") == view["id"]]
    sent = update.args["view"]
    assert json.loads((json.loads(sent) if isinstance(sent, str) else sent)["private_metadata"])["more"] is True

    # Each preview rebuilds the form: it stays open.
    _choose(stack, view["id"], ids.SOURCE, pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound"))
    assert stack.slack.wait_for(lambda: "1,250 leads" in _preview(stack, view["id"]), timeout=5)
    _choose(stack, view["id"], ids.ESP_CODE, "1")
    assert set(_blocks(stack, view["id"])) >= MORE

    # A refused submission leaves the form as it was: open, the error beside the e-mail list.
    destination = pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads")
    typo = {ids.DESTINATION: destination, ids.CONTACTS: "ann@acme.com, bob@globex"}
    refused = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=typo).json()
    assert refused["response_action"] == "errors"
    assert set(refused["errors"]) == {ids.CONTACTS}
    assert set(_blocks(stack, view["id"])) >= MORE

    fixed = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={**typo, ids.CONTACTS: "ann@acme.com"})
    assert fixed.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    [body] = stack.instantly.move_bodies()
    assert (body["esp_code"], body["contacts"]) == (1, ["ann@acme.com"])


def test_hiding_them_keeps_every_field_that_holds_a_value_and_it_is_submitted(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = show_more_filters(stack, open_modal(stack))
    _choose(stack, view["id"], ids.SOURCE, pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound"))
    assert stack.slack.wait_for(lambda: "1,250 leads" in _preview(stack, view["id"]), timeout=5)
    _choose(stack, view["id"], ids.ESG_CODE, "2")
    member = pick(stack, view, ids.ASSIGNED_TO, "ann", "Ann Lee (ann@example.com)")

    # The assignee fires no action: Slack carries what was picked in the view's state of the button's click.
    response = stack.slack.click_in_view(
        stack.app_url,
        view_id=view["id"],
        action_id=ids.MORE_FILTERS,
        value=more_filters.HIDE,
        values={ids.ASSIGNED_TO: member},
    )
    assert response.status == 200
    assert stack.slack.wait_for(lambda: ids.CONTACTS not in _blocks(stack, view["id"]), timeout=5)
    blocks = _blocks(stack, view["id"])
    assert MORE & set(blocks) == {ids.ESG_CODE, ids.ASSIGNED_TO}
    assert blocks[ids.ESG_CODE]["element"]["initial_option"]["value"] == "2"
    assert blocks[ids.ASSIGNED_TO]["element"]["initial_option"]["value"] == member["value"]
    assert _button(stack, view["id"]) == ("More filters", more_filters.SHOW)
    assert _preview(stack, view["id"]) not in (preview_view.WAITING, preview_view.COUNTING), "the preview stays"

    destination = pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads")
    answer = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination})
    assert answer.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    [body] = stack.instantly.move_bodies()
    assert body["esg_code"] == "2"
    assert body["assigned_to"] == member["value"].removeprefix("member:")
    assert "contacts" not in body
    assert "esp_code" not in body


def test_back_from_the_confirmation_finds_more_filters_as_it_was(stack: LocalStack, workspace: DemoWorkspace) -> None:
    view = show_more_filters(stack, open_modal(stack))
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "initech", "Initech prospects"),
    }
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    pushed = confirmation(stack, response, view["id"])
    assert pushed is not None
    stack.slack.close_view(pushed["id"])
    assert set(_blocks(stack, view["id"])) >= MORE
    assert _button(stack, view["id"]) == ("Fewer filters", more_filters.HIDE)
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={**values, ids.ESP_CODE: "2"})
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies()[0]["esp_code"] == 2
