"""Channels, their members and messages in one workspace of the fake Slack, and the chat.* and conversations.* methods
the app calls.

A call that names another workspace's channel (or DMs a person the workspace cannot see) fails as in Slack and is
recorded as an app bug: the app mixed its workspaces up.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.slack.chat_args import message_content, page, page_of
from simulators.slack.messages import Message, assign_ids, message_json
from simulators.slack.protocol import JSON, ApiError, Workspace, is_id, truthy

if TYPE_CHECKING:
    from simulators.slack.teams import ChannelDirectory
    from simulators.slack.users import Users


__all__ = ["Conversations", "Message"]  # Message lives in messages.py; it is imported from here too

# conversations.* reads need the scope of the conversation's kind; a token with none of them is refused outright.
READ_SCOPES = ("channels:read", "groups:read", "mpim:read", "im:read")
# "Specify a limit value under 1000" (Slack's conversations.members reference).
MEMBERS_LIMIT = 999


@dataclass
class _Channel:
    id: str
    name: str
    bot_is_member: bool
    is_im: bool = False
    private: bool = False
    members: list[str] = field(default_factory=list)  # user ids, the bot's among them when it is in
    # The other workspaces it is shared with: some of the same Grid organization, some of another (Slack Connect).
    shared_with: tuple[str, ...] = ()
    org_shared: bool = False
    ext_shared: bool = False
    created: int = field(default_factory=lambda: int(time.time()))


class Conversations:
    """Channels (and DMs, ``D<user>``), their messages and threads, and ephemeral messages."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        keep_history: bool = True,
        directory: ChannelDirectory | None = None,
        users: Users | None = None,
        visible: Callable[[], frozenset[str]] | None = None,
        ephemerals: list[dict[str, Any]] | None = None,
    ) -> None:
        """`directory` says whose channel an id is, `users` and `visible` whom this workspace can DM."""
        self._ws = workspace
        self._keep_history = keep_history
        self._directory = directory
        self._users = users
        self._visible = visible or (lambda: frozenset({workspace.team_id}))
        self._lock = threading.RLock()
        self.ephemerals: list[dict[str, Any]] = [] if ephemerals is None else ephemerals
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._replies: dict[tuple[str, str], list[Message]] = {}
        self._joined: dict[str, list[str]] = {}  # channel id -> people seen acting in it, known channel or not
        self._last_ts = 0

    # ------------------------------------------------------------------ setup and inspection

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        bot_is_member: bool = True,
        private: bool = False,
        members: Iterable[str] = (),
        shared_with: Iterable[str] = (),
        org_shared: bool = False,
        ext_shared: bool = False,
    ) -> None:
        """Add (or replace) a channel of this workspace, with its members (the bot's user too when it is in, and
        whoever already acted in it), shared with the workspaces `shared_with`: `org_shared` when one is of this
        Grid organization, `ext_shared` when one is of another (Slack Connect); ValueError if another workspace has
        that id."""
        is_im = channel_id.startswith("D")
        if self._directory is not None and not is_im:
            owner = self._directory.claim(channel_id, self._ws.team_id)
            if owner != self._ws.team_id:
                raise ValueError(f"channel {channel_id} belongs to team {owner}, not {self._ws.team_id}")
        with self._lock:
            people = [self._ws.bot_user_id] if bot_is_member else []
            people += [channel_id[1:]] if is_im else []
            people += [*members, *self._joined.get(channel_id, [])]
            channel = _Channel(channel_id, name, bot_is_member, is_im=is_im, private=private or is_im)
            channel.shared_with = tuple(shared_with)
            channel.org_shared, channel.ext_shared = org_shared, ext_shared
            channel.members = list(dict.fromkeys(people))
            self._channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])

    def join(self, channel_id: str, user_id: str) -> None:
        """A person acted in a channel (typed a command there), so they are one of its members, as in Slack; a channel
        the fake learns of later starts with them."""
        with self._lock:
            joined = self._joined.setdefault(channel_id, [])
            if user_id not in joined:
                joined.append(user_id)
            channel = self._channels.get(channel_id)
            if channel is not None and user_id not in channel.members:
                channel.members.append(user_id)

    def messages(self, channel: str) -> list[Message]:
        """Snapshot of the top-level messages of a channel (or a user's DM), oldest first."""
        with self._lock:
            channel_id = self._lookup_channel(channel)
            return copy.deepcopy(self._messages.get(channel_id or "", []))

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        """Snapshot of the replies in a thread (not the parent), oldest first."""
        with self._lock:
            channel_id = self._lookup_channel(channel) or ""
            return copy.deepcopy(self._replies.get((channel_id, thread_ts), []))

    # ------------------------------------------------------------------ Web API methods

    def chat_post_message(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"), "chat.postMessage")
            text, blocks, metadata = message_content(args, "chat.postMessage")
            thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
            if thread_ts and thread_ts not in {m.ts for m in self._messages[channel.id]}:
                raise ApiError(
                    "thread_not_found",
                    violation=f"chat.postMessage: thread_ts {thread_ts} is not a top-level message in {channel.id}",
                )
            message = Message(
                channel=channel.id,
                ts=self._next_ts(),
                text=text or "",
                blocks=blocks or [],
                thread_ts=thread_ts,
                user=self._ws.bot_user_id,
                metadata=metadata,
            )
            if self._keep_history:
                message.history.append((message.text, copy.deepcopy(message.blocks)))
            if thread_ts:
                self._replies.setdefault((channel.id, thread_ts), []).append(message)
            else:
                self._messages[channel.id].append(message)
            return {"channel": channel.id, "ts": message.ts, "message": self._message_json(message, metadata=True)}

    def chat_update(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"), "chat.update")
            message = self._find(channel.id, str(args.get("ts") or ""))
            self._edit(message, *message_content(args, "chat.update"))
            return {
                "channel": channel.id,
                "ts": message.ts,
                "text": message.text,
                "message": self._message_json(message, metadata=True),
            }

    def chat_post_ephemeral(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"), "chat.postEphemeral")
            if not args.get("user"):
                raise ApiError("user_not_found", violation="chat.postEphemeral: no user given")
            text, blocks, _ = message_content(args, "chat.postEphemeral")
            ts = self._next_ts()
            self.ephemerals.append(
                {
                    "channel": channel.id,
                    "user": str(args["user"]),
                    "text": text or "",
                    "blocks": blocks or [],
                    "thread_ts": args.get("thread_ts"),
                    "message_ts": ts,
                    "team_id": self._ws.team_id,
                }
            )
            return {"message_ts": ts}

    def conversations_history(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"), "conversations.history")
            metadata = truthy(args.get("include_all_metadata"))
            inclusive = truthy(args.get("inclusive"))
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or "inf")

            def in_range(ts: float) -> bool:
                if inclusive:
                    return oldest <= ts <= latest
                return oldest < ts < latest or (ts == oldest == 0)

            found = [
                self._message_json(m, metadata=metadata)
                for m in reversed(self._messages[channel.id])
                if in_range(float(m.ts))
            ]
            return page(found, args, default_limit=100)

    def conversations_replies(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"), "conversations.replies")
            ts = str(args.get("ts") or "")
            try:
                parent = self._find(channel.id, ts)
            except ApiError:
                raise ApiError("thread_not_found") from None
            if parent.thread_ts:
                parent = self._find(channel.id, parent.thread_ts)
            metadata = truthy(args.get("include_all_metadata"))
            thread = [parent, *self._replies.get((channel.id, parent.ts), [])]
            return page([self._message_json(m, metadata=metadata) for m in thread], args, default_limit=1000)

    def conversations_members(self, args: JSON, *, scopes: frozenset[str] | None) -> JSON:
        """conversations.members: a page of a conversation's member ids. `scopes` are the token's (None: a token
        installed without OAuth, which has every scope the app asks for)."""
        if scopes is not None and not scopes.intersection(READ_SCOPES):
            raise _missing_scope(",".join(READ_SCOPES), scopes)
        raw = str(args.get("channel") or "")
        if not is_id(raw, "CGD"):
            raise ApiError("channel_not_found", violation=f"conversations.members: {raw!r} is not a conversation id")
        _check_limit(args, "conversations.members")
        with self._lock:
            if raw not in self._channels:
                self._check_foreign(raw, "conversations.members")
                raise ApiError("channel_not_found")
            channel = self._channels[raw]
            needed = "im:read" if channel.is_im else "groups:read" if channel.private else "channels:read"
            if scopes is not None and needed not in scopes:
                raise _missing_scope(needed, scopes)
            if channel.private and not channel.bot_is_member:
                raise ApiError("not_in_channel")
            members, next_cursor = page_of(channel.members, args, default_limit=100)
        return {"members": members, "response_metadata": {"next_cursor": next_cursor}}

    def conversations_info(self, args: JSON, *, scopes: frozenset[str] | None) -> JSON:
        """conversations.info: the conversation object, as the host workspace sees it (`scopes` as for
        conversations.members). A private channel the bot is not in is channel_not_found, as for anyone outside it."""
        if scopes is not None and not scopes.intersection(READ_SCOPES):
            raise _missing_scope(",".join(READ_SCOPES), scopes)
        raw = str(args.get("channel") or "")
        if not is_id(raw, "CGD"):
            raise ApiError("channel_not_found", violation=f"conversations.info: {raw!r} is not a conversation id")
        with self._lock:
            channel = self._channels.get(raw)
            if channel is None:
                self._check_foreign(raw, "conversations.info")
                raise ApiError("channel_not_found")
            needed = "im:read" if channel.is_im else "groups:read" if channel.private else "channels:read"
            if scopes is not None and needed not in scopes:
                raise _missing_scope(needed, scopes)
            if channel.private and not channel.is_im and not channel.bot_is_member:
                raise ApiError("channel_not_found")
            found = self._conversation_json(channel)
            if truthy(args.get("include_num_members")) and not channel.is_im:
                found["num_members"] = len(channel.members)
            if truthy(args.get("include_locale")):
                found["locale"] = "en-US"
        return {"channel": found}

    def conversations_open(self, args: JSON) -> JSON:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1 or not is_id(users[0], "UW"):
            raise ApiError("invalid_arguments" if not users else "user_not_found")
        with self._lock:
            channel = self._channel_for_post(users[0], "conversations.open", missing="user_not_found")
            return {"channel": {"id": channel.id, "is_im": True, "user": users[0]}}

    # ------------------------------------------------------------------ a person's clicks, and the app's answers

    def find_message(self, channel: str, ts: str) -> tuple[str, str, JSON | None] | None:
        """(channel id, its name as interaction payloads give it, the message at `ts` as history shows it, or None
        if there is none) of a known channel, else None."""
        with self._lock:
            channel_id = self._lookup_channel(channel)
            if channel_id is None:
                return None
            found = self._channels[channel_id]
            name = "directmessage" if found.is_im else found.name  # how Slack names a DM in payloads
            try:
                return channel_id, name, self._message_json(self._find(channel_id, ts), metadata=False)
            except ApiError:
                return channel_id, name, None

    def rewrite(self, channel_id: str, ts: str, *, text: str, blocks: list[JSON] | None, delete: bool) -> bool:
        """Replace or delete a message, as a response_url post with replace_original or delete_original does;
        False when it is gone already."""
        with self._lock:
            try:
                message = self._find(channel_id, ts)
            except ApiError:
                return False
            if not delete:
                # Replacing means the whole message: blocks left out of the answer are gone.
                self._edit(message, text, assign_ids(blocks) or [], None)
            elif message.thread_ts:
                self._replies[(channel_id, message.thread_ts)].remove(message)
            else:
                self._messages[channel_id].remove(message)
            return True

    # ------------------------------------------------------------------ channels and messages (lock held)

    def _lookup_channel(self, channel: str) -> str | None:
        if channel in self._channels:
            return channel
        if channel[:1] in ("U", "W") and f"D{channel}" in self._channels:
            return f"D{channel}"
        name = channel.lstrip("#")
        return next((c.id for c in self._channels.values() if c.name == name and not c.is_im), None)

    def _channel_for_post(self, channel: Any, method: str, *, missing: str = "channel_not_found") -> _Channel:
        """Resolve a chat.* target: known channels, auto-created C/G ids, user ids -> DM ``D<user>``."""
        raw = str(channel or "")
        found = self._lookup_channel(raw) if raw else None
        if found is None:
            self._check_foreign(raw, method, missing=missing)
            if is_id(raw, "UW") and (self._users is None or self._users.known_to(raw, self._visible())):
                self.add_channel(f"D{raw}", raw)
                found = f"D{raw}"
            elif is_id(raw, "CG"):
                self.add_channel(raw, raw.lower())
                found = raw
            else:
                raise ApiError(missing)
        result = self._channels[found]
        if not result.bot_is_member:
            raise ApiError("not_in_channel")
        return result

    def _channel_for_read(self, channel: Any, method: str) -> _Channel:
        raw = str(channel or "")
        found = self._lookup_channel(raw)
        if found is None:
            self._check_foreign(raw, method)
            raise ApiError("channel_not_found")
        if not self._channels[found].bot_is_member:
            raise ApiError("not_in_channel")
        return self._channels[found]

    def _check_foreign(self, raw: str, method: str, *, missing: str = "channel_not_found") -> None:
        """Fail a call naming another workspace's channel, or a person this one cannot see, and report it."""
        mine = self._ws.team_id
        owner = self._directory.owner(raw) if self._directory is not None else None
        if owner is not None and owner != mine:
            raise ApiError(missing, violation=f"{method}: used team {mine}'s token on team {owner}'s channel {raw}")
        home = self._users.foreign_home(raw, self._visible()) if self._users is not None else None
        if home is not None:
            raise ApiError(missing, violation=f"{method}: used team {mine}'s token to reach team {home}'s user {raw}")

    def _conversation_json(self, channel: _Channel) -> JSON:
        """A conversation object with the fields Slack's conversations.info example shows (a DM's are fewer)."""
        team = self._ws.team_id
        updated = channel.created * 1000
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": team,
                "updated": updated,
                "user": channel.id[1:],
                "is_user_deleted": False,
                "priority": 0,
            }
        legacy_group = channel.id.startswith("G")  # a private channel from before 2021 is a "group"
        shared = bool(channel.shared_with)
        empty = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not legacy_group,
            "is_group": legacy_group,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.private,
            "created": channel.created,
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": shared,
            "is_frozen": False,
            "is_org_shared": channel.org_shared,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": team,
            "updated": updated,
            "parent_conversation": None,
            "creator": next((m for m in channel.members if m != self._ws.bot_user_id), self._ws.bot_user_id),
            "is_ext_shared": channel.ext_shared,
            "shared_team_ids": [team, *channel.shared_with],
            "pending_connected_team_ids": [],
            "is_member": channel.bot_is_member,
            "topic": dict(empty),
            "purpose": dict(empty),
            "previous_names": [],
        }

    def _next_ts(self) -> str:
        self._last_ts = max(self._last_ts + 1, int(time.time() * 1_000_000))
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _find(self, channel_id: str, ts: str) -> Message:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts:
                return message
        for (chan, _), replies in self._replies.items():
            for message in replies:
                if chan == channel_id and message.ts == ts:
                    return message
        raise ApiError("message_not_found")

    def _message_json(self, message: Message, *, metadata: bool) -> JSON:
        parent = self._find(message.channel, message.thread_ts).user if message.thread_ts else None
        return message_json(
            message,
            ws=self._ws,
            parent_user=parent,
            replies=[] if message.thread_ts else self._replies.get((message.channel, message.ts), []),
            edited=message.edited_ts,
            metadata=metadata,
        )

    def _edit(self, message: Message, text: str | None, blocks: list[JSON] | None, metadata: JSON | None) -> None:
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks
        if metadata is not None:
            message.metadata = metadata
        message.edits += 1
        if self._keep_history:
            message.history.append((message.text, copy.deepcopy(message.blocks)))
        message.edited_ts = self._next_ts()


def _missing_scope(needed: str, scopes: frozenset[str]) -> ApiError:
    return ApiError("missing_scope", fields={"needed": needed, "provided": ",".join(sorted(scopes))})


def _check_limit(args: JSON, method: str) -> None:
    """A `limit` Slack refuses (not a whole number from 1 to 999) is the app's mistake."""
    if args.get("limit") is None:
        return
    try:
        limit = int(args["limit"])
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MEMBERS_LIMIT:
        raise ApiError("invalid_limit", violation=f"{method}: limit {args['limit']!r} is not from 1 to {MEMBERS_LIMIT}")
