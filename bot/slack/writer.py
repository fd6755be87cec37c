"""The Slack writer: drains the outbox in priority order within Slack's rate limits, and survives restarts.

Order: final replies, then announcements and notes, then progress edits. Posts keep about one a second per
channel; edits stay under Slack's ~50 chat.update a minute per workspace; a `ratelimited` answer slows both.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Final

from slack_sdk.errors import SlackApiError

from bot import logs
from bot.slack.errors import REVOKED, retry_after, slack_error
from bot.slack.lookback import LookLater
from bot.slack.outcomes import Delivery
from bot.slack.pacing import Spacing, TokenBucket
from bot.slack.reporter import Reporter
from bot.slack.step_ends import StepEnds
from bot.workspaces import NotInstalled
from storage import outbox, outbox_claims, workflow_steps, workspaces
from storage.db import Database
from storage.models import NotificationState
from storage.outbox import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 6
# 45 a minute plus a burst of 5 never exceeds Slack's 50 chat.update a minute in any one minute.
EDITS_PER_SECOND: Final = 45 / 60
EDIT_BURST: Final = 5.0
POST_SPACING_SECONDS: Final = 1.0
# Rounds start at most this often, however often the writer is woken: a round's claim is the writer's main cost,
# and a post waits at most this much longer for it.
MIN_ROUND_SECONDS: Final = 0.2
# Unwoken, the writer looks again after idle_seconds, twice as long after each round that found nothing, up to
# this: what this process queues wakes it, so the wait only bounds how late another replica's work is seen.
MAX_IDLE_SECONDS: Final = 2.0
PRUNE_EVERY_SECONDS: Final = 600.0


class SlackWriter:
    def __init__(
        self,
        *,
        db: Database,
        reporter: Reporter,
        owner: str,
        lease_seconds: float = 60.0,
        idle_seconds: float = 0.25,
        step_ends: StepEnds | None = None,
    ) -> None:
        """`step_ends`, when given, tells Slack how workflow step runs ended, in the same rounds."""
        self._db = db
        self._reporter = reporter
        self._step_ends = step_ends
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._idle = idle_seconds
        self._edits: dict[str, TokenBucket] = {}
        self._posts = Spacing(interval=POST_SPACING_SECONDS)
        self._edits_paused_until: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0
        self.sent = 0

    def wake(self) -> None:
        """Something was queued: don't wait for the next idle round."""
        self._wake.set()

    def _edit_bucket(self, team_id: str) -> TokenBucket:
        bucket = self._edits.get(team_id)
        if bucket is None:
            bucket = self._edits[team_id] = TokenBucket(rate=EDITS_PER_SECOND, capacity=EDIT_BURST)
        return bucket

    def _edits_held(self) -> set[str]:
        """The workspaces whose edits must wait: out of edit tokens, or paused by a `ratelimited` answer."""
        now = time.monotonic()
        return {
            team
            for team, bucket in self._edits.items()
            if bucket.wait_time() > 0 or self._edits_paused_until.get(team, 0.0) > now
        }

    def _next_free(self) -> float:
        """Seconds until a channel this writer held back may be posted in again, or an edit token comes back to a
        workspace that ran out: what waited for it may go then."""
        waits = [self._posts.wait_time(channel) for channel in self._posts.busy()]
        waits += [bucket.wait_time() for bucket in self._edits.values() if bucket.wait_time() > 0]
        return max(0.05, min(waits)) if waits else MAX_IDLE_SECONDS

    def drain(self) -> int:
        """One round: claim what may be sent now and send it. Returns how many writes went out."""
        logs.bind()
        batch = outbox_claims.claim_due(
            self._db,
            owner=self._owner,
            lease_seconds=self._lease_seconds,
            limit=50,
            skip_channels=self._posts.busy(),
            skip_edits_of=self._edits_held(),
            edits_allowed=lambda team_id: self._edit_bucket(team_id).available(),
            edits_within_wait=lambda team_id: self._edit_bucket(team_id).within(
                outbox_claims.REPLY_WAITS_FOR_EDIT_SECONDS
            ),
        )
        sent = self._step_ends.drain() if self._step_ends is not None else 0
        settled: set[int] = set()  # rows already sent with another, or covered by another's edit
        held: list[int] = []  # posts whose channel took its turn this round: they keep their place
        for notification in batch:
            if notification.id in settled:
                continue
            if self._stop.is_set():
                outbox.defer(self._db, notification_id=notification.id, delay=0)
                continue
            if notification.kind not in outbox.EDITS and self._posts.wait_time(notification.channel_id) > 0:
                held.append(notification.id)
                continue
            candidates = [other for other in batch if other.groupable and other.id not in settled]
            companions = self._reporter.companions(notification, candidates) if notification.groupable else []
            settled.update(other.id for other in companions)
            sent += self._send_one(notification, companions, settled)
        if held:
            outbox.keep_place(self._db, notification_ids=held)
        return sent

    def _send_one(self, notification: Notification, companions: list[Notification], settled: set[int]) -> int:
        """Send one write, with the companions that share its message: what comes of it comes of them too."""
        logs.bind(team_id=notification.team_id, job=notification.job_id)
        wait = self._rate_wait(notification)
        if wait > 0:
            for row in (notification, *companions):
                if row.kind in outbox.EDITS:
                    outbox.defer(self._db, notification_id=row.id, delay=wait)
                else:  # in order behind the post that took its channel's turn, when the channel is free again
                    outbox.keep_place(self._db, notification_ids=[row.id])
            return 0
        try:
            delivery = self._reporter.deliver(notification, companions)
        except LookLater as later:  # Slack's history limit: not an attempt, and the row stays maybe-sent
            for row in (notification, *companions):
                outbox.defer(self._db, notification_id=row.id, delay=max(1.0, later.seconds))
            return 0
        except SlackApiError as exc:
            delivery = self._on_error(notification, exc)
        except NotInstalled:
            delivery = self._paused(notification, "not_installed")
        except OSError as exc:  # the network: the call may or may not have reached Slack
            delivery = Delivery(sent=False, retry_in=2.0, error=f"network: {exc}", maybe_sent=True)
        if delivery.sent:
            if not delivery.recorded:
                outbox.mark_sent(self._db, notification_id=notification.id, ts=None)
            settled.update(delivery.covered)
            self.sent += 1
            return 1
        for row in (notification, *companions):
            self._failed(row, delivery)
        return 0

    def _failed(self, row: Notification, delivery: Delivery) -> None:
        if row.attempts + 1 >= MAX_ATTEMPTS and delivery.error.startswith("slack:"):
            log.error("giving up on %s for job %s: %s", row.kind, row.job_id, delivery.error)
            outbox.mark_failed(self._db, notification_id=row.id, error=delivery.error)
            return
        outbox.retry_later(
            self._db,
            notification_id=row.id,
            attempts=row.attempts + 1,
            delay=delivery.retry_in,
            error=delivery.error,
            # A row that was already maybe-sent stays so until a look settles it, whatever stopped this attempt.
            maybe_sent=delivery.maybe_sent or row.state == NotificationState.SENDING,
        )

    def _rate_wait(self, notification: Notification) -> float:
        """0 if the rate limits let this write go now, else how long it should wait."""
        if notification.kind in outbox.EDITS:
            paused = self._edits_paused_until.get(notification.team_id, 0.0) - time.monotonic()
            if paused > 0:
                return paused
            bucket = self._edit_bucket(notification.team_id)
            return 0.0 if bucket.try_take() else max(0.2, bucket.wait_time())
        if self._posts.try_take(notification.channel_id):
            return 0.0
        return max(0.2, self._posts.wait_time(notification.channel_id))

    def _on_error(self, notification: Notification, exc: SlackApiError) -> Delivery:
        code = slack_error(exc)
        if code == "ratelimited":
            wait = retry_after(exc)
            log.warning("Slack rate limited %s; waiting %.0fs and slowing down", notification.kind, wait)
            # chat.update is limited per workspace, chat.postMessage per channel: hold back only what was limited.
            if notification.kind in outbox.EDITS:
                self._edits_paused_until[notification.team_id] = time.monotonic() + wait
                self._edit_bucket(notification.team_id).slow_down(factor=0.5, seconds=300)
            else:
                self._posts.hold(notification.channel_id, wait)
            return Delivery(sent=False, retry_in=wait, error="slack: ratelimited")
        if code in REVOKED:
            return self._paused(notification, code)
        delay = min(300.0, 2.0 ** (notification.attempts + 1))
        log.warning(
            "Slack refused %s for job %s: %s; retry in %.0fs", notification.kind, notification.job_id, code, delay
        )
        return Delivery(sent=False, retry_in=delay, error=f"slack: {code}")

    def _paused(self, notification: Notification, reason: str) -> Delivery:
        """The workspace has no working token: its writes wait until it has one again (a new install, a token)."""
        if workspaces.mark_revoked(self._db, team_id=notification.team_id, reason=reason):
            why = (
                "leadmover is not installed there"
                if reason == "not_installed"
                else f"Slack refused its token ({reason})"
            )
            log.error("workspace %s: %s; its work stops until it has a working token", notification.team_id, why)
        return Delivery(sent=False, retry_in=60.0, error=f"workspace token: {reason}")

    # --- the loop --------------------------------------------------------------------------------------------

    def _prune_now_and_then(self) -> None:
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            outbox.prune(self._db, older_than=timedelta(hours=1))

    def run(self) -> None:
        began, idle = 0.0, self._idle
        while not self._stop.is_set():
            self._stop.wait(max(0.0, began + MIN_ROUND_SECONDS - time.monotonic()))
            began = time.monotonic()
            try:
                self._prune_now_and_then()
                if self.drain():
                    idle = self._idle
                    continue  # more may be waiting
            except Exception:
                log.exception("Slack writer round failed")
            woken = self._wake.wait(min(idle, self._next_free()))
            idle = self._idle if woken else min(idle * 2, MAX_IDLE_SECONDS)
            self._wake.clear()
        try:
            outbox.release_leases(self._db, owner=self._owner)
            workflow_steps.release_leases(self._db, owner=self._owner)
        except Exception:
            log.exception("could not release the writer's leases; they will expire")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="leadmover-writer", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
