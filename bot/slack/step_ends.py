"""Tells Slack how each workflow step run ended: `functions.completeSuccess` with the step's outputs when its move
succeeded, `functions.completeError` with words otherwise. Run by the Slack writer, under a lease, once per run.

Slack's docs name the run's own token (the `bot_access_token` of its function_executed event) for both calls; it is
opened from its seal only to make the call. A call repeated after a crash finds the run already ended, and that
counts as told.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from slack_sdk.errors import SlackApiError

from bot.instantly.schemas import JobStatus
from bot.secrets import SealBroken, Sealer
from bot.slack.blocks.messages import job_number
from bot.slack.errors import retry_after, slack_error
from bot.slack.lookback import SlackFor
from bot.workspaces import NotInstalled, slack_client
from storage import jobs, submissions, workflow_steps
from storage.db import Database
from storage.models import Phase
from storage.records import JobRecord
from storage.workflow_steps import StepRun, step_key

log = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 8
# A job that ended is told in its thread first, so the step's link leads to the reply; one whose reply cannot go
# out is told to the workflow anyway after this.
SETTLE_SECONDS: Final = 30.0
# A run that no job came of this long after Slack delivered it was lost before its move was written down.
ORPHAN_SECONDS: Final = 600.0
CHECK_EVERY_SECONDS: Final = 1.0
# Slack's answers that say the run is already over: an earlier call got through.
_ALREADY_ENDED: Final = frozenset({"execution_not_in_running_state", "function_execution_not_found"})
# Slack's answers that say the run's token no longer works: nothing will ever be told with it.
_TOKEN_GONE: Final = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_expired",
        "token_revoked",
        "account_inactive",
        "not_allowed_token_type",
        "access_denied",
    }
)
STATUS_WORDS: Final = {JobStatus.SUCCESS: "completed", JobStatus.FAILED: "failed", JobStatus.CANCELLED: "cancelled"}
LOST_BEFORE_WRITTEN: Final = (
    "leadmover lost this run before its move was written down, so nothing was moved. Run the workflow again."
)


def ending(run: StepRun, record: JobRecord | None) -> dict[str, Any] | str:
    """The step's outputs when its move succeeded; else why it failed, in words for the person running it."""
    if run.error is not None:
        return run.error
    if record is None:
        return LOST_BEFORE_WRITTEN
    status = record.status or ""
    name = f"leadmover job {job_number(record.id)}"
    if record.phase == Phase.NOT_APPROVED:
        return f"The move was not approved ({record.error or 'no reason given'}), so nothing was moved ({name})."
    if record.phase == Phase.START_FAILED:
        return f"Instantly did not start the move: {record.error or 'no reason given'} ({name})."
    if status == JobStatus.SUCCESS:
        outputs: dict[str, Any] = {
            "job_number": record.id,
            "status": STATUS_WORDS[JobStatus.SUCCESS],
            "moved_count": record.moved_leads or 0,
        }
        if record.instantly_job_id:
            outputs["instantly_job_id"] = record.instantly_job_id
        return outputs
    if status == JobStatus.FAILED:
        moved = f" after moving {record.moved_leads:,} leads" if record.moved_leads else ""
        detail = f": {record.error}" if record.error else ""
        return f"Instantly reports the move failed at {record.progress}%{moved}{detail} ({name})."
    if status == JobStatus.CANCELLED:
        return f"The move was cancelled in Instantly at {record.progress}% ({name})."
    return f"leadmover stopped following the move: {record.error or status or 'no reason given'} ({name})."


class StepEnds:
    def __init__(
        self,
        *,
        db: Database,
        sealer: Sealer | None,
        slack: SlackFor,
        api_url: str,
        owner: str,
        lease_seconds: float,
    ) -> None:
        self._db = db
        self._sealer = sealer
        self._slack = slack
        self._api_url = api_url
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._next_check = 0.0

    def drain(self, *, now: float | None = None) -> int:
        """Tell Slack of every run due (looking at most once a second); how many were told."""
        moment = time.monotonic() if now is None else now
        if moment < self._next_check:
            return 0
        self._next_check = moment + CHECK_EVERY_SECONDS
        runs = workflow_steps.claim_due(
            self._db,
            owner=self._owner,
            lease_seconds=self._lease_seconds,
            settle_seconds=SETTLE_SECONDS,
            orphan_seconds=ORPHAN_SECONDS,
        )
        told = 0
        for run in runs:
            try:
                told += self.tell(run)
            except Exception:  # one run's trouble must not hold up the others, nor the writer's round
                log.exception("workflow run %s: telling Slack failed; its lease runs out and it is tried again", run.id)
        return told

    def tell(self, run: StepRun) -> bool:
        """One run's end, told to Slack; True when Slack has it (now or from an earlier call)."""
        record = jobs.get(self._db, job_id=run.job_id) if run.job_id is not None else None
        if run.job_id is None and run.error is None:
            # Written down, but not tied to its run before the process stopped: the run follows that move.
            made = submissions.find_submitted(self._db, team_id=run.team_id, submission_key=step_key(run.execution_id))
            if made is not None:
                workflow_steps.attach_job(self._db, run_id=run.id, job_id=made.record.id)
                workflow_steps.retry_later(self._db, run_id=run.id, attempts=run.attempts, delay=0)
                return False
        end = ending(run, record)
        token = self._opened(run.sealed_token)
        if token is None:
            log.error("workflow run %s: its token cannot be opened, so Slack cannot be told it ended", run.id)
            workflow_steps.lose(self._db, run_id=run.id, outcome="token unavailable")
            return False
        client = slack_client(token=token, api_url=self._api_url)
        try:
            if isinstance(end, dict):
                if record is not None and (link := self._thread_url(record)) is not None:
                    end["thread_url"] = link
                client.functions_completeSuccess(function_execution_id=run.execution_id, outputs=end)
                outcome = f"success: job {end['job_number']}"
            else:
                client.functions_completeError(function_execution_id=run.execution_id, error=end)
                outcome = f"error: {end}"
        except SlackApiError as exc:
            return self._refused(run, slack_error(exc), exc)
        except OSError as exc:  # a repeat is safe: Slack answers that the run already ended
            log.warning("workflow run %s: Slack could not be reached (%s); trying again", run.id, exc)
            workflow_steps.retry_later(self._db, run_id=run.id, attempts=run.attempts + 1, delay=_backoff(run))
            return False
        workflow_steps.complete(self._db, run_id=run.id, outcome=outcome)
        log.info("workflow run %s told to Slack (%s)", run.id, outcome[:80])
        return True

    def _opened(self, sealed: str | None) -> str | None:
        """A run's token out of its seal; None when it cannot be (no key, or a key that was dropped)."""
        if sealed is None or self._sealer is None:
            return None
        try:
            return self._sealer.open(sealed)
        except SealBroken:
            return None

    def _refused(self, run: StepRun, code: str, exc: SlackApiError) -> bool:
        if code in _ALREADY_ENDED:
            workflow_steps.complete(self._db, run_id=run.id, outcome=f"already ended ({code})")
            return True
        if code in _TOKEN_GONE or (code != "ratelimited" and run.attempts + 1 >= MAX_ATTEMPTS):
            log.error("workflow run %s: Slack refused its completion (%s); giving up", run.id, code)
            workflow_steps.lose(self._db, run_id=run.id, outcome=f"refused: {code}")
            return False
        delay = retry_after(exc) if code == "ratelimited" else _backoff(run)
        log.warning("workflow run %s: Slack refused its completion (%s); retry in %.0fs", run.id, code, delay)
        workflow_steps.retry_later(self._db, run_id=run.id, attempts=run.attempts + 1, delay=delay)
        return False

    def _thread_url(self, record: JobRecord) -> str | None:
        """A link to the job's thread, when it has one Slack can link to."""
        if record.announcement_channel is None or record.announcement_ts is None:
            return None
        ts = record.reply_thread or record.announcement_ts
        try:
            answer = self._slack(record.team_id).chat_getPermalink(channel=record.announcement_channel, message_ts=ts)
        except (SlackApiError, NotInstalled, OSError) as exc:
            log.info("no link to job %s's thread: %s", record.id, exc)
            return None
        link = answer.get("permalink")
        return str(link) if link else None


def _backoff(run: StepRun) -> float:
    return float(min(300, 2 ** (run.attempts + 1)))
