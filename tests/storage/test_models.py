"""The tables' vocabulary: what phases and outbox kinds are called in the database, and which write goes first."""

from __future__ import annotations

from storage.models import NOTIFICATION_PRIORITY, NotificationKind, NotificationState, Phase


def test_stored_names_never_change() -> None:
    # Rows written by an older release must still read back: these strings are in the database.
    assert [phase.value for phase in Phase] == [
        "requested",
        "start_failed",
        "running",
        "finished",
        "done",
        "pending_approval",
        "not_approved",
    ]
    assert [kind.value for kind in NotificationKind] == [
        "final",
        "announce",
        "note",
        "progress",
        "approval",
        "approval_edit",
        "approval_reply",
    ]
    assert [state.value for state in NotificationState] == ["pending", "sending", "sent", "failed"]


def test_a_final_reply_goes_before_announcements_and_notes_and_they_before_progress() -> None:
    assert set(NOTIFICATION_PRIORITY) == set(NotificationKind)
    final, announce, note, progress, request, decided, reply = (
        NOTIFICATION_PRIORITY[kind] for kind in NotificationKind
    )
    assert final < announce == note < progress
    assert request == reply == announce
    assert decided < progress  # a decision shows before a percentage
