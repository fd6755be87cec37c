"""The spine, end to end: /leads move → modal → pickers → submission → Instantly → announcement → thread."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack
from handlers import ids
from tests.e2e.flows import on_top, open_modal, pick, show_more_filters, submit_move


def _submit_move(stack: LocalStack, **values: Any) -> tuple[dict[str, Any], Any]:
    view = open_modal(stack)
    chosen: dict[str, Any] = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        **values,
    }
    response = submit_move(stack.slack, stack.app_url, view_id=view["id"], values=chosen)
    # The outcome shows where the person looks: on the confirmation, for a move of every lead.
    return stack.slack.view(on_top(stack.slack, view["id"])), response


def _final_replies(stack: LocalStack, channel: str = "C0SALES") -> list[Any]:
    messages = stack.slack.messages(channel)
    return [reply for message in messages for reply in stack.slack.replies(channel, message.ts)]


def test_signed_command_opens_the_modal_within_three_seconds(stack: LocalStack) -> None:
    response = stack.slack.send_command(stack.app_url, text="move")
    assert response.status == 200
    assert response.elapsed < 3
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) == 1, timeout=3)
    view = stack.slack.opened_views()[0]
    assert view["callback_id"] == ids.MOVE_MODAL
    assert '"channel_id": "C0SALES"' in view["private_metadata"]


def test_copy_opens_the_modal_with_copy_chosen(stack: LocalStack) -> None:
    view = open_modal(stack, verb="copy")
    mode = next(b for b in view["blocks"] if b.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_COPY


def test_typing_acme_offers_exactly_the_matching_campaigns_and_lists(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = open_modal(stack)
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=ids.SOURCE, value="acme")
    assert answer.elapsed < 3
    groups = {g["label"]["text"]: g["options"] for g in answer.json()["option_groups"]}
    assert {label: [o["text"]["text"] for o in options] for label, options in groups.items()} == {
        "Campaigns": ["Acme Q1 outbound", "Acme enterprise"],
        "Lists": ["Acme warm leads"],
    }
    assert groups["Campaigns"][0]["value"] == f"campaign:{workspace.campaigns['Acme Q1 outbound']}"
    assert groups["Lists"][0]["value"] == f"list:{workspace.lists['Acme warm leads']}"


def test_a_valid_move_reaches_instantly_and_is_followed_to_one_final_reply(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _view, response = _submit_move(
        stack,
        **{
            ids.LIMIT: "500",
            ids.OPTIONS: ["skip_duplicates", "skip_leads_in_verification"],
            ids.FILTER: "FILTER_VAL_NOT_CONTACTED",
        },
    )
    assert response.status == 200
    assert response.elapsed < 3
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(_final_replies(stack)) == 1, timeout=15)

    assert stack.instantly.move_bodies() == [
        {
            "campaign": workspace.campaigns["Acme Q1 outbound"],
            "to_list_id": workspace.lists["Acme warm leads"],
            "copy_leads": False,
            "limit": 500,
            "filter": "FILTER_VAL_NOT_CONTACTED",
            "check_duplicates": True,
            "skip_leads_in_verification": True,
        }
    ]
    # The announcement's own final edit is paced like any edit, so it may trail the reply a little.
    assert stack.slack.wait_for(lambda: "Completed" in stack.slack.messages("C0SALES")[0].text, timeout=5)
    [announcement] = stack.slack.messages("C0SALES")
    first_text = announcement.history[0][0] if announcement.history else announcement.text
    assert "U0ALICE" in str(announcement.blocks)
    assert "Acme Q1 outbound" in str(announcement.blocks)
    assert "Acme warm leads" in str(announcement.blocks)
    assert first_text.startswith("Moving up to 500 leads from Acme Q1 outbound to Acme warm leads"), first_text
    assert not re.search(r"[0-9a-f]{24}", first_text), "a notification names the campaigns, not ids"
    assert "Job #1 \u00b7 campaign *Acme Q1 outbound* \u2192 list *Acme warm leads*" in str(announcement.history[0][1])
    assert not re.search(r"[0-9a-f]{24}", str(announcement.history[0][1])), "Instantly's id is for /leads status"
    percentages = {int(p) for text, _ in announcement.history for p in re.findall(r"(\d+)%", text)}
    assert percentages & {25, 50, 75}, f"no intermediate progress shown: {announcement.history}"
    assert "Completed" in announcement.text

    [reply] = _final_replies(stack)
    assert "completed" in reply.text
    assert "<@U0ALICE>" not in reply.text, "a success mentions only where the channel asks for it"
    assert "500 leads moved" in reply.text
    assert "Job #1 \u00b7 campaign *Acme Q1 outbound*" in str(reply.blocks)

    jobs_answer = stack.slack.send_command(stack.app_url, text="jobs").json()
    assert jobs_answer["response_type"] == "ephemeral"
    assert "Job #1 \u00b7 campaign *Acme Q1 outbound*" in jobs_answer["text"]
    assert "Details: `/leads status #1`" in str(jobs_answer["blocks"])
    for reference in ("#1", "1"):
        status_answer = stack.slack.send_command(stack.app_url, text=f"status {reference}").json()
        assert status_answer["response_type"] == "ephemeral"
        assert "Completed" in status_answer["text"]
        assert re.search(r"Details: Instantly job `[0-9a-f]{24}`", str(status_answer["blocks"]))


def test_the_modal_shows_that_the_move_started(stack: LocalStack, workspace: DemoWorkspace) -> None:
    view, response = _submit_move(stack)
    assert "Asking Instantly" in str(response.json()["view"])
    assert stack.slack.wait_for(lambda: "started job" in str(stack.slack.view(view["id"])), timeout=5)


def test_bad_submissions_get_inline_errors_and_send_nothing(stack: LocalStack, workspace: DemoWorkspace) -> None:
    view = show_more_filters(stack, open_modal(stack))
    same = pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound")
    response = stack.slack.submit_view(
        stack.app_url,
        view_id=view["id"],
        values={
            ids.SOURCE: same,
            ids.DESTINATION: same,
            ids.LIMIT: "0",
            ids.CONTACTS: "ok@example.com, nope@",
        },
    )
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {ids.DESTINATION, ids.LIMIT, ids.CONTACTS}
    assert "nope@" in answer["errors"][ids.CONTACTS]
    assert stack.instantly.move_bodies() == []
    assert stack.slack.messages("C0SALES") == []


def test_a_failed_job_is_reported_as_failed(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.final_status = "failed"
    _submit_move(stack, **{ids.MODE: ids.MODE_COPY})
    assert stack.slack.wait_for(lambda: len(_final_replies(stack)) == 1, timeout=15)
    [reply] = _final_replies(stack)
    assert reply.text.startswith("Copy failed")
    assert "<@U0ALICE>" in reply.text


def test_a_cancelled_job_is_reported_as_cancelled(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.final_status = "cancelled"
    _submit_move(stack)
    assert stack.slack.wait_for(lambda: len(_final_replies(stack)) == 1, timeout=15)
    assert "Move cancelled" in _final_replies(stack)[0].text


def test_a_refused_move_tells_the_person_in_plain_words(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.fail_next("POST", "/api/v2/leads/move", status=401, message="Invalid API key")
    view, _ = _submit_move(stack)
    assert stack.slack.wait_for(lambda: "Not started" in str(stack.slack.view(view["id"])), timeout=5)
    assert "API key" in str(stack.slack.view(view["id"]))
    assert stack.slack.wait_for(lambda: len(stack.slack.ephemerals) == 1, timeout=5)
    assert "did not start" in stack.slack.ephemerals[0]["text"]
    assert stack.slack.messages("C0SALES") == []


def test_help_unknown_words_and_missing_jobs_get_usage_only_the_caller_sees(stack: LocalStack) -> None:
    for text in ("", "help", "frobnicate", "status", "status 0123456789abcdef01234567"):
        answer = stack.slack.send_command(stack.app_url, text=text).json()
        assert answer["response_type"] == "ephemeral", text
        assert "/leads move" in answer["text"], text
    assert "frobnicate" in stack.slack.send_command(stack.app_url, text="frobnicate").json()["text"]


def test_jobs_lists_nothing_yet_kindly(stack: LocalStack) -> None:
    answer = stack.slack.send_command(stack.app_url, text="jobs").json()
    assert "no leadmover jobs yet" in answer["text"]


def test_a_slow_instantly_picker_answers_in_time_and_says_so(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.delay["/api/v2/campaigns"] = 5.0
    view = open_modal(stack)
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=ids.SOURCE, value="acme")
    assert answer.elapsed < 3
    labels = [g["label"]["text"] for g in answer.json()["option_groups"]]
    assert labels == ["Lists", "Instantly"]


def test_a_channel_closed_to_the_bot_gets_a_dm_that_says_why(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.slack.add_channel("C0PRIVATE", "deals", bot_is_member=False)
    view = open_modal(stack, channel_id="C0PRIVATE")
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
    assert stack.slack.wait_for(lambda: len(_final_replies(stack, "U0ALICE")) == 1, timeout=15)
    [dm] = stack.slack.messages("U0ALICE")
    assert "not in channel" in dm.history[0][0]
    assert "/invite" in dm.text
    assert "completed" in _final_replies(stack, "U0ALICE")[0].text
    assert stack.slack.messages("C0PRIVATE") == []


def test_several_running_jobs_are_polled_together(stack: LocalStack, workspace: DemoWorkspace) -> None:
    for _ in range(3):
        _submit_move(stack)
    assert stack.slack.wait_for(lambda: len(_final_replies(stack)) == 3, timeout=20)
    batches = [r.query["ids"].split(",") for r in stack.instantly.requests if "ids" in r.query]
    # The moves start a modal's round trips apart, so on a busy machine the first may be ending by the time the third
    # is due: what must hold is that running jobs share a request, not which three do.
    assert max(len(batch) for batch in batches) >= 2
    assert len(stack.slack.messages("C0SALES")) == 3
    # Slack allows about one post a second per channel: announcements and replies keep that pace.
    posts = [c.at for c in stack.slack.calls_to("chat.postMessage") if c.args.get("channel") == "C0SALES"]
    assert len(posts) == 6
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(posts))


def test_no_secret_reaches_the_database_or_slack(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _submit_move(stack)
    assert stack.slack.wait_for(lambda: len(_final_replies(stack)) == 1, timeout=15)
    database = Path(stack.settings.database_url.removeprefix("sqlite:///")).read_bytes()
    written = str([(c.method, c.args) for c in stack.slack.calls])
    for secret in (stack.slack.bot_token, stack.slack.signing_secret, stack.instantly.api_key):
        assert secret.encode() not in database
        assert secret not in written.replace(f"'token': '{stack.slack.bot_token}'", "")
