"""What a person does in Slack, as steps the end-to-end tests share: open the move modal, show its More filters,
pick from a picker, submit it (confirming a move of every lead, as leadmover then asks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.local_stack import LocalStack
from handlers import ids, more_filters
from simulators.slack import AppResponse, FakeSlack


def open_modal(stack: LocalStack, *, verb: str = "move", channel_id: str = "C0SALES") -> dict[str, Any]:
    before = len(stack.slack.opened_views())
    response = stack.slack.send_command(stack.app_url, text=verb, channel_id=channel_id)
    assert response.status == 200
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=5)
    return stack.slack.opened_views()[-1]


def show_more_filters(stack: LocalStack, view: dict[str, Any], *, user_id: str = "U0ALICE") -> dict[str, Any]:
    """Press More filters in the move modal `view`, and return the modal once the app has shown every field."""
    response = stack.slack.click_in_view(
        stack.app_url, view_id=view["id"], action_id=ids.MORE_FILTERS, value=more_filters.SHOW, user_id=user_id
    )
    assert response.status == 200

    def every_field() -> bool:
        shown = {b.get("block_id") for b in stack.slack.view(view["id"])["blocks"]}
        return set(more_filters.FIELDS) <= shown

    assert stack.slack.wait_for(every_field, timeout=5), "More filters showed no more fields"
    return stack.slack.view(view["id"])


def pick(stack: LocalStack, view: dict[str, Any], action_id: str, query: str, label: str) -> dict[str, Any]:
    """Type `query` into a picker and choose the option labelled `label`, as a person would."""
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=action_id, value=query).json()
    options = [o for group in answer.get("option_groups", []) for o in group["options"]] + answer.get("options", [])
    matching = [o for o in options if o["text"]["text"] == label]
    assert matching, f"{label!r} not offered for {query!r}: {options}"
    return dict(matching[0])


def confirmation(stack: LocalStack | FakeSlack, response: AppResponse, view_id: str) -> dict[str, Any] | None:
    """The confirmation the app pushed over `view_id` in answer to its submission, if it did."""
    slack = stack.slack if isinstance(stack, LocalStack) else stack
    if response.status != 200 or not response.body.strip().startswith("{"):
        return None
    answer = response.json()
    if answer.get("response_action") != "push" or answer["view"].get("callback_id") != ids.CONFIRM_MODAL:
        return None
    return slack.pushed_on(view_id)


def submit_move(
    slack: FakeSlack,
    app_url: str,
    *,
    view_id: str,
    values: Mapping[str, Any],
    user_id: str = "U0ALICE",
    team_id: str | None = None,
) -> AppResponse:
    """slack.submit_view of the move modal; when leadmover asks to confirm a move of every lead, the person presses
    its button too. Returns the answer to the submission that started the move (the confirmation's, if pushed)."""
    response = slack.submit_view(app_url, view_id=view_id, values=values, user_id=user_id, team_id=team_id)
    pushed = confirmation(slack, response, view_id)
    if pushed is None:
        return response
    return slack.submit_view(app_url, view_id=pushed["id"], values={}, user_id=user_id, team_id=team_id)


def on_top(slack: FakeSlack, view_id: str) -> str:
    """The id of the view a person sees over `view_id`: a confirmation pushed on it (which then shows the outcome),
    or the view itself."""
    while (pushed := slack.pushed_on(view_id)) is not None:
        view_id = pushed["id"]
    return view_id


def preview_text(stack: LocalStack, view_id: str) -> str:
    """What the move form's preview says now."""
    view = stack.slack.view(view_id)
    return str(next(b for b in view["blocks"] if b.get("block_id") == ids.PREVIEW)["text"]["text"])


def preview_shows(stack: LocalStack, view_id: str, words: str) -> bool:
    """Whether the preview comes to say `words` within 5 s."""
    return stack.slack.wait_for(lambda: words in preview_text(stack, view_id), timeout=5)


def choose(stack: LocalStack, view: dict[str, Any], action_id: str, value: Any) -> None:
    """The person picks or types `value` in the input `action_id`: Slack sends block_actions at once."""
    response = stack.slack.click_in_view(
        stack.app_url, view_id=view["id"], action_id=action_id, values={action_id: value}
    )
    assert response.status == 200
    assert response.elapsed < 3
