"""`/leads allow | deny | access | audit`: admins manage who may move leads and read the audit log. Everything here
is answered to the admin alone."""

from __future__ import annotations

from datetime import UTC
from typing import Final

from bot.slack.blocks import messages
from handlers import mentions
from handlers.verbs import Invocation, admins_verb
from storage.access_rules import Effect
from storage.audit import Entry

AUDIT_SHOWN: Final = 20


def _admins_only(call: Invocation, *, what: str) -> bool:
    """True, after telling them, when the person is not an admin."""
    if call.services.access.is_admin(team_id=call.team_id, user_id=call.user_id):
        return False
    call.respond(
        response_type="ephemeral", text=f"Only leadmover admins (Slack workspace admins and owners) can {what}."
    )
    return True


def allow_or_deny(call: Invocation) -> None:
    """`/leads allow | deny @person @group`: the verb is the rule's effect."""
    effect = Effect(call.verb)
    verb, name, respond = effect.value, call.name, call.respond
    if _admins_only(call, what=f"{verb} people"):
        return
    named = mentions.parse(list(call.words[1:]))
    if named.unreadable or not named.ids:
        shown = ", ".join(f"`{messages.escape(word[:40])}`" for word in named.unreadable[:3])
        problem = f"I could not tell who {shown} is. " if shown else ""
        text = (
            f"{problem}Name people or user groups with @, as in `{name} {verb} @ann @sales-ops`, "
            "so that Slack turns them into mentions."
        )
        respond(response_type="ephemeral", text=text)
        return
    team_id, user_id, access = call.team_id, call.user_id, call.services.access
    for subject in named.ids:
        if effect == Effect.ALLOW:
            access.allow(team_id=team_id, subject_id=subject, by=user_id)
        else:
            access.deny(team_id=team_id, subject_id=subject, by=user_id)
    who = ", ".join(mentions.mention(subject) for subject in named.ids)
    if effect == Effect.ALLOW:
        text = f":white_check_mark: {who} may now move and copy leads here. `{name} access` shows the whole list."
    else:
        text = (
            f":no_entry_sign: {who} may no longer move or copy leads here; their requests still waiting for "
            f"approval were cancelled. `{name} access` shows the whole list."
        )
    respond(response_type="ephemeral", text=text)


def access_list(call: Invocation) -> None:
    if _admins_only(call, what="see who may move leads"):
        return
    services, name = call.services, call.name
    listed = services.access.access_list(team_id=call.team_id)
    allowed = [mentions.mention(r.subject_id) for r in listed.rules if r.effect == Effect.ALLOW]
    allowed += [f"{mentions.mention(s)} (LEADMOVER_ALLOWED_USERS)" for s in sorted(listed.from_settings)]
    denied = [mentions.mention(r.subject_id) for r in listed.rules if r.effect == Effect.DENY]
    if listed.restricted:
        lines = ["*Who may move and copy leads here:* admins, and " + ", ".join(allowed) + "."]
    else:
        lines = [
            "*Who may move and copy leads here:* every full member (guests and people from other organisations "
            f"never). To allow only some people, name them: `{name} allow @ann @sales-ops`."
        ]
    if denied:
        lines.append("*Denied:* " + ", ".join(denied) + ".")
    admins = sorted(services.access.admins)
    lines.append(
        "*Admins:* Slack workspace admins and owners"
        + (", and " + ", ".join(f"<@{a}>" for a in admins) if admins else "")
        + "."
    )
    text = "\n".join(lines)
    call.respond(response_type="ephemeral", text=text, blocks=[messages.section(text)])


def audit_log(call: Invocation) -> None:
    if _admins_only(call, what="read the audit log"):
        return
    entries = call.services.audit.latest(team_id=call.team_id, limit=AUDIT_SHOWN)
    if not entries:
        call.respond(response_type="ephemeral", text="The audit log of this workspace is empty.")
        return
    lines = [f"*The latest {len(entries)} entries of this workspace's audit log* (newest first):"]
    lines += [_audit_line(entry) for entry in entries]
    text = "\n".join(lines)
    call.respond(response_type="ephemeral", text=text, blocks=[messages.section(text)])


def _audit_line(entry: Entry) -> str:
    stamp = int(entry.at.timestamp()) if entry.at.tzinfo else int(entry.at.replace(tzinfo=UTC).timestamp())
    when = f"<!date^{stamp}^{{date_short}} {{time}}|{entry.at:%Y-%m-%d %H:%M} UTC>"
    job = f" · Instantly job `{entry.instantly_job_id}`" if entry.instantly_job_id else ""
    who = f"<@{entry.user_id}>" if entry.user_id[:1] in ("U", "W") else messages.escape(entry.user_id)
    return f"• {when} · {who} · *{entry.action}* · {messages.escape(entry.outcome[:200])}{job}"


VERBS: Final = (
    admins_verb(
        Effect.ALLOW.value,
        says="only admins and the people named may move leads",
        args="@person @group",
        handle=allow_or_deny,
    ),
    admins_verb(Effect.DENY.value, says="someone may no longer move leads", args="@person", handle=allow_or_deny),
    admins_verb("access", says="who may move leads", handle=access_list),
    admins_verb("audit", says="the latest entries of the audit log", handle=audit_log),
)
