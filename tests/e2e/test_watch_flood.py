"""A flood of jobs in a watched channel, end to end against the simulators: jobs found together share a message that
names each once and is edited for all of them, and their endings are gathered into a few replies in its thread."""

from __future__ import annotations

from collections import Counter

from app.local_stack import DemoWorkspace, LocalStack
from simulators.slack import Message
from tests.e2e.test_watch import CHANNEL, announced, named, round_now, stack, watching, workspace

__all__ = ["stack", "workspace"]  # the fixtures, shared with test_watch
JOBS = 12


def replies(stack: LocalStack) -> list[Message]:
    return [reply for message in announced(stack) for reply in stack.slack.replies(CHANNEL, message.ts)]


def test_a_flood_shares_messages_edited_for_all_and_answered_in_a_few_replies(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    watching(stack)
    lists = list(workspace.lists.values())
    for n in range(JOBS):
        stack.instantly.default_workspace.start_elsewhere("import-leads", entity=("list", lists[n % len(lists)]))
    assert round_now(stack) == 1

    assert stack.slack.wait_for(lambda: len(named(announced(stack))) == JOBS, timeout=30)
    # Most go together (the writer may take the first few alone while the round is still writing the rest down).
    assert len(announced(stack)) <= JOBS // 2, [m.text for m in announced(stack)]
    assert Counter(named(announced(stack))).most_common(1)[0][1] == 1, "each job announced once"
    shared = max(announced(stack), key=lambda m: len(named([m])))
    assert "new Instantly jobs" in shared.text
    assert "Import leads into list *" in str(shared.blocks)

    assert stack.slack.wait_for(lambda: len(named(replies(stack))) == JOBS, timeout=60), [
        m.text for m in replies(stack)
    ]
    assert Counter(named(replies(stack))).most_common(1)[0][1] == 1, "each job answered once"
    assert len(replies(stack)) <= JOBS // 2, "endings gathered into a few replies"
    assert "*completed* in" in str(replies(stack)[0].blocks)

    def now_reads() -> str:
        return next(message.text for message in announced(stack) if message.ts == shared.ts)

    assert stack.slack.wait_for(lambda: f"{len(named([shared]))} completed" in now_reads(), timeout=10), now_reads()
