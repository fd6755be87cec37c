"""Pure Block Kit builders for the move modal's preview section and the confirmation of a move of every lead."""

from __future__ import annotations

import json
from typing import Any, Final

from bot.preview import Preview
from bot.preview_counts import Stop
from bot.slack.blocks import messages
from handlers import ids
from handlers.blocks import plain_text
from storage.orders import Endpoint, LeadFilters, MoveOrder

View = dict[str, Any]
_EMAIL_SHOWN: Final = 100
_IGNORED_WORDS: Final = {"email_provider": "the email provider"}
# Why the count says "more than": where counting stopped.
_STOPPED: Final = {
    Stop.CAP: " (leadmover counts up to {cap:,})",
    Stop.TIME: " (Instantly was still counting when the preview's time ran out)",
    Stop.FAILED: " (Instantly stopped answering before the end)",
}
WAITING: Final = (
    ":mag: Pick where the leads come from, and this shows how many leads it holds and a few of the leads your "
    "filters take."
)
COUNTING: Final = ":mag: Counting the leads in the source…"


def _leads(count: int) -> str:
    return f"{count:,} lead{'' if count == 1 else 's'}"


def _count_line(*, name: str, filtered: bool, preview: Preview) -> str:
    """How many leads the source holds, or how many of them the filters take when a filter is set."""
    taken, total = preview.taken, preview.count
    if filtered and taken is not None:
        phrase = messages.matching_phrase(taken.leads, more=taken.more, total=total)
        if taken.stopped is not None:
            return f":mag: Your filters take {phrase} in the {name}{_STOPPED[taken.stopped].format(cap=taken.leads)}."
        of = f" of the {total:,}" if total is not None and total >= taken.leads else ""
        return f":mag: Your filters take {phrase}{of} in the {name}."
    if total is None:
        return "" if preview.problem is not None else f":mag: Instantly did not say how many leads the {name} holds."
    line = f":mag: The {name} holds {_leads(total)}."
    if filtered and preview.uncountable:
        left_out = " and ".join(_IGNORED_WORDS.get(field, field) for field in preview.uncountable)
        line += f" Instantly cannot count leads by {left_out}, so how many of them your filters take is not known yet."
    return line


def preview_text(*, source: Endpoint, filters: LeadFilters, preview: Preview) -> str:
    """The preview in words: the count (what the filters take, when one is set), up to five e-mails, and what went
    wrong, if anything did."""
    name = messages.endpoint_phrase(source)
    filtered = filters != LeadFilters()
    lines = [_count_line(name=name, filtered=filtered, preview=preview)]
    if preview.sampled and preview.sample:
        lines.append(f"A few of the leads {'your filters take' if filtered else 'it holds'}:")
        lines += [f"• {messages.escape(email[:_EMAIL_SHOWN])}" for email in preview.sample]
    elif preview.sampled:
        lines.append("No lead matches your filters." if filtered else "Instantly lists no leads in it just now.")
    if preview.ignored:
        left_out = " and ".join(_IGNORED_WORDS.get(name, name) for name in preview.ignored)
        lines.append(f"_The sample leaves out {left_out} filter: Instantly cannot list leads by it._")
    if preview.problem is not None:
        lines.append(
            f":warning: No full preview for the {name}: {messages.escape(preview.problem)} "
            "The form still works: you can start the move."
        )
    return "\n".join(line for line in lines if line)


def invalid_text(errors: dict[str, str]) -> str:
    """The preview while a filter is not valid yet (the form will say so beside the field on Start)."""
    first = next(iter(errors.values()), "A filter is not valid yet.")
    return f":pencil2: The preview follows once the filters are valid: {messages.escape(first)}"


def section(text: str) -> dict[str, Any]:
    return {**messages.section(text[:3000]), "block_id": ids.PREVIEW}


def confirm_view(*, order: MoveOrder, count: int | None, channel_id: str) -> View:
    """Pushed over the form when the move has no limit and no filter; its submit starts exactly that order."""
    copying = order.copies
    how_many = f" \u2014 {_leads(count)} \u2014" if count is not None else ""
    text = (
        f":warning: Every lead in the {messages.endpoint_phrase(order.source)}{how_many} will be "
        f"{'copied' if copying else 'moved'} to the {messages.endpoint_phrase(order.destination)}."
    )
    if count is None:
        text += " Instantly did not say how many leads that is just now."
    if copying:
        text += " The originals stay where they are."
    note = (
        "No limit and no filter is set. Nothing has been sent to Instantly yet: press *Back* to add a limit or a "
        f"filter, or *{'Copy' if copying else 'Move'} them all* to start."
    )
    return {
        "type": "modal",
        "callback_id": ids.CONFIRM_MODAL,
        "title": plain_text("Copy every lead?" if copying else "Move every lead?"),
        "submit": plain_text("Copy them all" if copying else "Move them all"),
        "close": plain_text("Back"),
        "private_metadata": json.dumps({"channel_id": channel_id, "order": order.to_json()}),
        "blocks": [messages.section(text), messages.context(note)],
    }


def confirmed(view: dict[str, Any]) -> tuple[str, MoveOrder] | None:
    """(channel, order) carried by a confirmation view; None if its metadata cannot be read."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        channel, order = metadata["channel_id"], MoveOrder.from_json(metadata["order"])
    except (ValueError, KeyError, TypeError):
        return None
    return (channel, order) if isinstance(channel, str) and channel else None
