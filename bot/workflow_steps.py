"""The "Move Instantly leads" workflow step: a run's inputs read into a move order, the move asked for through the
door like any other, and the run written down so that Slack hears how it ended exactly once (bot.slack.step_ends). A
run the door turns away for a reason that may pass waits, its inputs kept, and is asked for again (ask_again).

Slack names neither the campaign nor the list by anything but what the workflow's builder picked or typed: a menu
value ("campaign:<id>"), a name as `/leads move from:… to:…` takes it, or Instantly's id.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pydantic import ValidationError

from bot.door import Door
from bot.door_terms import (
    NOT_CONNECTED,
    MoveRequest,
    NotConnected,
    Outcome,
    Refused,
    TooMany,
    Via,
    ask_again_in,
    too_many,
)
from bot.instantly.errors import InstantlyError
from bot.instantly.schemas import LEAD_FILTERS
from bot.moves import Requester
from bot.pickers import Choice, Resolution
from bot.workflow_inputs import StepInputs, kept_inputs, lead_status_code, problem_in
from bot.workspaces import NotInstalled, Workspaces
from storage import workflow_steps
from storage.clock import utcnow
from storage.db import Database
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveOptions, MoveOrder
from storage.workflow_steps import StepRun

log = logging.getLogger(__name__)

# The function's callback ids in the manifest: other tools and workflows rely on them.
MOVE_STEP: Final = "move_instantly_leads"
PLACES_STEP: Final = "instantly_places"
# How many of each kind the From and To menus list: Slack shows one long menu, searchable by typing.
MENU_SIZE: Final = 100
# A run whose move cannot be asked for yet, for a reason that may pass (bot.door_terms.ask_again_in), is asked again
# (this often when Instantly or Slack was too slow), and fails with that reason once it has waited WAIT_LIMIT: a burst
# of runs for one person starts in turns rather than failing.
RETRY_SECONDS: Final = 30.0
WAIT_LIMIT: Final = timedelta(minutes=10)
TICK_SECONDS: Final = 5.0
NO_KEY: Final = (
    "leadmover cannot keep this step's Slack token safe, so it cannot follow the move to its end: an admin must set "
    "LEADMOVER_ENCRYPTION_KEY. Nothing was moved."
)
_KIND_PREFIX: Final = re.compile(r"^(campaign|list):\s*", re.IGNORECASE)
_ID: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Opened:
    """How a delivered run was taken in: `error` says why it failed at once; `written` says the run is on record,
    so the outbox tells Slack of that failure (else the listener must, now)."""

    error: str | None = None
    written: bool = True


class WorkflowSteps:
    def __init__(
        self,
        *,
        db: Database,
        door: Door,
        workspaces: Workspaces,
        notify: Callable[[], None],
        owner: str,
        lease_seconds: float,
    ) -> None:
        self._db = db
        self._door = door
        self._workspaces = workspaces
        self._notify = notify
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(
        self,
        *,
        team_id: str,
        execution_id: str,
        workflow_execution_id: str | None,
        token: str,
        inputs: Mapping[str, Any],
    ) -> Opened:
        """Take in one run: written down with its token sealed, then its move asked for through the door, keyed by
        the run so that a delivery of the same run again starts nothing new. Opened(error=NO_KEY) when the token
        cannot be kept: the caller fails the run at once, since nothing was written."""
        sealer = self._workspaces.sealer
        if sealer is None:
            return Opened(error=NO_KEY, written=False)
        user_id = str(inputs.get("user_id") or "")[:32]
        run, first = workflow_steps.open_run(
            self._db,
            team_id=team_id,
            execution_id=execution_id,
            workflow_execution_id=workflow_execution_id,
            user_id=user_id,
            sealed_token=sealer.seal(token),
            inputs=kept_inputs(inputs),
        )
        if not first and (run.job_id is not None or run.error is not None):
            log.info("workflow run %s delivered again; nothing more to do", execution_id)
            return Opened()
        error = self._ask(run, inputs=inputs)
        if error is not None:
            workflow_steps.refuse(self._db, run_id=run.id, error=error)
            self._notify()
        return Opened(error=error)

    def ask_again(self) -> int:
        """Ask again for the moves of the runs that wait and are due (the loop does so every few seconds); how many."""
        runs = workflow_steps.claim_waiting(self._db, owner=self._owner, lease_seconds=self._lease_seconds)
        for run in runs:
            try:
                error = self._ask(run, inputs=run.inputs or {})
            except Exception:  # its lease runs out, and it is asked for again on a later round
                log.exception("workflow run %s: its move could not be asked for again", run.execution_id)
                continue
            if error is not None:
                workflow_steps.refuse(self._db, run_id=run.id, error=error)
                self._notify()
        return len(runs)

    def _ask(self, run: StepRun, *, inputs: Mapping[str, Any]) -> str | None:
        """The run's move asked for; why not, in words, when it was not. A refusal that may pass puts the run off
        (it is asked for again) until it has waited WAIT_LIMIT."""
        team_id, execution_id, run_id = run.team_id, run.execution_id, run.id
        try:
            given = StepInputs.model_validate(dict(inputs))
        except ValidationError as exc:
            return problem_in(exc)
        order = self._order(team_id, given)
        if isinstance(order, str):
            return order
        request = MoveRequest(
            order=order,
            requester=Requester(team_id=team_id, user_id=given.user_id, channel_id=given.channel_id),
            via=Via.WORKFLOW,
            key=workflow_steps.step_key(execution_id),
            via_name=given.workflow_name,
        )
        outcome = self._door.submit(request)
        refused = _refusal(outcome)
        wait = ask_again_in(outcome, otherwise=RETRY_SECONDS)
        if refused is not None and wait is not None and utcnow() - run.created_at < WAIT_LIMIT:
            log.info("workflow run %s waits %.0fs to be asked for again: %s", execution_id, wait, refused[:120])
            retry_at = utcnow() + timedelta(seconds=wait)
            workflow_steps.put_off(self._db, run_id=run_id, reason=refused, retry_at=retry_at)
            return None
        if refused is not None:
            return refused
        assert not isinstance(outcome, (Refused, NotConnected, TooMany))
        workflow_steps.attach_job(self._db, run_id=run_id, job_id=outcome.record.id)
        return None

    def run_loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.ask_again()
            except Exception:
                log.exception("asking again for waiting workflow runs failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_loop, name="leadmover-workflow-waits", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _order(self, team_id: str, given: StepInputs) -> MoveOrder | str:
        status = None
        if given.lead_status is not None:
            status = lead_status_code(given.lead_status)
            if status is None:
                return (
                    f"leadmover does not know the lead status “{given.lead_status[:60]}”, so nothing was moved. "
                    f"Use one of: {', '.join(LEAD_FILTERS.values())}."
                )
        places = self._places(team_id, {"from": given.source, "to": given.destination})
        if isinstance(places, str):
            return places
        return MoveOrder(
            source=places["from"],
            destination=places["to"],
            mode=given.mode,
            limit=given.limit,
            filters=LeadFilters(lead_status=status),
            options=MoveOptions(skip_duplicates=given.skip_duplicates),
        )

    def _places(self, team_id: str, named: Mapping[str, str]) -> dict[str, Endpoint] | str:
        """Each input as a campaign or list: a menu value or an id as it is (the door checks Instantly knows it),
        a name looked up as `/leads move from:… to:…` looks it up."""
        found: dict[str, Endpoint] = {}
        by_name: dict[str, tuple[str, str | None]] = {}
        for key, given in named.items():
            kind, _, rest = given.partition(":")
            if kind in ("campaign", "list") and _ID.match(rest.strip()):
                found[key] = Endpoint(kind=EndpointKind(kind), id=rest.strip(), name=rest.strip())
                continue
            if _ID.match(given):
                by_id = self._by_id(team_id, given)
                if isinstance(by_id, str):
                    return by_id
                found[key] = by_id
                continue
            prefix = _KIND_PREFIX.match(given)
            name = given[prefix.end() :].strip().strip('"“”') if prefix else given.strip('"“”')
            by_name[key] = (name, prefix.group(1).lower() if prefix else None)
        if by_name:
            try:
                resolved = self._workspaces.pickers(team_id).resolve(by_name)
            except (InstantlyError, NotInstalled) as exc:
                return f"Instantly could not be asked for the campaigns and lists ({exc}), so nothing was moved."
            for key, resolution in resolved.items():
                if resolution.choice is None:
                    return _unresolved(key, by_name[key], resolution)
                found[key] = _endpoint(resolution.choice)
        return found

    def _by_id(self, team_id: str, item_id: str) -> Endpoint | str:
        values = [f"campaign:{item_id}", f"list:{item_id}"]
        try:
            names = self._workspaces.pickers(team_id).names(values, timeout=2.0)
        except (InstantlyError, TimeoutError, NotInstalled) as exc:
            return f"Instantly could not say what `{item_id}` is ({exc}), so nothing was moved."
        for value in values:
            if names.get(value) is not None:
                return _endpoint(Choice(value, names[value] or item_id))
        return f"Instantly has no campaign or list with the id `{item_id}`, so nothing was moved."

    def places(self, team_id: str) -> list[Choice]:
        """The From and To menus' options: the workspace's campaigns, then its lists, as the pickers find them."""
        try:
            found = self._workspaces.pickers(team_id).endpoints("")
        except (InstantlyError, NotInstalled) as exc:
            raise LookupError(str(exc)) from exc
        if found.problem is not None and not (found.campaigns or found.lists):
            raise LookupError(found.problem)
        return [*found.campaigns[:MENU_SIZE], *found.lists[:MENU_SIZE]]


def _endpoint(choice: Choice) -> Endpoint:
    kind, _, item_id = choice.value.partition(":")
    return Endpoint(kind=EndpointKind(kind), id=item_id, name=choice.label)


def _unresolved(key: str, wanted: tuple[str, str | None], resolution: Resolution) -> str:
    field = "From" if key == "from" else "To"
    name, kind = wanted
    what = kind or "campaign or list"
    if resolution.problem is not None:
        return f"“{field}”: Instantly could not look up “{name[:80]}” ({resolution.problem}), so nothing was moved."
    if not resolution.campaigns and not resolution.lists:
        return f"“{field}”: Instantly has no {what} called “{name[:80]}”, so nothing was moved."
    counted = " and ".join(
        f"{'at least ' if resolution.more else ''}{n} {word}{'' if n == 1 else 's'}"
        for n, word in ((resolution.campaigns, "campaign"), (resolution.lists, "list"))
        if n
    )
    return (
        f"“{field}”: “{name[:80]}” matches {counted}, so nothing was moved. Pick it from the menu, or give its "
        "exact name with campaign: or list: before it."
    )


def _refusal(outcome: Outcome) -> str | None:
    """Why the door did not take the move, in words; None when it did (starting, awaiting approval, a repeat)."""
    if isinstance(outcome, Refused):
        return outcome.words
    if isinstance(outcome, NotConnected):
        return NOT_CONNECTED
    if isinstance(outcome, TooMany):
        return too_many(outcome.limit, outcome.retry_in)
    return None
