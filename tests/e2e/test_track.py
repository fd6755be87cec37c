"""`/leads track <job-id>` end to end over signed HTTP: a job started elsewhere in Instantly (an import, an export, a
type added since) is announced in the channel, its progress edits the announcement and one reply ends its thread;
unknown and malformed ids, a job followed twice and a guest are answered in words, with nothing posted; a job someone
else follows in a private channel is not placed for those outside it."""

from __future__ import annotations

import re

import pytest

from app.local_stack import LocalStack
from simulators.slack import Message
from storage.channel_settings import ChannelSettings
from storage.models import AnnounceMode, Phase

ALICE, BOB, CAROL, GUEST = "U0ALICE", "U0BOB", "U0CAROL", "U0GUEST"
CHANNEL, PRIVATE = "C0SALES", "C0DEALROOM"


@pytest.fixture(autouse=True)
def people(stack: LocalStack) -> None:
    """The e2e stack (tests/e2e/conftest.py), with a second member and a guest."""
    stack.slack.add_user(BOB)
    stack.slack.add_user(GUEST, is_restricted=True)


def said(stack: LocalStack, text: str, *, user: str = ALICE, channel: str = CHANNEL) -> str:
    """What `user` is told in answer to `/leads <text>` typed in `channel`, by the ack or by response_url; only they
    see it."""
    before = len(stack.slack.responses)
    response = stack.slack.send_command(stack.app_url, text=text, user_id=user, channel_id=channel)
    assert response.status == 200
    assert response.elapsed < 3
    body = response.json() if response.body.strip().startswith("{") else {}
    if body.get("text"):
        assert body["response_type"] == "ephemeral"
        return str(body["text"])
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), f"no answer to {text!r}"
    answer = stack.slack.responses[-1]
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def announcements(stack: LocalStack) -> list[Message]:
    return [m for m in stack.slack.messages(CHANNEL) if m.thread_ts is None]


def replies(stack: LocalStack) -> list[Message]:
    return [r for m in announcements(stack) for r in stack.slack.replies(CHANNEL, m.ts)]


def one_reply(stack: LocalStack) -> Message:
    assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=15), "no final reply"
    [reply] = replies(stack)
    return reply


def test_an_import_started_elsewhere_is_announced_shows_its_progress_and_gets_one_final_reply(
    stack: LocalStack,
) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("import-leads", total=1200)

    answer = said(stack, f"track {job_id}")
    record = stack.services.moves.find_job(team_id=stack.slack.team_id, reference=job_id)
    assert record is not None
    assert answer == f"Following that Instantly job (import leads) in <#{CHANNEL}> as job #{record.id}."

    reply = one_reply(stack)
    [anchor] = announcements(stack)
    assert f"Following an Instantly job (Import leads) that <@{ALICE}> asked about." in str(anchor.blocks)
    assert stack.slack.wait_for(lambda: "100%" in str(stack.slack.messages(CHANNEL)[0].blocks), timeout=5)
    anchor = announcements(stack)[0]
    assert anchor.edits >= 2, "progress should edit the announcement"
    shown = [str(blocks) for _, blocks in anchor.history] + [str(anchor.blocks)]
    assert any(re.search(r"[1-9]\d?%", text) and "In progress" in text for text in shown), shown
    assert "Completed" in str(anchor.blocks)

    assert reply.thread_ts == anchor.ts
    assert reply.text.startswith("Import leads completed. Instantly reports the job completed in ")
    assert "Counts from Instantly: 1,200 succeeded · 0 failed · 1,200 to process" in reply.text
    assert [b["type"] for b in reply.blocks if b["type"] == "actions"] == [], "a followed job offers no Move back"
    assert f"Job #{record.id} \u00b7 Import leads" in str(reply.blocks)
    assert job_id not in str(reply.blocks), "Instantly's id is for /leads status"
    status = stack.slack.send_command(stack.app_url, text=f"status #{record.id}", user_id=ALICE, channel_id=CHANNEL)
    assert f"Details: Instantly job `{job_id}`" in str(status.json()["blocks"]), "named by number, it shows Instantly's"
    assert stack.slack.wait_for(lambda: _phase(stack, job_id) == Phase.DONE, timeout=5)

    entries = stack.services.audit.latest(team_id=stack.slack.team_id, limit=20)
    tracked = [e for e in entries if e.action == "track"]
    assert [e.outcome for e in tracked][-1].startswith("following")
    assert any(e.outcome.startswith("ended: success") for e in tracked)


def test_an_export_that_already_finished_is_announced_and_answered_at_once(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("export-leads", total=40, ago=125, ended=True)

    said(stack, f"track {job_id}")

    reply = one_reply(stack)
    [anchor] = announcements(stack)
    assert "(Export leads)" in str(anchor.blocks)
    assert re.search(r"Export leads completed\. Instantly reports the job completed in 2 min 0[4-6] s\.", reply.text)
    assert "40 succeeded" in reply.text
    assert "Started <!date^" in str(reply.blocks)
    # The job ended before anyone asked: nothing is left to poll.
    record = stack.services.moves.find_job(team_id=stack.slack.team_id, reference=job_id)
    assert record is not None
    assert record.phase in (Phase.FINISHED, Phase.DONE)


def test_a_job_type_instantly_added_since_is_followed_in_its_own_words(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("enrich-leads-v9", total=7)

    assert "(enrich leads v9)" in said(stack, f"track {job_id}")

    reply = one_reply(stack)
    assert "(Enrich leads v9)" in str(announcements(stack)[0].blocks)
    assert reply.text.startswith("Enrich leads v9 completed.")


def test_a_failed_import_is_told_with_the_counts_instantly_gave(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("import-leads", total=200, final_status="failed")

    said(stack, f"track {job_id}")

    reply = one_reply(stack)
    assert reply.text.startswith(f"Import leads failed. <@{ALICE}>, Instantly reports the job failed at 75%")
    assert "150 succeeded" in reply.text


def test_an_unknown_or_malformed_id_is_answered_in_words_and_nothing_is_posted(stack: LocalStack) -> None:
    unknown = "0123456789abcdef01234567"
    assert said(stack, f"track {unknown}") == f"Instantly has no job `{unknown}` in this workspace."

    asked = stack.instantly.request_count
    for malformed in ("f9cc070d-8dba-4341-b847-f083c358e460", "hello"):
        answer = said(stack, f"track {malformed}")
        assert f"`{malformed}` is not a job: name one by its number, like `#12`, or by Instantly's id" in answer
    assert "Say which Instantly job to follow" in said(stack, "track")
    assert stack.instantly.request_count == asked, "a malformed id never reaches Instantly"
    assert "is not a job" in said(stack, "track <@U0BOB>&lt;")
    assert said(stack, "track #7") == "I found no job #7 in this workspace. `/leads jobs` lists yours."
    assert stack.slack.messages(CHANNEL) == []
    assert stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5) == []


def test_the_same_job_twice_says_where_it_is_followed_and_opens_no_second_thread(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("import-leads", total=10)
    said(stack, f"track {job_id}")
    one_reply(stack)

    again = said(stack, f"track {job_id.upper()}", user=BOB)
    assert "is already followed in <#" + CHANNEL + ">" in again
    assert said(stack, "track #1", user=BOB) == again, "its number finds it as Instantly's id does"
    assert f"asked by <@{ALICE}>" in again
    assert len(announcements(stack)) == 1
    assert len(replies(stack)) == 1
    assert len(stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)) == 1


def test_a_job_followed_in_a_private_channel_is_not_placed_for_someone_outside_it(stack: LocalStack) -> None:
    stack.slack.add_channel(PRIVATE, "deal-room", private=True, members=[CAROL])
    job_id = stack.instantly.default_workspace.start_elsewhere("import-leads", total=10)
    assert said(stack, f"track {job_id}", channel=PRIVATE).startswith("Following that Instantly job")
    record = stack.services.moves.find_job(team_id=stack.slack.team_id, reference=job_id)
    assert record is not None

    hidden = said(stack, f"track {job_id}", user=BOB)

    assert hidden == "That job is already followed, so I did not follow it again."
    for revealing in (PRIVATE, "deal-room", ALICE, f"#{record.id}", "/leads status"):
        assert revealing not in hidden
    assert [call.args["channel"] for call in stack.slack.calls_to("conversations.members")] == [PRIVATE]
    # A member of the channel, asking from elsewhere, is told where it is.
    assert f"Job #{record.id} \u00b7 Import leads is already followed in <#{PRIVATE}>, asked by <@{ALICE}>" in said(
        stack, f"track {job_id}", user=CAROL
    )


def test_a_guest_is_refused_and_nothing_is_followed(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("import-leads")
    asked = stack.instantly.request_count

    assert "Guests cannot move leads here" in said(stack, f"track {job_id}", user=GUEST)

    assert stack.instantly.request_count == asked
    assert stack.slack.messages(CHANNEL) == []


def test_jobs_status_and_help_show_followed_jobs(stack: LocalStack) -> None:
    job_id = stack.instantly.default_workspace.start_elsewhere("export-leads", total=3, ended=True)
    said(stack, f"track {job_id}")
    one_reply(stack)

    assert "• Job #1 · Export leads: completed, 100% · <!date^" in said(stack, "jobs")
    assert "Following Export leads: Completed (100%). Job #1" in said(stack, f"status {job_id}")
    assert "`/leads track &lt;Instantly's job id&gt;`: follow an Instantly job started elsewhere" in said(stack, "help")


def _phase(stack: LocalStack, job_id: str) -> Phase | None:
    record = stack.services.moves.find_job(team_id=stack.slack.team_id, reference=job_id)
    return record.phase if record is not None else None


def test_instantlys_words_are_escaped_and_a_quiet_channel_is_warned(stack: LocalStack) -> None:
    workspace = stack.instantly.default_workspace
    job_id = workspace.start_elsewhere("import-leads", total=40)
    stack.instantly.fail_next("GET", f"/api/v2/background-jobs/{job_id}", status=400, message="bad <!channel> <@U1>")
    refused = said(stack, f"track {job_id}")
    assert "<!channel>" not in refused
    assert "<@U1>" not in refused
    assert "&lt;!channel&gt;" in refused

    stack.services.channel_settings.change(
        team_id=stack.slack.team_id,
        channel_id=CHANNEL,
        user_id=ALICE,
        settings=ChannelSettings(announce=AnnounceMode.FAILURES),
    )
    assert said(stack, f"track {job_id}").endswith("so a job that succeeds ends quietly.")
