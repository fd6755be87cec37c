"""What came of one outbox write, as the reporter tells the writer; and the Slack answers that say a channel cannot be
written to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# The bot cannot write there, so the requester hears it by DM instead.
UNREACHABLE_CHANNEL: Final = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


@dataclass(frozen=True)
class Delivery:
    """What came of one outbox row: sent, wait and try again, or give up."""

    sent: bool
    retry_in: float = 0.0
    error: str = ""
    maybe_sent: bool = False
    # Bookkeeping, not part of the outcome: the row was marked sent in the transaction that recorded where it went,
    # so the writer need not mark it again.
    recorded: bool = field(default=False, compare=False)
    # Other rows this delivery made unnecessary (edits of a message it edited for them too), already marked sent.
    covered: frozenset[int] = field(default=frozenset(), compare=False)


SENT: Final = Delivery(sent=True)
RECORDED: Final = Delivery(sent=True, recorded=True)
