"""The identifiers Slack routes by, shared by the block builders, the listeners and the tests."""

import re
from typing import Final

COMMAND: Final = "/leads"
MOVE_MODAL: Final = "move_leads"

# Each input block's block_id equals its element's action_id, so state is read as values[X][X].
SOURCE: Final = "source"
DESTINATION: Final = "destination"
MODE: Final = "mode"
LIMIT: Final = "limit"
SEARCH: Final = "search"
FILTER: Final = "filter"
CONTACTS: Final = "contacts"
ASSIGNED_TO: Final = "assigned_to"
ESP_CODE: Final = "esp_code"
ESG_CODE: Final = "esg_code"
OPTIONS: Final = "options"

MODE_MOVE: Final = "move"
MODE_COPY: Final = "copy"

# The value of the option shown when Instantly could not be searched; choosing it is a field error.
UNAVAILABLE: Final = "unavailable"

CONNECT_MODAL: Final = "connect_instantly"
# The connect modal's one input: block_id and action_id alike.
API_KEY: Final = "api_key"

# The App Home tab's buttons: "Run again" on each of a person's jobs (value: the job's number), and the link button
# to Instantly (Slack still sends the app a click for a link button, which it only acknowledges).
HOME_RUN_AGAIN: Final = "home_run_again"
# App Home's New move: the form, in the default mode of the channel of the person's latest job.
HOME_NEW_MOVE: Final = "home_new_move"
# Slack wants every action_id in a view to be distinct, so each job's Run again carries the job's number too (a tab
# published before that has the bare id, and its buttons still work: the job's number is also the button's value).
HOME_RUN_AGAIN_ACTION: Final = re.compile(r"^home_run_again(:\d+)?$")


def home_run_again(job_id: int) -> str:
    """The action_id of job `job_id`'s Run again button in the Home tab."""
    return f"{HOME_RUN_AGAIN}:{job_id}"


HOME_OPEN_INSTANTLY: Final = "home_open_instantly"

# The move modal's "More filters" button (block_id and action_id alike): shows the fields few people use, or hides
# those of them left empty (handlers/more_filters.py).
MORE_FILTERS: Final = "more_filters"

# The move modal's preview section (a section block, no input), refreshed as the source and the filters change.
PREVIEW: Final = "preview"
# The view pushed over the move modal to confirm a move of every lead (no limit, no filter); its submit starts it.
CONFIRM_MODAL: Final = "move_leads_confirm"

# /leads schedule opens the move modal in schedule mode (its callback_id stays MOVE_MODAL, so the preview and More
# filters work as in the form); /leads schedules lists them.
SCHEDULE: Final = "schedule"
SCHEDULES: Final = "schedules"
# The schedule modal's When section: input blocks, block_id and action_id alike.
FREQUENCY: Final = "frequency"
WEEKDAY: Final = "weekday"
MONTH_DAY: Final = "month_day"
TIME_OF_DAY: Final = "time_of_day"
TIMEZONE: Final = "timezone"

# A schedule's buttons in /leads schedules and App Home. Slack wants every action_id in a view to be distinct, so
# each carries the schedule's number too (`schedule_action`), which is also the button's value.
SCHEDULE_PAUSE: Final = "schedule_pause"
SCHEDULE_RESUME: Final = "schedule_resume"
SCHEDULE_RUN_NOW: Final = "schedule_run_now"
SCHEDULE_EDIT: Final = "schedule_edit"
SCHEDULE_DELETE: Final = "schedule_delete"
SCHEDULE_ACTION: Final = re.compile(r"^(schedule_(?:pause|resume|run_now|edit|delete)):(\d{1,12})$")


def schedule_action(kind: str, schedule_id: int) -> str:
    """The action_id of schedule `schedule_id`'s button `kind` (SCHEDULE_PAUSE, …)."""
    return f"{kind}:{schedule_id}"
