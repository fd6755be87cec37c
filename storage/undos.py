"""Moves taken back: each chunk of a move back is a submission keyed by the job it takes back, so a second press or
a second confirmation finds the first one's jobs instead of moving anything again."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import SubmissionRow


def submission_key(*, job_id: int, chunk: int) -> str:
    return f"undo:{job_id}:{chunk}"


def moved_back_by(db: Database, *, team_id: str, job_id: int) -> int | None:
    """The first job of an earlier move back of `job_id`, if there was one (its first chunk is always written)."""
    query = select(SubmissionRow.job_id).where(
        SubmissionRow.team_id == team_id, SubmissionRow.key == submission_key(job_id=job_id, chunk=0)
    )
    with db.reading() as session:
        return session.scalars(query).first()
