"""Who may do what in a workspace.

Admins are Slack's workspace admins and owners (read with users.info, remembered for at most ten minutes) and the
people in LEADMOVER_ADMINS: they may do everything. Movers may move and copy: the people and user groups an admin
allowed (and LEADMOVER_ALLOWED_USERS), or, while a workspace allows no one in particular, every full member.
Guests and people from other organisations (Slack Connect) are refused; so is anyone an admin denied.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.workspaces import NotInstalled
from storage import access_rules, audit, workspaces
from storage.access_rules import Effect, Rule
from storage.db import Database

log = logging.getLogger(__name__)

CANNOT_CHECK: Final = (
    "I could not check your access with Slack just now, so I did nothing. Please try again in a moment."
)
_NOT_APPROVER: Final = "Only workspace admins and the approvers leadmover was set up with may approve big moves."
PERSON_CACHE_SECONDS: Final = 600.0
GROUP_CACHE_SECONDS: Final = 300.0
# A workspace's allow and deny rules are read for every request; another replica's change is seen this late at
# most (this process's own changes at once), far sooner than a change of who is a Slack admin.
RULES_CACHE_SECONDS: Final = 5.0


@dataclass(frozen=True)
class Person:
    """A person as Slack describes them, in the workspace they act in."""

    user_id: str
    slack_admin: bool = False  # a Slack workspace admin or owner
    guest: bool = False
    external: bool = False  # from another organisation, through Slack Connect
    deactivated: bool = False
    known: bool = True  # False when Slack could not be asked
    timezone: str | None = None  # their profile's IANA zone (users.info `tz`), when Slack gives one


@dataclass(frozen=True)
class AccessList:
    rules: list[Rule]
    from_settings: frozenset[str]  # LEADMOVER_ALLOWED_USERS, allowed in every workspace

    @property
    def restricted(self) -> bool:
        """Whether only the people allowed may move (else every full member may)."""
        return bool(self.from_settings) or any(rule.effect == Effect.ALLOW for rule in self.rules)


class AccessService:
    def __init__(
        self,
        *,
        db: Database,
        slack: Callable[[str], WebClient],
        admins: Iterable[str] = (),
        allowed: Iterable[str] = (),
        approvers: Iterable[str] = (),
        on_denied: Callable[[str, set[str]], object] = lambda team_id, user_ids: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._slack = slack
        self.admins = frozenset(admins)
        self._allowed = frozenset(allowed)
        self._approvers = frozenset(approvers)
        self._on_denied = on_denied
        self._clock = clock
        self._lock = threading.Lock()
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}
        self._groups: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._rules: dict[str, tuple[float, list[Rule]]] = {}

    # --- what Slack says -------------------------------------------------------------------------------------

    def person(self, *, team_id: str, user_id: str, fresh: bool = False) -> Person:
        """Who the person is, as Slack said at most ten minutes ago; `fresh` asks Slack now."""
        key, now = (team_id, user_id), self._clock()
        with self._lock:
            cached = self._people.get(key)
        if cached is not None and now - cached[0] < PERSON_CACHE_SECONDS and not fresh:
            return cached[1]
        try:
            user: dict[str, Any] = self._slack(team_id).users_info(user=user_id).get("user") or {}
        except (SlackApiError, NotInstalled) as exc:
            log.warning("could not read who %s is in %s: %s", user_id, team_id, exc)
            return Person(user_id, known=False)
        found = Person(
            user_id,
            slack_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
            and not user.get("deleted"),
            guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            external=self._is_external(team_id, user),
            deactivated=bool(user.get("deleted")),
            timezone=str(user["tz"]) if isinstance(user.get("tz"), str) else None,
        )
        with self._lock:
            if len(self._people) > 50_000:
                self._people.clear()
            self._people[key] = (now, found)
        return found

    def _is_external(self, team_id: str, user: dict[str, Any]) -> bool:
        """Whether the person is not a member of the workspace: their users.info team is another one, and their
        Grid org (if any) is not the workspace's either. `team_id` is the workspace Bolt authorized, so a Slack
        Connect person is an outsider whatever team their payload names; one Slack names no team for is too."""
        home = str(user.get("team_id") or "")
        if home and home == team_id:
            return False
        # In an Enterprise Grid org a person's home workspace may differ; the org is what counts.
        org = (user.get("enterprise_user") or {}).get("enterprise_id")
        return not org or org != workspaces.enterprise_of(self._db, team_id=team_id)

    def members(self, *, team_id: str, group_id: str) -> frozenset[str] | None:
        """The people in a Slack user group; None if Slack cannot say (never taken for "nobody")."""
        key, now = (team_id, group_id), self._clock()
        with self._lock:
            cached = self._groups.get(key)
        if cached is not None and now - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        try:
            users = self._slack(team_id).usergroups_users_list(usergroup=group_id).get("users") or []
        except (SlackApiError, NotInstalled) as exc:
            log.warning("could not read the members of %s in %s: %s", group_id, team_id, exc)
            return None
        found = frozenset(str(user) for user in users)
        with self._lock:
            self._groups[key] = (now, found)
        return found

    def _covers(self, team_id: str, subject_ids: Iterable[str], user_id: str) -> bool | None:
        """Whether the person is one of the subjects or in one of their groups; None if a group that might hold
        them could not be read (the caller then fails closed)."""
        unknown = False
        for subject in subject_ids:
            if subject == user_id:
                return True
            if subject.startswith("S"):
                members = self.members(team_id=team_id, group_id=subject)
                if members is None:
                    unknown = True
                elif user_id in members:
                    return True
        return None if unknown else False

    # --- who may do what -------------------------------------------------------------------------------------

    def is_admin(self, *, team_id: str, user_id: str) -> bool:
        if user_id in self.admins:
            return True
        person = self.person(team_id=team_id, user_id=user_id)
        return person.slack_admin and not person.external and not person.guest

    def refusal_to_move(self, *, team_id: str, user_id: str, fresh: bool = False) -> str | None:
        """Why the person may not move or copy leads (or see what the pickers show), in words; None if they may.
        `fresh` asks Slack who they are now (an approval, perhaps hours after the request)."""
        if user_id in self.admins:
            return None
        person = self.person(team_id=team_id, user_id=user_id, fresh=fresh)
        if not person.known:
            return CANNOT_CHECK
        if person.deactivated:
            return "This Slack account was deactivated, so it cannot move leads here."
        outsider = self._outsider(person)
        if outsider is not None:
            return outsider
        if person.slack_admin:
            return None
        access = self.access_list(team_id=team_id)
        denied = self._covers(team_id, [r.subject_id for r in access.rules if r.effect == Effect.DENY], user_id)
        if denied:
            return f"An admin has removed your access to leadmover here. {self.who_grants(team_id)}"
        if denied is None:
            return CANNOT_CHECK
        if not access.restricted:
            return None
        allowed = [rule.subject_id for rule in access.rules if rule.effect == Effect.ALLOW] + sorted(
            access.from_settings
        )
        covered = self._covers(team_id, allowed, user_id)
        if covered is None:
            return CANNOT_CHECK
        if covered:
            return None
        return f"Only the people on this workspace's leadmover list may move leads. {self.who_grants(team_id)}"

    @staticmethod
    def _outsider(person: Person) -> str | None:
        """Why a guest or someone from another organisation may never move here; None for a full member."""
        if person.external:
            return (
                "People from other organisations cannot move this workspace's leads, whoever allows them. "
                "Ask someone in the workspace to move them for you."
            )
        if person.guest:
            return (
                "Guests cannot move leads here, whoever allows them: only full members can. A workspace admin "
                "decides who is a full member."
            )
        return None

    def refusal_to_approve(self, *, team_id: str, user_id: str, requester_id: str) -> str | None:
        if user_id == requester_id:
            return "You asked for this move, so someone else must approve it."
        if self.is_admin(team_id=team_id, user_id=user_id):
            return None
        refused: str | None = _NOT_APPROVER
        if self._covers(team_id, sorted(self._approvers), user_id):
            # An approver is still a person of this workspace: guests, outsiders and the denied may not decide.
            person = self.person(team_id=team_id, user_id=user_id)
            rules = self._rules_of(team_id)
            denied = self._covers(team_id, [r.subject_id for r in rules if r.effect == Effect.DENY], user_id)
            if not person.known or denied is None:
                return CANNOT_CHECK
            refused = self._outsider(person) or (_NOT_APPROVER if denied else None)
        return refused

    def who_grants(self, team_id: str) -> str:
        named = " ".join(f"<@{admin}>" for admin in sorted(self.admins)[:3])
        who = f"a Slack workspace admin or owner, or {named}," if named else "a Slack workspace admin or owner"
        return f"Ask {who} to run `/leads allow` for you."

    # --- the allowlist ---------------------------------------------------------------------------------------

    def access_list(self, *, team_id: str) -> AccessList:
        return AccessList(rules=list(self._rules_of(team_id)), from_settings=self._allowed)

    def _rules_of(self, team_id: str) -> list[Rule]:
        now = self._clock()
        with self._lock:
            cached = self._rules.get(team_id)
        if cached is not None and now - cached[0] < RULES_CACHE_SECONDS:
            return cached[1]
        rules = access_rules.rules(self._db, team_id=team_id)
        with self._lock:
            self._rules[team_id] = (now, rules)
        return rules

    def _set_rule(self, *, team_id: str, subject_id: str, effect: Effect, by: str) -> None:
        access_rules.set_rule(self._db, team_id=team_id, subject_id=subject_id, effect=effect, set_by=by)
        with self._lock:
            self._rules.pop(team_id, None)

    def allow(self, *, team_id: str, subject_id: str, by: str) -> None:
        self._set_rule(team_id=team_id, subject_id=subject_id, effect=Effect.ALLOW, by=by)
        audit.record(
            self._db, team_id=team_id, user_id=by, action="allow", detail={"subject": subject_id}, outcome="allowed"
        )

    def deny(self, *, team_id: str, subject_id: str, by: str) -> None:
        """Deny a person or group; their requests still waiting for approval are cancelled."""
        self._set_rule(team_id=team_id, subject_id=subject_id, effect=Effect.DENY, by=by)
        audit.record(
            self._db, team_id=team_id, user_id=by, action="deny", detail={"subject": subject_id}, outcome="denied"
        )
        people = self.members(team_id=team_id, group_id=subject_id) if subject_id.startswith("S") else {subject_id}
        if people is None:
            log.warning("denied group %s in %s: its members are unknown, so their requests stay", subject_id, team_id)
            return
        self._on_denied(team_id, set(people))
