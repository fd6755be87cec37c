"""Pure Block Kit builders for connecting a workspace to Instantly: the modal asking for an API key, and what it
becomes once the key is checked and kept."""

from __future__ import annotations

from typing import Final

from bot.connections import KeyCheck
from bot.slack.blocks import messages
from handlers import ids
from handlers.blocks import View, plain_text

SCOPES_NEEDED: Final = (
    "`workspaces:read`, `campaigns:read`, `lead_lists:read`, `background-jobs:read`, `leads:read`, "
    "`leads:update` and `workspace_members:read`"
)
LEADS_UPDATE_UNCHECKED: Final = (
    "`leads:update` cannot be checked without moving a lead, so I did not check it: "
    "if the key lacks it, the first move will say so and change nothing."
)


def connect_view(*, connected_to: str | None = None) -> View:
    """The modal asking for a key; `connected_to` names the Instantly workspace a new key would replace."""
    notes = [
        f"Paste an Instantly API v2 key (Instantly → Settings → Integrations → API keys) with {SCOPES_NEEDED}.",
        "leadmover keeps it encrypted and never shows it again. " + LEADS_UPDATE_UNCHECKED,
    ]
    if connected_to:
        notes.insert(0, f"This workspace is connected to *{messages.escape(connected_to)}*; a new key replaces it.")
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_MODAL,
        "title": plain_text("Connect Instantly"),
        "submit": plain_text("Connect"),
        "close": plain_text("Cancel"),
        "blocks": [
            *(messages.section(note) for note in notes),
            {
                "type": "input",
                "block_id": ids.API_KEY,
                "label": plain_text("Instantly API key"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.API_KEY,
                    "placeholder": plain_text("Paste the key here"),
                    "max_length": 200,
                },
            },
        ],
    }


def connected_view(check: KeyCheck) -> View:
    text = (
        f":white_check_mark: Connected to the Instantly workspace *{messages.escape(check.workspace_name)}*. "
        f"Everyone here can now use `{ids.COMMAND} move`.\n\n{LEADS_UPDATE_UNCHECKED}"
    )
    return {
        "type": "modal",
        "callback_id": f"{ids.CONNECT_MODAL}_result",
        "title": plain_text("Instantly connected"),
        "close": plain_text("Done"),
        "blocks": [messages.section(text)],
    }
