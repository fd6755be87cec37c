"""Instantly's background jobs: POST /leads/move starts one (or a test starts one "elsewhere": an import, an export,
a move made in Instantly's app, a type added tomorrow), and each poll (or the clock) moves it along a script."""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from simulators.instantly.contents import Container, Contents
from simulators.instantly.protocol import DEFAULT_LIMIT, ApiError, Call, Clock, after, csv, page

# start_elsewhere's default starter: the workspace's owner.
_OWNER: Final = "<owner>"
# Instantly names at most the first 10,000 moved e-mails (the spec's `data.moved_lead_emails`).
_NAMED_EMAILS = 10_000


class _ObjectIds:
    """Instantly job ids are MongoDB ObjectIds (not UUIDs): seconds, a per-process random part and a counter, in
    24 hex characters. The counter is shared by every workspace and every fake, so no two jobs ever share an id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = secrets.token_hex(5)
        self._counter = secrets.randbelow(1 << 24)

    def __call__(self) -> str:
        with self._lock:
            self._counter = (self._counter + 1) % (1 << 24)
            counter = self._counter
        return f"{int(time.time()) & 0xFFFFFFFF:08x}{self._process}{counter:06x}"


_new_job_id = _ObjectIds()


@dataclass
class _Job:
    public: dict[str, Any]
    body: dict[str, Any]
    total: int
    chosen: list[tuple[str, str]]  # (id, e-mail) of the leads it moves
    source: Container | None
    destination: Container | None  # None for a job started elsewhere: it changes no campaign or list here
    final_status: str
    step: int = 0
    finished: bool = False
    created_at: float = 0.0  # time.monotonic()
    ended_at: float | None = None  # time.monotonic() of the moment its status became terminal


class Jobs:
    """Every job and its script. Endpoints run with `lock` held (the server takes it); the rest takes it itself.

    By default a job moves one of `progress_steps` per observation, then ends as `final_status`; with
    `job_duration` it follows the wall clock instead (pending, then each step for an equal share, then the end).
    """

    def __init__(
        self,
        *,
        contents: Contents,
        lock: threading.RLock,
        clock: Clock,
        progress_steps: Sequence[int],
        final_status: str,
        job_duration: float | None,
    ) -> None:
        self._contents = contents
        self._lock = lock
        self._clock = clock
        self._progress_steps = tuple(progress_steps)
        self._final_status = final_status
        self._job_duration = job_duration
        self._jobs: dict[str, _Job] = {}
        # Statuses the spec does not list but a test asked for: the self-check lets them through.
        self.tolerated_statuses: set[object] = {final_status}

    # -- inspection and scripting ----------------------------------------------------------------------------

    def job(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs[job_id]
            self._settle(job, time.monotonic())
            return copy.deepcopy(job.public)

    def job_times(self) -> dict[str, tuple[float, float | None]]:
        """Every job's (created, ended) in time.monotonic() terms; ended is None while it runs. Copies no bodies."""
        with self._lock:
            now = time.monotonic()
            for job in self._jobs.values():
                self._settle(job, now)
            return {job_id: (job.created_at, job.ended_at) for job_id, job in self._jobs.items()}

    def job_ids(self) -> list[str]:
        """Every job's id, oldest first."""
        with self._lock:
            return list(self._jobs)

    def touch(self, job_id: str) -> None:
        """Instantly updates a job now (its counts move on): it goes to the top of a listing by `updated_at`."""
        with self._lock:
            self._jobs[job_id].public["updated_at"] = self._clock.stamp()

    def forget_job(self, job_id: str) -> None:
        """Drop a job, as Instantly does when it purges old ones: it then answers 404 for it."""
        with self._lock:
            del self._jobs[job_id]

    @property
    def final_status(self) -> str:
        """How jobs created from now on end."""
        return self._final_status

    @final_status.setter
    def final_status(self, status: str) -> None:
        with self._lock:
            self._final_status = status
            self.tolerated_statuses.add(status)

    def set_final_status(self, job_id: str, status: str) -> None:
        """Make one job end as `status`; any string goes, since Instantly adds job statuses over time."""
        with self._lock:
            self._jobs[job_id].final_status = status
            self.tolerated_statuses.add(status)

    # -- endpoints -------------------------------------------------------------------------------------------

    def move_leads(self, call: Call) -> dict[str, Any]:
        body: dict[str, Any] = call.body or {}
        if ("to_campaign_id" in body) == ("to_list_id" in body):
            raise ApiError(400, "body must have exactly one of to_campaign_id, to_list_id", violation=True)
        if "ids" in body and "campaign" not in body and "list_id" not in body:
            raise ApiError(400, "body/ids needs a source campaign or list_id", violation=True)
        if "assigned_to" in body and body["assigned_to"] not in self._contents.known_user_ids():
            raise ApiError(400, "body/assigned_to must be a workspace member's user_id", violation=True)
        if "to_campaign_id" in body:
            destination = self._contents.campaigns.get(body["to_campaign_id"])
        else:
            destination = self._contents.lists.get(body["to_list_id"])
        if destination is None:
            raise ApiError(404, "Destination campaign or list not found")
        source = self._contents.source(body)
        leads = self._contents.leads(source, body)
        total = max(0, min(int(body.get("limit", len(leads))), len(leads)))
        stamp = self._clock.stamp()
        public = {
            "id": _new_job_id(),
            "workspace_id": self._contents.workspace_id,
            "user_id": self._contents.owner_user_id,
            "type": "move-leads",
            "entity_id": destination.public["id"],
            "entity_type": destination.kind,
            "progress": 0,
            "status": "pending",
            "data": {},
            "created_at": stamp,
            "updated_at": stamp,
        }
        job = _Job(public, copy.deepcopy(body), total, leads[:total], source, destination, self._final_status)
        job.created_at = time.monotonic()
        self._jobs[public["id"]] = job
        return public

    def start_elsewhere(
        self,
        job_type: str,
        *,
        total: int = 100,
        final_status: str | None = None,
        ago: float = 0.0,
        ended: bool = False,
        entity: tuple[str, str] | None = None,
        user_id: str | None = _OWNER,
    ) -> str:
        """Start a job as Instantly's app or another integration would: of any type (one the spec does not list is
        let through the self-check, as Instantly adds types over time), begun `ago` seconds ago, `total` items to
        process. It then moves along like every job; `ended` makes it one that finished before anyone asked.
        `entity` is the (entity_type, entity_id) it touches (the workspace by default); `user_id` who started it
        (the workspace's owner by default; None when Instantly names no one, as for a job started by the API)."""
        with self._lock:
            self.tolerated_statuses.add(job_type)
            status = self._final_status if final_status is None else final_status
            self.tolerated_statuses.add(status)
            begun = datetime.now(UTC) - timedelta(seconds=ago)
            public: dict[str, Any] = {
                "id": _new_job_id(),
                "workspace_id": self._contents.workspace_id,
                "user_id": self._contents.owner_user_id if user_id == _OWNER else user_id,
                "type": job_type,
                "entity_id": entity[1] if entity is not None else self._contents.workspace_id,
                "entity_type": entity[0] if entity is not None else "workspace",
                "progress": 0,
                "status": "pending",
                "data": {},
                "created_at": begun.strftime("%Y-%m-%dT%H:%M:%S.") + f"{begun.microsecond // 1000:03d}Z",
                "updated_at": self._clock.stamp(),
            }
            job = _Job(public, {}, total, [], None, None, status, created_at=time.monotonic() - ago)
            self._jobs[public["id"]] = job
            if ended:
                job.step = len(self._progress_steps)
                if self._progress_steps:
                    public.update(status="in-progress", progress=self._progress_steps[-1])
                self._finish(job, time.monotonic())
                public["updated_at"] = self._clock.stamp()
            return str(public["id"])

    def _advance(self, job: _Job) -> None:
        """One observation moves a job one scripted step; finished jobs never change again."""
        if job.finished:
            return
        if self._job_duration is not None:
            self._settle(job, time.monotonic())
            return
        public = job.public
        if job.step < len(self._progress_steps):
            public.update(status="in-progress", progress=self._progress_steps[job.step])
            job.step += 1
        else:
            self._finish(job, time.monotonic())
        public["updated_at"] = self._clock.stamp()

    def _settle(self, job: _Job, now: float) -> None:
        """With `job_duration`: bring a job to where the clock says it is (a no-op in per-observation mode)."""
        duration = self._job_duration
        if duration is None or job.finished:
            return
        elapsed = now - job.created_at
        if elapsed >= duration:
            if job.step < len(self._progress_steps):
                # It ends at its last step's progress, as it would had anyone watched it get there.
                job.public.update(status="in-progress", progress=self._progress_steps[-1])
            self._finish(job, job.created_at + duration)
            job.public["updated_at"] = self._clock.stamp()
            return
        # pending for the first share, then one share per progress step
        step = min(len(self._progress_steps), int(elapsed / duration * (len(self._progress_steps) + 1)))
        if step > job.step:
            job.step = step
            job.public.update(status="in-progress", progress=self._progress_steps[step - 1])
            job.public["updated_at"] = self._clock.stamp()

    def _finish(self, job: _Job, at: float) -> None:
        public = job.public
        job.finished = True
        job.ended_at = at
        if job.destination is None:
            # Started elsewhere: it counts what it processed, in the names of the spec's example data_fields.
            done = job.total if job.final_status == "success" else job.total * int(public["progress"]) // 100
            progress = 100 if job.final_status == "success" else public["progress"]
            data: dict[str, Any] = {"success_count": done, "failed_count": 0, "total_to_process": job.total}
            if public["type"] == "move-leads":
                data = {"moved_leads": done, "moved_lead_emails": []}
            public.update(status=job.final_status, progress=progress, data=data)
        elif job.final_status == "success":
            emails = [email for _, email in job.chosen[:_NAMED_EMAILS]]
            public.update(status="success", progress=100, data={"moved_leads": job.total, "moved_lead_emails": emails})
            job.destination.receive(job.chosen)
            if job.source is not None and not job.body.get("copy_leads"):
                job.source.release(job.chosen)
        else:
            moved = job.total * int(public["progress"]) // 100
            public.update(status=job.final_status, data={"moved_leads": moved})

    def get_job(self, call: Call) -> dict[str, Any]:
        job = self._jobs.get(call.params["id"])
        if job is None:
            raise ApiError(404, "Background job not found")
        self._advance(job)
        return _shown(job.public, csv(call.query.get("data_fields")))

    def list_jobs(self, call: Call) -> dict[str, Any]:
        query = call.query
        jobs = list(self._jobs.values())
        if self._job_duration is not None:
            now = time.monotonic()
            for job in jobs:
                self._settle(job, now)
        ids = csv(query.get("ids"))
        for key, keep in (("ids", True), ("included_ids", True), ("excluded_ids", False), ("status", True)):
            wanted = csv(query.get(key))
            if wanted is not None:
                field_name = "status" if key == "status" else "id"
                jobs = [job for job in jobs if (job.public[field_name] in wanted) == keep]
        for key in ("type", "entity_type", "entity_id"):
            if key in query:
                jobs = [job for job in jobs if job.public[key] == query[key]]
        column = query.get("sort_column", "created_at")
        jobs.sort(key=lambda job: str(job.public[column]), reverse=query.get("sort_order", "desc") == "desc")
        limit = query.get("limit", DEFAULT_LIMIT)
        remaining = after([job.public for job in jobs], query.get("starting_after"), "id")
        answer = page(remaining, limit, "id")
        if ids is not None:
            # Only a poll by id counts as watching a job: a recovery search must not push jobs along.
            for public in answer["items"]:
                self._advance(self._jobs[public["id"]])
        return {**answer, "items": [_shown(public, None) for public in answer["items"]]}


# Up to 10,000 addresses: Instantly sends them only to whoever names them in `data_fields` (GET one job).
_ASKED_FOR_ONLY: Final = frozenset({"moved_lead_emails"})


def _shown(public: dict[str, Any], data_fields: set[str] | None) -> dict[str, Any]:
    """A job as Instantly answers it: `data_fields` picks fields of `data`; without it the heavy ones stay out."""
    data = public.get("data") or {}
    if data_fields is None:
        shown = {key: value for key, value in data.items() if key not in _ASKED_FOR_ONLY}
    else:
        shown = {key: value for key, value in data.items() if key in data_fields}
    return {**public, "data": copy.deepcopy(shown)}
