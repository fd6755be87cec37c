"""The tour's scenes: what leadmover shows in Slack, built by its real Block Kit builders from fixed sample data, each
as a standalone HTML page (deterministic: the same code gives the same bytes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from bot.instantly.schemas import JobStatus
from bot.pickers import Choice
from bot.preview import Preview
from bot.preview_counts import Taken
from bot.schedules import recurrence_of
from bot.slack.blocks import messages, thread_messages
from bot.slack.blocks.approval_messages import request as approval_request
from handlers import home_view, ids, move_view, preview_view, schedules_view
from handlers.prefill import Fill
from simulators.reading import zone_named
from simulators.slack.html_pages import TOUR_ZONE, Post, home_page, message_page, modal_page
from storage.approvals import Approval
from storage.automation_models import ScheduleState
from storage.models import ApprovalState, Phase
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveMode, MoveOptions, MoveOrder
from storage.records import JobRecord
from storage.schedules import ScheduleRecord, When

CHANNEL: Final = "C0SALES"
PERSON: Final = "U0DANA"
NAMES: Final = {CHANNEL: "sales", PERSON: "Dana Reyes", "U0MILO": "Milo Hart", "C0OPS": "revops"}
MESSAGE_WIDTH: Final = 760
STARTED: Final = datetime(2026, 3, 10, 14, 2, 0)
FINISHED: Final = datetime(2026, 3, 10, 14, 4, 14)

SOURCE: Final = Endpoint(kind=EndpointKind.CAMPAIGN, id="0193c6e2-acme-q4", name="Acme Outreach Q4")
DESTINATION: Final = Endpoint(kind=EndpointKind.LIST, id="0193c6e2-cold", name="Cold storage")
FOLLOW_UP: Final = Endpoint(kind=EndpointKind.CAMPAIGN, id="0193c6e2-spring", name="Spring follow-up")
ORDER: Final = MoveOrder(
    source=SOURCE,
    destination=DESTINATION,
    mode=MoveMode.MOVE,
    limit=500,
    filters=LeadFilters(lead_status="FILTER_VAL_NOT_CONTACTED"),
    options=MoveOptions(skip_duplicates=True),
)
SAMPLE: Final = ("ana@acme.com", "ben.ortiz@acme.com", "chloe@acme.com", "dev@acme.com", "emil@acme.com")

# A job at Instantly, running: each scene moves it on.
RUNNING: Final = JobRecord(
    id=42,
    team_id="T0ACME",
    channel_id=CHANNEL,
    user_id=PERSON,
    order=ORDER,
    phase=Phase.RUNNING,
    instantly_job_id="0193c6f1a2b34c5d",
    status=JobStatus.PENDING,
    progress=0,
    moved_leads=None,
    error=None,
    start_attempted_at=STARTED,
    announcement_channel=CHANNEL,
    announcement_ts="1773151320.000100",
    final_reply_ts=None,
    next_poll_at=STARTED,
    created_at=STARTED,
    updated_at=STARTED,
    finished_at=None,
)
SUCCEEDED: Final = replace(
    RUNNING,
    phase=Phase.DONE,
    status=JobStatus.SUCCESS,
    progress=100,
    moved_leads=500,
    finished_at=FINISHED,
)
FAILED: Final = replace(
    RUNNING,
    id=43,
    instantly_job_id="0193c6f7e8d94a0b",
    order=ORDER.model_copy(update={"mode": MoveMode.COPY, "destination": FOLLOW_UP}),
    phase=Phase.DONE,
    status=JobStatus.FAILED,
    progress=37,
    moved_leads=120,
    error="The campaign has reached its lead limit.",
    finished_at=datetime(2026, 3, 10, 14, 9, 40),
    created_at=datetime(2026, 3, 10, 14, 8, 5),
)
# A copy asked for by the Workflow Builder step "Move Instantly leads", finished: the workflow's name is told.
WORKFLOW: Final = "New deal handoff"
HANDED_OFF: Final = replace(
    SUCCEEDED,
    id=48,
    instantly_job_id="0193c6fd5e6f7a8b",
    order=ORDER.model_copy(
        update={
            "mode": MoveMode.COPY,
            "destination": FOLLOW_UP,
            "limit": 200,
            "filters": LeadFilters(),
            "options": MoveOptions(),
        }
    ),
    moved_leads=200,
    via="workflow",
    via_name=WORKFLOW,
    lead_count=2480,
    announcement_ts="1773156600.000200",
    created_at=datetime(2026, 3, 10, 15, 30, 0),
    updated_at=datetime(2026, 3, 10, 15, 31, 12),
    finished_at=datetime(2026, 3, 10, 15, 31, 12),
)
# The step's output_parameters (manifest.yml), as the caption lists them.
STEP_OUTPUTS: Final = ("job_number", "instantly_job_id", "status", "moved_count", "thread_url")
# A schedule made with `/leads schedule`: every Monday at 09:00 in the reader's zone, its first run made on Monday
# 9 March (13:00 UTC, daylight saving having begun the day before), the day before job 42.
WEEKLY: Final = When(frequency="weekly", at="09:00", timezone=TOUR_ZONE, weekday=0)
SCHEDULED_RUN: Final = replace(
    SUCCEEDED,
    id=41,
    instantly_job_id="0193c6a0b1c2d3e4",
    order=ORDER.model_copy(update={"limit": 250}),
    moved_leads=250,
    via="schedule",
    via_name=recurrence_of(WEEKLY).words(),
    announcement_ts="1773061200.000300",
    created_at=datetime(2026, 3, 9, 13, 0, 0),
    updated_at=datetime(2026, 3, 9, 13, 1, 38),
    finished_at=datetime(2026, 3, 9, 13, 1, 38),
)
SCHEDULE: Final = ScheduleRecord(
    id=3,
    team_id=SCHEDULED_RUN.team_id,
    channel_id=CHANNEL,
    owner_id=PERSON,
    order=SCHEDULED_RUN.order,
    when=WEEKLY,
    state=ScheduleState.ACTIVE,
    paused_reason=None,
    next_run_at=datetime(2026, 3, 16, 13, 0, 0),
    last_run_at=SCHEDULED_RUN.created_at,
    last_job_id=SCHEDULED_RUN.id,
    last_outcome=f"started job #{SCHEDULED_RUN.id}",
    put_off_reason=None,
    overlap_told_job_id=None,
    approved_by=None,
    approval_channel=None,
    approval_ts=None,
    created_at=datetime(2026, 3, 5, 16, 20, 0),
    updated_at=SCHEDULED_RUN.finished_at or SCHEDULED_RUN.created_at,
)


@dataclass(frozen=True)
class Scene:
    """One picture of the tour: `name` names its files, `caption` is its line in the README."""

    name: str
    caption: str
    html: str
    width: int


def _fill() -> Fill:
    """The form as `/leads move from:… to:list:… limit:500` opens it once Instantly has found both names."""
    return Fill(
        limit=500,
        picked={
            ids.SOURCE: Choice(f"campaign:{SOURCE.id}", SOURCE.name),
            ids.DESTINATION: Choice(f"list:{DESTINATION.id}", DESTINATION.name),
        },
    )


def modal() -> Scene:
    view = move_view.build(channel_id=CHANNEL, fill=_fill())
    caption = '`/leads move from:"Acme Outreach Q4" to:list:"Cold storage" limit:500` opens the form filled in.'
    return Scene("modal", caption, modal_page(view, names=NAMES), 600)


def preview() -> Scene:
    """The form as the person fills it in: the preview under the source follows the filters."""
    search, status = "@acme.com", "FILTER_VAL_NOT_CONTACTED"
    entered: dict[str, dict[str, Any]] = {
        ids.SEARCH: {ids.SEARCH: {"type": "plain_text_input", "value": search}},
        ids.FILTER: {ids.FILTER: {"type": "static_select", "selected_option": {"value": status}}},
        ids.OPTIONS: {ids.OPTIONS: {"type": "checkboxes", "selected_options": [{"value": "skip_duplicates"}]}},
    }
    found = Preview(count=2480, taken=Taken(412), sample=SAMPLE, sampled=True)
    text = preview_view.preview_text(
        source=SOURCE, filters=LeadFilters(search=search, lead_status=status), preview=found
    )
    view = move_view.build(channel_id=CHANNEL, fill=_fill(), entered=entered, preview=text)
    caption = "Under the source, a preview: how many of its leads the filters take, and a few of them."
    return Scene("preview", caption, modal_page(view, names=NAMES), 600)


def confirm() -> Scene:
    everything = ORDER.model_copy(update={"limit": None, "filters": LeadFilters(), "options": MoveOptions()})
    view = preview_view.confirm_view(order=everything, count=2480, channel_id=CHANNEL)
    caption = "A move with no limit and no filter asks once more, with the numbers, before anything is sent."
    return Scene("confirm", caption, modal_page(view, names=NAMES), 600)


def _clock(when: datetime) -> str:
    """A time (naive UTC, as stored) as Slack's client shows it beside a message ("10:02 AM") to the tour's reader."""
    local = when.replace(tzinfo=UTC).astimezone(zone_named(TOUR_ZONE))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _channel(name: str, caption: str, record: JobRecord, *, edited: bool = False) -> Scene:
    _, blocks = messages.announcement(record)
    post = Post(blocks=blocks, time=_clock(record.created_at), edited=edited)
    return Scene(name, caption, message_page([post], channel=NAMES[CHANNEL], names=NAMES), MESSAGE_WIDTH)


def announcement() -> Scene:
    return _channel("announcement", "Once Instantly has the job, leadmover announces it in the channel.", RUNNING)


def progress() -> Scene:
    record = replace(RUNNING, status=JobStatus.IN_PROGRESS, progress=62)
    caption = "As the job runs, the announcement is edited in place: the channel gets no new messages."
    return _channel("progress", caption, record, edited=True)


def _thread(name: str, caption: str, record: JobRecord) -> Scene:
    _, parent = messages.announcement(record)
    _, reply = thread_messages.final_reply(record)
    posts = [Post(blocks=parent, time=_clock(record.created_at), edited=True)]
    replies = [Post(blocks=reply, time=_clock(record.finished_at or record.updated_at))]
    page = message_page(posts, channel=NAMES[CHANNEL], names=NAMES, thread=replies)
    return Scene(name, caption, page, MESSAGE_WIDTH)


def final_reply() -> Scene:
    caption = "When the job ends, one reply in its thread: the count, the time it took, Show moved leads, Move back."
    return _thread("final_reply", caption, SUCCEEDED)


def move_back() -> Scene:
    """Move back, confirmed: a new move of the same leads the other way, told in the thread of the move."""
    back = replace(
        SUCCEEDED,
        id=47,
        instantly_job_id="0193c6fa11c22d3e",
        order=MoveOrder(
            source=DESTINATION,
            destination=SOURCE,
            filters=LeadFilters(emails=tuple(f"lead{n}@acme.com" for n in range(500))),
            takes_back=SUCCEEDED.id,
        ),
        created_at=datetime(2026, 3, 10, 14, 20, 0),
        finished_at=datetime(2026, 3, 10, 14, 21, 31),
        thread_ts=SUCCEEDED.announcement_ts,
    )
    _, parent = messages.announcement(SUCCEEDED)
    _, first = thread_messages.final_reply(SUCCEEDED)
    _, announced = messages.announcement(back)
    _, ended = thread_messages.final_reply(back)
    replies = [
        Post(blocks=first, time=_clock(FINISHED)),
        Post(blocks=announced, time=_clock(back.created_at), edited=True),
        Post(blocks=ended, time=_clock(datetime(2026, 3, 10, 14, 21, 31))),
    ]
    posts = [Post(blocks=parent, time=_clock(SUCCEEDED.created_at), edited=True)]
    page = message_page(posts, channel=NAMES[CHANNEL], names=NAMES, thread=replies)
    caption = "Move back, once confirmed, moves those very leads back, in the same thread."
    return Scene("move_back", caption, page, MESSAGE_WIDTH)


def failure() -> Scene:
    caption = "A job that fails says why and calls its requester, whatever the channel's settings."
    return _thread("failure", caption, FAILED)


def workflow_step() -> Scene:
    """A move asked for by a workflow's step: announced with the workflow's name, told in its thread like any."""
    outputs = ", ".join(f"`{name}`" for name in STEP_OUTPUTS)
    caption = f"Run by a workflow's step, a move says so in its announcement; the step ends with {outputs}."
    return _thread("workflow_step", caption, HANDED_OFF)


def schedule() -> Scene:
    """A schedule's run, announced as scheduled; then `/leads schedules`, which only its asker sees, with buttons."""
    _, announced = messages.announcement(SCHEDULED_RUN)
    _, listed = schedules_view.schedule_list([SCHEDULE], viewer=PERSON)
    posts = [
        Post(blocks=announced, time=_clock(SCHEDULED_RUN.created_at), edited=True, replies=1),
        Post(blocks=listed, time=_clock(datetime(2026, 3, 9, 14, 30, 0))),
    ]
    caption = (
        f'`/leads schedule` opens the form with a When; each run is announced "(scheduled: {SCHEDULED_RUN.via_name})", '
        "and `/leads schedules`, which only you see, lists each with Pause, Run now, Edit and Delete."
    )
    return Scene("schedule", caption, message_page(posts, channel=NAMES[CHANNEL], names=NAMES), MESSAGE_WIDTH)


def approval() -> Scene:
    big = replace(
        RUNNING,
        id=44,
        order=ORDER.model_copy(update={"limit": None}),
        phase=Phase.AWAITING_APPROVAL,
        lead_count=2480,
    )
    pending = Approval(
        job_id=big.id,
        team_id=big.team_id,
        channel_id=CHANNEL,
        message_ts=None,
        state=ApprovalState.PENDING,
        decided_by=None,
        decided_at=None,
        reason=None,
        expires_at=datetime(2026, 3, 11, 14, 2, 0),
    )
    _, blocks = approval_request(big, pending)
    page = message_page([Post(blocks=blocks, time=_clock(big.created_at))], channel=NAMES[CHANNEL], names=NAMES)
    caption = "A move with no limit, or a big one, waits for an admin or approver other than the requester."
    return Scene("approval", caption, page, MESSAGE_WIDTH)


def home() -> Scene:
    mine = [replace(RUNNING, id=45, status=JobStatus.IN_PROGRESS, progress=62), SUCCEEDED, FAILED]
    theirs = replace(
        RUNNING,
        id=46,
        user_id="U0MILO",
        status=JobStatus.IN_PROGRESS,
        progress=18,
        order=ORDER.model_copy(update={"limit": 2000, "filters": LeadFilters(), "mode": MoveMode.COPY}),
    )
    link = "https://acme.slack.com/archives/C0SALES/p1773151320000100"
    view = home_view.build(
        jobs=mine, links={r.id: link for r in (*mine, theirs)}, running=[theirs], new_move_copies=False
    )
    caption = "App Home: your recent jobs with Run again and a link to each thread; admins also see what is running."
    return Scene("home", caption, home_page(view, names=NAMES), 860)


# In the order the README shows them; a new scene is one more function here.
SCENES: Final[tuple[Callable[[], Scene], ...]] = (
    modal,
    preview,
    confirm,
    announcement,
    progress,
    final_reply,
    move_back,
    failure,
    workflow_step,
    schedule,
    approval,
    home,
)


def build() -> list[Scene]:
    return [make() for make in SCENES]
