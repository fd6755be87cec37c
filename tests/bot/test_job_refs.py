"""How people name a job: `#12`, `12` or Instantly's id, as pasted."""

from __future__ import annotations

import pytest

from bot.job_refs import JobRef, parse

JOB = "66f0c2a1b3d4e5f601234567"


@pytest.mark.parametrize("typed", ["#12", "12", " #12 ", "`#12`", "<12>"])
def test_a_number_names_leadmovers_job(typed: str) -> None:
    assert parse(typed) == JobRef(number=12)
    assert parse(typed).lookup == "12"  # type: ignore[union-attr]


@pytest.mark.parametrize("typed", [JOB, JOB.upper(), f"`{JOB}`"])
def test_instantlys_id_names_instantlys_job(typed: str) -> None:
    assert parse(typed) == JobRef(instantly_id=JOB)


@pytest.mark.parametrize("typed", ["", "#", "#x", "job-1", "1" * 10, "٣", "#-1", JOB[:-1]])
def test_anything_else_names_no_job(typed: str) -> None:
    assert parse(typed) is None
