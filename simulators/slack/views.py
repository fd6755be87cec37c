"""Modals in the fake Slack: trigger ids, the view store, and the views.open and views.update Web API methods.

Trigger ids and views belong to the workspace they were issued or opened in; another workspace's token cannot use
them (Slack answers as if they did not exist, and the fake records the mix-up as an app bug).
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from simulators.slack.blockkit import check_view, interactive_elements
from simulators.slack.protocol import JSON, ApiError, Workspace, decode_arg
from simulators.slack.view_state import kept_entries


@dataclass
class _Trigger:
    issued: float
    team_id: str
    used: bool = False


class Views:
    """Every view the app opened or changed, as Slack stores it, and which of them a person has closed."""

    def __init__(self, *, workspace: Workspace, trigger_ttl: float) -> None:
        self._ws = workspace
        self._trigger_ttl = trigger_ttl
        self._lock = threading.RLock()
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, JSON] = {}
        self._opened: list[str] = []
        self._by_trigger: dict[str, str] = {}
        self._closed: set[str] = set()
        self._loaded_options: dict[str, dict[str, list[JSON]]] = {}
        # What the person entered through inputs that dispatch actions, per view (view_state.kept_entries).
        self._entries: dict[str, dict[str, dict[str, JSON]]] = {}

    # ------------------------------------------------------------------ inspection

    def issue_trigger_id(self, *, team_id: str | None = None) -> str:
        """A fresh trigger_id of a workspace (the default one), valid once for ``trigger_ttl`` seconds."""
        trigger_id = f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger_id] = _Trigger(issued=time.monotonic(), team_id=team_id or self._ws.team_id)
        return trigger_id

    def trigger_team(self, trigger_id: str) -> str | None:
        trigger = self._triggers.get(trigger_id)
        return trigger.team_id if trigger is not None else None

    def view_team(self, view_id: str) -> str | None:
        view = self._views.get(view_id)
        return str(view["team_id"]) if view is not None else None

    def opened_views(self) -> list[dict[str, Any]]:
        """Views opened with views.open, in order, as currently stored (with ``id`` and ``hash``)."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._opened]

    def view_opened_by(self, trigger_id: str) -> dict[str, Any] | None:
        """The view that views.open opened with this trigger_id, if it did (copies only that view)."""
        with self._lock:
            view_id = self._by_trigger.get(trigger_id)
            return copy.deepcopy(self._views[view_id]) if view_id is not None else None

    def pushed_on(self, view_id: str) -> dict[str, Any] | None:
        """The newest view pushed on top of `view_id` (by a response_action push), if any."""
        with self._lock:
            above = [v for v in self._views.values() if v["previous_view_id"] == view_id]
            return copy.deepcopy(above[-1]) if above else None

    def view(self, view_id: str) -> dict[str, Any]:
        """The stored view with this id (opened, pushed or updated)."""
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    # ------------------------------------------------------------------ what a person does to views

    def find(self, view_id: str) -> JSON:
        """A copy of the stored view; ValueError if there is none."""
        with self._lock:
            if view_id not in self._views:
                raise ValueError(f"unknown view {view_id!r}")
            return copy.deepcopy(self._views[view_id])

    def submittable(self, view_id: str) -> tuple[JSON, dict[str, list[JSON]]]:
        """(a copy of the view, its state holding what the person entered so far; options loaded into its external
        selects so far); ValueError unless it is open."""
        with self._lock:
            view = self.find(view_id)
            if view_id in self._closed:
                raise ValueError(f"view {view_id!r} is closed; Slack cannot submit it")
            view["state"] = {"values": copy.deepcopy(self._entries.get(view_id, {}))}
            return view, copy.deepcopy(self._loaded_options.get(view_id, {}))

    def record_entries(self, view_id: str, entries: dict[str, dict[str, JSON]]) -> None:
        """What the person has entered in the view, as a block_actions showed it (view_state.entries_after)."""
        with self._lock:
            self._entries[view_id] = copy.deepcopy(entries)
            self._views[view_id]["state"] = {"values": copy.deepcopy(entries)}

    def set_state(self, view_id: str, values: dict[str, dict[str, JSON]]) -> None:
        """Record what the person has entered in the view (see view_state)."""
        with self._lock:
            self._views[view_id]["state"] = {"values": copy.deepcopy(values)}

    def remember_options(self, view_id: str, action_id: str, options: list[JSON]) -> None:
        """Options an external select was offered, so that a submission can carry one of them."""
        with self._lock:
            self._loaded_options.setdefault(view_id, {})[action_id] = options

    def input_block_ids(self, view_id: str) -> set[str]:
        with self._lock:
            return {b.get("block_id") for b in self._views[view_id]["blocks"] if b.get("type") == "input"}

    def close(self, view_id: str) -> None:
        with self._lock:
            self._closed.add(view_id)

    def close_by_person(self, view_id: str) -> None:
        """The person presses the view's close button: a pushed view goes back to the one under it, unless it
        says clear_on_close; the root view closes with everything on it."""
        with self._lock:
            stored = self.find(view_id)
            if stored["clear_on_close"] or stored["root_view_id"] == view_id:
                self.close_stack(view_id)
            else:
                self._closed.add(view_id)

    def close_stack(self, view_id: str) -> None:
        """Close a view and every view in its stack ("clear"), leaving other people's modals open."""
        with self._lock:
            root = self._views[view_id]["root_view_id"]
            self._closed.update(v for v, stored in self._views.items() if stored["root_view_id"] == root)

    def store(
        self,
        view: JSON,
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
        ws: Workspace | None = None,
    ) -> JSON:
        """Store a view the way Slack echoes it back (ids assigned, defaults filled in): replacing `view_id`, or
        pushed on top of `previous_view_id`, or a new root of workspace `ws` (the default one)."""
        with self._lock:
            old = self._views.get(view_id or "")
            new_id = view_id or "V" + _random_id(10, upper=True)
            before = {"state": {"values": self._entries.get(new_id, {})}}
            blocks = copy.deepcopy(view.get("blocks") or [])
            for block in blocks:
                block.setdefault("block_id", _random_id(5))
                for element in interactive_elements(block):
                    element.setdefault("action_id", _random_id(5))
            previous = old["previous_view_id"] if old else previous_view_id
            root = old["root_view_id"] if old else (self._views[previous]["root_view_id"] if previous else new_id)
            # A replaced or pushed view stays in the workspace of the view it replaces or sits on.
            base = old or (self._views[previous] if previous else None)
            owner = ws or self._ws
            team_id, bot_id = (base["team_id"], base["bot_id"]) if base else (owner.team_id, owner.bot_id)
            stored: JSON = {
                "id": new_id,
                "team_id": team_id,
                "type": view.get("type", "modal"),
                "blocks": blocks,
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                # Slack keeps what the person entered in every input whose block_id and action_id stay.
                "state": {"values": kept_entries(before, {"blocks": blocks}) if old else {}},
                "hash": f"{int(time.time())}.{secrets.token_hex(8)}",
                "title": copy.deepcopy(view.get("title")),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "close": copy.deepcopy(view.get("close")),
                "submit": copy.deepcopy(view.get("submit")),
                "previous_view_id": previous,
                "root_view_id": root,
                "app_id": self._ws.app_id,
                "external_id": view.get("external_id", ""),
                "app_installed_team_id": team_id,
                "bot_id": bot_id,
            }
            self._views[new_id] = stored
            self._entries[new_id] = copy.deepcopy(stored["state"]["values"])
            return stored

    # ------------------------------------------------------------------ Web API methods

    def views_open(self, args: JSON, *, ws: Workspace | None = None) -> JSON:
        ws = ws or self._ws
        with self._lock:
            trigger = self._check_trigger(str(args.get("trigger_id") or ""), "views.open", ws.team_id)
            view = _checked_view(args, "views.open")
            trigger.used = True
            stored = self.store(view, ws=ws)
            self._opened.append(stored["id"])
            self._by_trigger[str(args.get("trigger_id"))] = stored["id"]
            return {"view": copy.deepcopy(stored)}

    def views_update(self, args: JSON, *, ws: Workspace | None = None) -> JSON:
        mine = (ws or self._ws).team_id
        with self._lock:
            view_id = str(args.get("view_id") or "")
            if not view_id and args.get("external_id"):
                matches = [
                    v
                    for v, s in self._views.items()
                    if s.get("external_id") == args["external_id"] and s["team_id"] == mine
                ]
                view_id = matches[-1] if matches else ""
            if view_id not in self._views:
                raise ApiError("not_found", violation=f"views.update: no view {view_id or args.get('external_id')!r}")
            owner = self._views[view_id]["team_id"]
            if owner != mine:
                raise ApiError(
                    "not_found", violation=f"views.update: used team {mine}'s token on team {owner}'s view {view_id}"
                )
            if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
                raise ApiError("hash_conflict")
            view = _checked_view(args, "views.update")
            return {"view": copy.deepcopy(self.store(view, view_id=view_id))}

    def _check_trigger(self, trigger_id: str, method: str, team_id: str) -> _Trigger:
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise ApiError("invalid_trigger_id", violation=f"{method}: trigger_id {trigger_id!r} was never issued")
        if trigger.team_id != team_id:
            raise ApiError(
                "invalid_trigger_id",
                violation=f"{method}: used team {team_id}'s token with a trigger_id of team {trigger.team_id}",
            )
        if trigger.used:
            raise ApiError("exchanged_trigger_id", violation=f"{method}: trigger_id used twice")
        age = time.monotonic() - trigger.issued
        if age > self._trigger_ttl:
            raise ApiError(
                "expired_trigger_id",
                violation=f"{method}: trigger_id used {age:.2f}s after issue (limit {self._trigger_ttl:g}s): too slow",
            )
        return trigger


def _checked_view(args: JSON, method: str) -> JSON:
    view = decode_arg(args, "view", error="invalid_arguments")
    errors = check_view(view)
    if errors:
        raise ApiError("invalid_arguments", messages=errors, violation=f"{method}: invalid view: {errors}")
    return cast(JSON, view)


def _random_id(length: int, *, upper: bool = False) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    alphabet += "" if upper else "abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(length))
