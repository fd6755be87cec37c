"""App Home in the fake Slack: views.publish (one Home tab per person and workspace), chat.getPermalink, and a
person opening the Home tab (the app_home_opened event) or pressing a button in it.

A Home tab lives in the view store like a modal, so a click in it is Slack's block_actions for a view: container
``{"type": "view", "view_id": …}`` and the ``view`` with ``type: "home"``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from simulators.slack.blockkit import check_view
from simulators.slack.delivery import AppResponse
from simulators.slack.protocol import JSON, ApiError, Workspace, decode_arg, is_id
from simulators.slack.teams import Teams
from simulators.slack.users import Users
from simulators.slack.views import Views

HOME_BLOCK_LIMIT = 100  # Slack's limit for any view, a Home tab included


class HomeTabs:
    """Every person's published Home tab, by workspace; and the methods and gestures around it."""

    def __init__(
        self,
        *,
        teams: Teams,
        users: Users,
        views: Views,
        send_event: Callable[..., AppResponse],
        click_in_view: Callable[..., AppResponse],
    ) -> None:
        self._teams = teams
        self._users = users
        self._views = views
        self._send_event = send_event
        self._click_in_view = click_in_view
        self._lock = threading.Lock()
        self._published: dict[tuple[str, str], str] = {}  # (team id, user id) -> view id

    # ------------------------------------------------------------------ Web API methods

    def views_publish(self, args: JSON, *, ws: Workspace) -> JSON:
        user_id = str(args.get("user_id") or "")
        if not is_id(user_id, "UW"):
            raise ApiError("invalid_arguments", violation=f"views.publish: user_id {user_id!r} is not a user id")
        if not self._users.known_to(user_id, self._teams.visible(ws.team_id)):
            home = self._users.home_team(user_id)
            raise ApiError(
                "user_not_found",
                violation=f"views.publish: used team {ws.team_id}'s token for user {user_id} of team {home}",
            )
        view = decode_arg(args, "view", error="invalid_arguments")
        errors = check_view(view, kind="home")
        blocks = view.get("blocks") if isinstance(view, dict) else None
        if isinstance(blocks, list) and len(blocks) > HOME_BLOCK_LIMIT:
            errors.append(f"[ERROR] must contain at most {HOME_BLOCK_LIMIT} items [json-pointer:/view/blocks]")
        if errors:
            raise ApiError("invalid_arguments", messages=errors, violation=f"views.publish: invalid view: {errors}")
        with self._lock:
            view_id = self._published.get((ws.team_id, user_id))
            if view_id is not None and args.get("hash") and args["hash"] != self._views.view(view_id)["hash"]:
                raise ApiError("hash_conflict")
            # Slack keeps one Home tab per person: publishing again replaces it under the same view id.
            stored = self._views.store(cast(JSON, view), view_id=view_id, ws=ws)
            self._published[(ws.team_id, user_id)] = stored["id"]
            return {"view": copy.deepcopy(stored)}

    def chat_get_permalink(self, args: JSON, *, ws: Workspace) -> JSON:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            raise ApiError("invalid_arguments", violation="chat.getPermalink: needs channel and message_ts")
        owner = self._teams.directory.owner(channel)
        if owner is not None and owner != ws.team_id:
            raise ApiError(
                "channel_not_found",
                violation=f"chat.getPermalink: used team {ws.team_id}'s token on team {owner}'s channel {channel}",
            )
        found = self._teams.conversations(ws.team_id).find_message(channel, ts)
        if found is None:
            raise ApiError("channel_not_found")
        channel_id, _, message = found
        if message is None:
            raise ApiError("message_not_found")
        link = f"https://{ws.team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return {"channel": channel_id, "permalink": link}

    # ------------------------------------------------------------------ a person in the Home tab

    def home_view(self, user_id: str, team_id: str | None = None) -> dict[str, Any] | None:
        """The Home tab last published for this person in a workspace (the default one), or None."""
        with self._lock:
            view_id = self._published.get((self._teams.workspace(team_id).team_id, user_id))
        return self._views.view(view_id) if view_id is not None else None

    def open_home(self, app_url: str, *, user_id: str, team_id: str | None = None) -> AppResponse:
        """The person opens the app's Home tab: Slack sends app_home_opened (with the view, once one exists)."""
        team = self._teams.workspace(team_id).team_id
        event: JSON = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",  # the person's DM with the app, as the fake names DMs
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        view = self.home_view(user_id, team)
        if view is not None:
            event["view"] = view
        return self._send_event(app_url, team_id=team, event=event)

    def click_in_home(
        self,
        app_url: str,
        *,
        user_id: str,
        action_id: str,
        team_id: str | None = None,
        value: str | None = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """The person presses a button in their own Home tab; ValueError if nothing was published for them."""
        team = self._teams.workspace(team_id).team_id
        with self._lock:
            view_id = self._published.get((team, user_id))
        if view_id is None:
            raise ValueError(f"no Home tab was published for {user_id} in team {team}")
        return self._click_in_view(
            app_url, view_id=view_id, action_id=action_id, user_id=user_id, team_id=team, value=value, block_id=block_id
        )
