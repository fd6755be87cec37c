"""Pure Block Kit builders for leadmover's App Home tab: a person's recent jobs with "Run again" (never for a job only
followed: it has no order to repeat), a link to Instantly, the Schedules section (schedules_view.py's) and for admins
the workspace's jobs still running; plus the modal fill that "Run again" opens the move modal with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from bot.instantly.schemas import JobStatus, is_terminal
from bot.pickers import Choice
from bot.slack.blocks import messages
from handlers import ids
from handlers.blocks import plain_text
from handlers.move_view import CONTACTS_MAX
from handlers.prefill import Fill
from storage.models import Phase
from storage.orders import Endpoint, MoveOrder
from storage.records import JobRecord

View = dict[str, Any]
Block = dict[str, Any]

# Instantly has no stable deep link for a campaign or list that its API documents, so the button opens the app.
INSTANTLY_APP_URL: Final = "https://app.instantly.ai/app/campaigns"
MAX_JOBS: Final = 10
MAX_RUNNING: Final = 10
_SECTION_TEXT_MAX: Final = 3000  # Slack's limit for a section's text
# Phases in which Instantly still works on a job (or is about to be asked): what an admin watches.
RUNNING_PHASES: Final = frozenset({Phase.REQUESTED, Phase.RUNNING})

_EMOJI: Final[dict[str, str]] = {
    JobStatus.SUCCESS: ":white_check_mark:",
    JobStatus.FAILED: ":x:",
    JobStatus.CANCELLED: ":no_entry_sign:",
    JobStatus.PAUSED: ":double_vertical_bar:",
}
# Jobs that never reached Instantly, in words (their Instantly status is empty).
_PHASE_WORDS: Final[dict[Phase, str]] = {
    Phase.START_FAILED: ":warning: *Did not start*",
    Phase.AWAITING_APPROVAL: ":hourglass: *Waiting for approval*",
    Phase.NOT_APPROVED: ":no_entry_sign: *Not approved*",
    Phase.REQUESTED: ":hourglass_flowing_sand: *Starting*",
}


MAX_WATCHED: Final = 20


def _header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text)}


def _clip(text: str) -> str:
    return text if len(text) <= _SECTION_TEXT_MAX else text[: _SECTION_TEXT_MAX - 1] + "…"


def state(record: JobRecord) -> str:
    """Where a job stands, in words (mrkdwn), with the count moved once it has ended."""
    if record.phase in _PHASE_WORDS:
        return _PHASE_WORDS[record.phase]
    status = record.status
    words = f"{_EMOJI.get(status or '', ':hourglass_flowing_sand:')} *{messages.status_words(status)}*"
    if status is not None and is_terminal(status) and record.tracked:
        counts = messages.counts_phrase(record)
        words += f" · {counts}" if counts else ""
    elif status is not None and is_terminal(status) and record.moved_leads is not None:
        words += f" · {record.moved_leads:,} leads {messages.verb_of(record, past=True)}"
    return words


def _details(record: JobRecord, link: str | None) -> str:
    """The context line under a job: its progress bar once Instantly has it, its thread, its number and date."""
    parts: list[str] = []
    if record.phase not in _PHASE_WORDS:
        parts.append(f"`{messages.progress_bar(record.progress)}`")
    if link:
        parts.append(f"<{link}|View thread>")
    else:  # no thread yet (announced only when it ends, or not posted yet): its channel is where it will be
        parts.append(f"Thread to come in <#{record.announcement_channel or record.channel_id}>")
    parts.append(f"Job {messages.job_number(record.id)}")
    parts.append(messages.slack_date(record.created_at))
    return " · ".join(parts)


def _new_move_button(copies: bool | None, jobs: Sequence[JobRecord]) -> list[Block]:
    """New move, in the mode the channel of the person's latest job starts with; it posts in that channel."""
    if copies is None or not jobs:
        return []
    label = "New copy" if copies else "New move"
    return [{"type": "button", "action_id": ids.HOME_NEW_MOVE, "text": plain_text(label), "value": jobs[0].channel_id}]


def _job_blocks(record: JobRecord, link: str | None, *, run_again: bool, whose: bool) -> list[Block]:
    order = record.order
    who = f"<@{record.user_id}>: " if whose else ""
    if order is None:
        kind = messages.job_type_words(record.job_type)
        line = f"{who}*Following* an Instantly job ({kind})\n{state(record)}"
    else:
        noun = messages.noun_of(order)
        limit = f" (up to {order.limit:,} leads)" if order.limit else ""
        line = (
            f"{who}*{noun}*{limit} from {messages.endpoint_phrase(order.source)} "
            f"to {messages.endpoint_phrase(order.destination)}\n{state(record)}"
        )
    job: Block = messages.section(_clip(line))
    if run_again and order is not None and cannot_run_again(record) is None:
        job["accessory"] = {
            "type": "button",
            "action_id": ids.home_run_again(record.id),
            "text": plain_text("Run again"),
            "value": str(record.id),
        }
    return [job, messages.context(_details(record, link))]


def build(
    *,
    jobs: Sequence[JobRecord],
    links: Mapping[int, str],
    refusal: str | None = None,
    running: Sequence[JobRecord] | None = None,
    new_move_copies: bool | None = None,
    schedules: Sequence[Block] = (),
    watched: Sequence[str] | None = None,
) -> View:
    """The Home tab: `jobs` are the person's own (newest first), `links` each job's thread by job number, `refusal`
    why they may not move (shown instead of Run again), and `running` other people's running jobs (admins only).
    `new_move_copies` is the default mode of the channel of the person's latest job: New move opens the form there,
    as a copy when True; None offers no New move (no job yet, so no channel to post in). `schedules` is the
    Schedules section (schedules_view.home_section), after the person's jobs; `watched` the channels that hear of
    Instantly's jobs, in words (admins only)."""
    blocks: list[Block] = [
        _header("leadmover"),
        messages.section(
            "Move and copy Instantly leads between campaigns and lead lists. "
            f"Type `{ids.COMMAND} move` or `{ids.COMMAND} copy` in a channel to start."
        ),
        {
            "type": "actions",
            "elements": [
                *_new_move_button(None if refusal is not None else new_move_copies, jobs),
                {
                    "type": "button",
                    "action_id": ids.HOME_OPEN_INSTANTLY,
                    "text": plain_text("Open in Instantly"),
                    "url": INSTANTLY_APP_URL,
                },
            ],
        },
    ]
    if refusal is not None:
        blocks.append(messages.section(_clip(f":no_entry: *You may not move leads here.* {refusal}")))
    blocks.append(_header("Your recent jobs"))
    if not jobs:
        blocks.append(messages.section("You have no leadmover jobs yet."))
    for record in jobs[:MAX_JOBS]:
        blocks += _job_blocks(record, links.get(record.id), run_again=refusal is None, whose=False)
    blocks += schedules
    if running is not None:
        blocks += [{"type": "divider"}, _header("Running in this workspace")]
        if not running:
            blocks.append(messages.section("Nobody else has a job running right now."))
        for record in running[:MAX_RUNNING]:
            blocks += _job_blocks(record, links.get(record.id), run_again=False, whose=True)
        if len(running) > MAX_RUNNING:
            more = len(running) - MAX_RUNNING
            blocks.append(messages.context(f"{more} more running. `{ids.COMMAND} jobs` lists everyone's jobs."))
    if watched is not None:
        blocks += [{"type": "divider"}, _header("Channels watching Instantly's jobs")]
        listed = "\n".join(f"• {line}" for line in watched[:MAX_WATCHED])
        none = f"No channel hears of this workspace's Instantly jobs. `{ids.COMMAND} watch` in a channel starts it."
        blocks.append(messages.section(_clip(listed or none)))
    return {"type": "home", "blocks": blocks}


def _choice(endpoint: Endpoint) -> Choice:
    # The option exactly as the pickers make it ("campaign:<id>" / "list:<id>", labelled with the name).
    return Choice(f"{endpoint.kind.value}:{endpoint.id}", endpoint.name)


def run_again_fill(order: MoveOrder, *, assignee_note: str | None = None) -> Fill:
    """The move modal filled in as `order` was: source, destination and limit (the mode is the modal's copy_leads).
    Their ids and names are known, so no Instantly search is needed. `assignee_note`: why the job's assignee is not
    filled in, said beside the field rather than dropped silently."""
    notes = {ids.ASSIGNED_TO: assignee_note} if assignee_note else {}
    return Fill(
        limit=order.limit,
        picked={ids.SOURCE: _choice(order.source), ids.DESTINATION: _choice(order.destination)},
        notes=notes,
    )


ASSIGNEE_NOT_FOUND: Final = (
    "Last time these leads were assigned to a workspace member I did not find among Instantly's first members. "
    "Search for them here, or leave this empty."
)
ASSIGNEE_UNCHECKED: Final = (
    "Last time these leads were assigned to a workspace member, but Instantly could not be asked who just now. "
    "Search for them here, or leave this empty."
)


def cannot_run_again(record: JobRecord) -> str | None:
    """Why the form cannot repeat this job exactly, in words; None when it can, and Run again is offered."""
    order = record.order
    if order is None:
        return "This job was started elsewhere and only followed here, so there is no form to fill in again."
    if order.takes_back is not None:
        return "A move back is repeated with the Move back button in its thread, not from here."
    if record.details_forgotten:
        return (
            "This job is older than the retention period: what it was filtered by was forgotten, so it cannot be "
            "repeated exactly. Start a new move with `/leads move`."
        )
    if len("\n".join(order.filters.emails)) > CONTACTS_MAX:
        return "This job named more e-mails than the form can hold, so it cannot be run again from here."
    return None


def run_again_entered(order: MoveOrder, *, assignee: Choice | None = None) -> dict[str, dict[str, Any]]:
    """The order's filters, options and assignee as the modal's state holds them (view.state.values), for the
    modal to show as entered: Run again repeats the whole job, not just its ends. The assignee needs its label,
    which only Instantly knows, so it comes once looked up."""
    filters, options = order.filters, order.options

    def typed(value: str | None) -> dict[str, Any] | None:
        return {"type": "plain_text_input", "value": value} if value else None

    def chosen(value: object, kind: str = "static_select", label: str = "") -> dict[str, Any] | None:
        if value is None:
            return None
        return {"type": kind, "selected_option": {"value": str(value), "text": {"type": "plain_text", "text": label}}}

    state = {
        ids.SEARCH: typed(filters.search),
        ids.FILTER: chosen(filters.lead_status),
        ids.CONTACTS: typed("\n".join(filters.emails)),
        ids.ESP_CODE: chosen(filters.email_provider),
        ids.ESG_CODE: chosen(filters.security_gateway),
        ids.ASSIGNED_TO: chosen(assignee.value, "external_select", assignee.label) if assignee else None,
    }
    flags = options.flags_set()
    if flags:
        ticked = [{"value": flag} for flag in flags]
        state[ids.OPTIONS] = {"type": "checkboxes", "selected_options": ticked}
    return {block: {block: entry} for block, entry in state.items() if entry is not None}


def notice(*, title: str, text: str) -> View:
    """A small modal that says one thing, for a Run again that cannot open the move form."""
    return {
        "type": "modal",
        "title": plain_text(title[:24]),
        "close": plain_text("Close"),
        "blocks": [messages.section(text)],
    }
