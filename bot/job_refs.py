"""How a person names a job when they ask for one: leadmover's number (`#12` or `12`) or Instantly's id, whichever
they have at hand; the same in `/leads status`, `/leads track` and every command that takes a job."""

from __future__ import annotations

from dataclasses import dataclass

from bot.instantly.schemas import is_job_id

_NUMBER_DIGITS_MAX = 9  # leadmover's numbers fit a database integer; longer is no job of ours


@dataclass(frozen=True)
class JobRef:
    """A job as named: by leadmover's `number`, or by Instantly's `instantly_id` (lower case, as Instantly gives it)."""

    number: int | None = None
    instantly_id: str | None = None

    @property
    def lookup(self) -> str:
        """What storage finds a job by (storage.jobs.find): the number in digits, or Instantly's id."""
        return str(self.number) if self.number is not None else self.instantly_id or ""


def parse(typed: str) -> JobRef | None:
    """`#12`, `12` or an Instantly job id (in backticks or angle brackets too, as people paste them); None when it
    is none of these."""
    text = typed.strip().strip("`<>").strip()
    digits = text[1:] if text.startswith("#") else text
    if digits.isascii() and digits.isdecimal() and 0 < len(digits) <= _NUMBER_DIGITS_MAX:
        return JobRef(number=int(digits))
    if is_job_id(text.lower()):
        return JobRef(instantly_id=text.lower())
    return None
