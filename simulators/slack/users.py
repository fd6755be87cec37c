"""People in the fake Slack's workspaces, and the users.info Web API method that describes them in Slack's shape.

A user id nobody registered is, unless `strict`, a plain full member of the asking token's workspace: the driver acts
as U0ALICE and others without registering them, and such flows must keep working.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

from simulators.slack.payloads import username_for
from simulators.slack.protocol import JSON, ApiError, Workspace, is_id

_TZ = ("America/Los_Angeles", "Pacific Standard Time", -28800)


@dataclass(frozen=True)
class Person:
    """A registered user: a member of `team_id`, maybe shared into other workspaces (Slack Connect)."""

    id: str
    team_id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    deleted: bool = False
    shared_with: tuple[str, ...] = ()
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    updated: int = 0


class Users:
    """Registered users by id; answers users.info for the teams a token may see."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self._lock = threading.Lock()
        self._people: dict[str, Person] = {}

    def add(self, person: Person) -> None:
        if not is_id(person.id, "UW"):
            raise ValueError(f"{person.id!r} is not a Slack user id (U… or W…)")
        with self._lock:
            self._people[person.id] = person

    def get(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def home_team(self, user_id: str) -> str | None:
        """The workspace a registered user belongs to (None when not registered)."""
        person = self._people.get(user_id)
        return person.team_id if person is not None else None

    def foreign_home(self, user_id: str, teams: Collection[str]) -> str | None:
        """The home team of a registered user whom none of `teams` can see, else None."""
        person = self._people.get(user_id)
        if person is None or person.team_id in teams or any(t in teams for t in person.shared_with):
            return None
        return person.team_id

    def named(self, name: str, teams: Collection[str]) -> Person | None:
        """The active registered user with this name whom a token of `teams` can see (as Slack's @-autocomplete
        finds people), else None."""
        with self._lock:
            people = list(self._people.values())
        return next((p for p in people if p.name == name and not p.deleted and self.known_to(p.id, teams)), None)

    def known_to(self, user_id: str, teams: Collection[str]) -> bool:
        """Whether a token of `teams` can see this user (unregistered ids count as members unless strict)."""
        person = self._people.get(user_id)
        if person is None:
            return not self.strict and is_id(user_id, "UW")
        return self.foreign_home(user_id, teams) is None

    # ------------------------------------------------------------------ Web API method

    def users_info(self, args: JSON, *, ws: Workspace, teams: Collection[str], bots: dict[str, Workspace]) -> JSON:
        """users.info: `bots` maps each visible workspace's bot user id to its workspace."""
        user_id = str(args.get("user") or "")
        if not user_id:
            raise ApiError("user_not_found")
        if user_id in bots:
            answer = _bot_object(bots[user_id])
        else:
            person = self._people.get(user_id)
            if person is None and (self.strict or not is_id(user_id, "UW")):
                raise ApiError("user_not_found")
            if person is not None and self.foreign_home(user_id, teams) is not None:
                raise ApiError("user_not_found")
            person = person or Person(id=user_id, team_id=ws.team_id, name=username_for(user_id), real_name="")
            answer = _user_object(person)
        if str(args.get("include_locale", "")).lower() in {"1", "true"}:
            answer["locale"] = "en-US"
        return {"user": answer}


def _user_object(person: Person) -> JSON:
    real_name = person.real_name or person.name.replace(".", " ").title()
    first, _, last = real_name.partition(" ")
    profile: JSON = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": person.name,
        "display_name_normalized": person.name,
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_emoji_display_info": [],
        "status_expiration": 0,
        "avatar_hash": _avatar_hash(person.id),
        "email": f"{person.name}@{person.team_id.lower()}.example.com",
        "first_name": first,
        "last_name": last,
        **_images(person.id),
        "status_text_canonical": "",
        "team": person.team_id,
    }
    answer: JSON = {
        "id": person.id,
        "team_id": person.team_id,
        "name": person.name,
        "deleted": person.deleted,
        "color": "9f69e7",
        "real_name": real_name,
        "tz": _TZ[0],
        "tz_label": _TZ[1],
        "tz_offset": _TZ[2],
        "profile": profile,
    }
    # Slack leaves the role flags out of a deactivated account's object.
    if not person.deleted:
        answer |= {
            "is_admin": person.is_admin,
            "is_owner": person.is_owner,
            "is_primary_owner": person.is_primary_owner,
            "is_restricted": person.is_restricted,
            "is_ultra_restricted": person.is_ultra_restricted,
        }
    answer |= {
        "is_bot": person.is_bot,
        "is_app_user": False,
        "updated": person.updated or int(time.time()),
        "is_email_confirmed": not person.is_bot,
        "who_can_share_contact_card": "EVERYONE",
    }
    if person.enterprise_id:
        answer["enterprise_user"] = {
            "id": person.id,
            "enterprise_id": person.enterprise_id,
            "enterprise_name": person.enterprise_name,
            "is_admin": person.is_admin,
            "is_owner": person.is_owner,
            "is_primary_owner": person.is_primary_owner,
            "teams": [person.team_id, *person.shared_with],
        }
    return answer


def _bot_object(ws: Workspace) -> JSON:
    """The app's own bot user in a workspace, as users.info describes it."""
    profile: JSON = {
        "real_name": "leadmover",
        "real_name_normalized": "leadmover",
        "display_name": "",
        "display_name_normalized": "",
        "status_text": "",
        "status_emoji": "",
        "avatar_hash": _avatar_hash(ws.bot_user_id),
        "bot_id": ws.bot_id,
        "api_app_id": ws.app_id,
        "always_active": True,
        "first_name": "leadmover",
        "last_name": "",
        **_images(ws.bot_user_id),
        "team": ws.team_id,
    }
    return {
        "id": ws.bot_user_id,
        "team_id": ws.team_id,
        "name": "leadmover",
        "deleted": False,
        "color": "4bbe2e",
        "real_name": "leadmover",
        "tz": _TZ[0],
        "tz_label": _TZ[1],
        "tz_offset": _TZ[2],
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": True,
        "is_app_user": False,
        "updated": int(time.time()),
        "is_email_confirmed": False,
        "who_can_share_contact_card": "EVERYONE",
    }


def _avatar_hash(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


def _images(user_id: str) -> JSON:
    base = f"https://avatars.slack-edge.example/{_avatar_hash(user_id)}"
    return {f"image_{size}": f"{base}_{size}.png" for size in (24, 32, 48, 72, 192, 512)}
